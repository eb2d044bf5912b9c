"""Writes of custom roles: named permissions on top of the agent defaults."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from msgspec import UNSET, UnsetType
from sqlalchemy import func, select

from linka.core.errors import Conflict, Forbidden, Invalid, NotFound
from linka.core.ids import public_id
from linka.core.permissions import OWNER_ONLY, BaseRole, Permission, require, require_write
from linka.core.uow import UnitOfWork
from linka.domains.accounts.events import RoleChanged, RoleDeleted
from linka.domains.accounts.models import Agent, Role

BUILTIN_NAMES = frozenset(role.value for role in BaseRole)


def role_snapshot(role: Role) -> dict[str, Any]:
    return {"name": role.name, "description": role.description, "permissions": list(role.permissions)}


def checked_permissions(uow: UnitOfWork, names: Sequence[str]) -> list[str]:
    """Known, grantable permission names; a non-admin grants only what they hold themselves."""
    known = {p.value for p in Permission}
    unknown = sorted({name for name in names if name not in known})
    if unknown:
        raise Invalid(
            "permissions", "unknown permission(s): %(choices)s", values={"choices": ", ".join(unknown)}
        )
    owner_only = sorted({name for name in names if Permission(name) in OWNER_ONLY})
    if owner_only:
        raise Invalid(
            "permissions",
            "only owners hold %(choices)s; a role cannot grant it",
            values={"choices": ", ".join(owner_only)},
        )
    wanted = {Permission(name) for name in names}
    if not uow.actor.is_admin and not wanted <= uow.actor.permissions:
        raise Forbidden("you may grant only permissions you hold yourself")
    return sorted(p.value for p in wanted)


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise Invalid("name", "must not be empty")
    if name.lower() in BUILTIN_NAMES:
        raise Conflict("name", "this is the name of a built-in role")
    return name


async def _name_taken(uow: UnitOfWork, name: str, *, except_id: int | None = None) -> bool:
    query = select(Role.id).where(func.lower(Role.name) == name.lower())
    if except_id is not None:
        query = query.where(Role.id != except_id)
    return (await uow.session.execute(query)).first() is not None


async def _role(uow: UnitOfWork, role_id: int) -> Role:
    role = await uow.session.get(Role, role_id)
    if role is None:
        raise NotFound("role")
    return role


async def create_role(
    uow: UnitOfWork, *, name: str, description: str = "", permissions: Sequence[str] = ()
) -> Role:
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_ROLES)
    name = _clean_name(name)
    granted = checked_permissions(uow, permissions)
    if await _name_taken(uow, name):
        raise Conflict("name", "a role with this name exists")
    role = Role(
        public_id=public_id("rl"),
        name=name,
        description=description.strip(),
        permissions=granted,
        created_at=uow.now,
        updated_at=uow.now,
    )
    uow.session.add(role)
    await uow.session.flush()
    uow.history("role", role.id, "created", after=role_snapshot(role))
    uow.record(RoleChanged(role_id=role.id))
    return role


async def update_role(
    uow: UnitOfWork,
    *,
    role_id: int,
    name: str | UnsetType = UNSET,
    description: str | UnsetType = UNSET,
    permissions: Sequence[str] | UnsetType = UNSET,
) -> Role:
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_ROLES)
    role = await _role(uow, role_id)
    before = role_snapshot(role)
    if not isinstance(name, UnsetType):
        name = _clean_name(name)
        if name != role.name and await _name_taken(uow, name, except_id=role.id):
            raise Conflict("name", "a role with this name exists")
        role.name = name
    if not isinstance(description, UnsetType):
        role.description = description.strip()
    if not isinstance(permissions, UnsetType):
        role.permissions = checked_permissions(uow, permissions)
    after = role_snapshot(role)
    if uow.history_of_changes("role", role.id, before=before, after=after):
        role.updated_at = uow.now
        await uow.session.flush()
        uow.record(RoleChanged(role_id=role.id))
    return role


async def delete_role(uow: UnitOfWork, *, role_id: int) -> None:
    """Refused while agents (active or not) still hold the role."""
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_ROLES)
    role = await _role(uow, role_id)
    holders = (
        await uow.session.execute(select(func.count()).select_from(Agent).where(Agent.role_id == role.id))
    ).scalar_one()
    if holders:
        raise Conflict(
            "id", "the role is still assigned to %(holders)s agent(s)", values={"holders": holders}
        )
    before = role_snapshot(role)
    await uow.session.delete(role)
    await uow.session.flush()
    uow.history("role", role_id, "deleted", before=before)
    uow.record(RoleDeleted(role_id=role_id))
