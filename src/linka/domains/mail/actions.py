"""Writes of the mail domain. Actions never send: a mail to send is an `outgoing_mail` row that the
worker delivers (with retries and a visible failed state)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape
from sqlalchemy import select

from linka.core.errors import Invalid
from linka.core.uow import UnitOfWork
from linka.domains.mail import queries
from linka.domains.mail.models import InboundEmail, Mailbox, OutgoingMail

SYSTEM_LANGUAGES = ("en", "cs", "hu")
_TEMPLATES = Path(__file__).parent / "templates"
# Plain-text mails: nothing is HTML, so nothing is escaped (links must stay exactly as signed).
_env = Environment(
    loader=FileSystemLoader(_TEMPLATES),
    undefined=StrictUndefined,
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    keep_trailing_newline=True,
)


def render_system_mail(template: str, language: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, text) of a system mail. The template's first line is `Subject: …`, then a blank line."""
    if language not in SYSTEM_LANGUAGES:
        language = "en"
    try:
        source = _env.get_template(f"system/{language}/{template}.txt")
    except TemplateNotFound as exc:
        raise Invalid(
            "template", "no system mail template %(template)s", values={"template": repr(template)}
        ) from exc
    rendered = source.render(**context)
    head, _, body = rendered.partition("\n\n")
    if not head.startswith("Subject:"):
        raise ValueError(f"system mail template {template!r} must start with 'Subject: '")
    return head.removeprefix("Subject:").strip(), body.strip() + "\n"


def new_message_id(mailbox: Mailbox | None) -> str:
    """Our own Message-ID, in the sending mailbox's domain: replies quote it and thread back."""
    domain = mailbox.address.rpartition("@")[2] if mailbox is not None else "linka.localdomain"
    return f"<linka.{secrets.token_hex(12)}@{domain}>"


async def mailbox_for_ticket(uow: UnitOfWork, ticket_id: int, department_id: int) -> Mailbox | None:
    """Where a ticket's mail leaves from: the mailbox its latest email came in to, else its
    department's mailbox, else the default one."""
    latest = await uow.session.execute(
        select(Mailbox)
        .join(InboundEmail, InboundEmail.mailbox_id == Mailbox.id)
        .where(InboundEmail.ticket_id == ticket_id, Mailbox.is_active.is_(True))
        .order_by(InboundEmail.id.desc())
        .limit(1)
    )
    found = latest.scalar_one_or_none()
    if found is None:
        found = await queries.mailbox_of_department(uow.session, department_id)
    return found or await queries.default_mailbox(uow.session)


async def queue_system_mail(
    uow: UnitOfWork,
    *,
    kind: str,
    to_address: str,
    to_name: str,
    language: str,
    template: str,
    context: dict[str, Any],
) -> OutgoingMail:
    """Queue a mail Linka itself sends (password reset, invitation…), in the recipient's language."""
    subject, text = render_system_mail(template, language, context)
    mailbox = await queries.default_mailbox(uow.session)
    mail = OutgoingMail(
        kind=kind,
        mailbox_id=mailbox.id if mailbox is not None else None,
        message_id=new_message_id(mailbox),
        to_address=to_address,
        to_name=to_name,
        subject=subject[:500],
        body_text=text,
        body_html=None,
        language=language if language in SYSTEM_LANGUAGES else "en",
        delivery_status="queued",
        attempts=0,
        next_attempt_at=uow.now,
        created_at=uow.now,
    )
    uow.session.add(mail)
    await uow.session.flush()
    # History notes that a mail left, never its body: reset and invitation links are secrets.
    uow.history("outgoing_mail", mail.id, "queued", after={"kind": kind, "to": to_address})
    return mail


async def queue_ticket_mail(
    uow: UnitOfWork,
    *,
    kind: str,
    ticket_id: int,
    department_id: int,
    group_id: int | None,
    to_address: str,
    to_name: str = "",
    cc: Sequence[str] = (),
    subject: str,
    text: str,
    html: str | None = None,
    language: str = "en",
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> OutgoingMail:
    """Queue a mail written on a ticket (a reply, a forward, an acknowledgement). The worker delivers it
    with the files of its thread group; the caller (a ticket action) has checked who may send it."""
    mailbox = await mailbox_for_ticket(uow, ticket_id, department_id)
    mail = OutgoingMail(
        kind=kind,
        mailbox_id=mailbox.id if mailbox is not None else None,
        message_id=new_message_id(mailbox),
        in_reply_to=in_reply_to,
        references=list(references)[-20:],
        to_address=to_address,
        to_name=to_name[:200],
        cc_addresses=list(cc),
        subject=subject[:500],
        body_text=text,
        body_html=html,
        language=language,
        ticket_id=ticket_id,
        group_id=group_id,
        delivery_status="queued",
        attempts=0,
        next_attempt_at=uow.now,
        created_at=uow.now,
    )
    uow.session.add(mail)
    await uow.session.flush()
    uow.history("outgoing_mail", mail.id, "queued", after={"kind": kind, "to": to_address, "cc": list(cc)})
    return mail
