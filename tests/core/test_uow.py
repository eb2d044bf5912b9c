"""The unit of work: all or nothing, history with who/where/before/after, handlers before commit with
loop protection, publishing only after commit."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from linka.core.db import Database
from linka.core.errors import Invalid
from linka.core.events import MAX_HANDLER_DEPTH, Event, EventBus
from linka.core.history import HistoryEntry
from linka.core.permissions import Origin, system_actor
from linka.core.uow import UnitOfWork, unit_of_work
from linka.domains.accounts import actions
from linka.domains.accounts.models import Department


@dataclass(frozen=True, kw_only=True)
class Pinged(Event):
    name = "test.pinged"
    n: int


async def _count_departments(db: Database) -> int:
    async with db.read_session() as session:
        return int((await session.execute(select(func.count()).select_from(Department))).scalar_one())


async def test_error_rolls_back_everything(db: Database) -> None:
    before = await _count_departments(db)
    with pytest.raises(Invalid):
        async with unit_of_work(db, system_actor(Origin.CLI)) as uow:
            await actions.create_department(uow, name="Half-written")
            raise Invalid("name", "changed my mind")
    assert await _count_departments(db) == before
    async with db.read_session() as session:
        rows = (await session.execute(select(HistoryEntry).where(HistoryEntry.action == "created"))).scalars()
        assert all((row.after or {}).get("name") != "Half-written" for row in rows)


async def test_history_records_actor_origin_and_after(db: Database) -> None:
    async with unit_of_work(db, system_actor(Origin.CLI)) as uow:
        department = await actions.create_department(uow, name="Reklamace", description="returns")
    async with db.read_session() as session:
        entry = (
            await session.execute(
                select(HistoryEntry).where(
                    HistoryEntry.entity_type == "department", HistoryEntry.entity_id == department.id
                )
            )
        ).scalar_one()
    assert entry.origin == "cli"
    assert entry.action == "created"
    assert entry.after == {"name": "Reklamace", "description": "returns"}
    assert entry.at.tzinfo is not None


async def test_handlers_run_before_commit_and_stop_at_depth(db: Database) -> None:
    bus = EventBus()
    handled: list[int] = []
    published: list[list[str]] = []

    async def echo(uow: UnitOfWork, event: Pinged) -> None:
        handled.append(event.n)
        uow.record(Pinged(n=event.n + 1))  # a reaction that would loop forever without protection

    async def publish(events: list[Event]) -> None:
        published.append([type(e).__name__ for e in events])

    bus.on(Pinged, echo)
    bus.add_publisher(publish)
    async with unit_of_work(db, system_actor(), bus) as uow:
        uow.record(Pinged(n=0))
        assert published == []
    assert handled == list(range(MAX_HANDLER_DEPTH))
    assert len(published) == 1
    assert len(published[0]) == MAX_HANDLER_DEPTH + 1


async def test_nothing_is_published_when_the_transaction_fails(db: Database) -> None:
    bus = EventBus()
    published: list[Event] = []

    async def publish(events: list[Event]) -> None:
        published.extend(events)

    bus.add_publisher(publish)
    with pytest.raises(RuntimeError):
        async with unit_of_work(db, system_actor(), bus) as uow:
            uow.record(Pinged(n=1))
            raise RuntimeError("crash mid-way")
    assert published == []


async def test_a_failing_publisher_does_not_undo_the_commit(db: Database) -> None:
    bus = EventBus()

    async def broken(events: list[Event]) -> None:
        raise ConnectionError("redis is down")

    bus.add_publisher(broken)
    before = await _count_departments(db)
    async with unit_of_work(db, system_actor(), bus) as uow:
        await actions.create_department(uow, name="Survives")
    assert await _count_departments(db) == before + 1
