"""Taking in one email, whoever delivered it (the SMTP listener, IMAP polling, the MTA pipe, a retried
dead letter). The entry point acknowledges the message only after `take_in_mail` returned: by then it
is committed as a thread entry, a dead letter, or deliberately ignored (our own mail, a bounce).

Order of work: keep the raw bytes (blob store) → parse → in one unit of work: guards, threading,
contact, ticket, message, original, acknowledgement. Anything that fails in there rolls back whole and
the message becomes a dead letter with the reason; only a failure to store *that* (database or disk
down) raises, and then the caller must not acknowledge, so the sender or the server tries again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from linka.core.blobs import BlobStore
from linka.core.errors import Conflict, LinkaError, NotFound
from linka.core.permissions import Actor, Origin, require_write, system_actor
from linka.core.uow import UnitOfWork
from linka.domains.contacts import actions as contacts_actions
from linka.domains.mail import acknowledgements, delivery_actions, queries
from linka.domains.mail.dead_letter_actions import DeadLetterIn, record_dead_letter, record_retry_outcome
from linka.domains.mail.models import InboundEmail, Mailbox, OutgoingMail
from linka.domains.mail.parsing import MailAttachment, MailParseError, ParsedMail, parse_mail, ticket_codes_in
from linka.domains.mail.queries import active_mailbox_for_addresses, all_received_addresses
from linka.domains.tickets import actions as tickets_actions
from linka.domains.tickets import queries as tickets_queries
from linka.domains.tickets import status_changes, thread_actions, thread_queries
from linka.domains.tickets.statuses import Channel, Status
from linka.domains.tickets.thread_schemas import GroupKind, NewAttachment

log = logging.getLogger("linka.mail")
# Parsing is CPU work: big messages are parsed in a thread so the event loop keeps serving.
PARSE_IN_THREAD_ABOVE = 256 * 1024
NO_SUBJECT = "(no subject)"
# Database trouble is temporary: the message is not acknowledged and comes again.
_TEMPORARY = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


class IntakeServices(Protocol):
    """What intake needs of the running Linka (entrypoints' Runtime has both)."""

    blobs: BlobStore

    def uow(self, actor: Actor) -> AbstractAsyncContextManager[UnitOfWork]: ...


@dataclass(frozen=True)
class Received:
    """What became of a message. outcome: ticket (a new one), reply (added to a ticket), duplicate (seen
    before), bounce, ignored (our own mail looping back), dead_letter."""

    outcome: str
    ticket_code: str | None = None
    dead_letter_id: str | None = None
    detail: str = ""


async def take_in_mail(
    services: IntakeServices,
    raw: bytes,
    *,
    source: str,
    mailbox_id: int | None = None,
    recipients: Sequence[str] = (),
    envelope_from: str = "",
    bypass_flood_guard: bool = False,
) -> Received:
    """Take one message in; see the module docstring. Raises only when nothing could be stored."""
    stored = await services.blobs.put_bytes(raw, max_bytes=2**31 - 1)
    return await _take_in(
        services,
        raw,
        DeadLetterIn(
            source=source,
            mailbox_id=mailbox_id,
            envelope_from=envelope_from,
            envelope_to=list(recipients),
            raw_sha256=stored.sha256,
            size=stored.size,
        ),
        bypass_flood_guard=bypass_flood_guard,
    )


async def retry_dead_letter(services: IntakeServices, actor: Actor, dead_letter_id: str) -> Received:
    """Take a dead letter in again (after the cause was fixed: a mailbox added, a bug mended). The flood
    guard does not apply: an admin chose to let it in. Taken in, it is marked retried with its ticket;
    failing again, it stays pending with the new reason."""
    async with services.uow(actor) as uow:
        require_write(actor)
        row = await queries.dead_letter_by_public_id(uow.session, actor, dead_letter_id)
        if row.status != "pending":
            raise Conflict("id", "this dead letter was taken in already")
        letter = DeadLetterIn(
            source=row.source,
            mailbox_id=row.mailbox_id,
            envelope_from=row.envelope_from,
            envelope_to=list(row.envelope_to),
            raw_sha256=row.raw_sha256,
            size=row.size,
            subject=row.subject,
            retrying_id=row.id,
        )
    try:
        raw = await asyncio.to_thread(services.blobs.read_bytes, letter.raw_sha256)
    except FileNotFoundError as exc:
        raise Conflict("id", "the message's file is missing from the blob store") from exc
    received = await _take_in(services, raw, letter, bypass_flood_guard=True, retried_by=actor)
    if received.outcome == "dead_letter":
        return received
    async with services.uow(actor) as uow:
        ticket_id = None
        if received.ticket_code is not None:
            ticket_id = (
                await tickets_queries.visible_ticket(uow.session, uow.actor, received.ticket_code)
            ).id
        await record_retry_outcome(
            uow, dead_letter_id=letter.retrying_id or 0, ticket_id=ticket_id, error=None
        )
    return received


async def _take_in(
    services: IntakeServices,
    raw: bytes,
    letter: DeadLetterIn,
    *,
    bypass_flood_guard: bool,
    retried_by: Actor | None = None,
) -> Received:
    recipients = list(letter.envelope_to)
    try:
        if len(raw) > PARSE_IN_THREAD_ABOVE:
            parsed = await asyncio.to_thread(parse_mail, raw)
        else:
            parsed = parse_mail(raw)
    except MailParseError as exc:
        return await _dead_letter(services, letter, "unparseable", exc.reason, retried_by)
    letter.subject = parsed.subject
    kept: list[str] = []
    try:
        files, skipped = await _store_attachments(services.blobs, parsed.attachments)
        kept = [file.sha256 for file in files]
        for attempt in (1, 2):
            try:
                async with services.uow(system_actor(Origin.MAIL)) as uow:
                    return await _take_in_parsed(
                        uow,
                        parsed,
                        letter,
                        files=files,
                        skipped=skipped,
                        recipients=recipients,
                        bypass_flood_guard=bypass_flood_guard,
                    )
            except Conflict:
                # Another message from the same new sender committed its contact first: once more,
                # now finding that contact.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")
    except _TEMPORARY:
        await _sweep(services, kept)
        raise
    except DBAPIError as exc:
        if exc.connection_invalidated:
            await _sweep(services, kept)
            raise
        await _sweep(services, kept)
        return await _dead_letter(services, letter, "failed", _describe(exc), retried_by)
    except _Held as held:
        await _sweep(services, kept)
        return await _dead_letter(services, letter, held.reason, held.message, retried_by)
    except (LinkaError, ValueError, LookupError, TypeError, ArithmeticError, UnicodeError) as exc:
        # A bug or an input we did not foresee: keep the message, tell the admin, take the next.
        log.exception("mail from %s could not be stored; kept as a dead letter", parsed.from_address)
        await _sweep(services, kept)
        return await _dead_letter(services, letter, "failed", _describe(exc), retried_by)


class _Held(Exception):
    """The message is fine but must wait for an admin (a flood, no mailbox for it)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


def _describe(exc: BaseException) -> str:
    if isinstance(exc, LinkaError):
        return f"{exc.message} {exc.fields}" if exc.fields else exc.message
    return f"{type(exc).__name__}: {exc}"[:2000]


async def _sweep(services: IntakeServices, hashes: list[str]) -> None:
    """Remove the files of a message that was rolled back (unless another row uses the same bytes)."""
    if not hashes:
        return
    async with services.uow(system_actor(Origin.MAIL)) as uow:
        await services.blobs.sweep_unreferenced(uow.session, hashes)


async def _dead_letter(
    services: IntakeServices, letter: DeadLetterIn, reason: str, error: str, retried_by: Actor | None
) -> Received:
    """Keep the message as a dead letter (a retried one keeps its row and gets the new reason)."""
    async with services.uow(retried_by or system_actor(Origin.MAIL)) as uow:
        if letter.retrying_id is not None:
            row = await record_retry_outcome(
                uow, dead_letter_id=letter.retrying_id, ticket_id=None, error=error
            )
            public = row.public_id
        else:
            public = await record_dead_letter(uow, letter=letter, reason=reason, error=error)
    log.warning("mail kept as dead letter %s (%s): %s", public, reason, error)
    return Received(outcome="dead_letter", dead_letter_id=public, detail=error)


async def _store_attachments(
    blobs: BlobStore, attachments: Sequence[MailAttachment]
) -> tuple[list[NewAttachment], list[MailAttachment]]:
    """Files into the blob store; those over the attachment limit are skipped (the .eml keeps them)."""
    files: list[NewAttachment] = []
    skipped: list[MailAttachment] = []
    for attachment in attachments:
        if len(attachment.data) > blobs.max_bytes:
            skipped.append(attachment)
            continue
        stored = await blobs.put_bytes(attachment.data)
        files.append(
            NewAttachment(
                sha256=stored.sha256,
                size=stored.size,
                filename=attachment.filename,
                mime_type=attachment.mime_type,
                content_id=attachment.content_id,
            )
        )
    return files, skipped


# ---- inside the unit of work ------------------------------------------------------------------------


async def _take_in_parsed(
    uow: UnitOfWork,
    parsed: ParsedMail,
    letter: DeadLetterIn,
    *,
    files: list[NewAttachment],
    skipped: list[MailAttachment],
    recipients: Sequence[str],
    bypass_flood_guard: bool,
) -> Received:
    if parsed.bounce is not None:
        return await _take_in_bounce(uow, parsed)
    if await _is_our_own(uow, parsed):
        log.info("ignored our own mail coming back: %s", parsed.message_id)
        return Received(outcome="ignored", detail="our own outgoing mail came back")
    mailbox = await _mailbox_for(uow, parsed, letter, recipients)
    letter.mailbox_id = mailbox.id
    if parsed.message_id is not None:
        earlier = await thread_queries.email_in_threads(uow.session, [parsed.message_id])
        if earlier is not None:
            return Received(outcome="duplicate", ticket_code=earlier[0], detail="Message-ID seen before")
    if not bypass_flood_guard:
        await _check_flood(uow, mailbox, parsed.from_address)

    contact = await contacts_actions.contact_for_email(
        uow, email=parsed.from_address, name=parsed.from_name, language=parsed.language, field="from"
    )
    code, forward_reply = await _thread_of(uow, parsed)
    text = _text_with_skipped(parsed.text, skipped)
    quiet = parsed.auto_reply or parsed.spam  # lands, but never reopens a ticket or gets an answer
    new_ticket = code is None
    if code is None:
        ticket = await tickets_actions.create_ticket(
            uow,
            subject=parsed.subject or NO_SUBJECT,
            contact_id=contact.id,
            department_id=mailbox.department_id,
            channel=Channel.EMAIL,
            language=parsed.language or contact.language,
            contact_found_by_address=True,
        )
        code = ticket.code
    posted = await thread_actions.add_customer_message(
        uow,
        code=code,
        text=text,
        html=parsed.html,
        quoted=parsed.quoted or None,
        kind=GroupKind.FORWARD_REPLY if forward_reply else GroupKind.INCOMING_EMAIL,
        attachments=files,
        email_message_id=parsed.message_id,
        author_contact_id=contact.id,
        reopen=not quiet,
    )
    if new_ticket and parsed.spam:
        status_changes.change_status(uow, posted.ticket, Status.SPAM)
    if posted.duplicate:
        return Received(outcome="duplicate", ticket_code=posted.ticket.code, detail="Message-ID seen before")
    ticket = posted.ticket
    await _keep_copies(uow, ticket.code, ticket.id, ticket.contact_id, parsed)
    notes = [*parsed.defects]
    if parsed.auto_reply:
        notes.append("auto-reply")
    if parsed.spam:
        notes.append("marked as spam by the mail server")
    uow.session.add(
        InboundEmail(
            group_id=posted.group.id,
            ticket_id=ticket.id,
            mailbox_id=mailbox.id,
            message_id=parsed.message_id,
            from_address=parsed.from_address,
            source=letter.source,
            raw_sha256=letter.raw_sha256,
            size=letter.size,
            notes=notes,
            received_at=uow.now,
        )
    )
    mailbox.last_received_at = uow.now
    started = new_ticket or posted.follow_up
    if started and not quiet and mailbox.auto_ack_enabled:
        await acknowledgements.queue_acknowledgement(
            uow,
            mailbox=mailbox,
            ticket=acknowledgements.AcknowledgedTicket(
                id=ticket.id,
                code=ticket.code,
                subject=ticket.subject,
                department_id=ticket.department_id,
                language=ticket.language,
            ),
            contact_name=contact.name,
            contact_language=contact.language,
            parsed=parsed,
        )
    return Received(outcome="ticket" if started else "reply", ticket_code=ticket.code)


async def _take_in_bounce(uow: UnitOfWork, parsed: ParsedMail) -> Received:
    """A delivery report: the mail it names is marked failed; no ticket, and never an answer."""
    bounce = parsed.bounce
    assert bounce is not None
    reason = f"bounced: {bounce.status} {bounce.diagnostic}".strip()
    if not bounce.permanent:
        # A delay report (4.x.x): the mail server is still trying; nothing has failed yet.
        return Received(outcome="ignored", detail=f"delivery delayed: {bounce.status}")
    mail = None
    if bounce.original_message_id is not None:
        mail = await delivery_actions.mark_bounced(
            uow, message_id=bounce.original_message_id, recipients=bounce.recipients, reason=reason
        )
    if mail is None:
        log.info("a bounce for mail we do not know (%s) was ignored", bounce.original_message_id)
        return Received(outcome="ignored", detail="a bounce for mail Linka did not send")
    codes = await tickets_queries.codes_of_tickets(uow.session, [mail.ticket_id] if mail.ticket_id else [])
    return Received(outcome="bounce", ticket_code=codes.get(mail.ticket_id or 0), detail=reason)


async def _is_our_own(uow: UnitOfWork, parsed: ParsedMail) -> bool:
    """Our own mail looping back: a Message-ID we gave, or a sender that is one of our mailboxes."""
    if parsed.message_id is not None:
        found = await uow.session.execute(
            select(OutgoingMail.id).where(OutgoingMail.message_id == parsed.message_id).limit(1)
        )
        if found.first() is not None:
            return True
    return parsed.from_address in await all_received_addresses(uow.session)


async def _mailbox_for(
    uow: UnitOfWork, parsed: ParsedMail, letter: DeadLetterIn, recipients: Sequence[str]
) -> Mailbox:
    if letter.mailbox_id is not None:
        mailbox = await uow.session.get(Mailbox, letter.mailbox_id)
        if mailbox is not None:
            return mailbox
    for candidates in (recipients, parsed.delivered_to, parsed.to, parsed.cc):
        found = await active_mailbox_for_addresses(uow.session, candidates)
        if found is not None:
            return found
    raise _Held("no_mailbox", "no active mailbox receives any of the message's addresses")


async def _check_flood(uow: UnitOfWork, mailbox: Mailbox, sender: str) -> None:
    since = uow.now - timedelta(hours=1)
    count = await uow.session.scalar(
        select(func.count()).where(
            InboundEmail.mailbox_id == mailbox.id,
            InboundEmail.from_address == sender,
            InboundEmail.received_at >= since,
        )
    )
    if (count or 0) >= mailbox.flood_limit_per_hour:
        raise _Held(
            "throttled",
            f"{sender} sent {count} messages to this mailbox within an hour (limit "
            f"{mailbox.flood_limit_per_hour}); held so a mail loop cannot flood the queue",
        )


async def _thread_of(uow: UnitOfWork, parsed: ParsedMail) -> tuple[str | None, bool]:
    """(ticket code, is a reply to a forward): In-Reply-To/References against the Message-IDs of the
    threads, then against our outgoing mail, then a ticket code in the subject."""
    ids = [*parsed.in_reply_to, *reversed(parsed.references)]
    found = await thread_queries.email_in_threads(uow.session, ids)
    if found is not None:
        code, kind = found
        return code, kind is GroupKind.FORWARD
    if ids:
        rows = await uow.session.execute(
            select(OutgoingMail.message_id, OutgoingMail.ticket_id, OutgoingMail.kind).where(
                OutgoingMail.message_id.in_(ids[:50]), OutgoingMail.ticket_id.is_not(None)
            )
        )
        by_id = {str(mid): (int(ticket_id or 0), str(kind)) for mid, ticket_id, kind in rows.all()}
        match = next((by_id[mid] for mid in ids if mid in by_id), None)
        if match is not None:
            codes = await tickets_queries.codes_of_tickets(uow.session, [match[0]])
            return codes[match[0]], match[1] == "forward"
    for candidate in ticket_codes_in(parsed.subject):
        try:
            ticket = await tickets_queries.visible_ticket(uow.session, uow.actor, candidate)
        except NotFound:
            continue
        return ticket.code, False
    return None, False


def _text_with_skipped(text: str, skipped: Sequence[MailAttachment]) -> str:
    if not skipped:
        return text
    names = ", ".join(f"{a.filename} ({len(a.data) // (1024 * 1024)} MB)" for a in skipped)
    return f"{text}\n\n[Linka: too large to keep as attachments, still in the original .eml: {names}]".strip()


async def _keep_copies(
    uow: UnitOfWork, code: str, ticket_id: int, contact_id: int, parsed: ParsedMail
) -> None:
    """Everyone the customer wrote to besides us becomes a CC of the ticket, for reply-all."""
    ours = await all_received_addresses(uow.session)
    others = [
        a for a in dict.fromkeys([*parsed.to, *parsed.cc]) if a not in ours and a != parsed.from_address
    ][:20]
    if not others:
        return
    ids = []
    for address in others:
        try:
            contact = await contacts_actions.contact_for_email(uow, email=address, field="cc")
        except LinkaError:
            continue  # an address we cannot use is not worth losing the message over
        if contact.id != contact_id:
            ids.append(contact.id)
    current = await tickets_queries.cc_contact_ids(uow.session, ticket_id)
    if set(ids) - set(current):
        await tickets_actions.update_ticket(uow, code=code, cc_contact_ids=sorted({*current, *ids}))
