"""Admin: settings. The workspace's name and the language and time zone new agents start with; whether
two-factor sign-in is mandatory (owners only); when resolved tickets close; refusals next to the field;
and the page's queries."""

from __future__ import annotations

from linka.domains.accounts.models import WorkspaceSettings
from linka.domains.tickets.models import TicketSettings
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient
from tests.entrypoints.web.admin_helpers import visible
from tests.entrypoints.web.web_helpers import post_form, sign_in
from tests.mail_helpers import rows
from tests.personas import Personas
from tests.query_counter import counting_statements


async def test_workspace_settings_are_saved_and_new_agents_start_with_them(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    saved = await post_form(
        client,
        "/admin/settings/workspace",
        {"name": "  Acme   Helpdesk ", "default_language": "hu", "default_timezone": "Europe/Budapest"},
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/admin/settings?done=saved"
    [row] = await rows(runtime.db, WorkspaceSettings)
    assert (row.name, row.default_language, row.default_timezone) == (
        "Acme Helpdesk",
        "hu",
        "Europe/Budapest",
    )
    page = await client.get(saved.headers["location"])
    assert "Saved." in visible(page.text)
    assert 'value="Acme Helpdesk"' in page.text
    invite = await client.get("/admin/agents/new")
    assert '<option value="hu" selected>' in invite.text
    assert 'value="Europe/Budapest"' in invite.text


async def test_refused_settings_show_the_field_message(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    response = await post_form(
        client, "/admin/settings/workspace", {"name": "", "default_language": "en", "default_timezone": "UTC"}
    )
    assert response.status_code == 422
    assert '<p class="field-error" id="f-name-error">must not be empty</p>' in response.text
    days = await post_form(client, "/admin/settings/tickets", {"close_resolved_after_days": "400"})
    assert days.status_code == 422
    assert (
        '<p class="field-error" id="f-close-resolved-after-days-error">between 0 (never) and 365</p>'
        in days.text
    )
    assert 'value="400"' in days.text
    assert await rows(runtime.db, WorkspaceSettings) == []
    assert await rows(runtime.db, TicketSettings) == []


async def test_ticket_settings_follow_the_server_default_until_set(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    default = runtime.settings.close_resolved_after_days
    page = visible((await client.get("/admin/settings")).text)
    assert f"Empty: the server's default ({default})." in page
    assert (
        await post_form(client, "/admin/settings/tickets", {"close_resolved_after_days": "0"})
    ).status_code == 303
    [row] = await rows(runtime.db, TicketSettings)
    assert row.close_resolved_after_days == 0
    assert (
        await post_form(client, "/admin/settings/tickets", {"close_resolved_after_days": ""})
    ).status_code == 303
    [row] = await rows(runtime.db, TicketSettings)
    assert row.close_resolved_after_days is None


async def test_only_an_owner_makes_two_factor_mandatory(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    page = await client.get("/admin/settings")
    assert 'name="require_two_factor"' not in page.text
    assert "Only an owner changes this." in visible(page.text)
    refused = await post_form(client, "/admin/settings/security", {"require_two_factor": "on"})
    assert refused.status_code == 403
    assert await rows(runtime.db, WorkspaceSettings) == []

    await sign_in(client, personas.owner)
    assert 'name="require_two_factor"' in (await client.get("/admin/settings")).text
    saved = await post_form(client, "/admin/settings/security", {"require_two_factor": "on"})
    assert saved.headers["location"] == "/admin/settings?done=saved"
    [row] = await rows(runtime.db, WorkspaceSettings)
    assert row.require_two_factor is True


async def test_the_page_takes_a_fixed_number_of_queries(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    with counting_statements(runtime.db) as seen:
        assert (await client.get("/admin/settings")).status_code == 200
    assert seen.count == 5
