"""The reply editor of the ticket page: replies go out as queued mail threaded to the customer's email,
notes are never mailed, forwards go to the addresses given, drafts are kept on the server and dropped
when sent, files attach, and a message written meanwhile stops the send with a warning."""

from __future__ import annotations

from linka.domains.mail.intake import take_in_mail
from linka.domains.mail.models import OutgoingMail
from linka.domains.tickets import actions, thread_actions
from linka.domains.tickets.draft_models import TicketDraft
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.thread_models import Message, MessageGroup
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient
from tests.entrypoints.web.ticket_helpers import actor_of, customer_writes, rows
from tests.entrypoints.web.web_helpers import csrf_token, htmx_post, post_form, sign_in, text_of
from tests.mail_helpers import add_mailbox, build_mail
from tests.personas import Personas
from tests.query_counter import counting_statements


async def test_a_reply_goes_out_as_mail_threaded_to_the_customers_email(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    asked = await customer_writes(runtime, code, "Tiskárna nefunguje.", message_id="<m1@customer.test>")
    await sign_in(client, personas.support_agent)

    response = await post_form(
        client,
        f"/tickets/{code}/send",
        {
            "mode": "reply",
            "to": "karel@acme.test",
            "cc": "",
            "subject": "Tiskárna nefunguje",
            "text": "Dobrý den,\nzkuste ji restartovat.\n\nS pozdravem <Sára>",
            "seen": asked.public_id,
        },
    )

    assert response.status_code == 303, text_of(response.text)[:500]
    assert response.headers["location"] == f"/tickets/{code}"
    [mail] = await rows(runtime, OutgoingMail, OutgoingMail.ticket_id == personas.tickets["karel"])
    assert (mail.kind, mail.to_address, mail.delivery_status) == ("reply", "karel@acme.test", "queued")
    assert mail.in_reply_to == "<m1@customer.test>"
    assert mail.references == ["<m1@customer.test>"]
    assert mail.body_html == "<p>Dobrý den,<br>zkuste ji restartovat.</p><p>S pozdravem &lt;Sára&gt;</p>"
    assert "zkuste ji restartovat." in mail.body_text
    [ticket] = await rows(runtime, Ticket, Ticket.code == code)
    assert ticket.status == "answered"
    groups = await rows(runtime, MessageGroup, MessageGroup.ticket_id == ticket.id, order_by=MessageGroup.id)
    assert [g.kind for g in groups] == ["incoming_email", "outgoing_email"]
    assert groups[1].email_message_id == mail.message_id


async def test_reply_all_copies_the_tickets_cc_and_the_page_prefills_them(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    async with runtime.uow(await actor_of(runtime, personas.admin)) as uow:
        await actions.update_ticket(uow, code=code, cc_contact_ids=[personas.contacts["petr"]])
    await sign_in(client, personas.support_agent)

    editor = await htmx_post(
        client,
        f"/tickets/{code}/editor",
        {"switch_mode": "reply_all", "mode": "reply", "to": "karel@acme.test"},
    )
    assert editor.status_code == 200
    assert 'value="petr@example.cz"' in editor.text
    assert 'name="mode" value="reply_all"' in editor.text

    sent = await post_form(
        client,
        f"/tickets/{code}/send",
        {
            "mode": "reply_all",
            "to": "karel@acme.test",
            "cc": "petr@example.cz",
            "text": "Hotovo.",
            "seen": "",
        },
    )
    assert sent.status_code == 303
    [mail] = await rows(runtime, OutgoingMail, OutgoingMail.ticket_id == personas.tickets["karel"])
    assert mail.cc_addresses == ["petr@example.cz"]


async def test_a_note_is_never_mailed(client: AppClient, runtime: Runtime, personas: Personas) -> None:
    code = personas.ticket_codes["karel"]
    await sign_in(client, personas.support_agent)

    response = await htmx_post(
        client, f"/tickets/{code}/send", {"mode": "note", "text": "Volal jsem mu.", "seen": ""}
    )

    assert response.status_code == 200
    assert response.headers["hx-trigger"] == "linka:this-ticket"
    assert 'id="editor"' in response.text
    assert "Volal jsem mu." not in response.text
    assert await rows(runtime, OutgoingMail, OutgoingMail.ticket_id == personas.tickets["karel"]) == []
    [group] = await rows(runtime, MessageGroup, MessageGroup.ticket_id == personas.tickets["karel"])
    assert (group.kind, group.is_internal) == ("internal_note", True)
    [ticket] = await rows(runtime, Ticket, Ticket.code == code)
    assert ticket.status == "new"


async def test_a_forward_mails_the_latest_message_to_each_address(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    asked = await customer_writes(runtime, code, "Model HP 4250, chyba 49.")
    await sign_in(client, personas.support_agent)

    response = await post_form(
        client,
        f"/tickets/{code}/send",
        {
            "mode": "forward",
            "to": "servis@printers.test, druhy@printers.test",
            "text": "Prosím o opravu.",
            "seen": asked.public_id,
        },
    )

    assert response.status_code == 303
    mails = await rows(
        runtime, OutgoingMail, OutgoingMail.ticket_id == personas.tickets["karel"], order_by=OutgoingMail.id
    )
    assert [(m.kind, m.to_address) for m in mails] == [
        ("forward", "servis@printers.test"),
        ("forward", "druhy@printers.test"),
    ]
    assert "Model HP 4250, chyba 49." in mails[0].body_text
    assert "Prosím o opravu." in mails[0].body_text


async def test_a_bad_address_is_shown_next_to_the_field_and_nothing_is_sent(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    await sign_in(client, personas.support_agent)

    response = await htmx_post(
        client, f"/tickets/{code}/send", {"mode": "reply", "to": "not-an-address", "text": "Ahoj", "seen": ""}
    )

    assert response.status_code == 422
    assert "není e-mailová adresa" in text_of(response.text)
    assert "Ahoj" in response.text  # what was written stays in the editor
    assert await rows(runtime, OutgoingMail, OutgoingMail.ticket_id == personas.tickets["karel"]) == []


async def test_drafts_are_restored_and_dropped_when_sent(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    await sign_in(client, personas.support_agent)

    saved = await htmx_post(
        client, f"/tickets/{code}/draft", {"mode": "note", "text": "Rozepsaná <poznámka>", "seen": ""}
    )
    assert saved.status_code == 200
    assert "Koncept uložen" in saved.text  # Sára reads Czech
    [draft] = await rows(runtime, TicketDraft, TicketDraft.ticket_id == personas.tickets["karel"])
    assert (draft.kind, draft.body_html) == ("note", "<p>Rozepsaná &lt;poznámka&gt;</p>")

    # Coming back to the ticket, the draft is in the editor, in its mode.
    page = await client.get(f"/tickets/{code}")
    assert page.status_code == 200
    assert "Rozepsaná &lt;poznámka&gt;</textarea>" in page.text
    assert 'name="mode" value="note"' in page.text

    sent = await htmx_post(
        client, f"/tickets/{code}/send", {"mode": "note", "text": "Rozepsaná <poznámka>", "seen": ""}
    )
    assert sent.status_code == 200
    assert await rows(runtime, TicketDraft, TicketDraft.ticket_id == personas.tickets["karel"]) == []


async def test_a_draft_is_discarded_and_an_emptied_editor_drops_it(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    await sign_in(client, personas.support_agent)
    await htmx_post(
        client, f"/tickets/{code}/draft", {"mode": "reply", "to": "karel@acme.test", "text": "Koncept"}
    )
    assert len(await rows(runtime, TicketDraft)) == 1

    discarded = await htmx_post(client, f"/tickets/{code}/draft/discard", {})
    assert discarded.status_code == 200
    assert "Koncept" not in discarded.text
    assert await rows(runtime, TicketDraft) == []

    await htmx_post(
        client, f"/tickets/{code}/draft", {"mode": "reply", "to": "karel@acme.test", "text": "Znovu"}
    )
    await htmx_post(
        client, f"/tickets/{code}/draft", {"mode": "reply", "to": "karel@acme.test", "text": "  "}
    )
    assert await rows(runtime, TicketDraft) == []


async def test_a_message_written_meanwhile_stops_the_send_until_sent_anyway(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    first = await customer_writes(runtime, code, "Tiskárna nefunguje.")
    await sign_in(client, personas.support_agent)
    # While Sára writes, the customer adds something.
    await customer_writes(runtime, code, "Už jsem ji restartoval, nepomohlo to.")
    form = {
        "mode": "reply",
        "to": "karel@acme.test",
        "text": "Zkuste ji restartovat.",
        "seen": first.public_id,
    }

    stopped = await htmx_post(client, f"/tickets/{code}/send", form)

    assert stopped.status_code == 409
    seen = text_of(stopped.text)
    assert "Karel Novák mezitím napsal(a)" in seen  # "… wrote while you were writing"
    assert "Už jsem ji restartoval, nepomohlo to." in seen
    assert "Přesto odeslat" in seen
    assert "Zkuste ji restartovat." in stopped.text
    assert await rows(runtime, OutgoingMail, OutgoingMail.ticket_id == personas.tickets["karel"]) == []
    newest = (
        await rows(
            runtime,
            MessageGroup,
            MessageGroup.ticket_id == personas.tickets["karel"],
            order_by=MessageGroup.id,
        )
    )[-1]
    assert f'name="seen" value="{newest.public_id}"' in stopped.text

    anyway = await htmx_post(client, f"/tickets/{code}/send", {**form, "seen": newest.public_id})
    assert anyway.status_code == 200
    assert len(await rows(runtime, OutgoingMail, OutgoingMail.ticket_id == personas.tickets["karel"])) == 1


async def test_a_colleagues_note_meanwhile_warns_but_ones_own_does_not(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    first = await customer_writes(runtime, code, "Dotaz.")
    async with runtime.uow(await actor_of(runtime, personas.support_agent)) as uow:
        await thread_actions.add_note(uow, code=code, text="Moje vlastní poznámka.")
    await sign_in(client, personas.support_agent)
    own = await htmx_post(
        client, f"/tickets/{code}/send", {"mode": "note", "text": "Další.", "seen": first.public_id}
    )
    assert own.status_code == 200

    async with runtime.uow(await actor_of(runtime, personas.support_supervisor)) as uow:
        await thread_actions.add_note(uow, code=code, text="Pozor, VIP zákazník.")
    newest_seen = (
        await rows(
            runtime,
            MessageGroup,
            MessageGroup.ticket_id == personas.tickets["karel"],
            order_by=MessageGroup.id,
        )
    )[-2]
    warned = await htmx_post(
        client, f"/tickets/{code}/send", {"mode": "note", "text": "Ještě.", "seen": newest_seen.public_id}
    )
    assert warned.status_code == 409
    assert "Viktor Dvořák mezitím přidal(a) poznámku" in text_of(warned.text)


async def test_a_file_uploaded_in_the_editor_goes_with_the_reply(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    await sign_in(client, personas.support_agent)
    token = await csrf_token(client)

    uploaded = await client.post(
        f"/tickets/{code}/attachments",
        files={"file": ("návod.pdf", b"%PDF-1.4 tiny", "application/pdf")},
        data={"_csrf_token": token},
        headers={"hx-request": "true"},
    )

    assert uploaded.status_code == 200, uploaded.text[:500]
    assert "návod.pdf" in uploaded.text
    [draft] = await rows(runtime, TicketDraft)
    [attachment_id] = draft.attachment_ids
    assert f'value="{attachment_id}"' in uploaded.text

    sent = await post_form(
        client,
        f"/tickets/{code}/send",
        {
            "mode": "reply",
            "to": "karel@acme.test",
            "text": "Posílám návod.",
            "seen": "",
            "attachment_ids": attachment_id,
        },
    )
    assert sent.status_code == 303
    [group] = await rows(runtime, MessageGroup, MessageGroup.ticket_id == personas.tickets["karel"])
    files = await rows(runtime, Message, Message.group_id == group.id, Message.kind == "file")
    assert [m.body for m in files] == ["návod.pdf"]
    assert await rows(runtime, TicketDraft) == []


async def test_without_javascript_a_refused_send_shows_the_whole_page(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    first = await customer_writes(runtime, code, "První.")
    await customer_writes(runtime, code, "Druhá.")
    await sign_in(client, personas.support_agent)

    response = await post_form(
        client, f"/tickets/{code}/send", {"mode": "note", "text": "Moje poznámka", "seen": first.public_id}
    )

    assert response.status_code == 409
    assert f'data-ticket-code="{code}"' in response.text
    assert "Moje poznámka</textarea>" in response.text
    assert "Karel Novák mezitím napsal(a)" in text_of(response.text)


async def test_without_javascript_switching_mode_keeps_the_text_in_the_draft(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    await sign_in(client, personas.support_agent)

    response = await post_form(
        client,
        f"/tickets/{code}/editor",
        {"switch_mode": "note", "mode": "reply", "to": "karel@acme.test", "text": "Rozepsáno"},
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/tickets/{code}?mode=note#editor"
    [draft] = await rows(runtime, TicketDraft)
    assert (draft.kind, draft.body_html) == ("note", "<p>Rozepsáno</p>")
    page = await client.get(response.headers["location"])
    assert "Rozepsáno</textarea>" in page.text
    assert 'name="mode" value="note"' in page.text


# Sending a reply from the editor (htmx, as the browser does): session, agent and departments; the ticket
# and may-work check, the group the agent saw and what was written since; the reply action (the ticket
# and check again, the recipient's contact and emails, group, ticket touched, text and HTML messages,
# history, email thread, mailbox, queued mail and its two history rows, reply metrics, Message-ID, draft
# dropped); the search document; the editor rendered again (ticket, visibility, the ticket's shape,
# drafts, newest group, drafts, canned answers). PostgreSQL batches the two messages and the two history
# rows of one flush (2 statements fewer).
EDITOR_REPLY_STATEMENTS = {"sqlite": 3 + 4 + 17 + 5 + 10, "postgresql": 3 + 4 + 17 + 5 + 10 - 2}


async def test_sending_a_reply_from_the_editor_costs_a_fixed_number_of_statements(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await add_mailbox(runtime, personas)
    raw = build_mail(sender="Karel Novák <karel@acme.test>", subject="Tiskárna nefunguje")
    code = (await take_in_mail(runtime, raw, source="smtp", recipients=["support@linka.test"])).ticket_code
    [ticket] = await rows(runtime, Ticket, Ticket.code == code)
    [asked] = await rows(runtime, MessageGroup, MessageGroup.ticket_id == ticket.id)
    await sign_in(client, personas.support_agent)
    assert (await client.get(f"/tickets/{code}")).status_code == 200
    form = {
        "mode": "reply",
        "to": "karel@acme.test",
        "cc": "",
        "subject": "Tiskárna nefunguje",
        "text": "Dobrý den,\nzkuste ji restartovat.",
        "seen": asked.public_id,
    }

    with counting_statements(runtime.db) as seen:
        response = await htmx_post(client, f"/tickets/{code}/send", form)

    assert response.status_code == 200, text_of(response.text)[:500]
    [mail] = await rows(runtime, OutgoingMail, OutgoingMail.kind == "reply")
    assert (mail.ticket_id, mail.to_address) == (ticket.id, "karel@acme.test")
    assert seen.count == EDITOR_REPLY_STATEMENTS[runtime.db.dialect], "\n".join(seen.sql)
