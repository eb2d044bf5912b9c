"""Writes of outgoing mail delivery: the worker claims due mail, sends it outside any transaction and
records what happened; a failure is retried with exponential backoff until the last attempt, then the
mail stays failed with the reason until someone retries it by hand. A bounce turns a sent mail failed.

Each outcome is in the mail's history ("sent", "retrying", "failed", "retried", "bounced") and is
announced as DeliveryChanged, so the ticket's thread shows the status as it changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update

from linka.core.errors import Conflict, NotFound
from linka.core.permissions import Permission, require, require_write
from linka.core.uow import UnitOfWork
from linka.domains.mail.events import DeliveryChanged
from linka.domains.mail.models import OutgoingMail
from linka.domains.tickets import queries as tickets_queries

MAX_ATTEMPTS = 8
# Waits after a temporary failure: 1, 2, 4 … minutes; after 8 attempts about two hours have passed.
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=2)
ERROR_MAX = 2000


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th attempt failed."""
    return min(FIRST_BACKOFF * 2 ** min(max(attempts, 1) - 1, 20), MAX_BACKOFF)


async def claim_due_mail(uow: UnitOfWork, *, limit: int, lease: timedelta) -> list[int]:
    """Queued mail that is due, the longest waiting first. Claiming moves `next_attempt_at` to the end
    of the lease and counts the attempt, so no other worker takes it while this one sends; should
    this one die, the mail is due again when the lease ends. On PostgreSQL rows another worker is
    claiming are skipped (SKIP LOCKED); SQLite has one writer at a time."""
    due = (
        select(OutgoingMail.id)
        .where(OutgoingMail.delivery_status == "queued", OutgoingMail.next_attempt_at <= uow.now)
        .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id)
        .limit(limit)
    )
    if uow.dialect == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = [int(mail_id) for mail_id in (await uow.session.execute(due)).scalars()]
    if ids:
        await uow.session.execute(
            update(OutgoingMail)
            .where(OutgoingMail.id.in_(ids))
            .values(next_attempt_at=uow.now + lease, attempts=OutgoingMail.attempts + 1)
            .execution_options(synchronize_session=False)
        )
    return ids


async def release_claim(uow: UnitOfWork, *, mail_id: int, lease_until: datetime) -> bool:
    """Give back a claimed mail that was not tried (its lease ran short): due now, the attempt not
    counted. Does nothing when the claim is no longer this worker's."""
    result = await uow.session.execute(
        update(OutgoingMail)
        .where(
            OutgoingMail.id == mail_id,
            OutgoingMail.delivery_status == "queued",
            OutgoingMail.next_attempt_at == lease_until,
        )
        .values(next_attempt_at=uow.now, attempts=OutgoingMail.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def _locked(uow: UnitOfWork, mail_id: int) -> OutgoingMail | None:
    query = select(OutgoingMail).where(OutgoingMail.id == mail_id)
    if uow.dialect == "postgresql":
        query = query.with_for_update()
    found = await uow.session.execute(query.execution_options(populate_existing=True))
    return found.scalar_one_or_none()


def _announce(uow: UnitOfWork, mail: OutgoingMail) -> None:
    uow.record(
        DeliveryChanged(outgoing_mail_id=mail.id, ticket_id=mail.ticket_id, status=mail.delivery_status)
    )


async def record_sent(
    uow: UnitOfWork,
    *,
    mail_id: int,
    mailbox_id: int | None = None,
    refused: Mapping[str, str] | None = None,
) -> OutgoingMail | None:
    """The server accepted the mail. `mailbox_id`: the mailbox it left from, when another than the one
    it was queued for; `refused`: recipients the server turned down while accepting the others (kept
    as the mail's note: sending again would repeat it to everyone else)."""
    mail = await _locked(uow, mail_id)
    if mail is None:
        return None
    mail.delivery_status = "sent"
    mail.sent_at = uow.now
    mail.next_attempt_at = None
    if mailbox_id is not None:
        mail.mailbox_id = mailbox_id
    note = "; ".join(f"{address} refused: {answer}" for address, answer in (refused or {}).items())
    mail.last_error = note[:ERROR_MAX] or None
    after: dict[str, object] = {"attempts": mail.attempts}
    if note:
        after["refused"] = dict(refused or {})
    uow.history("outgoing_mail", mail.id, "sent", after=after)
    _announce(uow, mail)
    return mail


async def record_failure(
    uow: UnitOfWork, *, mail_id: int, error: str, permanent: bool
) -> OutgoingMail | None:
    """An attempt failed. A permanent failure, or the last attempt, leaves the mail failed with the
    reason; otherwise it waits (1, 2, 4 … minutes) and is tried again."""
    mail = await _locked(uow, mail_id)
    if mail is None or mail.delivery_status != "queued":
        return mail  # sent, bounced or given up meanwhile: nothing to add
    mail.last_error = error.strip()[:ERROR_MAX] or "unknown error"
    if permanent or mail.attempts >= MAX_ATTEMPTS:
        mail.delivery_status = "failed"
        mail.next_attempt_at = None
        action = "failed"
    else:
        mail.next_attempt_at = uow.now + backoff(mail.attempts)
        action = "retrying"
    uow.history(
        "outgoing_mail",
        mail.id,
        action,
        after={
            "error": mail.last_error,
            "attempts": mail.attempts,
            "permanent": permanent,
            "next_attempt_at": mail.next_attempt_at,
        },
    )
    _announce(uow, mail)
    return mail


async def _require_may_retry(uow: UnitOfWork, mail: OutgoingMail) -> None:
    """A ticket's mail: whoever may work the ticket (404 when they may not see it, 403 for a reader).
    A system mail: holders of manage_channels."""
    if mail.ticket_id is None:
        require(uow.actor, Permission.MANAGE_CHANNELS)
        return
    codes = await tickets_queries.codes_of_tickets(uow.session, [mail.ticket_id])
    try:
        await tickets_queries.workable_ticket(uow.session, uow.actor, codes[mail.ticket_id])
    except (NotFound, KeyError):
        raise NotFound("outgoing mail") from None


async def retry_mail(uow: UnitOfWork, *, mail_id: int) -> OutgoingMail:
    """Send a failed (or waiting) mail again now, with a fresh set of attempts. A sent mail is not sent
    twice (409)."""
    require_write(uow.actor)
    mail = await _locked(uow, mail_id)
    if mail is None:
        raise NotFound("outgoing mail")
    await _require_may_retry(uow, mail)
    if mail.delivery_status == "sent":
        raise Conflict("mail_id", "this mail was sent already; it is not sent twice")
    before = {
        "status": mail.delivery_status,
        "attempts": mail.attempts,
        "error": mail.last_error,
    }
    mail.delivery_status = "queued"
    mail.attempts = 0
    mail.next_attempt_at = uow.now
    uow.history("outgoing_mail", mail.id, "retried", before=before, after={"status": "queued"})
    _announce(uow, mail)
    return mail


async def mark_bounced(
    uow: UnitOfWork, *, message_id: str, recipients: Sequence[str], reason: str
) -> OutgoingMail | None:
    """A delivery status notification says our mail `message_id` did not reach `recipients`: the mail
    is failed with the reason (also when it had been sent). None when no mail has that Message-ID."""
    wanted = message_id.strip()
    if not wanted:
        return None
    query = select(OutgoingMail).where(OutgoingMail.message_id == wanted)
    if uow.dialect == "postgresql":
        query = query.with_for_update()
    mail = (await uow.session.execute(query)).scalar_one_or_none()
    if mail is None:
        return None
    who = ", ".join(address.strip() for address in recipients if address.strip())
    cause = " ".join(reason.split())
    if cause[:8].lower() == "bounced:":
        cause = cause[8:].strip()  # said once, in the mail's error
    cause = cause or "no reason given"
    before = {"status": mail.delivery_status}
    mail.delivery_status = "failed"
    mail.next_attempt_at = None
    mail.last_error = (f"bounced ({who}): {cause}" if who else f"bounced: {cause}")[:ERROR_MAX]
    uow.history(
        "outgoing_mail",
        mail.id,
        "bounced",
        before=before,
        after={"status": "failed", "recipients": list(recipients), "reason": cause[:ERROR_MAX]},
    )
    _announce(uow, mail)
    return mail
