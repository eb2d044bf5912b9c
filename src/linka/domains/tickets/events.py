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


@dataclass(frozen=True, kw_only=True)
class TicketChanged(Event):
    """Properties of a ticket changed (subject, priority, tags, fields, CCs…): `fields` names them."""

    name = "ticket.changed"
    ticket_id: int
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class TicketStatusChanged(Event):
    name = "ticket.status_changed"
    ticket_id: int
    before: str
    after: str


@dataclass(frozen=True, kw_only=True)
class TicketRouted(Event):
    """Assigned, unassigned or transferred: who and which department, before and after."""

    name = "ticket.routed"
    ticket_id: int
    department_before: int
    department_after: int
    assignee_before: int | None
    assignee_after: int | None
    by_agent_id: int | None = None  # who routed it (None: the system, a rule); no one is told of their own


@dataclass(frozen=True, kw_only=True)
class TicketThreadChanged(Event):
    """A message group was added to the thread (a reply, a note, a customer's message…)."""

    name = "ticket.thread_changed"
    ticket_id: int
    group_id: int
    kind: str


@dataclass(frozen=True, kw_only=True)
class TicketsMerged(Event):
    name = "tickets.merged"
    target_id: int
    source_ids: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class TicketsPurged(Event):
    name = "tickets.purged"
    ticket_ids: tuple[int, ...]


# ---- tags and custom statuses (definitions; tagging a ticket is a TicketChanged with "tags") ----


@dataclass(frozen=True, kw_only=True)
class TagChanged(Event):
    """A tag was created or renamed, recoloured, made public or private."""

    name = "tag.changed"
    tag_id: int


@dataclass(frozen=True, kw_only=True)
class TagDeleted(Event):
    """A tag went, and with it from these tickets."""

    name = "tag.deleted"
    tag_id: int
    ticket_ids: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class CustomStatusChanged(Event):
    name = "custom_status.changed"
    status_id: int


@dataclass(frozen=True, kw_only=True)
class CustomStatusDeleted(Event):
    """A custom status went; these tickets keep their category without it."""

    name = "custom_status.deleted"
    status_id: int
    ticket_ids: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class TicketDraftChanged(Event):
    """An agent saved or dropped (`kind` None: discarded, sent, merged away) their draft of a ticket;
    colleagues on the ticket refresh who is writing."""

    name = "ticket.draft_changed"
    ticket_id: int
    agent_id: int
    kind: str | None = None
