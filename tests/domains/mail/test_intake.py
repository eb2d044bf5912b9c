"""Email intake on both engines: a message becomes a ticket or joins one (Message-ID, References, our
outgoing mail, the code in the subject), follow-ups after closed/spam/deleted tickets, guards (auto-
replies, bounces, our own mail, floods, spam), dead letters that never block the next message, CCs kept
for reply-all, attachments and the original kept, acknowledgements in the contact's language."""

from __future__ import annotations

import pytest

from linka.core.permissions import Origin, system_actor
from linka.domains.contacts.models import Contact, ContactEmail
from linka.domains.mail import mailbox_actions
from linka.domains.mail.intake import retry_dead_letter, take_in_mail
from linka.domains.mail.models import DeadLetter, InboundEmail, OutgoingMail
from linka.domains.mail.schemas import AckTemplate, MailboxUpdateIn
from linka.domains.tickets import status_actions, thread_actions
from linka.domains.tickets.models import Ticket, TicketCc
from linka.domains.tickets.statuses import Status
from linka.domains.tickets.thread_models import Attachment, Message, MessageGroup
from linka.entrypoints.runtime import Runtime
from tests.mail_helpers import ADMIN_CLI, add_mailbox, build_mail, count, rows
from tests.personas import Personas
from tests.query_counter import Statements, counting_statements

MAIL = system_actor(Origin.MAIL)


async def ticket_by_code(runtime: Runtime, code: str) -> Ticket:
    found = await rows(runtime.db, Ticket, Ticket.code == code)
    assert len(found) == 1
    return found[0]


async def groups_of(runtime: Runtime, ticket_id: int) -> list[MessageGroup]:
    return await rows(runtime.db, MessageGroup, MessageGroup.ticket_id == ticket_id, order_by=MessageGroup.id)


async def test_a_new_message_becomes_a_ticket_with_its_original_and_an_acknowledgement(
    runtime: Runtime, personas: Personas
) -> None:
    mailbox = await add_mailbox(runtime, personas)
    raw = build_mail(message_id="<first@customer.test>", html="<p>Hello <b>team</b><script>x()</script></p>")
    received = await take_in_mail(runtime, raw, source="smtp", recipients=["support@linka.test"])

    assert received.outcome == "ticket"
    assert received.ticket_code is not None
    ticket = await ticket_by_code(runtime, received.ticket_code)
    assert (ticket.subject, ticket.channel, ticket.status) == ("Printer does not print", "email", "new")
    assert ticket.department_id == personas.departments["support"]
    contact = (await rows(runtime.db, Contact, Contact.id == ticket.contact_id))[0]
    assert contact.name == "Jana Dvořáková"
    assert [e.email for e in await rows(runtime.db, ContactEmail, ContactEmail.contact_id == contact.id)] == [
        "jana@customer.test"
    ]
    [group] = await groups_of(runtime, ticket.id)
    assert (group.kind, group.email_message_id, group.author_contact_id) == (
        "incoming_email",
        "<first@customer.test>",
        contact.id,
    )
    messages = await rows(runtime.db, Message, Message.group_id == group.id, order_by=Message.position)
    assert "second floor does not print" in messages[0].body
    html = next(m.body for m in messages if m.kind == "html")
    assert "<b>team</b>" in html
    assert "script" not in html
    [original] = await rows(runtime.db, InboundEmail, InboundEmail.group_id == group.id)
    assert runtime.blobs.read_bytes(original.raw_sha256) == raw
    assert (original.mailbox_id, original.source, original.from_address) == (
        mailbox.id,
        "smtp",
        "jana@customer.test",
    )
    [ack] = await rows(runtime.db, OutgoingMail, OutgoingMail.ticket_id == ticket.id)
    assert ack.kind == "ack"
    assert ack.to_address == "jana@customer.test"
    assert f"[#{ticket.code}]" in ack.subject
    assert ack.in_reply_to == "<first@customer.test>"
    assert ack.mailbox_id == mailbox.id
    assert ack.message_id.endswith("@linka.test>")


async def test_the_acknowledgement_speaks_the_contacts_language_or_the_admins_template(
    runtime: Runtime, personas: Personas
) -> None:
    await add_mailbox(
        runtime,
        personas,
        ack_templates={
            "hu": AckTemplate(subject="Köszönjük, {contact.first_name}!", text="Jegy: {ticket.code}")
        },
    )
    czech = await take_in_mail(runtime, build_mail(sender="Karel Novák <karel@acme.test>"), source="smtp")
    hungarian = await take_in_mail(runtime, build_mail(sender="Hana Szabó <hana@example.hu>"), source="smtp")

    [cs_ack] = await rows(runtime.db, OutgoingMail, OutgoingMail.to_address == "karel@acme.test")
    assert cs_ack.language == "cs"
    assert cs_ack.subject.startswith("Vaši zprávu jsme přijali")
    assert czech.ticket_code in cs_ack.body_text
    [hu_ack] = await rows(runtime.db, OutgoingMail, OutgoingMail.to_address == "hana@example.hu")
    assert hu_ack.subject == f"Köszönjük, Hana! [#{hungarian.ticket_code}]"
    assert hu_ack.body_text == f"Jegy: {hungarian.ticket_code}"


async def test_replies_thread_by_message_id_references_our_mail_and_the_subject_code(
    runtime: Runtime, personas: Personas
) -> None:
    await add_mailbox(runtime, personas, auto_ack=False)
    first = await take_in_mail(runtime, build_mail(message_id="<a1@customer.test>"), source="smtp")
    code = first.ticket_code
    assert code is not None
    by_in_reply_to = await take_in_mail(
        runtime, build_mail(subject="Re: printer", in_reply_to="<a1@customer.test>"), source="smtp"
    )
    by_references = await take_in_mail(
        runtime,
        build_mail(subject="other words", references="<unknown@x.test> <a1@customer.test>"),
        source="smtp",
    )
    async with runtime.uow(system_actor(Origin.CLI)) as uow:
        group = await thread_actions.reply(uow, code=code, text="Please restart it.")
        our_id = group.email_message_id
    assert our_id is not None
    answered = await take_in_mail(
        runtime, build_mail(subject="Re: done?", in_reply_to=our_id, references=our_id), source="smtp"
    )
    by_subject = await take_in_mail(runtime, build_mail(subject=f"Again [#{code}]"), source="imap")
    lower_subject = await take_in_mail(
        runtime, build_mail(subject=f"RE: Printer {code.lower().replace('-', '')}"), source="smtp"
    )

    for received in (by_in_reply_to, by_references, answered, by_subject):
        assert (received.outcome, received.ticket_code) == ("reply", code)
    ticket = await ticket_by_code(runtime, code)
    assert ticket.status == "open"  # the reply to our answer reopened it
    assert ticket.customer_message_count == 5
    assert lower_subject.ticket_code != code  # a mangled code is not a code: a new ticket


async def test_a_reply_to_a_forward_lands_as_a_forward_reply(runtime: Runtime, personas: Personas) -> None:
    await add_mailbox(runtime, personas, auto_ack=False)
    code = (await take_in_mail(runtime, build_mail(), source="smtp")).ticket_code
    assert code is not None
    async with runtime.uow(system_actor(Origin.CLI)) as uow:
        await thread_actions.forward(uow, code=code, to=["vendor@printers.test"], text="Can you help?")
    [forward] = await rows(runtime.db, OutgoingMail, OutgoingMail.kind == "forward")
    received = await take_in_mail(
        runtime,
        build_mail(sender="vendor@printers.test", subject="Re: Fwd", in_reply_to=forward.message_id),
        source="smtp",
    )
    assert (received.outcome, received.ticket_code) == ("reply", code)
    ticket = await ticket_by_code(runtime, code)
    kinds = [g.kind for g in await groups_of(runtime, ticket.id)]
    assert kinds == ["incoming_email", "forward", "forward_reply"]
    assert ticket.customer_message_count == 1  # the vendor is not the customer


@pytest.mark.parametrize("status", [Status.CLOSED, Status.SPAM, Status.DELETED])
async def test_a_reply_to_a_closed_spam_or_deleted_ticket_starts_a_linked_one(
    runtime: Runtime, personas: Personas, status: Status
) -> None:
    await add_mailbox(runtime, personas, auto_ack=True)
    code = (
        await take_in_mail(runtime, build_mail(message_id="<old@customer.test>"), source="smtp")
    ).ticket_code
    assert code is not None
    async with runtime.uow(system_actor(Origin.CLI)) as uow:
        if status is Status.CLOSED:
            await status_actions.set_ticket_status(uow, code=code, status=Status.RESOLVED)
        await status_actions.set_ticket_status(uow, code=code, status=status)
    received = await take_in_mail(
        runtime, build_mail(subject="Re: printer", in_reply_to="<old@customer.test>"), source="smtp"
    )
    assert received.outcome == "ticket"
    assert received.ticket_code != code
    old = await ticket_by_code(runtime, code)
    new = await ticket_by_code(runtime, received.ticket_code or "")
    assert (old.status, new.follow_up_of_id, new.status) == (status.value, old.id, "new")
    assert (
        await count(runtime.db, OutgoingMail, OutgoingMail.ticket_id == new.id, OutgoingMail.kind == "ack")
        == 1
    )


async def test_the_same_message_twice_is_one_entry(runtime: Runtime, personas: Personas) -> None:
    await add_mailbox(runtime, personas)
    raw = build_mail(message_id="<twice@customer.test>")
    first = await take_in_mail(runtime, raw, source="smtp")
    second = await take_in_mail(runtime, raw, source="imap")
    assert (second.outcome, second.ticket_code) == ("duplicate", first.ticket_code)
    assert (
        await count(runtime.db, MessageGroup, MessageGroup.email_message_id == "<twice@customer.test>") == 1
    )
    assert await count(runtime.db, OutgoingMail, OutgoingMail.kind == "ack") == 1


async def test_messages_without_message_id_each_land(runtime: Runtime, personas: Personas) -> None:
    await add_mailbox(runtime, personas, auto_ack=False)
    one = await take_in_mail(runtime, build_mail(message_id=""), source="smtp")
    two = await take_in_mail(runtime, build_mail(message_id=""), source="smtp")
    assert one.outcome == two.outcome == "ticket"
    assert one.ticket_code != two.ticket_code


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"X-Autoreply": "yes"},
        {"Precedence": "bulk"},
        {"X-Autorespond": "Out of office"},
    ],
)
async def test_auto_replies_never_get_an_answer_nor_reopen(
    runtime: Runtime, personas: Personas, headers: dict[str, str]
) -> None:
    await add_mailbox(runtime, personas, auto_ack=True)
    new = await take_in_mail(runtime, build_mail(headers=headers), source="smtp")
    assert new.outcome == "ticket"
    assert await count(runtime.db, OutgoingMail) == 0

    code = (
        await take_in_mail(runtime, build_mail(message_id="<q@customer.test>"), source="smtp")
    ).ticket_code
    assert code is not None
    async with runtime.uow(system_actor(Origin.CLI)) as uow:
        await thread_actions.reply(uow, code=code, text="Done, see you.")
    reply = await take_in_mail(
        runtime, build_mail(in_reply_to="<q@customer.test>", headers=headers), source="smtp"
    )
    assert reply.ticket_code == code
    assert (await ticket_by_code(runtime, code)).status == "answered"


async def test_a_bounce_marks_our_mail_failed_and_makes_no_ticket(
    runtime: Runtime, personas: Personas
) -> None:
    await add_mailbox(runtime, personas, auto_ack=True)
    code = (await take_in_mail(runtime, build_mail(sender="typo@customer.test"), source="smtp")).ticket_code
    [ack] = await rows(runtime.db, OutgoingMail)
    tickets_before = await count(runtime.db, Ticket)
    dsn = _dsn(ack.message_id or "", "typo@customer.test")
    received = await take_in_mail(runtime, dsn, source="smtp")

    assert (received.outcome, received.ticket_code) == ("bounce", code)
    assert await count(runtime.db, Ticket) == tickets_before
    [failed] = await rows(runtime.db, OutgoingMail, OutgoingMail.id == ack.id)
    assert failed.delivery_status == "failed"
    assert "5.1.1" in (failed.last_error or "")
    assert await count(runtime.db, OutgoingMail) == 1  # nobody answered the bounce


def _dsn(original_id: str, recipient: str) -> bytes:
    boundary = "dsn-boundary"
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.customer.test>\r\n"
        "To: support@linka.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <bounce-1@mx.customer.test>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.customer.test\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {original_id}\r\nFrom: support@linka.test\r\nTo: {recipient}\r\n"
        f"--{boundary}--\r\n"
    ).encode()


async def test_our_own_mail_coming_back_makes_no_ticket(runtime: Runtime, personas: Personas) -> None:
    await add_mailbox(runtime, personas, auto_ack=True, aliases=["help@linka.test"])
    await take_in_mail(runtime, build_mail(), source="smtp")
    [ack] = await rows(runtime.db, OutgoingMail)
    tickets = await count(runtime.db, Ticket)
    looped = await take_in_mail(runtime, build_mail(message_id=ack.message_id), source="smtp")
    from_us = await take_in_mail(runtime, build_mail(sender="Help <help@linka.test>"), source="smtp")
    assert looped.outcome == from_us.outcome == "ignored"
    assert await count(runtime.db, Ticket) == tickets
    assert await count(runtime.db, OutgoingMail) == 1


async def test_a_flooding_sender_is_held_and_an_admin_can_let_the_mail_in(
    runtime: Runtime, personas: Personas
) -> None:
    await add_mailbox(runtime, personas, auto_ack=True, flood_limit=3)
    results = [await take_in_mail(runtime, build_mail(), source="smtp") for _ in range(5)]
    assert [r.outcome for r in results] == ["ticket"] * 3 + ["dead_letter"] * 2
    letters = await rows(runtime.db, DeadLetter, order_by=DeadLetter.id)
    assert [dl.reason for dl in letters] == ["throttled", "throttled"]
    assert "jana@customer.test" in letters[0].error
    assert await count(runtime.db, OutgoingMail) == 3  # no acknowledgement for held mail

    retried = await retry_dead_letter(runtime, ADMIN_CLI, letters[0].public_id)
    assert retried.outcome == "ticket"
    [done] = await rows(runtime.db, DeadLetter, DeadLetter.id == letters[0].id)
    assert done.status == "retried"
    assert done.ticket_id is not None
    assert done.attempts == 2


async def test_mail_the_server_flagged_as_spam_lands_in_spam(runtime: Runtime, personas: Personas) -> None:
    await add_mailbox(runtime, personas, auto_ack=True)
    received = await take_in_mail(runtime, build_mail(headers={"X-Spam-Flag": "YES"}), source="smtp")
    assert (await ticket_by_code(runtime, received.ticket_code or "")).status == "spam"
    assert await count(runtime.db, OutgoingMail) == 0


async def test_an_unparseable_message_is_a_dead_letter_and_the_next_one_lands(
    runtime: Runtime, personas: Personas
) -> None:
    await add_mailbox(runtime, personas, auto_ack=False)
    garbage = b"\x00\x01\x02 this is not an email at all \xff\xfe"
    bad = await take_in_mail(runtime, garbage, source="smtp", envelope_from="x@y.test")
    good = await take_in_mail(runtime, build_mail(), source="smtp")
    assert bad.outcome == "dead_letter"
    assert good.outcome == "ticket"
    [letter] = await rows(runtime.db, DeadLetter)
    assert letter.reason == "unparseable"
    assert letter.envelope_from == "x@y.test"
    assert runtime.blobs.read_bytes(letter.raw_sha256) == garbage


async def test_mail_for_no_mailbox_waits_until_an_admin_adds_one(
    runtime: Runtime, personas: Personas
) -> None:
    raw = build_mail(to="billing@linka.test")
    held = await take_in_mail(runtime, raw, source="pipe")
    [letter] = await rows(runtime.db, DeadLetter)
    assert (held.outcome, letter.reason) == ("dead_letter", "no_mailbox")

    mailbox = await add_mailbox(runtime, personas, auto_ack=False)
    async with runtime.uow(ADMIN_CLI) as uow:
        await mailbox_actions.update_mailbox(
            uow,
            mailbox_id=mailbox.public_id,
            data=MailboxUpdateIn(aliases=["billing@linka.test"]),
            sealer=runtime.sealer,
        )
    retried = await retry_dead_letter(runtime, ADMIN_CLI, letter.public_id)
    assert retried.outcome == "ticket"
    assert (await ticket_by_code(runtime, retried.ticket_code or "")).department_id == mailbox.department_id


async def test_everyone_in_copy_is_kept_for_reply_all(runtime: Runtime, personas: Personas) -> None:
    await add_mailbox(runtime, personas, auto_ack=False, aliases=["help@linka.test"])
    received = await take_in_mail(
        runtime,
        build_mail(
            to="support@linka.test, Boss <boss@customer.test>",
            cc="help@linka.test, Colleague <colleague@customer.test>, jana@customer.test",
        ),
        source="smtp",
    )
    ticket = await ticket_by_code(runtime, received.ticket_code or "")
    cc_ids = [cc.contact_id for cc in await rows(runtime.db, TicketCc, TicketCc.ticket_id == ticket.id)]
    emails = {e.email for e in await rows(runtime.db, ContactEmail, ContactEmail.contact_id.in_(cc_ids))}
    assert emails == {"boss@customer.test", "colleague@customer.test"}


async def test_files_and_inline_images_are_kept_and_a_too_large_one_is_named(
    runtime: Runtime, personas: Personas
) -> None:
    runtime.blobs.max_bytes = 50_000
    await add_mailbox(runtime, personas, auto_ack=False)
    raw = build_mail(
        attachments=[
            ("invoice.pdf", "application/pdf", b"%PDF-1.4 small"),
            ("video.mp4", "video/mp4", b"\x00" * 60_000),
        ]
    )
    received = await take_in_mail(runtime, raw, source="smtp")
    ticket = await ticket_by_code(runtime, received.ticket_code or "")
    files = await rows(runtime.db, Attachment, Attachment.ticket_id == ticket.id)
    assert [(f.filename, f.mime_type, f.size) for f in files] == [("invoice.pdf", "application/pdf", 14)]
    assert runtime.blobs.read_bytes(files[0].sha256) == b"%PDF-1.4 small"
    text = (await rows(runtime.db, Message, Message.ticket_id == ticket.id, Message.kind == "text"))[0].body
    assert "video.mp4" in text
    assert "original .eml" in text


async def test_a_database_failure_raises_and_keeps_nothing_then_redelivery_lands_once(
    runtime: Runtime, personas: Personas, tmp_path: object
) -> None:
    from linka.core.db import Database
    from linka.entrypoints.runtime import build_runtime

    await add_mailbox(runtime, personas, auto_ack=False)
    broken = build_runtime(runtime.settings, db=Database("sqlite+aiosqlite:////nonexistent/dir/linka.db"))
    broken.blobs = runtime.blobs
    raw = build_mail(message_id="<crash@customer.test>")
    with pytest.raises(Exception):  # noqa: B017,PT011 - whatever the driver raises; the point is: no 250
        await take_in_mail(broken, raw, source="smtp")
    await broken.db.dispose()
    assert await count(runtime.db, Ticket, Ticket.subject == "Printer does not print") == 0
    assert await count(runtime.db, DeadLetter) == 0

    first = await take_in_mail(runtime, raw, source="smtp")
    again = await take_in_mail(runtime, raw, source="smtp")
    assert (first.outcome, again.outcome) == ("ticket", "duplicate")
    assert await count(runtime.db, Ticket, Ticket.subject == "Printer does not print") == 1


async def test_discarding_a_dead_letter_removes_its_file(runtime: Runtime, personas: Personas) -> None:
    from linka.domains.mail import dead_letter_actions

    bad = await take_in_mail(runtime, b"garbage without headers", source="smtp")
    [letter] = await rows(runtime.db, DeadLetter)
    async with runtime.uow(ADMIN_CLI) as uow:
        sha = await dead_letter_actions.discard_dead_letter(uow, dead_letter_id=bad.dead_letter_id or "")
    async with runtime.db.read_session() as session:
        await runtime.blobs.sweep_unreferenced(session, [sha])
    assert await count(runtime.db, DeadLetter) == 0
    assert not runtime.blobs.exists(letter.raw_sha256)


async def test_purging_a_ticket_removes_its_original_emails(runtime: Runtime, personas: Personas) -> None:
    await add_mailbox(runtime, personas, auto_ack=False)
    code = (await take_in_mail(runtime, build_mail(), source="smtp")).ticket_code or ""
    [original] = await rows(runtime.db, InboundEmail)
    async with runtime.uow(system_actor(Origin.CLI)) as uow:
        await status_actions.set_ticket_status(uow, code=code, status=Status.DELETED)
        purged = await status_actions.purge_tickets(uow, codes=[code])
    async with runtime.db.read_session() as session:
        await runtime.blobs.sweep_unreferenced(session, purged.blob_hashes)
    assert not runtime.blobs.exists(original.raw_sha256)
    assert await count(runtime.db, InboundEmail) == 0


async def test_every_entry_point_reads_the_mailbox_from_the_recipients(
    runtime: Runtime, personas: Personas
) -> None:
    await add_mailbox(runtime, personas, auto_ack=False)
    sales = await add_mailbox(
        runtime, personas, address="sales@linka.test", department="sales", auto_ack=False
    )
    # Delivered to sales (envelope) although the header names support: the envelope wins.
    received = await take_in_mail(
        runtime, build_mail(to="support@linka.test"), source="smtp", recipients=["sales@linka.test"]
    )
    ticket = await ticket_by_code(runtime, received.ticket_code or "")
    assert ticket.department_id == personas.departments["sales"]
    [original] = await rows(runtime.db, InboundEmail, InboundEmail.ticket_id == ticket.id)
    assert original.mailbox_id == sales.id


# One message as the SMTP listener hands it over (what intake runs per message). Guards: our own
# Message-ID? our own address? the mailbox of the recipients, the Message-ID seen before? the sender's
# hourly count. A new customer: looked up by address (contact, emails, company domains), then made
# (contact, email, history); the ticket (department, ticket, history). The message: the ticket and
# check, the Message-ID looked up again, group, message, history, the ticket's counters; CCs against our
# addresses. The original and the mailbox's last mail; the acknowledgement (its mailbox, mail, history).
# Then the search document once (5: the ticket with its contact's name, emails, tags, messages, upsert),
# however many events named the ticket (created, thread changed). PostgreSQL locks the ticket in the
# read that finds it, so both engines run the same statements.
NEW_TICKET_BY_MAIL = 5 + 6 + 3 + 8 + 2 + 3 + 5
# A reply threaded by In-Reply-To: the same guards, the known contact, the thread found; the message as
# above with the ticket touched (9); the original and last mail; the search document once. No
# acknowledgement.
REPLY_BY_MAIL = 5 + 1 + 1 + 9 + 2 + 5


async def test_taking_in_a_message_costs_a_fixed_number_of_statements_new_ticket_or_reply(
    runtime: Runtime, personas: Personas
) -> None:
    await add_mailbox(runtime, personas)
    jana = "Jana Dvořáková <jana@customer.test>"

    async def take_in(raw: bytes, outcome: str) -> Statements:
        with counting_statements(runtime.db) as seen:
            received = await take_in_mail(runtime, raw, source="smtp", recipients=["support@linka.test"])
        assert received.outcome == outcome
        return seen

    first = build_mail(sender=jana, message_id="<first@customer.test>")
    new_ticket = await take_in(first, "ticket")
    replies = [
        await take_in(
            build_mail(
                sender=jana,
                subject="Re: Printer does not print",
                in_reply_to="<first@customer.test>",
                references="<first@customer.test>",
            ),
            "reply",
        )
        for _ in range(2)  # the second into a longer thread costs the same
    ]
    assert new_ticket.count == NEW_TICKET_BY_MAIL, "\n".join(new_ticket.sql)
    for reply in replies:
        assert reply.count == REPLY_BY_MAIL, "\n".join(reply.sql)
