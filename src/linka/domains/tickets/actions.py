"""Writes of the tickets domain. The tickets issue extends this; for now: creating a ticket and moving
a contact's tickets to another contact (contacts merged)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from linka.core.errors import Forbidden, Invalid
from linka.core.ids import ticket_code
from linka.core.permissions import DepartmentRole, department_role_at_least, require_write
from linka.core.uow import UnitOfWork

# The accounts domain offers no query for these yet; read its tables here until it does.
from linka.domains.accounts.models import Agent, Department, DepartmentMember
from linka.domains.contacts import queries as contacts_queries
from linka.domains.tickets import queries
from linka.domains.tickets.events import TicketCreated, TicketsContactChanged
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.statuses import Channel, Priority, Status, check_transition

SUBJECT_MAX = 500


def ticket_snapshot(ticket: Ticket) -> dict[str, Any]:
    return {
        "code": ticket.code,
        "subject": ticket.subject,
        "contact_id": ticket.contact_id,
        "department_id": ticket.department_id,
        "assignee_id": ticket.assignee_id,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "language": ticket.language,
    }


async def _may_work_in(uow: UnitOfWork, agent_id: int, department_id: int) -> bool:
    row = await uow.session.execute(
        select(DepartmentMember.role)
        .join(Agent, Agent.id == DepartmentMember.agent_id)
        .where(
            DepartmentMember.agent_id == agent_id,
            DepartmentMember.department_id == department_id,
            Agent.is_active.is_(True),
        )
    )
    role = row.scalar_one_or_none()
    return role is not None and DepartmentRole(role).at_least(DepartmentRole.SOLVER)


async def create_ticket(
    uow: UnitOfWork,
    *,
    subject: str,
    contact_id: int,
    department_id: int,
    assignee_id: int | None = None,
    channel: Channel = Channel.WEB,
    language: str | None = None,
    priority: Priority = Priority.NORMAL,
    status: Status = Status.NEW,
    follow_up_of_id: int | None = None,
) -> Ticket:
    """A new ticket (status `new`, or `chatting`/`calling` for a live one). An agent needs solver or
    more in the department (admins: anywhere); channels (mail, chat, the system) create anywhere. The
    contact must be one the actor may see, the assignee a solver or more in the department. The thread
    is added by the caller (thread actions); `follow_up_of_id` links a ticket opened by a reply to a
    closed one."""
    require_write(uow.actor)
    if uow.actor.agent_id is not None and not department_role_at_least(
        uow.actor, department_id, DepartmentRole.SOLVER
    ):
        raise Forbidden("you do not work tickets of this department")
    check_transition(Status.INIT, status)
    subject = " ".join(subject.split())
    if len(subject) > SUBJECT_MAX:
        raise Invalid("subject", f"at most {SUBJECT_MAX} characters")
    if "\x00" in subject:
        raise Invalid("subject", "must not contain NUL characters")
    if await uow.session.get(Department, department_id) is None:
        raise Invalid("department_id", "no such department")
    if not await contacts_queries.contact_is_visible(uow.session, uow.actor, contact_id):
        raise Invalid("contact_id", "no such contact")
    if assignee_id is not None and not await _may_work_in(uow, assignee_id, department_id):
        raise Invalid("assignee_id", "this agent does not work tickets of the department")
    ticket = Ticket(
        code=ticket_code(),
        subject=subject,
        contact_id=contact_id,
        department_id=department_id,
        assignee_id=assignee_id,
        status=status.value,
        priority=int(priority),
        channel=channel.value,
        language=language or uow.actor.language,
        created_by_agent_id=uow.actor.agent_id,
        follow_up_of_id=follow_up_of_id,
        created_at=uow.now,
        updated_at=uow.now,
        last_activity_at=uow.now,
        first_assigned_at=uow.now if assignee_id is not None else None,
    )
    uow.session.add(ticket)
    await uow.session.flush()
    uow.history("ticket", ticket.id, "created", after=ticket_snapshot(ticket))
    uow.record(
        TicketCreated(
            ticket_id=ticket.id, department_id=department_id, contact_id=contact_id, assignee_id=assignee_id
        )
    )
    return ticket


async def move_contact_tickets(uow: UnitOfWork, *, from_contact_id: int, to_contact_id: int) -> list[int]:
    """Every ticket of one contact now belongs to another. Called by contacts.actions.merge_contacts,
    which decides whether the actor may; returns the moved ticket ids."""
    require_write(uow.actor)
    ids = await queries.ticket_ids_of_contact(uow.session, from_contact_id)
    if not ids:
        return []
    await uow.session.execute(
        update(Ticket)
        .where(Ticket.id.in_(ids))
        .values(contact_id=to_contact_id, updated_at=uow.now)
        .execution_options(synchronize_session="fetch")
    )
    for ticket_id in ids:
        uow.history(
            "ticket",
            ticket_id,
            "contact_changed",
            before={"contact_id": from_contact_id},
            after={"contact_id": to_contact_id},
        )
    uow.record(
        TicketsContactChanged(
            ticket_ids=tuple(ids), from_contact_id=from_contact_id, to_contact_id=to_contact_id
        )
    )
    return ids
