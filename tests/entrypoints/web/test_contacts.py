"""Contacts in the agent app: who sees which contact (as the domain decides), search and "load more",
a contact's page with their tickets, editing, merging and deleting, and the pinned query counts."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from linka.core.db import Database
from linka.core.permissions import Origin, system_actor
from linka.domains.contacts import actions as contacts_actions
from linka.domains.contacts.models import Contact, ContactEmail, ContactPhone
from linka.domains.fields import actions as fields_actions
from linka.domains.fields import queries as fields_queries
from linka.domains.tickets import actions as tickets_actions
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient
from tests.entrypoints.web.web_helpers import htmx_post, post_form, sign_in
from tests.entrypoints.web.web_helpers import text_of as tags_stripped
from tests.personas import Personas
from tests.query_counter import counting_statements

SYSTEM = system_actor(Origin.CLI)


def text_of(page: str) -> str:
    """What a person reads: tags stripped and character references resolved."""
    return html.unescape(tags_stripped(page))


async def _contact_row(db: Database, public_id: str) -> Contact | None:
    async with db.read_session() as session:
        return (
            await session.execute(select(Contact).where(Contact.public_id == public_id))
        ).scalar_one_or_none()


async def _emails(db: Database, contact_id: int) -> list[str]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(ContactEmail.email).where(ContactEmail.contact_id == contact_id).order_by(ContactEmail.id)
        )
        return list(rows.scalars())


async def _make_contacts(runtime: Runtime, count: int, *, prefix: str = "Zdeněk") -> list[str]:
    async with runtime.uow(SYSTEM) as uow:
        made = [
            await contacts_actions.create_contact(uow, name=f"{prefix} {n:03}", emails=[f"z{n}@bulk.test"])
            for n in range(count)
        ]
        return [contact.public_id for contact in made]


async def test_an_agent_lists_only_the_contacts_the_domain_lets_them_see(
    client: AppClient, personas: Personas
) -> None:
    await sign_in(client, personas.sales_agent)  # Hungarian, Sales
    response = await client.get("/contacts")
    assert response.status_code == 200
    text = text_of(response.text)
    assert "Hana Szabó" in text
    assert "hana@example.hu" in text
    assert "Eva Horváthová" in text
    assert "Acme s.r.o." in text
    assert "Karel Novák" not in text  # his only ticket is Support's
    assert "Petr Svoboda" not in text  # no tickets, created by the system
    assert '<html lang="hu">' in response.text
    assert "Kapcsolatok" in text  # the page title in Hungarian
    # Each row counts the tickets the agent may see: Hana has one.
    assert re.search(
        r"Hana Szabó</a></td>\s*<td>hana@example.hu</td>\s*<td></td>\s*<td[^>]*>1</td>", response.text
    )


async def test_a_sales_agent_cannot_open_a_support_only_contact(
    client: AppClient, personas: Personas
) -> None:
    await sign_in(client, personas.sales_agent)
    karel = personas.contact_public_ids["karel"]
    for path in (f"/contacts/{karel}", f"/contacts/{karel}/edit", f"/contacts/{karel}/merge"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "Karel" not in response.text
    changed = await post_form(client, f"/contacts/{karel}/edit", {"name": "Hijacked"})
    assert changed.status_code == 404
    # Hana (a Sales ticket) opens.
    assert (await client.get(f"/contacts/{personas.contact_public_ids['hana']}")).status_code == 200


async def test_the_contact_page_shows_details_and_the_tickets_the_agent_may_see(
    client: AppClient, personas: Personas, runtime: Runtime
) -> None:
    karel = personas.contacts["karel"]
    async with runtime.uow(SYSTEM) as uow:  # a second ticket of Karel's, in Sales
        await tickets_actions.create_ticket(
            uow, subject="Objednávka licencí", contact_id=karel, department_id=personas.departments["sales"]
        )
    await sign_in(client, personas.admin)
    response = await client.get(f"/contacts/{personas.contact_public_ids['karel']}")
    assert response.status_code == 200
    text = text_of(response.text)
    for shown in ("Karel Novák", "karel@acme.test", "+420 601 111 222", "Acme s.r.o.", "Čeština"):
        assert shown in text
    code = personas.ticket_codes["karel"]
    assert f'href="/tickets/{code}"' in response.text
    assert "Tiskárna nefunguje" in text
    assert "Objednávka licencí" in text

    # Sára works Support: she sees Karel and his Support ticket, not the Sales one.
    client.cookies.clear()
    await sign_in(client, personas.support_agent)
    response = await client.get(f"/contacts/{personas.contact_public_ids['karel']}")
    text = text_of(response.text)
    assert "Tiskárna nefunguje" in text
    assert "Objednávka licencí" not in text
    assert "Tikety" in text  # Czech: she reads the page in her language


async def test_search_finds_names_without_diacritics_and_emails(
    client: AppClient, personas: Personas
) -> None:
    await sign_in(client, personas.admin)
    found = text_of((await client.get("/contacts", params={"q": "horvathova"})).text)
    assert "Eva Horváthová" in found
    assert "Hana Szabó" not in found
    by_email = text_of((await client.get("/contacts", params={"q": "example.hu"})).text)
    assert "Hana Szabó" in by_email
    assert "Eva Horváthová" not in by_email
    nothing = text_of((await client.get("/contacts", params={"q": "nobody-like-this"})).text)
    assert "No contact matches “nobody-like-this”." in nothing


async def test_load_more_pages_through_the_contacts(
    client: AppClient, personas: Personas, runtime: Runtime
) -> None:
    made = await _make_contacts(runtime, 55)
    await sign_in(client, personas.admin)
    first = await client.get("/contacts")
    listed = set(re.findall(r'href="/contacts/(ct_[0-9a-z]+)"', first.text))
    assert len(listed) == 50
    more = re.search(r'hx-get="(/contacts\?[^"]+)"', first.text)
    assert more, "a load-more button"
    rest = await client.get(more.group(1).replace("&amp;", "&"), headers={"hx-request": "true"})
    assert rest.status_code == 200
    assert "<html" not in rest.text  # only the rows, appended in place
    second = set(re.findall(r'href="/contacts/(ct_[0-9a-z]+)"', rest.text))
    assert not listed & second
    assert listed | second == set(made) | set(personas.contact_public_ids.values())
    assert "hx-get" not in rest.text  # the last page has no further button
    # Without htmx the same link is a whole page (works as a plain link).
    plain = await client.get(more.group(1).replace("&amp;", "&"))
    assert "<html" in plain.text
    assert set(re.findall(r'href="/contacts/(ct_[0-9a-z]+)"', plain.text)) == second


async def test_query_counts_of_the_list_and_the_contact_page_do_not_grow(
    client: AppClient, personas: Personas, runtime: Runtime
) -> None:
    await sign_in(client, personas.sales_agent)
    hana = personas.contact_public_ids["hana"]
    with counting_statements(runtime.db) as seen_list:
        assert (await client.get("/contacts")).status_code == 200
    with counting_statements(runtime.db) as seen_detail:
        assert (await client.get(f"/contacts/{hana}")).status_code == 200
    # Session, agent, memberships; contacts, emails, phones, companies, custom fields, ticket counts.
    assert seen_list.count == 9
    # Session, agent, memberships; id, contact, emails, phones, field values, tickets, field definitions.
    assert seen_detail.count == 10

    # More contacts, phones and tickets the agent sees: the same number of statements.
    async with runtime.uow(SYSTEM) as uow:
        for n in range(12):
            contact = await contacts_actions.create_contact(
                uow, name=f"Kovács {n}", emails=[f"k{n}@more.test"], phones=["+36 1 234 5678"]
            )
            for subject in ("Első", "Második"):
                await tickets_actions.create_ticket(
                    uow, subject=subject, contact_id=contact.id, department_id=personas.departments["sales"]
                )
            await tickets_actions.create_ticket(
                uow,
                subject=f"Hana {n}",
                contact_id=personas.contacts["hana"],
                department_id=personas.departments["sales"],
            )
    with counting_statements(runtime.db) as seen_list_again:
        response = await client.get("/contacts")
    assert "Kovács 11" in text_of(response.text)
    with counting_statements(runtime.db) as seen_detail_again:
        response = await client.get(f"/contacts/{hana}")
    assert "Hana 11" in text_of(response.text)
    assert seen_list_again.count == seen_list.count
    assert seen_detail_again.count == seen_detail.count


async def test_editing_a_contact(client: AppClient, personas: Personas, db: Database) -> None:
    await sign_in(client, personas.admin)
    hana = personas.contact_public_ids["hana"]
    form = await client.get(f"/contacts/{hana}/edit")
    assert form.status_code == 200
    assert 'value="Hana Szabó"' in form.text
    response = await post_form(
        client,
        f"/contacts/{hana}/edit",
        {
            "name": "Hana Szabó-Kiss",
            "emails": "hana.kiss@example.hu\nhana@example.hu",
            "phones": "+36 30 123 4567",
            "language": "en",
            "company": personas.company_public_ids["acme"],
            "notes": "Prefers phone calls.",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/contacts/{hana}?saved=1"
    row = await _contact_row(db, hana)
    assert row is not None
    assert (row.name, row.language, row.company_id, row.notes) == (
        "Hana Szabó-Kiss",
        "en",
        personas.companies["acme"],
        "Prefers phone calls.",
    )
    assert await _emails(db, row.id) == ["hana@example.hu", "hana.kiss@example.hu"]
    async with db.read_session() as session:
        phones = list(
            (
                await session.execute(select(ContactPhone.phone).where(ContactPhone.contact_id == row.id))
            ).scalars()
        )
    assert phones == ["+36 30 123 4567"]
    page = text_of((await client.get(response.headers["location"])).text)
    assert "Saved." in page
    assert "Hana Szabó-Kiss" in page
    assert "Prefers phone calls." in page


async def test_a_refused_edit_shows_the_reason_next_to_the_field(
    client: AppClient, personas: Personas, db: Database
) -> None:
    await sign_in(client, personas.admin)
    hana = personas.contact_public_ids["hana"]
    response = await post_form(
        client,
        f"/contacts/{hana}/edit",
        {"name": "Hana", "emails": "not-an-email", "phones": "", "notes": ""},
    )
    assert response.status_code == 422
    text = text_of(response.text)
    assert "Some fields need attention." in text
    assert "'not-an-email' is not an email address" in text
    assert 'aria-invalid="true"' in response.text
    assert 'value="Hana"' in response.text  # what was typed stays
    row = await _contact_row(db, hana)
    assert row is not None
    assert row.name == "Hana Szabó"
    taken = await post_form(client, f"/contacts/{hana}/edit", {"name": "Hana", "emails": "karel@acme.test"})
    assert taken.status_code == 422
    assert "already the email of another contact" in text_of(taken.text)


async def test_an_agent_creates_a_contact_with_a_custom_field(
    client: AppClient, personas: Personas, runtime: Runtime, db: Database
) -> None:
    async with runtime.uow(SYSTEM) as uow:
        await fields_actions.create_field(
            uow,
            entity="contact",
            key="tier",
            label="Tier",
            kind="select",
            options=["gold", "silver"],
            translations={"cs": "Úroveň"},
        )
        await fields_actions.create_field(uow, entity="contact", key="vip", label="VIP", kind="checkbox")
    await sign_in(client, personas.support_agent)  # Czech
    form = await client.get("/contacts/new")
    assert form.status_code == 200
    assert "Úroveň" in text_of(form.text)
    bad = await post_form(client, "/contacts/new", {"name": "Nový", "field.tier": "platinum"})
    assert bad.status_code == 422
    assert "'platinum' is not an option" in text_of(bad.text)
    created = await post_form(
        client,
        "/contacts/new",
        {"name": "Jana Malá", "emails": "jana@mala.test", "field.tier": "gold", "field.vip": "true"},
    )
    assert created.status_code == 303
    public_id = created.headers["location"].split("/")[2].split("?")[0]
    row = await _contact_row(db, public_id)
    assert row is not None
    assert row.created_by_agent_id == personas.support_agent.id
    async with db.read_session() as session:
        values = await fields_queries.values_of(session, "contact", [row.id])
    assert values[row.id] == {"tier": "gold", "vip": True}
    # She created it, so she sees it, with its fields.
    page = text_of((await client.get(f"/contacts/{public_id}")).text)
    assert "Jana Malá" in page
    assert "gold" in page
    assert "Ano" in page


async def test_merging_another_contact_into_this_one(
    client: AppClient, personas: Personas, db: Database
) -> None:
    await sign_in(client, personas.admin)
    hana, petr = personas.contact_public_ids["hana"], personas.contact_public_ids["petr"]
    search = await client.get(f"/contacts/{hana}/merge", params={"q": "svoboda"})
    assert search.status_code == 200
    assert f"source={petr}" in search.text
    preview = await client.get(f"/contacts/{hana}/merge", params={"source": petr})
    text = text_of(preview.text)
    assert "What moves from Petr Svoboda to Hana Szabó" in text
    assert "petr@example.cz" in text
    merged = await post_form(client, f"/contacts/{hana}/merge", {"source": petr})
    assert merged.status_code == 303
    assert await _contact_row(db, petr) is None
    row = await _contact_row(db, hana)
    assert row is not None
    assert await _emails(db, row.id) == ["hana@example.hu", "petr@example.cz"]
    assert "The contacts are merged." in text_of((await client.get(merged.headers["location"])).text)


async def test_a_merge_is_refused_when_the_agent_may_not_see_every_ticket(
    client: AppClient, personas: Personas, runtime: Runtime, db: Database
) -> None:
    async with runtime.uow(SYSTEM) as uow:
        both = await contacts_actions.create_contact(uow, name="Ödön Both", emails=["odon@both.test"])
        for department in ("sales", "support"):
            await tickets_actions.create_ticket(
                uow,
                subject=f"Ödön {department}",
                contact_id=both.id,
                department_id=personas.departments[department],
            )
        odon = both.public_id
    await sign_in(client, personas.sales_agent)
    hana = personas.contact_public_ids["hana"]
    preview = await client.get(f"/contacts/{hana}/merge", params={"source": odon})
    assert preview.status_code == 200
    assert 'name="source"' not in preview.text  # no confirm button
    refused = await htmx_post(client, f"/contacts/{hana}/merge", {"source": odon})
    assert refused.status_code == 422
    assert await _contact_row(db, odon) is not None


async def test_deleting_a_contact_needs_manage_contacts_and_no_tickets(
    client: AppClient, personas: Personas, runtime: Runtime, db: Database
) -> None:
    [lonely] = await _make_contacts(runtime, 1, prefix="Osamělý")
    async with runtime.uow(SYSTEM) as uow:
        row = await _contact_row(db, lonely)
        assert row is not None
        await tickets_actions.create_ticket(
            uow,
            subject="Kdo to je?",
            contact_id=personas.contacts["hana"],
            department_id=personas.departments["sales"],
        )
    await sign_in(client, personas.sales_agent)
    hana = personas.contact_public_ids["hana"]
    page = await client.get(f"/contacts/{hana}")
    assert f"/contacts/{hana}/delete" not in page.text
    assert (await post_form(client, f"/contacts/{hana}/delete")).status_code == 404
    client.cookies.clear()

    await sign_in(client, personas.admin)
    refused = await post_form(client, f"/contacts/{hana}/delete")
    assert refused.status_code == 409
    assert "A contact with tickets cannot be deleted." in text_of(refused.text)
    assert await _contact_row(db, hana) is not None
    done = await post_form(client, f"/contacts/{lonely}/delete")
    assert done.status_code == 303
    assert await _contact_row(db, lonely) is None
    assert "The contact is deleted." in text_of((await client.get(done.headers["location"])).text)
