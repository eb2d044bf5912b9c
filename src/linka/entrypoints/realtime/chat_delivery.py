"""Handing chat frames to the sockets this process holds: agents by id, visitors by visitor id (every
widget tab of theirs) and by chat. Frames come over the pub/sub from whichever process stored the line,
so a visitor connected here and an agent connected elsewhere share one conversation."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

QUEUE_LIMIT = 200


class AgentSocket(Protocol):
    @property
    def agent_id(self) -> int: ...

    def push(self, message: dict[str, Any]) -> None: ...


@dataclass(eq=False)
class VisitorConnection:
    visitor_id: int
    button_id: int
    language: str
    chat: str | None = None  # the public id of the visitor's current chat
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))

    def push(self, message: dict[str, Any]) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(message)


class ChatRoster:
    def __init__(self) -> None:
        self.visitors: dict[int, set[VisitorConnection]] = defaultdict(set)

    def add(self, connection: VisitorConnection) -> None:
        self.visitors[connection.visitor_id].add(connection)

    def discard(self, connection: VisitorConnection) -> None:
        held = self.visitors.get(connection.visitor_id)
        if held is not None:
            held.discard(connection)
            if not held:
                del self.visitors[connection.visitor_id]

    def visitor_ids(self) -> list[int]:
        return sorted(self.visitors)

    def count(self) -> int:
        return sum(len(held) for held in self.visitors.values())

    def deliver(self, message: dict[str, Any], agents: Iterable[AgentSocket]) -> None:
        """`{"kind": "chat", "s": [[agent ids, agent frame, visitor id, visitor frame], …]}`."""
        signals: list[list[Any]] = message.get("s", [])
        wanted: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for agent_ids, agent_frame, visitor_id, visitor_frame in signals:
            if agent_frame is not None:
                for agent_id in agent_ids:
                    wanted[agent_id].append(agent_frame)
            if visitor_frame is not None and visitor_id is not None:
                for connection in self.visitors.get(visitor_id, ()):
                    if visitor_frame.get("type") == "chat":
                        connection.chat = visitor_frame["chat"]["id"]
                    connection.push(visitor_frame)
        if wanted:
            for agent in agents:
                for frame in wanted.get(agent.agent_id, ()):
                    agent.push(frame)
