"""Writes of the dead-letter store: a message is kept raw with the reason when it cannot be taken in;
an admin discards it (the raw bytes go with it) or retries it (mail/intake.py `retry_dead_letter`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from linka.core.ids import public_id
from linka.core.permissions import require_write
from linka.core.uow import UnitOfWork
from linka.domains.mail.events import DeadLetterChanged
from linka.domains.mail.models import DeadLetter, Mailbox
from linka.domains.mail.queries import dead_letter_by_public_id

ERROR_MAX = 4000


@dataclass
class DeadLetterIn:
    """What is known of a message before it is understood: where it came from and its raw bytes."""

    source: str
    raw_sha256: str
    size: int
    mailbox_id: int | None = None
    envelope_from: str = ""
    envelope_to: list[str] = field(default_factory=list)
    subject: str = ""
    # Set when an admin retries a dead letter: its row is updated instead of a new one kept.
    retrying_id: int | None = None


async def record_dead_letter(uow: UnitOfWork, *, letter: DeadLetterIn, reason: str, error: str) -> str:
    """Keep the message with the reason (system actor); returns the dead letter's public id."""
    mailbox_id = letter.mailbox_id
    if mailbox_id is not None and await uow.session.get(Mailbox, mailbox_id) is None:
        mailbox_id = None
    row = DeadLetter(
        public_id=public_id("dl"),
        mailbox_id=mailbox_id,
        source=letter.source[:8],
        envelope_from=letter.envelope_from[:254],
        envelope_to=[a[:254] for a in letter.envelope_to[:50]],
        subject=letter.subject.replace("\x00", "")[:500],
        raw_sha256=letter.raw_sha256,
        size=letter.size,
        reason=reason[:32],
        error=error.replace("\x00", "")[:ERROR_MAX],
        status="pending",
        attempts=1,
        received_at=uow.now,
    )
    uow.session.add(row)
    await uow.session.flush()
    uow.history("dead_letter", row.id, "kept", after={"reason": reason, "error": row.error})
    uow.record(DeadLetterChanged(dead_letter_id=row.id, mailbox_id=mailbox_id))
    return row.public_id


async def record_retry_outcome(
    uow: UnitOfWork, *, dead_letter_id: int, ticket_id: int | None, error: str | None
) -> DeadLetter:
    """After a retry: taken in (status retried, with the ticket) or still failing (the new reason)."""
    row = await uow.session.get(DeadLetter, dead_letter_id)
    assert row is not None
    row.attempts += 1
    if error is None:
        row.status, row.ticket_id, row.resolved_at = "retried", ticket_id, uow.now
        uow.history("dead_letter", row.id, "retried", after={"ticket_id": ticket_id})
    else:
        row.error = error.replace("\x00", "")[:ERROR_MAX]
        uow.history("dead_letter", row.id, "retry_failed", after={"error": row.error})
    uow.record(DeadLetterChanged(dead_letter_id=row.id, mailbox_id=row.mailbox_id))
    return row


async def discard_dead_letter(uow: UnitOfWork, *, dead_letter_id: str) -> str:
    """Remove a dead letter; returns the hash of its raw bytes for the caller to sweep after commit."""
    require_write(uow.actor)
    row = await dead_letter_by_public_id(uow.session, uow.actor, dead_letter_id)
    uow.history(
        "dead_letter",
        row.id,
        "discarded",
        before={"reason": row.reason, "from": row.envelope_from, "subject": row.subject},
    )
    sha256 = row.raw_sha256
    await uow.session.delete(row)
    uow.record(DeadLetterChanged(dead_letter_id=row.id, mailbox_id=row.mailbox_id))
    return sha256
