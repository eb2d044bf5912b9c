"""Outbound delivery in parts: composing (headers, threading, identity, encodings), the SMTP client's
verdicts against a real server on loopback, and the delivery actions on both engines (claiming with a
lease, backoff, the failed state, retry permissions, bounces)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select

from linka.core.clock import FrozenClock
from linka.core.db import Database
from linka.core.errors import Conflict, Forbidden, NotFound
from linka.core.events import Event
from linka.core.history import HistoryEntry
from linka.core.permissions import Origin, Scope, system_actor
from linka.core.sealing import Sealer
from linka.domains.mail import actions as mail_actions
from linka.domains.mail import delivery_actions
from linka.domains.mail.composing import OutgoingFile, compose_message, sender_identity
from linka.domains.mail.delivery_actions import MAX_ATTEMPTS, backoff
from linka.domains.mail.events import DeliveryChanged
from linka.domains.mail.models import Mailbox, OutgoingMail
from linka.domains.mail.smtp_client import DeliveryError, send_message, smtp_password
from linka.entrypoints.runtime import Runtime
from tests.outbound_mail import (
    CLI,
    Peer,
    actor_for,
    free_port,
    one_mail,
    reply,
    running_peer,
)
from tests.personas import Personas

LONG_ID = "<CAH" + "q" * 90 + "@mail.gmail.com>"


def _mail(**columns: Any) -> OutgoingMail:
    values: dict[str, Any] = {
        "kind": "reply",
        "to_address": "karel@acme.test",
        "to_name": "Karel Novák",
        "cc_addresses": [],
        "subject": "Tiskárna nefunguje [#ABC-DEF-GHJ]",
        "body_text": "Dobrý den",
        "body_html": None,
        "language": "cs",
        "ticket_id": 1,
        "message_id": "<linka.1@linka-test.cz>",
        "in_reply_to": None,
        "references": [],
    }
    values.update(columns)
    return OutgoingMail(**values)


def _mailbox(**columns: Any) -> Mailbox:
    values: dict[str, Any] = {
        "address": "podpora@linka-test.cz",
        "sender_name": "",
        "smtp_host": "127.0.0.1",
        "smtp_port": 25,
        "smtp_security": "none",
        "smtp_username": "",
        "smtp_password_sealed": "",
    }
    values.update(columns)
    return Mailbox(**values)


def _wire(message: EmailMessage) -> tuple[bytes, EmailMessage]:
    raw = message.as_bytes()
    return raw, message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=policy.default)


# ---- composing ------------------------------------------------------------------------------------


def test_threading_headers_survive_long_message_ids_unencoded() -> None:
    mail = _mail(in_reply_to=LONG_ID, references=["<a@customer.test>", LONG_ID, "not an id", "<b@x>"])
    raw, read = _wire(compose_message(mail, _mailbox(), department_name="Support", files=[]))
    assert b"=?utf-8?" not in raw.split(b"In-Reply-To:")[1].split(b"\n", 1)[0]
    assert read["In-Reply-To"] == LONG_ID
    # The parent comes last; broken ids are dropped; nothing is repeated.
    assert read["References"].split() == ["<a@customer.test>", "<b@x>", LONG_ID]
    assert read["Message-ID"] == "<linka.1@linka-test.cz>"
    for line in raw.split(b"\r\n"):
        assert len(line) <= 998


def test_many_references_fold_between_ids() -> None:
    ids = [f"<linka.{n:04d}@linka-test.cz>" for n in range(20)]
    raw, read = _wire(compose_message(_mail(references=ids), _mailbox(), department_name="", files=[]))
    assert read["References"].split() == ids
    header = raw.split(b"References:")[1].split(b"\r\nContent-Type")[0]
    assert all(len(line) <= 78 for line in header.split(b"\r\n"))


@pytest.mark.parametrize(
    ("kind", "ticket_id", "expected"),
    [
        ("reply", 1, None),
        ("forward", 1, None),
        ("ack", 1, "auto-replied"),
        ("password_reset", None, "auto-generated"),
        ("invitation", None, "auto-generated"),
    ],
)
def test_auto_submitted_marks_what_no_person_wrote(
    kind: str, ticket_id: int | None, expected: str | None
) -> None:
    _, read = _wire(
        compose_message(_mail(kind=kind, ticket_id=ticket_id), _mailbox(), department_name="", files=[])
    )
    assert read["Auto-Submitted"] == expected


def test_sender_identity_falls_back_from_mailbox_to_department_to_linka() -> None:
    assert sender_identity(_mailbox(sender_name="Podpora Acme"), "Support") == "Podpora Acme"
    assert sender_identity(_mailbox(sender_name="  "), "Support") == "Support"
    assert sender_identity(_mailbox(), "") == "Linka"
    assert sender_identity(None, "") == "Linka"


def test_text_only_mail_and_international_addresses() -> None:
    mail = _mail(
        to_address="jan@příklad.cz", cc_addresses=["eva@acme.test"], body_text="Ahoj\n", language="hu"
    )
    raw, read = _wire(
        compose_message(mail, _mailbox(sender_name="Ügyfélszolgálat"), department_name="", files=[])
    )
    assert read.get_content_type() == "text/plain"
    assert read.get_content() == "Ahoj\n"
    assert read["To"].addresses[0].domain == "xn--pklad-zsa96e.cz"
    assert read["Cc"].addresses[0].addr_spec == "eva@acme.test"
    assert read["Content-Language"] == "hu"
    assert raw.split(b"\r\n\r\n", 1)[0].isascii()


def test_html_and_files_make_mixed_with_an_alternative() -> None:
    mail = _mail(body_html="<p>Dobrý <b>den</b></p>")
    files = [
        OutgoingFile("log.txt", "text/plain", b"line 1\nline 2\n"),
        OutgoingFile("x", "bogus", b"\x00\x01"),
    ]
    _, read = _wire(compose_message(mail, _mailbox(), department_name="", files=files))
    assert [p.get_content_type() for p in read.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/plain",
        "application/octet-stream",
    ]
    attachments = list(read.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["log.txt", "x"]
    assert [a.get_payload(decode=True) for a in attachments] == [b"line 1\nline 2\n", b"\x00\x01"]
    html = read.get_body(preferencelist=("html",))
    assert html is not None
    assert '<html lang="cs">' in html.get_content()


# ---- the SMTP client against a real server ---------------------------------------------------------


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[Peer]:
    yield from running_peer()


@pytest.fixture
def peer(smtp_server: Peer) -> Peer:
    smtp_server.handler.reset()
    return smtp_server


def _message(to: str = "karel@acme.test", cc: list[str] | None = None) -> EmailMessage:
    return compose_message(
        _mail(to_address=to, cc_addresses=cc or []), _mailbox(), department_name="", files=[]
    )


async def test_the_client_sends_and_reports_recipients_refused_among_others(peer: Peer) -> None:
    peer.handler.refuse["nobody@acme.test"] = "550 5.1.1 no such user"
    refused = await send_message(
        _mailbox(smtp_port=peer.port), "", _message(cc=["nobody@acme.test"]), timeout=5
    )
    assert refused == {"nobody@acme.test": "550 5.1.1 no such user"}
    [received] = peer.received
    assert received.mail_from == "podpora@linka-test.cz"
    assert received.rcpt_tos == ["karel@acme.test"]


@pytest.mark.parametrize(
    ("answer", "permanent"),
    [("550 5.7.1 message rejected as spam", True), ("452 4.3.1 insufficient storage", False)],
)
async def test_5xx_is_permanent_and_4xx_temporary(peer: Peer, answer: str, permanent: bool) -> None:
    peer.handler.always = answer
    with pytest.raises(DeliveryError) as caught:
        await send_message(_mailbox(smtp_port=peer.port), "", _message(), timeout=5)
    assert caught.value.permanent is permanent
    assert answer in caught.value.message
    assert not caught.value.unreachable


async def test_all_recipients_refused_temporarily_is_temporary(peer: Peer) -> None:
    peer.handler.refuse["karel@acme.test"] = "450 4.2.1 mailbox busy"
    with pytest.raises(DeliveryError) as caught:
        await send_message(_mailbox(smtp_port=peer.port), "", _message(), timeout=5)
    assert not caught.value.permanent
    assert "karel@acme.test (450 4.2.1 mailbox busy)" in caught.value.message


async def test_settings_problems_are_temporary() -> None:
    cases: list[tuple[Mailbox | None, str]] = [
        (None, "no mailbox to send from: add one in the admin"),
        (_mailbox(smtp_host=""), "the mailbox has no SMTP server configured"),
    ]
    for mailbox, expected in cases:
        with pytest.raises(DeliveryError) as caught:
            await send_message(mailbox, "", _message(), timeout=5)
        assert (caught.value.message, caught.value.permanent) == (expected, False)
    with pytest.raises(DeliveryError) as refused:
        await send_message(_mailbox(smtp_port=free_port()), "", _message(), timeout=5)
    assert (refused.value.permanent, refused.value.unreachable) == (False, True)
    sealed = Sealer("another secret key " + "y" * 40).seal("hunter2")
    with pytest.raises(DeliveryError) as unreadable:
        smtp_password(_mailbox(smtp_password_sealed=sealed), Sealer("test-secret-" + "x" * 40))
    assert "enter the password again" in unreadable.value.message
    assert not unreadable.value.permanent


# ---- the delivery actions -----------------------------------------------------------------------------


def test_backoff_doubles_from_a_minute() -> None:
    assert [backoff(n).total_seconds() / 60 for n in range(1, MAX_ATTEMPTS)] == [1, 2, 4, 8, 16, 32, 64]
    assert backoff(30) == timedelta(hours=2)


async def _queued(runtime: Runtime, personas: Personas, count: int = 1) -> list[int]:
    sara = await actor_for(runtime.db, personas.support_agent)
    ids = []
    for n in range(count):
        group = await reply(runtime, sara, personas.ticket_codes["karel"], text=f"Odpověď {n}")
        async with runtime.db.read_session() as session:
            found = await session.execute(select(OutgoingMail.id).where(OutgoingMail.group_id == group.id))
            ids.append(int(found.scalar_one()))
    return ids


async def test_a_claim_holds_for_its_lease_and_can_be_given_back(
    runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    first, second = await _queued(runtime, personas, 2)
    lease = timedelta(minutes=10)
    async with runtime.uow(CLI) as uow:
        assert await delivery_actions.claim_due_mail(uow, limit=1, lease=lease) == [first]
    async with runtime.uow(CLI) as uow:
        assert await delivery_actions.claim_due_mail(uow, limit=10, lease=lease) == [second]
    async with runtime.uow(CLI) as uow:
        assert await delivery_actions.claim_due_mail(uow, limit=10, lease=lease) == []
    claimed = await one_mail(runtime.db, first)
    assert (claimed.attempts, claimed.next_attempt_at) == (1, frozen_clock.now() + lease)

    async with runtime.uow(CLI) as uow:
        assert await delivery_actions.release_claim(
            uow, mail_id=second, lease_until=frozen_clock.now() + lease
        )
    given_back = await one_mail(runtime.db, second)
    assert (given_back.attempts, given_back.next_attempt_at) == (0, frozen_clock.now())

    # A worker that died mid-send: the mail is due again once the lease is over (the longest waiting
    # comes first).
    frozen_clock.advance(minutes=10)
    async with runtime.uow(CLI) as uow:
        assert await delivery_actions.claim_due_mail(uow, limit=10, lease=lease) == [second, first]
    assert (await one_mail(runtime.db, first)).attempts == 2


@pytest.mark.parametrize("engine_name", ["postgresql"])  # SQLite has one writer: nothing to skip
async def test_rows_claimed_in_an_open_transaction_are_skipped(runtime: Runtime, personas: Personas) -> None:
    ids = await _queued(runtime, personas, 4)
    async with runtime.uow(CLI) as first:
        mine = await delivery_actions.claim_due_mail(first, limit=2, lease=timedelta(minutes=10))
        async with runtime.uow(CLI) as second:
            theirs = await delivery_actions.claim_due_mail(second, limit=10, lease=timedelta(minutes=10))
    assert mine == ids[:2]
    assert theirs == ids[2:]


async def test_failures_back_off_then_fail_and_each_step_is_recorded(
    runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    [mail_id] = await _queued(runtime, personas)
    seen: list[Event] = []

    async def collect(events: list[Event]) -> None:
        seen.extend(events)

    runtime.bus.add_publisher(collect)
    async with runtime.uow(CLI) as uow:
        await delivery_actions.claim_due_mail(uow, limit=5, lease=timedelta(minutes=10))
        await delivery_actions.record_failure(uow, mail_id=mail_id, error="451 later", permanent=False)
    waiting = await one_mail(runtime.db, mail_id)
    assert (waiting.delivery_status, waiting.next_attempt_at) == (
        "queued",
        frozen_clock.now() + timedelta(minutes=1),
    )
    async with runtime.uow(CLI) as uow:
        await delivery_actions.record_failure(uow, mail_id=mail_id, error="554 no", permanent=True)
    failed = await one_mail(runtime.db, mail_id)
    assert (failed.delivery_status, failed.last_error, failed.next_attempt_at) == ("failed", "554 no", None)
    # Once failed, a late report of another attempt changes nothing.
    async with runtime.uow(CLI) as uow:
        await delivery_actions.record_failure(uow, mail_id=mail_id, error="late", permanent=False)
    assert (await one_mail(runtime.db, mail_id)).last_error == "554 no"
    assert [(e.status, e.ticket_id) for e in seen if isinstance(e, DeliveryChanged)] == [
        ("queued", personas.tickets["karel"]),
        ("failed", personas.tickets["karel"]),
    ]
    async with runtime.db.read_session() as session:
        entries = await session.execute(
            select(HistoryEntry.action, HistoryEntry.after)
            .where(HistoryEntry.entity_type == "outgoing_mail", HistoryEntry.entity_id == mail_id)
            .order_by(HistoryEntry.id)
        )
        history = list(entries.all())
    assert [action for action, _ in history] == ["queued", "retrying", "failed"]
    assert history[1][1]["error"] == "451 later"


async def test_retry_needs_the_ticket_or_manage_channels(
    runtime: Runtime, db: Database, personas: Personas, frozen_clock: FrozenClock
) -> None:
    [karels] = await _queued(runtime, personas)
    async with runtime.uow(CLI) as uow:
        evas = (
            await mail_actions.queue_ticket_mail(
                uow,
                kind="reply",
                ticket_id=personas.tickets["eva"],
                department_id=personas.departments["sales"],
                group_id=(await reply_note(uow, personas.ticket_codes["eva"])),
                to_address="eva@acme.test",
                subject="Quote",
                text="Here it is",
            )
        ).id
        system = (
            await mail_actions.queue_system_mail(
                uow,
                kind="invitation",
                to_address="new@linka.test",
                to_name="New",
                language="en",
                template="invitation",
                context={
                    "name": "New",
                    "email": "new@linka.test",
                    "link": "https://x",
                    "valid_days": 7,
                    "inviter": "Adam",
                    "workspace": "Acme",
                },
            )
        ).id
    sara = await actor_for(db, personas.support_agent)
    sandor = await actor_for(db, personas.sales_agent)
    rita = await actor_for(db, personas.sales_reader)
    admin = await actor_for(db, personas.admin)
    refusals: list[tuple[Any, int, type[Exception]]] = [
        (sandor, karels, NotFound),  # another department's ticket: as if it did not exist
        (rita, evas, Forbidden),  # a reader sees the ticket but does not work it
        (sara, system, Forbidden),  # system mail: manage_channels only
        (sara, 10**9, NotFound),
        (type(sara)(**{**sara.__dict__, "scopes": frozenset({Scope.READ})}), karels, Forbidden),
    ]
    for actor, mail_id, error in refusals:
        with pytest.raises(error):
            async with runtime.uow(actor) as uow:
                await delivery_actions.retry_mail(uow, mail_id=mail_id)
    frozen_clock.advance(minutes=5)
    for actor, mail_id in ((sara, karels), (admin, system), (sandor, evas)):
        async with runtime.uow(actor) as uow:
            retried = await delivery_actions.retry_mail(uow, mail_id=mail_id)
        assert (retried.delivery_status, retried.attempts, retried.next_attempt_at) == (
            "queued",
            0,
            frozen_clock.now(),
        )
    async with runtime.uow(CLI) as uow:
        await delivery_actions.record_sent(uow, mail_id=karels)
    with pytest.raises(Conflict):
        async with runtime.uow(sara) as uow:
            await delivery_actions.retry_mail(uow, mail_id=karels)


async def reply_note(uow: Any, code: str) -> int:
    from linka.domains.tickets import thread_actions

    return (await thread_actions.add_note(uow, code=code, text="Nabídka")).id


async def test_a_bounce_fails_the_mail_it_names(runtime: Runtime, personas: Personas) -> None:
    [mail_id] = await _queued(runtime, personas)
    async with runtime.uow(CLI) as uow:
        await delivery_actions.record_sent(uow, mail_id=mail_id)
    message_id = (await one_mail(runtime.db, mail_id)).message_id
    assert message_id is not None
    async with runtime.uow(system_actor(Origin.MAIL)) as uow:
        bounced = await delivery_actions.mark_bounced(
            uow,
            message_id=message_id,
            recipients=["karel@acme.test"],
            reason="bounced: 550 5.1.1  user unknown",
        )
        assert bounced is not None
        assert (
            await delivery_actions.mark_bounced(
                uow, message_id="<unknown@else.where>", recipients=[], reason="x"
            )
            is None
        )
    failed = await one_mail(runtime.db, mail_id)
    assert failed.delivery_status == "failed"
    assert failed.last_error == "bounced (karel@acme.test): 550 5.1.1 user unknown"
    assert failed.sent_at is not None  # it did leave; the receiving side gave up on it
