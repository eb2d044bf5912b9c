"""Reads of the mail domain: mailboxes with their health, addresses for intake, dead letters and the
delivery status of outgoing mail. Mailboxes and dead letters are for manage_channels holders."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import NotFound
from linka.core.pagination import check_limit, decode_cursor, encode_cursor
from linka.core.permissions import Actor, Permission, require
from linka.domains.accounts import queries as accounts_queries
from linka.domains.mail.models import DeadLetter, InboundEmail, Mailbox, MailboxAddress, OutgoingMail
from linka.domains.mail.schemas import (
    AckTemplate,
    DeadLetterOut,
    DeadLetterPage,
    DeliveryOut,
    ImapOut,
    MailboxHealth,
    MailboxOut,
    MailboxPage,
    SmtpOut,
)
from linka.domains.tickets import queries as tickets_queries

DEAD_LETTER_STATUSES = ("pending", "retried", "discarded")


async def active_mailbox_for_addresses(session: AsyncSession, addresses: Iterable[str]) -> Mailbox | None:
    """The active mailbox receiving any of these addresses (the first of them that one receives)."""
    wanted = [a.strip().lower() for a in addresses if a and a.strip()]
    if not wanted:
        return None
    rows = await session.execute(
        select(MailboxAddress.address, Mailbox)
        .join(Mailbox, Mailbox.id == MailboxAddress.mailbox_id)
        .where(MailboxAddress.address.in_(wanted), Mailbox.is_active.is_(True))
    )
    by_address: dict[str, Mailbox] = {str(address): mailbox for address, mailbox in rows.all()}
    return next((by_address[a] for a in wanted if a in by_address), None)


async def is_received_address(session: AsyncSession, address: str) -> bool:
    """Whether an active mailbox takes mail for this address (the SMTP listener's RCPT check)."""
    return await active_mailbox_for_addresses(session, [address]) is not None


async def all_received_addresses(session: AsyncSession) -> set[str]:
    rows = await session.execute(
        select(MailboxAddress.address).join(Mailbox, Mailbox.id == MailboxAddress.mailbox_id)
    )
    return {str(a) for a in rows.scalars()}


async def default_mailbox(session: AsyncSession) -> Mailbox | None:
    """The mailbox system mails leave from: the default one, else the oldest active one."""
    query = (
        select(Mailbox)
        .where(Mailbox.is_active.is_(True))
        .order_by(Mailbox.is_default.desc(), Mailbox.id)
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def mailbox_of_department(session: AsyncSession, department_id: int) -> Mailbox | None:
    query = (
        select(Mailbox)
        .where(Mailbox.is_active.is_(True), Mailbox.department_id == department_id)
        .order_by(Mailbox.is_default.desc(), Mailbox.id)
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


# ---- mailboxes for admins ---------------------------------------------------------------------------


async def _counts(session: AsyncSession, mailbox_ids: Sequence[int]) -> dict[tuple[int, str], int]:
    """(mailbox, what) -> count, for dead letters pending and mail queued/failed, in two queries."""
    counts: dict[tuple[int, str], int] = {}
    if not mailbox_ids:
        return counts
    letters = await session.execute(
        select(DeadLetter.mailbox_id, func.count())
        .where(DeadLetter.mailbox_id.in_(mailbox_ids), DeadLetter.status == "pending")
        .group_by(DeadLetter.mailbox_id)
    )
    for mailbox_id, count in letters.all():
        counts[(int(mailbox_id or 0), "dead")] = int(count)
    mail = await session.execute(
        select(OutgoingMail.mailbox_id, OutgoingMail.delivery_status, func.count())
        .where(
            OutgoingMail.mailbox_id.in_(mailbox_ids), OutgoingMail.delivery_status.in_(["queued", "failed"])
        )
        .group_by(OutgoingMail.mailbox_id, OutgoingMail.delivery_status)
    )
    for mailbox_id, status, count in mail.all():
        counts[(int(mailbox_id or 0), str(status))] = int(count)
    return counts


def _health(mailbox: Mailbox, counts: dict[tuple[int, str], int]) -> MailboxHealth:
    if not mailbox.is_active:
        status = "inactive"
    elif mailbox.last_error is not None and mailbox.imap_failures > 0:
        status = "failing"
    elif mailbox.imap_enabled and mailbox.last_fetch_at is None:
        status = "idle"
    else:
        status = "ok"
    return MailboxHealth(
        status=status,  # type: ignore[arg-type]
        last_fetch_at=mailbox.last_fetch_at,
        last_received_at=mailbox.last_received_at,
        last_error=mailbox.last_error,
        last_error_at=mailbox.last_error_at,
        consecutive_failures=mailbox.imap_failures,
        next_poll_at=mailbox.imap_next_poll_at if mailbox.imap_enabled else None,
        dead_letters=counts.get((mailbox.id, "dead"), 0),
        queued_mail=counts.get((mailbox.id, "queued"), 0),
        failed_mail=counts.get((mailbox.id, "failed"), 0),
    )


async def mailbox_outs(session: AsyncSession, mailboxes: Sequence[Mailbox]) -> list[MailboxOut]:
    """The API view of mailboxes, in a constant number of queries."""
    ids = [m.id for m in mailboxes]
    counts = await _counts(session, ids)
    addresses: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        rows = await session.execute(
            select(MailboxAddress.mailbox_id, MailboxAddress.address)
            .where(MailboxAddress.mailbox_id.in_(ids))
            .order_by(MailboxAddress.address)
        )
        for mailbox_id, address in rows.all():
            addresses[int(mailbox_id)].append(str(address))
    departments = await accounts_queries.public_ids_of_departments(
        session, [m.department_id for m in mailboxes]
    )
    return [
        MailboxOut(
            id=m.public_id,
            name=m.name,
            address=m.address,
            aliases=[a for a in addresses[m.id] if a != m.address],
            department_id=departments[m.department_id],
            sender_name=m.sender_name,
            is_active=m.is_active,
            is_default=m.is_default,
            smtp=SmtpOut(
                host=m.smtp_host,
                port=m.smtp_port,
                security=m.smtp_security,
                username=m.smtp_username,
                password_set=bool(m.smtp_password_sealed),
            )
            if m.smtp_host
            else None,
            imap=ImapOut(
                host=m.imap_host,
                port=m.imap_port,
                security=m.imap_security,
                username=m.imap_username,
                password_set=bool(m.imap_password_sealed),
                folder=m.imap_folder,
                poll_seconds=m.imap_poll_seconds,
                after_import=m.imap_after_import,
                move_folder=m.imap_move_folder,
                backfill_since=m.imap_backfill_since,
            )
            if m.imap_enabled
            else None,
            auto_ack_enabled=m.auto_ack_enabled,
            ack_templates={
                k: AckTemplate(subject=v["subject"], text=v["text"]) for k, v in m.ack_templates.items()
            },
            flood_limit_per_hour=m.flood_limit_per_hour,
            health=_health(m, counts),
            created_at=m.created_at,
            updated_at=m.updated_at,
        )
        for m in mailboxes
    ]


async def list_mailboxes(
    session: AsyncSession, actor: Actor, *, cursor: str | None = None, limit: int | None = None
) -> MailboxPage:
    require(actor, Permission.MANAGE_CHANNELS)
    limit = check_limit(limit)
    query = select(Mailbox).order_by(Mailbox.id).limit(limit + 1)
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(Mailbox.id > int(after[0]))
    rows = list((await session.execute(query)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return MailboxPage(
        items=await mailbox_outs(session, rows),
        next_cursor=encode_cursor([rows[-1].id]) if more and rows else None,
    )


async def mailbox_by_public_id(session: AsyncSession, actor: Actor, public_id: str) -> Mailbox:
    require(actor, Permission.MANAGE_CHANNELS)
    found = await session.execute(select(Mailbox).where(Mailbox.public_id == public_id))
    mailbox = found.scalar_one_or_none()
    if mailbox is None:
        raise NotFound("mailbox")
    return mailbox


# ---- dead letters ---------------------------------------------------------------------------------


async def dead_letter_outs(session: AsyncSession, letters: Sequence[DeadLetter]) -> list[DeadLetterOut]:
    mailbox_ids = {dl.mailbox_id for dl in letters if dl.mailbox_id is not None}
    publics: dict[int, str] = {}
    if mailbox_ids:
        rows = await session.execute(select(Mailbox.id, Mailbox.public_id).where(Mailbox.id.in_(mailbox_ids)))
        publics = {int(i): str(p) for i, p in rows.all()}
    codes = await tickets_queries.codes_of_tickets(
        session, {dl.ticket_id for dl in letters if dl.ticket_id is not None}
    )
    return [
        DeadLetterOut(
            id=dl.public_id,
            mailbox_id=publics.get(dl.mailbox_id) if dl.mailbox_id is not None else None,
            source=dl.source,
            envelope_from=dl.envelope_from,
            envelope_to=list(dl.envelope_to),
            subject=dl.subject,
            size=dl.size,
            reason=dl.reason,
            error=dl.error,
            status=dl.status,
            attempts=dl.attempts,
            ticket_code=codes.get(dl.ticket_id) if dl.ticket_id is not None else None,
            received_at=dl.received_at,
            resolved_at=dl.resolved_at,
        )
        for dl in letters
    ]


async def list_dead_letters(
    session: AsyncSession,
    actor: Actor,
    *,
    mailbox_id: int | None = None,
    status: str | None = "pending",
    cursor: str | None = None,
    limit: int | None = None,
) -> DeadLetterPage:
    """Newest first; by default the pending ones (those an admin still has to look at)."""
    require(actor, Permission.MANAGE_CHANNELS)
    limit = check_limit(limit)
    query = select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit + 1)
    if mailbox_id is not None:
        query = query.where(DeadLetter.mailbox_id == mailbox_id)
    if status is not None:
        query = query.where(DeadLetter.status == status)
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(DeadLetter.id < int(after[0]))
    rows = list((await session.execute(query)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return DeadLetterPage(
        items=await dead_letter_outs(session, rows),
        next_cursor=encode_cursor([rows[-1].id]) if more and rows else None,
    )


async def dead_letter_by_public_id(session: AsyncSession, actor: Actor, public_id: str) -> DeadLetter:
    require(actor, Permission.MANAGE_CHANNELS)
    found = await session.execute(select(DeadLetter).where(DeadLetter.public_id == public_id))
    letter = found.scalar_one_or_none()
    if letter is None:
        raise NotFound("dead letter")
    return letter


# ---- delivery status ------------------------------------------------------------------------------


def delivery_out(mail: OutgoingMail) -> DeliveryOut:
    return DeliveryOut(
        id=mail.id,
        to=mail.to_address,
        cc=list(mail.cc_addresses),
        status=mail.delivery_status,
        attempts=mail.attempts,
        next_attempt_at=mail.next_attempt_at if mail.delivery_status == "queued" else None,
        last_error=mail.last_error,
        sent_at=mail.sent_at,
        message_id=mail.message_id,
    )


async def deliveries_of_groups(
    session: AsyncSession, group_ids: Sequence[int]
) -> dict[int, list[DeliveryOut]]:
    """The outgoing mails of these thread groups (a reply has one, a forward one per address)."""
    found: dict[int, list[DeliveryOut]] = {}
    if not group_ids:
        return found
    rows = await session.execute(
        select(OutgoingMail).where(OutgoingMail.group_id.in_(group_ids)).order_by(OutgoingMail.id)
    )
    for mail in rows.scalars():
        assert mail.group_id is not None
        found.setdefault(mail.group_id, []).append(delivery_out(mail))
    return found


# ---- originals ------------------------------------------------------------------------------------


async def original_of_group(session: AsyncSession, group_id: int) -> InboundEmail:
    """The raw original of an email thread entry (the caller checked the ticket is visible)."""
    found = await session.execute(select(InboundEmail).where(InboundEmail.group_id == group_id))
    original = found.scalar_one_or_none()
    if original is None:
        raise NotFound("original email")
    return original


async def raw_hashes_of_tickets(session: AsyncSession, ticket_ids: Iterable[int]) -> list[str]:
    """Blob hashes of the originals of these tickets' emails (a purge sweeps them)."""
    ids = list(set(ticket_ids))
    if not ids:
        return []
    rows = await session.execute(select(InboundEmail.raw_sha256).where(InboundEmail.ticket_id.in_(ids)))
    return sorted({str(sha) for sha in rows.scalars()})
