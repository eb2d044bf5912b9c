"""Writes of departments and their members. Reached through `accounts.actions` as well."""

from __future__ import annotations

from typing import Any

from msgspec import UNSET, UnsetType
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from linka.core.errors import Conflict, Forbidden, Invalid, NotFound
from linka.core.ids import public_id
from linka.core.permissions import (
    DepartmentRole,
    Permission,
    department_role_at_least,
    require,
    require_write,
)
from linka.core.uow import UnitOfWork
from linka.domains.accounts.events import (
    DepartmentChanged,
    DepartmentDeleted,
    MembershipChanged,
    MembershipRemoved,
)
from linka.domains.accounts.models import Agent, Department, DepartmentMember


def department_snapshot(department: Department) -> dict[str, Any]:
    return {"name": department.name, "description": department.description}


def member_snapshot(member: DepartmentMember) -> dict[str, Any]:
    return {
        "agent_id": member.agent_id,
        "role": member.role,
        "tickets": member.tickets,
        "chats": member.chats,
        "calls": member.calls,
        "paused": member.paused,
    }


def require_member_manager(uow: UnitOfWork, department_id: int) -> None:
    """Members are managed by manage_departments holders and by the department's own managers."""
    require_write(uow.actor)
    if not department_role_at_least(uow.actor, department_id, DepartmentRole.MANAGER):
        require(uow.actor, Permission.MANAGE_DEPARTMENTS)


async def _name_taken(uow: UnitOfWork, name: str, *, except_id: int | None = None) -> bool:
    query = select(Department.id).where(func.lower(Department.name) == name.lower())
    if except_id is not None:
        query = query.where(Department.id != except_id)
    return (await uow.session.execute(query)).first() is not None


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise Invalid("name", "must not be empty")
    return name


async def _department(uow: UnitOfWork, department_id: int) -> Department:
    department = await uow.session.get(Department, department_id)
    if department is None:
        raise NotFound("department")
    return department


async def create_department(uow: UnitOfWork, *, name: str, description: str = "") -> Department:
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_DEPARTMENTS)
    name = _clean_name(name)
    if await _name_taken(uow, name):
        raise Conflict("name", "a department with this name exists")
    department = Department(
        public_id=public_id("dp"),
        name=name,
        description=description.strip(),
        created_at=uow.now,
        updated_at=uow.now,
    )
    uow.session.add(department)
    await uow.session.flush()
    uow.history("department", department.id, "created", after=department_snapshot(department))
    uow.record(DepartmentChanged(department_id=department.id))
    return department


async def update_department(
    uow: UnitOfWork,
    *,
    department_id: int,
    name: str | UnsetType = UNSET,
    description: str | UnsetType = UNSET,
) -> Department:
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_DEPARTMENTS)
    department = await _department(uow, department_id)
    before = department_snapshot(department)
    if not isinstance(name, UnsetType):
        name = _clean_name(name)
        if name != department.name and await _name_taken(uow, name, except_id=department.id):
            raise Conflict("name", "a department with this name exists")
        department.name = name
    if not isinstance(description, UnsetType):
        department.description = description.strip()
    after = department_snapshot(department)
    if uow.history_of_changes("department", department.id, before=before, after=after):
        department.updated_at = uow.now
        await uow.session.flush()
        uow.record(DepartmentChanged(department_id=department.id))
    return department


async def delete_department(uow: UnitOfWork, *, department_id: int) -> None:
    """Refused while the department has members or tickets: move them elsewhere first."""
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_DEPARTMENTS)
    department = await _department(uow, department_id)
    members = (
        await uow.session.execute(
            select(func.count())
            .select_from(DepartmentMember)
            .where(DepartmentMember.department_id == department_id)
        )
    ).scalar_one()
    if members:
        raise Conflict(
            "members",
            "the department still has %(members)s member(s); remove them first",
            values={"members": members},
        )
    before = department_snapshot(department)
    await uow.session.delete(department)
    try:
        await uow.session.flush()
    except IntegrityError as exc:
        # Tickets (and whatever else) refer to the department with ON DELETE RESTRICT.
        raise Conflict("tickets", "the department still has tickets; transfer them first") from exc
    uow.history("department", department_id, "deleted", before=before)
    uow.record(DepartmentDeleted(department_id=department_id))


async def set_membership(
    uow: UnitOfWork,
    *,
    department_id: int,
    agent_id: int,
    role: DepartmentRole,
    tickets: bool = True,
    chats: bool = True,
    calls: bool = True,
    paused: bool = False,
) -> DepartmentMember:
    """Add an agent to a department or change their role and services there."""
    require_member_manager(uow, department_id)
    if await uow.session.get(Department, department_id) is None:
        raise Invalid("department_id", "no such department")
    agent = await uow.session.get(Agent, agent_id)
    if agent is None or not agent.is_active:
        raise Invalid("agent_id", "no such active agent")
    member = (
        await uow.session.execute(
            select(DepartmentMember).where(
                DepartmentMember.department_id == department_id, DepartmentMember.agent_id == agent_id
            )
        )
    ).scalar_one_or_none()
    before = None
    if member is None:
        member = DepartmentMember(department_id=department_id, agent_id=agent_id, created_at=uow.now)
        uow.session.add(member)
    else:
        before = member_snapshot(member)
    member.role, member.tickets, member.chats, member.calls = role.value, tickets, chats, calls
    member.paused = paused
    await uow.session.flush()
    after = member_snapshot(member)
    if before != after:
        uow.history("department", department_id, "member_set", before=before, after=after)
        uow.record(MembershipChanged(department_id=department_id, agent_id=agent_id))
    return member


async def remove_membership(uow: UnitOfWork, *, department_id: int, agent_id: int) -> None:
    require_member_manager(uow, department_id)
    member = (
        await uow.session.execute(
            select(DepartmentMember).where(
                DepartmentMember.department_id == department_id, DepartmentMember.agent_id == agent_id
            )
        )
    ).scalar_one_or_none()
    if member is None:
        raise NotFound("membership")
    before = member_snapshot(member)
    await uow.session.delete(member)
    await uow.session.flush()
    uow.history("department", department_id, "member_removed", before=before)
    uow.record(MembershipRemoved(department_id=department_id, agent_id=agent_id))


async def set_own_department_availability(
    uow: UnitOfWork, *, department_id: int, tickets: bool, chats: bool, calls: bool, paused: bool
) -> DepartmentMember:
    """An agent switches the services they take in one of their own departments, or pauses there.
    Only these flags of their own membership: the role stays the managers' to change."""
    require_write(uow.actor)
    if uow.actor.agent_id is None:
        raise Forbidden("only an agent is a member of departments")
    member = (
        await uow.session.execute(
            select(DepartmentMember).where(
                DepartmentMember.department_id == department_id,
                DepartmentMember.agent_id == uow.actor.agent_id,
            )
        )
    ).scalar_one_or_none()
    if member is None:
        raise NotFound("membership")
    before = member_snapshot(member)
    member.tickets, member.chats, member.calls, member.paused = tickets, chats, calls, paused
    after = member_snapshot(member)
    if before != after:
        await uow.session.flush()
        uow.history("department", department_id, "member_availability_set", before=before, after=after)
        uow.record(MembershipChanged(department_id=department_id, agent_id=member.agent_id))
    return member
