"""Admin: agents. The list with roles, departments and state; search; inviting (the agent and the
invitation mail); changing an agent; deactivating, reactivating and inviting again; refusals shown
next to the field; and a fixed number of queries for the list."""

from __future__ import annotations

from linka.core.permissions import BaseRole, DepartmentRole
from linka.domains.accounts import actions as accounts
from linka.domains.accounts.models import Agent
from linka.domains.mail.models import OutgoingMail
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient
from tests.entrypoints.web.admin_helpers import visible
from tests.entrypoints.web.web_helpers import post_form, sign_in
from tests.mail_helpers import ADMIN_CLI, rows
from tests.personas import Personas
from tests.query_counter import counting_statements


async def _agent(runtime: Runtime, email: str) -> Agent:
    [agent] = await rows(runtime.db, Agent, Agent.email == email)
    return agent


async def test_the_list_shows_who_works_where_and_searches(client: AppClient, personas: Personas) -> None:
    await sign_in(client, personas.admin)
    page = await client.get("/admin/agents")
    assert page.status_code == 200
    text = visible(page.text)
    assert "Sára Nováková sara@linka.test Agent Support (Solver) Active Never" in text
    assert "Olga Owner olga@linka.test Owner Active" in text
    assert "Adam Admin adam@linka.test Admin Active" in text  # signed in just now: a time, not "Never"
    assert "Adam Admin adam@linka.test Admin Active Never" not in text

    found = visible((await client.get("/admin/agents?q=viktor")).text)
    assert "Viktor Dvořák" in found
    assert "Sára Nováková" not in found
    by_email = visible((await client.get("/admin/agents?q=SANDOR@")).text)
    assert "Sándor Kovács" in by_email
    assert "Rita Reader" not in by_email


async def test_inviting_creates_the_agent_and_mails_the_invitation(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    async with runtime.uow(ADMIN_CLI) as uow:
        role = await accounts.create_role(uow, name="Reporters", permissions=["view_all_reports"])
    await sign_in(client, personas.admin)
    response = await post_form(
        client,
        "/admin/agents",
        {
            "email": " Nina@Linka.test ",
            "name": "Nina Nová",
            "role": "agent",
            "custom_role_id": role.public_id,
            "language": "cs",
            "timezone": "Europe/Budapest",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/agents?done=invited"
    nina = await _agent(runtime, "nina@linka.test")
    assert (nina.name, nina.base_role, nina.role_id, nina.language, nina.timezone) == (
        "Nina Nová",
        "agent",
        role.id,
        "cs",
        "Europe/Budapest",
    )
    assert nina.password_hash is None
    assert nina.invited_at is not None
    [mail] = await rows(runtime.db, OutgoingMail, OutgoingMail.to_address == "nina@linka.test")
    assert (mail.kind, mail.language) == ("invitation", "cs")

    listed = visible((await client.get(response.headers["location"])).text)
    assert "The invitation is on its way." in listed
    assert "Nina Nová nina@linka.test Agent · Reporters Invited Never" in listed


async def test_a_refused_invitation_shows_the_field_message(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    values = {"email": "not-an-email", "name": "Nobody", "role": "agent", "language": "en", "timezone": "UTC"}
    response = await post_form(client, "/admin/agents", values)
    assert response.status_code == 422
    assert '<p class="field-error" id="f-email-error">is not in the expected form</p>' in response.text
    assert 'value="Nobody"' in response.text  # what was typed stays
    taken = await post_form(client, "/admin/agents", {**values, "email": personas.sales_agent.email})
    assert taken.status_code == 409
    assert "another agent already uses this email" in visible(taken.text)
    zone = await post_form(
        client, "/admin/agents", {**values, "email": "new@linka.test", "timezone": "Mars/Base"}
    )
    assert zone.status_code == 422
    assert (
        '<p class="field-error" id="f-timezone-error">not a known time zone (e.g. Europe/Prague)</p>'
        in zone.text
    )
    assert await rows(runtime.db, Agent, Agent.email.in_(["new@linka.test", "not-an-email"])) == []


async def test_changing_an_agent(client: AppClient, runtime: Runtime, personas: Personas) -> None:
    async with runtime.uow(ADMIN_CLI) as uow:
        role = await accounts.create_role(uow, name="Contact keepers", permissions=["manage_contacts"])
    await sign_in(client, personas.admin)
    path = f"/admin/agents/{personas.sales_reader.public_id}"
    form = await client.get(path)
    assert form.status_code == 200
    assert 'value="Rita Reader"' in form.text
    response = await post_form(
        client,
        path,
        {
            "name": "Rita Reader-Nagy",
            "role": "admin",
            "custom_role_id": role.public_id,
            "language": "hu",
            "timezone": "Europe/Budapest",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{path}?done=saved"
    rita = await _agent(runtime, personas.sales_reader.email)
    assert (rita.name, rita.base_role, rita.role_id, rita.language, rita.timezone) == (
        "Rita Reader-Nagy",
        "admin",
        role.id,
        "hu",
        "Europe/Budapest",
    )
    shown = visible((await client.get(response.headers["location"])).text)
    assert "Saved." in shown
    assert "Rita Reader-Nagy" in shown

    # Removing the custom role again.
    values = {"name": "Rita", "role": "agent", "custom_role_id": "", "language": "en", "timezone": "UTC"}
    assert (await post_form(client, path, values)).status_code == 303
    rita = await _agent(runtime, personas.sales_reader.email)
    assert (rita.base_role, rita.role_id) == ("agent", None)


async def test_an_admin_may_not_make_an_owner(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    page = await client.get(f"/admin/agents/{personas.support_agent.public_id}")
    assert '<option value="owner"' not in page.text
    owner_page = await client.get(f"/admin/agents/{personas.owner.public_id}")
    assert "Only an owner changes an owner, and only an admin changes an admin." in visible(owner_page.text)
    response = await post_form(
        client,
        f"/admin/agents/{personas.support_agent.public_id}",
        {"name": "Sára", "role": "owner", "language": "cs", "timezone": "Europe/Prague"},
    )
    assert response.status_code == 403
    assert (await _agent(runtime, personas.support_agent.email)).base_role == BaseRole.AGENT.value


async def test_deactivating_reactivating_and_inviting_again(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    path = f"/admin/agents/{personas.sales_agent.public_id}"
    response = await post_form(client, f"{path}/deactivate")
    assert response.headers["location"] == f"{path}?done=deactivated"
    sandor = await _agent(runtime, personas.sales_agent.email)
    assert (sandor.is_active, sandor.deactivated_at is not None) == (False, True)
    page = visible((await client.get(response.headers["location"])).text)
    assert "The agent is deactivated: they are signed out and cannot sign in." in page
    assert "Reactivate" in page
    listed = visible((await client.get("/admin/agents?status=deactivated")).text)
    assert "Sándor Kovács sandor@linka.test Agent Sales (Solver) Deactivated" in listed
    assert "Sára Nováková" not in listed

    assert (await post_form(client, f"{path}/reactivate")).status_code == 303
    assert (await _agent(runtime, personas.sales_agent.email)).is_active

    # Someone who never chose a password is invited again; someone who did is refused.
    async with runtime.uow(ADMIN_CLI) as uow:
        invited = await accounts.create_agent(uow, email="ivo@linka.test", name="Ivo Invited")
    again = await post_form(client, f"/admin/agents/{invited.public_id}/invite")
    assert again.headers["location"] == f"/admin/agents/{invited.public_id}?done=invited"
    assert [
        m.kind for m in await rows(runtime.db, OutgoingMail, OutgoingMail.to_address == "ivo@linka.test")
    ] == ["invitation"]
    refused = await post_form(client, f"{path}/invite")
    assert refused.status_code == 409
    assert "this agent already has a password; they can reset it" in visible(refused.text)


async def test_the_last_owner_is_not_deactivated(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.owner)
    async with runtime.uow(ADMIN_CLI) as uow:
        other = await accounts.create_agent(
            uow,
            email="otto@linka.test",
            name="Otto Owner",
            password="another long password",
            role=BaseRole.OWNER,
        )
        await accounts.create_agent(uow, email="x@linka.test", name="X", role=BaseRole.AGENT)
    assert (await post_form(client, f"/admin/agents/{other.public_id}/deactivate")).status_code == 303
    # Olga, now the last active owner, has no button to deactivate herself, and the action refuses.
    own = await client.get(f"/admin/agents/{personas.owner.public_id}")
    assert "/deactivate" not in own.text
    refused = await post_form(client, f"/admin/agents/{personas.owner.public_id}/deactivate")
    assert refused.status_code == 409
    assert "the last active owner cannot be deactivated" in visible(refused.text)
    assert (await _agent(runtime, personas.owner.email)).is_active


async def test_the_list_takes_the_same_queries_however_many_agents(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    with counting_statements(runtime.db) as seen:
        assert (await client.get("/admin/agents")).status_code == 200
    before = seen.count
    async with runtime.uow(ADMIN_CLI) as uow:
        role = await accounts.create_role(uow, name="Helpers", permissions=["manage_contacts"])
        for n in range(5):
            agent = await accounts.create_agent(
                uow, email=f"extra{n}@linka.test", name=f"Extra {n}", custom_role_id=role.id
            )
            await accounts.set_membership(
                uow,
                department_id=personas.departments["support"],
                agent_id=agent.id,
                role=DepartmentRole.READER,
            )
    with counting_statements(runtime.db) as seen:
        page = await client.get("/admin/agents")
    assert "Extra 4 extra4@linka.test Agent · Helpers Support (Reader) Invited" in visible(page.text)
    assert seen.count == before == 6
