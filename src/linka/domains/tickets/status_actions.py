"""Status changes an agent or a worker makes: postpone, wake, resolve, reopen, spam, trash, restore,
close after N days, purge. Each goes through `statuses.check_transition` and `change_status`, which
keeps the metric columns, history and events in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from linka.core.errors import Conflict, Forbidden, Invalid
from linka.core.permissions import Permission, require_write
from linka.core.uow import UnitOfWork
from linka.domains.fields import actions as fields_actions
from linka.domains.mail import queries as mail_queries
from linka.domains.tickets import queries, thread_actions, thread_queries
from linka.domains.tickets.events import TicketsPurged
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.status_changes import change_status
from linka.domains.tickets.statuses import TRASH, Status
from linka.domains.tickets.thread_schemas import GroupKind

MAX_POSTPONE = timedelta(days=366)


async def set_ticket_status(
    uow: UnitOfWork, *, code: str, status: Status, custom_status_id: int | None = None
) -> Ticket:
    """Move a ticket to a status (or a custom status, whose category is `status`) the table allows.
    Postponing needs a time: use `postpone_ticket`."""
    require_write(uow.actor)
    if status is Status.POSTPONED:
        raise Invalid("status", "postpone with a time: POST …/postpone")
    if status in (Status.INIT, Status.CHATTING, Status.CALLING):
        raise Invalid("status", "%(status)s is set by the channels, not by hand", values={"status": status})
    ticket = await queries.workable_ticket(uow.session, uow.actor, code)
    if change_status(uow, ticket, status, custom_status_id=custom_status_id) and status is Status.RESOLVED:
        await thread_actions.add_system_line(
            uow,
            ticket_id=ticket.id,
            kind=GroupKind.RESOLVE,
            text=f"Resolved by {uow.actor.name}",
            line={"event": "resolved", "agent": uow.actor.name},
        )
    return ticket


async def postpone_ticket(uow: UnitOfWork, *, code: str, until: datetime) -> Ticket:
    """Snooze a ticket until a time; the worker (`wake_postponed_tickets`) opens it then."""
    require_write(uow.actor)
    if until.tzinfo is None:
        raise Invalid("until", "give a time zone (e.g. 2026-12-01T09:00:00+01:00)")
    if until <= uow.now:
        raise Invalid("until", "must be in the future")
    if until - uow.now > MAX_POSTPONE:
        raise Invalid("until", "at most a year ahead")
    ticket = await queries.workable_ticket(uow.session, uow.actor, code)
    before_until = ticket.postponed_until
    change_status(uow, ticket, Status.POSTPONED)
    ticket.postponed_until = until
    await thread_actions.add_system_line(
        uow,
        ticket_id=ticket.id,
        kind=GroupKind.POSTPONE,
        text=f"Postponed by {uow.actor.name} until {until.isoformat(timespec='minutes')}",
        line={"event": "postponed", "agent": uow.actor.name, "until": until.isoformat()},
    )
    uow.history_of_changes(
        "ticket", ticket.id, before={"postponed_until": before_until}, after={"postponed_until": until}
    )
    return ticket


async def wake_postponed_tickets(uow: UnitOfWork, *, limit: int = 200) -> list[int]:
    """Worker: open every postponed ticket whose time has come. Returns the woken ticket ids."""
    query = (
        select(Ticket)
        .where(Ticket.status == Status.POSTPONED.value, Ticket.postponed_until <= uow.now)
        .order_by(Ticket.postponed_until, Ticket.id)
        .limit(limit)
    )
    if uow.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    woken = list((await uow.session.execute(query)).scalars())
    for ticket in woken:
        change_status(uow, ticket, Status.OPEN)
    return [ticket.id for ticket in woken]


async def close_resolved_tickets(uow: UnitOfWork, *, after_days: int, limit: int = 500) -> list[int]:
    """Worker: lock tickets resolved at least `after_days` ago (0 or less: never)."""
    if after_days <= 0:
        return []
    query = (
        select(Ticket)
        .where(
            Ticket.status == Status.RESOLVED.value, Ticket.resolved_at <= uow.now - timedelta(days=after_days)
        )
        .order_by(Ticket.resolved_at, Ticket.id)
        .limit(limit)
    )
    if uow.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    closing = list((await uow.session.execute(query)).scalars())
    for ticket in closing:
        change_status(uow, ticket, Status.CLOSED)
    return [ticket.id for ticket in closing]


async def restore_ticket(uow: UnitOfWork, *, code: str) -> Ticket:
    """Take a ticket out of spam or the trash, back to the status it had before."""
    require_write(uow.actor)
    ticket = await queries.workable_ticket(uow.session, uow.actor, code)
    if Status(ticket.status) not in TRASH:
        raise Conflict(
            "status", "the ticket is %(status)s, not in spam or the trash", values={"status": ticket.status}
        )
    previous = Status(ticket.status_before_trash or Status.OPEN.value)
    change_status(uow, ticket, previous)
    ticket.status_before_trash = None
    return ticket


@dataclass(frozen=True)
class Purged:
    codes: list[str]
    # Blobs the purged attachments used: sweep them from the store after the commit.
    blob_hashes: list[str]


async def purge_tickets(uow: UnitOfWork, *, codes: list[str]) -> Purged:
    """Owners only: remove tickets in spam or the trash for good, thread and attachment rows too.
    The caller sweeps the blob store after commit (the files may be shared with other tickets)."""
    require_write(uow.actor)
    if not uow.actor.has(Permission.PURGE_DATA):
        raise Forbidden("only an owner purges tickets")
    tickets = [await queries.visible_ticket(uow.session, uow.actor, code) for code in codes]
    for ticket in tickets:
        if Status(ticket.status) not in TRASH:
            raise Conflict(
                "status",
                "%(code)s is %(status)s: mark it spam or delete it first",
                values={"code": ticket.code, "status": ticket.status},
            )
    ids = [ticket.id for ticket in tickets]
    # Merged tickets pointing here lose their target: purge them with it, so their codes stop resolving.
    merged = select(Ticket.id).where(Ticket.merged_into_id.in_(ids))
    ids += [int(ticket_id) for ticket_id in (await uow.session.execute(merged)).scalars()]
    blob_hashes = await thread_queries.blob_hashes_of_tickets(uow.session, ids)
    # The original .eml files of the tickets' emails go too.
    blob_hashes += await mail_queries.raw_hashes_of_tickets(uow.session, ids)
    await uow.forget_history("ticket", ids)
    await fields_actions.delete_values(uow, entity="ticket", entity_ids=ids)  # no foreign key to cascade
    await uow.session.execute(
        delete(Ticket).where(Ticket.id.in_(ids)).execution_options(synchronize_session=False)
    )
    for ticket in tickets:
        # Who purged what stays on record, with nothing of the content but the code.
        uow.history("ticket", ticket.id, "purged", before={"code": ticket.code})
    for ticket in tickets:
        uow.session.expunge(ticket)
    uow.record(TicketsPurged(ticket_ids=tuple(ids)))
    return Purged(codes=[ticket.code for ticket in tickets], blob_hashes=blob_hashes)
