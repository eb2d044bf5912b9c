"""Throwaway test databases: one migrated template with the personas per run, one copy per test.

SQLite: the template is a file, copied per test. PostgreSQL (LINKA_TEST_DATABASE_URL, e.g.
postgresql+asyncpg://postgres@127.0.0.1:5432/test): the URL names a maintenance database; the run
creates `linka_t<pid>_tpl`, one `linka_t<pid>_<n>` per test from that template, and drops them all.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg

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


class SqliteTemplates:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.template = folder / "template.db"
        self._counter = itertools.count()

    def build(self, builder: Builder) -> Any:
        url = f"sqlite+aiosqlite:///{self.template}"

        def run() -> Any:
            upgrade_to_head(url)
            return asyncio.run(_build(url, builder))

        return in_own_thread(run)

    def fresh_url(self) -> str:
        target = self.folder / f"t{next(self._counter)}.db"
        shutil.copyfile(self.template, target)
        return f"sqlite+aiosqlite:///{target}"

    def drop(self, url: str) -> None:
        path = Path(url.split(":///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)


class PostgresTemplates:
    def __init__(self, url: str) -> None:
        self.url = url
        self.prefix = f"linka_t{os.getpid()}"
        self.template = f"{self.prefix}_tpl"
        self._counter = itertools.count()

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

        return in_own_thread(run)

    async def fresh_url(self) -> str:
        name = f"{self.prefix}_{next(self._counter)}"
        await self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return _with_database(self.url, name)

    async def drop(self, url: str) -> None:
        name = url.rpartition("/")[2]
        await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop_template(self) -> None:
        in_own_thread(
            lambda: asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)'))
        )


async def _build(url: str, builder: Builder) -> Any:
    db = Database(url)
    try:
        return await builder(db)
    finally:
        await db.dispose()
