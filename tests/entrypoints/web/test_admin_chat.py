"""Admin pages of chat buttons: the list (a constant number of queries), adding a button with the
embed snippet and preview link, changing routing, priorities, the pre-chat form and the look, refusals
shown at the field, deleting, invitation rules (add, change, order, delete), and who may see any of it."""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy import select

from linka.core.permissions import BaseRole, Origin, system_actor
from linka.domains.accounts import actions as accounts
from linka.domains.chat import button_actions
from linka.domains.chat.models import ChatButton, InvitationRule
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient
from tests.domains.chat.button_helpers import insert_chat
from tests.entrypoints.web.admin_helpers import agent_with_permissions, visible
from tests.entrypoints.web.web_helpers import post_form, sign_in
from tests.personas import PASSWORD, Person, Personas
from tests.query_counter import counting_statements

ADMIN = system_actor(Origin.CLI)


def button_form(personas: Personas, **extra: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "name": "Web shop",
        "department_id": personas.department_public_ids["support"],
        "enabled": "on",
        "allowed_origins": "https://Shop.Example/\nhttp://localhost:8080",
        "offline_form": "on",
        "routing_method": "average",
        "ring_seconds": "30",
        "max_chats_per_agent": "3",
        "inactivity_minutes": "15",
        "breathing_seconds": "0",
        "missed_after_seconds": "180",
        "prefer_previous_agent": "on",
        "end_status": "answered",
        "appearance.colour": "#0b5cad",
        "appearance.position": "right",
        "pf0_key": "name",
        "pf0_kind": "text",
        "pf0_label_en": "Your name",
        "pf1_key": "email",
        "pf1_kind": "email",
        "pf1_required": "on",
        "pf1_label_en": "Your email",
        "pf1_label_cs": "Váš e-mail",
        "text_en_title": "Chat with us",
        "text_cs_title": "",
    }
    form.update(extra)
    return {key: value for key, value in form.items() if value is not None}


async def buttons(runtime: Runtime) -> list[ChatButton]:
    async with runtime.db.read_session() as session:
        return list((await session.execute(select(ChatButton).order_by(ChatButton.id))).scalars())


async def rules(runtime: Runtime, button_id: int) -> list[InvitationRule]:
    async with runtime.db.read_session() as session:
        query = select(InvitationRule).where(InvitationRule.button_id == button_id)
        return list((await session.execute(query.order_by(InvitationRule.position))).scalars())


async def test_adding_a_button_shows_the_snippet_and_the_preview_link(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    form = await client.get("/admin/chat-buttons/new")
    assert form.status_code == 200
    assert "Average utilisation — The agent with the fewest running chats." in visible(form.text)
    assert 'value="Váš e-mail"' in form.text  # the default pre-chat form, ready to change

    created = await post_form(client, "/admin/chat-buttons", button_form(personas))
    assert created.status_code == 303, created.text[:2000]
    button = (await buttons(runtime))[-1]
    assert created.headers["location"] == f"/admin/chat-buttons/{button.public_id}?done=created"
    assert button.allowed_origins == ["https://shop.example", "http://localhost:8080"]
    assert button.file_uploads is False  # not ticked
    assert [(f["key"], f["required"], f["label"]) for f in button.prechat_fields] == [
        ("name", False, {"en": "Your name"}),
        ("email", True, {"en": "Your email", "cs": "Váš e-mail"}),
    ]
    assert button.appearance["texts"]["cs"]["title"] == "Napište nám"  # empty: the built-in text

    page = await client.get(created.headers["location"])
    snippet = (
        f'<script src="{runtime.settings.base_url}/static/widget/linka-chat.js" '
        f'data-linka-button="{button.public_id}" async></script>'
    )
    assert snippet in html.unescape(page.text.split('id="f-snippet"', 1)[1].split("</textarea>", 1)[0])
    assert f'href="/widget/preview/{button.public_id}"' in page.text
    assert "Created." in visible(page.text)
    # priorities: one field per member of Support
    assert f'name="priority_{personas.support_agent.public_id}"' in page.text
    assert f'name="priority_{personas.support_supervisor.public_id}"' in page.text
    assert f'name="priority_{personas.sales_agent.public_id}"' not in page.text


async def test_changing_routing_priorities_and_the_prechat_form(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    button = personas.support_chat_button
    saved = await post_form(
        client,
        f"/admin/chat-buttons/{button.public_id}",
        button_form(
            personas,
            name="Support chat",
            allowed_origins="http://127.0.0.1\nhttp://localhost",
            routing_method="priority",
            ring_seconds="20",
            end_status="resolved",
            prefer_previous_agent=None,
            **{
                f"priority_{personas.support_agent.public_id}": "10",
                f"priority_{personas.support_supervisor.public_id}": "",
                "pf2_key": "topic",
                "pf2_kind": "select",
                "pf2_label_en": "Topic",
                "pf2_label_hu": "Téma",
                "pf2_options": "Orders\nReturns\n",
                "appearance.position": "left",
                "text_hu_greeting": "Szia!",
            },
        ),
    )
    assert saved.status_code == 303, saved.text[:2000]
    assert saved.headers["location"] == f"/admin/chat-buttons/{button.public_id}?done=saved"
    [row] = [b for b in await buttons(runtime) if b.id == button.id]
    assert (row.name, row.routing_method, row.ring_seconds, row.end_status) == (
        "Support chat",
        "priority",
        20,
        "resolved",
    )
    assert row.prefer_previous_agent is False
    assert row.agent_priorities == {str(personas.support_agent.id): 10}
    assert row.prechat_fields[2] == {
        "key": "topic",
        "kind": "select",
        "required": False,
        "label": {"en": "Topic", "hu": "Téma"},
        "options": ["Orders", "Returns"],
    }
    assert row.appearance["position"] == "left"
    assert row.appearance["texts"]["hu"]["greeting"] == "Szia!"
    page = await client.get(f"/admin/chat-buttons/{button.public_id}")
    assert f'name="priority_{personas.support_agent.public_id}" type="number" value="10"' in page.text
    assert 'value="Téma"' in page.text


async def test_a_refusal_is_shown_at_the_field_in_the_agents_language(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    bad = await post_form(client, "/admin/chat-buttons", button_form(personas, ring_seconds="2"))
    assert bad.status_code == 422
    assert (
        '<p class="field-error" id="f-ring-seconds-error">must be a whole number from 5 to 600</p>'
        in bad.text
    )
    assert 'value="Web shop"' in bad.text  # what was typed stays
    origins = await post_form(
        client, "/admin/chat-buttons", button_form(personas, allowed_origins="https://shop.example/checkout")
    )
    assert origins.status_code == 422
    assert "https://shop.example/checkout is not an origin like https://shop.example" in visible(origins.text)
    prechat = await post_form(client, "/admin/chat-buttons", button_form(personas, pf1_key="name"))
    assert "field 2: the key name is used twice" in visible(prechat.text)
    assert len(await buttons(runtime)) == 1  # only the persona's

    # An admin who reads Czech sees the same refusal in Czech.
    async with runtime.uow(ADMIN) as uow:
        agent = await accounts.create_agent(
            uow,
            email="zdenek@linka.test",
            name="Zdeněk",
            password=PASSWORD,
            role=BaseRole.ADMIN,
            language="cs",
        )
    client.cookies.clear()
    await sign_in(client, Person(id=agent.id, public_id=agent.public_id, email=agent.email, name=agent.name))
    czech = await post_form(client, "/admin/chat-buttons", button_form(personas, ring_seconds="x"))
    assert czech.status_code == 422
    assert "musí být celé číslo od 5 do 600" in visible(czech.text)


async def test_a_button_with_chats_is_not_deleted_and_one_without_is(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    button = personas.support_chat_button
    await insert_chat(runtime.db, personas, button.id)
    refused = await post_form(client, f"/admin/chat-buttons/{button.public_id}/delete")
    assert refused.status_code == 409
    assert "this button has chats; switch it off instead" in visible(refused.text)
    created = await post_form(client, "/admin/chat-buttons", button_form(personas))
    public_id = created.headers["location"].split("/")[-1].split("?")[0]
    deleted = await post_form(client, f"/admin/chat-buttons/{public_id}/delete")
    assert deleted.headers["location"] == "/admin/chat-buttons?done=deleted"
    assert [b.public_id for b in await buttons(runtime)] == [button.public_id]


async def test_invitation_rules_are_added_changed_ordered_and_deleted(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    button = personas.support_chat_button
    base = f"/admin/chat-buttons/{button.public_id}"
    form = await client.get(f"{base}/rules/new")
    assert form.status_code == 200
    assert "Seconds on the site" in visible(form.text)
    rule_form = {
        "name": "Pricing",
        "enabled": "on",
        "c0_field": "page_url",
        "c0_op": "contains",
        "c0_value": "pricing",
        "c1_field": "time_on_site",
        "c1_op": "at_least",
        "c1_value": "30",
        "c2_field": "",
        "c2_op": "contains",
        "c2_value": "",
        "message_en": "Questions about prices?",
        "message_cs": "Dotazy k cenám?",
        "message_hu": "",
    }
    added = await post_form(client, f"{base}/rules", rule_form)
    assert added.status_code == 303, added.text[:2000]
    assert added.headers["location"] == f"{base}?done=created#rules"
    second = await post_form(
        client,
        f"{base}/rules",
        {
            **rule_form,
            "name": "Loyal",
            "c0_field": "visits",
            "c0_op": "at_least",
            "c0_value": "3",
            "c1_field": "",
            "c1_value": "",
        },
    )
    assert second.status_code == 303
    pricing, loyal = await rules(runtime, button.id)
    assert pricing.conditions == [
        {"field": "page_url", "op": "contains", "value": "pricing"},
        {"field": "time_on_site", "op": "at_least", "value": 30},
    ]
    assert loyal.conditions == [{"field": "visits", "op": "at_least", "value": 3}]
    page = visible((await client.get(base)).text)
    assert (
        "Pricing Page address contains pricing Seconds on the site at least 30 Questions about prices?"
        in page
    )

    bad = await post_form(client, f"{base}/rules", {**rule_form, "c1_op": "contains"})
    assert bad.status_code == 422
    assert "condition 2: a number is compared with at_least" in visible(bad.text)
    no_english = await post_form(client, f"{base}/rules/{pricing.public_id}", {**rule_form, "message_en": ""})
    assert no_english.status_code == 422
    assert "an English text is required" in visible(no_english.text)

    moved = await post_form(client, f"{base}/rules/{loyal.public_id}/move", {"direction": "up"})
    assert moved.headers["location"] == f"{base}?done=moved#rules"
    assert [r.name for r in await rules(runtime, button.id)] == ["Loyal", "Pricing"]
    changed = await post_form(
        client, f"{base}/rules/{pricing.public_id}", {**rule_form, "enabled": None, "name": "Prices"}
    )
    assert changed.status_code == 303
    deleted = await post_form(client, f"{base}/rules/{loyal.public_id}/delete")
    assert deleted.status_code == 303
    [left] = await rules(runtime, button.id)
    assert (left.name, left.enabled) == ("Prices", False)


async def test_the_list_takes_the_same_queries_however_many_buttons(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    with counting_statements(runtime.db) as seen:
        assert (await client.get("/admin/chat-buttons")).status_code == 200
    before = seen.count
    async with runtime.uow(ADMIN) as uow:
        for n in range(3):
            made = await button_actions.create_chat_button(
                uow,
                name=f"Shop {n}",
                department_id=personas.departments["sales"],
                allowed_origins=[f"https://s{n}.example"],
            )
            await button_actions.create_invitation_rule(
                uow,
                button_id=made.id,
                name="Any",
                conditions=[{"field": "visits", "op": "at_least", "value": 1}],
                message={"en": "Hi"},
            )
    with counting_statements(runtime.db) as seen:
        page = await client.get("/admin/chat-buttons")
    assert "Shop 2 Sales Average utilisation https://s2.example 1" in visible(page.text)
    assert "support_chat Support Average utilisation http://127.0.0.1 http://localhost 0" in visible(
        page.text
    )
    assert seen.count == before == 7


async def test_only_channel_admins_find_the_pages(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    button = personas.support_chat_button.public_id
    async with runtime.uow(ADMIN) as uow:
        rule = await button_actions.create_invitation_rule(
            uow,
            button_id=personas.support_chat_button.id,
            name="Any",
            conditions=[{"field": "visits", "op": "at_least", "value": 1}],
            message={"en": "Hi"},
        )
    pages = [
        "GET /admin/chat-buttons",
        "GET /admin/chat-buttons/new",
        "POST /admin/chat-buttons",
        f"GET /admin/chat-buttons/{button}",
        f"POST /admin/chat-buttons/{button}",
        f"POST /admin/chat-buttons/{button}/delete",
        f"GET /admin/chat-buttons/{button}/rules/new",
        f"POST /admin/chat-buttons/{button}/rules",
        f"GET /admin/chat-buttons/{button}/rules/{rule.public_id}",
        f"POST /admin/chat-buttons/{button}/rules/{rule.public_id}",
        f"POST /admin/chat-buttons/{button}/rules/{rule.public_id}/move",
        f"POST /admin/chat-buttons/{button}/rules/{rule.public_id}/delete",
    ]
    kamila = await agent_with_permissions(runtime, ["manage_departments"])
    for person in (personas.support_agent, personas.support_supervisor, kamila):
        client.cookies.clear()
        await sign_in(client, person)
        for one in pages:
            method, path = one.split(" ", 1)
            response = await (client.get(path) if method == "GET" else post_form(client, path, {"name": "X"}))
            assert response.status_code == 404, (person.email, one)
        home = await client.get("/admin/departments" if person is kamila else "/tickets")
        assert "/admin/chat-buttons" not in home.text
    assert [b.public_id for b in await buttons(runtime)] == [button]
    assert len(await rules(runtime, personas.support_chat_button.id)) == 1
    # one with manage_channels finds them, and the tab
    client.cookies.clear()
    channels = await agent_with_permissions(runtime, ["manage_channels"], email="kanal@linka.test")
    await sign_in(client, channels)
    page = await client.get("/admin/chat-buttons")
    assert page.status_code == 200
    assert '<a href="/admin/chat-buttons" aria-current="page">Chat buttons</a>' in page.text
