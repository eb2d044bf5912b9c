"""`linka mail deliver`: one message on standard input, for a mail server's pipe transport.

Exit codes follow sysexits, as MTAs expect: 0 taken in (a ticket, a reply, or kept as a dead letter
for an admin: either way it is stored), 75 temporary failure (the database is unreachable, or Linka
is not migrated: the MTA keeps the message and tries again), 69 refused for good (over the size
limit: the MTA bounces it to the sender).
"""

from __future__ import annotations

import asyncio
import logging
import sys

import click

from linka.domains.mail.intake import take_in_mail
from linka.domains.mail.queries import active_mailbox_for_addresses
from linka.entrypoints.cli.common import load_settings, prepare_data_dir, require_migrated
from linka.entrypoints.runtime import build_runtime

EX_OK, EX_UNAVAILABLE, EX_TEMPFAIL = 0, 69, 75


@click.group()
def mail() -> None:
    """Email channel tools."""


@mail.command()
@click.option(
    "--recipient",
    "recipients",
    multiple=True,
    help="Envelope recipient (repeatable); picks the mailbox. Default: the message's own headers.",
)
@click.option("--sender", default="", help="Envelope sender, kept with a dead letter.")
def deliver(recipients: tuple[str, ...], sender: str) -> None:
    """Take one email from standard input (for an MTA pipe transport)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    try:
        settings = load_settings()
        prepare_data_dir(settings)
        require_migrated(settings)
    except (click.ClickException, OSError) as exc:
        click.echo(f"linka mail deliver: not ready, try again later: {exc}", err=True)
        sys.exit(EX_TEMPFAIL)
    raw = sys.stdin.buffer.read(settings.smtp_max_bytes + 1)
    if len(raw) > settings.smtp_max_bytes:
        click.echo(f"linka mail deliver: message larger than {settings.smtp_max_bytes} bytes", err=True)
        sys.exit(EX_UNAVAILABLE)
    sys.exit(asyncio.run(_deliver(raw, list(recipients), sender)))


async def _deliver(raw: bytes, recipients: list[str], sender: str) -> int:
    runtime = build_runtime(load_settings())
    try:
        mailbox_id = None
        if recipients:
            async with runtime.db.read_session() as session:
                mailbox = await active_mailbox_for_addresses(session, recipients)
            mailbox_id = mailbox.id if mailbox is not None else None
        received = await take_in_mail(
            runtime,
            raw,
            source="pipe",
            mailbox_id=mailbox_id,
            recipients=[r.lower() for r in recipients],
            envelope_from=sender,
        )
    except Exception as exc:
        logging.getLogger("linka.mail").exception("mail could not be stored")
        click.echo(f"linka mail deliver: temporary failure, try again later: {exc}", err=True)
        return EX_TEMPFAIL
    finally:
        await runtime.close()
    click.echo(f"{received.outcome} {received.ticket_code or received.dead_letter_id or ''}".strip())
    return EX_OK
