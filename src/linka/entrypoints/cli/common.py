"""What every `linka` command shares: settings from linka.config, a database, friendly failures."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click
from pydantic import ValidationError

from linka.config import Settings
from linka.core.db import Database
from linka.core.errors import LinkaError
from linka.core.migrations import current_revisions, head_revisions, pending_migrations

T = TypeVar("T")


def load_settings() -> Settings:
    """The configuration from the environment (LINKA_…); a bad value stops the command with its name."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = [
            f"  LINKA_{'_'.join(str(p) for p in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        ]
        raise click.ClickException("the configuration is invalid:\n" + "\n".join(lines)) from exc


def prepare_data_dir(settings: Settings) -> None:
    """The data folder (and an SQLite file's folder) must exist before the database is opened."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.effective_database_url
    if url.startswith("sqlite") and ":///" in url:
        Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)


def with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Open the configured database, run `work` on it in an event loop, close it."""

    async def run() -> T:
        db = Database(settings.effective_database_url, echo=settings.db_echo, pool_size=2)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


async def migration_state(db: Database) -> tuple[set[str], set[str], bool]:
    """(revisions the database is at, the code's heads, whether migrations are pending)."""
    return await current_revisions(db), head_revisions(db.url), await pending_migrations(db)


def explain(error: LinkaError) -> str:
    """An action's refusal in one line for the terminal."""
    if error.fields:
        return "; ".join(f"{field}: {message}" for field, message in error.fields.items())
    return error.message


def require_migrated(settings: Settings) -> None:
    """An unreachable database or one that needs migrating stops the command."""

    async def pending(db: Database) -> bool:
        return await pending_migrations(db)

    try:
        behind = with_database(settings, pending)
    except Exception as exc:  # any driver error: say what and where, not a traceback
        where = settings.masked()["(effective database)"]
        raise click.ClickException(f"cannot reach the database {where}: {exc}") from exc
    if behind:
        raise click.ClickException("the database needs migrating: run `linka migrate`")
