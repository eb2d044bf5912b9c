"""Schema migrations (Alembic) run from code: `linka migrate`, readiness checks and the test suite."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from linka.core.db import Database

SCRIPT_LOCATION = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("sqlalchemy.url", url)
    return config


def head_revisions(url: str) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(url)).get_heads())


def upgrade_to_head(url: str) -> None:
    """Apply every pending migration. Blocking: call from a thread or the CLI."""
    command.upgrade(alembic_config(url), "head")


async def current_revisions(db: Database) -> set[str]:
    def _read(connection: Connection) -> set[str]:
        return set(MigrationContext.configure(connection).get_current_heads())

    async with db.engine.connect() as connection:
        return await connection.run_sync(_read)


async def pending_migrations(db: Database) -> bool:
    """True when the database is behind (or ahead of) the code's migrations."""
    return await current_revisions(db) != head_revisions(db.url)
