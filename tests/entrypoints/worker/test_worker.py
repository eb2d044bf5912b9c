"""The background worker: due tickets wake and close, a failing job does not stop the others, the
loop stops when told, and `linka serve`'s app runs it for as long as the app lives."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from linka.core.clock import FrozenClock
from linka.core.db import Database
from linka.core.permissions import Origin, system_actor
from linka.core.uow import unit_of_work
from linka.domains.tickets import status_changes
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.statuses import Status
from linka.entrypoints.runtime import Runtime
from linka.entrypoints.worker.jobs import Job, scheduled_jobs
from linka.entrypoints.worker.runner import run_jobs_once, run_worker
from tests.conftest import AppClient, bearer
from tests.personas import Personas


async def _status_of(db: Database, ticket_id: int) -> str:
    async with db.read_session() as session:
        return str((await session.execute(select(Ticket.status).where(Ticket.id == ticket_id))).scalar_one())


async def _set(db: Database, ticket_id: int, status: Status, **columns: object) -> None:
    async with unit_of_work(db, system_actor(Origin.CLI)) as uow:
        ticket = await uow.session.get(Ticket, ticket_id)
        assert ticket is not None
        status_changes.change_status(uow, ticket, status)
        for name, value in columns.items():
            setattr(ticket, name, value)


async def test_one_round_wakes_postponed_and_closes_old_resolved_tickets(
    runtime: Runtime, db: Database, personas: Personas, frozen_clock: FrozenClock
) -> None:
    karel, eva = personas.tickets["karel"], personas.tickets["eva"]
    await _set(db, karel, Status.POSTPONED, postponed_until=frozen_clock.now() + timedelta(minutes=5))
    await _set(db, eva, Status.RESOLVED)
    jobs = scheduled_jobs(runtime)
    handled = await run_jobs_once(runtime, jobs)
    assert (handled["wake postponed tickets"], handled["close resolved tickets"]) == (0, 0)
    frozen_clock.advance(days=runtime.settings.close_resolved_after_days, seconds=1)
    handled = await run_jobs_once(runtime, jobs)
    assert (handled["wake postponed tickets"], handled["close resolved tickets"]) == (1, 1)
    assert await _status_of(db, karel) == "open"
    assert await _status_of(db, eva) == "closed"


async def test_a_failing_job_is_logged_and_the_others_still_run(
    runtime: Runtime, db: Database, personas: Personas, frozen_clock: FrozenClock
) -> None:
    async def broken(_: Runtime) -> int:
        raise RuntimeError("boom")

    karel = personas.tickets["karel"]
    await _set(db, karel, Status.POSTPONED, postponed_until=frozen_clock.now() - timedelta(seconds=1))
    jobs = [Job("broken", 1, broken), *scheduled_jobs(runtime)]
    handled = await run_jobs_once(runtime, jobs)
    assert handled["broken"] == -1
    assert handled["wake postponed tickets"] == 1
    assert await _status_of(db, karel) == "open"


async def test_the_loop_handles_work_as_it_falls_due_and_stops_when_told(
    runtime: Runtime, db: Database, personas: Personas
) -> None:
    from linka.core import clock

    karel = personas.tickets["karel"]
    await _set(db, karel, Status.POSTPONED, postponed_until=clock.now() + timedelta(seconds=0.5))
    fast = [Job("wake", 0.1, scheduled_jobs(runtime)[0].run)]
    stop = asyncio.Event()
    loop = asyncio.create_task(run_worker(runtime, stop, fast))
    for _ in range(100):
        if await _status_of(db, karel) == "open":
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(loop, timeout=5)
    assert await _status_of(db, karel) == "open"


async def test_an_admin_set_close_period_overrides_the_servers_default(
    client: AppClient, runtime: Runtime, db: Database, personas: Personas, frozen_clock: FrozenClock
) -> None:
    shown = await client.get("/api/v1/settings/tickets", headers=bearer(personas.support_agent))
    assert shown.json() == {"close_resolved_after_days": 7, "is_default": True}
    refused = await client.patch(
        "/api/v1/settings/tickets",
        json={"close_resolved_after_days": 2},
        headers=bearer(personas.support_agent),
    )
    assert refused.status_code == 403
    too_long = await client.patch(
        "/api/v1/settings/tickets", json={"close_resolved_after_days": 400}, headers=bearer(personas.admin)
    )
    assert too_long.status_code == 422
    changed = await client.patch(
        "/api/v1/settings/tickets", json={"close_resolved_after_days": 2}, headers=bearer(personas.admin)
    )
    assert changed.json() == {"close_resolved_after_days": 2, "is_default": False}
    eva = personas.tickets["eva"]
    await _set(db, eva, Status.RESOLVED)
    frozen_clock.advance(days=2, seconds=1)
    assert (await run_jobs_once(runtime, scheduled_jobs(runtime)))["close resolved tickets"] == 1
    assert await _status_of(db, eva) == "closed"
    back = await client.patch(
        "/api/v1/settings/tickets", json={"close_resolved_after_days": None}, headers=bearer(personas.admin)
    )
    assert back.json() == {"close_resolved_after_days": 7, "is_default": True}
