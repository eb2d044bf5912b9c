"""Writes of the tickets domain. The tickets issue extends this; for now: creating a ticket and moving
a contact's tickets to another contact (contacts merged)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, update

from linka.core.errors import Forbidden, Invalid
from linka.core.ids import ticket_code
from linka.core.permissions import DepartmentRole, department_role_at_least, require_write
from linka.core.uow import UnitOfWork
from linka.domains.accounts import queries as accounts_queries
from linka.domains.contacts import queries as contacts_queries
from linka.domains.tickets import queries
from linka.domains.tickets.events import TicketChanged, TicketCreated, TicketsContactChanged
from linka.domains.tickets.models import Ticket, TicketCc
from linka.domains.tickets.statuses import Channel, Priority, Status, check_transition

SUBJECT_MAX = 500
LANGUAGES = ("en", "cs", "hu")


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
    contact_found_by_address: bool = False,
) -> Ticket:
    """A new ticket (status `new`, or `chatting`/`calling` for a live one). An agent needs solver or
    more in the department (admins: anywhere); channels (mail, chat, the system) create anywhere. The
    contact must be one the actor may see, the assignee a solver or more in the department. The thread
    is added by the caller (thread actions); `follow_up_of_id` links a ticket opened by a reply to a
    closed one. `contact_found_by_address`: the caller found the contact by an address it was given
    (an email channel, the API by email), which needs no prior visibility."""
    require_write(uow.actor)
    if uow.actor.agent_id is not None and not department_role_at_least(
        uow.actor, department_id, DepartmentRole.SOLVER
    ):
        raise Forbidden("you do not work tickets of this department")
    check_transition(Status.INIT, status)
    subject = _subject(subject)
    if not await accounts_queries.department_exists(uow.session, department_id):
        raise Invalid("department_id", "no such department")
    if not contact_found_by_address and not await contacts_queries.contact_is_visible(
        uow.session, uow.actor, contact_id
    ):
        raise Invalid("contact_id", "no such contact")
    if assignee_id is not None and not await accounts_queries.agent_works_tickets_in(
        uow.session, assignee_id, department_id
    ):
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


def _subject(value: str) -> str:
    subject = " ".join(value.split())
    if len(subject) > SUBJECT_MAX:
        raise Invalid("subject", "at most %(max)s characters", values={"max": SUBJECT_MAX})
    if "\x00" in subject:
        raise Invalid("subject", "must not contain NUL characters")
    return subject


async def update_ticket(
    uow: UnitOfWork,
    *,
    code: str,
    subject: str | None = None,
    priority: Priority | None = None,
    language: str | None = None,
    cc_contact_ids: list[int] | None = None,
) -> Ticket:
    """Change a ticket's subject, priority, language or CC contacts (each optional)."""
    require_write(uow.actor)
    ticket = await queries.workable_ticket(uow.session, uow.actor, code)
    before = ticket_snapshot(ticket) | {"cc": await queries.cc_contact_ids(uow.session, ticket.id)}
    if subject is not None:
        ticket.subject = _subject(subject)
    if priority is not None:
        ticket.priority = int(priority)
    if language is not None:
        if language not in LANGUAGES:
            raise Invalid("language", "must be one of %(choices)s", values={"choices": ", ".join(LANGUAGES)})
        ticket.language = language
    cc = before["cc"]
    if cc_contact_ids is not None:
        cc = sorted(set(cc_contact_ids) - {ticket.contact_id})
        for contact_id in cc:
            if contact_id not in before["cc"] and not await contacts_queries.contact_is_visible(
                uow.session, uow.actor, contact_id
            ):
                raise Invalid("cc", "no such contact")
        await uow.session.execute(delete(TicketCc).where(TicketCc.ticket_id == ticket.id))
        uow.session.add_all(TicketCc(ticket_id=ticket.id, contact_id=contact_id) for contact_id in cc)
    after = ticket_snapshot(ticket) | {"cc": cc}
    changed = uow.history_of_changes("ticket", ticket.id, before=before, after=after)
    if changed:
        ticket.updated_at = uow.now
        await uow.session.flush()
        uow.record(TicketChanged(ticket_id=ticket.id, fields=changed))
    return ticket
