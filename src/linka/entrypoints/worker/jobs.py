"""The scheduled jobs. Each claims due rows through a domain action in its own unit of work and says
how many it handled; running one twice, or in two processes at once, is safe (rows are claimed with
SKIP LOCKED on PostgreSQL; SQLite runs one writer at a time)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from linka.core.permissions import Origin, system_actor
from linka.domains.chat import routing as chat_routing
from linka.domains.tickets import settings as ticket_settings
from linka.domains.tickets import status_actions
from linka.entrypoints.mailin import imap_poll
from linka.entrypoints.runtime import Runtime
from linka.entrypoints.worker import mail_delivery


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


async def route_chats(runtime: Runtime) -> int:
    """Waiting chats whose rings ran out move on (or are missed); silent chats end (chat/routing.py)."""
    async with runtime.uow(system_actor(Origin.CHAT)) as uow:
        return await chat_routing.route_due_chats(uow)


async def deliver_mail(runtime: Runtime) -> int:
    """Send the outgoing mail that is due (worker/mail_delivery.py)."""
    return await mail_delivery.deliver_mail(runtime)


async def poll_mailboxes(runtime: Runtime) -> int:
    """Fetch the mail of the mailboxes due for IMAP polling (mailin/imap_poll.py); each mailbox keeps
    its own interval and backoff, so this job only needs to look often."""
    return await imap_poll.poll_due_mailboxes(runtime)


def scheduled_jobs(runtime: Runtime) -> list[Job]:
    poll = runtime.settings.worker_poll_seconds
    return [
        Job("wake postponed tickets", poll, wake_postponed),
        Job("route chats", 1.0, route_chats),
        Job("close resolved tickets", max(poll, 300.0), close_resolved),
        Job("deliver mail", min(poll, 5.0), deliver_mail),
        Job("poll mailboxes", min(poll, 10.0), poll_mailboxes),
    ]
