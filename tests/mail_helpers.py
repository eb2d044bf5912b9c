"""Helpers for email tests: build a message as a mail client would, add a mailbox through the real
action, and read what landed in the database."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from sqlalchemy import func, select

from linka.core.clock import now
from linka.core.db import Database
from linka.core.permissions import Origin, system_actor
from linka.domains.mail import mailbox_actions
from linka.domains.mail.models import Mailbox
from linka.domains.mail.schemas import AckTemplate, ImapIn, MailboxCreateIn, SmtpIn
from linka.entrypoints.runtime import Runtime
from tests.personas import Personas

ADMIN_CLI = system_actor(Origin.CLI)


def build_mail(
    *,
    sender: str = "Jana Dvořáková <jana@customer.test>",
    to: str = "support@linka.test",
    subject: str = "Printer does not print",
    text: str = "Hello, the printer on the second floor does not print.",
    html: str | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    cc: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
) -> bytes:
    """An email's bytes; a fresh Message-ID unless one is given ("" leaves it out)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = format_datetime(now())
    if message_id != "":
        message["Message-ID"] = message_id or make_msgid(domain="customer.test")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, mime, data in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes(policy=policy.SMTP)  # CRLF line ends, as mail travels


async def add_mailbox(
    runtime: Runtime,
    personas: Personas,
    *,
    address: str = "support@linka.test",
    department: str = "support",
    aliases: list[str] | None = None,
    auto_ack: bool = True,
    smtp_port: int | None = None,
    imap: ImapIn | None = None,
    flood_limit: int = 40,
    ack_templates: dict[str, AckTemplate] | None = None,
    is_default: bool = False,
) -> Mailbox:
    async with runtime.uow(ADMIN_CLI) as uow:
        return await mailbox_actions.create_mailbox(
            uow,
            data=MailboxCreateIn(
                name=f"{department.title()} mailbox",
                address=address,
                department_id=personas.department_public_ids[department],
                aliases=aliases or [],
                sender_name=f"Acme {department.title()}",
                is_default=is_default,
                smtp=SmtpIn(host="127.0.0.1", port=smtp_port, security="none") if smtp_port else None,
                imap=imap,
                auto_ack_enabled=auto_ack,
                ack_templates=ack_templates or {},  # type: ignore[arg-type]
                flood_limit_per_hour=flood_limit,
            ),
            sealer=runtime.sealer,
        )


async def rows(db: Database, model: Any, *conditions: Any, order_by: Any = None) -> list[Any]:
    async with db.read_session() as session:
        query = select(model).where(*conditions)
        if order_by is not None:
            query = query.order_by(order_by)
        return list((await session.execute(query)).scalars())


async def count(db: Database, model: Any, *conditions: Any) -> int:
    async with db.read_session() as session:
        query = select(func.count()).select_from(model).where(*conditions)
        return int((await session.execute(query)).scalar_one())
