"""Throwaway test databases: one migrated template with the personas per run, one copy per test.

SQLite: the template is a file, copied per test. PostgreSQL (LINKA_TEST_DATABASE_URL, e.g.
postgresql+asyncpg://postgres@127.0.0.1:5432/test): the URL names a maintenance database; the run
creates `linka_t<pid>_tpl`, one `linka_t<pid>_<n>` per test from that template, and drops them all.
Creating and dropping a database takes a while, so that happens beside the tests (`_AdminThread`): the
next test's copy is made while a test runs, and a finished test's is dropped while the next one runs.

A test module whose every test needs the same costly data can derive a template once per run
(`derive`): a copy of the personas' template that its `prepare` filled, which the tests then copy.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import threading
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event

from linka.core.db import Database
from linka.core.migrations import upgrade_to_head

PG_ENV = "LINKA_TEST_DATABASE_URL"


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def postgres_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def _plain_pg_dsn(url: str, database: str | None = None) -> str:
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    if database is not None:
        base, _, _ = dsn.rpartition("/")
        dsn = f"{base}/{database}"
    return dsn


def _with_database(url: str, database: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{database}"


def in_own_thread(function: Callable[[], Any]) -> Any:
    """Run blocking set-up (Alembic, asyncio.run) away from the test's running event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function).result()


Builder = Callable[[Database], Coroutine[Any, Any, Any]]
Preparer = Callable[[str], Awaitable[Any]]


class SqliteTemplates:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.template = folder / "template.db"
        self._counter = itertools.count()
        self._derived: dict[str, tuple[Path, Any]] = {}

    def build(self, builder: Builder) -> Any:
        url = f"sqlite+aiosqlite:///{self.template}"

        def run() -> Any:
            upgrade_to_head(url)
            return asyncio.run(_build(url, builder))

        return in_own_thread(run)

    def fresh_url(self, template: str | None = None) -> str:
        target = self.folder / f"t{next(self._counter)}.db"
        shutil.copyfile(self.folder / template if template else self.template, target)
        return f"sqlite+aiosqlite:///{target}"

    async def derive(self, key: str, prepare: Preparer) -> tuple[str, Any]:
        """(template name for fresh_url, what prepare returned): made once per key, from a fresh copy that
        `prepare(url)` fills and leaves with no connection open."""
        if key not in self._derived:
            url = self.fresh_url()
            made = await prepare(url)
            self._derived[key] = (Path(url.split(":///", 1)[1]), made)
        path, made = self._derived[key]
        return path.name, made

    def drop(self, url: str) -> None:
        path = Path(url.split(":///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)


class _AdminThread:
    """Runs admin statements, in the order given, on one connection in a thread (and event loop) of its
    own; each call returns at once with a future for its completion."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="postgres-admin", daemon=True)
        self._thread.start()
        self._connection: asyncpg.Connection | None = None
        self._turn: asyncio.Lock | None = None

    def submit(self, *statements: str) -> Future[None]:
        return asyncio.run_coroutine_threadsafe(self._execute(statements), self._loop)

    async def _execute(self, statements: tuple[str, ...]) -> None:
        self._turn = self._turn or asyncio.Lock()  # first come, first served
        async with self._turn:
            if self._connection is None:
                self._connection = await asyncpg.connect(self._dsn)
            for statement in statements:
                await self._connection.execute(statement)

    def close(self) -> None:
        async def disconnect() -> None:
            if self._connection is not None:
                await self._connection.close()

        asyncio.run_coroutine_threadsafe(disconnect(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


class PostgresTemplates:
    def __init__(self, url: str) -> None:
        self.url = url
        self.prefix = f"linka_t{os.getpid()}"
        self.template = f"{self.prefix}_tpl"
        self._counter = itertools.count()
        self._derived: dict[str, tuple[str, Any]] = {}
        self._background = _AdminThread(_plain_pg_dsn(url))
        self._spares: dict[str, tuple[str, Future[None]]] = {}  # template → the next copy, being made
        self._drops: list[Future[None]] = []

    async def _admin(self, *statements: str) -> None:
        connection = await asyncpg.connect(_plain_pg_dsn(self.url))
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    def build(self, builder: Builder) -> Any:
        url = _with_database(self.url, self.template)

        def run() -> Any:
            asyncio.run(
                self._admin(
                    f'DROP DATABASE IF EXISTS "{self.template}"', f'CREATE DATABASE "{self.template}"'
                )
            )
            upgrade_to_head(url)
            return asyncio.run(_build(url, builder))

        built = in_own_thread(run)
        self._spares[self.template] = self._copy(self.template)  # the first test's
        return built

    async def fresh_url(self, template: str | None = None) -> str:
        template = template or self.template
        name, made = self._spares.pop(template, None) or self._copy(template)
        self._spares[template] = self._copy(template)
        await asyncio.wrap_future(made)
        return _with_database(self.url, name)

    def _copy(self, template: str) -> tuple[str, Future[None]]:
        name = f"{self.prefix}_{next(self._counter)}"
        return name, self._background.submit(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')

    async def derive(self, key: str, prepare: Preparer) -> tuple[str, Any]:
        """(template name for fresh_url, what prepare returned): made once per key, from a fresh copy that
        `prepare(url)` fills and leaves with no connection open (a template must have none)."""
        if key not in self._derived:
            url = await self.fresh_url()
            made = await prepare(url)
            self._derived[key] = (url.rpartition("/")[2], made)
        return self._derived[key]

    async def drop(self, url: str) -> None:
        """Starts dropping the database (its connections closed); a failure shows on a later call."""
        name = url.rpartition("/")[2]
        for done in [drop for drop in self._drops if drop.done()]:
            self._drops.remove(done)
            done.result()
        self._drops.append(self._background.submit(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def drop_template(self) -> None:
        spares = [name for name, _ in self._spares.values()]
        derived = [name for name, _ in self._derived.values()]
        waits = [*self._drops, *(made for _, made in self._spares.values())]
        try:
            for wait in waits:
                wait.result()
        finally:
            names = [*spares, *derived, self.template]
            self._background.submit(
                *(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names)
            ).result()
            self._background.close()


async def _build(url: str, builder: Builder) -> Any:
    db = Database(url)
    try:
        return await builder(db)
    finally:
        await db.dispose()


def skip_commit_waits(database: Database) -> None:
    """A test's PostgreSQL database is thrown away: its commits need not wait for the disk (what the
    other sessions see is the same either way)."""

    @event.listens_for(database.engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET synchronous_commit TO off")
        cursor.close()


REDIS_ENV = "LINKA_TEST_REDIS_URL"


def redis_url_or_skip() -> str:
    """The test Redis; required under CI, a skip with the reason elsewhere."""
    import pytest

    url = os.environ.get(REDIS_ENV)
    if not url:
        if under_ci():
            pytest.fail(f"CI=true but {REDIS_ENV} is not set: the Redis tests are required under CI")
        pytest.skip(f"Redis tests need {REDIS_ENV}=redis://127.0.0.1:6379/0")
    return url
