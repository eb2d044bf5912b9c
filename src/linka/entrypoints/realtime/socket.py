"""`/ws/agent`: the agent app's live connection.

Server → browser: {"type": "tickets", "codes": [...]} (tickets this agent may see changed),
{"type": "presence", "ticket", "agents": [{"name", "typing"}]}, {"type": "notify", "ticket", "text"}.
Browser → server: {"type": "view", "ticket": code, "typing": bool} (which ticket is open, and whether
a reply is being written), {"type": "leave"}.
Live chat adds its own frames both ways (`chat_…`, docs/chat-protocol.md; agent_chat.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from typing import Any, cast
from urllib.parse import urlparse

import msgspec
from litestar import Request, WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from linka.core.errors import LinkaError
from linka.core.permissions import Actor, Origin
from linka.domains.accounts import queries as accounts_queries
from linka.domains.chat.constants import MAX_FRAME_BYTES
from linka.domains.tickets import queries as ticket_queries
from linka.entrypoints.api.auth import optional_actor, runtime_of
from linka.entrypoints.realtime.agent_chat import handle_chat_frame, welcome_agent
from linka.entrypoints.realtime.hub import AgentConnection, RealtimeHub
from linka.entrypoints.realtime.presence import HEARTBEAT

CODE = re.compile(r"^[A-Z0-9-]{3,20}$")
ACTOR_REFRESH = 60.0  # seconds: permissions or a revoked session take effect within this
MAX_MESSAGE = MAX_FRAME_BYTES  # a chat line with its frame


def hub_of(socket: WebSocket[Any, Any, Any]) -> RealtimeHub:
    hub: RealtimeHub = socket.app.state.realtime_hub
    return hub


def same_origin(socket: WebSocket[Any, Any, Any]) -> bool:
    """Browsers send Origin on WebSocket handshakes; another site's page must not ride the session."""
    origin = socket.headers.get("origin")
    if origin is None:
        return True  # not a browser (no cookie-riding risk from another site)
    host = urlparse(origin).netloc
    base = urlparse(runtime_of(cast(Request[Any, Any, Any], socket)).settings.base_url).netloc
    return host in (socket.headers.get("host"), base)


async def _actor(socket: WebSocket[Any, Any, Any]) -> Actor | None:
    try:
        return await optional_actor(cast(Request[Any, Any, Any], socket), Origin.WEB)
    except LinkaError:
        return None


@websocket("/ws/agent")
async def agent_socket(socket: WebSocket[Any, Any, Any]) -> None:
    hub = hub_of(socket)
    if not same_origin(socket):
        await socket.close(code=4403)  # before accepting: the handshake is refused (403)
        return
    actor = await _actor(socket)
    await socket.accept()
    if actor is None or actor.agent_id is None or not hub.started:
        # 4401 tells the page its session is gone (it reloads, and lands on the sign-in page).
        await socket.close(code=4401 if actor is None or actor.agent_id is None else 1013)
        return
    connection = AgentConnection(actor=actor, browser_notices=await _wants_notices(socket, actor.agent_id))
    hub.connections.add(connection)
    sender = asyncio.create_task(_send_queued(socket, connection))
    with contextlib.suppress(LinkaError):
        await welcome_agent(runtime_of(cast(Request[Any, Any, Any], socket)), connection)
    # The agent is ringable now and has been sent the rings waiting for them: a client that starts
    # work right after connecting (a script, a test) waits for this instead of guessing.
    connection.push({"type": "ready"})
    try:
        await _receive(socket, hub, connection)
    finally:
        hub.connections.discard(connection)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
        if connection.viewing:
            with contextlib.suppress(Exception):
                await hub.announce(connection, connection.viewing, gone=True)


async def _send_queued(socket: WebSocket[Any, Any, Any], connection: AgentConnection) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await socket.send_json(await connection.queue.get())


async def _receive(socket: WebSocket[Any, Any, Any], hub: RealtimeHub, connection: AgentConnection) -> None:
    allowed: set[str] = set()  # tickets this connection was found allowed to see
    checked_actor_at = time.monotonic()
    while True:
        try:
            raw = await asyncio.wait_for(socket.receive_text(), timeout=HEARTBEAT)
        except TimeoutError:
            raw = None
        except (WebSocketDisconnect, RuntimeError):
            return
        if time.monotonic() - checked_actor_at > ACTOR_REFRESH:
            fresh = await _actor(socket)
            if fresh is None or fresh.agent_id != connection.agent_id:
                await socket.close(code=4401)
                return
            if fresh != connection.actor:
                allowed.clear()
            connection.actor, checked_actor_at = fresh, time.monotonic()
            connection.browser_notices = await _wants_notices(socket, connection.agent_id)
        if raw is None:
            if connection.viewing:  # heartbeat: still here
                await hub.announce(connection, connection.viewing)
            continue
        message = _parse(raw)
        if message is None:
            continue
        if message.get("type") == "view":
            await _view(socket, hub, connection, allowed, message)
        elif str(message.get("type", "")).startswith("chat_"):
            await handle_chat_frame(
                runtime_of(cast(Request[Any, Any, Any], socket)), hub, connection, message
            )
        elif message.get("type") == "leave" and connection.viewing:
            previous, connection.viewing, connection.typing = connection.viewing, None, False
            await hub.announce(connection, previous, gone=True)


async def _wants_notices(socket: WebSocket[Any, Any, Any], agent_id: int) -> bool:
    async with runtime_of(cast(Request[Any, Any, Any], socket)).db.read_session() as session:
        return await accounts_queries.wants_browser_notices(session, agent_id)


def _parse(raw: str) -> dict[str, Any] | None:
    if len(raw) > MAX_MESSAGE:
        return None
    try:
        message = msgspec.json.decode(raw)
    except Exception:
        return None
    return message if isinstance(message, dict) else None


async def _view(
    socket: WebSocket[Any, Any, Any],
    hub: RealtimeHub,
    connection: AgentConnection,
    allowed: set[str],
    message: dict[str, Any],
) -> None:
    code = message.get("ticket")
    if not isinstance(code, str) or not CODE.match(code):
        return
    if code not in allowed:
        runtime = runtime_of(cast(Request[Any, Any, Any], socket))
        try:
            async with runtime.db.read_session() as session:
                await ticket_queries.visible_ticket(session, connection.actor, code)
        except LinkaError:
            return  # not a ticket this agent may see: no presence either way
        allowed.add(code)
    previous = connection.viewing
    connection.viewing, connection.typing = code, bool(message.get("typing"))
    if previous and previous != code:
        await hub.announce(connection, previous, gone=True)
    await hub.announce(connection, code)
    connection.show_presence(hub.presence_message(code, connection))


routes = [agent_socket]
