"""The custom fields API: definitions (everyone reads, manage_settings writes), values on contacts and
tickets checked by kind, a bad value changing nothing, and who may set a ticket's fields."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from linka.core.db import Database
from linka.domains.fields.models import FieldValue
from tests.conftest import AppClient, bearer
from tests.personas import Personas

API = "/api/v1"


async def _define(client: AppClient, personas: Personas, **body: Any) -> dict[str, Any]:
    response = await client.post(f"{API}/custom-fields", headers=bearer(personas.admin), json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _value_rows(db: Database) -> int:
    async with db.read_session() as session:
        return int((await session.execute(select(func.count()).select_from(FieldValue))).scalar_one())


async def test_definitions_are_read_by_everyone_and_changed_by_settings_managers(
    client: AppClient, personas: Personas
) -> None:
    plan = await _define(
        client,
        personas,
        entity="ticket",
        key="plan",
        label="Plan",
        kind="select",
        options=["Free", "Pro"],
        translations={"cs": "Tarif", "hu": "Csomag"},
    )
    await _define(client, personas, entity="contact", key="segment", label="Segment", kind="text", position=2)
    assert plan["id"].startswith("cf_")
    assert plan["translations"] == {"cs": "Tarif", "hu": "Csomag"}
    sara = bearer(personas.support_agent)
    listed = await client.get(f"{API}/custom-fields", headers=sara)
    assert listed.status_code == 200, listed.text
    assert [(f["entity"], f["key"]) for f in listed.json()["items"]] == [
        ("contact", "segment"),
        ("ticket", "plan"),
    ]
    only = await client.get(f"{API}/custom-fields", headers=sara, params={"entity": "ticket"})
    assert [f["key"] for f in only.json()["items"]] == ["plan"]
    one = await client.get(f"{API}/custom-fields/{plan['id']}", headers=sara)
    assert one.status_code == 200
    assert one.json()["options"] == ["Free", "Pro"]
    assert (await client.get(f"{API}/custom-fields/cf_000000000000", headers=sara)).status_code == 404
    refused = await client.post(
        f"{API}/custom-fields",
        headers=sara,
        json={"entity": "ticket", "key": "x", "label": "X", "kind": "text"},
    )
    assert refused.status_code == 403
    assert (
        await client.patch(f"{API}/custom-fields/{plan['id']}", headers=sara, json={"label": "P"})
    ).status_code == 403
    changed = await client.patch(
        f"{API}/custom-fields/{plan['id']}",
        headers=bearer(personas.admin),
        json={"label": "Price plan", "options": ["Pro", "Free", "Team"], "required": True},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["label"], changed.json()["options"], changed.json()["required"]) == (
        "Price plan",
        ["Pro", "Free", "Team"],
        True,
    )
    # The kind and key are fixed once defined.
    fixed = await client.patch(
        f"{API}/custom-fields/{plan['id']}", headers=bearer(personas.admin), json={"kind": "text"}
    )
    assert fixed.status_code == 422
    assert "kind" in fixed.json()["error"]["fields"]


async def test_bad_definitions_name_the_problem(client: AppClient, personas: Personas) -> None:
    admin = bearer(personas.admin)
    await _define(client, personas, entity="ticket", key="order_no", label="Order", kind="text")
    for body, status, field in [
        ({"entity": "ticket", "key": "order_no", "label": "Again", "kind": "text"}, 409, "key"),
        ({"entity": "ticket", "key": "Order No", "label": "X", "kind": "text"}, 422, "key"),
        ({"entity": "ticket", "key": "colour", "label": "X", "kind": "colour"}, 422, "kind"),
        ({"entity": "company", "key": "x", "label": "X", "kind": "text"}, 422, "entity"),
        ({"entity": "ticket", "key": "x", "label": "X", "kind": "select"}, 422, "options"),
        ({"entity": "ticket", "key": "x", "label": "X", "kind": "number", "options": ["1"]}, 422, "options"),
        (
            {"entity": "ticket", "key": "x", "label": "X", "kind": "checkbox", "required": True},
            422,
            "required",
        ),
        (
            {"entity": "ticket", "key": "x", "label": "X", "kind": "text", "translations": {"de": "Y"}},
            422,
            "translations",
        ),
    ]:
        response = await client.post(f"{API}/custom-fields", headers=admin, json=body)
        assert response.status_code == status, (body, response.text)
        assert field in response.json()["error"]["fields"], (body, response.text)


async def test_contacts_carry_fields_and_required_ones_are_enforced(
    client: AppClient, personas: Personas, db: Database
) -> None:
    await _define(
        client,
        personas,
        entity="contact",
        key="segment",
        label="Segment",
        kind="select",
        options=["B2B", "B2C"],
        required=True,
    )
    await _define(client, personas, entity="contact", key="since", label="Customer since", kind="date")
    sara = bearer(personas.support_agent)
    missing = await client.post(
        f"{API}/contacts", headers=sara, json={"name": "Ota", "emails": ["ota@example.cz"]}
    )
    assert missing.status_code == 422, missing.text
    assert missing.json()["error"]["fields"] == {"fields.segment": "is required"}
    wrong = await client.post(
        f"{API}/contacts",
        headers=sara,
        json={
            "name": "Ota",
            "emails": ["ota@example.cz"],
            "fields": {"segment": "B2G", "since": "yesterday"},
        },
    )
    assert wrong.status_code == 422
    assert set(wrong.json()["error"]["fields"]) == {"fields.segment", "fields.since"}
    listed = await client.get(
        f"{API}/contacts", headers=bearer(personas.admin), params={"email": "ota@example.cz"}
    )
    assert listed.json()["items"] == []  # nothing half-made
    made = await client.post(
        f"{API}/contacts",
        headers=sara,
        json={"name": "Ota", "emails": ["ota@example.cz"], "fields": {"segment": "B2B"}},
    )
    assert made.status_code == 201, made.text
    assert made.json()["fields"] == {"segment": "B2B", "since": None}
    contact = made.json()["id"]
    changed = await client.patch(
        f"{API}/contacts/{contact}", headers=sara, json={"notes": "VIP", "fields": {"since": "2019-05-01"}}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["fields"] == {"segment": "B2B", "since": "2019-05-01"}
    bad = await client.patch(
        f"{API}/contacts/{contact}", headers=sara, json={"notes": "changed", "fields": {"segment": None}}
    )
    assert bad.status_code == 422
    shown = await client.get(f"{API}/contacts/{contact}", headers=sara)
    assert shown.json()["notes"] == "VIP"  # the other change in the refused request did not happen
    assert shown.json()["fields"] == {"segment": "B2B", "since": "2019-05-01"}
    # Existing contacts read every field; unset ones as null.
    karel = await client.get(f"{API}/contacts/{personas.contact_public_ids['karel']}", headers=sara)
    assert karel.json()["fields"] == {"segment": None, "since": None}
    assert await _value_rows(db) == 2


async def test_an_option_in_use_is_not_removed(client: AppClient, personas: Personas) -> None:
    field = await _define(
        client,
        personas,
        entity="ticket",
        key="plan",
        label="Plan",
        kind="multi_select",
        options=["Mail", "Chat"],
    )
    admin = bearer(personas.admin)
    code = personas.ticket_codes["karel"]
    response = await client.patch(
        f"{API}/tickets/{code}/fields", headers=admin, json={"fields": {"plan": ["Chat"]}}
    )
    assert response.status_code == 200, response.text
    refused = await client.patch(
        f"{API}/custom-fields/{field['id']}", headers=admin, json={"options": ["Mail"]}
    )
    assert refused.status_code == 409, refused.text
    assert "'Chat' is held by 1" in refused.json()["error"]["fields"]["options"]
    unused = await client.patch(
        f"{API}/custom-fields/{field['id']}", headers=admin, json={"options": ["Chat"]}
    )
    assert unused.status_code == 200, unused.text


async def test_ticket_fields_by_who_may_work_the_ticket(
    client: AppClient, personas: Personas, db: Database
) -> None:
    await _define(client, personas, entity="ticket", key="seats", label="Seats", kind="number")
    await _define(client, personas, entity="ticket", key="vip", label="VIP", kind="checkbox")
    karel, eva = personas.ticket_codes["karel"], personas.ticket_codes["eva"]
    sara = bearer(personas.support_agent)
    done = await client.patch(
        f"{API}/tickets/{karel}/fields", headers=sara, json={"fields": {"seats": 12, "vip": True}}
    )
    assert done.status_code == 200, done.text
    assert done.json() == {"ticket": karel, "fields": {"seats": 12, "vip": True}}
    rita = await client.patch(
        f"{API}/tickets/{eva}/fields", headers=bearer(personas.sales_reader), json={"fields": {"seats": 1}}
    )
    assert rita.status_code == 403, rita.text
    hidden = await client.patch(f"{API}/tickets/{eva}/fields", headers=sara, json={"fields": {"seats": 1}})
    assert hidden.status_code == 404, hidden.text
    sandor = await client.patch(
        f"{API}/tickets/{eva}/fields", headers=bearer(personas.sales_agent), json={"fields": {"seats": 1}}
    )
    assert sandor.status_code == 200
    # An unknown key and a wrong type: 422 naming both, nothing written.
    bad = await client.patch(
        f"{API}/tickets/{karel}/fields",
        headers=sara,
        json={"fields": {"seats": 13, "vip": "yes", "colour": "red"}},
    )
    assert bad.status_code == 422, bad.text
    assert set(bad.json()["error"]["fields"]) == {"fields.vip", "fields.colour"}
    async with db.read_session() as session:
        rows = await session.execute(
            select(FieldValue.text).where(
                FieldValue.entity == "ticket", FieldValue.entity_id == personas.tickets["karel"]
            )
        )
        assert sorted(rows.scalars()) == ["12", "true"]
    cleared = await client.patch(
        f"{API}/tickets/{karel}/fields", headers=sara, json={"fields": {"seats": None, "vip": False}}
    )
    assert cleared.json()["fields"] == {"seats": None, "vip": False}
    # The body's shape is checked too.
    assert (
        await client.patch(f"{API}/tickets/{karel}/fields", headers=sara, json={"seats": 1})
    ).status_code == 422
