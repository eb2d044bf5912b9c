"""Companies in the agent app: seen through the contacts an agent may see, search, a company's page with
its contacts and their tickets, and creating, editing and deleting for those who manage contacts."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from linka.core.db import Database
from linka.core.permissions import Origin, system_actor
from linka.domains.contacts import actions as contacts_actions
from linka.domains.contacts.models import Company, CompanyDomain, Contact
from linka.domains.tickets import actions as tickets_actions
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient
from tests.entrypoints.web.web_helpers import post_form, sign_in
from tests.entrypoints.web.web_helpers import text_of as tags_stripped
from tests.personas import Personas
from tests.query_counter import counting_statements

SYSTEM = system_actor(Origin.CLI)


def text_of(page: str) -> str:
    return html.unescape(tags_stripped(page))


async def _company(db: Database, name: str) -> Company | None:
    async with db.read_session() as session:
        return (await session.execute(select(Company).where(Company.name == name))).scalar_one_or_none()


async def _domains(db: Database, company_id: int) -> list[str]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(CompanyDomain.domain)
            .where(CompanyDomain.company_id == company_id)
            .order_by(CompanyDomain.domain)
        )
        return list(rows.scalars())


async def test_the_list_shows_companies_through_visible_contacts(
    client: AppClient, personas: Personas, runtime: Runtime
) -> None:
    async with runtime.uow(SYSTEM) as uow:
        await contacts_actions.create_company(uow, name="Globex a.s.", domains=["globex.test"])
    await sign_in(client, personas.sales_agent)
    response = await client.get("/companies")
    assert response.status_code == 200
    text = text_of(response.text)
    assert "Acme s.r.o." in text
    assert "acme.test" in text
    assert "Globex a.s." not in text  # none of its contacts is hers to see
    assert "/companies/new" not in response.text  # creating companies needs manage_contacts
    client.cookies.clear()

    await sign_in(client, personas.admin)
    text = text_of((await client.get("/companies")).text)
    assert "Globex a.s." in text
    assert "Acme s.r.o." in text
    found = text_of((await client.get("/companies", params={"q": "GLOB"})).text)
    assert "Globex a.s." in found
    assert "Acme s.r.o." not in found
    by_domain = text_of((await client.get("/companies", params={"q": "acme.te"})).text)
    assert "Acme s.r.o." in by_domain
    assert "Globex a.s." not in by_domain


async def test_a_company_page_shows_only_the_contacts_and_tickets_the_agent_may_see(
    client: AppClient, personas: Personas
) -> None:
    acme = personas.company_public_ids["acme"]
    await sign_in(client, personas.sales_agent)  # sees Eva (Sales ticket), not Karel (Support)
    response = await client.get(f"/companies/{acme}")
    assert response.status_code == 200
    text = text_of(response.text)
    assert "Eva Horváthová" in text
    assert "Quote for 20 seats" in text
    assert "Karel Novák" not in text
    assert "Tiskárna nefunguje" not in text
    assert f'href="/tickets/{personas.ticket_codes["eva"]}"' in response.text
    assert f"/contacts/new?company={acme}" in response.text
    assert f"/companies/{acme}/edit" not in response.text
    client.cookies.clear()

    await sign_in(client, personas.admin)
    text = text_of((await client.get(f"/companies/{acme}")).text)
    assert "Karel Novák" in text
    assert "Tiskárna nefunguje" in text


async def test_an_invisible_company_is_not_found(
    client: AppClient, personas: Personas, runtime: Runtime
) -> None:
    async with runtime.uow(SYSTEM) as uow:
        globex = (await contacts_actions.create_company(uow, name="Globex a.s.")).public_id
    await sign_in(client, personas.support_agent)
    assert (await client.get(f"/companies/{globex}")).status_code == 404
    # Pages for changing companies are not there for an agent without manage_contacts.
    acme = personas.company_public_ids["acme"]
    for path in ("/companies/new", f"/companies/{acme}/edit"):
        assert (await client.get(path)).status_code == 404, path
    assert (await post_form(client, "/companies/new", {"name": "Sneaky"})).status_code == 404
    assert (await post_form(client, f"/companies/{acme}/delete")).status_code == 404


async def test_creating_editing_and_deleting_a_company(
    client: AppClient, personas: Personas, db: Database
) -> None:
    await sign_in(client, personas.admin)
    refused = await post_form(client, "/companies/new", {"name": "Initech", "domains": "acme.test"})
    assert refused.status_code == 422
    assert "already a domain of another company: acme.test" in text_of(refused.text)
    assert await _company(db, "Initech") is None

    created = await post_form(
        client,
        "/companies/new",
        {"name": "Initech", "domains": "initech.test\n@Initech.cz", "notes": "Reseller."},
    )
    assert created.status_code == 303
    company = await _company(db, "Initech")
    assert company is not None
    assert company.notes == "Reseller."
    assert await _domains(db, company.id) == ["initech.cz", "initech.test"]
    assert created.headers["location"] == f"/companies/{company.public_id}?saved=1"

    edited = await post_form(
        client,
        f"/companies/{company.public_id}/edit",
        {"name": "Initech Ltd", "domains": "initech.test", "notes": ""},
    )
    assert edited.status_code == 303
    assert await _company(db, "Initech Ltd") is not None
    assert await _domains(db, company.id) == ["initech.test"]

    # A new contact with an email at its domain joins it; deleting the company keeps the contact.
    new_contact = await post_form(
        client, "/contacts/new", {"name": "Milton", "emails": "milton@initech.test", "company": ""}
    )
    assert new_contact.status_code == 303
    page = text_of((await client.get(f"/companies/{company.public_id}")).text)
    assert "Milton" in page
    deleted = await post_form(client, f"/companies/{company.public_id}/delete")
    assert deleted.status_code == 303
    assert await _company(db, "Initech Ltd") is None
    async with db.read_session() as session:
        milton = (await session.execute(select(Contact).where(Contact.name == "Milton"))).scalar_one()
    assert milton.company_id is None


async def test_query_counts_of_the_company_pages_do_not_grow(
    client: AppClient, personas: Personas, runtime: Runtime
) -> None:
    acme = personas.company_public_ids["acme"]
    await sign_in(client, personas.sales_agent)
    with counting_statements(runtime.db) as listed:
        assert (await client.get("/companies")).status_code == 200
    with counting_statements(runtime.db) as detailed:
        assert (await client.get(f"/companies/{acme}")).status_code == 200
    async with runtime.uow(SYSTEM) as uow:
        for n in range(8):
            company = await contacts_actions.create_company(
                uow, name=f"Firma {n}", domains=[f"firma{n}.test"]
            )
            contact = await contacts_actions.create_contact(
                uow, name=f"Acme {n}", emails=[f"p{n}@acme.test"], phones=["+420 777 000 111"]
            )
            other = await contacts_actions.create_contact(
                uow, name=f"Firma {n} kontakt", company_id=company.id
            )
            for someone in (contact, other):
                await tickets_actions.create_ticket(
                    uow,
                    subject=f"Dotaz {n}",
                    contact_id=someone.id,
                    department_id=personas.departments["sales"],
                )
    with counting_statements(runtime.db) as listed_again:
        response = await client.get("/companies")
    assert "Firma 7" in text_of(response.text)
    with counting_statements(runtime.db) as detailed_again:
        response = await client.get(f"/companies/{acme}")
    assert "Acme 7" in text_of(response.text)
    assert len(re.findall(r"Dotaz \d", text_of(response.text))) == 8
    assert (listed.count, detailed.count) == (6, 14)
    assert (listed_again.count, detailed_again.count) == (listed.count, detailed.count)
