"""Reads for outgoing mail delivery: what the worker needs to send a claimed mail (the row, the mailbox
it leaves from, the sender identity) and the delivery status of a ticket's mails for the API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import Invalid
from linka.core.pagination import check_limit, decode_cursor, encode_cursor
from linka.core.permissions import Actor, Permission, require
from linka.domains.accounts import queries as accounts_queries
from linka.domains.mail import queries
from linka.domains.mail.models import Mailbox, OutgoingMail
from linka.domains.mail.schemas import DeliveryOut
from linka.domains.tickets import queries as tickets_queries


class TicketDeliveryOut(DeliveryOut, kw_only=True):
    """An outgoing mail of a ticket: what it was (reply, forward, ack…), its subject and when it was
    written, with its delivery status."""

    kind: str
    subject: str
    created_at: datetime


class TicketDeliveryPage(msgspec.Struct, kw_only=True):
    items: list[TicketDeliveryOut]
    next_cursor: str | None


async def mailbox_groups(session: AsyncSession, mail_ids: Sequence[int]) -> list[list[int]]:
    """The mail ids grouped by the mailbox they are queued for, each group in the order given: one
    server's mails go one after another, different servers' side by side."""
    if not mail_ids:
        return []
    rows = await session.execute(
        select(OutgoingMail.id, OutgoingMail.mailbox_id).where(OutgoingMail.id.in_(mail_ids))
    )
    mailbox_of = {int(mail_id): mailbox_id for mail_id, mailbox_id in rows.all()}
    groups: dict[int | None, list[int]] = {}
    for mail_id in mail_ids:
        if mail_id in mailbox_of:
            groups.setdefault(mailbox_of[mail_id], []).append(mail_id)
    return list(groups.values())


async def mail_for_delivery(session: AsyncSession, mail_id: int) -> OutgoingMail | None:
    return await session.get(OutgoingMail, mail_id)


async def sending_mailbox(
    session: AsyncSession, mail: OutgoingMail, *, ticket_department_id: int | None = None
) -> Mailbox | None:
    """The mailbox a mail leaves from: the one it was queued for while it is active; else (it was
    deleted or switched off, or there was none when the mail was queued) the ticket's department's
    mailbox, else the default one. None: there is no mailbox at all."""
    if mail.mailbox_id is not None:
        mailbox = await session.get(Mailbox, mail.mailbox_id)
        if mailbox is not None and mailbox.is_active:
            return mailbox
    if ticket_department_id is not None:
        mailbox = await queries.mailbox_of_department(session, ticket_department_id)
        if mailbox is not None:
            return mailbox
    return await queries.default_mailbox(session)


async def department_name(session: AsyncSession, mailbox: Mailbox | None) -> str:
    """The name of the mailbox's department (the sender identity when the mailbox names none)."""
    if mailbox is None:
        return ""
    names = await accounts_queries.department_names(session, [mailbox.department_id])
    return names.get(mailbox.department_id, "")


def ticket_delivery_out(mail: OutgoingMail) -> TicketDeliveryOut:
    base = queries.delivery_out(mail)
    return TicketDeliveryOut(
        **{field: getattr(base, field) for field in base.__struct_fields__},
        kind=mail.kind,
        subject=mail.subject,
        created_at=mail.created_at,
    )


async def ticket_deliveries(
    session: AsyncSession, actor: Actor, code: str, *, cursor: str | None = None, limit: int | None = None
) -> TicketDeliveryPage:
    """The outgoing mails of a ticket the actor may see (404 otherwise), newest first."""
    ticket = await tickets_queries.visible_ticket(session, actor, code)
    size = check_limit(limit)
    query = (
        select(OutgoingMail)
        .where(OutgoingMail.ticket_id == ticket.id)
        .order_by(OutgoingMail.id.desc())
        .limit(size + 1)
    )
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(OutgoingMail.id < _cursor_id(after[0]))
    rows = list((await session.execute(query)).scalars())
    more = len(rows) > size
    rows = rows[:size]
    return TicketDeliveryPage(
        items=[ticket_delivery_out(mail) for mail in rows],
        next_cursor=encode_cursor([rows[-1].id]) if more and rows else None,
    )


class FailedMailOut(TicketDeliveryOut, kw_only=True):
    """A mail that could not be delivered, with the ticket it belongs to (None: a system mail, such as
    an invitation or a password reset)."""

    ticket_code: str | None


class FailedMailPage(msgspec.Struct, kw_only=True):
    items: list[FailedMailOut]
    next_cursor: str | None


async def failed_mail(
    session: AsyncSession, actor: Actor, *, cursor: str | None = None, limit: int | None = None
) -> FailedMailPage:
    """Mail that failed for good, newest first, for holders of manage_channels to retry: system mails,
    and the mails of tickets the actor may see. Two queries whatever the page size."""
    require(actor, Permission.MANAGE_CHANNELS)
    size = check_limit(limit)
    query = (
        select(OutgoingMail)
        .where(
            OutgoingMail.delivery_status == "failed",
            or_(
                OutgoingMail.ticket_id.is_(None),
                tickets_queries.visible_ticket_exists(actor, OutgoingMail.ticket_id),
            ),
        )
        .order_by(OutgoingMail.id.desc())
        .limit(size + 1)
    )
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(OutgoingMail.id < _cursor_id(after[0]))
    rows = list((await session.execute(query)).scalars())
    more = len(rows) > size
    rows = rows[:size]
    codes = await tickets_queries.codes_of_tickets(
        session, [mail.ticket_id for mail in rows if mail.ticket_id is not None]
    )
    items = [
        FailedMailOut(
            **{field: getattr(base, field) for field in base.__struct_fields__},
            ticket_code=codes.get(mail.ticket_id) if mail.ticket_id is not None else None,
        )
        for mail in rows
        for base in [ticket_delivery_out(mail)]
    ]
    return FailedMailPage(items=items, next_cursor=encode_cursor([rows[-1].id]) if more and rows else None)


def _cursor_id(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid("cursor", "not a cursor this API handed out")
    return value
