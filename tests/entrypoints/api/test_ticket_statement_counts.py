"""SQL statements of the ticket API's hot paths (the ones the load benchmark drives), pinned exactly: the
list as a solver and as an admin, search, a filtered list, one ticket, its thread, creating a ticket and
replying. Reads never grow with what they show (5 or 50 tickets, 2 or 20 thread entries, 0 or 5 tags).
A failing pin prints the statements: see whether the change meant them before updating the number."""

from __future__ import annotations

from typing import Any

from linka.core.clock import FrozenClock
from linka.core.permissions import Origin, system_actor
from linka.domains.mail.intake import take_in_mail
from linka.domains.tickets import actions, tag_actions, thread_actions
from linka.domains.tickets.statuses import Priority
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient, bearer
from tests.entrypoints.web.ticket_helpers import actor_of, customer_writes
from tests.mail_helpers import add_mailbox, build_mail
from tests.personas import Person, Personas
from tests.query_counter import Statements, counting_statements

SYSTEM = system_actor(Origin.SYSTEM)
API = "/api/v1"

# Every API request starts with the caller's API key joined to its agent, then the agent's departments.
AUTH = 2
# A page: the tickets; what they name (contact and its email, department, assignee, custom status,
# linked tickets' codes) in one joined statement; CCs; tags; custom field values.
SHOWN = 4
LIST_PAGE = AUTH + 1 + SHOWN
# A filtered page also resolves the department and the tag named in the query.
FILTERED_PAGE = LIST_PAGE + 2
# One ticket: found by code, checked visible, then shown as on a page.
TICKET_READ = AUTH + 2 + SHOWN
# A thread page: ticket and visibility, groups, messages, the customer and their emails, agent authors,
# the mails sent from the thread.
THREAD_PAGE = AUTH + 2 + 6
# POST /tickets with contact_email (as the load benchmark sends it): the department, the contact found by
# its address, the department checked, ticket and history inserted, custom field definitions; the answer
# (as on a page); the search document written before commit (the ticket with its contact's name, the
# emails, tags, messages, upsert).
CREATE = AUTH + 6 + SHOWN + 5
# A reply: the ticket and may-work check; the recipient's contact and emails, the CCs; group, ticket
# touched, message, history; the email thread, the mailbox the ticket came in to, the queued mail and its
# two history rows, the ticket's reply metrics, the group's Message-ID, the sender's draft dropped; the
# search document; the answer (messages, author, the mail). PostgreSQL inserts the two history rows at
# once (one statement fewer).
REPLY = {
    "sqlite": AUTH + 2 + 3 + 4 + 2 + 3 + 3 + 5 + 3,
    "postgresql": AUTH + 2 + 3 + 4 + 2 + 3 + 3 + 5 + 3 - 1,
}


async def _get(client: AppClient, runtime: Runtime, who: Person, url: str) -> tuple[Statements, Any]:
    with counting_statements(runtime.db) as seen:
        response = await client.get(url, headers=bearer(who))
    assert response.status_code == 200, response.text
    return seen, response.json()


async def _tagged_tickets(runtime: Runtime, personas: Personas, number: int, tag_name: str) -> str:
    """`number` urgent Support tickets (ahead of the personas' in importance order), each assigned to Sára,
    with a CC and a tag; the tag's public id."""
    async with runtime.uow(SYSTEM) as uow:
        tag = await tag_actions.create_tag(uow, name=tag_name)
        for n in range(number):
            ticket = await actions.create_ticket(
                uow,
                subject=f"Faktura {n}",
                contact_id=personas.contacts["petr"],
                department_id=personas.departments["support"],
                assignee_id=personas.support_agent.id,
                priority=Priority.URGENT,
            )
            await actions.update_ticket(uow, code=ticket.code, cc_contact_ids=[personas.contacts["karel"]])
            await tag_actions.tag_ticket(uow, code=ticket.code, tag_ids=[tag.id])
        return tag.public_id


async def test_a_list_page_costs_the_same_for_5_or_50_tickets_plain_searched_or_filtered(
    client: AppClient, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    tag = await _tagged_tickets(runtime, personas, 55, "Billing")
    sara, adam = personas.support_agent, personas.admin
    filters = f"tag={tag}&department={personas.department_public_ids['support']}&status=new"
    cases = [
        (sara, "", LIST_PAGE),
        (adam, "", LIST_PAGE),
        (sara, "q=faktura&", LIST_PAGE),  # relevance order
        (sara, f"{filters}&", FILTERED_PAGE),
    ]
    for who in (sara, adam):
        await client.get(f"{API}/tickets?limit=1", headers=bearer(who))  # the key's last use is written
    for who, query, expected in cases:
        for size in (5, 50):
            seen, page = await _get(client, runtime, who, f"{API}/tickets?{query}limit={size}")
            assert len(page["items"]) == size, (who.name, query)
            assert all(item["subject"].startswith("Faktura") for item in page["items"]), (who.name, query)
            assert seen.count == expected, f"{who.name} {query}{size}:\n" + "\n".join(seen.sql)


async def test_reading_a_ticket_costs_the_same_with_0_or_5_tags(
    client: AppClient, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    code = personas.ticket_codes["karel"]
    sara = personas.support_agent
    await client.get(f"{API}/tickets/{code}", headers=bearer(sara))
    untagged, ticket = await _get(client, runtime, sara, f"{API}/tickets/{code}")
    assert ticket["tags"] == []
    async with runtime.uow(SYSTEM) as uow:
        tags = [await tag_actions.create_tag(uow, name=f"Tag {n}") for n in range(5)]
        await tag_actions.tag_ticket(uow, code=code, tag_ids=[tag.id for tag in tags])
    tagged, ticket = await _get(client, runtime, sara, f"{API}/tickets/{code}")
    assert len(ticket["tags"]) == 5
    assert untagged.count == TICKET_READ, "\n".join(untagged.sql)
    assert tagged.count == TICKET_READ, "\n".join(tagged.sql)


async def _conversation(runtime: Runtime, personas: Personas, code: str, exchanges: int) -> None:
    """The customer writes and Sára answers by mail, `exchanges` times."""
    sara = await actor_of(runtime, personas.support_agent)
    for number in range(exchanges):
        await customer_writes(runtime, code, f"Dotaz {number}")
        async with runtime.uow(sara) as uow:
            await thread_actions.reply(uow, code=code, text=f"Odpověď {number}")


async def test_a_thread_page_costs_the_same_for_2_or_20_entries(
    client: AppClient, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    short = personas.ticket_codes["karel"]
    async with runtime.uow(SYSTEM) as uow:  # the same contact and department: only the thread differs
        long = (
            await actions.create_ticket(
                uow,
                subject="Druhý dotaz",
                contact_id=personas.contacts["karel"],
                department_id=personas.departments["support"],
            )
        ).code
    await _conversation(runtime, personas, short, 1)
    await _conversation(runtime, personas, long, 10)
    sara = personas.support_agent
    await client.get(f"{API}/tickets/{short}/thread", headers=bearer(sara))

    few, few_page = await _get(client, runtime, sara, f"{API}/tickets/{short}/thread?limit=50")
    many, many_page = await _get(client, runtime, sara, f"{API}/tickets/{long}/thread?limit=50")

    assert (len(few_page["items"]), len(many_page["items"])) == (2, 20)
    assert few.count == THREAD_PAGE, "\n".join(few.sql)
    assert many.count == THREAD_PAGE, "\n".join(many.sql)


async def test_creating_a_ticket_for_a_contact_by_email(
    client: AppClient, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    sara = personas.support_agent
    frozen_clock.advance(minutes=5)
    await client.get(f"{API}/tickets?limit=1", headers=bearer(sara))
    body = {
        "subject": "Tiskárna znovu nefunguje",
        "department": personas.department_public_ids["support"],
        "contact_email": "karel@acme.test",
    }
    with counting_statements(runtime.db) as seen:
        response = await client.post(f"{API}/tickets", json=body, headers=bearer(sara))
    assert response.status_code == 201, response.text
    assert response.json()["contact"]["id"] == personas.contact_public_ids["karel"]
    assert seen.count == CREATE, "\n".join(seen.sql)


async def test_replying_to_a_ticket_that_came_by_mail(
    client: AppClient, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    await add_mailbox(runtime, personas)
    raw = build_mail(sender="Karel Novák <karel@acme.test>", message_id="<dotaz@acme.test>")
    received = await take_in_mail(runtime, raw, source="smtp", recipients=["support@linka.test"])
    code = received.ticket_code
    sara = personas.support_agent
    frozen_clock.advance(minutes=5)  # a reply comes later than the mail: the ticket's times change
    await client.get(f"{API}/tickets?limit=1", headers=bearer(sara))
    with counting_statements(runtime.db) as seen:
        response = await client.post(
            f"{API}/tickets/{code}/replies", json={"text": "Zkuste ji restartovat."}, headers=bearer(sara)
        )
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "outgoing_email"
    assert seen.count == REPLY[runtime.db.dialect], "\n".join(seen.sql)
