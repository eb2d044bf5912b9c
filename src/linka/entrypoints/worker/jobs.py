"""The scheduled jobs. Each claims due rows through a domain action in its own unit of work and says
how many it handled; running one twice, or in two processes at once, is safe (rows are claimed with
SKIP LOCKED on PostgreSQL; SQLite runs one writer at a time)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from linka.core.permissions import Origin, system_actor
from linka.domains.tickets import settings as ticket_settings
from linka.domains.tickets import status_actions
from linka.entrypoints.runtime import Runtime


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[Runtime], Awaitable[int]]


async def wake_postponed(runtime: Runtime) -> int:
    async with runtime.uow(system_actor(Origin.SYSTEM)) as uow:
        return len(await status_actions.wake_postponed_tickets(uow))


async def close_resolved(runtime: Runtime) -> int:
    async with runtime.uow(system_actor(Origin.SYSTEM)) as uow:
        days = await ticket_settings.close_resolved_after_days(
            uow.session, default=runtime.settings.close_resolved_after_days
        )
        return len(await status_actions.close_resolved_tickets(uow, after_days=days))


def scheduled_jobs(runtime: Runtime) -> list[Job]:
    poll = runtime.settings.worker_poll_seconds
    return [
        Job("wake postponed tickets", poll, wake_postponed),
        Job("close resolved tickets", max(poll, 300.0), close_resolved),
    ]
