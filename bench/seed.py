"""Fill a database with a realistic Linka workspace for the benchmarks (`linka bench seed`).

    linka bench seed postgresql+asyncpg://postgres@127.0.0.1:5432/linka_bench --recreate
    linka bench seed sqlite+aiosqlite:///bench/results/bench.db.tmp --recreate
    python -m bench.seed … (the same)

Two years of a busy helpdesk: 1,000,000 tickets on PostgreSQL (100,000 on SQLite) with about four
messages each, contacts (one per five tickets) in companies (one per ten contacts), 100 agents in 10
departments, tags, custom statuses and ticket fields. Staff and settings go through the domain actions
(bench/workspace.py); companies and contacts (bench/people.py) and tickets with their threads and
search documents (bench/threads.py) are generated in worker processes and written in bulk
(bench/loader.py). Same seed, same data (only the public ids the actions draw differ), whatever the
number of workers.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import sys
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from sqlalchemy import func, select

from bench.loader import Loader, loader_for
from bench.people import FirstIds, build_people
from bench.progress import Phases, Progress
from bench.rhythm import DAY
from bench.rows import PEOPLE_TABLES, TICKET_TABLES, Payload, Values
from bench.threads import CHUNK, Cast, ChunkMaker, Plan, init_worker, make_chunk
from bench.workspace import build_workspace
from linka.core.db import Database
from linka.core.migrations import upgrade_to_head
from linka.domains.accounts.models import Agent
from linka.domains.contacts.models import Company, CompanyDomain, Contact, ContactEmail, ContactPhone
from linka.domains.fields.models import FieldValue
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.thread_models import Message, MessageGroup

# A Tuesday morning: the queue holds a working day's mail.
DEFAULT_ANCHOR = "2026-11-24T10:00:00+00:00"
ANCHOR = datetime.fromisoformat(DEFAULT_ANCHOR)
DEFAULT_TICKETS = {"postgresql": 1_000_000, "sqlite": 100_000}
HISTORY_DAYS = 730
# Only databases named like this are dropped by --recreate on PostgreSQL.
PG_PREFIX = "linka_bench"
SUMMARY_TABLES = [
    *TICKET_TABLES,
    *PEOPLE_TABLES,
    "agents",
    "departments",
    "department_members",
    "tags",
    "custom_statuses",
    "custom_fields",
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="linka bench seed", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("url", help="SQLAlchemy async URL (sqlite+aiosqlite:///… or postgresql+asyncpg://…)")
    parser.add_argument(
        "--tickets",
        type=int,
        default=None,
        help="how many tickets (default 1,000,000 on PostgreSQL, 100,000 on SQLite)",
    )
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    parser.add_argument("--anchor", default=DEFAULT_ANCHOR, help="'now' of the generated history (ISO 8601)")
    parser.add_argument("--days", type=int, default=HISTORY_DAYS, help="length of the history (default 730)")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        help="processes generating tickets (default: one per core, PostgreSQL's share included, which was "
        "faster than leaving it a core; 0: in this process)",
    )
    parser.add_argument(
        "--recreate",
        action="store_true",
        help=f"delete the SQLite file / drop and create the PostgreSQL database (named {PG_PREFIX}…) first",
    )
    args = parser.parse_args(argv)
    if args.tickets is None:
        args.tickets = DEFAULT_TICKETS["sqlite" if args.url.startswith("sqlite") else "postgresql"]
    if args.tickets < 1 or args.days < 1 or args.workers < 0:
        parser.error("--tickets and --days must be positive, --workers not negative")
    return args


@dataclass(frozen=True)
class Options:
    tickets: int
    seed: int = 2026
    anchor: datetime = ANCHOR
    days: int = HISTORY_DAYS
    workers: int = 1


@dataclass
class Report:
    """What was made and how long each phase took."""

    counts: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    channels: dict[str, int] = field(default_factory=dict)
    merged: int = 0  # tickets merged into another (their status stays what it was: new)
    size: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


# ---- the database ---------------------------------------------------------------------------------


def _sqlite_path(url: str) -> Path:
    return Path(url.split(":///", 1)[1])


def _pg_parts(url: str) -> tuple[str, str]:
    """(DSN of the server's maintenance database, name of the target database)."""
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    base, _, name = dsn.rpartition("/")
    return f"{base}/postgres", name.split("?", 1)[0]


async def _recreate_postgres(url: str) -> None:
    maintenance, name = _pg_parts(url)
    if not name.startswith(PG_PREFIX):
        sys.exit(f"refusing to drop {name!r}: --recreate only drops databases named {PG_PREFIX}…")
    connection = await asyncpg.connect(maintenance)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def prepare(url: str, recreate: bool) -> None:
    """An empty database at the newest schema."""
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        if recreate:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        elif path.exists():
            sys.exit(f"{path} exists: give --recreate to start afresh")
        path.parent.mkdir(parents=True, exist_ok=True)
    elif recreate:
        asyncio.run(_recreate_postgres(url))
    upgrade_to_head(url)


async def _next_ids(db: Database) -> dict[str, int]:
    """The first free id of each table the generator gives ids in; refuses a database with tickets."""
    models = {
        "tickets": Ticket,
        "message_groups": MessageGroup,
        "messages": Message,
        "field_values": FieldValue,
        "companies": Company,
        "company_domains": CompanyDomain,
        "contacts": Contact,
        "contact_emails": ContactEmail,
        "contact_phones": ContactPhone,
    }
    found = {}
    async with db.read_session() as session:
        for name, model in models.items():
            found[name] = (
                int((await session.execute(select(func.coalesce(func.max(model.id), 0)))).scalar_one()) + 1
            )
    if found["tickets"] != 1:
        sys.exit("the database already has tickets: give --recreate to start afresh")
    return found


# ---- seeding ----------------------------------------------------------------------------------------


async def seed_database(url: str, options: Options, *, quiet: bool = False) -> Report:
    """Fill the (migrated, ticket-less) database at `url`; the workhorse of `main`, and of the tests."""
    phases = Phases(quiet)
    started = time.perf_counter()
    anchor = int(options.anchor.timestamp())
    history_start = anchor - options.days * DAY
    db = Database(url, pool_size=2)
    try:
        ids = await _next_ids(db)
        with phases.phase("staff and settings (domain actions)"):
            since = datetime.fromtimestamp(history_start - 400 * DAY, UTC)
            space = await build_workspace(db, random.Random(options.seed), since=since, quiet=quiet)
        async with db.read_session() as session:
            admin = await session.execute(
                select(Agent.id).where(Agent.base_role == "admin").order_by(Agent.id).limit(1)
            )
            integration_agent = int(admin.scalar_one())
    finally:
        await db.dispose()
    loader = loader_for(url)
    await loader.open()
    try:
        dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
        preparing = (
            "indexes dropped, tables truncated"
            if dialect == "postgresql"
            else "indexes, FTS5 triggers dropped"
        )
        with phases.phase(f"before the load ({preparing})"):
            await loader.before_load((*PEOPLE_TABLES, *TICKET_TABLES))
        with phases.phase("companies and contacts"):
            first = FirstIds(
                ids["companies"],
                ids["company_domains"],
                ids["contacts"],
                ids["contact_emails"],
                ids["contact_phones"],
            )
            wanted = max(50, options.tickets // 5)
            progress = Progress("contacts", wanted, "contacts", quiet=quiet)
            people_rows, contacts = build_people(
                seed=options.seed,
                contacts=wanted,
                history_start=history_start,
                first=first,
                values=Values(dialect),
                made=progress.advance,
            )
            progress.close()
            await loader.write(Values(dialect).pack(people_rows))
            del people_rows
        plan = Plan(
            seed=options.seed,
            tickets=options.tickets,
            anchor=anchor,
            days=options.days,
            dialect=dialect,
            first_ticket=ids["tickets"],
            first_group=ids["message_groups"],
            first_message=ids["messages"],
            first_value=ids["field_values"],
        )
        cast = Cast(space, contacts, integration_agent)
        with phases.phase("tickets"):
            await _tickets(loader, plan, cast, options.workers, quiet)
        finishing = "indexes, keys, VACUUM ANALYZE" if dialect == "postgresql" else "indexes, FTS5 rebuild"
        with phases.phase(f"after the load ({finishing})"):
            progress = Progress("steps", len(loader.finishing_steps()), "steps", quiet=quiet)
            await loader.after_load(progress.advance)
            progress.close()
        report = Report(seconds=phases.seconds)
        report.counts = await loader.counts(SUMMARY_TABLES)
        report.statuses = await loader.grouped("status")
        report.merged = await loader.count_tickets("merged_into_id IS NOT NULL")
        report.languages = await loader.grouped("language")
        report.channels = await loader.grouped("channel")
        report.size = await loader.size()
    finally:
        await loader.close()
    report.seconds["total"] = time.perf_counter() - started
    return report


async def _tickets(loader: Loader, plan: Plan, cast: Cast, workers: int, quiet: bool) -> None:
    """Chunks made by the workers (a few ahead) and written in order while the next ones are made."""
    progress = Progress("tickets", plan.tickets, "tickets", quiet=quiet)

    async def write(made: tuple[int, Payload]) -> None:
        count, payload = made
        await loader.write(payload)
        progress.advance(count)

    if workers == 0:
        maker = ChunkMaker(plan, cast)
        for index in range(plan.chunks):
            await write(maker.make(index))
    else:
        loop = asyncio.get_running_loop()
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=init_worker, initargs=(plan, cast)
        ) as pool:
            pending: deque[asyncio.Future[tuple[int, Payload]]] = deque()
            for index in range(plan.chunks):
                pending.append(loop.run_in_executor(pool, make_chunk, index))
                if len(pending) > 2 * workers:
                    await write(await pending.popleft())
            while pending:
                await write(await pending.popleft())
    progress.close()


# ---- the command ------------------------------------------------------------------------------------


def _print_report(report: Report, tickets: int) -> None:
    counts = report.counts
    print("\nmade:")
    for table, count in counts.items():
        print(f"  {table:<20} {count:>12,}")
    per_ticket = counts["messages"] / max(1, counts["tickets"])
    print(f"  messages per ticket  {per_ticket:>12.2f}")
    for name, spread in (
        ("statuses", report.statuses),
        ("languages", report.languages),
        ("channels", report.channels),
    ):
        print(f"  {name}: " + ", ".join(f"{key} {value:,}" for key, value in spread.items()))
    print(f"  merged into another ticket: {report.merged:,}")
    print(f"  database size: {report.size / 2**20:,.0f} MiB")
    print("seconds:")
    for phase, seconds in report.seconds.items():
        print(f"  {phase:<52} {seconds:>8.1f}")
    total, making = report.seconds["total"], report.seconds.get("tickets", 0.0)
    print(f"tickets/s: {tickets / total:,.0f} overall, {tickets / making:,.0f} while writing tickets")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    anchor = datetime.fromisoformat(args.anchor)
    if anchor.tzinfo is None:
        anchor = anchor.replace(tzinfo=UTC)
    started = time.perf_counter()
    print(
        f"seeding {args.tickets:,} tickets ({CHUNK:,} per chunk, {args.workers} worker processes) into {args.url}"
    )
    prepare(args.url, args.recreate)
    schema = time.perf_counter() - started
    options = Options(args.tickets, args.seed, anchor, args.days, args.workers)
    report = asyncio.run(seed_database(args.url, options))
    report.seconds = {"schema (migrations)": schema, **report.seconds}
    report.seconds["total"] = time.perf_counter() - started
    _print_report(report, args.tickets)


if __name__ == "__main__":
    main()
