"""Managing agents after they exist: profile, role, availability, deactivation; and an agent's own
settings (`update_me`). Creating an agent is `actions.create_agent`.

Rules: only an owner makes, demotes, changes or deactivates an owner; only an admin (or owner) makes,
demotes, changes or deactivates an admin; the last active owner is never demoted or deactivated; nobody
changes their own role or deactivates themselves.
"""

from __future__ import annotations

from typing import Any

from msgspec import UNSET, UnsetType
from sqlalchemy import select
from sqlalchemy.orm import undefer

from linka.core.errors import Conflict, Forbidden, Invalid, NotFound
from linka.core.permissions import BaseRole, Permission, require, require_owner, require_write
from linka.core.uow import UnitOfWork
from linka.domains.accounts.actions import LANGUAGES, agent_snapshot, check_custom_role, check_timezone
from linka.domains.accounts.events import AgentChanged, AgentDeactivated, AgentReactivated
from linka.domains.accounts.models import Agent
from linka.domains.accounts.schemas import NotificationSettings

AVAILABILITIES = ("online", "paused", "offline")
NAME_MAX = 120
SIGNATURE_MAX = 5000


async def _agent(uow: UnitOfWork, agent_id: int) -> Agent:
    agent = await uow.session.get(Agent, agent_id)
    if agent is None:
        raise NotFound("agent")
    return agent


def _require_may_manage(uow: UnitOfWork, agent: Agent) -> None:
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_AGENTS)
    if agent.base_role == BaseRole.OWNER:
        require_owner(uow.actor)
    if agent.base_role == BaseRole.ADMIN and not uow.actor.is_admin:
        raise Forbidden("only an admin or owner may change an admin")


async def _other_active_owners(uow: UnitOfWork, agent_id: int) -> int:
    """Active owners besides this agent. The owner rows are locked in a fixed order (PostgreSQL), so two
    owners demoting each other at the same moment cannot both succeed; SQLite serialises writers."""
    rows = await uow.session.execute(
        select(Agent.id)
        .where(Agent.base_role == BaseRole.OWNER.value, Agent.is_active.is_(True))
        .order_by(Agent.id)
        .with_for_update()
    )
    return sum(1 for (owner_id,) in rows.all() if owner_id != agent_id)


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise Invalid("name", "must not be empty")
    if len(name) > NAME_MAX:
        raise Invalid("name", "at most %(max)s characters", values={"max": NAME_MAX})
    return name


def _check_signature(signature: str) -> str:
    if len(signature) > SIGNATURE_MAX:
        raise Invalid("signature", "at most %(max)s characters", values={"max": SIGNATURE_MAX})
    if "\x00" in signature:
        raise Invalid("signature", "must not contain NUL characters")
    return signature


def _check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise Invalid("language", "must be one of %(choices)s", values={"choices": ", ".join(LANGUAGES)})
    return language


def _check_availability(availability: str) -> str:
    if availability not in AVAILABILITIES:
        raise Invalid(
            "availability", "must be one of %(choices)s", values={"choices": ", ".join(AVAILABILITIES)}
        )
    return availability


def _validate_settings(
    *,
    name: str | UnsetType,
    language: str | UnsetType,
    timezone: str | UnsetType,
    availability: str | UnsetType,
    signature: str | UnsetType = UNSET,
) -> None:
    if not isinstance(name, UnsetType):
        _clean_name(name)
    if not isinstance(signature, UnsetType):
        _check_signature(signature)
    if not isinstance(language, UnsetType):
        _check_language(language)
    if not isinstance(timezone, UnsetType):
        check_timezone(timezone)
    if not isinstance(availability, UnsetType):
        _check_availability(availability)


def _apply_settings(
    agent: Agent,
    *,
    name: str | UnsetType,
    language: str | UnsetType,
    timezone: str | UnsetType,
    availability: str | UnsetType,
    signature: str | UnsetType = UNSET,
) -> None:
    """Validate every given setting first, then change them: a refusal leaves the agent untouched."""
    _validate_settings(
        name=name, language=language, timezone=timezone, availability=availability, signature=signature
    )
    if not isinstance(name, UnsetType):
        agent.name = _clean_name(name)
    if not isinstance(language, UnsetType):
        agent.language = language
    if not isinstance(timezone, UnsetType):
        agent.timezone = timezone
    if not isinstance(availability, UnsetType):
        agent.availability = availability
    if not isinstance(signature, UnsetType):
        agent.signature = signature


def _changes(uow: UnitOfWork, agent: Agent, before: dict[str, Any], action: str) -> tuple[str, ...]:
    after = agent_snapshot(agent) | {"signature": agent.signature}
    changed = uow.history_of_changes("agent", agent.id, before=before, after=after, action=action)
    if changed:
        agent.updated_at = uow.now
        uow.record(AgentChanged(agent_id=agent.id, fields=changed))
    return changed


async def update_agent(
    uow: UnitOfWork,
    *,
    agent_id: int,
    name: str | UnsetType = UNSET,
    language: str | UnsetType = UNSET,
    timezone: str | UnsetType = UNSET,
    role: BaseRole | UnsetType = UNSET,
    custom_role_id: int | UnsetType | None = UNSET,
    availability: str | UnsetType = UNSET,
) -> Agent:
    """Change another agent (needs manage_agents). Fields left UNSET stay as they are."""
    agent = await _agent(uow, agent_id)
    _require_may_manage(uow, agent)
    before = agent_snapshot(agent) | {"signature": agent.signature}
    is_self = uow.actor.agent_id == agent.id
    _validate_settings(name=name, language=language, timezone=timezone, availability=availability)
    if not isinstance(role, UnsetType) and role.value != agent.base_role:
        if role is BaseRole.OWNER:
            require_owner(uow.actor)
        if role is BaseRole.ADMIN and not uow.actor.is_admin:
            raise Forbidden("only an admin or owner may make an admin")
        if agent.base_role == BaseRole.OWNER and not await _other_active_owners(uow, agent.id):
            raise Conflict("role", "the last active owner cannot be demoted; make another owner first")
        if is_self:
            raise Forbidden("you may not change your own role")
        agent.base_role = role.value
    if not isinstance(custom_role_id, UnsetType) and custom_role_id != agent.role_id:
        if is_self:
            raise Forbidden("you may not change your own role")
        if custom_role_id is not None:
            await check_custom_role(uow, custom_role_id)
        agent.role_id = custom_role_id
    _apply_settings(agent, name=name, language=language, timezone=timezone, availability=availability)
    _changes(uow, agent, before, "updated")
    await uow.session.flush()
    return agent


async def update_me(
    uow: UnitOfWork,
    *,
    name: str | UnsetType = UNSET,
    language: str | UnsetType = UNSET,
    timezone: str | UnsetType = UNSET,
    signature: str | UnsetType = UNSET,
    availability: str | UnsetType = UNSET,
) -> Agent:
    """An agent's own minor settings; no permission needed beyond being a signed-in agent."""
    require_write(uow.actor)
    if uow.actor.agent_id is None:
        raise Forbidden("only an agent has their own settings")
    agent = await _agent(uow, uow.actor.agent_id)
    before = agent_snapshot(agent) | {"signature": agent.signature}
    _apply_settings(
        agent, name=name, language=language, timezone=timezone, availability=availability, signature=signature
    )
    _changes(uow, agent, before, "profile_updated")
    await uow.session.flush()
    return agent


async def deactivate_agent(uow: UnitOfWork, *, agent_id: int) -> Agent:
    """The agent can no longer sign in; their sessions die (auth epoch) and their API keys stop
    working (authentication checks `is_active`). Their history and memberships stay."""
    agent = await _agent(uow, agent_id)
    _require_may_manage(uow, agent)
    if not agent.is_active:
        return agent
    if agent.base_role == BaseRole.OWNER and not await _other_active_owners(uow, agent.id):
        raise Conflict("is_active", "the last active owner cannot be deactivated")
    if uow.actor.agent_id == agent.id:
        raise Forbidden("you may not deactivate yourself")
    before = {"is_active": True, "availability": agent.availability}
    agent.is_active = False
    agent.deactivated_at = uow.now
    agent.auth_epoch += 1
    agent.availability = "offline"
    agent.updated_at = uow.now
    await uow.session.flush()
    uow.history("agent", agent.id, "deactivated", before=before, after={"is_active": False})
    uow.record(AgentDeactivated(agent_id=agent.id))
    return agent


async def reactivate_agent(uow: UnitOfWork, *, agent_id: int) -> Agent:
    agent = await _agent(uow, agent_id)
    _require_may_manage(uow, agent)
    if agent.is_active:
        return agent
    agent.is_active = True
    agent.deactivated_at = None
    agent.updated_at = uow.now
    await uow.session.flush()
    uow.history("agent", agent.id, "reactivated", before={"is_active": False}, after={"is_active": True})
    uow.record(AgentReactivated(agent_id=agent.id))
    return agent


async def set_notification_settings(
    uow: UnitOfWork, *, settings: NotificationSettings
) -> NotificationSettings:
    """An agent's own choice of what they are told about, and how (browser, email)."""
    require_write(uow.actor)
    if uow.actor.agent_id is None:
        raise Forbidden("only an agent has their own settings")
    agent = (
        await uow.session.execute(
            select(Agent).where(Agent.id == uow.actor.agent_id).options(undefer(Agent.notification_settings))
        )
    ).scalar_one_or_none()
    if agent is None:
        raise NotFound("agent")
    before = NotificationSettings.from_stored(agent.notification_settings).to_stored()
    after = settings.to_stored()
    if before != after:
        agent.notification_settings = after
        agent.updated_at = uow.now
        uow.history("agent", agent.id, "notifications_changed", before=before, after=after)
        uow.record(AgentChanged(agent_id=agent.id, fields=("notification_settings",)))
        await uow.session.flush()
    return settings
