"""Agent actions through a unit of work: the owner rules, history with before/after, events, and
nothing half-written when an action refuses."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from linka.core.db import Database
from linka.core.errors import Conflict, Forbidden, Invalid
from linka.core.history import HistoryEntry
from linka.core.permissions import Actor, BaseRole, Origin, system_actor
from linka.core.uow import unit_of_work
from linka.domains.accounts import actions, agent_actions
from linka.domains.accounts.events import AgentChanged, AgentCreated, AgentDeactivated, AgentReactivated
from linka.domains.accounts.models import Agent
from linka.domains.accounts.queries import build_actor
from tests.personas import Person, Personas


async def actor_of(db: Database, person: Person) -> Actor:
    async with db.read_session() as session:
        agent = await session.get(Agent, person.id)
        assert agent is not None
        return await build_actor(session, agent, origin=Origin.API)


async def stored(db: Database, agent_id: int) -> Agent:
    async with db.read_session() as session:
        agent = await session.get(Agent, agent_id)
        assert agent is not None
        return agent


async def history(db: Database, agent_id: int) -> list[HistoryEntry]:
    async with db.read_session() as session:
        query = (
            select(HistoryEntry)
            .where(HistoryEntry.entity_type == "agent", HistoryEntry.entity_id == agent_id)
            .order_by(HistoryEntry.id)
        )
        return list((await session.execute(query)).scalars())


async def test_update_writes_history_and_records_an_event(db: Database, personas: Personas) -> None:
    admin = await actor_of(db, personas.admin)
    async with unit_of_work(db, admin) as uow:
        await agent_actions.update_agent(
            uow, agent_id=personas.sales_agent.id, name="Sándor K.", availability="paused", language="hu"
        )
        events = list(uow.events)
    assert events == [AgentChanged(agent_id=personas.sales_agent.id, fields=("name", "availability"))]
    agent = await stored(db, personas.sales_agent.id)
    assert (agent.name, agent.availability) == ("Sándor K.", "paused")
    entry = (await history(db, personas.sales_agent.id))[-1]
    assert entry.action == "updated"
    assert entry.before == {"name": "Sándor Kovács", "availability": "offline"}
    assert entry.after == {"name": "Sándor K.", "availability": "paused"}
    assert entry.actor_agent_id == personas.admin.id
    assert entry.origin == "api"


async def test_last_owner_cannot_be_demoted_or_deactivated_even_by_the_system(
    db: Database, personas: Personas
) -> None:
    system = system_actor(Origin.CLI)
    with pytest.raises(Conflict) as demoted:
        async with unit_of_work(db, system) as uow:
            await agent_actions.update_agent(uow, agent_id=personas.owner.id, role=BaseRole.ADMIN)
    assert demoted.value.fields.keys() == {"role"}
    with pytest.raises(Conflict) as deactivated:
        async with unit_of_work(db, system) as uow:
            await agent_actions.deactivate_agent(uow, agent_id=personas.owner.id)
    assert deactivated.value.fields.keys() == {"is_active"}
    owner = await stored(db, personas.owner.id)
    assert owner.base_role == "owner"
    assert owner.is_active

    # A second owner makes the first one free to go — and the second one then the last.
    async with unit_of_work(db, system) as uow:
        await agent_actions.update_agent(uow, agent_id=personas.admin.id, role=BaseRole.OWNER)
    async with unit_of_work(db, system) as uow:
        await agent_actions.deactivate_agent(uow, agent_id=personas.owner.id)
        assert [type(e) for e in uow.events] == [AgentDeactivated]
    with pytest.raises(Conflict):
        async with unit_of_work(db, system) as uow:
            await agent_actions.update_agent(uow, agent_id=personas.admin.id, role=BaseRole.AGENT)
    olga = await stored(db, personas.owner.id)
    assert not olga.is_active
    assert olga.auth_epoch == 1
    assert olga.availability == "offline"
    async with unit_of_work(db, system) as uow:
        await agent_actions.reactivate_agent(uow, agent_id=personas.owner.id)
        assert [type(e) for e in uow.events] == [AgentReactivated]
    assert (await stored(db, personas.owner.id)).is_active
    assert [e.action for e in await history(db, personas.owner.id)][-2:] == ["deactivated", "reactivated"]


async def test_admin_powers_and_limits(db: Database, personas: Personas) -> None:
    admin = await actor_of(db, personas.admin)
    with pytest.raises(Forbidden):
        async with unit_of_work(db, admin) as uow:
            await agent_actions.update_agent(uow, agent_id=personas.support_agent.id, role=BaseRole.OWNER)
    with pytest.raises(Forbidden):
        async with unit_of_work(db, admin) as uow:
            await agent_actions.deactivate_agent(uow, agent_id=personas.owner.id)
    with pytest.raises(Forbidden):
        async with unit_of_work(db, admin) as uow:
            await agent_actions.update_agent(uow, agent_id=personas.admin.id, role=BaseRole.AGENT)
    with pytest.raises(Forbidden):
        async with unit_of_work(db, admin) as uow:
            await agent_actions.deactivate_agent(uow, agent_id=personas.admin.id)
    async with unit_of_work(db, admin) as uow:
        await agent_actions.update_agent(uow, agent_id=personas.support_agent.id, role=BaseRole.ADMIN)
    assert (await stored(db, personas.support_agent.id)).base_role == "admin"


async def test_refused_actions_write_nothing(db: Database, personas: Personas) -> None:
    admin = await actor_of(db, personas.admin)
    before = len(await history(db, personas.sales_agent.id))
    with pytest.raises(Invalid) as bad_zone:
        async with unit_of_work(db, admin) as uow:
            await agent_actions.update_agent(
                uow, agent_id=personas.sales_agent.id, name="Changed", timezone="Europe/Atlantis"
            )
    assert bad_zone.value.fields.keys() == {"timezone"}
    assert (await stored(db, personas.sales_agent.id)).name == "Sándor Kovács"
    assert len(await history(db, personas.sales_agent.id)) == before

    async with db.read_session() as session:
        count = (await session.execute(select(func.count()).select_from(Agent))).scalar_one()
    with pytest.raises(Conflict) as duplicate:
        async with unit_of_work(db, admin) as uow:
            await actions.create_agent(uow, email=" OLGA@linka.test ", name="Olga Again")
    assert duplicate.value.fields.keys() == {"email"}
    async with db.read_session() as session:
        assert (await session.execute(select(func.count()).select_from(Agent))).scalar_one() == count


async def test_create_invited_agent_and_own_settings(db: Database, personas: Personas) -> None:
    admin = await actor_of(db, personas.admin)
    async with unit_of_work(db, admin) as uow:
        agent = await actions.create_agent(
            uow, email="ivan@linka.test", name="Ivan", timezone="Europe/Budapest"
        )
        assert [type(e) for e in uow.events] == [AgentCreated]
    created = await stored(db, agent.id)
    assert created.password_hash is None
    assert created.invited_at is not None

    sara = await actor_of(db, personas.support_agent)
    async with unit_of_work(db, sara) as uow:
        await agent_actions.update_me(uow, signature="Sára", availability="online", language="en")
    me = await stored(db, personas.support_agent.id)
    assert (me.signature, me.availability, me.language, me.base_role) == ("Sára", "online", "en", "agent")
    entry = (await history(db, personas.support_agent.id))[-1]
    assert entry.action == "profile_updated"
    assert entry.before == {"language": "cs", "availability": "offline", "signature": ""}
    with pytest.raises(Forbidden):
        async with unit_of_work(db, sara) as uow:
            await agent_actions.update_agent(uow, agent_id=personas.sales_agent.id, name="Nope")
