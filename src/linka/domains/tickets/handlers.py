"""Reactions of the tickets domain to events, inside the writing transaction.

Search: whatever changes what a ticket's search document holds (subject, thread, contact, tags)
rewrites that document before commit, so a search never misses a committed change.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from linka.core.events import EventBus
from linka.core.uow import UnitOfWork
from linka.domains.contacts.events import ContactChanged
from linka.domains.tickets import queries
from linka.domains.tickets.events import (
    TagChanged,
    TicketChanged,
    TicketCreated,
    TicketsContactChanged,
    TicketsMerged,
    TicketThreadChanged,
)
from linka.domains.tickets.models import TicketTag
from linka.domains.tickets.search import reindex_tickets

# Contact fields that are part of a ticket's search document.
_SEARCHED_CONTACT_FIELDS = {"name", "emails"}


async def _reindex_collected(uow: UnitOfWork, ticket_ids: set[int]) -> None:
    await reindex_tickets(uow.session, ticket_ids)


def _reindex_before_commit(uow: UnitOfWork, ticket_ids: Iterable[int]) -> None:
    # Deferred: one request often records several events about one ticket (created, thread changed…).
    uow.defer(_reindex_collected, ticket_ids)


async def reindex_ticket(uow: UnitOfWork, event: TicketCreated | TicketChanged | TicketThreadChanged) -> None:
    _reindex_before_commit(uow, [event.ticket_id])


async def reindex_merged(uow: UnitOfWork, event: TicketsMerged) -> None:
    # The target gained the sources' threads; the sources lost them.
    _reindex_before_commit(uow, [event.target_id, *event.source_ids])


async def reindex_moved(uow: UnitOfWork, event: TicketsContactChanged) -> None:
    _reindex_before_commit(uow, event.ticket_ids)


async def reindex_contact_tickets(uow: UnitOfWork, event: ContactChanged) -> None:
    if _SEARCHED_CONTACT_FIELDS.intersection(event.fields):
        _reindex_before_commit(uow, await queries.ticket_ids_of_contact(uow.session, event.contact_id))


async def reindex_tagged(uow: UnitOfWork, event: TagChanged) -> None:
    """A renamed tag: every ticket carrying it. (Tagging and untagging are TicketChanged events.)"""
    rows = await uow.session.execute(select(TicketTag.ticket_id).where(TicketTag.tag_id == event.tag_id))
    _reindex_before_commit(uow, rows.scalars())


def register(bus: EventBus) -> None:
    bus.on(TicketCreated, reindex_ticket)
    bus.on(TicketChanged, reindex_ticket)
    bus.on(TicketThreadChanged, reindex_ticket)
    bus.on(TicketsMerged, reindex_merged)
    bus.on(TicketsContactChanged, reindex_moved)
    bus.on(ContactChanged, reindex_contact_tickets)
    bus.on(TagChanged, reindex_tagged)
