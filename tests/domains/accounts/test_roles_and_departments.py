"""Role and department actions through a unit of work: permission names checked, no escalation past
what the actor holds, history and events, and refusals that leave nothing behind."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from linka.core.db import Database
from linka.core.errors import Conflict, Forbidden, Invalid, NotFound
from linka.core.history import HistoryEntry
from linka.core.permissions import Actor, DepartmentRole, Origin, Permission, system_actor
from linka.core.uow import unit_of_work
from linka.domains.accounts import actions, agent_actions, department_actions, queries, role_actions
from linka.domains.accounts.events import (
    DepartmentDeleted,
    MembershipChanged,
    MembershipRemoved,
    RoleChanged,
    RoleDeleted,
)
from linka.domains.accounts.models import Agent, Department, DepartmentMember, Role
from tests.personas import Person, Personas


async def actor_of(db: Database, person: Person) -> Actor:
    async with db.read_session() as session:
        agent = await session.get(Agent, person.id)
        assert agent is not None
        return await queries.build_actor(session, agent, origin=Origin.API)


async def count(db: Database, model: type[Role] | type[Department] | type[DepartmentMember]) -> int:
    async with db.read_session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_role_lifecycle_with_history_and_events(db: Database, personas: Personas) -> None:
    admin = await actor_of(db, personas.admin)
    roles_before = await count(db, Role)
    async with unit_of_work(db, admin) as uow:
        role = await role_actions.create_role(
            uow, name="Reporter", permissions=["view_all_reports", "view_all_reports"]
        )
        assert uow.events == [RoleChanged(role_id=role.id)]
    assert role.permissions == ["view_all_reports"]
    async with unit_of_work(db, admin) as uow:
        await role_actions.update_role(uow, role_id=role.id, permissions=["view_all_reports", "review_qa"])
    async with unit_of_work(db, admin) as uow:
        await actions.create_agent(uow, email="r@linka.test", name="R", custom_role_id=role.id)
    with pytest.raises(Conflict):
        async with unit_of_work(db, admin) as uow:
            await role_actions.delete_role(uow, role_id=role.id)
    async with db.read_session() as session:
        holder = (await session.execute(select(Agent).where(Agent.email == "r@linka.test"))).scalar_one()
        actor = await queries.build_actor(session, holder, origin=Origin.API)
    assert actor.permissions == {Permission.VIEW_ALL_REPORTS, Permission.REVIEW_QA}
    async with unit_of_work(db, admin) as uow:
        await agent_actions.update_agent(uow, agent_id=holder.id, custom_role_id=None)
    async with unit_of_work(db, admin) as uow:
        await role_actions.delete_role(uow, role_id=role.id)
        assert uow.events == [RoleDeleted(role_id=role.id)]
    assert await count(db, Role) == roles_before
    async with db.read_session() as session:
        entries = (
            await session.execute(
                select(HistoryEntry)
                .where(HistoryEntry.entity_type == "role", HistoryEntry.entity_id == role.id)
                .order_by(HistoryEntry.id)
            )
        ).scalars()
        log = [(e.action, e.before, e.after) for e in entries]
    assert log[0][0] == "created"
    assert log[1] == (
        "updated",
        {"permissions": ["view_all_reports"]},
        {"permissions": ["review_qa", "view_all_reports"]},
    )
    assert log[2][0] == "deleted"


async def test_permission_names_are_checked_and_never_escalate(db: Database, personas: Personas) -> None:
    admin = await actor_of(db, personas.admin)
    for names in (["nope"], ["purge_data"], ["manage_agents", "Manage_Agents"]):
        with pytest.raises(Invalid) as refused:
            async with unit_of_work(db, admin) as uow:
                await role_actions.create_role(uow, name="X", permissions=names)
        assert refused.value.fields.keys() == {"permissions"}
    assert await count(db, Role) == 0

    # An agent who may manage roles (but nothing else) cannot hand out more than they hold.
    async with unit_of_work(db, admin) as uow:
        keeper = await role_actions.create_role(uow, name="Role keeper", permissions=["manage_roles"])
    async with unit_of_work(db, admin) as uow:
        await agent_actions.update_agent(uow, agent_id=personas.sales_reader.id, custom_role_id=keeper.id)
    rita = await actor_of(db, personas.sales_reader)
    with pytest.raises(Forbidden):
        async with unit_of_work(db, rita) as uow:
            await role_actions.create_role(uow, name="Everything", permissions=["manage_settings"])
    with pytest.raises(Forbidden):
        async with unit_of_work(db, rita) as uow:
            await role_actions.update_role(
                uow, role_id=keeper.id, permissions=["manage_roles", "manage_agents"]
            )
    async with unit_of_work(db, rita) as uow:
        await role_actions.create_role(uow, name="Also roles", permissions=["manage_roles"])
    assert await count(db, Role) == 2


async def test_department_rules(db: Database, personas: Personas) -> None:
    system = system_actor(Origin.CLI)
    async with unit_of_work(db, system) as uow:
        night = await department_actions.create_department(uow, name="Night")
        await department_actions.set_membership(
            uow, department_id=night.id, agent_id=personas.sales_agent.id, role=DepartmentRole.MANAGER
        )
        assert MembershipChanged(department_id=night.id, agent_id=personas.sales_agent.id) in uow.events
    with pytest.raises(Conflict) as refused:
        async with unit_of_work(db, system) as uow:
            await department_actions.delete_department(uow, department_id=night.id)
    assert refused.value.fields.keys() == {"members"}
    with pytest.raises(Conflict):
        async with unit_of_work(db, system) as uow:
            await department_actions.update_department(uow, department_id=night.id, name="SUPPORT")

    sandor = await actor_of(db, personas.sales_agent)
    async with unit_of_work(db, sandor) as uow:
        await department_actions.set_membership(
            uow, department_id=night.id, agent_id=personas.sales_reader.id, role=DepartmentRole.READER
        )
    with pytest.raises(Forbidden):
        async with unit_of_work(db, sandor) as uow:
            await department_actions.update_department(uow, department_id=night.id, name="Mine")
    with pytest.raises(Forbidden):
        async with unit_of_work(db, sandor) as uow:
            await department_actions.delete_department(uow, department_id=night.id)
    async with unit_of_work(db, sandor) as uow:
        await department_actions.remove_membership(
            uow, department_id=night.id, agent_id=personas.sales_reader.id
        )
        await department_actions.remove_membership(
            uow, department_id=night.id, agent_id=personas.sales_agent.id
        )
        assert [type(e) for e in uow.events] == [MembershipRemoved, MembershipRemoved]
    with pytest.raises(NotFound):
        async with unit_of_work(db, system) as uow:
            await department_actions.remove_membership(
                uow, department_id=night.id, agent_id=personas.sales_agent.id
            )
    async with unit_of_work(db, system) as uow:
        await department_actions.delete_department(uow, department_id=night.id)
        assert uow.events == [DepartmentDeleted(department_id=night.id)]
    async with db.read_session() as session:
        assert await session.get(Department, night.id) is None
