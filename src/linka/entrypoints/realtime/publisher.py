"""After a commit, tells the pub/sub which tickets changed and who may care: each ticket's code with the
departments it was in before and after, and its assignees before and after. Sockets decide per agent
from those (see hub.py), so nobody learns of a ticket they may not see."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from sqlalchemy import select

from linka.core.db import Database
from linka.core.events import Event
from linka.domains.chat.events import ChatSignal
from linka.domains.tickets.events import (
    CustomStatusDeleted,
    TagDeleted,
    TicketChanged,
    TicketCreated,
    TicketRouted,
    TicketsContactChanged,
    TicketsMerged,
    TicketStatusChanged,
    TicketThreadChanged,
)
from linka.domains.tickets.models import Ticket

log = logging.getLogger(__name__)

Publish = Callable[[bytes], Awaitable[None]]


def _touched(
    events: list[Event],
) -> tuple[dict[int, set[int]], dict[int, set[int]], list[tuple[int, int, int | None]]]:
    """(ticket id → extra departments, ticket id → extra assignees, assignments (ticket, agent, by))."""
    departments: dict[int, set[int]] = {}
    assignees: dict[int, set[int]] = {}
    assigned: list[tuple[int, int, int | None]] = []

    def touch(ticket_id: int) -> None:
        departments.setdefault(ticket_id, set())
        assignees.setdefault(ticket_id, set())

    for event in events:
        if isinstance(event, TicketChanged | TicketStatusChanged | TicketThreadChanged | TicketCreated):
            touch(event.ticket_id)
        elif isinstance(event, TicketRouted):
            touch(event.ticket_id)
            departments[event.ticket_id].add(event.department_before)
            if event.assignee_before is not None:
                assignees[event.ticket_id].add(event.assignee_before)
            if event.assignee_after is not None and event.assignee_after != event.assignee_before:
                assigned.append((event.ticket_id, event.assignee_after, event.by_agent_id))
        elif isinstance(event, TicketsMerged):
            for ticket_id in (event.target_id, *event.source_ids):
                touch(ticket_id)
        elif isinstance(event, TicketsContactChanged | TagDeleted | CustomStatusDeleted):
            for ticket_id in event.ticket_ids:
                touch(ticket_id)
    return departments, assignees, assigned


class TicketEventPublisher:
    """An EventBus publisher. Inactive until `activate()` (the app's startup), so processes and tests
    without live sockets pay nothing."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._publish: Publish | None = None

    def activate(self, publish: Publish) -> None:
        self._publish = publish

    def deactivate(self) -> None:
        self._publish = None

    async def __call__(self, events: list[Event]) -> None:
        if self._publish is None:
            return
        signals = [
            [list(e.agents), e.agent_frame, e.visitor_id, e.visitor_frame]
            for e in events
            if isinstance(e, ChatSignal)
        ]
        if signals:  # first: a chat line's latency is what the visitor and the agent feel
            await self._publish(msgspec.json.encode({"kind": "chat", "s": signals}))
        departments, assignees, assigned = _touched(events)
        if not departments:
            return
        async with self.db.read_session() as session:
            rows = await session.execute(
                select(Ticket.id, Ticket.code, Ticket.department_id, Ticket.assignee_id).where(
                    Ticket.id.in_(sorted(departments))
                )
            )
            found = {int(ticket_id): (code, dept, assignee) for ticket_id, code, dept, assignee in rows.all()}
        tickets: list[list[Any]] = []
        for ticket_id, (code, department_id, assignee_id) in found.items():
            depts = sorted(departments[ticket_id] | {department_id})
            people = sorted(assignees[ticket_id] | ({assignee_id} if assignee_id else set()))
            tickets.append([code, depts, people])
        assignments = [
            [found[ticket_id][0], agent_id, by] for ticket_id, agent_id, by in assigned if ticket_id in found
        ]
        await self._publish(msgspec.json.encode({"kind": "tickets", "t": tickets, "assigned": assignments}))


def publish_from_worker(runtime_bus_publisher: TicketEventPublisher, redis_url: str | None) -> None:
    """A `linka worker` has no sockets; with Redis its events still reach the servers' sockets."""
    if not redis_url:
        return
    from litestar.channels.backends.redis import RedisChannelsPubSubBackend
    from redis.asyncio import Redis

    from linka.entrypoints.realtime.backend import CHANNEL, REDIS_PREFIX

    backend = RedisChannelsPubSubBackend(redis=Redis.from_url(redis_url), key_prefix=REDIS_PREFIX)

    async def publish(data: bytes) -> None:
        await backend.publish(data, [CHANNEL])

    runtime_bus_publisher.activate(publish)
