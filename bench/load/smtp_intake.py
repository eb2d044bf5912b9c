"""Mail through Linka's SMTP listener: a bounded asyncio client (aiosmtplib) sends N messages over C
connections, as a relay would, each from its own customer (a mailbox holds back more than its flood
limit from one sender); then every message acknowledged with 250 must be in the database. Also the
local SMTP sink the bench mailbox sends through, so agents' replies have somewhere harmless to go."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import aiosmtplib
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import func, select

from bench.load.prepare import count_where
from linka.core import clock
from linka.domains.mail.models import InboundEmail
from linka.entrypoints.runtime import Runtime

CUSTOMERS = "customers.linka-bench.example"
BODY = (
    "Dobrý den,\n\nod včerejška mi nefunguje tiskárna Nova X2, hlásí chybu E-1042 a faktura za "
    "objednávku {n} se nevytiskne. Zkoušel jsem ji vypnout a zapnout, bez úspěchu.\n\n"
    "Děkuji za radu,\nzákazník {n}\n"
)


class CountingSink:
    """aiosmtpd handler that takes every message and counts it (the mail goes nowhere)."""

    def __init__(self) -> None:
        self.received = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._lock:
            self.received += 1
        return "250 2.0.0 OK (bench sink)"


class MailSink:
    """An SMTP server on 127.0.0.1 in its own thread, for the run."""

    def __init__(self, port: int) -> None:
        self.handler = CountingSink()
        self.port = port
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    @property
    def received(self) -> int:
        return self.handler.received


def message(mark: str, number: int, address: str) -> tuple[str, bytes]:
    sender = f"zakaznik.{number}.{mark}@{CUSTOMERS}"
    mail = EmailMessage()
    mail["From"] = f"Zákazník {number} <{sender}>"
    mail["To"] = address
    mail["Subject"] = f"{mark} intake {number}: tiskárna hlásí chybu"
    mail["Message-ID"] = f"<{mark}.{number}@{CUSTOMERS}>"
    mail["Date"] = format_datetime(clock.now())
    mail.set_content(BODY.format(n=number))
    return sender, mail.as_bytes()


@dataclass
class Sent:
    accepted: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    first: float = 0.0
    last: float = 0.0
    not_sent: int = 0  # left when the time ran out


async def _connection(
    host: str, port: int, todo: asyncio.Queue[int], mark: str, address: str, sent: Sent, until: float
) -> None:
    """One relay connection sending messages one after another (reconnecting after a failure), and
    taking no new one after `until`."""
    client: aiosmtplib.SMTP | None = None
    try:
        while time.perf_counter() < until:
            try:
                number = todo.get_nowait()
            except asyncio.QueueEmpty:
                return
            sender, raw = message(mark, number, address)
            started = time.perf_counter()
            try:
                if client is None:
                    client = aiosmtplib.SMTP(hostname=host, port=port, timeout=60)
                    await client.connect()
                await client.sendmail(sender, [address], raw)
            except aiosmtplib.SMTPResponseException as refusal:
                sent.refused[str(refusal.code)] = sent.refused.get(str(refusal.code), 0) + 1
                continue
            except (aiosmtplib.SMTPException, OSError) as failure:
                sent.refused[type(failure).__name__] = sent.refused.get(type(failure).__name__, 0) + 1
                if client is not None:
                    client.close()
                client = None
                continue
            done = time.perf_counter()
            sent.latencies.append(done - started)
            sent.accepted += 1
            sent.last = done
    finally:
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except aiosmtplib.SMTPException:
                client.close()


async def send_all(host: str, port: int, address: str, mark: str, count: int, connections: int) -> Sent:
    todo: asyncio.Queue[int] = asyncio.Queue()
    for number in range(1, count + 1):
        todo.put_nowait(number)
    sent = Sent(first=time.perf_counter())
    until = sent.first + max(60.0, count / 40)  # bounded: messages not started by then are not sent
    await asyncio.gather(
        *(_connection(host, port, todo, mark, address, sent, until) for _ in range(connections))
    )
    sent.not_sent = todo.qsize()
    return sent


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def stored(runtime: Runtime, mark: str) -> int:
    return await count_where(
        runtime,
        select(func.count()).where(InboundEmail.message_id.like(f"<{mark}.%@{CUSTOMERS}>")),
    )


async def wait_stored(runtime: Runtime, mark: str, wanted: int, wait: float = 60.0) -> tuple[int, float]:
    """Poll until the database holds `wanted` of this run's messages, or the time runs out."""
    started = time.perf_counter()
    found = await stored(runtime, mark)
    while found < wanted and time.perf_counter() - started < wait:
        await asyncio.sleep(0.5)
        found = await stored(runtime, mark)
    return found, time.perf_counter() - started


def summary(sent: Sent, found: int, waited: float, count: int, connections: int) -> dict[str, Any]:
    elapsed = max(1e-9, sent.last - sent.first) if sent.accepted else None
    lost = max(0, sent.accepted - found)
    p = {share: percentile(sent.latencies, share) for share in (0.5, 0.95, 0.99)}
    return {
        "rate": round(sent.accepted / elapsed, 2) if elapsed else 0.0,
        "p50_ms": None if p[0.5] is None else round(p[0.5] * 1000, 2),
        "p95_ms": None if p[0.95] is None else round(p[0.95] * 1000, 2),
        "p99_ms": None if p[0.99] is None else round(p[0.99] * 1000, 2),
        "max_ms": round(max(sent.latencies) * 1000, 2) if sent.latencies else None,
        "requests": sent.accepted,
        "errors": sum(sent.refused.values()),
        "lost": lost,
        "smtp": {
            "messages": count,
            "connections": connections,
            "accepted_250": sent.accepted,
            "refused": sent.refused,
            "not_sent_time_ran_out": sent.not_sent,
            "seconds": None if elapsed is None else round(elapsed, 2),
            "found_in_database": found,
            "waited_for_database_s": round(waited, 2),
        },
        "note": (
            f"{count:,} messages over {connections} connections, each from its own sender; "
            f"{sent.accepted:,} answered 250 in {elapsed or 0:.1f} s, {found:,} in the database "
            + ("(none lost)" if lost == 0 else f"(**{lost:,} lost**)")
            + (f"; refused: {sent.refused}" if sent.refused else "")
            + (f"; **{sent.not_sent:,} not sent**: the time bound ran out" if sent.not_sent else "")
            + "; latency is per message (SMTP transaction, answered after the commit)"
        ),
    }
