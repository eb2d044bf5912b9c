"""Admin: custom roles. Creating one with permissions picked from translated labels, changing it,
deleting it (refused while agents hold it), refusals next to the field, and the list's queries."""

from __future__ import annotations

from linka.core.permissions import BaseRole
from linka.domains.accounts import actions as accounts
from linka.domains.accounts import agent_actions
from linka.domains.accounts.models import Role
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient
from tests.entrypoints.web.admin_helpers import visible
from tests.entrypoints.web.web_helpers import post_form, sign_in
from tests.mail_helpers import ADMIN_CLI, rows
from tests.personas import PASSWORD, Person, Personas
from tests.query_counter import counting_statements


async def test_creating_changing_and_deleting_a_role(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    form = await client.get("/admin/roles/new")
    assert "Manage contacts See every contact and company, change, merge and delete them." in visible(
        form.text
    )
    assert 'value="purge_data"' not in form.text  # owners only: no role can grant it

    created = await post_form(
        client,
        "/admin/roles",
        {
            "name": "Team leads",
            "description": "Leads of a shift",
            "permissions": ["manage_contacts", "review_qa"],
        },
    )
    assert created.status_code == 303
    assert created.headers["location"] == "/admin/roles?done=created"
    [role] = await rows(runtime.db, Role, Role.name == "Team leads")
    assert (role.description, role.permissions) == ("Leads of a shift", ["manage_contacts", "review_qa"])
    listed = visible((await client.get(created.headers["location"])).text)
    assert "Created." in listed
    assert "Team leads Leads of a shift Manage contacts Review quality" in listed

    path = f"/admin/roles/{role.public_id}"
    page = await client.get(path)
    assert 'id="perm-review_qa" name="permissions" type="checkbox" value="review_qa" checked' in page.text
    assert (
        'id="perm-manage_agents" name="permissions" type="checkbox" value="manage_agents" aria' in page.text
    )
    changed = await post_form(
        client, path, {"name": "Shift leads", "description": "", "permissions": ["manage_agents"]}
    )
    assert changed.headers["location"] == "/admin/roles?done=saved"
    [role] = await rows(runtime.db, Role, Role.id == role.id)
    assert (role.name, role.description, role.permissions) == ("Shift leads", "", ["manage_agents"])

    # While an agent holds it, deleting is refused with the reason.
    async with runtime.uow(ADMIN_CLI) as uow:
        holder = await accounts.create_agent(
            uow, email="lead@linka.test", name="Lea Lead", custom_role_id=role.id
        )
    refused = await post_form(client, f"{path}/delete")
    assert refused.status_code == 409
    assert "the role is still assigned to 1 agent(s)" in visible(refused.text)
    assert [r.name for r in await rows(runtime.db, Role)] == ["Shift leads"]
    async with runtime.uow(ADMIN_CLI) as uow:
        await agent_actions.update_agent(uow, agent_id=holder.id, custom_role_id=None)
    deleted = await post_form(client, f"{path}/delete")
    assert deleted.headers["location"] == "/admin/roles?done=deleted"
    assert await rows(runtime.db, Role) == []


async def test_a_refused_role_shows_the_field_message(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    empty = await post_form(client, "/admin/roles", {"name": "  ", "permissions": ["manage_contacts"]})
    assert empty.status_code == 422
    assert '<p class="field-error" id="f-name-error">must not be empty</p>' in empty.text
    assert 'value="manage_contacts" checked' in empty.text  # the ticks stay
    builtin = await post_form(client, "/admin/roles", {"name": "Admin"})
    assert builtin.status_code == 409
    assert '<p class="field-error" id="f-name-error">this is the name of a built-in role</p>' in builtin.text
    assert await rows(runtime.db, Role) == []


async def test_permission_labels_are_in_the_admins_language(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    async with runtime.uow(ADMIN_CLI) as uow:
        await accounts.create_agent(
            uow, email="zdena@linka.test", name="Zdena", password=PASSWORD, role=BaseRole.ADMIN, language="cs"
        )
    await sign_in(client, Person(id=0, public_id="", email="zdena@linka.test", name="Zdena"))
    text = visible((await client.get("/admin/roles/new")).text)
    assert "Spravovat kontakty" in text
    assert "Nová vlastní role" in text


async def test_the_list_takes_the_same_queries_however_many_roles(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    with counting_statements(runtime.db) as seen:
        assert (await client.get("/admin/roles")).status_code == 200
    before = seen.count
    async with runtime.uow(ADMIN_CLI) as uow:
        for n in range(4):
            await accounts.create_role(uow, name=f"Role {n}", permissions=["manage_contacts"])
    with counting_statements(runtime.db) as seen:
        page = await client.get("/admin/roles")
    assert "Role 3" in visible(page.text)
    assert seen.count == before == 4
