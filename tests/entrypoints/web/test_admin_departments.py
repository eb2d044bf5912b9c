"""Admin: departments and their members. Creating, renaming and deleting a department (refused while it
has members or tickets); adding a member with a department role and services, changing them inline
(htmx answers with the row) or as a plain form, removing them; and the list's queries."""

from __future__ import annotations

from linka.core.permissions import DepartmentRole
from linka.domains.accounts import actions as accounts
from linka.domains.accounts.models import Department, DepartmentMember
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient
from tests.entrypoints.web.admin_helpers import visible
from tests.entrypoints.web.web_helpers import htmx_post, post_form, sign_in
from tests.mail_helpers import ADMIN_CLI, rows
from tests.personas import Personas
from tests.query_counter import counting_statements


async def _membership(
    runtime: Runtime, department_id: int, agent_id: int
) -> tuple[str, bool, bool, bool] | None:
    found = await rows(
        runtime.db,
        DepartmentMember,
        DepartmentMember.department_id == department_id,
        DepartmentMember.agent_id == agent_id,
    )
    return (found[0].role, found[0].tickets, found[0].chats, found[0].calls) if found else None


async def test_creating_renaming_and_deleting_a_department(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    created = await post_form(client, "/admin/departments", {"name": "Billing", "description": "Invoices"})
    assert created.status_code == 303
    [billing] = await rows(runtime.db, Department, Department.name == "Billing")
    assert billing.description == "Invoices"
    path = f"/admin/departments/{billing.public_id}"
    assert created.headers["location"] == f"{path}?done=created"
    page = visible((await client.get(created.headers["location"])).text)
    assert "Created." in page
    assert "Nobody works in this department yet." in page

    renamed = await post_form(client, path, {"name": "Invoicing", "description": ""})
    assert renamed.headers["location"] == f"{path}?done=saved"
    [billing] = await rows(runtime.db, Department, Department.id == billing.id)
    assert (billing.name, billing.description) == ("Invoicing", "")
    listed = visible((await client.get("/admin/departments")).text)
    assert "Support" in listed
    assert "Invoicing" in listed

    taken = await post_form(client, path, {"name": "sales"})
    assert taken.status_code == 409
    assert '<p class="field-error" id="f-name-error">a department with this name exists</p>' in taken.text
    empty = await post_form(client, "/admin/departments", {"name": ""})
    assert empty.status_code == 422
    assert '<p class="field-error" id="f-name-error">must not be empty</p>' in empty.text

    refused = await post_form(client, f"/admin/departments/{personas.department_public_ids['sales']}/delete")
    assert refused.status_code == 409
    assert "the department still has 2 member(s); remove them first" in visible(refused.text)
    deleted = await post_form(client, f"{path}/delete")
    assert deleted.headers["location"] == "/admin/departments?done=deleted"
    assert {d.name for d in await rows(runtime.db, Department)} == {"Support", "Sales"}


async def test_adding_changing_and_removing_members(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    support = personas.departments["support"]
    path = f"/admin/departments/{personas.department_public_ids['support']}"
    page = visible((await client.get(path)).text)
    assert "Sára Nováková" in page
    assert "Viktor Dvořák" in page

    added = await post_form(
        client,
        f"{path}/members",
        {"agent_id": personas.sales_agent.public_id, "role": "manager", "tickets": "on", "calls": "on"},
    )
    assert added.headers["location"] == f"{path}?done=saved"
    assert await _membership(runtime, support, personas.sales_agent.id) == ("manager", True, False, True)

    # Inline with htmx: only the row comes back, saying it was saved.
    row = await htmx_post(
        client, f"{path}/members/{personas.sales_agent.public_id}", {"role": "reader", "chats": "on"}
    )
    assert row.status_code == 200
    assert row.text.lstrip().startswith(f'<tr id="row-{personas.sales_agent.public_id}"')
    assert "<html" not in row.text
    assert '<option value="reader" selected>' in row.text
    assert "Saved." in visible(row.text)
    assert await _membership(runtime, support, personas.sales_agent.id) == ("reader", False, True, False)

    # The same as a plain form.
    plain = await post_form(
        client, f"{path}/members/{personas.sales_agent.public_id}", {"role": "supervisor", "tickets": "on"}
    )
    assert plain.headers["location"] == f"{path}?done=saved"
    assert await _membership(runtime, support, personas.sales_agent.id) == ("supervisor", True, False, False)

    removed = await post_form(client, f"{path}/members/{personas.sales_agent.public_id}/remove")
    assert removed.status_code == 303
    assert await _membership(runtime, support, personas.sales_agent.id) is None
    assert await _membership(runtime, support, personas.support_agent.id) == ("solver", True, True, True)


async def test_adding_nobody_is_refused_next_to_the_field(client: AppClient, personas: Personas) -> None:
    await sign_in(client, personas.admin)
    path = f"/admin/departments/{personas.department_public_ids['support']}"
    response = await post_form(client, f"{path}/members", {"agent_id": "", "role": "solver"})
    assert response.status_code == 422
    assert '<p class="field-error" id="f-agent-id-error">choose an agent</p>' in response.text


async def test_pages_take_the_same_queries_however_many_departments_and_members(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    path = f"/admin/departments/{personas.department_public_ids['support']}"
    with counting_statements(runtime.db) as seen:
        assert (await client.get("/admin/departments")).status_code == 200
    list_before = seen.count
    with counting_statements(runtime.db) as seen:
        assert (await client.get(path)).status_code == 200
    page_before = seen.count
    async with runtime.uow(ADMIN_CLI) as uow:
        for n in range(4):
            await accounts.create_department(uow, name=f"Team {n}")
            agent = await accounts.create_agent(uow, email=f"member{n}@linka.test", name=f"Member {n}")
            await accounts.set_membership(
                uow,
                department_id=personas.departments["support"],
                agent_id=agent.id,
                role=DepartmentRole.SOLVER,
            )
    with counting_statements(runtime.db) as seen:
        listed = await client.get("/admin/departments")
    assert "Team 3" in visible(listed.text)
    assert seen.count == list_before == 4
    with counting_statements(runtime.db) as seen:
        page = await client.get(path)
    assert "Member 3" in visible(page.text)
    assert seen.count == page_before == 7
