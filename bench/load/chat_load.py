"""Live chat under load, with real sockets as the widget and the agent app speak (docs/chat-protocol.md):

- idle visitors: open widget sockets up to N (each says hello and gets its welcome), hold them, then
  check each still answers a ping; the server's memory is read meanwhile;
- message latency: agents connected with API keys accept the chats rung to them; visitors send lines
  at a combined rate; latency is from a visitor's send to the agent's socket receiving the line.

Each visitor comes through its own address in X-Forwarded-For, as a load balancer in front of Linka
would say (uvicorn trusts it from 127.0.0.1): Linka refuses more than 60 new widgets a minute from one
address, a limit for scripts, not for a shop's many visitors."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException
from websockets.protocol import State

from bench.load.prepare import SITE

HELLO_TIMEOUT = 30.0
KEEPALIVE = 25.0  # the widget's ping interval (docs/chat-protocol.md)
PAGE = {"url": f"{SITE}/cart", "title": "Košík", "referrer": "https://search.example/?q=tiskarna"}


def raise_open_files() -> tuple[int, int]:
    """This process holds a socket per visitor: lift the soft limit of open files to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def visitor_address(number: int) -> str:
    return f"10.{(number >> 16) & 255}.{(number >> 8) & 255}.{number & 255}"


def hello() -> str:
    return json.dumps({"type": "hello", "token": None, "language": "cs", "page": PAGE, "since": 0})


async def _frame(connection: ClientConnection, kind: str, wait: float) -> dict[str, Any]:
    """The next frame of `kind` within `wait` seconds; an `error` frame instead raises with its code."""
    async with asyncio.timeout(wait):
        while True:
            frame = json.loads(await connection.recv())
            if frame.get("type") == kind:
                return dict(frame)
            if frame.get("type") == "error":
                raise RuntimeError(str(frame.get("code")))


async def open_visitor(url: str, number: int) -> ClientConnection:
    connection = await connect(
        url,
        origin=SITE,  # type: ignore[arg-type]
        additional_headers={"X-Forwarded-For": visitor_address(number)},
        open_timeout=HELLO_TIMEOUT,
        ping_interval=None,  # the widget keeps alive with its own ping frame
        max_queue=64,
    )
    try:
        await connection.send(hello())
        await _frame(connection, "welcome", HELLO_TIMEOUT)
    except BaseException:
        await connection.close()
        raise
    return connection


def _count(failures: dict[str, int], error: BaseException) -> None:
    name = str(error) if isinstance(error, RuntimeError) else type(error).__name__
    failures[name] = failures.get(name, 0) + 1


# ---- idle visitors --------------------------------------------------------------------------------


class IdleVisitor:
    """An open widget that does what the real one does while nobody types: reads what comes, and
    pings every 25 s (Linka drops a widget silent for 90 s)."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.pongs = 0
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(WebSocketException, OSError):
            async for raw in self.connection:
                if json.loads(raw).get("type") == "pong":
                    self.pongs += 1

    @property
    def open(self) -> bool:
        return self.connection.state is State.OPEN and not self.reader.done()

    async def ping(self) -> None:
        with contextlib.suppress(WebSocketException, OSError):
            await self.connection.send(json.dumps({"type": "ping"}))


async def _keep_alive(visitors: list[IdleVisitor], every: float = KEEPALIVE) -> None:
    while True:
        await asyncio.sleep(every)
        await asyncio.gather(*(visitor.ping() for visitor in list(visitors) if visitor.open))


async def idle_visitors(
    ws_base: str,
    button: str,
    wanted: int,
    *,
    hold: float = 10.0,
    concurrency: int = 50,
    open_for: float = 120.0,
    sample: Callable[[], int] = lambda: 0,
) -> dict[str, Any]:
    """Open up to `wanted` visitor sockets (at most `concurrency` handshakes at a time, for at most
    `open_for` seconds), hold them `hold` seconds, and count those still answering a ping."""
    url = f"{ws_base}/widget/ws/{button}"
    visitors: list[IdleVisitor] = []
    failures: dict[str, int] = {}
    gate = asyncio.Semaphore(concurrency)
    started = time.perf_counter()
    keeping = asyncio.create_task(_keep_alive(visitors))

    async def one(number: int) -> None:
        async with gate:
            if time.perf_counter() - started > open_for:
                failures["not tried: time ran out"] = failures.get("not tried: time ran out", 0) + 1
                return
            try:
                visitors.append(IdleVisitor(await open_visitor(url, number)))
            except (OSError, TimeoutError, WebSocketException, RuntimeError) as error:
                _count(failures, error)

    try:
        await asyncio.gather(*(one(number) for number in range(1, wanted + 1)))
        opened, opening = len(visitors), time.perf_counter() - started
        await asyncio.sleep(hold)
        held_rss = sample()
        alive = await _still_answering(visitors)
    finally:
        keeping.cancel()
        await _close_all([visitor.connection for visitor in visitors])
    return {
        "wanted": wanted,
        "completed_hello": opened,
        "opening_seconds": round(opening, 1),
        "held_seconds": hold,
        "answering_after_hold": alive,
        "failures": failures,
        "rss_while_held_mib": round(held_rss / 2**20, 1),
    }


async def _still_answering(visitors: list[IdleVisitor], wait: float = 30.0) -> int:
    """Ping every open visitor once more; count those whose pong comes back within `wait` seconds."""
    before = {id(visitor): visitor.pongs for visitor in visitors}
    await asyncio.gather(*(visitor.ping() for visitor in visitors if visitor.open))
    deadline = time.perf_counter() + wait
    while time.perf_counter() < deadline:
        answered = sum(1 for visitor in visitors if visitor.pongs > before[id(visitor)])
        if answered == sum(1 for visitor in visitors if visitor.open):
            break
        await asyncio.sleep(0.2)
    return sum(1 for visitor in visitors if visitor.pongs > before[id(visitor)])


async def _close_all(sockets: list[ClientConnection], concurrency: int = 200) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def close(connection: ClientConnection) -> None:
        async with gate:
            with contextlib.suppress(OSError, WebSocketException, TimeoutError):
                await asyncio.wait_for(connection.close(), 5)

    await asyncio.gather(*(close(connection) for connection in sockets))


# ---- message latency ------------------------------------------------------------------------------


@dataclass
class Lines:
    sent_at: dict[str, float] = field(default_factory=dict)
    latencies: dict[str, float] = field(default_factory=dict)
    refusals: dict[str, int] = field(default_factory=dict)
    accepted: int = 0


async def _ping_every(sockets: list[ClientConnection], every: float = KEEPALIVE) -> None:
    """The widget's keep-alive, for visitors waiting for their chat to be taken."""
    while True:
        await asyncio.sleep(every)
        for connection in list(sockets):
            with contextlib.suppress(WebSocketException, OSError):
                await connection.send(json.dumps({"type": "ping"}))


async def _agent_loop(connection: ClientConnection, lines: Lines) -> None:
    """An agent app that accepts every ring and notes when each visitor line arrives."""
    async for raw in connection:
        now = time.perf_counter()
        frame = json.loads(raw)
        kind = frame.get("type")
        if kind == "chat_ring":
            await connection.send(json.dumps({"type": "chat_accept", "chat": frame["chat"]}))
        elif kind == "chat_message":
            key = (frame.get("message") or {}).get("key")
            if key in lines.sent_at and key not in lines.latencies:
                lines.latencies[key] = now - lines.sent_at[key]
        elif kind == "chat_error":
            code = str(frame.get("code"))
            lines.refusals[f"agent: {code}"] = lines.refusals.get(f"agent: {code}", 0) + 1


async def _visitor_loop(connection: ClientConnection, lines: Lines, active: asyncio.Event) -> None:
    """Reads what the server sends the visitor (acks, its own lines back, state) so nothing backs up."""
    async for raw in connection:
        frame = json.loads(raw)
        kind = frame.get("type")
        if kind == "chat" and frame["chat"].get("state") == "active" and not active.is_set():
            active.set()
            lines.accepted += 1
        elif kind == "error":
            code = str(frame.get("code"))
            lines.refusals[f"visitor: {code}"] = lines.refusals.get(f"visitor: {code}", 0) + 1


async def _start_chat(connection: ClientConnection, number: int) -> None:
    fields = {"name": f"Návštěvník {number}", "email": f"navstevnik.{number}@visitors.linka-bench.example"}
    first = {
        "key": f"start-{number}-{time.monotonic_ns()}",
        "text": "Dobrý den, potřebuji pomoc s objednávkou.",
    }
    await connection.send(json.dumps({"type": "start", "fields": fields, "message": first}))


async def _send_lines(
    connection: ClientConnection,
    number: int,
    chats: int,
    rate: float,
    seconds: float,
    t0: float,
    lines: Lines,
) -> None:
    """This visitor's share of the combined rate: one line every chats/rate seconds, offset so the
    visitors together send evenly."""
    period = chats / rate
    k = 0
    while True:
        due = t0 + number / rate + k * period
        if due - t0 >= seconds:
            return
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        key = f"l{number}-{k}"
        lines.sent_at[key] = time.perf_counter()
        try:
            await connection.send(
                json.dumps({"type": "message", "key": key, "text": f"Řádek {k} od {number}"})
            )
        except WebSocketException:
            return
        k += 1


async def chat_latency(
    ws_base: str,
    button: str,
    agent_tokens: list[str],
    *,
    chats: int,
    rate: float,
    seconds: float,
    number_base: int = 1_000_000,
    settle: float = 15.0,
) -> dict[str, Any]:
    lines = Lines()
    agents: list[ClientConnection] = []
    visitors: list[ClientConnection] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        for token in agent_tokens:
            agent = await connect(
                f"{ws_base}/ws/agent", additional_headers={"Authorization": f"Bearer {token}"}, max_queue=256
            )
            agents.append(agent)
            tasks.append(asyncio.create_task(_agent_loop(agent, lines)))
        actives: list[asyncio.Event] = []
        url = f"{ws_base}/widget/ws/{button}"
        tasks.append(asyncio.create_task(_ping_every(visitors)))
        for offset in range(chats):
            visitor = await open_visitor(url, number_base + offset)
            visitors.append(visitor)
            active = asyncio.Event()
            actives.append(active)
            tasks.append(asyncio.create_task(_visitor_loop(visitor, lines, active)))
            await _start_chat(visitor, offset)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(60):
                await asyncio.gather(*(active.wait() for active in actives))
        running = [visitor for visitor, active in zip(visitors, actives, strict=True) if active.is_set()]
        t0 = time.perf_counter() + 0.5
        await asyncio.gather(
            *(
                _send_lines(visitor, number, len(running), rate, seconds, t0, lines)
                for number, visitor in enumerate(running)
            )
        )
        for _ in range(round(settle * 10)):  # the last lines still on their way
            if len(lines.latencies) >= len(lines.sent_at):
                break
            await asyncio.sleep(0.1)
        sent_seconds = time.perf_counter() - t0
        for visitor in running:
            with contextlib.suppress(WebSocketException):
                await visitor.send(json.dumps({"type": "end"}))
        await asyncio.sleep(1.0)
    finally:
        for task in tasks:
            task.cancel()
        await _close_all(visitors + agents)
    values = sorted(lines.latencies.values())

    def pct(share: float) -> float | None:
        return round(values[max(0, math.ceil(share * len(values)) - 1)] * 1000, 2) if values else None

    sent = len(lines.sent_at)
    return {
        "chats_wanted": chats,
        "chats_accepted": lines.accepted,
        "agents": len(agent_tokens),
        "lines_sent": sent,
        "lines_received": len(values),
        "lost": sent - len(values),  # not at the agent within `settle` seconds after the last line
        "settle_seconds": settle,
        "refusals": lines.refusals,
        "rate_wanted": rate,
        "rate": round(sent / seconds, 1) if seconds else None,
        "p50_ms": pct(0.5),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": round(values[-1] * 1000, 2) if values else None,
        "seconds": round(sent_seconds, 1),
    }
