"""The web page: a form to describe a transfer (or paste one), the decision, a printable
report, and the list of past decisions. Server-rendered HTML; the little JavaScript there
is (adding data-item and safeguard rows, the print button) is served from this process, like the styles.

A submitted transfer is decided and recorded, then the browser is redirected to the
record's page: the result page *is* the audit record, so what a person sees, prints and
finds later are one and the same.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

import yaml
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from .. import __version__
from ..audit import AuditError, AuditRecord, Query
from ..errors import DataflowRulesError, EngineError, InputError
from ..models.decision import Verdict
from ..models.transfer import Transfer
from .auth import AUTHENTICATED, COOKIE, PUBLIC, roles
from .forms import (
    PASTE_SOURCE,
    FormData,
    Vocabulary,
    form_message,
    items_for_display,
    safeguards_for_display,
)
from .service import Busy, Outcome, Service, TooLarge, parse_date
from .settings import MAX_RECORD_ID
from .state import Snapshot
from .tokens import Identity

MAX_FORM_FIELDS = 5000
MAX_SHOWN = 100

router = APIRouter(include_in_schema=False)

_env = Environment(
    loader=PackageLoader("dataflow_rules.server", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.do"],  # building a safeguard's scope line in _record.html
)
_env.filters["yaml"] = lambda value: yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=100)
_env.filters["count"] = lambda value: f"{value:,}" if isinstance(value, int) else "—"


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def identity_of(request: Request) -> Identity:
    """Who this request is from: set by the authentication middleware before any route
    that needs an identity runs (a route reached without one is a bug: fail, never guess)."""
    identity = request.scope.get("state", {}).get("identity")
    if not isinstance(identity, Identity):
        raise RuntimeError("route reached without an authenticated identity")
    return identity


def login_page(error: str | None = None) -> str:
    return _env.get_template("login.html").render(version=__version__, error=error)


def _page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("version", __version__)
    return HTMLResponse(_env.get_template(name).render(**context), status_code=status)


def _vocabulary(service: Service) -> Vocabulary:
    return service.vocabulary()


def _form_page(
    service: Service,
    *,
    identity: Identity,
    status: int = 200,
    form: FormData | None = None,
    pasted: str = "",
    error: str | None = None,
    paste_open: bool = False,
) -> HTMLResponse:
    snapshot = service.state.current
    return _page(
        "form.html",
        status,
        vocab=_vocabulary(service),
        form=form or FormData(),
        items=items_for_display(form),
        safeguards=safeguards_for_display(form),
        pasted=pasted,
        error=error,
        paste_open=paste_open,
        catalogues=snapshot.describe(),
        identity=identity.name,
    )


@router.get("/", response_class=HTMLResponse, openapi_extra=roles("decider"))
async def home(request: Request) -> HTMLResponse:
    return _form_page(_service(request), identity=identity_of(request))


@router.get("/login", response_class=HTMLResponse, openapi_extra=roles(PUBLIC))
async def login_form() -> HTMLResponse:
    return HTMLResponse(login_page())


@router.post("/login", response_class=HTMLResponse, openapi_extra=roles(PUBLIC))
async def login(request: Request) -> Response:
    """Check the token and keep it in an HttpOnly, SameSite=Strict cookie: the page's
    script cannot read it and no other site's page can make the browser send it."""
    try:
        fields = dict(await _fields(request))
    except InputError as error:
        return HTMLResponse(login_page(error.one_line()), status_code=400)
    token = fields.get("token", "").strip()
    auth = request.app.state.authenticator
    if not token or auth.tokens.identify(token) is None:
        return HTMLResponse(login_page("that token is not valid (revoked, or mistyped)"), status_code=401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout", openapi_extra=roles(AUTHENTICATED))
async def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


async def _fields(request: Request) -> list[tuple[str, str]]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise InputError(
            f"expected a submitted form (application/x-www-form-urlencoded), not {ctype or 'nothing'}"
        )
    try:
        text = (await request.body()).decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"the form could not be read: {exc}") from None


def _not_decided(error: AuditError | EngineError) -> HTMLResponse:
    """The engine failed, or the decision could not be recorded: no decision is shown."""
    if isinstance(error, AuditError):
        title, status = "Not recorded, so not decided", 503
    else:
        title, status = "The rules engine failed; nothing was decided", 500
    return _page("message.html", status, title=title, message=error.one_line())


def _decided(outcome: Outcome) -> RedirectResponse:
    first, last = outcome.records[0].seq, outcome.records[-1].seq
    url = f"/decisions/{first}" + (f"?through={last}" if last != first else "")
    return RedirectResponse(url, status_code=303)


async def _evaluate(
    service: Service, text: str, source: str, values: FormData, channel_form: bool, identity: Identity
) -> Outcome | str:
    """Decide and record, or return the one-line message to show at the form. The record
    names the signed-in identity, never a name typed into the form."""
    requested_by = identity.name
    try:
        day = parse_date(values.get("as_of"), "decide as of")
        return await run_in_threadpool(
            lambda: service.evaluate(text, source, as_of=day, requested_by=requested_by, channel="web")
        )
    except (InputError, TooLarge, Busy) as error:
        return form_message(error) if channel_form else error.one_line()


@router.post("/check", response_class=HTMLResponse, openapi_extra=roles("decider"))
async def check_form(request: Request) -> Response:
    return await _submitted(request, pasted=False)


@router.post("/check-yaml", response_class=HTMLResponse, openapi_extra=roles("decider"))
async def check_pasted(request: Request) -> Response:
    return await _submitted(request, pasted=True)


async def _submitted(request: Request, *, pasted: bool) -> Response:
    """Either form: read the fields (400 on a malformed body), take the transfer from the
    form's fields or from the pasted description, decide and record it, then show the
    record, or the form again with the one-line message (422) and what was entered."""
    service = _service(request)
    who = identity_of(request)
    page = partial(_form_page, service, identity=who, paste_open=pasted)
    try:
        form = FormData.parse(await _fields(request))
    except InputError as error:
        return page(status=400, error=error.one_line())
    if pasted:
        text, source = form.values.get("transfer_yaml", ""), PASTE_SOURCE
        if not text.strip():
            return page(status=422, form=form, error="paste a transfer description first")
    else:
        text, source = form.transfer_text(_vocabulary(service)), "form"
    try:
        result = await _evaluate(service, text, source, form, not pasted, who)
    except (AuditError, EngineError) as error:
        return _not_decided(error)
    if isinstance(result, str):
        return page(status=422, form=form, pasted=text if pasted else "", error=result)
    return _decided(result)


def _record_view(record: AuditRecord, vocab: Vocabulary, requirements: dict[str, str]) -> dict[str, Any]:
    content = record.content
    decision = record.decision
    descriptions = {cid: text for cid, text, _ in vocab.categories}
    return {
        "id": record.seq,
        "created_at": record.row.created_at,
        "requested_by": record.row.requested_by,
        "channel": content.get("channel"),
        "tool_version": record.tool_version,
        "options": content.get("options") or {},
        "hash": record.hash,
        "prev_hash": record.row.prev_hash,
        "transfer": _in_field_order(record.transfer),
        "decision": decision,
        "verdict": decision.get("verdict", record.row.verdict),
        "reasons": decision.get("reasons", []),
        "assumptions": decision.get("assumptions", []),
        "loaded": content.get("catalogues") or {},
        "categories": descriptions,
        "requirements": requirements,
        "purposes": vocab.purposes,
        "mechanisms": vocab.mechanisms,
        "security_measures": vocab.security_measures,
    }


def _remediations(snapshot: Snapshot, record: AuditRecord) -> list[dict[str, Any]] | None:
    """Smallest changes that would lower a stored review or restrict verdict, each decided
    by the engine now, with the catalogues currently loaded; None if the stored transfer
    no longer reads as one (the page then says so instead of guessing)."""
    from ..workbench.remediate import remediate

    decision = record.decision
    if decision.get("verdict", record.row.verdict) == Verdict.ALLOW.value:
        return []
    try:
        transfer = Transfer.model_validate(record.transfer)
        as_of = dt.date.fromisoformat(str(decision["as_of"]))
    except (ValueError, KeyError):
        return None
    # A record made before the default changed has "review"; None is the default's.
    stated = (record.content.get("options") or {}).get("unlisted", Verdict.REVIEW.value)
    unlisted = Verdict(stated) if stated else None
    engine = snapshot.engines[unlisted]
    try:
        current = engine.decide(transfer, as_of)
        return [r.model_dump(mode="json") for r in remediate(engine, transfer, current)]
    except DataflowRulesError:
        return None


def _in_field_order(transfer: dict[str, Any]) -> dict[str, Any]:
    """The stored transfer (keys sorted, as hashed) in the order a person writes it."""
    try:
        return Transfer.model_validate(transfer).model_dump(mode="json", exclude_none=True)
    except ValueError:
        return transfer


def _before(value: int | None) -> int | None:
    """A 'before' bound the store can take: the stores keep ids as signed 64-bit integers
    and their drivers refuse a larger number (that was a 500). Past the largest id means
    every record (no bound); below 1 means none (bound 1)."""
    if value is None or value > MAX_RECORD_ID:
        return None
    return max(value, 1)


async def _records(service: Service, first: int, last: int) -> list[AuditRecord]:
    def read() -> list[AuditRecord]:
        found = service.store.search(Query(limit=last - first + 1, before=_before(last + 1)))
        return sorted((r for r in found if r.seq >= first), key=lambda r: r.seq)

    return await run_in_threadpool(read)


def _not_found(message: str) -> HTMLResponse:
    return _page("message.html", 404, title="Not found", message=message)


@router.get("/decisions/overview", response_class=HTMLResponse, openapi_extra=roles("reader"))
async def overview_page(request: Request, since: str = "", until: str = "") -> HTMLResponse:
    """Decisions over a period by verdict, by day and destination, and their flows (issue 17)."""
    from ..render.flowchart import COLOURS, VERDICTS, bar_template, flows_table, sankey_template, script_json
    from .trail import Trail, read_trail

    service = _service(request)
    status, error = 200, None
    try:
        first, last = parse_date(since, "from"), parse_date(until, "to")
    except InputError as exc:
        status, error, first, last = 422, exc.one_line(), None, None
    try:
        trail = (
            Trail(None, None)
            if error
            else await run_in_threadpool(read_trail, service.store.search, first, last)
        )
    except DataflowRulesError as exc:
        return _page("message.html", 503, title="Audit store unavailable", message=exc.one_line())
    return _page(
        "overview.html",
        status,
        trail=trail,
        since=since if first else "",
        until=until if last else "",
        error=error,
        verdicts=VERDICTS,
        days=trail.day_labels(),
        destinations=trail.destination_labels(),
        flows_table=flows_table(trail.flows, "Decisions by origin, destination and verdict", "flows-table"),
        data=script_json({**trail.data(), "colours": COLOURS}),
        sankey_template=script_json(sankey_template()),
        bar_template=script_json(bar_template()),
    )


_ASSETS = {
    "plotly.js": "application/javascript",
    "report.js": "application/javascript",
    "report.css": "text/css",
    "plotly-global.css": "text/css",
}


@router.get("/decisions/overview/{name}", openapi_extra=roles("reader"))
async def overview_asset(name: str) -> Response:
    """plotly.js and the report's script and styles, from this process (the page's CSP allows no CDN)."""
    from ..render.flowchart import asset, plotly_js

    if name not in _ASSETS:
        return _not_found(f"no such file {name!r}")
    body = plotly_js() if name == "plotly.js" else asset(name)
    return Response(body, media_type=_ASSETS[name], headers={"cache-control": "private, max-age=3600"})


@router.get("/decisions/{record_id}", response_class=HTMLResponse, openapi_extra=roles("reader", "decider"))
async def decision_page(request: Request, record_id: int, through: int | None = None) -> HTMLResponse:
    return await _show(request, record_id, through, "decision.html")


@router.get(
    "/decisions/{record_id}/report", response_class=HTMLResponse, openapi_extra=roles("reader", "decider")
)
async def report_page(request: Request, record_id: int, through: int | None = None) -> HTMLResponse:
    return await _show(request, record_id, through, "report.html")


async def _show(request: Request, first: int, through: int | None, template: str) -> HTMLResponse:
    service = _service(request)
    if not 1 <= first <= MAX_RECORD_ID:  # no record has such an id, and no store can be asked
        return _not_found(f"no decision record {first}")
    last = first if through is None or through < first else min(through, first + MAX_SHOWN - 1, MAX_RECORD_ID)
    try:
        records = await _records(service, first, last)
    except AuditError as error:
        return _page("message.html", 503, title="Audit store unavailable", message=error.one_line())
    who = identity_of(request)
    if not who.has("reader"):
        # A decider sees the records of their own decisions (the page a form submission
        # leads to), not anyone else's: reading the trail is the reader role's.
        records = [r for r in records if r.row.requested_by == who.name]
    if not records:
        return _not_found(f"no decision record {first}")
    vocab = _vocabulary(service)
    requirements = dict(service.state.current.policies.taxonomy.requirements)
    views = [_record_view(r, vocab, requirements) for r in records]
    with service.state.use() as snapshot:
        for view, record in zip(views, records, strict=True):
            # Remediation decides the transfer again for every candidate change (seconds for a
            # transfer of many items): a page of up to MAX_SHOWN records gives each record's
            # suggestions on that record's own page, so one request cannot cost a hundred.
            view["remediations"] = (
                await run_in_threadpool(_remediations, snapshot, record) if len(records) == 1 else "elsewhere"
            )
            view["remediation_generation"] = snapshot.generation
    verdict = Verdict.strictest([Verdict(v["verdict"]) for v in views])
    return _page(
        template,
        records=views,
        verdict=verdict.value,
        first=first,
        through=last if last != first else None,
        printed_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        identity=who.name,
    )


@router.get("/decisions", response_class=HTMLResponse, openapi_extra=roles("reader"))
async def decisions_page(
    request: Request,
    transfer_id: str = "",
    requested_by: str = "",
    verdict: str = "",
    before: int | None = None,
) -> HTMLResponse:
    service = _service(request)
    query = Query(
        limit=50,
        before=_before(before),
        transfer_id=transfer_id.strip() or None,
        requested_by=requested_by.strip() or None,
        verdict=verdict if verdict in {v.value for v in Verdict} else None,
    )
    try:
        found = await run_in_threadpool(service.store.search, query)
    except DataflowRulesError as error:
        return _page("message.html", 503, title="Audit store unavailable", message=error.one_line())
    return _page(
        "list.html",
        records=[r.summary() for r in found],
        filters={"transfer_id": transfer_id, "requested_by": requested_by, "verdict": verdict},
        next_before=found[-1].seq if len(found) == query.limit and found[-1].seq > 1 else None,
        identity=identity_of(request).name,
    )
