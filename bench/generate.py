"""Fill a database with a realistic Linka workspace for the benchmarks.

    .venv/bin/python -m bench.generate sqlite+aiosqlite:///bench/results/bench.db.tmp --recreate
    .venv/bin/python -m bench.generate postgresql+asyncpg://postgres@127.0.0.1:5432/linka_bench --recreate

People and settings go through the domain actions (bench/workspace.py); tickets with their threads,
tags, fields and CCs are bulk-inserted (bench/threads.py), then the search index is built with
`rebuild_search_index`, as `linka` would after a change of normalisation. Same seed, same workspace
(public ids of actions' rows aside: those come from the system's random source).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import func, insert, select, text

from bench.threads import Rows, Threads
from bench.workspace import build_workspace
from linka.core.db import Database
from linka.core.migrations import upgrade_to_head
from linka.domains.fields.models import FieldValue
from linka.domains.tickets.models import Ticket, TicketCc, TicketTag
from linka.domains.tickets.search import rebuild_search_index
from linka.domains.tickets.thread_models import Message, MessageGroup

DEFAULT_ANCHOR = "2026-11-01T12:00:00+00:00"
CHUNK = 1000  # tickets per insert transaction
# Only databases named like this are dropped by --recreate on PostgreSQL.
PG_PREFIX = "linka_bench"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n")[0])
    parser.add_argument("url", help="SQLAlchemy async URL (sqlite+aiosqlite:///… or postgresql+asyncpg://…)")
    parser.add_argument("--tickets", type=int, default=20_000, help="how many tickets (default 20,000)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    parser.add_argument("--anchor", default=DEFAULT_ANCHOR, help="'now' of the generated history (ISO 8601)")
    parser.add_argument(
        "--recreate",
        action="store_true",
        help=f"delete the SQLite file / drop and create the PostgreSQL database (named {PG_PREFIX}…) first",
    )
    return parser.parse_args(argv)


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


async def _next_ids(db: Database) -> tuple[int, int, int]:
    async with db.read_session() as session:
        found = []
        for column in (Ticket.id, MessageGroup.id, Message.id):
            found.append(
                int((await session.execute(select(func.coalesce(func.max(column), 0)))).scalar_one()) + 1
            )
    if found[0] != 1:
        sys.exit("the database already has tickets: give --recreate to start afresh")
    return found[0], found[1], found[2]


async def _insert(db: Database, rows: Rows) -> None:
    async with db.sessions() as session:
        for model, values in (
            (Ticket, rows.tickets),
            (MessageGroup, rows.groups),
            (Message, rows.messages),
            (TicketTag, rows.tags),
            (TicketCc, rows.cc),
            (FieldValue, rows.values),
        ):
            if values:
                await session.execute(insert(model.__table__), values)
        await session.commit()


async def _fix_sequences(db: Database) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; the next action would collide."""
    async with db.sessions() as session:
        for table in ("tickets", "message_groups", "messages", "field_values"):
            await session.execute(
                # The table names are the constants above, nothing from outside.
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
            )
        await session.commit()


async def _finish(db: Database) -> dict[str, Any]:
    """Statistics as a running system would have them, and what was made."""
    if db.dialect == "postgresql":
        async with db.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.exec_driver_sql("VACUUM ANALYZE")
    # No ANALYZE on SQLite: Linka never runs it there, so the benchmarks see the planner as users do.
    async with db.read_session() as session:
        counts = {}
        for name in ("tickets", "message_groups", "messages", "ticket_tags", "contacts", "agents"):
            counts[name] = int((await session.execute(text(f"SELECT count(*) FROM {name}"))).scalar_one())  # noqa: S608
        if db.dialect == "postgresql":
            size = (await session.execute(text("SELECT pg_database_size(current_database())"))).scalar_one()
        else:
            path = _sqlite_path(db.url)
            size = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
        counts["bytes"] = int(size)
    return counts


async def generate(url: str, *, tickets: int, seed: int, anchor: datetime) -> None:
    rng = random.Random(seed)
    db = Database(url, pool_size=2)
    try:
        first_ids = await _next_ids(db)
        print("workspace through the actions:")
        space = await build_workspace(db, rng, contacts_wanted=max(50, tickets // 5))
        started = time.perf_counter()
        threads = Threads(rng, space, anchor, first_ids=first_ids)
        plans = threads.plans(tickets)
        for start in range(0, len(plans), CHUNK):
            rows = Rows()
            for plan in plans[start : start + CHUNK]:
                threads.add(plan, rows)
            await _insert(db, rows)
            done = min(start + CHUNK, len(plans))
            print(f"\r  tickets bulk-inserted: {done:,}/{len(plans):,}", end="", flush=True)
        if db.dialect == "postgresql":
            await _fix_sequences(db)
        print(f" in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        indexed = await rebuild_search_index(db)
        print(f"  search index: {indexed:,} tickets in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        counts = await _finish(db)
        print(f"  statistics: {time.perf_counter() - started:.1f} s")
        per_ticket = counts["messages"] / max(1, counts["tickets"])
        print(
            f"made {counts['tickets']:,} tickets, {counts['message_groups']:,} message groups, "
            f"{counts['messages']:,} messages ({per_ticket:.1f} per ticket), {counts['ticket_tags']:,} tags on "
            f"tickets, {counts['contacts']:,} contacts, {counts['agents']:,} agents; "
            f"{counts['bytes'] / 2**20:.0f} MiB on disk"
        )
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    anchor = datetime.fromisoformat(args.anchor)
    if anchor.tzinfo is None:
        anchor = anchor.replace(tzinfo=UTC)
    started = time.perf_counter()
    prepare(args.url, args.recreate)
    asyncio.run(generate(args.url, tickets=args.tickets, seed=args.seed, anchor=anchor))
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
