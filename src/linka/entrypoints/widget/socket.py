"""`/widget/ws/{button}`: the chat widget's connection (docs/chat-protocol.md, visitor side).

Every stored change (a visit, a chat, a line, a rating…) is one domain action in its own unit of work,
and the widget is answered only after the commit: an `ack` means the line is in the database. What other
sockets must see goes out through the pub/sub after the commit (entrypoints/realtime)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

import msgspec
from litestar import Request, WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from linka.core import clock
from linka.core.errors import LinkaError, RateLimited
from linka.core.permissions import Actor, Origin
from linka.domains.chat import actions, button_queries, queries, visitor_actions
from linka.domains.chat.constants import MAX_FRAME_BYTES
from linka.domains.chat.errors import reason_of
from linka.domains.chat.models import ChatButton, Visitor
from linka.domains.chat.wire import chat_frame, line_frame, visitor_config
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.realtime.chat_delivery import VisitorConnection
from linka.entrypoints.realtime.hub import RealtimeHub
from linka.entrypoints.runtime import Runtime
from linka.entrypoints.widget.invitations import InvitationTimer
from linka.entrypoints.widget.origins import origin_allowed

log = logging.getLogger(__name__)
HELLO_TIMEOUT = 10.0
IDLE_TIMEOUT = 90.0  # the widget pings every 25 s; a silent socket is gone
# Frames that write (and so count against the visitor's rate limit).
WRITES = frozenset({"start", "message", "offline", "transcript", "rate", "end"})


def _visitor_actor() -> Actor:
    return Actor(origin=Origin.CHAT, name="Visitor")


async def _send(socket: WebSocket[Any, Any, Any], frame: dict[str, Any]) -> None:
    await socket.send_text(msgspec.json.encode(frame).decode())


async def _refuse(socket: WebSocket[Any, Any, Any], code: int, error: str, message: str) -> None:
    await _send(socket, {"type": "error", "code": error, "message": message})
    await socket.close(code=code)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _parse(raw: str) -> dict[str, Any] | None:
    """A frame as a dict with a text `type`, or None. Its size is counted in characters, as the agent
    socket counts it: the longest line (5000 emoji) is 20 KB of UTF-8 and must fit in a frame."""
    if len(raw) > MAX_FRAME_BYTES:
        return None
    try:
        frame = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return None
    return frame if isinstance(frame, dict) and isinstance(frame.get("type"), str) else None


@websocket("/widget/ws/{button:str}")
async def visitor_socket(socket: WebSocket[Any, Any, Any], button: str) -> None:
    runtime = runtime_of(cast(Request[Any, Any, Any], socket))
    hub: RealtimeHub = socket.app.state.realtime_hub
    await socket.accept()
    async with runtime.db.read_session() as session:
        found = await button_queries.enabled_button_by_public_id(session, button[:24])
    if found is None:
        await _refuse(socket, 4404, "unknown_button", "There is no such chat button.")
        return
    if not origin_allowed(socket.headers.get("origin"), found, runtime.settings.base_url):
        await _refuse(socket, 4403, "origin_not_allowed", "This site may not use this chat button.")
        return
    try:
        hello = _parse(await asyncio.wait_for(socket.receive_text(), timeout=HELLO_TIMEOUT))
    except (TimeoutError, WebSocketDisconnect, RuntimeError):
        hello = None
    if hello is None or hello.get("type") != "hello":
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await _refuse(socket, 4400, "hello_expected", "The first frame must be a hello.")
        return
    if not isinstance(hello.get("token"), str):
        try:
            await runtime.visitor_limits.new_visitor(socket.client.host if socket.client else "?")
        except RateLimited:
            await _refuse(socket, 4429, "rate_limited", "Too many new visitors from your address; try later.")
            return
    session_runner = VisitorSession(runtime, hub, socket, found)
    await session_runner.run(hello)


class VisitorSession:
    """One open widget: its visitor, the frames it sends, the frames it is sent."""

    def __init__(
        self, runtime: Runtime, hub: RealtimeHub, socket: WebSocket[Any, Any, Any], button: ChatButton
    ) -> None:
        self.runtime, self.hub, self.socket, self.button = runtime, hub, socket, button
        self.limiter = runtime.visitor_limits
        self.connection: VisitorConnection | None = None
        self.typing = False
        self.invitations = InvitationTimer(runtime, button, self._push)

    def _push(self, frame: dict[str, Any]) -> None:
        if self.connection is not None:
            self.connection.push(frame)

    async def run(self, hello: dict[str, Any]) -> None:
        token = hello.get("token") if isinstance(hello.get("token"), str) else None
        async with self.runtime.uow(_visitor_actor()) as uow:
            visitor = await visitor_actions.record_visit(
                uow,
                button=self.button,
                token=token,
                language=hello.get("language"),
                page=hello.get("page") if isinstance(hello.get("page"), dict) else None,
                user_agent=self.socket.headers.get("user-agent", ""),
            )
        self.connection = VisitorConnection(
            visitor_id=visitor.id, button_id=self.button.id, language=visitor.language
        )
        since = hello["since"] if isinstance(hello.get("since"), int) else 0
        # On the roster before the welcome's lines are read: a line committed meanwhile waits in the
        # queue and follows the welcome (the widget drops a line it already has, by its number).
        self.hub.chat.add(self.connection)
        sender: asyncio.Task[None] | None = None
        try:
            await _send(self.socket, await self._welcome(visitor, since))
            sender = asyncio.create_task(self._send_queued())
            await self.invitations.check(visitor)
            await self._receive(visitor)
        finally:
            self.invitations.cancel()
            self.hub.chat.discard(self.connection)
            if sender is not None:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sender
            if self.typing:
                with contextlib.suppress(Exception):
                    await self._tell_typing(visitor, False)

    async def _welcome(self, visitor: Visitor, since: int) -> dict[str, Any]:
        assert self.connection is not None
        async with self.runtime.db.read_session() as session:
            now = clock.now()
            chat = await queries.current_chat_of_visitor(session, visitor.id, now)
            online = await queries.anyone_available(session, self.button.department_id, now)
            chat_out, messages = None, []
            if chat is not None:
                self.connection.chat = chat.public_id
                names = await queries.agent_names(session, [chat.agent_id] if chat.agent_id else [])
                agent_name = names[chat.agent_id][1] if chat.agent_id in names else None
                chat_out = chat_frame(
                    chat, agent_name=agent_name, position=await queries.queue_position(session, chat)
                )
                messages = [
                    line_frame(line, for_agent=False)
                    for line in await queries.lines(session, chat, since=max(0, since))
                    if line.kind in ("text", "file", "system")
                ]
        return {
            "type": "welcome",
            "token": visitor.token,
            "visitor": visitor.public_id,
            "config": visitor_config(self.button, visitor.language),
            "online": online,
            "chat": chat_out,
            "messages": messages,
        }

    async def _send_queued(self) -> None:
        assert self.connection is not None
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            while True:
                await _send(self.socket, await self.connection.queue.get())

    async def _receive(self, visitor: Visitor) -> None:
        while True:
            try:
                raw = await asyncio.wait_for(self.socket.receive_text(), timeout=IDLE_TIMEOUT)
            except (TimeoutError, WebSocketDisconnect, RuntimeError):
                return
            frame = _parse(raw)
            if frame is None:
                self._push(
                    {"type": "error", "code": "invalid", "message": "A frame must be JSON under 16 KB."}
                )
                continue
            kind = frame.get("type")
            try:
                if kind in WRITES:
                    await self.limiter.hit(visitor.id)
                await self._handle(visitor, str(kind), frame)
            except RateLimited as refused:
                self._push(
                    {
                        "type": "error",
                        "code": "rate_limited",
                        "message": "You are sending too fast; please wait a moment.",
                        "key": frame.get("key"),
                        "retry_after": refused.retry_after,
                    }
                )
            except LinkaError as refused:
                self._push(_error_frame(refused, frame))

    async def _handle(self, visitor: Visitor, kind: str, frame: dict[str, Any]) -> None:
        handler = self._handlers().get(kind)
        if handler is not None:
            await handler(visitor, frame)

    def _handlers(self) -> dict[str, Callable[[Visitor, dict[str, Any]], Awaitable[None]]]:
        return {
            "ping": self._ping,
            "page": self._page,
            "start": self._start,
            "message": self._message,
            "typing": self._typing,
            "seen": self._seen,
            "end": self._end,
            "rate": self._rate,
            "transcript": self._transcript,
            "offline": self._offline,
        }

    async def _ping(self, visitor: Visitor, frame: dict[str, Any]) -> None:
        self._push({"type": "pong"})

    async def _page(self, visitor: Visitor, frame: dict[str, Any]) -> None:
        async with self.runtime.uow(_visitor_actor()) as uow:
            fresh = await visitor_actions.record_page(
                uow, visitor_id=visitor.id, page=_mapping(frame.get("page"))
            )
        visitor.page_url, visitor.page_views = fresh.page_url, fresh.page_views
        await self.invitations.check(visitor)

    async def _start(self, visitor: Visitor, frame: dict[str, Any]) -> None:
        first = frame.get("message") if isinstance(frame.get("message"), dict) else None
        fields = _mapping(frame.get("fields"))
        async with self.runtime.uow(_visitor_actor()) as uow:
            chat = await actions.start_chat(
                uow,
                visitor_id=visitor.id,
                fields=fields,
                first_key=first.get("key") if first else None,
                first_text=first.get("text") if first else None,
            )
            seq = None
            if first:
                # The line under its key: just stored with the new chat, stored earlier (a resend), or
                # stored now (the chat was already running: another tab started it).
                _, seq = await actions.post_visitor_line(
                    uow, visitor_id=visitor.id, key=first.get("key"), text=first.get("text")
                )
        self.invitations.cancel()
        assert self.connection is not None
        self.connection.chat = chat.public_id
        if first:
            self._push({"type": "ack", "key": first.get("key"), "seq": seq})

    async def _message(self, visitor: Visitor, frame: dict[str, Any]) -> None:
        async with self.runtime.uow(_visitor_actor()) as uow:
            _, seq = await actions.post_visitor_line(
                uow, visitor_id=visitor.id, key=frame.get("key"), text=frame.get("text")
            )
        self._push({"type": "ack", "key": frame.get("key"), "seq": seq})

    async def _typing(self, visitor: Visitor, frame: dict[str, Any]) -> None:
        typing = bool(frame.get("typing"))
        if typing != self.typing:
            self.typing = typing
            await self._tell_typing(visitor, typing)

    async def _tell_typing(self, visitor: Visitor, typing: bool) -> None:
        async with self.runtime.db.read_session() as session:
            chat = await queries.current_chat_of_visitor(session, visitor.id, clock.now())
            if chat is None or chat.state not in queries.RUNNING:
                return
            agents = await queries.participant_ids(session, chat.id)
        if agents:
            frame = {"type": "chat_typing", "chat": chat.public_id, "typing": typing}
            await self.hub.publish_chat_frames([[agents, frame, None, None]])

    async def _seen(self, visitor: Visitor, frame: dict[str, Any]) -> None:
        if isinstance(frame.get("seq"), int):
            async with self.runtime.uow(_visitor_actor()) as uow:
                await actions.mark_seen(uow, visitor_id=visitor.id, seq=frame["seq"])

    async def _end(self, visitor: Visitor, frame: dict[str, Any]) -> None:
        async with self.runtime.uow(_visitor_actor()) as uow:
            await actions.end_chat(uow, visitor_id=visitor.id, by="visitor")

    async def _rate(self, visitor: Visitor, frame: dict[str, Any]) -> None:
        async with self.runtime.uow(_visitor_actor()) as uow:
            await visitor_actions.rate_chat(
                uow, visitor_id=visitor.id, rating=frame.get("rating"), comment=frame.get("comment", "")
            )
        self._push({"type": "rated", "rating": frame.get("rating")})

    async def _transcript(self, visitor: Visitor, frame: dict[str, Any]) -> None:
        async with self.runtime.uow(_visitor_actor()) as uow:
            await visitor_actions.mail_transcript(uow, visitor_id=visitor.id, email=frame.get("email"))
        self._push({"type": "transcript_sent"})

    async def _offline(self, visitor: Visitor, frame: dict[str, Any]) -> None:
        fields = _mapping(frame.get("fields"))
        async with self.runtime.uow(_visitor_actor()) as uow:
            await visitor_actions.leave_offline_message(
                uow, visitor_id=visitor.id, fields=fields, message=frame.get("message")
            )
        self._push({"type": "offline_sent"})


def _error_frame(error: LinkaError, frame: dict[str, Any]) -> dict[str, Any]:
    """A refusal the widget can show: a code it knows, the field at fault, the key of the line."""
    field = next(iter(error.fields), None)
    message = error.fields.get(field, error.message) if field else error.message
    out: dict[str, Any] = {
        "type": "error",
        "code": reason_of(error),
        "message": message,
        "key": frame.get("key"),
    }
    if field:
        out["field"] = field
    return out


routes = [visitor_socket]
