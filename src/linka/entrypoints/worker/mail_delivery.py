"""Delivering outgoing mail: claim a batch of due mails in one short transaction, then for each mail
load what it needs, compose it and hand it to its mailbox's SMTP server — outside any transaction —
and record the outcome in its own short transaction.

Mails of one mailbox go one after another; different mailboxes' side by side (a few at once). One mail
failing, even with an unexpected error, never stops the others. A mail is only sent while this worker's
claim on it holds, so two workers never send it both.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from linka.core import clock
from linka.core.permissions import Origin, system_actor
from linka.domains.mail import delivery_actions, delivery_queries
from linka.domains.mail.composing import OutgoingFile, compose_message
from linka.domains.mail.models import Mailbox
from linka.domains.mail.smtp_client import DeliveryError, send_message, smtp_password
from linka.domains.tickets import outgoing_files
from linka.entrypoints.runtime import Runtime

log = logging.getLogger("linka.worker.mail")

# runner.FULL_BATCH: a job that handled a full batch runs again at once.
BATCH = 200
# Longer than a send may take: a worker that dies mid-batch leaves its mails due again after this.
LEASE = timedelta(minutes=10)
SEND_TIMEOUT = 60.0
PARALLEL_MAILBOXES = 4
SYSTEM = system_actor(Origin.SYSTEM)


@dataclass
class _Prepared:
    mailbox: Mailbox | None
    message: EmailMessage
    password: str


async def deliver_mail(runtime: Runtime, *, batch: int = BATCH) -> int:
    """Send the mail that is due (up to `batch` mails); returns how many mails were claimed."""
    async with runtime.uow(SYSTEM) as uow:
        claimed = await delivery_actions.claim_due_mail(uow, limit=batch, lease=LEASE)
        lease_until = uow.now + LEASE
    if not claimed:
        return 0
    async with runtime.db.read_session() as session:
        groups = await delivery_queries.mailbox_groups(session, claimed)
    gate = asyncio.Semaphore(PARALLEL_MAILBOXES)

    async def one_mailbox(mail_ids: list[int]) -> None:
        async with gate:
            await _deliver_group(runtime, mail_ids, lease_until)

    await asyncio.gather(*(one_mailbox(group) for group in groups))
    return len(claimed)


async def _deliver_group(runtime: Runtime, mail_ids: list[int], lease_until: datetime) -> None:
    unreachable: DeliveryError | None = None
    for mail_id in mail_ids:
        try:
            if unreachable is not None:
                # The server could not be reached a moment ago: the rest wait for their next attempt.
                await _record(runtime, mail_id, unreachable)
            else:
                outcome = await _deliver_one(runtime, mail_id, lease_until)
                if isinstance(outcome, DeliveryError) and outcome.unreachable:
                    unreachable = outcome
        except Exception:
            # Left claimed: it is due again when the lease ends.
            log.exception("delivering outgoing mail %s failed unexpectedly", mail_id)


async def _deliver_one(runtime: Runtime, mail_id: int, lease_until: datetime) -> DeliveryError | None:
    if clock.now() + timedelta(seconds=SEND_TIMEOUT) >= lease_until:
        async with runtime.uow(SYSTEM) as uow:
            await delivery_actions.release_claim(uow, mail_id=mail_id, lease_until=lease_until)
        return None
    try:
        prepared = await _prepare(runtime, mail_id, lease_until)
        if prepared is None:
            return None  # retried, bounced or re-claimed meanwhile: not this worker's any more
        refused = await send_message(
            prepared.mailbox, prepared.password, prepared.message, timeout=SEND_TIMEOUT
        )
    except DeliveryError as error:
        log.warning("outgoing mail %s not sent (%s): %s", mail_id, _kind(error), error.message)
        await _record(runtime, mail_id, error)
        return error
    async with runtime.uow(SYSTEM) as uow:
        await delivery_actions.record_sent(
            uow,
            mail_id=mail_id,
            mailbox_id=prepared.mailbox.id if prepared.mailbox is not None else None,
            refused=refused,
        )
    return None


def _kind(error: DeliveryError) -> str:
    return "permanent" if error.permanent else "will retry"


async def _record(runtime: Runtime, mail_id: int, error: DeliveryError) -> None:
    async with runtime.uow(SYSTEM) as uow:
        await delivery_actions.record_failure(
            uow, mail_id=mail_id, error=error.message, permanent=error.permanent
        )


async def _prepare(runtime: Runtime, mail_id: int, lease_until: datetime) -> _Prepared | None:
    """The composed message of a mail this worker holds, or None when it holds it no more."""
    async with runtime.db.read_session() as session:
        mail = await delivery_queries.mail_for_delivery(session, mail_id)
        if mail is None or mail.delivery_status != "queued" or mail.next_attempt_at != lease_until:
            return None
        department_id = (
            await outgoing_files.department_of_ticket(session, mail.ticket_id)
            if mail.ticket_id is not None
            else None
        )
        mailbox = await delivery_queries.sending_mailbox(session, mail, ticket_department_id=department_id)
        department = await delivery_queries.department_name(session, mailbox)
        stored = await outgoing_files.files_of_group(session, mail.group_id) if mail.group_id else []
    if mailbox is None:
        raise DeliveryError("no mailbox to send from: add one in the admin")
    password = smtp_password(mailbox, runtime.sealer)
    files = []
    for filename, mime_type, sha256 in stored:
        try:
            data = await asyncio.to_thread(runtime.blobs.read_bytes, sha256)
        except (FileNotFoundError, ValueError) as exc:
            raise DeliveryError(f"the attachment {filename} is missing from the file store") from exc
        files.append(OutgoingFile(filename=filename, mime_type=mime_type, data=data))
    try:
        message = compose_message(mail, mailbox, department_name=department, files=files)
    except (ValueError, TypeError, LookupError) as exc:
        raise DeliveryError(f"the mail cannot be written: {exc}", permanent=True) from exc
    return _Prepared(mailbox=mailbox, message=message, password=password)
