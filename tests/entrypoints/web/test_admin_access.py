"""Who reaches the admin pages: a section a role may not use answers 404 (for every page and every form
of it) and is not offered in the navigation; a custom role sees exactly the sections it grants."""

from __future__ import annotations

import re

from linka.core.permissions import Origin
from linka.domains.accounts import queries as accounts_queries
from linka.domains.accounts.models import Agent, Department, Role
from linka.entrypoints.runtime import Runtime
from linka.entrypoints.web.navigation import navigation
from tests.conftest import AppClient
from tests.entrypoints.web.admin_helpers import AdminWorld, agent_with_permissions, build_world, visible
from tests.entrypoints.web.web_helpers import post_form, sign_in
from tests.mail_helpers import rows
from tests.personas import Person, Personas


def admin_pages(personas: Personas, world: AdminWorld) -> dict[str, list[str]]:
    """Every page (GET) and form (POST) of the admin area, by section."""
    agent = personas.sales_agent.public_id
    department = personas.department_public_ids["sales"]
    return {
        "agents": [
            "GET /admin/agents",
            "GET /admin/agents/new",
            "POST /admin/agents",
            f"GET /admin/agents/{agent}",
            f"POST /admin/agents/{agent}",
            f"POST /admin/agents/{agent}/deactivate",
            f"POST /admin/agents/{agent}/reactivate",
            f"POST /admin/agents/{agent}/invite",
        ],
        "roles": [
            "GET /admin/roles",
            "GET /admin/roles/new",
            "POST /admin/roles",
            f"GET /admin/roles/{world.role}",
            f"POST /admin/roles/{world.role}",
            f"POST /admin/roles/{world.role}/delete",
        ],
        "departments": [
            "GET /admin/departments",
            "GET /admin/departments/new",
            "POST /admin/departments",
            f"GET /admin/departments/{department}",
            f"POST /admin/departments/{department}",
            f"POST /admin/departments/{department}/delete",
            f"POST /admin/departments/{department}/members",
            f"POST /admin/departments/{department}/members/{agent}",
            f"POST /admin/departments/{department}/members/{agent}/remove",
        ],
        "fields": [
            "GET /admin/fields",
            "GET /admin/fields/new",
            "POST /admin/fields",
            f"GET /admin/fields/{world.field}",
            f"POST /admin/fields/{world.field}",
            f"POST /admin/fields/{world.field}/move",
            f"POST /admin/fields/{world.field}/delete",
        ],
        "statuses": [
            "GET /admin/statuses",
            "GET /admin/statuses/new",
            "POST /admin/statuses",
            f"GET /admin/statuses/{world.status}",
            f"POST /admin/statuses/{world.status}",
            f"POST /admin/statuses/{world.status}/delete",
        ],
        "mailboxes": [
            "GET /admin/mailboxes",
            "GET /admin/mailboxes/new",
            "POST /admin/mailboxes",
            f"GET /admin/mailboxes/{world.mailbox}",
            f"POST /admin/mailboxes/{world.mailbox}",
            f"POST /admin/mailboxes/{world.mailbox}/backfill",
            f"POST /admin/mailboxes/{world.mailbox}/delete",
            "GET /admin/dead-letters",
            f"GET /admin/dead-letters/{world.dead_letter}",
            f"GET /admin/dead-letters/{world.dead_letter}/raw",
            f"POST /admin/dead-letters/{world.dead_letter}/retry",
            f"POST /admin/dead-letters/{world.dead_letter}/discard",
            "GET /admin/outgoing-mail",
            f"POST /admin/outgoing-mail/{world.failed_mail}/retry",
        ],
        "settings": [
            "GET /admin/settings",
            "POST /admin/settings/workspace",
            "POST /admin/settings/security",
            "POST /admin/settings/tickets",
        ],
    }


async def _status(client: AppClient, page: str) -> int:
    method, path = page.split(" ", 1)
    response = await (client.get(path) if method == "GET" else post_form(client, path, {"name": "X"}))
    return int(response.status_code)


async def _nav_labels(runtime: Runtime, person: Person) -> list[str]:
    async with runtime.db.read_session() as session:
        agent = await session.get(Agent, person.id)
        assert agent is not None
        actor = await accounts_queries.build_actor(session, agent, origin=Origin.WEB)
    return [item.label for item in navigation(actor)]


async def test_a_plain_agent_finds_no_admin_page_and_no_link_to_one(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    world = await build_world(runtime, personas)
    await sign_in(client, personas.support_agent)
    answers = {
        page: await _status(client, page) for pages in admin_pages(personas, world).values() for page in pages
    }
    assert answers == dict.fromkeys(answers, 404)
    assert "Administration" not in await _nav_labels(runtime, personas.support_agent)
    # Nothing the forms would have changed did change.
    assert {d.name for d in await rows(runtime.db, Department)} == {"Support", "Sales"}
    assert [r.name for r in await rows(runtime.db, Role)] == ["Contact keepers"]
    [agent] = await rows(runtime.db, Agent, Agent.id == personas.sales_agent.id)
    assert agent.is_active


async def test_a_role_granting_only_departments_sees_only_departments(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    world = await build_world(runtime, personas)
    kamila = await agent_with_permissions(runtime, ["manage_departments"])
    await sign_in(client, kamila)
    assert "Administration" in await _nav_labels(runtime, kamila)

    page = await client.get("/admin/departments")
    assert page.status_code == 200
    # The sidebar's Administration link leads to the one section there is, the tab bar lists only it.
    assert '<a href="/admin/departments" aria-current="page">Administration</a>' in page.text
    tabs = page.text.split('class="tabs admin-tabs"', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'<a href="([^"]+)"', tabs) == ["/admin/departments"]
    assert visible(tabs).endswith("Departments")
    assert "Sales" in visible(page.text)

    pages = admin_pages(personas, world)
    for section, section_pages in pages.items():
        if section == "departments":
            continue
        for one in section_pages:
            assert await _status(client, one) == 404, one
