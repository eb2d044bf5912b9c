"""`linka migrate`: bring the database schema up to the code's migrations."""

from __future__ import annotations

import click

from linka.core.migrations import upgrade_to_head
from linka.entrypoints.cli.common import load_settings, migration_state, prepare_data_dir, with_database


def _names(revisions: set[str]) -> str:
    return ", ".join(sorted(revisions)) or "(empty database)"


@click.command()
def migrate() -> None:
    """Upgrade the database to the newest schema (safe to run again)."""
    settings = load_settings()
    prepare_data_dir(settings)
    url = settings.effective_database_url
    before, heads, pending = with_database(settings, migration_state)
    target = settings.masked()["(effective database)"]
    if not pending:
        click.echo(f"{target}: already at {_names(heads)}, nothing to do")
        return
    click.echo(f"{target}: migrating from {_names(before)} to {_names(heads)}")
    upgrade_to_head(url)
    after, _, still_pending = with_database(settings, migration_state)
    if still_pending:
        raise click.ClickException(f"the database is at {_names(after)}, not at {_names(heads)}")
    click.echo(f"done: the database is at {_names(after)}")
