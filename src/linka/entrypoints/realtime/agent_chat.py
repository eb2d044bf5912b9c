"""The chat frames of the agent socket (docs/chat-protocol.md): answering rings, writing lines, typing
and seen marks. Each stored change is one domain action in its own unit of work; the frames others
see come back through the pub/sub after the commit."""

from __future__ import annotations

import dataclasses
from typing import Any

from linka.core import clock
from linka.core.errors import Forbidden, LinkaError, NotFound
from linka.core.permissions import Origin
from linka.domains.chat import actions, queries, routing
from linka.domains.chat.constants import RoutingMethod
from linka.domains.chat.errors import reason_of
from linka.domains.chat.models import ChatButton
from linka.entrypoints.realtime.chat_presence import keep_agents_connected
from linka.entrypoints.realtime.hub import AgentConnection, RealtimeHub
from linka.entrypoints.runtime import Runtime


def _error_code(error: LinkaError) -> str:
    if isinstance(error, Forbidden | NotFound):
        return "not_yours"
    return reason_of(error)


async def welcome_agent(runtime: Runtime, connection: AgentConnection) -> None:
    """A new agent connection: ringable now, and shown the rings still waiting for them."""
    await keep_agents_connected(runtime, [connection.agent_id])
    async with runtime.db.read_session() as session:
        offers = await queries.pending_offers_of_agent(session, connection.agent_id, clock.now())
        for offer in offers:
            chat = await session.get(queries.Chat, offer.chat_id)
            button = await session.get(ChatButton, chat.button_id) if chat is not None else None
            if chat is None or button is None or chat.state != "queued":
                continue
            ring_all = button.routing_method == RoutingMethod.RING_ALL
            connection.push(
                await routing.ring_frame(session, chat, expires_at=offer.expires_at, ring_all=ring_all)
            )


async def handle_chat_frame(
    runtime: Runtime, hub: RealtimeHub, connection: AgentConnection, message: dict[str, Any]
) -> None:
    kind, chat = message.get("type"), message.get("chat")
    if not isinstance(chat, str) or not 3 <= len(chat) <= 24:
        return
    actor = dataclasses.replace(connection.actor, origin=Origin.CHAT)
    try:
        if kind == "chat_accept":
            async with runtime.uow(actor) as uow:
                await routing.accept_chat(uow, chat_public_id=chat)
        elif kind == "chat_decline":
            async with runtime.uow(actor) as uow:
                await routing.decline_chat(uow, chat_public_id=chat)
        elif kind == "chat_send":
            async with runtime.uow(actor) as uow:
                _, seq = await actions.post_agent_line(
                    uow, chat_public_id=chat, key=message.get("key"), text=message.get("text")
                )
            connection.push({"type": "chat_ack", "chat": chat, "key": message.get("key"), "seq": seq})
        elif kind == "chat_seen" and isinstance(message.get("seq"), int):
            async with runtime.uow(actor) as uow:
                await actions.mark_seen(uow, chat_public_id=chat, seq=message["seq"])
        elif kind == "chat_typing":
            await _tell_typing(runtime, hub, connection, chat, bool(message.get("typing")))
    except LinkaError as error:
        connection.push(
            {
                "type": "chat_error",
                "chat": chat,
                "key": message.get("key"),
                "code": _error_code(error),
                "message": str(error),
            }
        )


async def _tell_typing(
    runtime: Runtime, hub: RealtimeHub, connection: AgentConnection, chat_public_id: str, typing: bool
) -> None:
    async with runtime.db.read_session() as session:
        chat = await queries.chat_by_public_id(session, chat_public_id)
        if connection.agent_id not in await queries.participant_ids(session, chat.id):
            return
    frame = {"type": "typing", "typing": typing, "name": connection.actor.name}
    await hub.publish_chat_frames([[[], None, chat.visitor_id, frame]])
