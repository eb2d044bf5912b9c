"""Who works a ticket: assign, unassign, transfer to a department and/or agent.

Rules: any solver takes a ticket for themselves; giving it to someone else, or taking it from its
assignee, needs a supervisor (or more) of the ticket's department; a transfer moves it to another
department (any solver of the ticket may hand it over) and counts as a transfer, as does a change
from one assignee to another. The new assignee must work tickets of the (new) department.
"""

from __future__ import annotations

from sqlalchemy import select

from linka.core.errors import Forbidden, Invalid
from linka.core.permissions import DepartmentRole, department_role_at_least, require_write
from linka.core.uow import UnitOfWork
from linka.domains.accounts import queries as accounts_queries
from linka.domains.tickets import list_queries, queries, thread_actions
from linka.domains.tickets.events import TicketRouted
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.statuses import WAITING_FOR_AGENT
from linka.domains.tickets.thread_schemas import GroupKind


def _supervises(uow: UnitOfWork, department_id: int) -> bool:
    return department_role_at_least(uow.actor, department_id, DepartmentRole.SUPERVISOR)


async def _check_assignee(uow: UnitOfWork, agent_id: int, department_id: int, *, field: str) -> None:
    if not await accounts_queries.agent_works_tickets_in(uow.session, agent_id, department_id):
        raise Invalid(field, "this agent does not work tickets of the department")


async def _route(uow: UnitOfWork, ticket: Ticket, *, department_id: int, assignee_id: int | None) -> bool:
    """Apply a routing change with its metrics, history and event; False when nothing changed."""
    before = {"department_id": ticket.department_id, "assignee_id": ticket.assignee_id}
    if before == {"department_id": department_id, "assignee_id": assignee_id}:
        return False
    moved_department = department_id != ticket.department_id
    handed_over = ticket.assignee_id is not None and assignee_id not in (None, ticket.assignee_id)
    if moved_department or handed_over:
        ticket.transfer_count += 1
    if assignee_id is not None and ticket.first_assigned_at is None:
        ticket.first_assigned_at = uow.now
    ticket.department_id, ticket.assignee_id = department_id, assignee_id
    ticket.updated_at = ticket.last_activity_at = uow.now
    after = {"department_id": department_id, "assignee_id": assignee_id}
    action = "transferred" if moved_department or handed_over else "assigned" if assignee_id else "unassigned"
    uow.history_of_changes("ticket", ticket.id, before=before, after=after, action=action)
    if action == "transferred":
        await _write_transfer_line(uow, ticket, before_department=int(before["department_id"] or 0))
    uow.record(
        TicketRouted(
            ticket_id=ticket.id,
            department_before=int(before["department_id"] or 0),
            department_after=department_id,
            assignee_before=before["assignee_id"],
            assignee_after=assignee_id,
            by_agent_id=uow.actor.agent_id,
        )
    )
    return True


async def route_ticket(
    uow: UnitOfWork, ticket: Ticket, *, department_id: int, assignee_id: int | None
) -> bool:
    """Routing decided by a channel that checked its own rules (a chat taken or handed over)."""
    return await _route(uow, ticket, department_id=department_id, assignee_id=assignee_id)


async def _write_transfer_line(uow: UnitOfWork, ticket: Ticket, *, before_department: int) -> None:
    """The thread says where the ticket went ("Transferred from Support to Sales, to Sándor")."""
    names = await accounts_queries.department_names(uow.session, [before_department, ticket.department_id])
    source, target = names.get(before_department, "?"), names.get(ticket.department_id, "?")
    line = {"event": "transferred", "from": source, "to": target}
    text = f"Transferred from {source} to {target}"
    if before_department == ticket.department_id:
        line = {"event": "handed_over", "department": target}
        text = f"Handed over within {target}"
    if ticket.assignee_id is not None:
        agents = await accounts_queries.agent_summaries(uow.session, [ticket.assignee_id])
        line["agent"] = agents.get(ticket.assignee_id, ("", "?"))[1]
        text += f", to {line['agent']}"
    await thread_actions.add_system_line(
        uow, ticket_id=ticket.id, kind=GroupKind.TRANSFER, text=text, line=line
    )


async def assign_ticket(uow: UnitOfWork, *, code: str, agent_id: int) -> Ticket:
    """Give the ticket to an agent: oneself (solver or more), or anyone as a supervisor."""
    require_write(uow.actor)
    ticket = await queries.workable_ticket(uow.session, uow.actor, code)
    taking_for_self = agent_id == uow.actor.agent_id and ticket.assignee_id in (None, agent_id)
    if not taking_for_self and not _supervises(uow, ticket.department_id):
        raise Forbidden("only a supervisor of the department assigns tickets to others")
    await _check_assignee(uow, agent_id, ticket.department_id, field="agent_id")
    await _route(uow, ticket, department_id=ticket.department_id, assignee_id=agent_id)
    return ticket


async def unassign_ticket(uow: UnitOfWork, *, code: str) -> Ticket:
    """Put the ticket back to the department: its assignee may, or a supervisor."""
    require_write(uow.actor)
    ticket = await queries.workable_ticket(uow.session, uow.actor, code)
    if ticket.assignee_id not in (None, uow.actor.agent_id) and not _supervises(uow, ticket.department_id):
        raise Forbidden("only the assignee or a supervisor unassigns a ticket")
    await _route(uow, ticket, department_id=ticket.department_id, assignee_id=None)
    return ticket


async def transfer_ticket(
    uow: UnitOfWork, *, code: str, department_id: int | None = None, agent_id: int | None = None
) -> Ticket:
    """Move the ticket to another department and/or agent. Without an agent it lands unassigned in
    the department; with one, the agent must work tickets there."""
    require_write(uow.actor)
    if department_id is None and agent_id is None:
        raise Invalid("department_id", "name a department, an agent or both")
    ticket = await queries.workable_ticket(uow.session, uow.actor, code)
    target_department = department_id if department_id is not None else ticket.department_id
    if department_id is not None and not await accounts_queries.department_exists(uow.session, department_id):
        raise Invalid("department_id", "no such department")
    if agent_id is not None:
        await _check_assignee(uow, agent_id, target_department, field="agent_id")
        # Within the department, handing someone else's ticket over is a supervisor's reassignment.
        within = target_department == ticket.department_id and agent_id != uow.actor.agent_id
        if within and ticket.assignee_id != uow.actor.agent_id and not _supervises(uow, ticket.department_id):
            raise Forbidden("only a supervisor of the department reassigns its tickets")
    elif target_department == ticket.department_id:
        raise Invalid("department_id", "the ticket is already in this department")
    await _route(uow, ticket, department_id=target_department, assignee_id=agent_id)
    return ticket


async def take_next_ticket(uow: UnitOfWork) -> Ticket | None:
    """ "Next ticket": the most important unassigned ticket waiting for an agent (new or open) that
    the actor may work, now assigned to them; None when there is none. On PostgreSQL a row another
    agent is taking at this moment is skipped (SKIP LOCKED); SQLite runs one writer at a time."""
    require_write(uow.actor)
    if uow.actor.agent_id is None:
        raise Forbidden("only an agent takes tickets")
    query = select(Ticket).where(
        Ticket.status.in_([status.value for status in WAITING_FOR_AGENT]),
        Ticket.assignee_id.is_(None),
        Ticket.merged_into_id.is_(None),
        queries.workable_ticket_condition(uow.actor),
    )
    query = list_queries.ordered(query, "importance").limit(1)
    if uow.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Ticket)
    ticket = (await uow.session.execute(query)).scalar_one_or_none()
    if ticket is None:
        return None
    await _route(uow, ticket, department_id=ticket.department_id, assignee_id=uow.actor.agent_id)
    return ticket
