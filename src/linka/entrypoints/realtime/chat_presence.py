"""Who is connected, written down for every process to see: the agents whose app is open (routing rings
only them, whichever process routes) and the visitors whose widget is open (the agents' visitor list).
One statement per kind every HEARTBEAT seconds for all of this process's sockets; an agent who just
connected is written at once, and waiting chats of their departments are routed to them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from linka.core import clock
from linka.core.permissions import Origin, system_actor
from linka.domains.chat import routing, visitor_actions
from linka.entrypoints.realtime.hub import RealtimeHub
from linka.entrypoints.runtime import Runtime

log = logging.getLogger(__name__)
HEARTBEAT = 20.0
# An agent is ringable this long after the last heartbeat of their app (covers a page reload).
AGENT_GRACE = timedelta(seconds=60)


async def keep_agents_connected(runtime: Runtime, agent_ids: list[int]) -> None:
    if not agent_ids:
        return
    async with runtime.uow(system_actor(Origin.CHAT)) as uow:
        fresh = await routing.keep_agents_connected(uow, agent_ids, until=clock.now() + AGENT_GRACE)
        if fresh:
            await routing.route_queues_of_agents(uow, fresh)


async def keep_visitors_seen(runtime: Runtime, visitor_ids: list[int]) -> None:
    if not visitor_ids:
        return
    async with runtime.uow(system_actor(Origin.CHAT)) as uow:
        await visitor_actions.keep_visitors_seen(uow, visitor_ids)


class ChatHeartbeat:
    def __init__(self, runtime: Runtime, hub: RealtimeHub) -> None:
        self.runtime = runtime
        self.hub = hub
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._beat(), name="linka-chat-heartbeat")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def beat_once(self) -> None:
        agents = sorted({connection.agent_id for connection in self.hub.connections if connection.agent_id})
        await keep_agents_connected(self.runtime, agents)
        await keep_visitors_seen(self.runtime, self.hub.chat.visitor_ids())

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT)
            try:
                await self.beat_once()
            except Exception:  # a missed beat costs a ring at worst; the next one retries
                log.exception("chat heartbeat failed")
