"""The inbox page: views, filters, search, status counts, unread marks, bulk actions, saved views and
the next-ticket button, each as the agent sees it and as the database holds it."""

from __future__ import annotations

from sqlalchemy import select

from linka.core.permissions import Origin, system_actor
from linka.domains.tickets import actions, read_actions, thread_actions
from linka.domains.tickets.models import SavedView, Ticket
from linka.domains.tickets.statuses import Priority
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient
from tests.entrypoints.web.web_helpers import htmx_post, post_form, sign_in, text_of
from tests.outbound_mail import actor_for
from tests.personas import Personas
from tests.query_counter import Statements, counting_statements

SYSTEM = system_actor(Origin.SYSTEM)


async def _ticket(runtime: Runtime, code: str) -> Ticket:
    async with runtime.db.read_session() as session:
        return (await session.execute(select(Ticket).where(Ticket.code == code))).scalar_one()


async def test_an_agent_sees_their_departments_tickets_with_counts(
    client: AppClient, personas: Personas
) -> None:
    await sign_in(client, personas.sales_agent)
    page = await client.get("/tickets?view=active")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Quote for 20 seats" in text
    assert "Számla kérdés" in text
    assert "Tiskárna nefunguje" not in text  # a Support ticket
    assert '<html lang="hu">' in page.text  # Sándor works in Hungarian
    assert 'data-status-count="new">2<' in page.text


async def test_the_default_view_is_my_tickets(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    agent = await actor_for(runtime.db, personas.support_agent)
    async with runtime.uow(agent) as uow:
        await actions.update_ticket(uow, code=personas.ticket_codes["karel"], priority=Priority.URGENT)
    await sign_in(client, personas.support_agent)
    mine = text_of((await client.get("/tickets")).text)
    assert "Tiskárna nefunguje" not in mine  # not assigned to her yet
    assert "Žádné tikety." in mine
    active = (await client.get("/tickets?view=active")).text
    assert "Tiskárna nefunguje" in text_of(active)
    assert 'class="priority-urgent"' in active


async def test_filters_and_search_narrow_the_list(client: AppClient, personas: Personas) -> None:
    await sign_in(client, personas.admin)
    by_department = text_of(
        (await client.get(f"/tickets?department={personas.department_public_ids['sales']}")).text
    )
    assert "Quote for 20 seats" in by_department
    assert "Tiskárna nefunguje" not in by_department
    searched = text_of((await client.get("/tickets?q=tiskarna")).text)  # diacritics need not be typed
    assert "Tiskárna nefunguje" in searched
    assert "Quote for 20 seats" not in searched
    bad = await client.get("/tickets?priority=whenever")
    assert bad.status_code == 422
    assert "This filter cannot be used" in text_of(bad.text)


async def test_an_htmx_refresh_returns_only_the_list_and_keeps_ticked_rows(
    client: AppClient, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    code = personas.ticket_codes["eva"]
    fragment = await client.get(f"/tickets?view=active&codes={code}", headers={"hx-request": "true"})
    assert fragment.text.lstrip().startswith('<form id="ticket-list"')
    assert f'value="{code}" checked' in fragment.text
    assert 'id="status-counts" hx-swap-oob="true"' in fragment.text


async def test_unread_marks_follow_what_the_agent_opened(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    code = personas.ticket_codes["karel"]
    agent = await actor_for(runtime.db, personas.support_agent)
    async with runtime.uow(agent) as uow:
        await read_actions.mark_ticket_read(uow, code=code)
    await sign_in(client, personas.support_agent)
    page = (await client.get("/tickets?view=active")).text
    assert f'<tr data-code="{code}" class="">' in page
    async with runtime.uow(SYSTEM) as uow:
        await thread_actions.add_customer_message(uow, code=code, text="Ještě jedna věc.")
    page = (await client.get("/tickets?view=active")).text
    assert f'<tr data-code="{code}" class="unread">' in page


async def test_bulk_actions_change_each_ticked_ticket_and_report_refusals(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.sales_agent)
    eva, hana, karel = (personas.ticket_codes[name] for name in ("eva", "hana", "karel"))
    response = await htmx_post(
        client,
        "/tickets/bulk",
        {"codes": [eva, hana, karel], "action": "priority:urgent", "back": "view=active"},
    )
    assert response.status_code == 200
    text = text_of(response.text)
    assert "2 jegy módosult." in text
    assert f"1 jegyet nem sikerült módosítani: {karel}" in text  # Karel's is a Support ticket
    assert (await _ticket(runtime, eva)).priority == Priority.URGENT
    assert (await _ticket(runtime, hana)).priority == Priority.URGENT
    assert (await _ticket(runtime, karel)).priority == Priority.NORMAL

    plain = await post_form(
        client, "/tickets/bulk", {"codes": [eva], "action": "assign_me", "back": "view=mine"}
    )
    assert plain.status_code == 303
    assert plain.headers["location"] == "/tickets?view=mine"
    assert (await _ticket(runtime, eva)).assignee_id == personas.sales_agent.id


async def test_saving_the_filters_as_a_view(client: AppClient, runtime: Runtime, personas: Personas) -> None:
    await sign_in(client, personas.support_agent)
    response = await post_form(
        client, "/tickets/views", {"name": "Naléhavé", "query": "priority=urgent&status=new"}
    )
    assert response.status_code == 303
    async with runtime.db.read_session() as session:
        view = (await session.execute(select(SavedView).where(SavedView.name == "Naléhavé"))).scalar_one()
    assert view.filters == {"priority": "urgent", "status": "new"}
    assert response.headers["location"] == f"/tickets?view={view.public_id}"
    page = await client.get(response.headers["location"])
    assert "Naléhavé" in text_of(page.text)


async def test_next_ticket_hands_over_the_most_important_one(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.support_agent)
    response = await post_form(client, "/tickets/next")
    code = personas.ticket_codes["karel"]
    assert response.headers["location"] == f"/tickets/{code}"
    assert (await _ticket(runtime, code)).assignee_id == personas.support_agent.id
    empty = await post_form(client, "/tickets/next")
    assert empty.headers["location"] == "/tickets?view=mine&nothing_next=1"
    page = await client.get(empty.headers["location"])
    assert "Právě na vás nečeká žádný tiket." in text_of(page.text)


async def test_the_inbox_renders_from_a_fixed_number_of_queries(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    with counting_statements(runtime.db) as few:
        assert (await client.get("/tickets?view=active")).status_code == 200
    async with runtime.uow(SYSTEM) as uow:
        for number in range(12):
            await actions.create_ticket(
                uow,
                subject=f"More work {number}",
                contact_id=personas.contacts["petr"],
                department_id=personas.departments["support"],
            )
    with counting_statements(runtime.db) as many:
        page = await client.get("/tickets?view=active")
    assert "More work 11" in text_of(page.text)
    assert many.count == few.count
    assert few.count <= 14, few.sql


# The agent's default inbox (her tickets): session, agent and departments; the page, the counts per
# status, saved views, departments for the filters; the rows' names (contact and email, department,
# assignee) in one statement, tags, the agent's read marks.
DEFAULT_INBOX_STATEMENTS = 3 + 4 + 3


async def test_the_agents_default_inbox_costs_the_same_for_5_or_50_tickets(
    client: AppClient, runtime: Runtime, personas: Personas
) -> None:
    async def assign_to_sara(number: int) -> None:
        async with runtime.uow(SYSTEM) as uow:
            for n in range(number):
                await actions.create_ticket(
                    uow,
                    subject=f"Her work {n}",
                    contact_id=personas.contacts["petr"],
                    department_id=personas.departments["support"],
                    assignee_id=personas.support_agent.id,
                )

    await sign_in(client, personas.support_agent)
    seen: dict[int, Statements] = {}
    for number, more in ((5, 5), (50, 45)):
        await assign_to_sara(more)
        with counting_statements(runtime.db) as seen[number]:
            page = await client.get("/tickets")
        assert page.status_code == 200
        assert page.text.count('data-code="') == number, page.text[:2000]
    for number, statements in seen.items():
        assert statements.count == DEFAULT_INBOX_STATEMENTS, f"{number}:\n" + "\n".join(statements.sql)
