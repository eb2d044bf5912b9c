"""`linka mail deliver`, run as an MTA's pipe transport runs it: the message on stdin, sysexits codes
(0 stored, 75 try again later, 69 refused for good)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from linka.core.db import Database
from linka.core.permissions import Origin, system_actor
from linka.core.sealing import Sealer
from linka.core.uow import unit_of_work
from linka.domains.accounts import department_actions
from linka.domains.mail import mailbox_actions
from linka.domains.mail.models import DeadLetter
from linka.domains.mail.schemas import MailboxCreateIn
from linka.domains.tickets.models import Ticket
from tests.entrypoints.cli.conftest import SECRET
from tests.mail_helpers import build_mail, count, rows


def deliver(*args: str, raw: bytes, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "linka.entrypoints.cli.main", "mail", "deliver", *args],
        input=raw,
        env={**os.environ, **(env or {})},
        capture_output=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
async def mailbox_db(migrated: str) -> Database:
    database = Database(migrated)
    async with unit_of_work(database, system_actor(Origin.CLI)) as uow:
        department = await department_actions.create_department(uow, name="Support")
        await mailbox_actions.create_mailbox(
            uow,
            data=MailboxCreateIn(
                name="Support", address="support@linka.test", department_id=department.public_id
            ),
            sealer=Sealer(SECRET),
        )
    return database


async def test_a_piped_message_becomes_a_ticket_and_exits_0(mailbox_db: Database) -> None:
    finished = deliver("--recipient", "support@linka.test", raw=build_mail(subject="Through the pipe"))
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.decode().startswith("ticket ")
    [ticket] = await rows(mailbox_db, Ticket, Ticket.subject == "Through the pipe")
    assert ticket.channel == "email"
    await mailbox_db.dispose()


async def test_garbage_is_kept_as_a_dead_letter_and_still_exits_0(mailbox_db: Database) -> None:
    finished = deliver(raw=b"\x00\x01 not a message")
    assert finished.returncode == 0, finished.stderr
    assert await count(mailbox_db, DeadLetter, DeadLetter.source == "pipe") == 1
    await mailbox_db.dispose()


def test_an_unreachable_database_exits_75_so_the_mta_retries(data_dir: Path) -> None:
    finished = deliver(
        raw=build_mail(),
        env={"LINKA_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none"},
    )
    assert finished.returncode == 75, finished.stderr
    assert b"try again later" in finished.stderr


def test_an_unmigrated_database_exits_75(data_dir: Path) -> None:
    finished = deliver(raw=build_mail())
    assert finished.returncode == 75
    assert b"migrat" in finished.stderr


async def test_an_oversized_message_exits_69(mailbox_db: Database) -> None:
    finished = deliver(raw=build_mail(text="x" * 5000), env={"LINKA_SMTP_MAX_BYTES": "2048"})
    assert finished.returncode == 69
    assert await count(mailbox_db, Ticket) == 0
    await mailbox_db.dispose()
