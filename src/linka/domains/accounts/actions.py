"""Writes of the accounts domain: agents, roles, departments, memberships. The only way they change."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from linka.core.errors import Conflict, Forbidden, Invalid
from linka.core.ids import public_id
from linka.core.permissions import BaseRole, Permission, require, require_owner, require_write
from linka.core.uow import UnitOfWork
from linka.domains.accounts import passwords
from linka.domains.accounts.department_actions import create_department as create_department
from linka.domains.accounts.department_actions import delete_department as delete_department
from linka.domains.accounts.department_actions import remove_membership as remove_membership
from linka.domains.accounts.department_actions import set_membership as set_membership
from linka.domains.accounts.department_actions import (
    set_own_department_availability as set_own_department_availability,
)
from linka.domains.accounts.department_actions import update_department as update_department
from linka.domains.accounts.events import AgentCreated
from linka.domains.accounts.models import Agent, Role
from linka.domains.accounts.role_actions import create_role as create_role
from linka.domains.accounts.role_actions import delete_role as delete_role
from linka.domains.accounts.role_actions import update_role as update_role

LANGUAGES = ("en", "cs", "hu")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def agent_snapshot(agent: Agent) -> dict[str, Any]:
    return {
        "email": agent.email,
        "name": agent.name,
        "language": agent.language,
        "timezone": agent.timezone,
        "role": agent.base_role,
        "role_id": agent.role_id,
        "is_active": agent.is_active,
        "availability": agent.availability,
    }


def check_timezone(timezone: str, *, field: str = "timezone") -> None:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(field, "not a known time zone (e.g. Europe/Prague)") from exc


async def check_custom_role(uow: UnitOfWork, role_id: int) -> Role:
    """A custom role the actor may hand out: a non-admin hands out only permissions they hold."""
    role = await uow.session.get(Role, role_id)
    if role is None:
        raise Invalid("custom_role_id", "no such role")
    granted = {Permission(p) for p in role.permissions if p in Permission.__members__.values()}
    if not uow.actor.is_admin and not granted <= uow.actor.permissions:
        raise Forbidden("you may hand out only permissions you hold yourself")
    return role


async def _email_taken(uow: UnitOfWork, email: str, *, except_id: int | None = None) -> bool:
    query = select(func.count()).select_from(Agent).where(Agent.email == email)
    if except_id is not None:
        query = query.where(Agent.id != except_id)
    return bool((await uow.session.execute(query)).scalar_one())


async def create_agent(
    uow: UnitOfWork,
    *,
    email: str,
    name: str,
    password: str | None = None,
    role: BaseRole = BaseRole.AGENT,
    language: str = "en",
    timezone: str = "Europe/Prague",
    custom_role_id: int | None = None,
) -> Agent:
    """Create an agent. Only owners create owners, only admins create admins; `password=None` leaves
    the account to an invitation (the agent is "invited" until they set a password)."""
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_AGENTS)
    if role is BaseRole.OWNER:
        require_owner(uow.actor)
    if role is BaseRole.ADMIN and not uow.actor.is_admin:
        raise Forbidden("only an admin or owner may make an admin")
    email = normalise_email(email)
    if await _email_taken(uow, email):
        raise Conflict("email", "another agent already uses this email")
    if language not in LANGUAGES:
        raise Invalid("language", "must be one of %(choices)s", values={"choices": ", ".join(LANGUAGES)})
    if not name.strip():
        raise Invalid("name", "must not be empty")
    check_timezone(timezone)
    if custom_role_id is not None:
        await check_custom_role(uow, custom_role_id)
    if password is not None:
        passwords.check_policy(password)
    agent = Agent(
        public_id=public_id("ag"),
        email=email,
        name=name.strip(),
        password_hash=passwords.hash_password(password) if password is not None else None,
        language=language,
        timezone=timezone,
        base_role=role.value,
        role_id=custom_role_id,
        invited_at=uow.now if password is None else None,
        is_active=True,
        availability="offline",
        signature="",
        totp_enabled=False,
        auth_epoch=0,
        created_at=uow.now,
        updated_at=uow.now,
    )
    uow.session.add(agent)
    try:
        await uow.session.flush()
    except IntegrityError as exc:  # a concurrent request took the email between the check and here
        raise Conflict("email", "another agent already uses this email") from exc
    uow.history("agent", agent.id, "created", after=agent_snapshot(agent))
    uow.record(AgentCreated(agent_id=agent.id))
    return agent
