"""Chat buttons and invitation rules through the API: public ids outside (buttons, departments, agents),
defaults filled in, bad input refused with a body naming the field, a button with chats only switched
off, and rules listed, changed and ordered."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from linka.domains.chat.models import ChatButton, InvitationRule
from tests.conftest import AppClient, bearer
from tests.domains.chat.button_helpers import insert_chat
from tests.personas import Personas

BASE = "/api/v1/chat-buttons"


def button_body(personas: Personas, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Web shop",
        "department_id": personas.department_public_ids["support"],
        "allowed_origins": ["https://Shop.Example/"],
        **extra,
    }


async def test_a_button_is_created_read_changed_and_listed(client: AppClient, personas: Personas) -> None:
    admin = bearer(personas.admin)
    created = await client.post(
        BASE,
        json=button_body(
            personas,
            routing_method="priority",
            agent_priorities={personas.support_agent.public_id: 5},
            appearance={"colour": "#112233", "texts": {"cs": {"title": "Pište"}}},
        ),
        headers=admin,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"].startswith("cb_")
    assert body["department_id"] == personas.department_public_ids["support"]
    assert body["allowed_origins"] == ["https://shop.example"]
    assert body["agent_priorities"] == {personas.support_agent.public_id: 5}
    assert [f["key"] for f in body["prechat_fields"]] == ["name", "email"]
    assert body["appearance"]["colour"] == "#112233"
    assert body["appearance"]["texts"]["cs"]["title"] == "Pište"
    assert body["appearance"]["texts"]["en"]["title"] == "Chat with us"
    # never a database key outside
    async with client.app.state.runtime.db.read_session() as session:
        row = (
            await session.execute(select(ChatButton).where(ChatButton.public_id == body["id"]))
        ).scalar_one()
    assert str(row.id) not in {body["id"], body["department_id"]}
    assert str(personas.support_agent.id) not in body["agent_priorities"]

    changed = await client.patch(
        f"{BASE}/{body['id']}",
        json={"ring_seconds": 20, "prechat_fields": [{"key": "order", "label": {"en": "Order number"}}]},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert after["ring_seconds"] == 20
    assert after["routing_method"] == "priority"
    assert after["prechat_fields"] == [
        {"key": "order", "kind": "text", "required": False, "label": {"en": "Order number"}, "options": []}
    ]
    shown = await client.get(f"{BASE}/{body['id']}", headers=admin)
    assert shown.json() == after
    listed = await client.get(BASE, headers=admin, params={"limit": 1})
    assert [b["id"] for b in listed.json()["items"]] == [personas.support_chat_button.public_id]
    rest = await client.get(BASE, headers=admin, params={"cursor": listed.json()["next_cursor"]})
    assert [b["id"] for b in rest.json()["items"]] == [body["id"]]
    assert rest.json()["next_cursor"] is None


async def test_bad_input_names_the_field(client: AppClient, personas: Personas) -> None:
    admin = bearer(personas.admin)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"ring_seconds": 1}, "ring_seconds"),
        ({"allowed_origins": ["javascript:alert(1)"]}, "allowed_origins"),
        ({"department_id": "dp_unknown"}, "department_id"),
        ({"agent_priorities": {personas.sales_agent.public_id: 3}}, "agent_priorities"),
        ({"agent_priorities": {"ag_nobody": 3}}, "agent_priorities"),
        ({"routing_method": "loudest"}, "routing_method"),
        ({"appearance": {"colour": "red"}}, "appearance.colour"),
        ({"prechat_fields": [{"key": "x", "kind": "select", "label": {"en": "X"}}]}, "prechat_fields"),
        ({"unknown": 1}, "unknown"),
    ]
    for extra, field in cases:
        response = await client.post(BASE, json=button_body(personas, **extra), headers=admin)
        assert response.status_code in (400, 422), (extra, response.text)
        assert field in response.json()["error"]["fields"], (extra, response.text)
    count = await client.get(BASE, headers=admin)
    assert len(count.json()["items"]) == 1  # only the persona's


async def test_a_button_with_chats_cannot_be_deleted_but_can_be_switched_off(
    client: AppClient, personas: Personas
) -> None:
    admin = bearer(personas.admin)
    button = personas.support_chat_button
    await insert_chat(client.app.state.runtime.db, personas, button.id)
    refused = await client.delete(f"{BASE}/{button.public_id}", headers=admin)
    assert refused.status_code == 409
    assert refused.json()["error"]["fields"] == {"button": "this button has chats; switch it off instead"}
    off = await client.patch(f"{BASE}/{button.public_id}", json={"enabled": False}, headers=admin)
    assert off.json()["enabled"] is False
    fresh = await client.post(BASE, json=button_body(personas), headers=admin)
    gone = await client.delete(f"{BASE}/{fresh.json()['id']}", headers=admin)
    assert gone.status_code == 204
    assert (await client.get(f"{BASE}/{fresh.json()['id']}", headers=admin)).status_code == 404


async def test_invitation_rules_are_added_changed_ordered_and_removed(
    client: AppClient, personas: Personas
) -> None:
    admin = bearer(personas.admin)
    rules = f"{BASE}/{personas.support_chat_button.public_id}/invitation-rules"
    first = await client.post(
        rules,
        json={
            "name": "Pricing",
            "conditions": [
                {"field": "page_url", "op": "contains", "value": "pricing"},
                {"field": "time_on_site", "op": "at_least", "value": 30},
            ],
            "message": {"en": "Questions about prices?", "hu": "Kérdése van az árakról?"},
        },
        headers=admin,
    )
    assert first.status_code == 201, first.text
    assert first.json()["position"] == 0
    assert first.json()["id"].startswith("ir_")
    second = await client.post(
        rules,
        json={
            "name": "Returning",
            "conditions": [{"field": "visits", "op": "at_least", "value": 3}],
            "message": {"en": "Welcome back"},
        },
        headers=admin,
    )
    first_id, second_id = first.json()["id"], second.json()["id"]
    bad = await client.post(
        rules,
        json={
            "name": "Bad",
            "conditions": [{"field": "visits", "op": "equals", "value": "3"}],
            "message": {"en": "x"},
        },
        headers=admin,
    )
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) == {"conditions"}

    ordered = await client.put(f"{rules}/order", json={"ids": [second_id, first_id]}, headers=admin)
    assert ordered.status_code == 200, ordered.text
    assert [r["id"] for r in ordered.json()["items"]] == [second_id, first_id]
    wrong = await client.put(f"{rules}/order", json={"ids": [second_id]}, headers=admin)
    assert wrong.status_code == 422
    assert set(wrong.json()["error"]["fields"]) == {"ids"}

    changed = await client.patch(f"{rules}/{first_id}", json={"enabled": False}, headers=admin)
    assert changed.json()["enabled"] is False
    assert changed.json()["name"] == "Pricing"
    assert (await client.get(f"{rules}/{first_id}", headers=admin)).json() == changed.json()
    # a rule is found only under its own button
    fresh = await client.post(BASE, json=button_body(personas), headers=admin)
    elsewhere = await client.get(f"{BASE}/{fresh.json()['id']}/invitation-rules/{first_id}", headers=admin)
    assert elsewhere.status_code == 404

    assert (await client.delete(f"{rules}/{second_id}", headers=admin)).status_code == 204
    listed = await client.get(rules, headers=admin)
    assert [r["id"] for r in listed.json()["items"]] == [first_id]
    async with client.app.state.runtime.db.read_session() as session:
        stored = list((await session.execute(select(InvitationRule.public_id))).scalars())
    assert stored == [first_id]
