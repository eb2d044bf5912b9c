"""`linka demo`: fill an empty database with a demo workspace and print its logins."""

from __future__ import annotations

import click

from linka import demo as demo_data
from linka.config import Settings
from linka.core.db import Database
from linka.core.errors import LinkaError
from linka.entrypoints.cli.common import explain, load_settings, require_migrated, with_database


def print_logins(settings: Settings) -> None:
    click.echo(f"Demo logins at {settings.base_url} (password for all: {demo_data.PASSWORD}):")
    for email, name, role in demo_data.logins():
        click.echo(f"  {email:<24} {role:<6} {name}")


@click.command()
@click.option(
    "--if-empty", is_flag=True, help="Do nothing (and succeed) when the database has agents already."
)
def demo(if_empty: bool) -> None:
    """Create demo departments, agents, companies and contacts (through the real actions)."""
    settings = load_settings()
    require_migrated(settings)

    async def fill(db: Database) -> str:
        if await demo_data.agent_count(db):
            return "present" if await demo_data.demo_present(db) else "other"
        await demo_data.build_demo(db, base_url=settings.base_url)
        return "created"

    try:
        outcome = with_database(settings, fill)
    except LinkaError as error:
        raise click.ClickException(f"no demo created: {explain(error)}") from error
    if outcome == "created":
        contacts = sum(len(company.people) for company in demo_data.COMPANIES)
        click.echo(
            f"demo created: {len(demo_data.DEPARTMENTS)} departments, {len(demo_data.AGENTS)} agents, "
            f"{len(demo_data.COMPANIES)} companies, {contacts} contacts"
        )
        print_logins(settings)
        return
    if not if_empty:
        raise click.ClickException(
            "the database has agents already: the demo goes into an empty database only"
        )
    if outcome == "present":
        click.echo("demo skipped: the demo workspace is there already")
        print_logins(settings)
    else:
        click.echo("demo skipped: the database has agents already")
