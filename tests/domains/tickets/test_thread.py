"""The thread actions on both engines: replies (status, metrics, one queued mail), notes (nothing
mailed, status kept), forwards, customers' messages (reopen; a closed ticket gets a linked follow-up)
and system lines; failures leave nothing behind."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from linka.core.clock import FrozenClock
from linka.core.db import Database
from linka.core.errors import Conflict, Forbidden, Invalid, NotFound
from linka.core.history import HistoryEntry
from linka.core.permissions import Actor, Origin, Scope, system_actor
from linka.domains.accounts.models import Agent
from linka.domains.accounts.queries import build_actor
from linka.domains.mail.models import OutgoingMail
from linka.domains.tickets import status_actions, thread_actions, thread_files, thread_queries
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.statuses import Status
from linka.domains.tickets.thread_models import Attachment, Message, MessageGroup
from linka.domains.tickets.thread_schemas import GroupKind, NewAttachment
from linka.entrypoints.runtime import Runtime
from tests.personas import Person, Personas

MAIL = system_actor(Origin.MAIL)


async def actor_for(db: Database, person: Person) -> Actor:
    async with db.read_session() as session:
        agent = await session.get(Agent, person.id)
        assert agent is not None
        return await build_actor(
            session, agent, origin=Origin.API, scopes=frozenset({Scope.READ, Scope.WRITE})
        )


async def ticket_of(db: Database, ticket_id: int) -> Ticket:
    async with db.read_session() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket


async def rows(db: Database, model: Any, *conditions: Any) -> list[Any]:
    async with db.read_session() as session:
        return list((await session.execute(select(model).where(*conditions))).scalars())


async def count(db: Database, model: Any, *conditions: Any) -> int:
    async with db.read_session() as session:
        query = select(func.count()).select_from(model).where(*conditions)
        return int((await session.execute(query)).scalar_one())


async def set_status(runtime: Runtime, code: str, *statuses: Status) -> None:
    for status in statuses:
        async with runtime.uow(MAIL) as uow:
            await status_actions.set_ticket_status(uow, code=code, status=status)


async def customer_writes(runtime: Runtime, code: str, text: str, **more: Any) -> thread_actions.Posted:
    async with runtime.uow(MAIL) as uow:
        return await thread_actions.add_customer_message(uow, code=code, text=text, **more)


async def upload(runtime: Runtime, actor: Actor, code: str, data: bytes, name: str) -> Attachment:
    blob = await runtime.blobs.put_bytes(data)
    async with runtime.uow(actor) as uow:
        return await thread_files.add_attachment(
            uow, code=code, file=NewAttachment(sha256=blob.sha256, size=blob.size, filename=name)
        )


# ---- replies ----------------------------------------------------------------------------------------


async def test_reply_answers_counts_and_queues_one_mail(
    db: Database, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    sara = await actor_for(db, personas.support_agent)
    karel = await ticket_of(db, personas.tickets["karel"])
    async with runtime.uow(sara) as uow:
        group = await thread_actions.reply(uow, code=karel.code, text="Dobrý den, tiskárnu opravíme zítra.")

    ticket = await ticket_of(db, karel.id)
    assert ticket.status == "answered"
    assert (ticket.agent_reply_count, ticket.first_agent_reply_at) == (1, frozen_clock.now())
    assert ticket.last_agent_reply_at == ticket.last_activity_at == frozen_clock.now()
    mails = await rows(db, OutgoingMail, OutgoingMail.ticket_id == karel.id)
    assert len(mails) == 1
    mail = mails[0]
    assert (mail.kind, mail.to_address, mail.to_name, mail.delivery_status) == (
        "reply",
        "karel@acme.test",
        "Karel Novák",
        "queued",
    )
    assert mail.body_text == "Dobrý den, tiskárnu opravíme zítra."
    assert mail.group_id == group.id
    assert karel.code in mail.subject
    stored = await rows(db, MessageGroup, MessageGroup.ticket_id == karel.id)
    assert [(g.kind, g.is_internal, g.author_agent_id) for g in stored] == [
        ("outgoing_email", False, personas.support_agent.id)
    ]
    assert stored[0].recipients == {"to": ["karel@acme.test"], "cc": []}
    history = await rows(
        db, HistoryEntry, HistoryEntry.entity_id == karel.id, HistoryEntry.entity_type == "ticket"
    )
    assert {"message_added", "status_changed"} <= {entry.action for entry in history}

    frozen_clock.advance(hours=2)
    async with runtime.uow(sara) as uow:
        await thread_actions.reply(uow, code=karel.code, text="Ještě jedna věc.")
    again = await ticket_of(db, karel.id)
    assert again.agent_reply_count == 2
    assert again.first_agent_reply_at == ticket.first_agent_reply_at
    assert again.last_agent_reply_at == frozen_clock.now()
    assert await count(db, OutgoingMail, OutgoingMail.ticket_id == karel.id) == 2


async def test_reply_sanitises_html_and_takes_cc_and_files(
    db: Database, runtime: Runtime, personas: Personas
) -> None:
    sara = await actor_for(db, personas.support_agent)
    karel = await ticket_of(db, personas.tickets["karel"])
    file = await upload(runtime, sara, karel.code, b"%PDF-1.4 ...", "Faktura č. 5.pdf")
    async with runtime.uow(sara) as uow:
        await thread_actions.reply(
            uow,
            code=karel.code,
            text="",
            html='<p onclick="steal()">Hi <b>Karel</b><script>alert(1)</script><a href="javascript:x">x</a></p>',
            attachment_ids=[file.public_id],
            cc=["Boss@Acme.test", "KAREL@acme.test"],
        )
    mail = (await rows(db, OutgoingMail, OutgoingMail.ticket_id == karel.id))[0]
    assert mail.cc_addresses == ["boss@acme.test"]  # the addressee is not copied again
    assert mail.body_html is not None
    for bad in ("script", "onclick", "javascript:"):
        assert bad not in mail.body_html
    assert "<b>Karel</b>" in mail.body_html
    assert mail.body_text.startswith("Hi Karel")
    messages = await rows(db, Message, Message.ticket_id == karel.id)
    assert sorted(m.kind for m in messages) == ["file", "html"]
    assert next(m for m in messages if m.kind == "file").attachment_id == file.id


async def test_failed_reply_leaves_nothing(db: Database, runtime: Runtime, personas: Personas) -> None:
    """A file of another ticket: Invalid naming attachment_ids, and no group, mail or status change."""
    admin = await actor_for(db, personas.admin)
    karel = await ticket_of(db, personas.tickets["karel"])
    eva = await ticket_of(db, personas.tickets["eva"])
    foreign = await upload(runtime, admin, eva.code, b"quote", "quote.txt")
    before = await count(db, HistoryEntry)

    with pytest.raises(Invalid) as raised:
        async with runtime.uow(admin) as uow:
            await thread_actions.reply(
                uow, code=karel.code, text="See attached", attachment_ids=[foreign.public_id]
            )
    assert "attachment_ids" in raised.value.fields
    with pytest.raises(Invalid) as empty:
        async with runtime.uow(admin) as uow:
            await thread_actions.reply(uow, code=karel.code, text="   ")
    assert "text" in empty.value.fields

    assert await count(db, MessageGroup, MessageGroup.ticket_id == karel.id) == 0
    assert await count(db, OutgoingMail) == 0
    assert (await ticket_of(db, karel.id)).status == "new"
    assert (await ticket_of(db, karel.id)).agent_reply_count == 0
    assert await count(db, HistoryEntry) == before


async def test_reply_to_a_closed_ticket_is_refused(
    db: Database, runtime: Runtime, personas: Personas
) -> None:
    karel = await ticket_of(db, personas.tickets["karel"])
    await set_status(runtime, karel.code, Status.RESOLVED, Status.CLOSED)
    lines = await count(db, MessageGroup, MessageGroup.ticket_id == karel.id)  # the "Resolved by" line
    with pytest.raises(Conflict) as raised:
        async with runtime.uow(await actor_for(db, personas.support_agent)) as uow:
            await thread_actions.reply(uow, code=karel.code, text="Too late?")
    assert "status" in raised.value.fields
    assert await count(db, MessageGroup, MessageGroup.ticket_id == karel.id) == lines
    assert await count(db, OutgoingMail) == 0


async def test_who_may_write(db: Database, runtime: Runtime, personas: Personas) -> None:
    """Rita reads Sales tickets (403 on writing) and does not see Support ones (404)."""
    rita = await actor_for(db, personas.sales_reader)
    eva = await ticket_of(db, personas.tickets["eva"])
    karel = await ticket_of(db, personas.tickets["karel"])
    with pytest.raises(Forbidden):
        async with runtime.uow(rita) as uow:
            await thread_actions.add_note(uow, code=eva.code, text="x")
    with pytest.raises(NotFound):
        async with runtime.uow(rita) as uow:
            await thread_actions.reply(uow, code=karel.code, text="x")
    async with db.read_session() as session:
        assert (await thread_queries.thread_page(session, rita, eva.code)).items == []
        with pytest.raises(NotFound):
            await thread_queries.thread_page(session, rita, karel.code)


# ---- notes and forwards ---------------------------------------------------------------------------


async def test_note_mails_nothing_and_keeps_the_status(
    db: Database, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    karel = await ticket_of(db, personas.tickets["karel"])
    async with runtime.uow(await actor_for(db, personas.support_supervisor)) as uow:
        await thread_actions.add_note(uow, code=karel.code, text="Volal jsem mu, čeká na technika.")
    ticket = await ticket_of(db, karel.id)
    assert ticket.status == "new"
    assert ticket.agent_reply_count == 0
    assert ticket.first_agent_reply_at is None
    assert ticket.last_activity_at == frozen_clock.now()
    assert await count(db, OutgoingMail) == 0
    group = (await rows(db, MessageGroup, MessageGroup.ticket_id == karel.id))[0]
    assert (group.kind, group.is_internal) == ("internal_note", True)


async def test_forward_sends_the_customers_message_with_its_files(
    db: Database, runtime: Runtime, personas: Personas
) -> None:
    karel = await ticket_of(db, personas.tickets["karel"])
    blob = await runtime.blobs.put_bytes(b"\x89PNG photo of the printer")
    await customer_writes(
        runtime,
        karel.code,
        "The printer shows error 49.",
        attachments=[
            NewAttachment(sha256=blob.sha256, size=blob.size, filename="photo.png", mime_type="image/png")
        ],
    )
    sara = await actor_for(db, personas.support_agent)
    async with runtime.uow(sara) as uow:
        group = await thread_actions.forward(
            uow, code=karel.code, to=["tech@service.test", "Boss@acme.test"], text="Can you have a look?"
        )
    mails = await rows(db, OutgoingMail, OutgoingMail.kind == "forward")
    assert sorted(mail.to_address for mail in mails) == ["boss@acme.test", "tech@service.test"]
    assert all("error 49" in mail.body_text and "Can you have a look?" in mail.body_text for mail in mails)
    assert (group.kind, group.is_internal) == ("forward", True)
    messages = await rows(db, Message, Message.group_id == group.id)
    assert [m.kind for m in sorted(messages, key=lambda m: m.position)] == ["text", "quoted", "file"]
    ticket = await ticket_of(db, karel.id)
    assert ticket.status == "new"
    assert ticket.agent_reply_count == 0

    with pytest.raises(Invalid) as raised:
        async with runtime.uow(sara) as uow:
            await thread_actions.forward(uow, code=karel.code, to=["x@y.test"], group_id="mg_doesnotexist")
    assert "group_id" in raised.value.fields


# ---- customers' messages --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "reopens"),
    [
        ((Status.RESOLVED,), 1),
        # An answered ticket reopening is the normal back and forth, not a reopening of a finished one.
        ((), 0),
    ],
)
async def test_customer_message_reopens(
    db: Database, runtime: Runtime, personas: Personas, path: tuple[Status, ...], reopens: int
) -> None:
    karel = await ticket_of(db, personas.tickets["karel"])
    async with runtime.uow(await actor_for(db, personas.support_agent)) as uow:
        await thread_actions.reply(uow, code=karel.code, text="Try turning it off and on.")
    await set_status(runtime, karel.code, *path)

    posted = await customer_writes(runtime, karel.code, "Still broken.", quoted="> Try turning it off")
    ticket = await ticket_of(db, karel.id)
    assert posted.ticket.id == karel.id
    assert not posted.follow_up
    assert ticket.status == "open"
    assert ticket.reopen_count == reopens
    assert ticket.customer_message_count == 1
    assert ticket.last_customer_message_at is not None
    assert posted.group.author_contact_id == personas.contacts["karel"]
    kinds = [m.kind for m in await rows(db, Message, Message.group_id == posted.group.id)]
    assert sorted(kinds) == ["quoted", "text"]


async def test_customer_message_wakes_a_postponed_ticket(
    db: Database, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    from datetime import timedelta

    karel = await ticket_of(db, personas.tickets["karel"])
    async with runtime.uow(MAIL) as uow:
        await status_actions.postpone_ticket(
            uow, code=karel.code, until=frozen_clock.now() + timedelta(days=3)
        )
    await customer_writes(runtime, karel.code, "Any news?")
    ticket = await ticket_of(db, karel.id)
    assert (ticket.status, ticket.postponed_until) == ("open", None)


async def test_customer_message_on_a_closed_ticket_starts_a_linked_one(
    db: Database, runtime: Runtime, personas: Personas
) -> None:
    karel = await ticket_of(db, personas.tickets["karel"])
    await set_status(runtime, karel.code, Status.RESOLVED, Status.CLOSED)
    closed = await ticket_of(db, karel.id)
    groups_before = await count(db, MessageGroup, MessageGroup.ticket_id == karel.id)

    posted = await customer_writes(
        runtime, karel.code, "It broke again.", email_message_id="<again@acme.test>"
    )
    assert posted.follow_up
    assert posted.ticket.id != karel.id
    new = await ticket_of(db, posted.ticket.id)
    assert (new.follow_up_of_id, new.status, new.contact_id, new.department_id) == (
        karel.id,
        "new",
        closed.contact_id,
        closed.department_id,
    )
    assert new.channel == "email"
    assert new.customer_message_count == 1
    assert posted.group.ticket_id == new.id
    old = await ticket_of(db, karel.id)
    assert (old.status, old.reopen_count, old.customer_message_count, old.updated_at) == (
        "closed",
        closed.reopen_count,
        closed.customer_message_count,
        closed.updated_at,
    )
    assert await count(db, MessageGroup, MessageGroup.ticket_id == karel.id) == groups_before

    # The same email delivered again is not recorded twice.
    again = await customer_writes(
        runtime, karel.code, "It broke again.", email_message_id="<again@acme.test>"
    )
    assert again.duplicate
    assert again.ticket.id == new.id
    assert await count(db, Ticket, Ticket.follow_up_of_id == karel.id) == 1
    assert await count(db, MessageGroup, MessageGroup.email_message_id == "<again@acme.test>") == 1


async def test_customer_message_with_form_fields_and_files(
    db: Database, runtime: Runtime, personas: Personas
) -> None:
    karel = await ticket_of(db, personas.tickets["karel"])
    blob = await runtime.blobs.put_bytes(b"<svg onload=alert(1)>")
    posted = await customer_writes(
        runtime,
        karel.code,
        "",
        html="<p>Hello<img src=x onerror=alert(1)></p>",
        kind=GroupKind.CHAT,
        form_fields={"Printer model": "LaserJet 4250"},
        attachments=[
            NewAttachment(sha256=blob.sha256, size=blob.size, filename="../../etc/logo.svg", mime_type="")
        ],
    )
    messages = await rows(db, Message, Message.group_id == posted.group.id)
    by_kind = {m.kind: m for m in messages}
    assert "onerror" not in by_kind["html"].body
    assert (by_kind["form_field"].field_name, by_kind["form_field"].body) == (
        "Printer model",
        "LaserJet 4250",
    )
    file = (await rows(db, Attachment, Attachment.id == by_kind["file"].attachment_id))[0]
    assert (file.filename, file.mime_type, file.sha256) == ("logo.svg", "image/svg+xml", blob.sha256)


async def test_system_line(
    db: Database, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    karel = await ticket_of(db, personas.tickets["karel"])
    async with runtime.uow(await actor_for(db, personas.support_supervisor)) as uow:
        group = await thread_actions.add_system_line(
            uow,
            ticket_id=karel.id,
            kind=GroupKind.TRANSFER,
            text="Transferred to Sales",
            line={"event": "transferred", "from": "Support", "to": "Sales"},
        )
    assert (group.kind, group.is_internal) == ("transfer", True)
    assert group.line == {"event": "transferred", "from": "Support", "to": "Sales"}
    messages = await rows(db, Message, Message.group_id == group.id)
    assert [(m.kind, m.body) for m in messages] == [("system", "Transferred to Sales")]
    assert (await ticket_of(db, karel.id)).last_activity_at == frozen_clock.now()


# ---- reading ----------------------------------------------------------------------------------------


async def test_thread_pages_oldest_first(
    db: Database, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    karel = await ticket_of(db, personas.tickets["karel"])
    for number in range(5):
        frozen_clock.advance(minutes=1)
        await customer_writes(runtime, karel.code, f"message {number}")
    admin = await actor_for(db, personas.admin)
    seen: list[str] = []
    cursor = None
    async with db.read_session() as session:
        while True:
            page = await thread_queries.thread_page(session, admin, karel.code, cursor=cursor, limit=2)
            seen += [group.messages[0].body for group in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
    assert seen == [f"message {number}" for number in range(5)]
