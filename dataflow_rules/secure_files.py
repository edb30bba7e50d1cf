"""Files that hold transfers, tokens or keys: created 0600 whatever the umask, written whole.

The audit store holds full transfer descriptions, the token file holds token hashes, the
signing key signs checkpoints: none of them may be readable by other local users. ``open``
with a mode is filtered by the umask, so the mode is set again with ``fchmod`` on the open
descriptor (no window in which another user can open the file with wider rights).
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(path: Path) -> None:
    """Create ``path`` (and parents) as 0700 if missing; an existing directory is left as is."""
    if path.is_dir():
        return
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    with contextlib.suppress(OSError):
        os.chmod(path, PRIVATE_DIR)


def touch_private(path: Path) -> None:
    """Make sure ``path`` exists; if this call creates it, it is created 0600."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically; the file is 0600 from its first byte."""
    private_dir(path.parent)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)


def append_private(path: Path, line: bytes) -> None:
    """Append one line to ``path`` (created 0600) and make it durable before returning."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, PRIVATE_FILE)
    try:
        if os.fstat(fd).st_size == 0:
            os.fchmod(fd, PRIVATE_FILE)
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def private_output(path: Path, *, newline: str | None = None) -> Iterator[TextIO]:
    """A text stream that becomes ``path`` (0600 whatever the umask) only when the block
    ends without an error: written to a temporary file beside it and renamed over it, so a
    failed or interrupted report or export leaves no partial file and never truncates what
    was there. Reports and exports hold transfers (scan findings, audit records).

    A target that exists and is no regular file (``/dev/stdout``, a FIFO, ``/dev/full``) is
    written directly, as before: renaming over it would replace the device or pipe with a
    file. A link to a regular file is written through (the file it names is replaced)."""
    if path.exists() and not path.is_file():
        with path.open("w", encoding="utf-8", newline=newline) as direct:
            yield direct
        return
    path = Path(os.path.realpath(path))
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
        raw = os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    try:
        with io.TextIOWrapper(raw, encoding="utf-8", newline=newline) as out:
            yield out
            out.flush()
            os.fsync(raw.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one existing file (links and relative paths resolved)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
