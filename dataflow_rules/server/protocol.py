"""uvicorn's HTTP/1.1 protocol with a request-read deadline (against slowloris).

uvicorn closes an *idle* kept-alive connection after ``timeout_keep_alive``, but any byte
received cancels that timer, and it has no deadline for reading a request: 1,100 clients
each sending one header line every 3 s held every connection slot, and ``/api/health``
answered 503 for as long as they kept on. Here a connection has ``header_timeout`` seconds,
from being opened or from its previous response, to deliver one whole request (headers and
body); one that has not by then is closed. A request being answered is not affected.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


def bounded(header_timeout: float) -> type[H11Protocol]:
    """An H11Protocol class whose connections must send each request within ``header_timeout``."""

    class BoundedH11Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def _arm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            self._deadline = self.loop.call_later(header_timeout, self._expire)

        def _expire(self) -> None:
            self._deadline = None
            # Still reading the request (IDLE: headers incomplete; SEND_BODY: body incomplete).
            if self.conn.their_state in (h11.IDLE, h11.SEND_BODY) and not self.transport.is_closing():
                self.transport.close()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None
            super().connection_lost(exc)

    return BoundedH11Protocol
