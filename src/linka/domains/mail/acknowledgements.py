"""The automatic acknowledgement a mailbox may send when an email starts a ticket: in the contact's
language, from the mailbox's own template for that language or the built-in one, threaded to the
customer's message, marked Auto-Submitted so well-behaved autoresponders never answer it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from linka.core.uow import UnitOfWork
from linka.domains.mail.actions import SYSTEM_LANGUAGES, queue_ticket_mail, render_system_mail
from linka.domains.mail.models import Mailbox, OutgoingMail
from linka.domains.mail.parsing import ParsedMail

# Addresses that never read mail: acknowledging them only feeds loops and bounces.
_NO_READER = re.compile(r"^(no-?reply|do-?not-?reply|mailer-daemon|postmaster|bounces?)([+.\-_@]|$)", re.I)


def wants_acknowledgement(address: str) -> bool:
    return _NO_READER.match(address) is None


def _fill(template: str, values: dict[str, str]) -> str:
    """{ticket.code}-style placeholders of an admin's template; unknown ones stay as written."""
    return re.sub(r"\{([a-z_.]+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


def acknowledgement_text(
    mailbox: Mailbox, *, language: str, ticket_code: str, subject: str, contact_name: str
) -> tuple[str, str]:
    """(subject, text) of the acknowledgement; the ticket code is always in the subject."""
    custom = mailbox.ack_templates.get(language)
    sender = mailbox.sender_name or mailbox.name
    if custom is not None:
        values = {
            "ticket.code": ticket_code,
            "ticket.subject": subject,
            "contact.name": contact_name,
            "contact.first_name": contact_name.split(" ")[0] if contact_name else "",
            "mailbox.name": sender,
        }
        title, text = _fill(custom["subject"], values), _fill(custom["text"], values)
    else:
        title, text = render_system_mail(
            "ack",
            language,
            {"ticket_code": ticket_code, "subject": subject, "contact_name": contact_name, "sender": sender},
        )
    if ticket_code not in title:
        title = f"{title} [#{ticket_code}]"
    return title, text


@dataclass(frozen=True)
class AcknowledgedTicket:
    id: int
    code: str
    subject: str
    department_id: int
    language: str


async def queue_acknowledgement(
    uow: UnitOfWork,
    *,
    mailbox: Mailbox,
    ticket: AcknowledgedTicket,
    contact_name: str,
    contact_language: str | None,
    parsed: ParsedMail,
) -> OutgoingMail | None:
    """Queue the acknowledgement of a message that started `ticket` (not for no-reply senders)."""
    if not wants_acknowledgement(parsed.from_address):
        return None
    language = contact_language if contact_language in SYSTEM_LANGUAGES else ticket.language
    assert language is not None
    subject, text = acknowledgement_text(
        mailbox, language=language, ticket_code=ticket.code, subject=ticket.subject, contact_name=contact_name
    )
    return await queue_ticket_mail(
        uow,
        kind="ack",
        ticket_id=ticket.id,
        department_id=ticket.department_id,
        group_id=None,
        to_address=parsed.reply_to or parsed.from_address,
        to_name=contact_name,
        subject=subject,
        text=text,
        language=language,
        in_reply_to=parsed.message_id,
        references=[*parsed.references, *([parsed.message_id] if parsed.message_id else [])],
    )
