"""IMAP polling against a real IMAP server (pymap on loopback): the first run starts from "now", new mail
becomes tickets and is flagged or moved only after it is committed, a backfill imports older mail once,
replies thread, failures show on the mailbox's health and back off without losing mail, bad mail never
blocks the next message, mailboxes are fetched side by side, and a storage outage leaves the message
untouched on the server for the next poll."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from linka.config import Settings
from linka.core import clock
from linka.core.clock import FrozenClock
from linka.core.permissions import Origin, system_actor
from linka.domains.mail import mailbox_actions
from linka.domains.mail.models import DeadLetter, InboundEmail, Mailbox
from linka.domains.mail.schemas import AfterImport, ImapIn, Security
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.thread_models import MessageGroup
from linka.entrypoints.mailin.imap_poll import poll_due_mailboxes, poll_mailbox
from linka.entrypoints.runtime import Runtime, build_runtime
from linka.entrypoints.worker.jobs import scheduled_jobs
from linka.entrypoints.worker.runner import run_jobs_once
from tests.conftest import AppClient, bearer
from tests.entrypoints.mailin.conftest import ImapAccount, ImapServer
from tests.live_server import free_port
from tests.mail_helpers import ADMIN_CLI, add_mailbox, build_mail, count, rows
from tests.personas import Personas

SEEN = b"\\Seen"


def imap_settings(
    account: ImapAccount,
    *,
    password: str | None = None,
    port: int | None = None,
    security: Security = "none",
    folder: str = "INBOX",
    after_import: AfterImport = "seen",
    move_folder: str = "",
) -> ImapIn:
    return ImapIn(
        host=account.server.host,
        port=port or account.server.port,
        security=security,
        username=account.username,
        password=account.password if password is None else password,
        folder=folder,
        after_import=after_import,
        move_folder=move_folder,
    )


async def polled_mailbox(runtime: Runtime, personas: Personas, imap: ImapIn) -> Mailbox:
    """A mailbox fetching from `imap`, after its first poll (which takes nothing, it starts from now)."""
    mailbox = await add_mailbox(runtime, personas, auto_ack=False, imap=imap)
    assert await poll_mailbox(runtime, mailbox.id) == 0
    return await mailbox_row(runtime, mailbox.id)


async def mailbox_row(runtime: Runtime, mailbox_id: int) -> Mailbox:
    [mailbox] = await rows(runtime.db, Mailbox, Mailbox.id == mailbox_id)
    return mailbox


async def ticket_of(runtime: Runtime, subject: str) -> Ticket:
    [ticket] = await rows(runtime.db, Ticket, Ticket.subject == subject)
    return ticket


async def test_the_first_run_starts_from_now_and_new_mail_becomes_a_ticket_flagged_seen_after(
    runtime: Runtime, personas: Personas, imap: ImapAccount
) -> None:
    old = imap.append(build_mail(subject="Already in the folder"))
    mailbox = await add_mailbox(runtime, personas, auto_ack=False, imap=imap_settings(imap))

    assert await poll_mailbox(runtime, mailbox.id) == 0
    first = await mailbox_row(runtime, mailbox.id)
    assert first.imap_last_uid == old
    assert first.imap_uidvalidity is not None
    assert first.last_fetch_at is not None
    assert first.last_error is None
    assert await count(runtime.db, Ticket, Ticket.subject == "Already in the folder") == 0
    assert SEEN not in imap.flags(old)

    new = imap.append(build_mail(subject="Printer jammed", message_id="<jam@customer.test>"))
    assert SEEN not in imap.flags(new)
    assert await poll_mailbox(runtime, mailbox.id) == 1

    ticket = await ticket_of(runtime, "Printer jammed")
    assert ticket.department_id == personas.departments["support"]
    [original] = await rows(runtime.db, InboundEmail, InboundEmail.ticket_id == ticket.id)
    assert (original.source, original.mailbox_id, original.message_id) == (
        "imap",
        mailbox.id,
        "<jam@customer.test>",
    )
    assert SEEN in imap.flags(new)
    assert SEEN not in imap.flags(old)  # what was there before the first run is left alone
    after = await mailbox_row(runtime, mailbox.id)
    assert after.imap_last_uid == new
    assert after.last_received_at is not None
    assert after.imap_next_poll_at is not None
    assert after.imap_next_poll_at > clock.now()


async def test_incremental_polls_take_only_new_mail_and_a_reply_joins_its_ticket(
    runtime: Runtime, personas: Personas, imap: ImapAccount
) -> None:
    mailbox = await polled_mailbox(runtime, personas, imap_settings(imap))
    imap.append(build_mail(subject="Invoice missing", message_id="<inv-1@customer.test>"))
    assert await poll_mailbox(runtime, mailbox.id) == 1
    assert await poll_mailbox(runtime, mailbox.id) == 0  # nothing new: nothing taken, nothing twice

    imap.append(
        build_mail(
            subject="Re: Invoice missing",
            message_id="<inv-2@customer.test>",
            in_reply_to="<inv-1@customer.test>",
            references="<inv-1@customer.test>",
            text="Any news?",
        )
    )
    assert await poll_mailbox(runtime, mailbox.id) == 1
    ticket = await ticket_of(runtime, "Invoice missing")
    groups = await rows(
        runtime.db, MessageGroup, MessageGroup.ticket_id == ticket.id, order_by=MessageGroup.id
    )
    assert [g.email_message_id for g in groups] == ["<inv-1@customer.test>", "<inv-2@customer.test>"]
    assert await count(runtime.db, Ticket, Ticket.subject.like("%Invoice missing%")) == 1
    assert await poll_mailbox(runtime, mailbox.id) == 0


async def test_after_import_move_puts_the_message_in_the_other_folder(
    runtime: Runtime, personas: Personas, imap: ImapAccount
) -> None:
    settings = imap_settings(imap, after_import="move", move_folder="Imported")
    mailbox = await polled_mailbox(runtime, personas, settings)
    uid = imap.append(build_mail(subject="Move me"))
    assert imap.uids("Imported") == []

    assert await poll_mailbox(runtime, mailbox.id) == 1
    assert await count(runtime.db, Ticket, Ticket.subject == "Move me") == 1
    assert uid not in imap.uids("INBOX")
    [moved] = imap.uids("Imported")  # the folder was created on first use
    assert SEEN not in imap.flags(moved, folder="Imported")  # moved as it was, for people reading it
    assert await poll_mailbox(runtime, mailbox.id) == 0


async def test_a_backfill_imports_older_mail_since_its_date_once(
    runtime: Runtime, personas: Personas, imap: ImapAccount, client: AppClient
) -> None:
    now = clock.now()
    imap.append(build_mail(subject="From last year"), when=now - timedelta(days=300))
    imap.append(build_mail(subject="From last week"), when=now - timedelta(days=5))
    mailbox = await add_mailbox(runtime, personas, auto_ack=False, imap=imap_settings(imap))
    since = (now - timedelta(days=10)).isoformat()
    started = await client.post(
        f"/api/v1/mailboxes/{mailbox.public_id}/backfill",
        json={"since": since},
        headers=bearer(personas.admin),
    )
    assert started.status_code == 201, started.text
    assert started.json()["imap"]["backfill_since"] is not None

    assert await poll_mailbox(runtime, mailbox.id) == 1
    assert await count(runtime.db, Ticket, Ticket.subject == "From last week") == 1
    assert await count(runtime.db, Ticket, Ticket.subject == "From last year") == 0
    shown = (
        await client.get(f"/api/v1/mailboxes/{mailbox.public_id}", headers=bearer(personas.admin))
    ).json()
    assert shown["imap"]["backfill_since"] is None
    assert shown["health"]["status"] == "ok"

    assert await poll_mailbox(runtime, mailbox.id) == 0  # once
    imap.append(build_mail(subject="Today"))
    assert await poll_mailbox(runtime, mailbox.id) == 1
    assert await count(runtime.db, Ticket, Ticket.subject == "From last week") == 1


async def test_a_poll_takes_a_batch_and_the_rest_comes_next_round(
    runtime: Runtime, personas: Personas, imap: ImapAccount
) -> None:
    now = clock.now()
    for day in (4, 3, 2):
        imap.append(build_mail(subject=f"Backfilled {day}"), when=now - timedelta(days=day))
    mailbox = await add_mailbox(runtime, personas, auto_ack=False, imap=imap_settings(imap))
    async with runtime.uow(ADMIN_CLI) as uow:
        await mailbox_actions.start_backfill(uow, mailbox_id=mailbox.public_id, since=now - timedelta(days=7))

    assert await poll_mailbox(runtime, mailbox.id, batch=2) == 2
    row = await mailbox_row(runtime, mailbox.id)
    assert row.imap_backfill_since is not None  # not finished yet
    assert row.imap_next_poll_at is not None
    assert row.imap_next_poll_at <= clock.now()  # still due: the rest comes on the next round
    assert await poll_due_mailboxes(runtime) == 1
    row = await mailbox_row(runtime, mailbox.id)
    assert row.imap_backfill_since is None
    assert row.imap_last_uid == max(imap.uids())
    assert await poll_mailbox(runtime, mailbox.id, batch=2) == 0
    for day in (4, 3, 2):
        assert await count(runtime.db, Ticket, Ticket.subject == f"Backfilled {day}") == 1


async def test_a_wrong_password_shows_on_the_mailbox_backs_off_and_loses_nothing(
    runtime: Runtime,
    personas: Personas,
    imap: ImapAccount,
    client: AppClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    mailbox = await polled_mailbox(runtime, personas, imap_settings(imap))
    admin = bearer(personas.admin)
    url = f"/api/v1/mailboxes/{mailbox.public_id}"
    imap_json = {
        "host": imap.server.host,
        "port": imap.server.port,
        "security": "none",
        "username": imap.username,
    }
    changed = await client.patch(url, json={"imap": {**imap_json, "password": "wrong"}}, headers=admin)
    assert changed.status_code == 200, changed.text
    imap.append(build_mail(subject="Sent while the password was wrong"))

    with caplog.at_level(logging.WARNING, logger="linka.mail"):
        assert await poll_mailbox(runtime, mailbox.id) == 0
    health = (await client.get(url, headers=admin)).json()["health"]
    assert health["status"] == "failing"
    assert "login refused" in health["last_error"]
    assert health["consecutive_failures"] == 1
    row = await mailbox_row(runtime, mailbox.id)
    assert row.imap_next_poll_at is not None
    assert row.imap_next_poll_at >= clock.now() + timedelta(seconds=row.imap_poll_seconds * 2 - 5)
    warning = next(r for r in caplog.records if r.name == "linka.mail" and r.levelno == logging.WARNING)
    assert mailbox.public_id in warning.getMessage()
    assert "login refused" in warning.getMessage()

    assert await poll_mailbox(runtime, mailbox.id) == 0
    row = await mailbox_row(runtime, mailbox.id)
    assert row.imap_failures == 2
    assert row.imap_next_poll_at is not None
    assert row.imap_next_poll_at >= clock.now() + timedelta(seconds=row.imap_poll_seconds * 4 - 5)

    fixed = await client.patch(url, json={"imap": {**imap_json, "password": imap.password}}, headers=admin)
    assert fixed.status_code == 200
    assert await poll_due_mailboxes(runtime) == 1  # fixing the settings makes it due at once
    assert await count(runtime.db, Ticket, Ticket.subject == "Sent while the password was wrong") == 1
    health = (await client.get(url, headers=admin)).json()["health"]
    assert (health["status"], health["last_error"], health["consecutive_failures"]) == ("ok", None, 0)


async def test_unreachable_servers_are_recorded_and_never_raise_out_of_the_job(
    runtime: Runtime, personas: Personas, imap: ImapAccount
) -> None:
    closed = await add_mailbox(runtime, personas, imap=imap_settings(imap, port=free_port()))
    tls_on_plain = await add_mailbox(
        runtime, personas, address="tls@linka.test", imap=imap_settings(imap, security="tls")
    )
    no_starttls = await add_mailbox(
        runtime, personas, address="starttls@linka.test", imap=imap_settings(imap, security="starttls")
    )
    missing_folder = await add_mailbox(
        runtime, personas, address="folder@linka.test", imap=imap_settings(imap, folder="Nowhere")
    )
    [job] = [job for job in scheduled_jobs(runtime) if job.name == "poll mailboxes"]

    assert await run_jobs_once(runtime, [job]) == {"poll mailboxes": 0}

    errors = {m.id: (await mailbox_row(runtime, m.id)).last_error or "" for m in (closed, tls_on_plain)}
    errors |= {
        m.id: (await mailbox_row(runtime, m.id)).last_error or "" for m in (no_starttls, missing_folder)
    }
    assert "connection refused" in errors[closed.id]
    assert "TLS failed" in errors[tls_on_plain.id]
    assert "STARTTLS" in errors[no_starttls.id]
    assert "Nowhere" in errors[missing_folder.id]
    for m in (closed, tls_on_plain, no_starttls, missing_folder):
        row = await mailbox_row(runtime, m.id)
        assert row.imap_failures == 1
        assert row.imap_next_poll_at is not None
        assert row.imap_next_poll_at > clock.now()
    assert await run_jobs_once(runtime, [job]) == {"poll mailboxes": 0}  # backed off: not due yet


async def test_an_unparseable_message_becomes_a_dead_letter_and_never_blocks_the_next(
    runtime: Runtime, personas: Personas, imap: ImapAccount
) -> None:
    mailbox = await polled_mailbox(runtime, personas, imap_settings(imap))
    bad = imap.append(b"Subject: who sent this?\r\n\r\nNo sender anywhere.\r\n")
    good = imap.append(build_mail(subject="After the bad one"))

    assert await poll_mailbox(runtime, mailbox.id) == 2
    [letter] = await rows(runtime.db, DeadLetter)
    assert (letter.reason, letter.source, letter.mailbox_id) == ("unparseable", "imap", mailbox.id)
    assert SEEN in imap.flags(bad)  # handled: kept in Linka, so not fetched again
    assert await count(runtime.db, Ticket, Ticket.subject == "After the bad one") == 1
    assert SEEN in imap.flags(good)
    row = await mailbox_row(runtime, mailbox.id)
    assert (row.imap_last_uid, row.last_error) == (good, None)


async def test_mailboxes_are_polled_together_and_one_failing_does_not_stop_the_others(
    runtime: Runtime, personas: Personas, imap_server: ImapServer, frozen_clock: FrozenClock
) -> None:
    support_account, sales_account = imap_server.account(), imap_server.account()
    support = await add_mailbox(runtime, personas, auto_ack=False, imap=imap_settings(support_account))
    sales = await add_mailbox(
        runtime,
        personas,
        address="sales@linka.test",
        department="sales",
        auto_ack=False,
        imap=imap_settings(sales_account),
    )
    assert await poll_due_mailboxes(runtime) == 0  # first runs: from now
    support_account.append(build_mail(subject="For support", to="support@linka.test"))
    sales_account.append(
        build_mail(subject="For sales", to="sales@linka.test", sender="Ondřej Malý <ondrej@buyer.test>")
    )
    assert await poll_due_mailboxes(runtime) == 0  # not due before their interval
    broken = await add_mailbox(
        runtime, personas, address="broken@linka.test", imap=imap_settings(sales_account, port=free_port())
    )

    frozen_clock.advance(seconds=(await mailbox_row(runtime, support.id)).imap_poll_seconds + 1)
    assert await poll_due_mailboxes(runtime) == 2
    assert (await ticket_of(runtime, "For support")).department_id == personas.departments["support"]
    assert (await ticket_of(runtime, "For sales")).department_id == personas.departments["sales"]
    assert (await mailbox_row(runtime, sales.id)).last_error is None
    assert "connection refused" in ((await mailbox_row(runtime, broken.id)).last_error or "")


async def test_a_storage_outage_leaves_the_message_on_the_server_and_the_next_poll_takes_it_once(
    runtime: Runtime, personas: Personas, imap: ImapAccount, settings: Settings, tmp_path: Path
) -> None:
    mailbox = await polled_mailbox(runtime, personas, imap_settings(imap))
    mark = mailbox.imap_last_uid
    uid = imap.append(build_mail(subject="Arrived during the outage", message_id="<outage@customer.test>"))
    # A blob store whose folder cannot be created (a file is in the way): the intake cannot keep the
    # raw message, so it raises, as it does when the disk or the database is gone.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("in the way")
    broken = build_runtime(settings.model_copy(update={"blob_dir": blocker}), db=runtime.db)

    assert await poll_mailbox(broken, mailbox.id) == 0
    assert SEEN not in imap.flags(uid)
    assert uid in imap.uids()
    row = await mailbox_row(runtime, mailbox.id)
    assert row.imap_last_uid == mark
    assert row.last_error is not None
    assert "could not be stored" in row.last_error
    assert await count(runtime.db, Ticket, Ticket.subject == "Arrived during the outage") == 0

    assert await poll_mailbox(runtime, mailbox.id) == 1
    assert await poll_mailbox(runtime, mailbox.id) == 0
    assert await count(runtime.db, Ticket, Ticket.subject == "Arrived during the outage") == 1
    assert SEEN in imap.flags(uid)
    row = await mailbox_row(runtime, mailbox.id)
    assert (row.imap_last_uid, row.last_error, row.imap_failures) == (uid, None, 0)


async def test_a_renumbered_folder_is_read_again_without_duplicates(
    runtime: Runtime, personas: Personas, imap: ImapAccount
) -> None:
    imap.create_folder("Support")
    mailbox = await polled_mailbox(runtime, personas, imap_settings(imap, folder="Support"))
    first = build_mail(subject="Before the rebuild", message_id="<rebuild-1@customer.test>")
    imap.append(first, folder="Support")
    assert await poll_mailbox(runtime, mailbox.id) == 1
    before = await mailbox_row(runtime, mailbox.id)

    # The server rebuilds the folder: new UIDVALIDITY, the same messages under new UIDs.
    imap.delete_folder("Support")
    imap.create_folder("Support")
    imap.append(build_mail(subject="Ancient"), folder="Support", when=clock.now() - timedelta(days=90))
    imap.append(first, folder="Support", flags=(SEEN,))
    imap.append(build_mail(subject="After the rebuild"), folder="Support")

    taken = await poll_mailbox(runtime, mailbox.id)
    assert taken == 2  # the known one (dropped by Message-ID) and the new one
    assert await count(runtime.db, Ticket, Ticket.subject == "Before the rebuild") == 1
    assert await count(runtime.db, Ticket, Ticket.subject == "After the rebuild") == 1
    assert await count(runtime.db, Ticket, Ticket.subject == "Ancient") == 0
    after = await mailbox_row(runtime, mailbox.id)
    assert after.imap_uidvalidity != before.imap_uidvalidity
    assert after.imap_backfill_since is None
    assert after.imap_last_uid == max(imap.uids("Support"))
    async with runtime.db.read_session() as session:
        found = await session.execute(select(InboundEmail.id).where(InboundEmail.mailbox_id == mailbox.id))
        assert len(found.all()) == 2


async def test_two_workers_never_fetch_one_mailbox_at_once(
    runtime: Runtime, personas: Personas, imap_server: ImapServer, frozen_clock: FrozenClock
) -> None:
    """A claim holds the mailbox for the lease: a second worker's claim passes it by; a worker that died
    mid-fetch frees it when the lease ends."""
    account = imap_server.account()
    mailbox = await add_mailbox(runtime, personas, auto_ack=False, imap=imap_settings(account))
    async with runtime.uow(system_actor(Origin.SYSTEM)) as uow:
        first = await mailbox_actions.claim_due_mailboxes(uow)
    async with runtime.uow(system_actor(Origin.SYSTEM)) as uow:
        second = await mailbox_actions.claim_due_mailboxes(uow)
    assert first == [mailbox.id]
    assert second == []
    assert await poll_due_mailboxes(runtime) == 0  # the worker loop claims too: nothing for it
    frozen_clock.advance(seconds=mailbox_actions.FETCH_LEASE.total_seconds() + 1)
    async with runtime.uow(system_actor(Origin.SYSTEM)) as uow:
        assert await mailbox_actions.claim_due_mailboxes(uow) == [mailbox.id]
