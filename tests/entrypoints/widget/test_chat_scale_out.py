"""Scale-out, for real: two `linka serve --no-worker` processes and one `linka worker` on PostgreSQL and
Redis behave as one chat system. A visitor on one process chats with an agent on the other; a ring that
runs out is moved on by the worker process; a burst of chats from both processes never offers one chat
twice nor rings an agent twice at once; a server killed mid-conversation loses no stored line."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from linka.core.db import Database
from linka.domains.chat.models import Chat, ChatOffer
from linka.domains.tickets.thread_models import Message
from linka.entrypoints.runtime import Runtime
from tests.conftest import SECRET_KEY
from tests.databases import redis_url_or_skip
from tests.entrypoints.realtime.conftest import agent_socket
from tests.entrypoints.widget.chat_helpers import configure_button, set_online, visitor_socket
from tests.live_server import free_port
from tests.personas import Personas
from tests.served_app import Served

pytestmark = [pytest.mark.redis, pytest.mark.parametrize("engine_name", ["postgresql"])]


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    served: Served | None = None

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def _environment(db: Database, data_dir: Path, redis_url: str, base_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LINKA_")}
    env.update(
        {
            "LINKA_DATABASE_URL": db.url,
            "LINKA_REDIS_URL": redis_url,
            "LINKA_SECRET_KEY": SECRET_KEY,
            "LINKA_DATA_DIR": str(data_dir),
            "LINKA_BASE_URL": base_url,
            "LINKA_WORKER_POLL_SECONDS": "1",
        }
    )
    return env


def _start(name: str, args: list[str], env: dict[str, str], folder: Path) -> Process:
    log = folder / f"{name}.log"
    with log.open("wb") as output:
        popen = subprocess.Popen(
            [sys.executable, "-m", "linka.entrypoints.cli.main", *args],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return Process(name, popen, log)


def _wait_ready(process: Process, url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.popen.poll() is None, f"{process.name} exited:\n{process.output()}"
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url + "/readyz", timeout=1.0).status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"{process.name} did not get ready:\n{process.output()}")


def _stop(process: Process) -> None:
    if process.popen.poll() is None:
        process.popen.terminate()
        try:
            process.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.popen.kill()
            process.popen.wait()


@pytest.fixture
def cluster(db: Database, tmp_path: Path) -> Iterator[tuple[Process, Process, Process]]:
    """Server A, server B and a worker, sharing the test's PostgreSQL database and the test Redis."""
    redis_url = redis_url_or_skip()
    ports = (free_port(), free_port())
    base = f"http://127.0.0.1:{ports[0]}"
    env = _environment(db, tmp_path, redis_url, base)
    servers = [
        _start(
            name,
            ["serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker", "--no-smtp"],
            env,
            tmp_path,
        )
        for name, port in zip(("server-a", "server-b"), ports, strict=True)
    ]
    worker = _start("worker", ["worker"], env, tmp_path)
    try:
        for server, port in zip(servers, ports, strict=True):
            url = f"http://127.0.0.1:{port}"
            _wait_ready(server, url)
            server.served = Served(url=url, app=None)  # type: ignore[arg-type]
        assert worker.popen.poll() is None, worker.output()
        yield servers[0], servers[1], worker
    finally:
        for process in (*servers, worker):
            _stop(process)


def served_of(process: Process) -> Served:
    assert process.served is not None
    return process.served


async def test_a_visitor_on_one_server_chats_with_an_agent_on_the_other_and_the_worker_moves_rings_on(
    cluster: tuple[Process, Process, Process], runtime: Runtime, personas: Personas
) -> None:
    server_a, server_b, _ = cluster
    sara, viktor = personas.support_agent, personas.support_supervisor
    await configure_button(
        runtime,
        personas,
        routing_method="priority",
        agent_priorities={sara.id: 10, viktor.id: 1},
        ring_seconds=5,
        max_chats_per_agent=2,
    )
    await set_online(runtime, sara, viktor)
    button = personas.support_chat_button.public_id
    async with (
        agent_socket(served_of(server_b), sara) as sara_app,
        agent_socket(served_of(server_a), viktor) as viktor_app,
        visitor_socket(served_of(server_a), button) as visitor,
    ):
        chat = await visitor.start("Hello from server A")
        await sara_app.next_of("chat_ring", chat=chat["id"], wait=10)  # rung on server B
        await sara_app.send({"type": "chat_accept", "chat": chat["id"]})
        assert (await visitor.next_state("active"))["agent"] == {"name": sara.name}
        await sara_app.send({"type": "chat_send", "chat": chat["id"], "key": "b1", "text": "Hello from B"})
        assert (await visitor.next_line(author="agent"))["text"] == "Hello from B"
        await visitor.say("Thanks, A here")

        # Sára (priority) is rung for a second chat and lets it ring out: the worker process moves it on.
        async with visitor_socket(served_of(server_b), button) as second_visitor:
            second = await second_visitor.start("Second chat, from server B")
            await sara_app.next_of("chat_ring", chat=second["id"], wait=10)
            ended = await sara_app.next_of("chat_ring_end", chat=second["id"], wait=15)
            assert ended["reason"] == "expired"
            await viktor_app.next_of("chat_ring", chat=second["id"], wait=10)


async def test_a_burst_from_both_servers_never_offers_a_chat_twice(
    cluster: tuple[Process, Process, Process], runtime: Runtime, personas: Personas
) -> None:
    server_a, server_b, _ = cluster
    sara, viktor = personas.support_agent, personas.support_supervisor
    await configure_button(runtime, personas, routing_method="average", ring_seconds=5, max_chats_per_agent=3)
    await set_online(runtime, sara, viktor)
    button = personas.support_chat_button.public_id
    async with (
        agent_socket(served_of(server_a), sara),
        agent_socket(served_of(server_b), viktor),
        contextlib.AsyncExitStack() as stack,
    ):
        people = [
            await stack.enter_async_context(visitor_socket(served_of((server_a, server_b)[n % 2]), button))
            for n in range(8)
        ]
        chats = await asyncio.gather(*(person.start(f"Burst {n}") for n, person in enumerate(people)))
        await asyncio.sleep(1.5)  # the worker takes a turn or two as well

    async with runtime.db.read_session() as session:
        chat_ids = (
            (await session.execute(select(Chat.id).where(Chat.public_id.in_([c["id"] for c in chats]))))
            .scalars()
            .all()
        )
        offers = (
            (await session.execute(select(ChatOffer).where(ChatOffer.chat_id.in_(chat_ids)))).scalars().all()
        )
    assert len(chat_ids) == 8
    per_round = [(offer.chat_id, offer.round, offer.agent_id) for offer in offers]
    assert len(per_round) == len(set(per_round)), "a chat was offered twice to an agent in one round"
    pending = [offer.agent_id for offer in offers if offer.outcome == "pending"]
    assert sorted(pending) == sorted(set(pending)), "an agent was rung for two chats at once"
    assert set(pending) == {sara.id, viktor.id}  # both were rung, one chat each, the rest wait


async def test_a_server_killed_mid_conversation_loses_no_stored_line(
    cluster: tuple[Process, Process, Process], runtime: Runtime, personas: Personas, db: Database
) -> None:
    server_a, server_b, _ = cluster
    sara = personas.support_agent
    await set_online(runtime, sara)
    button = personas.support_chat_button.public_id
    async with agent_socket(served_of(server_b), sara) as sara_app:
        async with visitor_socket(served_of(server_a), button) as visitor:
            chat = await visitor.start("Before the crash")
            await sara_app.next_of("chat_ring", chat=chat["id"], wait=10)
            await sara_app.send({"type": "chat_accept", "chat": chat["id"]})
            await visitor.next_state("active")
            acked = [await visitor.say(f"line {n}", key=f"k{n}") for n in range(3)]
            token = visitor.welcome["token"]
            await visitor.send({"type": "message", "key": "k-last", "text": "sent as the server dies"})
            server_a.popen.send_signal(signal.SIGKILL)
            server_a.popen.wait(timeout=10)
            with contextlib.suppress(Exception):
                await visitor.next_of("ack", key="k-last", wait=1)

        # The widget reconnects (to the other server) with its token and resends what was not acked.
        async with visitor_socket(served_of(server_b), button, token=token) as again:
            shown = [m["text"] for m in again.welcome["messages"] if m["author"] == "visitor"]
            assert shown[:4] == ["Before the crash", "line 0", "line 1", "line 2"]
            resent = await again.say("sent as the server dies", key="k-last")
            assert resent["seq"] > acked[-1]["seq"]
            await again.say("after the crash", key="k-after")
            heard = []
            while "after the crash" not in heard:
                heard.append(
                    (await sara_app.next_of("chat_message", chat=chat["id"], wait=10))["message"]["text"]
                )

    async with runtime.db.read_session() as session:
        row = (await session.execute(select(Chat).where(Chat.public_id == chat["id"]))).scalar_one()
        keys = (
            await session.execute(
                select(Message.client_key, func.count())
                .where(Message.group_id == row.group_id, Message.client_key.is_not(None))
                .group_by(Message.client_key)
            )
        ).all()
    counts = dict(keys)
    assert all(count == 1 for count in counts.values()), counts
    assert {"k0", "k1", "k2", "k-last", "k-after"} <= set(counts)
