"""Custom field values of a ticket: checked by the fields domain, allowed by the ticket's rules."""

from __future__ import annotations

from collections.abc import Mapping

from linka.core.permissions import require_write
from linka.core.uow import UnitOfWork
from linka.domains.fields import actions as fields_actions
from linka.domains.tickets import queries
from linka.domains.tickets.events import TicketChanged
from linka.domains.tickets.models import Ticket


async def set_ticket_fields(uow: UnitOfWork, *, code: str, values: Mapping[str, object]) -> Ticket:
    """Set custom field values on a ticket the actor may work (404 invisible, 403 only readable).
    Every value is checked first (422 naming `fields.<key>`), so a bad one changes none; fields not
    named keep their values, None clears. The history entry is written by `set_values`."""
    require_write(uow.actor)
    ticket = await queries.workable_ticket(uow.session, uow.actor, code)
    changed = await fields_actions.set_values(uow, entity="ticket", entity_id=ticket.id, values=values)
    if changed:
        ticket.updated_at = uow.now
        await uow.session.flush()
        uow.record(TicketChanged(ticket_id=ticket.id, fields=("fields",)))
    return ticket
