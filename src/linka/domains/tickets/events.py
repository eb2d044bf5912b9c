"""Events of the tickets domain."""

from __future__ import annotations

from dataclasses import dataclass

from linka.core.events import Event


@dataclass(frozen=True, kw_only=True)
class TicketCreated(Event):
    name = "ticket.created"
    ticket_id: int
    department_id: int
    contact_id: int
    assignee_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class TicketsContactChanged(Event):
    """Tickets moved from one contact to another (contacts merged)."""

    name = "tickets.contact_changed"
    ticket_ids: tuple[int, ...]
    from_contact_id: int
    to_contact_id: int
