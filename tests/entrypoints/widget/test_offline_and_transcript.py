"""The widget's forms outside a running chat: the offline message (nobody is available: it becomes a new
ticket of the contact with that email) and the transcript mailed after a chat, in the visitor's
language. Real sockets against the served app; the ticket, its thread and the queued mail are read from
the database."""

from __future__ import annotations

from sqlalchemy import func, select

from linka.domains.contacts.models import Contact, ContactEmail
from linka.domains.mail.models import OutgoingMail
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.thread_models import Message, MessageGroup
from linka.entrypoints.runtime import Runtime
from tests.entrypoints.realtime.conftest import agent_socket
from tests.entrypoints.widget.chat_helpers import (
    chat_row,
    configure_button,
    set_online,
    visitor_socket,
)
from tests.entrypoints.widget.visitor_checks import visitor_row
from tests.personas import Personas
from tests.served_app import Served
from tests.served_app import served as served


async def tickets_of(runtime: Runtime, email: str) -> list[Ticket]:
    async with runtime.db.read_session() as session:
        found = await session.execute(
            select(Ticket)
            .join(ContactEmail, ContactEmail.contact_id == Ticket.contact_id)
            .where(ContactEmail.email == email)
            .order_by(Ticket.id)
        )
        return list(found.scalars())


async def thread_of(runtime: Runtime, ticket_id: int) -> list[tuple[str, str, str, str | None]]:
    """(group kind, message kind, body, field name) of the ticket's thread, in order."""
    async with runtime.db.read_session() as session:
        rows = await session.execute(
            select(MessageGroup.kind, Message.kind, Message.body, Message.field_name)
            .join(MessageGroup, MessageGroup.id == Message.group_id)
            .where(Message.ticket_id == ticket_id)
            .order_by(Message.group_id, Message.position, Message.id)
        )
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


async def ticket_count(runtime: Runtime) -> int:
    async with runtime.db.read_session() as session:
        return int((await session.execute(select(func.count()).select_from(Ticket))).scalar_one())


async def transcripts(runtime: Runtime) -> list[OutgoingMail]:
    async with runtime.db.read_session() as session:
        found = await session.execute(
            select(OutgoingMail).where(OutgoingMail.kind == "chat_transcript").order_by(OutgoingMail.id)
        )
        return list(found.scalars())


# ---- the offline form ------------------------------------------------------------------------------


async def test_an_offline_message_is_a_new_chat_ticket_of_the_contact_with_that_email(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    button = personas.support_chat_button.public_id
    async with visitor_socket(served, button, language="cs") as visitor:
        assert visitor.welcome["online"] is False
        assert visitor.welcome["config"]["offline_form"] is True
        await visitor.send(
            {
                "type": "offline",
                "fields": {"name": "Jana Veselá", "email": "  Jana.Vesela@Example.test "},
                "message": "Dobrý den,\nfaktura č. 2026-17 nesedí.",
            }
        )
        await visitor.next_of("offline_sent")
        # Someone we know: the message joins their contact.
        await visitor.send(
            {
                "type": "offline",
                "fields": {"email": "karel@acme.test"},
                "message": "Tiskárna zase nejde.",
            }
        )
        await visitor.next_of("offline_sent")

    (ticket,) = await tickets_of(runtime, "jana.vesela@example.test")
    assert (ticket.status, ticket.channel, ticket.department_id, ticket.language) == (
        "new",
        "chat",
        personas.departments["support"],
        "cs",
    )
    assert ticket.subject == "Dobrý den,"
    async with runtime.db.read_session() as session:
        contact = await session.get(Contact, ticket.contact_id)
        assert contact is not None
        assert contact.name == "Jana Veselá"
    thread = await thread_of(runtime, ticket.id)
    assert ("chat", "text", "Dobrý den,\nfaktura č. 2026-17 nesedí.", None) in [
        (g, k, b, f) for g, k, b, f in thread if k == "text"
    ]
    assert {(f, b) for _, k, b, f in thread if k == "form_field"} >= {
        ("Váš e-mail", "Jana.Vesela@Example.test")
    }

    karels = await tickets_of(runtime, "karel@acme.test")
    assert [t.contact_id for t in karels] == [personas.contacts["karel"]] * len(karels)
    newest = karels[-1]
    assert (newest.status, newest.channel) == ("new", "chat")
    assert "Tiskárna zase nejde." in [b for _, k, b, _ in await thread_of(runtime, newest.id)]
    stored = await visitor_row(runtime, visitor.welcome["visitor"])
    assert stored.contact_id == personas.contacts["karel"]


async def test_an_offline_message_without_an_email_or_text_is_refused_naming_the_field(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    before = await ticket_count(runtime)
    async with visitor_socket(served, personas.support_chat_button.public_id) as visitor:
        for fields, message, field in (
            ({"name": "Jana"}, "Call me", "fields.email"),
            ({"email": "not an address"}, "Call me", "fields.email"),
            ({"email": "jana@example.test"}, "   ", "message"),
            ({"email": "jana@example.test"}, None, "message"),
        ):
            await visitor.send({"type": "offline", "fields": fields, "message": message})
            refused = await visitor.next_of("error")
            assert (refused["code"], refused["field"]) == ("invalid", field), fields
        await visitor.send(
            {"type": "offline", "fields": {"email": "jana@example.test"}, "message": "x" * 5001}
        )
        assert (await visitor.next_of("error"))["code"] == "too_long"

        # A button asking nothing before a chat still needs an address to answer to.
        await configure_button(runtime, personas, prechat_fields=[])
        await visitor.send({"type": "offline", "fields": {}, "message": "Call me"})
        refused = await visitor.next_of("error")
        assert (refused["code"], refused["field"]) == ("invalid", "fields.email")

        await configure_button(runtime, personas, offline_form=False)
        await visitor.send({"type": "offline", "fields": {"email": "jana@example.test"}, "message": "Hi"})
        assert (await visitor.next_of("error"))["field"] == "offline"
        await visitor.nothing_of("offline_sent")
    assert await ticket_count(runtime) == before
    assert await tickets_of(runtime, "jana@example.test") == []


# ---- the transcript --------------------------------------------------------------------------------


async def test_the_transcript_is_queued_in_the_visitors_language_with_the_lines(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    sara = personas.support_agent
    await set_online(runtime, sara)
    async with (
        agent_socket(served, sara) as app,
        visitor_socket(served, personas.support_chat_button.public_id, language="cs") as visitor,
    ):
        chat = await visitor.start("Tiskárna hlásí chybu 49", name="Petra Malá")
        await app.next_of("chat_ring", chat=chat["id"])
        await app.send({"type": "chat_accept", "chat": chat["id"]})
        await visitor.next_state("active")
        await app.send({"type": "chat_send", "chat": chat["id"], "key": "a1", "text": "Zkuste ji vypnout 🔌"})
        await app.next_of("chat_ack", key="a1")
        await visitor.say("Pomohlo, díky!")
        await visitor.send({"type": "end"})
        await visitor.next_state("ended")

        await visitor.send({"type": "transcript", "email": "Petra.Mala@Example.test"})
        await visitor.next_of("transcript_sent")

    stored = await chat_row(runtime, chat["id"])
    assert stored.transcript_to == "petra.mala@example.test"
    (mail,) = await transcripts(runtime)
    assert (mail.to_address, mail.to_name, mail.language, mail.delivery_status) == (
        "petra.mala@example.test",
        "Petra Malá",
        "cs",
        "queued",
    )
    async with runtime.db.read_session() as session:
        code = (await session.execute(select(Ticket.code).where(Ticket.id == stored.ticket_id))).scalar_one()
    assert code in mail.subject
    assert "Váš chat" in mail.subject
    body = mail.body_text
    assert "Dobrý den, Petra Malá," in body
    assert "Petra Malá: Tiskárna hlásí chybu 49" in body
    assert f"{sara.name}: Zkuste ji vypnout 🔌" in body
    assert "Petra Malá: Pomohlo, díky!" in body
    assert body.index("chybu 49") < body.index("vypnout") < body.index("Pomohlo")
    # The pre-chat answers are not lines of the conversation; system lines read in Czech too.
    assert "Váš e-mail" not in body
    assert "joined the chat" not in body
    assert "Chat ended by" not in body
    assert f"—: {sara.name} je teď v chatu." in body
    assert "—: Chat byl ukončen." in body


async def test_a_transcript_to_a_bad_address_or_without_a_chat_is_refused(
    served: Served, runtime: Runtime, personas: Personas
) -> None:
    async with visitor_socket(served, personas.support_chat_button.public_id) as visitor:
        await visitor.send({"type": "transcript", "email": "petra@example.test"})
        assert (await visitor.next_of("error"))["code"] == "no_chat"
        await visitor.start("Hello")
        for wrong in (
            "not-an-email",
            "",
            None,
            42,
            "petra@",
            "a b@example.test",
            "x" * 250 + "@example.test",
        ):
            await visitor.send({"type": "transcript", "email": wrong})
            refused = await visitor.next_of("error")
            assert (refused["code"], refused["field"]) == ("invalid", "email"), wrong
        await visitor.nothing_of("transcript_sent")
    assert await transcripts(runtime) == []
