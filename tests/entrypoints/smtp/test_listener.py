"""The SMTP listener, fed by a plain SMTP client (the standard library's smtplib, in a thread): mail for
a mailbox's address becomes a ticket before 250 is answered; other addresses get 550, oversized mail
552, and a database that cannot store the message 451 (the sender keeps it and retries)."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator

import pytest

from linka.core.db import Database
from linka.domains.mail.models import InboundEmail
from linka.domains.tickets.models import Ticket
from linka.entrypoints.runtime import Runtime, build_runtime
from linka.entrypoints.smtp.listener import SmtpListener, start_smtp_listener
from tests.mail_helpers import add_mailbox, build_mail, count, rows
from tests.personas import Personas


@pytest.fixture
async def listener(runtime: Runtime, personas: Personas) -> AsyncIterator[SmtpListener]:
    await add_mailbox(runtime, personas, auto_ack=False, aliases=["help@linka.test"])
    started = await start_smtp_listener(runtime, host="127.0.0.1", port=0)
    yield started
    await started.close()


def _send(port: int, sender: str, recipients: list[str], raw: bytes) -> dict[str, tuple[int, bytes]]:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        return client.sendmail(sender, recipients, raw)


async def send(port: int, raw: bytes, recipients: list[str] | None = None) -> dict[str, tuple[int, bytes]]:
    return await asyncio.to_thread(
        _send, port, "jana@customer.test", recipients or ["support@linka.test"], raw
    )


async def test_mail_for_a_mailbox_is_a_ticket_by_the_time_250_comes(
    runtime: Runtime, listener: SmtpListener
) -> None:
    raw = build_mail(subject="Tiskárna hlásí chybu 0x51", message_id="<smtp-1@customer.test>")
    refused = await send(listener.port, raw, ["Support@Linka.test", "help@linka.test"])
    assert refused == {}
    # No waiting: the 250 came after the commit.
    [ticket] = await rows(runtime.db, Ticket, Ticket.subject == "Tiskárna hlásí chybu 0x51")
    [original] = await rows(runtime.db, InboundEmail, InboundEmail.ticket_id == ticket.id)
    assert original.source == "smtp"
    # SMTP carries lines with CRLF and ends the data with one: the same message, byte for byte otherwise.
    stored = runtime.blobs.read_bytes(original.raw_sha256).replace(b"\r\n", b"\n")
    assert stored.rstrip(b"\n") == raw.replace(b"\r\n", b"\n").rstrip(b"\n")


async def test_unknown_recipients_get_550_and_nothing_is_stored(
    runtime: Runtime, listener: SmtpListener
) -> None:
    tickets = await count(runtime.db, Ticket)
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        await send(listener.port, build_mail(to="nobody@linka.test"), ["nobody@linka.test"])
    code, text = refused.value.recipients["nobody@linka.test"]
    assert code == 550
    assert b"no mailbox" in text
    # One good recipient among bad ones: the message is taken for the good one, the bad one refused.
    partly = await send(
        listener.port, build_mail(subject="half"), ["nobody@linka.test", "support@linka.test"]
    )
    assert partly["nobody@linka.test"][0] == 550
    assert await count(runtime.db, Ticket) == tickets + 1


def _send_without_size(port: int, raw: bytes) -> tuple[int, bytes]:
    """Like an old client that does not announce the size: the limit is enforced while data streams."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo()
        assert client.mail("jana@customer.test")[0] == 250
        assert client.rcpt("support@linka.test")[0] == 250
        return client.data(raw)


async def test_oversized_mail_gets_552(runtime: Runtime, personas: Personas) -> None:
    runtime.settings.smtp_max_bytes = 20_000
    await add_mailbox(runtime, personas, auto_ack=False)
    started = await start_smtp_listener(runtime, host="127.0.0.1", port=0)
    try:
        big = build_mail(attachments=[("big.bin", "application/octet-stream", b"x" * 40_000)])
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:  # announced with SIZE: refused at once
            await send(started.port, big)
        assert refused.value.smtp_code == 552
        code, _ = await asyncio.to_thread(_send_without_size, started.port, big)
        assert code == 552
        small = await send(started.port, build_mail(subject="small one"))
        assert small == {}
    finally:
        await started.close()
    assert await count(runtime.db, Ticket, Ticket.subject == "small one") == 1
    assert await count(runtime.db, Ticket, Ticket.subject == "Printer does not print") == 0


async def test_a_database_that_cannot_store_gets_451_so_the_sender_retries(
    runtime: Runtime, personas: Personas, listener: SmtpListener
) -> None:
    broken = build_runtime(runtime.settings, db=Database("sqlite+aiosqlite:////nonexistent/dir/linka.db"))
    started = await start_smtp_listener(broken, host="127.0.0.1", port=0)
    try:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            await send(started.port, build_mail(message_id="<retry-me@customer.test>"))
        assert refused.value.recipients["support@linka.test"][0] == 451
    finally:
        await started.close()
        await broken.db.dispose()
    # The sender's server tries again later, at a listener whose database works: exactly one ticket.
    await send(listener.port, build_mail(message_id="<retry-me@customer.test>", subject="retried"))
    await send(listener.port, build_mail(message_id="<retry-me@customer.test>", subject="retried"))
    assert await count(runtime.db, Ticket, Ticket.subject == "retried") == 1
