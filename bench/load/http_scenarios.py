"""The HTTP scenarios wrk drives: what each requests, as whom, its target from the issue, and the
checks around it (a probe request before, rows counted in the database after the writes)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import func, select

from bench.load import results
from bench.load.prepare import Workspace, count_where, database_size
from bench.load.results import Target
from bench.load.server import BenchServer, RssSampler
from bench.load.wrk import Requests, WrkOptions, warm_and_measure
from linka.core import clock
from linka.domains.mail.models import OutgoingMail
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.thread_models import Message
from linka.entrypoints.runtime import Runtime

REPLY_TEXT = "Dobrý den, děkujeme za zprávu, podívali jsme se na to a posíláme řešení. S pozdravem, podpora"
MAIL_WAIT = 30.0  # seconds to let the worker deliver the replies' mail to the sink


@dataclass
class Callers:
    solver_token: str
    admin_token: str
    cookie: str


@dataclass
class HttpContext:
    runtime: Runtime
    server: BenchServer
    wrk: WrkOptions
    folder: Path
    workspace: Workspace
    callers: Callers
    mark: str
    search_words: tuple[str, str]
    sink_count: Callable[[], int] = lambda: 0


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _json(token: str) -> dict[str, str]:
    return {**_bearer(token), "Content-Type": "application/json"}


def _cookie(ctx: HttpContext) -> dict[str, str]:
    return {"Cookie": ctx.callers.cookie}


@dataclass(frozen=True)
class HttpScenario:
    name: str
    title: str
    requests: Callable[[HttpContext], Requests]
    target: Target | None = None
    note: Callable[[HttpContext], str] | None = None
    writes: str | None = None  # "tickets" or "replies": counted in the database afterwards
    detail: dict[str, Any] = field(default_factory=dict)


def _list(query: str, who: str = "solver") -> Callable[[HttpContext], Requests]:
    def build(ctx: HttpContext) -> Requests:
        token = ctx.callers.solver_token if who == "solver" else ctx.callers.admin_token
        return Requests(paths=[f"/api/v1/tickets?{query}"], headers=_bearer(token))

    return build


def _search(which: int) -> Callable[[HttpContext], Requests]:
    def build(ctx: HttpContext) -> Requests:
        word = quote(ctx.search_words[which])
        return Requests(
            paths=[f"/api/v1/tickets?q={word}&limit=50"], headers=_bearer(ctx.callers.solver_token)
        )

    return build


def _filtered(ctx: HttpContext) -> Requests:
    ws = ctx.workspace
    query = f"tag={ws.tag_public_id}&department={ws.department_public_id}&status=open&limit=50"
    return Requests(paths=[f"/api/v1/tickets?{query}"], headers=_bearer(ctx.callers.solver_token))


def _detail_api(ctx: HttpContext) -> Requests:
    paths = []
    for code in ctx.workspace.detail_codes:
        paths += [f"/api/v1/tickets/{code}", f"/api/v1/tickets/{code}/thread"]
    return Requests(paths=paths, headers=_bearer(ctx.callers.solver_token))


def _detail_html(ctx: HttpContext) -> Requests:
    return Requests(paths=[f"/tickets/{code}" for code in ctx.workspace.detail_codes], headers=_cookie(ctx))


def _create(ctx: HttpContext) -> Requests:
    return Requests(
        method="POST",
        paths=["/api/v1/tickets"],
        headers=_json(ctx.callers.solver_token),
        body="create",
        mark=f"{ctx.mark}-create",
        department=ctx.workspace.department_public_id,
        contacts=ctx.workspace.contact_emails,
    )


def _reply(ctx: HttpContext) -> Requests:
    return Requests(
        method="POST",
        paths=[f"/api/v1/tickets/{code}/replies" for code in ctx.workspace.reply_codes],
        headers=_json(ctx.callers.solver_token),
        body="reply",
        mark=f"{ctx.mark}-reply",
        text=REPLY_TEXT,
    )


def _messages_note(ctx: HttpContext) -> str:
    counts = ctx.workspace.detail_messages
    if not counts:
        return "no tickets found"
    return (
        f"{len(counts)} tickets of {ctx.workspace.department_name} rotated, their threads having "
        f"{min(counts)}–{max(counts)} messages (mean {sum(counts) / len(counts):.1f}; wanted 20)"
    )


HTTP_SCENARIOS = [
    HttpScenario(
        "ceiling",
        "ceiling: GET /healthz/db (one SELECT 1)",
        lambda ctx: Requests(paths=["/healthz/db"]),
        note=lambda ctx: (
            "the same server, engine and driver doing one `SELECT 1`: the most any endpoint can do"
        ),
    ),
    HttpScenario(
        "list",
        "ticket list API, solver's default view (GET /api/v1/tickets?assignee=me&category=active&limit=50)",
        _list("assignee=me&category=active&limit=50"),
        results.LIST_TARGET,
        note=lambda ctx: (
            "the agent's default list, the same filters as the inbox's default view \"My tickets\" "
            f"(importance order, 50 a page), as {ctx.workspace.solver.name}, "
            f"a plain solver of {ctx.workspace.department_name}"
        ),
    ),
    HttpScenario(
        "list-all",
        "ticket list API, solver, everything but the trash (GET /api/v1/tickets?limit=50)",
        _list("limit=50"),
        results.LIST_TARGET,
        note=lambda ctx: "the API's list without filters: closed tickets too, two years of them",
    ),
    HttpScenario(
        "list-admin",
        "ticket list API, admin, everything but the trash (GET /api/v1/tickets?limit=50)",
        _list("limit=50", "admin"),
        results.LIST_TARGET,
    ),
    HttpScenario(
        "inbox",
        "inbox HTML, solver (GET /tickets)",
        lambda ctx: Requests(paths=["/tickets"], headers=_cookie(ctx)),
        results.INBOX_TARGET,
        note=lambda ctx: "the agent's default inbox page with a browser session (signed in through /login)",
    ),
    HttpScenario(
        "detail",
        "ticket detail API: GET ticket + GET thread, in turn",
        _detail_api,
        results.DETAIL_TARGET,
        note=lambda ctx: (
            _messages_note(ctx) + "; req/s counts single requests, an API client showing a ticket makes two"
        ),
    ),
    HttpScenario(
        "detail-html",
        "ticket page HTML (GET /tickets/{code})",
        _detail_html,
        None,
        note=lambda ctx: (
            _messages_note(ctx)
            + "; the issue sets no target for the HTML page (it also marks the ticket read)"
        ),
    ),
    HttpScenario(
        "search-common",
        "search, common word (API, q=)",
        _search(0),
        results.SEARCH_TARGET,
        note=lambda ctx: f"`{ctx.search_words[0]}`, relevance order, as the solver",
    ),
    HttpScenario(
        "search-rare",
        "search, rare word (API, q=)",
        _search(1),
        results.SEARCH_TARGET,
        note=lambda ctx: f"`{ctx.search_words[1]}`, relevance order, as the solver",
    ),
    HttpScenario(
        "filtered",
        "filtered list API: tag + department + status",
        _filtered,
        results.LIST_TARGET,
        note=lambda ctx: (
            f"tag `{ctx.workspace.tag_name}` (the department's most used), {ctx.workspace.department_name}, "
            f"status open: {ctx.workspace.filtered_matches:,} tickets match; the ticket list target"
        ),
    ),
    HttpScenario(
        "create", "create ticket API (POST /api/v1/tickets)", _create, results.CREATE_TARGET, writes="tickets"
    ),
    HttpScenario(
        "reply",
        "agent reply API (POST /api/v1/tickets/{code}/replies)",
        _reply,
        None,
        writes="replies",
    ),
]


async def probe(ctx: HttpContext, requests: Requests) -> str | None:
    """One request as wrk will send it (GETs only): anything but 200 stops the scenario, so a lost
    session (a 303 to /login, which wrk would count as a success) cannot pass for a fast page."""
    if requests.method != "GET":
        return None
    async with httpx.AsyncClient(base_url=ctx.server.base_url, timeout=30.0) as client:
        for path in requests.paths[:2]:
            response = await client.get(path, headers=requests.headers)
            if response.status_code != 200:
                return f"the probe GET {path} answered {response.status_code}"
    return None


def _succeeded(result: dict[str, Any] | None) -> int:
    return 0 if result is None else int(result["requests"] - result["non_2xx_3xx"])


async def _count_writes(
    ctx: HttpContext, scenario: HttpScenario, mark: str, expected: int, row: dict[str, Any]
) -> None:
    """Rows the scenario's successful requests made, found in the database: none may be missing.
    Requests still in flight when wrk stops are done by the server but not counted by wrk, so the
    database may hold a few more than wrk saw."""
    if scenario.writes == "tickets":
        found = await count_where(ctx.runtime, select(func.count()).where(Ticket.subject.like(f"{mark}%")))
        what = "tickets"
    else:
        pool = select(Ticket.id).where(Ticket.code.in_(ctx.workspace.reply_codes))
        found = await count_where(
            ctx.runtime,
            select(func.count(func.distinct(Message.group_id))).where(
                Message.ticket_id.in_(pool), Message.body.like(f"{mark}%")
            ),
        )
        what = "replies"
    lost = max(0, expected - found)
    row["written"] = {"expected_from_wrk": expected, "found_in_database": found, "lost": lost}
    row["lost"] = lost
    row["note"] = (
        f"{expected:,} {what} answered 2xx to wrk (warm-up included), {found:,} found in the database: "
        + ("none lost" if lost == 0 else f"**{lost:,} lost**")
    )


async def _mail_outcome(ctx: HttpContext, started: Any, row: dict[str, Any]) -> None:
    """The replies' outgoing mail, as the worker delivered it to the run's SMTP sink."""
    deadline = asyncio.get_running_loop().time() + MAIL_WAIT
    statuses: dict[str, int] = {}
    while True:
        async with ctx.runtime.db.read_session() as session:
            rows = await session.execute(
                select(OutgoingMail.delivery_status, func.count())
                .where(OutgoingMail.created_at >= started, OutgoingMail.kind == "reply")
                .group_by(OutgoingMail.delivery_status)
            )
            statuses = {str(status): int(count) for status, count in rows.all()}
        if not statuses.get("queued") or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(1.0)
    row["outgoing_mail"] = statuses | {"received_by_sink": ctx.sink_count()}
    row["note"] += (
        f"; their mail after up to {MAIL_WAIT:.0f} s: {statuses.get('sent', 0):,} sent to the local sink, "
        f"{statuses.get('queued', 0):,} still queued, {statuses.get('failed', 0):,} failed"
    )


async def run_http(ctx: HttpContext, scenario: HttpScenario) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name": scenario.name,
        "title": scenario.title,
        "kind": "http",
        "target": scenario.target.as_dict() if scenario.target else None,
        "measured": True,
    }
    requests = scenario.requests(ctx)
    requests.mark = requests.mark or f"{ctx.mark}-{scenario.name}"
    row["requests_sent"] = {
        "method": requests.method,
        "paths": len(requests.paths),
        "example": requests.paths[0],
    }
    problem = await probe(ctx, requests)
    if problem:
        row.update(measured=False, reason=problem)
        return row
    started = clock.now()
    row["db_size_before"] = await database_size(ctx.runtime)
    with RssSampler(ctx.server) as rss:
        measured, warmup = await warm_and_measure(
            ctx.wrk, ctx.server.base_url, requests, ctx.folder, scenario.name
        )
    row["db_size_after"] = await database_size(ctx.runtime)
    row.update(
        rate=measured["requests_per_s"],
        p50_ms=measured["p50_ms"],
        p95_ms=measured["p95_ms"],
        p99_ms=measured["p99_ms"],
        max_ms=measured["max_ms"],
        requests=measured["requests"],
        errors=measured["errors"],
        wrk=measured,
        warmup=warmup,
        peak_rss_mib=rss.peak_mib,
    )
    row["note"] = scenario.note(ctx) if scenario.note else ""
    if scenario.writes:
        await _count_writes(ctx, scenario, requests.mark, _succeeded(measured) + _succeeded(warmup), row)
    if scenario.writes == "replies":
        await _mail_outcome(ctx, started, row)
    if scenario.target is not None:
        row["met"] = results.meets(row["target"], row)
    return row


def report_row() -> dict[str, Any]:
    """The 30-day performance report: Linka has no report endpoint yet, so there is nothing to load."""
    return {
        "name": "report-30d",
        "title": "30-day performance report",
        "kind": "http",
        "target": results.REPORT_TARGET.as_dict(),
        "measured": False,
        "reason": "no report endpoint exists yet",
        "met": None,
    }
