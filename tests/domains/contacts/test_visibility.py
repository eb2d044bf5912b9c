"""Who sees which contact, company and ticket: the same rule in lists, details, searches and counts."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import event, func, select

from linka.core.db import Database
from linka.core.errors import NotFound
from linka.core.permissions import SYSTEM, Origin, Permission, system_actor
from linka.core.uow import unit_of_work
from linka.domains.contacts import actions, queries
from linka.domains.tickets import actions as tickets_actions
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.queries import visible_ticket_condition, workable_ticket_condition
from tests.domains.contacts.conftest import ActorOf
from tests.personas import Personas

ALL = {"karel", "eva", "hana", "petr"}


async def _visible_names(db: Database, personas: Personas, actor: object) -> set[str]:
    by_id = {contact_id: name for name, contact_id in personas.contacts.items()}
    async with db.read_session() as session:
        page = await queries.list_contacts(session, actor, limit=100)  # type: ignore[arg-type]
        count = await queries.count_contacts(session, actor)  # type: ignore[arg-type]
    names = {by_id[view.contact.id] for view in page.items if view.contact.id in by_id}
    assert count == len(page.items)
    return names


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("owner", ALL),
        ("admin", ALL),
        ("support_agent", {"karel"}),
        ("support_supervisor", {"karel"}),
        ("sales_agent", {"eva", "hana"}),
        ("sales_reader", {"eva", "hana"}),
    ],
)
async def test_contacts_visible_by_their_tickets(
    db: Database, personas: Personas, actor_of: ActorOf, who: str, expected: set[str]
) -> None:
    actor = await actor_of(getattr(personas, who))
    assert await _visible_names(db, personas, actor) == expected
    async with db.read_session() as session:
        for name, contact_id in personas.contacts.items():
            if name in expected:
                assert (await queries.visible_contact(session, actor, contact_id)).id == contact_id
            else:
                with pytest.raises(NotFound):
                    await queries.visible_contact(session, actor, contact_id)
                with pytest.raises(NotFound):
                    await queries.contact_id_of(session, actor, personas.contact_public_ids[name])


async def test_agent_sees_what_they_created_and_what_is_assigned_to_them(
    db: Database, personas: Personas, actor_of: ActorOf
) -> None:
    support = await actor_of(personas.support_agent)
    async with unit_of_work(db, support) as uow:
        mine = await actions.create_contact(uow, name="Walk-in", phones=["+420 777 000 111"])
    assert await _visible_names(db, personas, support) == {"karel"}
    async with db.read_session() as session:
        assert (
            await queries.visible_contact(session, support, mine.id)
        ).created_by_agent_id == support.agent_id
        # Another Support agent did not create it and it has no tickets: invisible to them.
        supervisor = await actor_of(personas.support_supervisor)
        assert not await queries.contact_is_visible(session, supervisor, mine.id)

    # A Sales ticket assigned to the Support agent makes its contact (Petr) visible to her.
    async with unit_of_work(db, SYSTEM) as uow:
        await tickets_actions.create_ticket(
            uow,
            subject="Escalated",
            contact_id=personas.contacts["petr"],
            department_id=personas.departments["sales"],
            assignee_id=None,
        )
    assert "petr" in await _visible_names(db, personas, await actor_of(personas.sales_reader))
    assert "petr" not in await _visible_names(db, personas, support)
    async with db.read_session() as session:
        ticket = (
            await session.execute(select(Ticket).where(Ticket.contact_id == personas.contacts["petr"]))
        ).scalar_one()
    async with unit_of_work(db, SYSTEM) as uow:
        (await uow.session.get(Ticket, ticket.id)).assignee_id = support.agent_id  # type: ignore[union-attr]
    assert await _visible_names(db, personas, support) == {"karel", "petr"}


async def test_ticket_conditions(db: Database, personas: Personas, actor_of: ActorOf) -> None:
    async def count(actor: object, workable: bool = False) -> int:
        condition = workable_ticket_condition if workable else visible_ticket_condition
        async with db.read_session() as session:
            query = select(func.count()).select_from(Ticket).where(condition(actor))  # type: ignore[arg-type]
            return int((await session.execute(query)).scalar_one())

    assert await count(await actor_of(personas.admin)) == 3
    assert await count(system_actor(Origin.CLI)) == 3
    assert await count(await actor_of(personas.support_agent)) == 1
    assert await count(await actor_of(personas.sales_reader)) == 2
    assert await count(await actor_of(personas.sales_reader), workable=True) == 0
    assert await count(await actor_of(personas.sales_agent), workable=True) == 2
    # Negated, the condition counts exactly the rest (unassigned tickets included: NULL-safe).
    support = await actor_of(personas.support_agent)
    async with db.read_session() as session:
        rest = select(func.count()).select_from(Ticket).where(~visible_ticket_condition(support))
        assert (await session.execute(rest)).scalar_one() == 2


async def test_companies_visible_through_their_contacts(
    db: Database, personas: Personas, actor_of: ActorOf
) -> None:
    admin = await actor_of(personas.admin)
    async with unit_of_work(db, admin) as uow:
        globex = await actions.create_company(uow, name="Globex", domains=["globex.test"])
    acme = personas.companies["acme"]
    expectations = {
        "admin": {acme: 2, globex.id: 0},
        "support_agent": {acme: 1},
        "sales_agent": {acme: 1},
        "sales_reader": {acme: 1},
    }
    for who, expected in expectations.items():
        actor = await actor_of(getattr(personas, who))
        async with db.read_session() as session:
            page = await queries.list_companies(session, actor)
            assert {view.company.id: view.contact_count for view in page.items} == expected, who
            assert await queries.count_companies(session, actor) == len(expected)
            assert await queries.count_contacts(session, actor, company_id=acme) == expected[acme]
            if globex.id not in expected:
                with pytest.raises(NotFound):
                    await queries.visible_company(session, actor, globex.id)


async def test_search_folds_case_and_diacritics(db: Database, personas: Personas, actor_of: ActorOf) -> None:
    admin = await actor_of(personas.admin)
    async with db.read_session() as session:
        for q, expected in [
            ("NOVAK", {"karel"}),
            ("horváth", {"eva"}),
            ("acme.TEST", {"karel", "eva"}),
            ("szabo", {"hana"}),
            ("%", set()),
            ("_", set()),
        ]:
            page = await queries.list_contacts(session, admin, q=q)
            names = {view.contact.name.split()[0].lower() for view in page.items}
            assert names == expected, q
            assert await queries.count_contacts(session, admin, q=q) == len(expected)
        # Search never widens visibility.
        support = await actor_of(personas.support_agent)
        page = await queries.list_contacts(session, support, q="acme")
        assert [view.contact.id for view in page.items] == [personas.contacts["karel"]]
        by_email = await queries.list_contacts(session, support, email="EVA@acme.test")
        assert by_email.items == []
        by_email = await queries.list_contacts(session, admin, email="EVA@acme.test")
        assert [view.contact.id for view in by_email.items] == [personas.contacts["eva"]]


async def test_keyset_pages_cover_everything_once_in_constant_queries(
    db: Database, personas: Personas, actor_of: ActorOf
) -> None:
    admin = await actor_of(personas.admin)
    async with unit_of_work(db, admin) as uow:
        for n in range(11):
            await actions.create_contact(
                uow, name=f"Bulk {n}", emails=[f"bulk{n}@acme.test"], phones=[f"+36 1 555 {n:04d}"]
            )
    statements: list[str] = []

    def count(*args: object) -> None:
        if str(args[2]).lstrip().upper().startswith("SELECT"):
            statements.append(str(args[2]))

    seen: list[int] = []
    cursor = None
    per_page: list[int] = []
    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with db.read_session() as session:
            while True:
                before = len(statements)
                page = await queries.list_contacts(session, admin, cursor=cursor, limit=4)
                per_page.append(len(statements) - before)
                seen.extend(view.contact.id for view in page.items)
                assert all(
                    view.emails and view.phones for view in page.items if view.contact.name.startswith("Bulk")
                )
                cursor = page.next_cursor
                if cursor is None:
                    break
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert len(seen) == len(set(seen)) == 15
    assert seen == sorted(seen, reverse=True)
    # contacts, emails, phones, companies, custom fields: the same few queries whatever the page holds.
    assert max(per_page) <= 5, per_page


async def test_manage_contacts_permission_sees_and_deletes_every_contact(
    db: Database, personas: Personas, actor_of: ActorOf
) -> None:
    """An agent whose custom role grants manage_contacts sees every contact, whatever the tickets."""
    support = await actor_of(personas.support_agent)
    manager = dataclasses.replace(support, permissions=frozenset({Permission.MANAGE_CONTACTS}))
    assert await _visible_names(db, personas, manager) == ALL
    async with db.read_session() as session:
        assert await queries.count_companies(session, manager) == 1
    async with unit_of_work(db, manager) as uow:
        await actions.delete_contact(uow, contact_id=personas.contacts["petr"])
    assert await _visible_names(db, personas, await actor_of(personas.admin)) == ALL - {"petr"}
