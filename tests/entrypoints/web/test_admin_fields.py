"""Admin: custom fields of tickets and contacts. Creating a choice field with options and translated
labels, changing it (entity, key and kind stay), moving fields up and down, deleting one with its
values, refusals next to the field, and the list's queries."""

from __future__ import annotations

from linka.domains.fields import actions as fields
from linka.domains.fields.models import CustomField
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient
from tests.entrypoints.web.admin_helpers import visible
from tests.entrypoints.web.web_helpers import post_form, sign_in
from tests.mail_helpers import ADMIN_CLI, rows
from tests.personas import Personas
from tests.query_counter import counting_statements


async def _field(runtime: Runtime, key: str) -> CustomField:
    [field] = await rows(runtime.db, CustomField, CustomField.key == key)
    return field


async def test_creating_changing_and_deleting_a_field(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    assert 'value="contact" selected' in (await client.get("/admin/fields/new?entity=contact")).text
    created = await post_form(
        client,
        "/admin/fields",
        {
            "entity": "contact",
            "key": "tier",
            "label": "Tier",
            "kind": "select",
            "options": "Gold\r\nSilver\r\n\r\nBronze\r\n",
            "required": "on",
            "label_cs": "Úroveň",
            "label_hu": "Szint",
            "position": "5",
        },
    )
    assert created.status_code == 303
    assert created.headers["location"] == "/admin/fields?done=created"
    tier = await _field(runtime, "tier")
    assert (
        tier.entity,
        tier.label,
        tier.kind,
        tier.options,
        tier.required,
        tier.translations,
        tier.position,
    ) == (
        "contact",
        "Tier",
        "select",
        ["Gold", "Silver", "Bronze"],
        True,
        {"cs": "Úroveň", "hu": "Szint"},
        5,
    )
    listed = visible((await client.get(created.headers["location"])).text)
    assert "Tier tier Choice (Gold, Silver, Bronze) Yes" in listed

    path = f"/admin/fields/{tier.public_id}"
    page = await client.get(path)
    assert "Gold\nSilver\nBronze</textarea>" in page.text
    changed = await post_form(
        client,
        path,
        {
            "label": "Customer tier",
            "options": "Platinum\nGold\nSilver\nBronze",
            "label_cs": "",
            "label_hu": "Ügyfélszint",
            "position": "1",
            "kind": "text",  # the kind is fixed: not taken from the form
        },
    )
    assert changed.headers["location"] == "/admin/fields?done=saved"
    tier = await _field(runtime, "tier")
    assert (tier.label, tier.kind, tier.options, tier.required, tier.translations, tier.position) == (
        "Customer tier",
        "select",
        ["Platinum", "Gold", "Silver", "Bronze"],
        False,
        {"hu": "Ügyfélszint"},
        1,
    )

    deleted = await post_form(client, f"{path}/delete")
    assert deleted.headers["location"] == "/admin/fields?done=deleted"
    assert await rows(runtime.db, CustomField) == []


async def test_a_refused_field_shows_the_field_message(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    values = {"entity": "ticket", "key": "Bad Key", "label": "Bad", "kind": "text", "position": "0"}
    response = await post_form(client, "/admin/fields", values)
    assert response.status_code == 422
    assert '<p class="field-error" id="f-key-error">is not in the expected form</p>' in response.text
    no_options = await post_form(client, "/admin/fields", {**values, "key": "size", "kind": "select"})
    assert no_options.status_code == 422
    message = '<p class="field-error" id="f-options-error">a select field needs at least one option</p>'
    assert message in no_options.text
    assert await rows(runtime.db, CustomField) == []


async def test_moving_fields_up_and_down(client: AppClient, runtime: Runtime, personas: Personas) -> None:
    async with runtime.uow(ADMIN_CLI) as uow:
        for key in ("alpha", "beta", "gamma"):
            await fields.create_field(uow, entity="ticket", key=key, label=key.title(), kind="text")
    await sign_in(client, personas.admin)
    gamma = await _field(runtime, "gamma")
    moved = await post_form(client, f"/admin/fields/{gamma.public_id}/move", {"direction": "up"})
    assert moved.headers["location"] == "/admin/fields?done=moved"
    by_position = await rows(runtime.db, CustomField, order_by=CustomField.position)
    assert [(f.key, f.position) for f in by_position] == [("alpha", 10), ("gamma", 20), ("beta", 30)]
    alpha = await _field(runtime, "alpha")
    await post_form(client, f"/admin/fields/{alpha.public_id}/move", {"direction": "down"})
    by_position = await rows(runtime.db, CustomField, order_by=CustomField.position)
    assert [f.key for f in by_position] == ["gamma", "alpha", "beta"]
    text = visible((await client.get("/admin/fields")).text)
    assert text.index("Gamma gamma") < text.index("Alpha alpha") < text.index("Beta beta")


async def test_the_list_takes_the_same_queries_however_many_fields(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    with counting_statements(runtime.db) as seen:
        assert (await client.get("/admin/fields")).status_code == 200
    before = seen.count
    async with runtime.uow(ADMIN_CLI) as uow:
        for n in range(4):
            await fields.create_field(
                uow, entity="contact", key=f"extra_{n}", label=f"Extra {n}", kind="number"
            )
    with counting_statements(runtime.db) as seen:
        page = await client.get("/admin/fields")
    assert "Extra 3 extra_3 Number" in visible(page.text)
    assert seen.count == before == 4
