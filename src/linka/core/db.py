"""Engines, sessions and the declarative base shared by every domain's models."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    DateTime,
    Integer,
    MetaData,
    any_,
    bindparam,
    event,
    exc,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, QueryableAttribute
from sqlalchemy.sql.elements import KeyedColumnElement
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL; INTEGER on SQLite so the column aliases the rowid and autoincrements.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# JSONB on PostgreSQL (indexable, compact), JSON text on SQLite.
Json = JSON().with_variant(postgresql.JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are always timezone-aware UTC in Python, whatever the engine stores."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: Json, list[str]: Json}


READONLY_OPTION = "linka_readonly"


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def one_of_parameter(
    dialect: str, column: KeyedColumnElement[Any] | QueryableAttribute[Any], name: str
) -> ColumnElement[bool]:
    """`column IN (the list)` for a statement built once and kept (building a statement costs more than
    running it); the list (a page of tickets, its contacts) comes with each execution as the parameter
    `name`. On PostgreSQL it is `column = ANY(:array)`: one parameter however many values, so the
    statement text, and asyncpg's prepared statement for it, stay the same from page to page, and
    SQLAlchemy does not render one placeholder per value on every execution (measured: 0.78 -> 0.58 ms
    for 50 keys)."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=postgresql.ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def create_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        # PostgreSQL's JIT compiles any plan its cost model calls expensive, which here means a search
        # or a department-wide sort: 31 ms of compiling in a 1.46 s search at 1M tickets, and 5 % of a
        # department-wide list (188 -> 178 ms). Helpdesk queries are short; the compile never pays back.
        # Parallel workers (two more processes for one query) help one big query on an idle server, but
        # a helpdesk runs many small ones at once: with them off a rare-word search went from 43 to 71
        # req/s at 16 connections on 2 cores (docs/benchmarks.md).
        connect_args={"server_settings": {"jit": "off", "max_parallel_workers_per_gather": "0"}},
    )
    _ping_idle_connections(engine)
    return engine


# A pooled connection unused this long is checked (one round trip) before it is handed out again.
IDLE_BEFORE_PING = 10.0


def _ping_idle_connections(engine: AsyncEngine) -> None:
    """SQLAlchemy's pool_pre_ping checks every connection at every checkout: a round trip per unit of
    work, a tenth of a cheap request's time. Busy connections were just used successfully, so only a
    connection idle for IDLE_BEFORE_PING seconds is pinged; a dead one is replaced (the pool retries the
    checkout on DisconnectionError). A server restarted under load is still noticed: the statement that
    fails marks the whole pool invalid (SQLAlchemy does that on any disconnect error)."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["linka_returned_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get("linka_returned_at")
        if returned_at is None or time.monotonic() - returned_at < IDLE_BEFORE_PING:
            return  # new, or used moments ago
        try:
            engine.sync_engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError("an idle pooled connection did not answer") from error


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling is switched off so that BEGIN IMMEDIATE below
        # takes the write lock at the start: no deadlock between two writers upgrading their locks.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        readonly = connection.get_execution_options().get(READONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


class Database:
    """One engine and its session factory; kept on the app and handed to units of work."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        self.engine = create_engine(url, echo=echo, pool_size=pool_size)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        read_options: dict[str, Any] = {READONLY_OPTION: True}
        if self.engine.dialect.name == "postgresql":
            # No BEGIN and ROLLBACK round trips around a read: at READ COMMITTED every statement takes
            # its own snapshot anyway, so a transaction adds nothing to a read-only session.
            read_options["isolation_level"] = "AUTOCOMMIT"
        self.read_sessions = async_sessionmaker(
            self.engine.execution_options(**read_options), expire_on_commit=False, autoflush=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only: on SQLite it does not take the write lock."""
        # Closing (not rolling back) ends the transaction without expiring what was loaded, so the
        # objects read stay usable after the block.
        async with self.read_sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
