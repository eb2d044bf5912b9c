"""The unit of work: one transaction, the events it records and the history it writes.

    async with unit_of_work(db, actor) as uow:
        agent = await accounts.actions.create_agent(uow, ...)

On leaving the block without an error: in-transaction handlers run for the recorded events (they may
record more, up to MAX_HANDLER_DEPTH), history is flushed, the transaction commits, and only then are
the events published. On an error everything is rolled back: nothing half-written.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable
from contextlib import asynccontextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core import clock
from linka.core.db import Database
from linka.core.errors import Conflict
from linka.core.events import MAX_HANDLER_DEPTH, Event, EventBus
from linka.core.history import HistoryEntry
from linka.core.permissions import Actor

Deferred = Callable[["UnitOfWork", set[Any]], Awaitable[None]]


class UnitOfWork:
    def __init__(self, session: AsyncSession, actor: Actor, bus: EventBus, db: Database) -> None:
        self.session = session
        self.actor = actor
        self.bus = bus
        self.db = db
        self.now = clock.now()
        self.events: list[Event] = []
        self._pending_handling: list[tuple[Event, int]] = []
        self._depth = 0
        self._deferred: dict[Deferred, set[Hashable]] = {}

    @property
    def dialect(self) -> str:
        return self.db.dialect

    def record(self, event: Event) -> None:
        self.events.append(event)
        self._pending_handling.append((event, self._depth))

    def history(
        self,
        entity_type: str,
        entity_id: int,
        action: str,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        self.session.add(
            HistoryEntry(
                at=self.now,
                actor_agent_id=self.actor.agent_id,
                actor_label=self.actor.name[:200],
                origin=self.actor.origin.value,
                entity_type=entity_type,
                entity_id=entity_id,
                action=action,
                before=_jsonable(before) if before is not None else None,
                after=_jsonable(after) if after is not None else None,
            )
        )

    def history_of_changes(
        self,
        entity_type: str,
        entity_id: int,
        *,
        before: dict[str, Any],
        after: dict[str, Any],
        action: str = "updated",
    ) -> tuple[str, ...]:
        """Compare two snapshots and record a history entry holding only the keys that differ.
        Returns those keys; none means nothing changed and nothing was recorded."""
        changed = tuple(key for key in after if after[key] != before.get(key))
        if changed:
            self.history(
                entity_type,
                entity_id,
                action,
                before={key: before.get(key) for key in changed},
                after={key: after[key] for key in changed},
            )
        return changed

    async def flush_or_conflict(self, field: str, message: str) -> None:
        """Flush; a unique index refusing a row written at the same moment by someone else becomes a
        Conflict naming the field, instead of a 500."""
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise Conflict(field, message) from exc

    async def forget_history(self, entity_type: str, entity_ids: list[int]) -> None:
        """Erase the change log of purged rows (their before/after values hold the purged content)."""
        await self.session.execute(
            delete(HistoryEntry).where(
                HistoryEntry.entity_type == entity_type, HistoryEntry.entity_id.in_(entity_ids)
            )
        )

    def defer(self, work: Deferred, items: Iterable[Hashable]) -> None:
        """Run `work` once, just before the commit, for every item any handler deferred to it in this
        transaction: a ticket named by three events of one request is reindexed once, not three times."""
        self._deferred.setdefault(work, set()).update(items)

    async def finish(self) -> None:
        """Handlers, then the deferred work (which may record events that need handling in turn)."""
        await self.run_handlers()
        while self._deferred:
            work, items = next(iter(self._deferred.items()))
            del self._deferred[work]
            await work(self, items)
            await self.run_handlers()

    async def run_handlers(self) -> None:
        while self._pending_handling:
            event, depth = self._pending_handling.pop(0)
            if depth >= MAX_HANDLER_DEPTH:
                continue  # loop protection: reactions to reactions stop here
            for handler in self.bus.handlers_for(event):
                self._depth = depth + 1
                try:
                    await handler(self, event)
                finally:
                    self._depth = 0


@asynccontextmanager
async def unit_of_work(db: Database, actor: Actor, bus: EventBus | None = None) -> AsyncIterator[UnitOfWork]:
    bus = bus or EventBus()
    async with db.sessions() as session:
        uow = UnitOfWork(session, actor, bus, db)
        try:
            yield uow
            await uow.finish()
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
    if uow.events:
        await bus.publish(uow.events)


def _jsonable(value: Any) -> Any:
    """History stores plain JSON: dates as ISO strings, enums as their values."""
    return json.loads(json.dumps(value, default=_default))


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot store {type(value).__name__} in history")
