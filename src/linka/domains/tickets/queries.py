"""Reads of tickets with the actor's permissions applied.

`visible_ticket_condition` is the one rule of who sees which ticket; every list, count, search and the
visibility of contacts (contacts/queries.py) compose it into SQL so they can never disagree.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from linka.core.errors import Forbidden, NotFound
from linka.core.ids import normalise_ticket_code
from linka.core.permissions import Actor, DepartmentRole
from linka.domains.tickets.models import Ticket, TicketCc


def _condition(actor: Actor, role: DepartmentRole) -> ColumnElement[bool]:
    if actor.is_admin:  # owners, admins and the system actor
        return true()
    return _condition_for(tuple(sorted(actor.departments_at_least(role))), actor.agent_id)


@functools.lru_cache(maxsize=4096)
def _condition_for(departments: tuple[int, ...], agent_id: int | None) -> ColumnElement[bool]:
    """Kept per scope (departments, agent): every list and count of a request composes it, and the
    expression is the same until the agent's departments change (then the key changes)."""
    conditions: list[ColumnElement[bool]] = []
    if departments:
        conditions.append(Ticket.department_id.in_(departments))
    if agent_id is not None:
        # NULL-safe, so that the negation (`~condition`) holds for unassigned tickets too.
        conditions.append(and_(Ticket.assignee_id.is_not(None), Ticket.assignee_id == agent_id))
    return or_(*conditions) if conditions else false()


def visible_ticket_condition(actor: Actor) -> ColumnElement[bool]:
    """Tickets the actor may see: all for admins; for an agent, those of departments where they are a
    reader or more, and those assigned to them."""
    return _condition(actor, DepartmentRole.READER)


def workable_ticket_condition(actor: Actor) -> ColumnElement[bool]:
    """Tickets the actor may work (reply, change): all for admins; for an agent, those of departments
    where they are a solver or more, and those assigned to them."""
    return _condition(actor, DepartmentRole.SOLVER)


def visible_tickets_of_contact_exist(
    actor: Actor, contact_id: ColumnElement[int] | InstrumentedAttribute[int]
) -> ColumnElement[bool]:
    """EXISTS(a ticket of this contact the actor may see); `contact_id` is usually the outer
    query's `Contact.id`, which the subquery correlates to."""
    return select(Ticket.id).where(Ticket.contact_id == contact_id, visible_ticket_condition(actor)).exists()


def visible_ticket_exists(
    actor: Actor, ticket_id: ColumnElement[int] | InstrumentedAttribute[int | None]
) -> ColumnElement[bool]:
    """EXISTS(the ticket `ticket_id`, and the actor may see it): for lists of other things that name a
    ticket (e.g. outgoing mail), correlated to the outer query's column."""
    return select(Ticket.id).where(Ticket.id == ticket_id, visible_ticket_condition(actor)).exists()


async def count_tickets_of_contact(session: AsyncSession, contact_id: int) -> int:
    """Every ticket of a contact, visible or not (deleting a contact with tickets is refused)."""
    query = select(func.count()).select_from(Ticket).where(Ticket.contact_id == contact_id)
    return int((await session.execute(query)).scalar_one())


async def invisible_tickets_of_contact(session: AsyncSession, actor: Actor, contact_id: int) -> int:
    """How many tickets of a contact the actor may not see."""
    query = (
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.contact_id == contact_id, ~visible_ticket_condition(actor))
    )
    return int((await session.execute(query)).scalar_one())


async def ticket_ids_of_contact(session: AsyncSession, contact_id: int) -> list[int]:
    rows = await session.execute(select(Ticket.id).where(Ticket.contact_id == contact_id).order_by(Ticket.id))
    return list(rows.scalars())


async def _ticket_by_code(session: AsyncSession, code: str, *, for_update: bool = False) -> Ticket | None:
    """The ticket a code names, following merges: a merged ticket's code resolves to its target.
    `for_update` locks it on PostgreSQL in the same read, serialising concurrent writers of one ticket
    (SQLite's BEGIN IMMEDIATE already does); the rows of a merge chain on the way are locked too."""
    lock = for_update and session.get_bind().dialect.name == "postgresql"

    async def read(condition: ColumnElement[bool]) -> Ticket | None:
        query = select(Ticket).where(condition)
        if lock:  # fresh values, even for a ticket this session read before without the lock
            query = query.with_for_update().execution_options(populate_existing=True)
        return (await session.execute(query)).scalar_one_or_none()

    ticket = await read(Ticket.code == normalise_ticket_code(code))
    seen = 0
    while ticket is not None and ticket.merged_into_id is not None and seen < 10:
        ticket = await read(Ticket.id == ticket.merged_into_id)
        seen += 1
    return ticket


async def visible_ticket(session: AsyncSession, actor: Actor, code: str) -> Ticket:
    """The ticket by code (merged codes follow to the target), or 404 when it does not exist or the
    actor may not see it (the API never reveals which)."""
    ticket = await _ticket_by_code(session, code)
    if ticket is None or not await _satisfies(session, ticket.id, visible_ticket_condition(actor)):
        raise NotFound("ticket")
    return ticket


async def workable_ticket(session: AsyncSession, actor: Actor, code: str) -> Ticket:
    """The ticket for a change: 404 when invisible, 403 when visible but only as a reader; locked
    for the rest of the transaction on PostgreSQL."""
    ticket = await _ticket_by_code(session, code, for_update=True)
    if ticket is None:
        raise NotFound("ticket")
    # Both rules in one statement: this runs before every change to a ticket.
    query = select(visible_ticket_condition(actor), workable_ticket_condition(actor)).where(
        Ticket.id == ticket.id
    )
    visible, workable = (await session.execute(query)).one()
    if not visible:
        raise NotFound("ticket")
    if not workable:
        raise Forbidden("you may read this ticket but not work on it")
    return ticket


async def _satisfies(session: AsyncSession, ticket_id: int, condition: ColumnElement[bool]) -> bool:
    query = select(Ticket.id).where(Ticket.id == ticket_id, condition)
    return (await session.execute(query)).first() is not None


async def cc_contact_ids(session: AsyncSession, ticket_id: int) -> list[int]:
    rows = await session.execute(
        select(TicketCc.contact_id).where(TicketCc.ticket_id == ticket_id).order_by(TicketCc.contact_id)
    )
    return [int(contact_id) for contact_id in rows.scalars()]


async def codes_of_tickets(session: AsyncSession, ticket_ids: Iterable[int]) -> dict[int, str]:
    """Ticket codes by key, in one query (for lists that name tickets, e.g. dead letters)."""
    ids = list(set(ticket_ids))
    if not ids:
        return {}
    rows = await session.execute(select(Ticket.id, Ticket.code).where(Ticket.id.in_(ids)))
    return {int(ticket_id): str(code) for ticket_id, code in rows.all()}
