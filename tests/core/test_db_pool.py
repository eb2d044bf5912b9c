"""The connection pool on PostgreSQL: a connection that died while idle in the pool (server restart,
a proxy's idle timeout) is found by a ping and replaced before a unit of work gets it; connections used
moments ago are handed out without the ping's round trip."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core import db as db_module
from linka.core.db import Database

pytestmark = pytest.mark.parametrize("engine_name", ["postgresql"])


async def _backend_pid(db: Database) -> int:
    async with db.read_session() as session:
        return int((await session.execute(select(func.pg_backend_pid()))).scalar_one())


async def _terminate(db: Database, pid: int) -> None:
    """What a server restart does to a pooled connection, done from outside the pool."""
    outsider = await asyncpg.connect(db.url.replace("+asyncpg", ""))
    try:
        assert await outsider.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await outsider.close()


async def test_an_idle_connection_that_died_is_replaced_before_use(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await _backend_pid(db)
    await _terminate(db, first)
    monkeypatch.setattr(db_module, "IDLE_BEFORE_PING", 0.0)  # every pooled connection counts as idle

    second = await _backend_pid(db)

    assert second != first


async def test_a_connection_used_moments_ago_is_not_pinged_and_a_failure_resets_the_pool(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "IDLE_BEFORE_PING", 3600.0)
    first = await _backend_pid(db)
    await _terminate(db, first)

    # Not pinged, so the dead connection is handed out and the statement fails...
    with pytest.raises(DBAPIError) as failed:
        await _backend_pid(db)
    assert failed.value.connection_invalidated
    # ...and the pool was reset by that failure: the next unit of work gets a live connection.
    assert await _backend_pid(db) != first


async def test_connections_run_without_jit_or_parallel_workers(db: Database) -> None:
    """JIT compiling and parallel workers cost more than the short, many, concurrent queries of a
    helpdesk gain (docs/benchmarks.md)."""
    async with db.read_session() as session:
        assert (await session.execute(text("SHOW jit"))).scalar_one() == "off"
        assert (await session.execute(text("SHOW max_parallel_workers_per_gather"))).scalar_one() == "0"


async def test_a_read_session_sends_no_transaction_round_trips(db: Database) -> None:
    """Reads run without BEGIN/ROLLBACK on PostgreSQL (at READ COMMITTED each statement has its own
    snapshot anyway). Seen from the server: within a transaction now() stands still, outside it each
    statement has its own."""

    async def two_nows(session: AsyncSession) -> tuple[Any, Any]:
        first = (await session.execute(text("SELECT now()"))).scalar_one()
        await session.execute(text("SELECT pg_sleep(0.02)"))
        return first, (await session.execute(text("SELECT now()"))).scalar_one()

    async with db.read_session() as session:
        first, second = await two_nows(session)
    assert second > first
    async with db.sessions() as session:
        first, second = await two_nows(session)
    assert second == first  # a unit of work still has its transaction
