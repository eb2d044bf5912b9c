"""Answers in the agent app: canned messages offered for `/shortcut` with the ticket's variables filled
in, predefined answers applied to the reply, and the /answers pages with the scopes each agent may use."""

from __future__ import annotations

from linka.domains.answers import actions as answer_actions
from linka.domains.answers.models import Answer
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient
from tests.entrypoints.web.ticket_helpers import actor_of, rows
from tests.entrypoints.web.web_helpers import htmx_post, post_form, sign_in, text_of
from tests.personas import Personas


async def _answer(runtime: Runtime, personas: Personas, **fields: object) -> Answer:
    async with runtime.uow(await actor_of(runtime, personas.admin)) as uow:
        return await answer_actions.create_answer(uow, **fields)  # type: ignore[arg-type]


async def test_a_shortcut_offers_the_canned_message_filled_in_for_the_ticket(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await _answer(
        runtime,
        personas,
        kind="canned",
        name="Poděkování",
        shortcut="thanks",
        body_html="<p>Děkujeme, {contact.first_name}! Tiket {ticket.code} řeší {agent.name}.</p>",
        scope="global",
    )
    await _answer(
        runtime,
        personas,
        kind="canned",
        name="Ahoj",
        shortcut="hello",
        body_html="<p>Ahoj</p>",
        scope="global",
    )
    code = personas.ticket_codes["karel"]
    await sign_in(client, personas.support_agent)

    response = await client.get(
        f"/tickets/{code}/answers", params={"q": "/thanks"}, headers={"hx-request": "true"}
    )

    assert response.status_code == 200
    expected = f"Děkujeme, Karel! Tiket {code} řeší Sára Nováková."
    assert f'data-answer-text="{expected}"' in response.text
    assert "/thanks" in text_of(response.text)
    assert "Ahoj" not in text_of(response.text)
    nothing = await client.get(f"/tickets/{code}/answers", params={"q": "zzz"})
    assert "Žádná rychlá odpověď neodpovídá." in text_of(nothing.text)


async def test_a_predefined_answer_fills_the_reply_and_its_subject(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    answer = await _answer(
        runtime,
        personas,
        kind="predefined",
        name="Reklamace",
        subject="Reklamace {ticket.code}",
        body_html="<p>Dobrý den {contact.name},</p><p>reklamaci přijímáme.</p>",
        scope="global",
    )
    code = personas.ticket_codes["karel"]
    await sign_in(client, personas.support_agent)

    response = await htmx_post(
        client,
        f"/tickets/{code}/answers/apply",
        {"answer": answer.public_id, "mode": "reply", "to": "karel@acme.test", "text": "Úvod.", "seen": ""},
    )

    assert response.status_code == 200
    assert "Úvod.\n\nDobrý den Karel Novák,\n\nreklamaci přijímáme.</textarea>" in response.text
    assert f'value="Reklamace {code}"' in response.text


async def test_the_answers_page_lists_what_an_agent_may_use(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await _answer(
        runtime,
        personas,
        kind="canned",
        name="Global thanks",
        shortcut="gthanks",
        body_html="<p>x</p>",
        scope="global",
    )
    await _answer(
        runtime,
        personas,
        kind="canned",
        name="Sales only",
        shortcut="sales",
        body_html="<p>x</p>",
        scope="department",
        department_id=personas.departments["sales"],
    )
    await sign_in(client, personas.support_agent)

    page = await client.get("/answers")

    assert page.status_code == 200
    seen = text_of(page.text)
    assert "Global thanks" in seen
    assert "Sales only" not in seen
    form = await client.get("/answers/new")
    assert '<option value="personal"' in form.text
    assert '<option value="global"' not in form.text
    assert personas.department_public_ids["support"] not in form.text  # Sára supervises no department


async def test_an_agent_creates_edits_and_deletes_a_personal_canned_message(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.support_agent)

    created = await post_form(
        client,
        "/answers",
        {
            "kind": "canned",
            "scope": "personal",
            "name": "Moje díky",
            "shortcut": "/Diky",
            "body": "Díky, {contact.first_name}!",
            "language": "cs",
        },
    )
    assert created.status_code == 303
    [answer] = await rows(runtime, Answer)
    assert (answer.shortcut, answer.scope, answer.owner_agent_id, answer.body_html) == (
        "diky",
        "personal",
        personas.support_agent.id,
        "<p>Díky, {contact.first_name}!</p>",
    )

    clash = await post_form(
        client,
        "/answers",
        {"kind": "canned", "scope": "personal", "name": "Znovu", "shortcut": "diky", "body": "x"},
    )
    assert clash.status_code == 409
    assert "/diky se v tomto rozsahu už používá" in text_of(clash.text)

    edited = await post_form(
        client, f"/answers/{answer.public_id}", {"name": "Díky", "shortcut": "diky", "body": "Díky moc!"}
    )
    assert edited.status_code == 303
    [answer] = await rows(runtime, Answer)
    assert (answer.name, answer.body_html) == ("Díky", "<p>Díky moc!</p>")

    refused = await post_form(
        client, "/answers", {"kind": "canned", "scope": "global", "name": "G", "shortcut": "g", "body": "x"}
    )
    assert refused.status_code == 403

    deleted = await post_form(client, f"/answers/{answer.public_id}/delete")
    assert deleted.status_code == 303
    assert await rows(runtime, Answer) == []


async def test_a_supervisor_shares_an_answer_with_the_department(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.support_supervisor)
    form = await client.get("/answers/new?kind=predefined")
    assert personas.department_public_ids["support"] in form.text
    assert personas.department_public_ids["sales"] not in form.text

    created = await post_form(
        client,
        "/answers",
        {
            "kind": "predefined",
            "scope": "department",
            "department": personas.department_public_ids["support"],
            "name": "Reklamace",
            "subject": "Reklamace",
            "body": "Reklamaci přijímáme.",
        },
    )

    assert created.status_code == 303
    [answer] = await rows(runtime, Answer)
    assert (answer.scope, answer.department_id) == ("department", personas.departments["support"])
