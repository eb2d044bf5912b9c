"""Admin: custom ticket statuses. Creating one with Czech and Hungarian names and a category, changing
it, deleting it, refusals next to the field, and the list's queries."""

from __future__ import annotations

from linka.domains.tickets import custom_status_actions
from linka.domains.tickets.models import CustomStatus
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient
from tests.entrypoints.web.admin_helpers import visible
from tests.entrypoints.web.web_helpers import post_form, sign_in
from tests.mail_helpers import ADMIN_CLI, rows
from tests.personas import Personas
from tests.query_counter import counting_statements


async def test_creating_changing_and_deleting_a_status(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    created = await post_form(
        client,
        "/admin/statuses",
        {
            "name": "Waiting for parts",
            "name_cs": "Čeká na díly",
            "name_hu": "Alkatrészre vár",
            "category": "postponed",
            "position": "3",
        },
    )
    assert created.status_code == 303
    assert created.headers["location"] == "/admin/statuses?done=created"
    [status] = await rows(runtime.db, CustomStatus)
    assert (status.name, status.translations, status.category, status.position) == (
        "Waiting for parts",
        {"cs": "Čeká na díly", "hu": "Alkatrészre vár"},
        "postponed",
        3,
    )
    listed = visible((await client.get(created.headers["location"])).text)
    assert "Waiting for parts Čeká na díly Alkatrészre vár Postponed 3" in listed

    path = f"/admin/statuses/{status.public_id}"
    assert 'value="Čeká na díly"' in (await client.get(path)).text
    changed = await post_form(
        client,
        path,
        {"name": "Parts ordered", "name_cs": "", "name_hu": "", "category": "open", "position": "1"},
    )
    assert changed.headers["location"] == "/admin/statuses?done=saved"
    [status] = await rows(runtime.db, CustomStatus)
    assert (status.name, status.translations, status.category, status.position) == (
        "Parts ordered",
        {},
        "open",
        1,
    )

    deleted = await post_form(client, f"{path}/delete")
    assert deleted.headers["location"] == "/admin/statuses?done=deleted"
    assert await rows(runtime.db, CustomStatus) == []


async def test_a_refused_status_shows_the_field_message(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    clash = await post_form(
        client, "/admin/statuses", {"name": "Vyřešený", "category": "open", "position": "0"}
    )
    assert clash.status_code == 409
    assert (
        '<p class="field-error" id="f-name-error">this is the name of the built-in status resolved</p>'
        in clash.text
    )
    too_long = await post_form(
        client, "/admin/statuses", {"name": "Fine", "name_hu": "x" * 61, "category": "open", "position": "0"}
    )
    assert too_long.status_code == 422
    assert '<p class="field-error" id="f-translations-error">at most 60 characters</p>' in too_long.text
    assert await rows(runtime.db, CustomStatus) == []


async def test_the_list_takes_the_same_queries_however_many_statuses(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    with counting_statements(runtime.db) as seen:
        assert (await client.get("/admin/statuses")).status_code == 200
    before = seen.count
    async with runtime.uow(ADMIN_CLI) as uow:
        for n in range(4):
            await custom_status_actions.create_custom_status(uow, name=f"Stage {n}", category="open")
    with counting_statements(runtime.db) as seen:
        page = await client.get("/admin/statuses")
    assert "Stage 3" in visible(page.text)
    assert seen.count == before == 4
