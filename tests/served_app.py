"""The app served by uvicorn on a free loopback port, inside the test's own event loop (so it shares the
test's database fixtures): for tests that need real sockets (WebSocket clients, a browser)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import uvicorn
from litestar import Litestar

from tests.live_server import free_port


@dataclass
class Served:
    url: str
    app: Litestar

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/ws/agent"


@contextlib.asynccontextmanager
async def serve(app: Litestar) -> AsyncIterator[Served]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield Served(url=f"http://127.0.0.1:{port}", app=app)
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def served(app: Litestar) -> AsyncIterator[Served]:
    async with serve(app) as running:
        yield running
