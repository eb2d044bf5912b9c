"""An agent's own settings through the accounts actions: the services taken in their own departments
(only those flags, only their own membership) and their notification choices."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from linka.core.db import Database
from linka.core.errors import Forbidden, NotFound
from linka.core.history import HistoryEntry
from linka.core.permissions import Actor, Origin, Scope
from linka.core.uow import unit_of_work
from linka.domains.accounts import actions, agent_actions, queries
from linka.domains.accounts.events import AgentChanged, MembershipChanged
from linka.domains.accounts.models import Agent, DepartmentMember
from linka.domains.accounts.schemas import NotificationSettings
from tests.personas import Person, Personas


async def actor_of(db: Database, person: Person, **extra: object) -> Actor:
    async with db.read_session() as session:
        agent = await session.get(Agent, person.id)
        assert agent is not None
        return await queries.build_actor(session, agent, origin=Origin.WEB, **extra)  # type: ignore[arg-type]


async def membership(db: Database, person: Person, department_id: int) -> DepartmentMember:
    async with db.read_session() as session:
        query = select(DepartmentMember).where(
            DepartmentMember.agent_id == person.id, DepartmentMember.department_id == department_id
        )
        return (await session.execute(query)).scalar_one()


async def test_an_agent_sets_the_services_of_their_own_membership(db: Database, personas: Personas) -> None:
    support = personas.departments["support"]
    sara = await actor_of(db, personas.support_agent)
    async with unit_of_work(db, sara) as uow:
        member = await actions.set_own_department_availability(
            uow, department_id=support, tickets=True, chats=False, calls=False, paused=True
        )
        assert uow.events == [MembershipChanged(department_id=support, agent_id=personas.support_agent.id)]
    assert member.agent_id == personas.support_agent.id
    stored = await membership(db, personas.support_agent, support)
    assert (stored.role, stored.tickets, stored.chats, stored.calls, stored.paused) == (
        "solver",
        True,
        False,
        False,
        True,
    )
    async with db.read_session() as session:
        entries = (
            (
                await session.execute(
                    select(HistoryEntry).where(HistoryEntry.action == "member_availability_set")
                )
            )
            .scalars()
            .all()
        )
    assert [entry.after["paused"] for entry in entries if entry.after] == [True]
    # The same flags again: nothing changes, nothing is recorded.
    async with unit_of_work(db, sara) as uow:
        await actions.set_own_department_availability(
            uow, department_id=support, tickets=True, chats=False, calls=False, paused=True
        )
        assert uow.events == []


async def test_only_ones_own_membership_and_only_with_write_access(db: Database, personas: Personas) -> None:
    sara = await actor_of(db, personas.support_agent)
    with pytest.raises(NotFound):
        async with unit_of_work(db, sara) as uow:
            await actions.set_own_department_availability(
                uow,
                department_id=personas.departments["sales"],
                tickets=False,
                chats=False,
                calls=False,
                paused=True,
            )
    sales = await membership(db, personas.sales_agent, personas.departments["sales"])
    assert (sales.tickets, sales.paused) == (True, False)
    read_only = await actor_of(db, personas.support_agent, scopes=frozenset({Scope.READ}))
    with pytest.raises(Forbidden):
        async with unit_of_work(db, read_only) as uow:
            await actions.set_own_department_availability(
                uow,
                department_id=personas.departments["support"],
                tickets=False,
                chats=False,
                calls=False,
                paused=True,
            )
    assert not (await membership(db, personas.support_agent, personas.departments["support"])).paused


async def test_notification_settings_are_the_agents_own(db: Database, personas: Personas) -> None:
    """Needs the `agents.notification_settings` column in the initial migration."""
    admin = await actor_of(db, personas.admin)
    async with db.read_session() as session:
        assert await queries.notification_settings_of(session, personas.admin.id) == NotificationSettings()
    async with unit_of_work(db, admin) as uow:
        await agent_actions.set_notification_settings(
            uow, settings=NotificationSettings(assigned_browser=False, assigned_email=True)
        )
        assert uow.events == [AgentChanged(agent_id=personas.admin.id, fields=("notification_settings",))]
    async with db.read_session() as session:
        settings = await queries.notification_settings_of(session, personas.admin.id)
        other = await queries.notification_settings_of(session, personas.owner.id)
    assert settings == NotificationSettings(assigned_browser=False, assigned_email=True)
    assert other == NotificationSettings()
