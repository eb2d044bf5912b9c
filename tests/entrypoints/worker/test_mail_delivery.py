"""The worker delivers outgoing mail to a real SMTP server on loopback (aiosmtpd) and the tests read what
that server received: headers, threading, the sender identity, text + HTML, attachments. Temporary
failures back off and are retried, permanent ones fail at once, the last attempt leaves the mail failed
until it is retried by hand, and two workers never send one mail twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from linka.core.clock import FrozenClock
from linka.core.db import Database
from linka.core.history import HistoryEntry
from linka.domains.accounts import credentials
from linka.domains.mail import actions as mail_actions
from linka.domains.mail import delivery_actions
from linka.domains.mail.delivery_actions import MAX_ATTEMPTS, backoff
from linka.domains.mail.models import OutgoingMail
from linka.domains.tickets import thread_actions
from linka.entrypoints.runtime import Runtime
from linka.entrypoints.worker.jobs import scheduled_jobs
from linka.entrypoints.worker.mail_delivery import deliver_mail
from linka.entrypoints.worker.runner import run_jobs_once
from tests.outbound_mail import (
    CLI,
    CUSTOMER_MESSAGE_ID,
    PDF,
    Peer,
    actor_for,
    customer_writes,
    free_port,
    make_mailbox,
    one_mail,
    outgoing,
    reply,
    running_peer,
)
from tests.personas import Personas


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[Peer]:
    yield from running_peer()


@pytest.fixture
def peer(smtp_server: Peer) -> Peer:
    smtp_server.handler.reset()
    return smtp_server


# Tests of what is composed and sent, where the database only stores rows: SQLite is enough (claiming,
# retries and the other SQL run on both engines).
SQLITE_ONLY = pytest.mark.parametrize("engine_name", ["sqlite"])


def _parts(message: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


async def _karel_reply(runtime: Runtime, db: Database, personas: Personas, **more: object) -> OutgoingMail:
    sara = await actor_for(db, personas.support_agent)
    await reply(runtime, sara, personas.ticket_codes["karel"], **more)  # type: ignore[arg-type]
    return (await outgoing(db, OutgoingMail.ticket_id == personas.tickets["karel"]))[-1]


async def test_a_reply_reaches_the_customer_threaded_with_html_and_the_attachment(
    runtime: Runtime, db: Database, personas: Personas, peer: Peer, frozen_clock: FrozenClock
) -> None:
    code = personas.ticket_codes["karel"]
    mailbox = await make_mailbox(runtime, personas, port=peer.port, sender_name="Podpora Acme")
    await customer_writes(runtime, code)
    sara = await actor_for(db, personas.support_agent)
    group = await reply(
        runtime,
        sara,
        code,
        text="Dobrý den,\nfakturu posíláme v příloze.",
        html="<p>Dobrý den,</p><p>fakturu posíláme <b>v příloze</b>.</p>",
        files=[("faktura č. 7.pdf", PDF)],
    )

    handled = await run_jobs_once(runtime, scheduled_jobs(runtime))
    assert handled["deliver mail"] == 1

    [mail] = await outgoing(db, OutgoingMail.group_id == group.id)
    assert (mail.delivery_status, mail.sent_at, mail.attempts, mail.last_error) == (
        "sent",
        frozen_clock.now(),
        1,
        None,
    )
    [received] = peer.received
    assert received.mail_from == mailbox.address
    assert received.rcpt_tos == ["karel@acme.test"]
    message = received.message
    assert message["From"].addresses == (Address("Podpora Acme", addr_spec="podpora@linka-test.cz"),)
    assert message["Reply-To"].addresses[0].addr_spec == "podpora@linka-test.cz"
    assert message["To"].addresses == (Address("Karel Novák", addr_spec="karel@acme.test"),)
    assert message["Subject"] == f"Tiskárna nefunguje [#{code}]"
    assert message["Message-ID"] == mail.message_id == group.email_message_id
    assert message["In-Reply-To"] == CUSTOMER_MESSAGE_ID
    assert message["References"].split()[-1] == CUSTOMER_MESSAGE_ID
    assert message["Auto-Submitted"] is None  # a person wrote it: the customer's autoresponder may answer
    assert message["Content-Language"] == "en"
    assert message["Date"].datetime == frozen_clock.now()
    assert _parts(message) == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "application/pdf",
    ]
    body = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert body is not None
    assert html is not None
    assert body.get_content() == "Dobrý den,\nfakturu posíláme v příloze.\n"
    assert "<b>v příloze</b>" in html.get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "faktura č. 7.pdf"
    assert attachment.get_content() == PDF
    async with db.read_session() as session:
        actions = (
            await session.execute(
                select(HistoryEntry.action).where(
                    HistoryEntry.entity_type == "outgoing_mail", HistoryEntry.entity_id == mail.id
                )
            )
        ).scalars()
        assert list(actions) == ["queued", "sent"]

    # Nothing is due any more: the next round sends nothing twice.
    assert await deliver_mail(runtime) == 0
    assert len(peer.received) == 1


async def test_a_temporary_refusal_backs_off_and_the_next_round_sends(
    runtime: Runtime, db: Database, personas: Personas, peer: Peer, frozen_clock: FrozenClock
) -> None:
    await make_mailbox(runtime, personas, port=peer.port)
    mail = await _karel_reply(runtime, db, personas)
    peer.handler.answers.append("451 4.3.0 Mailbox busy, try later")

    assert await deliver_mail(runtime) == 1
    waiting = await one_mail(db, mail.id)
    assert waiting.delivery_status == "queued"
    assert waiting.attempts == 1
    assert waiting.next_attempt_at == frozen_clock.now() + timedelta(minutes=1)
    assert "451" in (waiting.last_error or "")
    assert peer.received == []

    assert await deliver_mail(runtime) == 0  # not due yet
    frozen_clock.advance(minutes=1)
    assert await deliver_mail(runtime) == 1
    sent = await one_mail(db, mail.id)
    assert (sent.delivery_status, sent.attempts, sent.sent_at, sent.last_error) == (
        "sent",
        2,
        frozen_clock.now(),
        None,
    )
    assert [m["Message-ID"] for m in peer.messages()] == [mail.message_id]


@SQLITE_ONLY
async def test_a_permanent_refusal_fails_at_once_with_the_reason(
    runtime: Runtime, db: Database, personas: Personas, peer: Peer
) -> None:
    await make_mailbox(runtime, personas, port=peer.port)
    peer.handler.refuse["karel@acme.test"] = "550 5.1.1 <karel@acme.test>: user unknown"
    mail = await _karel_reply(runtime, db, personas)

    assert await deliver_mail(runtime) == 1
    failed = await one_mail(db, mail.id)
    assert (failed.delivery_status, failed.attempts, failed.next_attempt_at) == ("failed", 1, None)
    assert "550 5.1.1" in (failed.last_error or "")
    assert "user unknown" in (failed.last_error or "")


@SQLITE_ONLY
async def test_a_copy_refused_while_the_customer_gets_it_is_sent_with_a_note(
    runtime: Runtime, db: Database, personas: Personas, peer: Peer
) -> None:
    await make_mailbox(runtime, personas, port=peer.port)
    peer.handler.refuse["former@acme.test"] = "550 5.1.1 no such user"
    mail = await _karel_reply(runtime, db, personas, cc=["former@acme.test", "boss@acme.test"])

    assert await deliver_mail(runtime) == 1
    sent = await one_mail(db, mail.id)
    # Sending again would repeat it to everyone who got it: it is sent, and the refusal is kept.
    assert sent.delivery_status == "sent"
    assert sent.last_error == "former@acme.test refused: 550 5.1.1 no such user"
    [received] = peer.received
    assert received.rcpt_tos == ["karel@acme.test", "boss@acme.test"]
    assert [a.addr_spec for a in received.message["Cc"].addresses] == ["former@acme.test", "boss@acme.test"]


async def test_after_the_last_attempt_it_stays_failed_until_retried_by_hand(
    runtime: Runtime, db: Database, personas: Personas, peer: Peer, frozen_clock: FrozenClock
) -> None:
    await make_mailbox(runtime, personas, port=peer.port)
    mail = await _karel_reply(runtime, db, personas)
    peer.handler.always = "421 4.7.0 Too many connections"
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await deliver_mail(runtime) == 1, attempt
        row = await one_mail(db, mail.id)
        assert row.attempts == attempt
        frozen_clock.advance(seconds=backoff(attempt).total_seconds())
    failed = await one_mail(db, mail.id)
    assert failed.delivery_status == "failed"
    assert "421" in (failed.last_error or "")
    assert peer.handler.attempts == MAX_ATTEMPTS
    frozen_clock.advance(days=1)
    assert await deliver_mail(runtime) == 0  # failed mail is not tried again by itself

    peer.handler.always = None
    sara = await actor_for(db, personas.support_agent)
    async with runtime.uow(sara) as uow:
        await delivery_actions.retry_mail(uow, mail_id=mail.id)
    assert (await one_mail(db, mail.id)).delivery_status == "queued"
    assert await deliver_mail(runtime) == 1
    sent = await one_mail(db, mail.id)
    assert (sent.delivery_status, sent.attempts) == ("sent", 1)
    assert [m["Message-ID"] for m in peer.messages()] == [mail.message_id]


@SQLITE_ONLY
async def test_a_server_that_cannot_be_reached_is_a_temporary_failure(
    runtime: Runtime, db: Database, personas: Personas, frozen_clock: FrozenClock
) -> None:
    await make_mailbox(runtime, personas, port=free_port())
    first = await _karel_reply(runtime, db, personas)
    second = await _karel_reply(runtime, db, personas, text="A ještě jedna věc.")

    assert await deliver_mail(runtime) == 2
    for mail in (first, second):
        row = await one_mail(db, mail.id)
        assert (row.delivery_status, row.attempts) == ("queued", 1)
        assert row.next_attempt_at == frozen_clock.now() + timedelta(minutes=1)
        assert "cannot connect to 127.0.0.1" in (row.last_error or "")


@SQLITE_ONLY
async def test_one_broken_mail_does_not_stop_the_others(
    runtime: Runtime, db: Database, personas: Personas, peer: Peer
) -> None:
    await make_mailbox(runtime, personas, port=peer.port)
    broken = await _karel_reply(runtime, db, personas, files=[("gone.pdf", b"%PDF-gone")])
    fine = await _karel_reply(runtime, db, personas, text="Tato odpověď odejde.")
    [gone] = [path for path in runtime.settings.effective_blob_dir.rglob("*") if path.is_file()]
    gone.unlink()

    assert await deliver_mail(runtime) == 2
    waiting = await one_mail(db, broken.id)
    assert waiting.delivery_status == "queued"
    assert "gone.pdf is missing" in (waiting.last_error or "")
    assert (await one_mail(db, fine.id)).delivery_status == "sent"
    assert [m["Message-ID"] for m in peer.messages()] == [fine.message_id]


async def test_without_a_mailbox_mail_waits_and_leaves_once_one_is_added(
    runtime: Runtime, db: Database, personas: Personas, peer: Peer, frozen_clock: FrozenClock
) -> None:
    mail = await _karel_reply(runtime, db, personas)
    assert mail.mailbox_id is None
    assert await deliver_mail(runtime) == 1
    waiting = await one_mail(db, mail.id)
    assert waiting.delivery_status == "queued"
    assert waiting.last_error == "no mailbox to send from: add one in the admin"

    mailbox = await make_mailbox(runtime, personas, port=peer.port)
    frozen_clock.advance(minutes=1)
    assert await deliver_mail(runtime) == 1
    sent = await one_mail(db, mail.id)
    assert (sent.delivery_status, sent.mailbox_id) == ("sent", mailbox.id)
    assert peer.messages()[0]["From"].addresses[0].addr_spec == mailbox.address


async def test_system_mail_leaves_from_the_default_mailbox_marked_auto_generated(
    runtime: Runtime, db: Database, personas: Personas, peer: Peer
) -> None:
    await make_mailbox(runtime, personas, port=peer.port, address="obchod@linka-test.cz", department="sales")
    await make_mailbox(runtime, personas, port=peer.port, address="podpora@linka-test.cz", is_default=True)
    async with runtime.uow(CLI) as uow:
        assert await credentials.request_password_reset(
            uow, email=personas.support_agent.email, links=runtime.links
        )

    assert await deliver_mail(runtime) == 1
    [received] = peer.received
    assert received.mail_from == "podpora@linka-test.cz"
    message = received.message
    assert message["Auto-Submitted"] == "auto-generated"
    # No sender name on the mailbox: the department's name is the sender identity.
    assert message["From"].addresses == (Address("Support", addr_spec="podpora@linka-test.cz"),)
    assert message["To"].addresses == (Address("Sára Nováková", addr_spec="sara@linka.test"),)
    assert message["Content-Language"] == "cs"
    assert message["In-Reply-To"] is None
    assert message.get_content_type() == "text/plain"
    assert "reset-password" in message.get_content() or "token=" in message.get_content()
    [mail] = await outgoing(db, OutgoingMail.kind == "password_reset")
    assert mail.delivery_status == "sent"


@SQLITE_ONLY
async def test_sender_and_recipient_names_with_diacritics_arrive_intact(
    runtime: Runtime, db: Database, personas: Personas, peer: Peer
) -> None:
    czech = "Podpora – Žluťoučký kůň úpěl ďábelské ódy"
    hungarian = "Ügyfélszolgálat: Árvíztűrő tükörfúrógép"
    await make_mailbox(runtime, personas, port=peer.port, sender_name=czech)
    await make_mailbox(
        runtime,
        personas,
        port=peer.port,
        address="ugyfel@linka-test.hu",
        department="sales",
        sender_name=hungarian,
    )
    sandor = await actor_for(db, personas.sales_agent)
    sara = await actor_for(db, personas.support_agent)
    await reply(runtime, sara, personas.ticket_codes["karel"], text="Dobrý den")
    await reply(runtime, sandor, personas.ticket_codes["hana"], text="Jó napot kívánok, a számlát küldjük.")

    assert await deliver_mail(runtime) == 2
    by_to = {r.message["To"].addresses[0].addr_spec: r for r in peer.received}
    karel, hana = by_to["karel@acme.test"], by_to["hana@example.hu"]
    assert karel.address("From") == (czech, "podpora@linka-test.cz")
    assert karel.address("To") == ("Karel Novák", "karel@acme.test")
    assert hana.address("From") == (hungarian, "ugyfel@linka-test.hu")
    assert hana.address("To") == ("Hana Szabó", "hana@example.hu")
    assert hana.address("Reply-To") == (hungarian, "ugyfel@linka-test.hu")
    hana_message = hana.message
    assert hana_message["Subject"] == f"Számla kérdés [#{personas.ticket_codes['hana']}]"
    hana_body = hana_message.get_body(preferencelist=("plain",))
    assert hana_body is not None
    assert hana_body.get_content() == "Jó napot kívánok, a számlát küldjük.\n"
    # On the wire every header is plain ASCII (encoded words), whatever the server supports.
    for received in peer.received:
        assert received.data.split(b"\r\n\r\n", 1)[0].isascii()


@SQLITE_ONLY
async def test_a_forward_goes_to_each_address_with_the_files(
    runtime: Runtime, db: Database, personas: Personas, peer: Peer
) -> None:
    await make_mailbox(runtime, personas, port=peer.port)
    code = personas.ticket_codes["karel"]
    sara = await actor_for(db, personas.support_agent)
    await reply(runtime, sara, code, text="Faktura", files=[("faktura.pdf", PDF)])
    async with runtime.uow(sara) as uow:
        await thread_actions.forward(
            uow, code=code, to=["tech@service.test", "boss@service.test"], text="FYI"
        )
    assert await deliver_mail(runtime) == 3
    forwards = [m for m in peer.messages() if m["Subject"].startswith("Fwd: ")]
    assert sorted(m["To"].addresses[0].addr_spec for m in forwards) == [
        "boss@service.test",
        "tech@service.test",
    ]
    for message in forwards:
        assert [a.get_content() for a in message.iter_attachments()] == [PDF]
        assert message["Auto-Submitted"] is None


async def test_workers_side_by_side_never_send_a_mail_twice(
    runtime: Runtime, db: Database, personas: Personas, peer: Peer
) -> None:
    await make_mailbox(runtime, personas, port=peer.port)
    code = personas.ticket_codes["karel"]
    async with runtime.uow(CLI) as uow:
        # A thread group to hang the mails on (a note: it has no mail of its own).
        group = await thread_actions.add_note(uow, code=code, text="Hromadná odpověď")
        for n in range(12):
            await mail_actions.queue_ticket_mail(
                uow,
                kind="reply",
                ticket_id=personas.tickets["karel"],
                department_id=personas.departments["support"],
                group_id=group.id,
                to_address=f"customer{n}@acme.test",
                subject=f"Odpověď {n} [#{code}]",
                text=f"Zpráva {n}",
            )

    async def worker() -> int:
        # Small batches, so the workers' claims really interleave.
        handled = 0
        while claimed := await deliver_mail(runtime, batch=2):
            handled += claimed
        return handled

    handled = await asyncio.gather(*(worker() for _ in range(4)))
    assert sum(handled) == 12
    counts = Counter(m["Message-ID"] for m in peer.messages())
    assert len(counts) == 12
    assert set(counts.values()) == {1}
    assert {m.delivery_status for m in await outgoing(db)} == {"sent"}
