"""The ticket page: thread, editor and side panel render for an agent who may see the ticket, in a fixed
number of queries; every URL of a ticket answers 404 to an agent who may not see it."""

from __future__ import annotations

from sqlalchemy import select

from linka.core.permissions import Origin, system_actor
from linka.domains.mail.htmlbody import sanitise_mail_html
from linka.domains.tickets import actions, thread_actions
from linka.domains.tickets.models import Ticket, TicketRead
from linka.domains.tickets.thread_models import Attachment
from linka.domains.tickets.thread_schemas import NewAttachment
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient
from tests.entrypoints.web.ticket_helpers import actor_of, customer_writes, rows
from tests.entrypoints.web.web_helpers import post_form, sign_in, text_of
from tests.personas import Personas
from tests.query_counter import counting_statements

# Statements of one page view: session and actor, ticket, panel, thread, editor, the read mark.
PAGE_STATEMENTS = 35


async def test_the_page_shows_thread_editor_and_panel(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    await customer_writes(runtime, code, "Tiskárna nefunguje, pomozte prosím.")
    async with runtime.uow(await actor_of(runtime, personas.support_agent)) as uow:
        await thread_actions.add_note(uow, code=code, text="Checking the printer driver.")
    await sign_in(client, personas.support_agent)

    response = await client.get(f"/tickets/{code}")

    assert response.status_code == 200, response.text[:2000]
    html = response.text
    assert f'data-ticket-code="{code}"' in html
    assert 'id="presence"' in html
    assert f'data-ticket="{code}"' in html
    assert f'hx-get="/tickets/{code}/thread"' in html
    assert 'data-shortcut="reply"' in html
    assert 'data-shortcut="note"' in html
    assert 'data-shortcut="resolve"' in html
    assert "data-send-shortcut" in html
    seen = text_of(html)
    assert "Tiskárna nefunguje, pomozte prosím." in seen
    assert "Checking the printer driver." in seen
    assert "Karel Novák" in seen
    assert "karel@acme.test" in seen
    async with runtime.db.read_session() as session:
        reads = (await session.execute(select(TicketRead.agent_id))).scalars().all()
    assert personas.support_agent.id in reads


async def _page_statements(client: AppClient, runtime: Runtime, code: str) -> int:
    with counting_statements(runtime.db) as seen:
        response = await client.get(f"/tickets/{code}")
    assert response.status_code == 200
    return seen.count


async def test_the_page_loads_in_the_same_number_of_queries_whatever_the_thread(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    short = personas.ticket_codes["karel"]
    sara = await actor_of(runtime, personas.support_agent)
    admin = await actor_of(runtime, personas.admin)
    async with runtime.uow(admin) as uow:  # the same contact and department: only the thread differs
        long = (
            await actions.create_ticket(
                uow,
                subject="Druhý dotaz",
                contact_id=personas.contacts["karel"],
                department_id=personas.departments["support"],
            )
        ).code
    for number in range(3):
        await customer_writes(runtime, short, f"Zpráva {number}")
    for number in range(20):
        await customer_writes(runtime, long, f"Zpráva {number}")
        if number % 5 == 0:
            async with runtime.uow(admin) as uow:
                await thread_actions.add_note(uow, code=long, text=f"Poznámka {number}")
    async with runtime.uow(sara) as uow:
        await thread_actions.add_note(uow, code=short, text="Poznámka")
    await sign_in(client, personas.admin)
    await client.get(f"/tickets/{short}")  # the first view writes the read mark; count the next ones

    await client.get(f"/tickets/{long}")
    few = await _page_statements(client, runtime, short)
    many = await _page_statements(client, runtime, long)

    assert few == many
    assert few == PAGE_STATEMENTS


async def test_an_agent_of_another_department_finds_nothing_there(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]  # a Support ticket
    group = await customer_writes(runtime, code, "Tiskárna nefunguje.")
    await sign_in(client, personas.sales_agent)

    for path in (
        f"/tickets/{code}",
        f"/tickets/{code}/thread",
        f"/tickets/{code}/panel",
        f"/tickets/{code}/history",
        f"/tickets/{code}/thread/{group.public_id}",
        f"/tickets/{code}/answers?q=x",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
    for path, form in (
        (f"/tickets/{code}/send", {"mode": "note", "text": "x"}),
        (f"/tickets/{code}/draft", {"mode": "note", "text": "x"}),
        (f"/tickets/{code}/editor", {"switch_mode": "note"}),
        (f"/tickets/{code}/status", {"status": "resolved"}),
        (f"/tickets/{code}/resolve", {}),
        (f"/tickets/{code}/priority", {"priority": "high"}),
        (f"/tickets/{code}/assign", {"agent": "me"}),
        (f"/tickets/{code}/postpone", {"until": "2030-01-01T09:00"}),
        (f"/tickets/{code}/merge", {"other": personas.ticket_codes["eva"]}),
        (f"/tickets/{code}/split", {"group": group.public_id}),
    ):
        response = await post_form(client, path, form, headers={"hx-request": "true"})
        assert response.status_code == 404, path
    [ticket] = await rows(runtime, Ticket, Ticket.code == code)
    assert ticket.status == "new"
    assert ticket.priority == 1


async def test_mail_html_is_shown_without_scripts_and_remote_images_wait_for_a_click(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    raw_html = (
        '<html><body><p onclick="steal()">Dobrý den, <b>tiskárna</b> hlásí chybu.</p>'
        "<script>alert('x')</script>"
        '<img src="https://tracker.example/logo.png" width="120" alt="Logo">'
        "</body></html>"
    )
    group = await customer_writes(
        runtime,
        code,
        "Dobrý den, tiskárna hlásí chybu.",
        html=sanitise_mail_html(raw_html),
        quoted="> Původní zpráva\n-- \nKarel Novák, Acme",
    )
    await sign_in(client, personas.support_agent)

    thread = await client.get(f"/tickets/{code}/thread")

    assert thread.status_code == 200
    html = thread.text
    assert "<b>tiskárna</b>" in html
    assert "<script" not in html
    assert "alert(" not in html
    assert "onclick" not in html
    assert ' src="https://tracker.example/logo.png"' not in html
    assert 'data-remote-src="https://tracker.example/logo.png"' in html
    assert "Zobrazit obrázky" in text_of(html)  # Sára reads Czech
    assert "<details" in html
    assert "Původní zpráva" in html

    shown = await client.get(f"/tickets/{code}/thread/{group.public_id}", headers={"hx-request": "true"})
    assert shown.status_code == 200
    assert 'src="https://tracker.example/logo.png"' in shown.text
    assert "<script" not in shown.text
    assert "Zobrazit obrázky" not in text_of(shown.text)


async def test_inline_images_point_at_their_attachment(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    image = NewAttachment(
        sha256=(await runtime.blobs.put_bytes(b"\x89PNG fake")).sha256,
        size=9,
        filename="chyba.png",
        mime_type="image/png",
        content_id="chyba@acme",
    )
    async with runtime.uow(system_actor(Origin.MAIL)) as uow:
        await thread_actions.add_customer_message(
            uow,
            code=code,
            text="Viz obrázek.",
            html='<p>Viz:</p><img src="cid:chyba@acme">',
            attachments=[image],
            email_message_id="<img@customer.test>",
        )
    [attachment] = await rows(runtime, Attachment, Attachment.filename == "chyba.png")
    await sign_in(client, personas.support_agent)

    thread = await client.get(f"/tickets/{code}/thread")

    assert f'<img src="/api/v1/attachments/{attachment.public_id}">' in thread.text


async def test_the_history_tab_names_what_happened(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    await sign_in(client, personas.support_agent)
    await post_form(client, f"/tickets/{code}/priority", {"priority": "urgent"})
    await post_form(client, f"/tickets/{code}/send", {"mode": "note", "text": "Hotovo", "seen": ""})

    response = await client.get(f"/tickets/{code}/history", headers={"hx-request": "true"})

    assert response.status_code == 200
    seen = text_of(response.text)
    assert "Přidána zpráva" in seen
    assert "Změněn" in seen
    assert "Vytvořen" in seen
    assert "Sára Nováková" in seen
    full = await client.get(f"/tickets/{code}/history")
    assert full.status_code == 200
    assert "Zpět na tiket" in text_of(full.text)
