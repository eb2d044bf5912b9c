"""Time what agents do most with tickets, on a database filled by bench/seed.py:

    .venv/bin/python -m bench.scenarios --url sqlite+aiosqlite:///bench/results/bench.db.tmp [--repeat 20]

In-process through the domain queries with real actors (an admin, and a plain solver of the busiest
department), each scenario in its own read session as the API opens one per request: the first page
of the list (importance sort, 50 tickets, loaded and rendered as the API renders them), a deep page,
the activity sort, a tag + status filter, counts per status, three searches, and "next ticket" (in a
transaction that is rolled back, so the data never drifts). Then whole HTTP requests through the ASGI
app (httpx's ASGITransport, an API key as the caller) for the end-to-end figure.

Prints a Markdown table: median and 95th percentile in milliseconds, the SQL statements each issued
(BEGIN not counted) and how many tickets the scenario's filter matches. `--explain` adds the query
plan of each scenario's slowest statement (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import sqlite3
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bench import texts
from bench.load import prepare
from bench.load.prepare import DETAIL_MESSAGES
from linka.config import Settings
from linka.core.db import Database
from linka.core.events import EventBus
from linka.core.permissions import Actor, DepartmentRole, Origin, system_actor
from linka.core.uow import UnitOfWork, unit_of_work
from linka.domains.accounts import credentials
from linka.domains.accounts.models import Agent, Department, DepartmentMember
from linka.domains.accounts.queries import build_actor
from linka.domains.tickets import list_queries, routing_actions, view_queries
from linka.domains.tickets import search as ticket_search
from linka.domains.tickets.list_queries import TicketFilters
from linka.domains.tickets.models import Tag, Ticket, TicketTag
from linka.domains.tickets.queries import workable_ticket_condition
from linka.domains.tickets.statuses import WAITING_FOR_AGENT, Status
from linka.domains.tickets.thread_models import Message
from linka.entrypoints.asgi import CSRF_COOKIE, create_app
from linka.entrypoints.runtime import Runtime, build_runtime, register_handlers

PAGE = 50
DEEP_PAGES = 20
WARMUP = 2


# ---- counting and recording statements ------------------------------------------------------------


class Recorder:
    """Counts the statements sent to the database (SQLite's BEGIN aside: PostgreSQL's is not a
    statement the driver shows) and, while `log` is a list, records each with its duration."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        self.log: list[tuple[str, Any, float]] | None = None
        event.listen(db.engine.sync_engine, "before_cursor_execute", self._before)
        event.listen(db.engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.startswith("BEGIN"):
            self.count += 1
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        took = time.perf_counter() - conn.info["bench_started"].pop()
        if self.log is not None and not statement.startswith("BEGIN"):
            self.log.append((statement, parameters, took))


# ---- what the scenarios need ----------------------------------------------------------------------


@dataclass
class Context:
    db: Database
    actors: dict[str, Actor]
    department_name: str
    tag_id: int
    tag_name: str
    deep_cursor: dict[str, str] = field(default_factory=dict)


async def _actors(db: Database) -> tuple[dict[str, Actor], str]:
    """The first admin, and the first agent who is a solver in the busiest department and nothing else."""
    async with db.read_session() as session:
        admin = (
            await session.execute(select(Agent).where(Agent.base_role == "admin").order_by(Agent.id).limit(1))
        ).scalar_one()
        busiest = (
            await session.execute(
                select(Ticket.department_id)
                .group_by(Ticket.department_id)
                .order_by(func.count().desc())
                .limit(1)
            )
        ).scalar_one()
        single = (
            select(DepartmentMember.agent_id).group_by(DepartmentMember.agent_id).having(func.count() == 1)
        )
        solver = (
            await session.execute(
                select(Agent)
                .join(DepartmentMember, DepartmentMember.agent_id == Agent.id)
                .where(
                    DepartmentMember.department_id == busiest,
                    DepartmentMember.role == DepartmentRole.SOLVER.value,
                    Agent.id.in_(single),
                )
                .order_by(Agent.id)
                .limit(1)
            )
        ).scalar_one()
        department = (
            await session.execute(select(Department.name).where(Department.id == busiest))
        ).scalar_one()
        actors = {
            "admin": await build_actor(session, admin, origin=Origin.WEB),
            "solver": await build_actor(session, solver, origin=Origin.WEB),
        }
    return actors, department


async def build_context(db: Database) -> Context:
    actors, department = await _actors(db)
    async with db.read_session() as session:
        tag_id, tag_name = (
            await session.execute(
                select(Tag.id, Tag.name)
                .join(TicketTag, TicketTag.tag_id == Tag.id)
                .group_by(Tag.id, Tag.name)
                .order_by(func.count().desc())
                .limit(1)
            )
        ).one()
        context = Context(db, actors, department, int(tag_id), str(tag_name))
        for name, actor in actors.items():
            cursor = None
            for _ in range(DEEP_PAGES):
                page = await list_queries.list_tickets(
                    session, actor, TicketFilters(), cursor=cursor, limit=PAGE
                )
                cursor = page.next_cursor
            assert cursor is not None, "too few tickets for a deep page"
            context.deep_cursor[name] = cursor
    return context


# ---- the scenarios --------------------------------------------------------------------------------

ReadScenario = Callable[[AsyncSession, str, Context], Awaitable[int]]


async def _page(
    session: AsyncSession,
    actor: Actor,
    filters: TicketFilters,
    *,
    sort: str = "importance",
    cursor: str | None = None,
    search: str | None = None,
) -> int:
    page = await list_queries.list_tickets(
        session, actor, filters, sort=sort, cursor=cursor, limit=PAGE, search=search
    )
    return len(await view_queries.ticket_outs(session, page.items))


def _tag_status(status: Status) -> Callable[[Context], TicketFilters]:
    return lambda ctx: TicketFilters(tag_ids=[ctx.tag_id], statuses=[status])


@dataclass
class Scenario:
    name: str
    run: ReadScenario
    # The list filter it applies, to count what matches (untimed).
    filters: Callable[[Context], TicketFilters] = lambda _ctx: TicketFilters()
    search: str | None = None


def _list(
    sort: str = "importance",
    *,
    deep: bool = False,
    filters: Callable[[Context], TicketFilters] | None = None,
    search: str | None = None,
) -> ReadScenario:
    async def run(session: AsyncSession, who: str, ctx: Context) -> int:
        chosen = filters(ctx) if filters else TicketFilters()
        cursor = ctx.deep_cursor[who] if deep else None
        return await _page(session, ctx.actors[who], chosen, sort=sort, cursor=cursor, search=search)

    return run


async def _counts(session: AsyncSession, who: str, ctx: Context) -> int:
    counts = await list_queries.count_by_status(session, ctx.actors[who], TicketFilters())
    return len(counts)


def scenarios() -> list[Scenario]:
    three = texts.THREE_WORD_QUERY
    return [
        Scenario("list, first page (importance)", _list()),
        Scenario(f"list, deep page (after {DEEP_PAGES} pages)", _list(deep=True)),
        Scenario("list, first page (activity)", _list("activity")),
        Scenario(
            "list, tag + status open", _list(filters=_tag_status(Status.OPEN)), _tag_status(Status.OPEN)
        ),
        Scenario(
            "list, tag + status closed", _list(filters=_tag_status(Status.CLOSED)), _tag_status(Status.CLOSED)
        ),
        Scenario("counts per status", _counts),
        Scenario(
            f"search `{texts.COMMON_CZECH_WORD}` (common, cs)",
            _list("relevance", search=texts.COMMON_CZECH_WORD),
            search=texts.COMMON_CZECH_WORD,
        ),
        # The same hits without ranking: what the matching costs apart from the relevance order.
        Scenario(
            f"search `{texts.COMMON_CZECH_WORD}`, activity order",
            _list("activity", search=texts.COMMON_CZECH_WORD),
            search=texts.COMMON_CZECH_WORD,
        ),
        Scenario(
            f"search `{texts.RARE_HUNGARIAN_WORD}` (rare, hu)",
            _list("relevance", search=texts.RARE_HUNGARIAN_WORD),
            search=texts.RARE_HUNGARIAN_WORD,
        ),
        Scenario(f"search `{three}` (3 words)", _list("relevance", search=three), search=three),
    ]


async def _take_next(ctx: Context, who: str) -> int:
    """Next ticket as the action runs it (handlers included), then rolled back: no drift."""
    bus = EventBus()
    register_handlers(bus)
    async with ctx.db.sessions() as session:
        uow = UnitOfWork(session, ctx.actors[who], bus, ctx.db)
        try:
            ticket = await routing_actions.take_next_ticket(uow)
            await uow.run_handlers()
            await session.flush()
        finally:
            await session.rollback()
    return 0 if ticket is None else 1


async def _matching(ctx: Context, who: str, scenario: Scenario) -> int:
    filters = scenario.filters(ctx)
    if scenario.search:
        filters = replace(filters, extra=[ticket_search.matches(ctx.db.dialect, scenario.search)])
    conditions = list_queries.ticket_conditions(ctx.actors[who], filters)
    async with ctx.db.read_session() as session:
        return int(
            (await session.execute(select(func.count()).select_from(Ticket).where(*conditions))).scalar_one()
        )


async def _waiting(ctx: Context, who: str) -> int:
    query = select(func.count()).where(
        Ticket.status.in_([status.value for status in WAITING_FOR_AGENT]),
        Ticket.assignee_id.is_(None),
        Ticket.merged_into_id.is_(None),
        workable_ticket_condition(ctx.actors[who]),
    )
    async with ctx.db.read_session() as session:
        return int((await session.execute(query)).scalar_one())


# ---- measuring ------------------------------------------------------------------------------------


@dataclass
class Case:
    """One row of the report: a scenario as one actor, what it matched, and its measurements."""

    scenario: str
    actor: str
    work: Callable[[], Awaitable[int]]
    matching: str = "-"
    samples: list[float] = field(default_factory=list)
    statements: set[int] = field(default_factory=set)
    plan: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[math.ceil(0.95 * len(ordered)) - 1] * 1000


async def measure(recorder: Recorder, cases: list[Case], repeat: int) -> None:
    """Every case in turn, `repeat` rounds: on a shared machine a burst of load then slows one run of
    each case, not all runs of one."""
    for case in cases:
        for _ in range(WARMUP):
            await case.work()
    for _ in range(repeat):
        for case in cases:
            before = recorder.count
            started = time.perf_counter()
            await case.work()
            case.samples.append(time.perf_counter() - started)
            case.statements.add(recorder.count - before)


async def explain(db: Database, recorder: Recorder, work: Callable[[], Awaitable[int]]) -> str:
    """The plan of the slowest statement `work` issues."""
    recorder.log = []
    try:
        await work()
        selects = [entry for entry in recorder.log if entry[0].lstrip().upper().startswith("SELECT")]
    finally:
        recorder.log = None
    if not selects:
        return ""
    statement, parameters, took = max(selects, key=lambda entry: entry[2])
    header = f"slowest statement ({took * 1000:.1f} ms):\n{statement}\n\nplan:\n"
    async with db.engine.connect() as connection:
        if db.dialect == "postgresql":
            rows = await connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            return header + "\n".join(row[0] for row in rows)
        rows = await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        depth: dict[int, int] = {0: -1}
        lines = []
        for node, parent, _, detail in rows:
            depth[node] = depth.get(parent, -1) + 1
            lines.append("  " * depth[node] + detail)
        return header + "\n".join(lines)


def domain_cases(ctx: Context) -> list[Case]:
    cases = []
    for scenario in scenarios():
        for who in ctx.actors:

            async def work(scenario: Scenario = scenario, who: str = who) -> int:
                async with ctx.db.read_session() as session:
                    return await scenario.run(session, who, ctx)

            cases.append(Case(scenario.name, who, work))
    for who in ctx.actors:

        async def take(who: str = who) -> int:
            return await _take_next(ctx, who)

        cases.append(Case("next ticket (rolled back)", who, take))
    return cases


async def count_matches(ctx: Context, cases: list[Case]) -> None:
    by_name = {scenario.name: scenario for scenario in scenarios()}
    for case in cases:
        if case.scenario in by_name:
            case.matching = f"{await _matching(ctx, case.actor, by_name[case.scenario]):,}"
        elif case.scenario.startswith("next ticket"):
            case.matching = f"{await _waiting(ctx, case.actor):,} waiting"


async def run_all(url: str, repeat: int, with_plans: bool, only: list[str]) -> tuple[list[Case], Context]:
    db = Database(url, pool_size=5)
    recorder = Recorder(db)
    ctx = await build_context(db)
    try:
        async with http_cases(ctx) as web:
            cases = [
                case
                for case in domain_cases(ctx) + web
                if not only or any(part in f"{case.scenario} {case.actor}" for part in only)
            ]
            await measure(recorder, cases, repeat)
        await count_matches(ctx, cases)
        if with_plans:
            for case in cases:
                if not case.scenario.startswith("HTTP"):
                    case.plan = await explain(db, recorder, case.work)
    finally:
        await db.dispose()
    return cases, ctx


async def _ticket_with_a_long_thread(ctx: Context) -> tuple[str, int]:
    """A ticket of the solver's department with about 20 messages (the load run's detail scenario)."""
    solver = ctx.actors["solver"]
    async with ctx.db.read_session() as session:
        newest = (
            select(Ticket.id)
            .where(Ticket.department_id.in_(list(solver.departments)))
            .order_by(Ticket.id.desc())
            .limit(5_000)
        )
        sizes = (
            select(Message.ticket_id, func.count().label("messages"))
            .where(Message.ticket_id.in_(newest))
            .group_by(Message.ticket_id)
            .subquery()
        )
        code, messages = (
            await session.execute(
                select(Ticket.code, sizes.c.messages)
                .join(sizes, sizes.c.ticket_id == Ticket.id)
                .order_by(func.abs(sizes.c.messages - DETAIL_MESSAGES), Ticket.id)
                .limit(1)
            )
        ).one()
    return code, int(messages)


async def _sign_in(runtime: Runtime, client: httpx.AsyncClient, actor: Actor) -> None:
    """The solver signs in through /login like a browser (their password set to the bench's)."""
    async with runtime.db.read_session() as session:
        agent = await session.get_one(Agent, actor.agent_id)
    password = await prepare.set_password(runtime, prepare.agent_ref(agent))
    await client.get("/login")
    answer = await client.post(
        "/login",
        data={"email": agent.email, "password": password, "_csrf_token": client.cookies[CSRF_COOKIE]},
    )
    if answer.status_code != 303:
        raise RuntimeError(f"signing in failed: {answer.status_code} {answer.text[:300]}")


def _http_case(client: httpx.AsyncClient, scenario: str, who: str, path: str, token: str | None) -> Case:
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def get() -> int:
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, response.text[:500]
        return len(response.content)

    return Case(scenario, who, get)


@asynccontextmanager
async def http_cases(ctx: Context) -> AsyncIterator[list[Case]]:
    """Whole requests through the app: authentication by API key (or, for the inbox page, a session
    cookie), parameters, the queries, JSON or HTML. The keys are made for the run and revoked after it."""
    db = ctx.db
    keys: dict[str, tuple[int, str, str]] = {}
    async with unit_of_work(db, system_actor(Origin.CLI)) as uow:
        for who, actor in ctx.actors.items():
            assert actor.agent_id is not None
            key, token = await credentials.create_api_key(
                uow, agent_id=actor.agent_id, name="bench", scopes=["read"]
            )
            keys[who] = (actor.agent_id, key.public_id, token)
    try:
        with tempfile.TemporaryDirectory(prefix="linka-bench-") as folder:
            settings = Settings(data_dir=Path(folder), database_url=db.url, secret_key="bench-" + "x" * 40)
            runtime = build_runtime(settings, db=db)
            app = create_app(runtime=runtime)
            transport = httpx.ASGITransport(app=app)
            async with (
                httpx.AsyncClient(transport=transport, base_url="http://bench.local") as client,
                httpx.AsyncClient(transport=transport, base_url="http://bench.local") as browser,
            ):
                cases = []
                for path in (
                    "/api/v1/tickets?limit=50",
                    f"/api/v1/tickets?q={texts.COMMON_CZECH_WORD}&limit=50",
                ):
                    for who, (_, _, token) in keys.items():
                        cases.append(_http_case(client, f"HTTP GET {path}", who, path, token))
                code, messages = await _ticket_with_a_long_thread(ctx)
                solver_token = keys["solver"][2]
                for path in (f"/api/v1/tickets/{code}", f"/api/v1/tickets/{code}/thread"):
                    scenario = f"HTTP GET {path.replace(code, '{code}')} ({messages} messages)"
                    cases.append(_http_case(client, scenario, "solver", path, solver_token))
                # A client of its own: the API rows must not carry the session cookie.
                await _sign_in(runtime, browser, ctx.actors["solver"])
                cases.append(
                    _http_case(
                        browser, "HTTP GET /tickets (inbox page, signed in)", "solver", "/tickets", None
                    )
                )
                yield cases
    finally:
        async with unit_of_work(db, system_actor(Origin.CLI)) as uow:
            for agent_id, public_id, _ in keys.values():
                await credentials.revoke_api_key(uow, agent_id=agent_id, key_public_id=public_id)


# ---- the report -----------------------------------------------------------------------------------


async def describe(url: str) -> str:
    db = Database(url, pool_size=1)
    try:
        async with db.read_session() as session:
            tickets = (await session.execute(select(func.count()).select_from(Ticket))).scalar_one()
            if db.dialect == "postgresql":
                version = (await session.execute(select(func.version()))).scalar_one().split(" on ")[0]
            else:
                version = f"SQLite {sqlite3.sqlite_version}"
    finally:
        await db.dispose()
    return f"{version}, {tickets:,} tickets, Python {platform.python_version()}"


def report(cases: list[Case], ctx: Context, header: str, repeat: int) -> str:
    solver = ctx.actors["solver"]
    lines = [
        f"**{header}**; {repeat} runs per row after {WARMUP} warm-up runs, all rows in turn; admin = sees "
        f"everything, solver = {solver.name}, solver in {ctx.department_name} only; tag = `{ctx.tag_name}` "
        "(the most used).",
        "",
        "| scenario | actor | median ms | p95 ms | SQL statements | tickets matching |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for case in cases:
        # The same code path issues the same statements each run; a range would itself be a finding.
        low, high = min(case.statements), max(case.statements)
        statements = str(high) if low == high else f"{low}–{high}"
        lines.append(
            f"| {case.scenario} | {case.actor} | {case.median:.1f} | {case.p95:.1f} | {statements} | "
            f"{case.matching} |"
        )
    for case in cases:
        if case.plan:
            lines += ["", f"#### {case.scenario} — {case.actor}", "", "```", case.plan, "```"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scenarios", description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="the database bench/seed.py filled")
    parser.add_argument(
        "--repeat", type=int, default=20, help="timed runs per scenario and actor (default 20)"
    )
    parser.add_argument(
        "--explain", action="store_true", help="add the plan of each scenario's slowest query"
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="TEXT",
        help="only the rows whose scenario and actor contain TEXT (repeatable); with a large --repeat, "
        "a loop to profile: py-spy record -- python -m bench.scenarios …",
    )
    args = parser.parse_args()
    header = asyncio.run(describe(args.url))
    load_before = os.getloadavg()[0]
    cases, ctx = asyncio.run(run_all(args.url, args.repeat, args.explain, args.only))
    # The machine may be shared: its load says how far the figures are from an idle one.
    header += f", load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after"
    print(report(cases, ctx, header, args.repeat))


if __name__ == "__main__":
    main()
