"""The one place a ticket's status changes (`change_status`), kept apart from the status actions so
that the thread actions (a reply answers a ticket) and the status actions (which write thread lines)
can both use it without importing each other."""

from __future__ import annotations

from linka.core.uow import UnitOfWork
from linka.domains.tickets.events import TicketStatusChanged
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.statuses import TRASH, Status, check_transition


def change_status(
    uow: UnitOfWork, ticket: Ticket, target: Status, *, custom_status_id: int | None = None
) -> bool:
    """The one place a ticket's status changes. Refused moves raise Conflict; False when unchanged."""
    current = Status(ticket.status)
    check_transition(current, target)
    if current is target and ticket.custom_status_id == custom_status_id:
        return False
    before = {"status": ticket.status, "custom_status_id": ticket.custom_status_id}
    if target is Status.RESOLVED:
        ticket.resolved_at = uow.now
    if current in (Status.RESOLVED, Status.CLOSED) and target in (Status.OPEN, Status.ANSWERED, Status.NEW):
        ticket.reopen_count += 1
    if target is Status.CLOSED:
        ticket.closed_at = uow.now
    if target in TRASH and current not in TRASH:
        ticket.status_before_trash = current.value
    if target is not Status.POSTPONED:
        ticket.postponed_until = None
    ticket.status = target.value
    ticket.custom_status_id = custom_status_id
    ticket.updated_at = ticket.last_activity_at = uow.now
    after = {"status": ticket.status, "custom_status_id": ticket.custom_status_id}
    uow.history_of_changes("ticket", ticket.id, before=before, after=after, action="status_changed")
    if current is not target:
        uow.record(TicketStatusChanged(ticket_id=ticket.id, before=current.value, after=target.value))
    return True
