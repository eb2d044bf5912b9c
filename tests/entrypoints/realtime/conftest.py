"""A real server for live-update tests: the app under uvicorn on a loopback port, in the test's own event
loop (so it shares the test database fixtures), and real WebSocket clients signed in through /login."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from linka.entrypoints.asgi import CSRF_COOKIE, SESSION_COOKIE
from tests.personas import Person
from tests.served_app import Served
from tests.served_app import served as served  # the fixture, for the tests here


async def session_cookie(served: Served, person: Person) -> str:
    async with httpx.AsyncClient(base_url=served.url) as http:
        await http.get("/login")
        response = await http.post(
            "/login",
            data={
                "email": person.email,
                "password": person.password,
                "_csrf_token": http.cookies[CSRF_COOKIE],
            },
        )
        assert response.status_code == 303, response.text[:300]
        return f"{SESSION_COOKIE}={http.cookies[SESSION_COOKIE]}"


# How long a positive check waits for a frame. It returns as soon as the frame comes, so the bound only
# matters when the machine is loaded: the full suite runs three workers, a browser and PostgreSQL on two
# cores, and once a visitor's welcome took longer than 5 s there.
FRAME_WAIT = 20.0


class AgentSocket:
    """A signed-in agent's live connection, collecting what the server sends."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.received: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def next_of(self, kind: str, wait: float = FRAME_WAIT, **match: Any) -> dict[str, Any]:
        """The next message of `kind` (matching `match`), waiting up to `wait` seconds."""
        for seen in self.received:
            if seen["type"] == kind and all(seen.get(k) == v for k, v in match.items()):
                self.received.remove(seen)
                return seen
        async with asyncio.timeout(wait):
            while True:
                message = json.loads(await self.connection.recv())
                if message["type"] == kind and all(message.get(k) == v for k, v in match.items()):
                    return message
                self.received.append(message)

    async def nothing_of(self, kind: str, wait: float = 0.5) -> None:
        """Nothing of `kind` arrives within `wait` seconds (used after a positive check elsewhere)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                while True:
                    self.received.append(json.loads(await self.connection.recv()))
        unexpected = [m for m in self.received if m["type"] == kind]
        assert not unexpected, unexpected


@contextlib.asynccontextmanager
async def agent_socket(
    served: Served, person: Person, *, origin: str | None = None
) -> AsyncIterator[AgentSocket]:
    cookie = await session_cookie(served, person)
    async with connect(
        served.ws_url,
        additional_headers={"Cookie": cookie},
        origin=origin or served.url,  # type: ignore[arg-type]
    ) as connection:
        agent = AgentSocket(connection)
        await agent.next_of("ready")  # registered and ringable: the test may start chats now
        yield agent
