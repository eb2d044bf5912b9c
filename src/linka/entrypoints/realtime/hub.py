"""One per process: listens on the channel and hands each agent connection what it may know."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar.channels import ChannelsPlugin

from linka.core.i18n import Translator
from linka.core.permissions import Actor, DepartmentRole
from linka.entrypoints.realtime.backend import CHANNEL
from linka.entrypoints.realtime.chat_delivery import ChatRoster
from linka.entrypoints.realtime.presence import HEARTBEAT, PresenceBoard

log = logging.getLogger(__name__)
QUEUE_LIMIT = 200  # a socket that cannot keep up loses messages, never the process's memory


@dataclass(eq=False)
class AgentConnection:
    actor: Actor
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    viewing: str | None = None
    typing: bool = False
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    browser_notices: bool = True  # the agent's notification setting "a ticket was assigned to me"
    shown_presence: dict[str, Any] | None = None  # the last presence message sent (none repeats it)

    @property
    def agent_id(self) -> int:
        return self.actor.agent_id or 0

    def may_know(self, departments: list[int], assignees: list[int]) -> bool:
        """The same rule as tickets.queries.visible_ticket_condition, on what the message carries."""
        if self.actor.is_admin or self.agent_id in assignees:
            return True
        return any(
            (role := self.actor.department_role(department)) is not None
            and role.at_least(DepartmentRole.READER)
            for department in departments
        )

    def push(self, message: dict[str, Any]) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(message)

    def show_presence(self, message: dict[str, Any]) -> None:
        if message != self.shown_presence:
            self.shown_presence = message
            self.push(message)


class RealtimeHub:
    def __init__(self, channels: ChannelsPlugin) -> None:
        self.channels = channels
        self.connections: set[AgentConnection] = set()
        self.presence = PresenceBoard()
        self.chat = ChatRoster()  # visitor sockets of this process (chat frames for agents go to connections)
        self._tasks: list[asyncio.Task[None]] = []
        self.started = False

    async def start(self) -> None:
        subscriber = await self.channels.subscribe([CHANNEL])
        self._tasks = [
            asyncio.create_task(self._listen(subscriber.iter_events()), name="linka-realtime-hub"),
            asyncio.create_task(self._sweep(), name="linka-presence-sweep"),
        ]
        self.started = True

    async def stop(self) -> None:
        self.started = False
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def publish(self, data: bytes) -> None:
        await self.channels.wait_published(data, [CHANNEL])

    async def publish_chat_frames(self, signals: list[list[Any]]) -> None:
        """Frames that are not stored (typing): [[agent ids, agent frame, visitor id, visitor frame], …]."""
        await self.publish(msgspec.json.encode({"kind": "chat", "s": signals}))

    async def _listen(self, events: Any) -> None:
        async for raw in events:
            try:
                self.dispatch(msgspec.json.decode(raw))
            except Exception:  # one bad message must not stop live updates
                log.exception("could not hand out a live message")

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT / 2)
            for ticket in self.presence.expire():
                self._show_presence(ticket)

    def dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("kind")
        if kind == "chat":
            self.chat.deliver(message, self.connections)
        elif kind == "tickets":
            self._hand_out_tickets(message)
        elif kind == "presence" and self.presence.apply(message):
            self._show_presence(str(message["ticket"]))

    def _hand_out_tickets(self, message: dict[str, Any]) -> None:
        tickets: list[list[Any]] = message.get("t", [])
        assignments: list[list[Any]] = message.get("assigned", [])
        for connection in self.connections:
            codes = [
                code
                for code, departments, assignees in tickets
                if connection.may_know(departments, assignees)
            ]
            if codes:
                connection.push({"type": "tickets", "codes": codes})
            for code, agent_id, by_agent_id in assignments:
                if connection.browser_notices and agent_id == connection.agent_id != by_agent_id:
                    t = Translator(connection.actor.language, connection.actor.timezone)
                    text = t.gettext("Ticket %(code)s was assigned to you") % {"code": code}
                    connection.push({"type": "notify", "kind": "assigned", "ticket": code, "text": text})

    def _show_presence(self, ticket: str) -> None:
        for connection in self.connections:
            if connection.viewing == ticket:
                connection.show_presence(self.presence_message(ticket, connection))

    def presence_message(self, ticket: str, connection: AgentConnection) -> dict[str, Any]:
        return {
            "type": "presence",
            "ticket": ticket,
            "agents": self.presence.summary(ticket, except_agent=connection.agent_id),
        }

    async def announce(self, connection: AgentConnection, ticket: str, *, gone: bool = False) -> None:
        await self.publish(
            msgspec.json.encode(
                {
                    "kind": "presence",
                    "ticket": ticket,
                    "conn": connection.id,
                    "agent": connection.agent_id,
                    "name": connection.actor.name,
                    "typing": connection.typing and not gone,
                    "state": "gone" if gone else "here",
                }
            )
        )
