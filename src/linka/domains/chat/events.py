"""Events of the chat domain.

`ChatSignal` events carry what the sockets must hand out after the commit: the frame (already in the
wire format of docs/chat-protocol.md), the agents it is for and whether the chat's visitor gets it too.
The realtime publisher forwards them over the pub/sub; every process's hub delivers to the sockets it
holds, so a visitor on one process and an agent on another see the same conversation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from linka.core.events import Event


@dataclass(frozen=True, kw_only=True)
class ChatButtonChanged(Event):
    """A chat button was created, changed or deleted (visitor sockets reload its configuration)."""

    name = "chat.button_changed"
    button_id: int
    public_id: str


@dataclass(frozen=True, kw_only=True)
class ChatSignal(Event):
    """A frame for live sockets: `agents` get `agent_frame`; the visitor (`visitor_id`: the chat's
    visitor, or one invited) gets `visitor_frame` on every widget they have open."""

    name = "chat.signal"
    chat: str
    agents: tuple[int, ...] = ()
    agent_frame: dict[str, Any] | None = None
    visitor_id: int | None = None
    visitor_frame: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class ChatStarted(Event):
    name = "chat.started"
    chat_id: int
    ticket_id: int
    department_id: int


@dataclass(frozen=True, kw_only=True)
class ChatEnded(Event):
    name = "chat.ended"
    chat_id: int
    ticket_id: int
    missed: bool = False
    agent_ids: tuple[int, ...] = field(default=())


@dataclass(frozen=True, kw_only=True)
class ChatRated(Event):
    name = "chat.rated"
    chat_id: int
    ticket_id: int
    rating: str
