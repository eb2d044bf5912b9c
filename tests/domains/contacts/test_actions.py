"""Contact and company actions through a real unit of work: validation, conflicts, merge, delete."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from linka.core.db import Database
from linka.core.errors import Conflict, Forbidden, Invalid, NotFound
from linka.core.history import HistoryEntry
from linka.core.permissions import SYSTEM, Scope
from linka.core.uow import unit_of_work
from linka.domains.contacts import actions, queries
from linka.domains.contacts.models import Contact, ContactEmail, ContactPhone
from linka.domains.tickets import actions as tickets_actions
from linka.domains.tickets.models import Ticket
from tests.domains.contacts.conftest import ActorOf
from tests.personas import Personas


async def _count(db: Database, model: type) -> int:
    async with db.read_session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def _view(db: Database, contact_id: int) -> queries.ContactView:
    async with db.read_session() as session:
        contact = await session.get(Contact, contact_id)
        assert contact is not None
        return await queries.contact_view(session, contact)


async def test_create_contact_normalises_and_joins_company_by_domain(
    db: Database, personas: Personas
) -> None:
    async with unit_of_work(db, SYSTEM) as uow:
        contact = await actions.create_contact(
            uow,
            name="  Jana   Dvořáková ",
            emails=[" Jana@ACME.test ", "jana@acme.test", "jana.private@example.cz"],
            phones=["+420  602 000 111"],
            language="cs",
        )
        other = await actions.create_contact(
            uow, name="Explicit", emails=["x@acme.test"], company_id=None, notes="no company"
        )
    view = await _view(db, contact.id)
    assert view.contact.name == "Jana Dvořáková"
    assert view.emails == ["jana@acme.test", "jana.private@example.cz"]
    assert view.phones == ["+420 602 000 111"]
    assert view.company == (personas.company_public_ids["acme"], "Acme s.r.o.")
    assert (await _view(db, other.id)).company is not None  # company_id None means "not given"
    # Personas were built the same way: Eva wrote "Eva@Acme.test".
    assert (await _view(db, personas.contacts["eva"])).emails == ["eva@acme.test"]
    assert (await _view(db, personas.contacts["hana"])).company is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "", "emails": []}, "name"),
        ({"name": "X", "emails": ["not-an-email"]}, "emails"),
        ({"name": "X", "phones": ["call me"]}, "phones"),
        ({"name": "X", "language": "de"}, "language"),
        ({"name": "X" * 201}, "name"),
        ({"name": "X", "notes": "a\x00b"}, "notes"),
        ({"name": "X", "company_id": 999_999}, "company_id"),
    ],
)
async def test_invalid_contact_names_the_field_and_writes_nothing(
    db: Database, personas: Personas, kwargs: dict[str, object], field: str
) -> None:
    before = await _count(db, Contact)
    with pytest.raises(Invalid) as raised:
        async with unit_of_work(db, SYSTEM) as uow:
            await actions.create_contact(uow, **kwargs)  # type: ignore[arg-type]
    assert field in raised.value.fields
    assert await _count(db, Contact) == before


async def test_duplicate_email_is_a_conflict_on_emails(db: Database, personas: Personas) -> None:
    before = (await _count(db, Contact), await _count(db, ContactEmail))
    with pytest.raises(Conflict) as raised:
        async with unit_of_work(db, SYSTEM) as uow:
            await actions.create_contact(uow, name="Copy", emails=["new@example.cz", "KAREL@acme.test"])
    assert "emails" in raised.value.fields
    assert "karel@acme.test" in raised.value.fields["emails"]
    assert (await _count(db, Contact), await _count(db, ContactEmail)) == before
    with pytest.raises(Conflict):
        async with unit_of_work(db, SYSTEM) as uow:
            await actions.update_contact(uow, contact_id=personas.contacts["hana"], emails=["eva@acme.test"])


async def test_update_replaces_emails_and_phones_and_keeps_history(
    db: Database, personas: Personas, actor_of: ActorOf
) -> None:
    support = await actor_of(personas.support_agent)
    karel = personas.contacts["karel"]
    async with unit_of_work(db, support) as uow:
        await actions.update_contact(
            uow,
            contact_id=karel,
            emails=["karel.novak@example.cz", "karel@acme.test"],
            phones=[],
            language=None,
            notes="prefers phone",
        )
    view = await _view(db, karel)
    assert view.emails == ["karel.novak@example.cz", "karel@acme.test"]
    assert view.phones == []
    assert view.contact.language is None
    assert view.contact.notes == "prefers phone"
    async with db.read_session() as session:
        assert [v.contact.id for v in (await queries.list_contacts(session, support, q="novak@")).items] == [
            karel
        ]
        entry = (
            (
                await session.execute(
                    select(HistoryEntry)
                    .where(HistoryEntry.entity_type == "contact", HistoryEntry.entity_id == karel)
                    .order_by(HistoryEntry.id.desc())
                )
            )
            .scalars()
            .first()
        )
    assert entry is not None
    assert entry.action == "updated"
    assert entry.actor_agent_id == personas.support_agent.id
    assert entry.before == {
        "emails": ["karel@acme.test"],
        "phones": ["+420 601 111 222"],
        "language": "cs",
        "notes": "",
    }
    # An agent cannot edit a contact they do not see: not found, not forbidden.
    with pytest.raises(NotFound):
        async with unit_of_work(db, support) as uow:
            await actions.update_contact(uow, contact_id=personas.contacts["eva"], name="Hacked")
    # A read-scope key changes nothing.
    reader = await actor_of(personas.support_agent, scopes=frozenset({Scope.READ}))
    with pytest.raises(Forbidden):
        async with unit_of_work(db, reader) as uow:
            await actions.update_contact(uow, contact_id=karel, name="Read only")


async def test_delete_contact_needs_permission_and_no_tickets(
    db: Database, personas: Personas, actor_of: ActorOf
) -> None:
    admin = await actor_of(personas.admin)
    support = await actor_of(personas.support_agent)
    async with unit_of_work(db, support) as uow:
        mine = await actions.create_contact(uow, name="Mine", emails=["mine@example.cz"])
    with pytest.raises(Forbidden):
        async with unit_of_work(db, support) as uow:
            await actions.delete_contact(uow, contact_id=mine.id)
    with pytest.raises(Conflict) as raised:
        async with unit_of_work(db, admin) as uow:
            await actions.delete_contact(uow, contact_id=personas.contacts["karel"])
    assert "1 ticket" in raised.value.message
    async with unit_of_work(db, admin) as uow:
        await actions.delete_contact(uow, contact_id=mine.id)
    async with db.read_session() as session:
        assert await session.get(Contact, mine.id) is None
        assert (
            await session.execute(select(ContactEmail).where(ContactEmail.email == "mine@example.cz"))
        ).first() is None


async def test_merge_moves_everything_exactly_once(
    db: Database, personas: Personas, actor_of: ActorOf
) -> None:
    admin = await actor_of(personas.admin)
    hana, eva = personas.contacts["hana"], personas.contacts["eva"]
    async with unit_of_work(db, admin) as uow:
        await actions.update_contact(
            uow, contact_id=hana, phones=["+36 30 123 4567", "+36 1 000 0000"], notes="VIP"
        )
        await actions.update_contact(uow, contact_id=eva, phones=["+36 1 000 0000"], notes="Acme buyer")
        await tickets_actions.create_ticket(
            uow, subject="Second", contact_id=hana, department_id=personas.departments["support"]
        )
    async with db.read_session() as session:
        tickets_before = set(
            (await session.execute(select(Ticket.id).where(Ticket.contact_id.in_([hana, eva])))).scalars()
        )
    emails_total = await _count(db, ContactEmail)

    async with unit_of_work(db, admin) as uow:
        target = await actions.merge_contacts(uow, source_id=hana, target_id=eva)
    assert target.id == eva
    view = await _view(db, eva)
    assert view.emails == ["eva@acme.test", "hana@example.hu"]
    assert sorted(view.phones) == sorted(["+36 1 000 0000", "+36 30 123 4567"])
    assert view.contact.notes == "Acme buyer\n\nVIP"
    assert view.contact.language == "hu"  # Eva had none
    assert view.company is not None  # Eva keeps Acme
    assert await _count(db, ContactEmail) == emails_total
    async with db.read_session() as session:
        assert await session.get(Contact, hana) is None
        moved = list((await session.execute(select(Ticket.id).where(Ticket.contact_id == eva))).scalars())
        assert sorted(moved) == sorted(tickets_before)
        assert len(moved) == len(set(moved)) == 3
        phones = list(
            (
                await session.execute(select(ContactPhone.phone).where(ContactPhone.contact_id == eva))
            ).scalars()
        )
        assert len(phones) == len(set(phones)) == 2
        actions_logged = {
            (entry.entity_id, entry.action)
            for entry in (
                await session.execute(select(HistoryEntry).where(HistoryEntry.entity_type == "contact"))
            ).scalars()
        }
        assert {(hana, "merged_into"), (eva, "merged")} <= actions_logged
        # The search text follows the emails.
        assert [v.contact.id for v in (await queries.list_contacts(session, admin, q="hana@")).items] == [eva]


async def test_merge_refusals(db: Database, personas: Personas, actor_of: ActorOf) -> None:
    admin = await actor_of(personas.admin)
    with pytest.raises(Invalid) as raised:
        async with unit_of_work(db, admin) as uow:
            await actions.merge_contacts(
                uow, source_id=personas.contacts["eva"], target_id=personas.contacts["eva"]
            )
    assert "into" in raised.value.fields
    sales = await actor_of(personas.sales_agent)
    # Karel is invisible to the Sales agent: not found.
    with pytest.raises(NotFound):
        async with unit_of_work(db, sales) as uow:
            await actions.merge_contacts(
                uow, source_id=personas.contacts["karel"], target_id=personas.contacts["eva"]
            )
    # Karel gains a Sales ticket: visible to Sales now, but his Support ticket is not, so no merge.
    async with unit_of_work(db, SYSTEM) as uow:
        await tickets_actions.create_ticket(
            uow,
            subject="Upgrade",
            contact_id=personas.contacts["karel"],
            department_id=personas.departments["sales"],
        )
    with pytest.raises(Forbidden):
        async with unit_of_work(db, sales) as uow:
            await actions.merge_contacts(
                uow, source_id=personas.contacts["karel"], target_id=personas.contacts["eva"]
            )
    # Hana's tickets are all Sales: the Sales agent may merge her.
    async with unit_of_work(db, sales) as uow:
        await actions.merge_contacts(
            uow, source_id=personas.contacts["hana"], target_id=personas.contacts["eva"]
        )


async def test_companies(db: Database, personas: Personas, actor_of: ActorOf) -> None:
    admin = await actor_of(personas.admin)
    support = await actor_of(personas.support_agent)
    with pytest.raises(Forbidden):
        async with unit_of_work(db, support) as uow:
            await actions.create_company(uow, name="Agent Corp")
    with pytest.raises(Conflict) as raised:
        async with unit_of_work(db, admin) as uow:
            await actions.create_company(uow, name="Copycat", domains=["@ACME.test"])
    assert "domains" in raised.value.fields
    with pytest.raises(Invalid) as invalid:
        async with unit_of_work(db, admin) as uow:
            await actions.create_company(uow, name="Bad", domains=["not a domain"])
    assert "domains" in invalid.value.fields
    acme = personas.companies["acme"]
    async with unit_of_work(db, admin) as uow:
        company = await actions.update_company(
            uow, company_id=acme, domains=["acme.test", "acme.cz"], name="ACME"
        )
        assert company.name == "ACME"
        newcomer = await actions.create_contact(uow, name="New", emails=["new@acme.cz"])
    assert newcomer.company_id == acme
    async with unit_of_work(db, admin) as uow:
        await actions.delete_company(uow, company_id=acme)
    async with db.read_session() as session:
        members = (
            await session.execute(
                select(Contact.company_id).where(Contact.id.in_([personas.contacts["karel"], newcomer.id]))
            )
        ).scalars()
        assert list(members) == [None, None]
    async with unit_of_work(db, admin) as uow:
        orphan = await actions.create_contact(uow, name="Later", emails=["later@acme.test"])
    assert orphan.company_id is None  # the domain left with the company


async def test_create_ticket_rules(db: Database, personas: Personas, actor_of: ActorOf) -> None:
    reader = await actor_of(personas.sales_reader)
    support = await actor_of(personas.support_agent)
    sales, support_dept = personas.departments["sales"], personas.departments["support"]
    with pytest.raises(Forbidden):
        async with unit_of_work(db, reader) as uow:
            await tickets_actions.create_ticket(
                uow, subject="x", contact_id=personas.contacts["eva"], department_id=sales
            )
    with pytest.raises(Forbidden):
        async with unit_of_work(db, support) as uow:
            await tickets_actions.create_ticket(
                uow, subject="x", contact_id=personas.contacts["karel"], department_id=sales
            )
    with pytest.raises(Invalid) as invisible:
        async with unit_of_work(db, support) as uow:
            await tickets_actions.create_ticket(
                uow, subject="x", contact_id=personas.contacts["eva"], department_id=support_dept
            )
    assert "contact_id" in invisible.value.fields
    admin = await actor_of(personas.admin)
    with pytest.raises(Invalid) as not_solver:
        async with unit_of_work(db, admin) as uow:
            await tickets_actions.create_ticket(
                uow,
                subject="x",
                contact_id=personas.contacts["eva"],
                department_id=sales,
                assignee_id=personas.sales_reader.id,
            )
    assert "assignee_id" in not_solver.value.fields
    async with unit_of_work(db, support) as uow:
        ticket = await tickets_actions.create_ticket(
            uow,
            subject="  Printer   again ",
            contact_id=personas.contacts["karel"],
            department_id=support_dept,
            assignee_id=personas.support_agent.id,
        )
    assert ticket.subject == "Printer again"
    assert ticket.status == "new"
    assert len(ticket.code) == 11
    assert uow.events[0].name == "ticket.created"
