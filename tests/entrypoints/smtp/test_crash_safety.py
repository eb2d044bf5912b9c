"""A Linka process killed between receiving a message and committing it never acknowledged it: the
sending server sees the connection drop (no 250) and delivers again, which makes exactly one ticket.

A real server process (uvicorn with the listener) on the test's SQLite file; the test holds the
database's write lock so the intake waits at its commit, and kills the process with SIGKILL there.
"""

from __future__ import annotations

import asyncio
import smtplib
import sqlite3
import time
from pathlib import Path

import pytest

from linka.core.db import Database
from linka.domains.tickets.models import Ticket
from linka.entrypoints.runtime import Runtime
from tests.live_server import LiveServer, free_port
from tests.mail_helpers import add_mailbox, build_mail, count
from tests.personas import Personas


def _sqlite_path(db: Database) -> str:
    return db.url.split(":///", 1)[1]


def _send(port: int, raw: bytes) -> dict[str, tuple[int, bytes]]:
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        return client.sendmail("jana@customer.test", ["support@linka.test"], raw)


def _wait_for_port(port: int, server: LiveServer) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=2) as probe:
                probe.noop()
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"the SMTP listener did not start:\n{server.log.read_text()}")


def _blob_count(folder: Path) -> int:
    return sum(1 for path in folder.rglob("*") if path.is_file() and len(path.name) == 64)


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
async def test_a_crash_before_the_commit_loses_nothing_and_redelivery_makes_one_ticket(
    runtime: Runtime, personas: Personas, db: Database, tmp_path: Path
) -> None:
    await add_mailbox(runtime, personas, auto_ack=False)
    smtp_port = free_port()
    data_dir = tmp_path / "server"
    data_dir.mkdir()
    env = {"LINKA_RUN_SMTP": "1", "LINKA_RUN_WORKER": "0", "LINKA_SMTP_PORT": str(smtp_port)}
    raw = build_mail(subject="Killed mid-way", message_id="<crash-1@customer.test>")

    server = LiveServer(db.url, data_dir, extra_env=env).start()
    lock = sqlite3.connect(_sqlite_path(db), isolation_level=None, timeout=30)
    try:
        _wait_for_port(smtp_port, server)
        lock.execute("BEGIN IMMEDIATE")  # the intake's unit of work now waits for this lock
        sending = asyncio.create_task(asyncio.to_thread(_send, smtp_port, raw))
        deadline = time.monotonic() + 20
        while _blob_count(data_dir / "blobs") == 0:  # the raw bytes are kept before the transaction
            assert time.monotonic() < deadline, server.log.read_text()
            await asyncio.sleep(0.05)
        assert not sending.done()  # no answer yet: the message is not committed
        assert server.process is not None
        server.process.kill()
        server.process.wait()
        with pytest.raises((smtplib.SMTPServerDisconnected, ConnectionError)):
            await sending
    finally:
        lock.rollback()
        lock.close()
        server.stop()
    assert await count(db, Ticket, Ticket.subject == "Killed mid-way") == 0

    server = LiveServer(db.url, data_dir, extra_env=env).start()
    try:
        _wait_for_port(smtp_port, server)
        assert await asyncio.to_thread(_send, smtp_port, raw) == {}
        assert await asyncio.to_thread(_send, smtp_port, raw) == {}  # a second redelivery: still one
    finally:
        server.stop()
    assert await count(db, Ticket, Ticket.subject == "Killed mid-way") == 1
