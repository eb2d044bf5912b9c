"""`linka createowner`: the first (or another) owner, created by the system through the real action."""

from __future__ import annotations

import click

from linka.config import LANGUAGES
from linka.core.db import Database
from linka.core.errors import Conflict, LinkaError
from linka.core.permissions import BaseRole, Origin, system_actor
from linka.core.uow import unit_of_work
from linka.domains.accounts import actions
from linka.entrypoints.cli.common import explain, load_settings, require_migrated, with_database


@click.command()
@click.option("--email", required=True, help="The owner's sign-in email.")
@click.option("--name", required=True, help="The owner's full name.")
@click.option(
    "--password",
    envvar="LINKA_OWNER_PASSWORD",
    help="The password (at least 10 characters); else LINKA_OWNER_PASSWORD, else asked for.",
)
@click.option("--language", type=click.Choice(LANGUAGES), default="en", show_default=True)
def createowner(email: str, name: str, password: str | None, language: str) -> None:
    """Create an owner account that can sign in with a password."""
    settings = load_settings()
    require_migrated(settings)
    if password is None:  # asked only once the database is known to be ready
        password = str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    chosen: str = password

    async def create(db: Database) -> str:
        async with unit_of_work(db, system_actor(Origin.CLI)) as uow:
            agent = await actions.create_agent(
                uow, email=email, name=name, password=chosen, role=BaseRole.OWNER, language=language
            )
            return agent.email

    try:
        created = with_database(settings, create)
    except Conflict as error:
        if "email" not in error.fields:
            raise click.ClickException(f"no owner created: {explain(error)}") from error
        raise click.ClickException(
            f"no owner created: an agent with the email {email} already exists"
        ) from error
    except LinkaError as error:
        raise click.ClickException(f"no owner created: {explain(error)}") from error
    click.echo(f"owner {created} created; sign in at {settings.base_url}")
