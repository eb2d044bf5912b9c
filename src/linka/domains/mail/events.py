"""Events of the mail domain (published to admins' screens after commit)."""

from __future__ import annotations

from dataclasses import dataclass

from linka.core.events import Event


@dataclass(frozen=True, kw_only=True)
class MailboxChanged(Event):
    name = "mail.mailbox_changed"
    mailbox_id: int


@dataclass(frozen=True, kw_only=True)
class DeadLetterChanged(Event):
    name = "mail.dead_letter_changed"
    dead_letter_id: int
    mailbox_id: int | None


@dataclass(frozen=True, kw_only=True)
class DeliveryChanged(Event):
    """An outgoing mail was sent, failed, or queued again; its ticket's thread shows the status."""

    name = "mail.delivery_changed"
    outgoing_mail_id: int
    ticket_id: int | None
    status: str
