"""Live chat tests: real visitor WebSocket clients (as the widget speaks, docs/chat-protocol.md), agents
made available for chats through the real actions, and the routing turn the worker takes, run on
demand while the test moves a frozen clock."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect

from linka.core.permissions import SYSTEM, DepartmentRole
from linka.domains.accounts import actions as accounts
from linka.domains.accounts import agent_actions
from linka.domains.chat import button_actions
from linka.domains.chat.models import Chat
from linka.entrypoints.runtime import Runtime
from linka.entrypoints.worker.jobs import route_chats
from tests.entrypoints.realtime.conftest import FRAME_WAIT, AgentSocket
from tests.personas import PASSWORD, Person, Personas
from tests.served_app import Served

SITE = "http://127.0.0.1"  # an allowed origin of the personas' support_chat button


class VisitorSocket(AgentSocket):
    """A visitor's widget connection, collecting what the server sends (the same frame collector as an
    agent's socket), with the welcome it got."""

    def __init__(self, connection: ClientConnection) -> None:
        super().__init__(connection)
        self.welcome: dict[str, Any] = {}

    async def next_line(self, wait: float = FRAME_WAIT, **match: Any) -> dict[str, Any]:
        """The next chat line whose fields match (the visitor's own lines come back too: skipped
        unless asked for)."""
        async with asyncio.timeout(wait):
            while True:
                line = (await self.next_of("message"))["message"]
                if all(line.get(k) == v for k, v in match.items()):
                    return dict(line)

    async def next_state(self, state: str, wait: float = FRAME_WAIT) -> dict[str, Any]:
        """The chat as the server says once it reaches `state`."""
        async with asyncio.timeout(wait):
            while True:
                chat = (await self.next_of("chat"))["chat"]
                if chat["state"] == state:
                    return dict(chat)

    async def say(self, text: str, key: str | None = None) -> dict[str, Any]:
        """Send a line and wait for its ack (stored)."""
        key = key or secrets.token_hex(8)
        await self.send({"type": "message", "key": key, "text": text})
        return await self.next_of("ack", key=key)

    async def start(
        self, text: str = "Hello, I need help", *, email: str | None = None, name: str = "Petra"
    ) -> dict[str, Any]:
        """Start a chat with the pre-chat form and a first line; returns the chat as the server says."""
        key = secrets.token_hex(8)
        fields = {"name": name, "email": email or f"visitor-{secrets.token_hex(4)}@example.test"}
        await self.send({"type": "start", "fields": fields, "message": {"key": key, "text": text}})
        await self.next_of("ack", key=key)
        frame = await self.next_of("chat")
        return dict(frame["chat"])


def visitor_url(served: Served, button: str) -> str:
    return served.url.replace("http://", "ws://") + f"/widget/ws/{button}"


@contextlib.asynccontextmanager
async def visitor_socket(
    served: Served,
    button: str,
    *,
    token: str | None = None,
    since: int = 0,
    origin: str = SITE,
    page: str = "http://127.0.0.1/shop",
    language: str = "en",
) -> AsyncIterator[VisitorSocket]:
    async with connect(visitor_url(served, button), origin=origin) as connection:  # type: ignore[arg-type]
        visitor = VisitorSocket(connection)
        await visitor.send(
            {
                "type": "hello",
                "token": token,
                "language": language,
                "page": {"url": page, "title": "Shop", "referrer": "https://search.example/?q=printer"},
                "since": since,
            }
        )
        visitor.welcome = await visitor.next_of("welcome")
        yield visitor


async def make_chat_agent(runtime: Runtime, personas: Personas, name: str, email: str) -> Person:
    """One more solver in Support who takes chats (the personas have Sára and Viktor there)."""
    async with runtime.uow(SYSTEM) as uow:
        agent = await accounts.create_agent(uow, email=email, name=name, password=PASSWORD)
        await accounts.set_membership(
            uow, department_id=personas.departments["support"], agent_id=agent.id, role=DepartmentRole.SOLVER
        )
    return Person(id=agent.id, public_id=agent.public_id, email=email, name=name)


async def set_online(runtime: Runtime, *people: Person, availability: str = "online") -> None:
    async with runtime.uow(SYSTEM) as uow:
        for person in people:
            await agent_actions.update_agent(uow, agent_id=person.id, availability=availability)


async def configure_button(runtime: Runtime, personas: Personas, **settings: Any) -> None:
    async with runtime.uow(SYSTEM) as uow:
        await button_actions.update_chat_button(uow, button_id=personas.support_chat_button.id, **settings)


async def route_now(runtime: Runtime) -> int:
    """The worker's routing turn (rings that ran out move on, missed chats, silent chats end)."""
    return await route_chats(runtime)


async def chat_row(runtime: Runtime, public_id: str) -> Chat:
    async with runtime.db.read_session() as session:
        return (await session.execute(select(Chat).where(Chat.public_id == public_id))).scalar_one()


async def agent_line(agent: Any, chat: str, wait: float = FRAME_WAIT, **match: Any) -> dict[str, Any]:
    """The next line of `chat` an agent socket receives whose fields match."""
    async with asyncio.timeout(wait):
        while True:
            line = (await agent.next_of("chat_message", chat=chat))["message"]
            if all(line.get(k) == v for k, v in match.items()):
                return dict(line)
