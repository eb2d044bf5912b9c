"""Credential actions: the only writes of passwords, two-factor secrets, API keys and signed links.

Every change of a password or of two-factor bumps the agent's `auth_epoch`, which ends every session
made before it. History records that a credential changed, never the secret itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from linka.core.ids import public_id
from linka.core.permissions import Actor, BaseRole, Permission, Scope, require, require_owner, require_write
from linka.core.uow import UnitOfWork
from linka.domains.accounts import passwords, totp, workspace_actions
from linka.domains.accounts.auth import new_api_key_token
from linka.domains.accounts.events import AgentChanged, AgentLoggedIn
from linka.domains.accounts.models import Agent, ApiKey, WorkspaceSettings
from linka.domains.accounts.tokens import LinkSigner, Purpose, TokenError, TokenUsed
from linka.domains.mail import actions as mail

WORKSPACE_SETTINGS_ID = 1


class InvalidTwoFactorCode(Unauthorized):
    code = "invalid_two_factor_code"


class TwoFactorMandatory(Forbidden):
    code = "two_factor_mandatory"


class LoginStep(StrEnum):
    SIGNED_IN = "signed_in"
    TWO_FACTOR = "two_factor"  # password good; a TOTP code is still needed
    TWO_FACTOR_SETUP = "two_factor_setup"  # password good; 2FA is mandatory and must be set up first


@dataclass(frozen=True)
class LoginResult:
    agent: Agent
    step: LoginStep


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _touch(uow: UnitOfWork, agent: Agent) -> None:
    agent.updated_at = uow.now


def _bump_epoch(uow: UnitOfWork, agent: Agent) -> None:
    """Every session made before this moment dies."""
    agent.auth_epoch += 1
    _touch(uow, agent)


def _changed(uow: UnitOfWork, agent: Agent, action: str, **after: Any) -> None:
    uow.history("agent", agent.id, action, after=after or None)
    uow.record(AgentChanged(agent_id=agent.id, fields=(action,)))


async def _agent_by_email(uow: UnitOfWork, email: str) -> Agent | None:
    query = select(Agent).where(Agent.email == normalise_email(email))
    return (await uow.session.execute(query)).scalar_one_or_none()


async def agent_by_public_id(session: AsyncSession, agent_public_id: str) -> Agent:
    agent = (
        await session.execute(select(Agent).where(Agent.public_id == agent_public_id))
    ).scalar_one_or_none()
    if agent is None:
        raise NotFound("agent")
    return agent


async def _own_agent(uow: UnitOfWork) -> Agent:
    """The acting agent, for changes of one's own credentials: only from a signed-in session, since an
    API key must never be able to change the password or two-factor it was not given with."""
    require_write(uow.actor)
    if uow.actor.agent_id is None:
        raise Forbidden("only an agent has credentials")
    if uow.actor.api_key_id is not None:
        raise Forbidden("sign in with your password to change credentials; API keys cannot")
    agent = await uow.session.get(Agent, uow.actor.agent_id)
    if agent is None or not agent.is_active:
        raise Unauthorized()
    return agent


# ---------------------------------------------------------------------------------------------- login


async def _signed_in(uow: UnitOfWork, agent: Agent) -> None:
    agent.last_login_at = uow.now
    uow.history("agent", agent.id, "logged_in")
    uow.record(AgentLoggedIn(agent_id=agent.id))


async def _use_totp(uow: UnitOfWork, agent: Agent, code: str) -> None:
    """Accept a TOTP code once: remember its step so it cannot be replayed."""
    step = None
    if agent.totp_enabled and agent.totp_secret:
        step = totp.matching_step(agent.totp_secret, code, at=uow.now, last_step=agent.totp_last_step)
    if step is None:
        raise InvalidTwoFactorCode("wrong or already used two-factor code")
    agent.totp_last_step = step


async def log_in_with_password(
    uow: UnitOfWork, *, email: str, password: str, totp_code: str | None = None
) -> LoginResult:
    """Check an email and password (the same error for an unknown email and a wrong password), then
    two-factor: a code given here completes the login; without one the caller gets a pending step."""
    agent = await _agent_by_email(uow, email)
    ok, new_hash = passwords.verify_password(password, agent.password_hash if agent else None)
    if agent is None or not ok or not agent.is_active:
        raise Unauthorized("wrong email or password")
    if new_hash:
        agent.password_hash = new_hash
    if agent.totp_enabled:
        if totp_code is None:
            return LoginResult(agent, LoginStep.TWO_FACTOR)
        await _use_totp(uow, agent, totp_code)
    elif await two_factor_required(uow.session):
        return LoginResult(agent, LoginStep.TWO_FACTOR_SETUP)
    await _signed_in(uow, agent)
    return LoginResult(agent, LoginStep.SIGNED_IN)


async def complete_two_factor_login(uow: UnitOfWork, *, agent_id: int, epoch: int, code: str) -> Agent:
    """Second step of a login: the password was good; now the code."""
    agent = await uow.session.get(Agent, agent_id)
    if agent is None or not agent.is_active or agent.auth_epoch != epoch or not agent.totp_enabled:
        raise Unauthorized("sign in again")
    await _use_totp(uow, agent, code)
    await _signed_in(uow, agent)
    return agent


# ----------------------------------------------------------------------------------------- two-factor


async def _workspace_settings(uow: UnitOfWork) -> WorkspaceSettings:
    """The one settings row, created on first change."""
    return await workspace_actions.settings_row(uow)


async def two_factor_required(session: AsyncSession) -> bool:
    query = select(WorkspaceSettings.require_two_factor).where(WorkspaceSettings.id == WORKSPACE_SETTINGS_ID)
    return bool((await session.execute(query)).scalar_one_or_none())


async def workspace_name(session: AsyncSession) -> str:
    query = select(WorkspaceSettings.name).where(WorkspaceSettings.id == WORKSPACE_SETTINGS_ID)
    return (await session.execute(query)).scalar_one_or_none() or "Linka"


async def set_security_settings(uow: UnitOfWork, *, require_two_factor: bool) -> WorkspaceSettings:
    """Owners decide whether every agent must use two-factor sign-in."""
    require_write(uow.actor)
    require_owner(uow.actor)
    row = await _workspace_settings(uow)
    before = {"require_two_factor": row.require_two_factor}
    row.require_two_factor = require_two_factor
    row.updated_at = uow.now
    uow.history(
        "workspace_settings",
        row.id,
        "security_changed",
        before=before,
        after={"require_two_factor": require_two_factor},
    )
    return row


async def start_two_factor(uow: UnitOfWork) -> tuple[str, str]:
    """Begin enrolment: a fresh secret (shown once, with its otpauth:// URI) that is not yet in force."""
    agent = await _own_agent(uow)
    if agent.totp_enabled:
        raise Conflict("two_factor", "two-factor sign-in is already on; turn it off first")
    secret = totp.new_secret()
    agent.totp_secret, agent.totp_last_step = secret, None
    _touch(uow, agent)
    uow.history("agent", agent.id, "two_factor_enrolment_started")
    return secret, totp.provisioning_uri(secret, account=agent.email)


async def confirm_two_factor(uow: UnitOfWork, *, code: str) -> Agent:
    """Finish enrolment with a code from the authenticator: two-factor is on, older sessions end."""
    agent = await _own_agent(uow)
    if agent.totp_enabled:
        raise Conflict("two_factor", "two-factor sign-in is already on")
    if not agent.totp_secret:
        raise Invalid("code", "start the enrolment first")
    step = totp.matching_step(agent.totp_secret, code, at=uow.now, last_step=None)
    if step is None:
        raise Invalid("code", "wrong or expired code; check the time on your device")
    agent.totp_enabled, agent.totp_last_step = True, step
    _bump_epoch(uow, agent)
    _changed(uow, agent, "two_factor_enabled")
    return agent


async def disable_two_factor(uow: UnitOfWork, *, password: str) -> Agent:
    """Turn two-factor off (with the password), unless an owner made it mandatory."""
    agent = await _own_agent(uow)
    ok, _ = passwords.verify_password(password, agent.password_hash)
    if not ok:
        raise Invalid("password", "is wrong")
    if await two_factor_required(uow.session):
        raise TwoFactorMandatory("two-factor sign-in is mandatory in this workspace")
    if not agent.totp_enabled and not agent.totp_secret:
        return agent
    agent.totp_enabled, agent.totp_secret, agent.totp_last_step = False, None, None
    _bump_epoch(uow, agent)
    _changed(uow, agent, "two_factor_disabled")
    return agent


async def reset_two_factor(uow: UnitOfWork, *, agent_id: int) -> Agent:
    """An admin turns off another agent's two-factor (a lost phone). Their sessions end; when two-factor
    is mandatory, their next sign-in sets it up again."""
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_AGENTS)
    agent = await uow.session.get(Agent, agent_id)
    if agent is None:
        raise NotFound("agent")
    if agent.base_role == BaseRole.OWNER:
        require_owner(uow.actor)
    if not agent.totp_enabled and not agent.totp_secret:
        return agent
    agent.totp_enabled, agent.totp_secret, agent.totp_last_step = False, None, None
    _bump_epoch(uow, agent)
    _changed(uow, agent, "two_factor_reset")
    return agent


# ------------------------------------------------------------------------------------------ passwords


async def change_password(uow: UnitOfWork, *, current_password: str, new_password: str) -> Agent:
    """Change one's own password. Every other session ends (the caller re-arms its own)."""
    agent = await _own_agent(uow)
    ok, _ = passwords.verify_password(current_password, agent.password_hash)
    if not ok:
        raise Invalid("current_password", "is wrong")
    passwords.check_policy(new_password, field="new_password")
    agent.password_hash = passwords.hash_password(new_password)
    _bump_epoch(uow, agent)
    _changed(uow, agent, "password_changed")
    return agent


async def request_password_reset(uow: UnitOfWork, *, email: str, links: LinkSigner) -> bool:
    """Queue a reset mail for a known active agent. Says nothing to the caller about who exists:
    the entry point answers the same whatever this returns."""
    agent = await _agent_by_email(uow, email)
    if agent is None or not agent.is_active:
        return False
    token = links.sign(Purpose.PASSWORD_RESET, agent_public_id=agent.public_id, epoch=agent.auth_epoch)
    await mail.queue_system_mail(
        uow,
        kind="password_reset",
        to_address=agent.email,
        to_name=agent.name,
        language=agent.language,
        template="password_reset",
        context={
            "name": agent.name,
            "email": agent.email,
            "link": links.link("reset-password", token),
            "valid_hours": max(1, links.password_reset_max_age // 3600),
            "workspace": await workspace_name(uow.session),
        },
    )
    uow.history("agent", agent.id, "password_reset_requested")
    return True


async def agent_of_link(session: AsyncSession, *, links: LinkSigner, purpose: Purpose, token: str) -> Agent:
    """The agent a mailed link is for, while the link can still be used (TokenError otherwise). Pages
    check a link with this before asking for a new password; the actions check it again."""
    agent_public_id, epoch = links.read(purpose, token)
    agent = (
        await session.execute(select(Agent).where(Agent.public_id == agent_public_id))
    ).scalar_one_or_none()
    if agent is None:
        raise TokenError("this link is not valid")
    if agent.auth_epoch != epoch:
        raise TokenUsed("this link was already used, or the account changed since it was sent")
    if purpose is Purpose.PASSWORD_RESET and not agent.is_active:
        raise TokenError("this account is deactivated")
    if purpose is Purpose.INVITATION and agent.password_hash is not None:
        raise TokenUsed("this invitation was already accepted; sign in or reset the password")
    return agent


async def reset_password(uow: UnitOfWork, *, token: str, password: str, links: LinkSigner) -> Agent:
    """Set a new password from a reset link. The link dies with it, and so does every session."""
    agent = await agent_of_link(uow.session, links=links, purpose=Purpose.PASSWORD_RESET, token=token)
    passwords.check_policy(password)
    agent.password_hash = passwords.hash_password(password)
    _bump_epoch(uow, agent)
    _changed(uow, agent, "password_reset")
    return agent


async def invite_agent(uow: UnitOfWork, *, agent_id: int, links: LinkSigner) -> Agent:
    """Mail an agent without a password a link to choose one (and become active)."""
    require_write(uow.actor)
    require(uow.actor, Permission.MANAGE_AGENTS)
    agent = await uow.session.get(Agent, agent_id)
    if agent is None:
        raise NotFound("agent")
    if agent.password_hash is not None:
        raise Conflict("agent", "this agent already has a password; they can reset it")
    token = links.sign(Purpose.INVITATION, agent_public_id=agent.public_id, epoch=agent.auth_epoch)
    workspace = await workspace_name(uow.session)
    await mail.queue_system_mail(
        uow,
        kind="invitation",
        to_address=agent.email,
        to_name=agent.name,
        language=agent.language,
        template="invitation",
        context={
            "name": agent.name,
            "email": agent.email,
            "inviter": uow.actor.name,
            "link": links.link("accept-invitation", token),
            "valid_days": max(1, links.invitation_max_age // 86400),
            "workspace": workspace,
        },
    )
    agent.invited_at = uow.now
    _touch(uow, agent)
    uow.history("agent", agent.id, "invited")
    return agent


async def accept_invitation(
    uow: UnitOfWork, *, token: str, password: str, links: LinkSigner, name: str | None = None
) -> Agent:
    """The invited agent chooses a password (and may correct their name); the account is active."""
    agent = await agent_of_link(uow.session, links=links, purpose=Purpose.INVITATION, token=token)
    passwords.check_policy(password)
    if name is not None:
        if not name.strip():
            raise Invalid("name", "must not be empty")
        agent.name = name.strip()
    agent.password_hash = passwords.hash_password(password)
    agent.is_active, agent.deactivated_at = True, None
    _bump_epoch(uow, agent)
    _changed(uow, agent, "invitation_accepted", name=agent.name)
    return agent


# ------------------------------------------------------------------------------------------- API keys


def _may_manage_keys_of(actor: Actor, agent: Agent) -> None:
    if actor.agent_id == agent.id:
        return
    require(actor, Permission.MANAGE_AGENTS)
    if agent.base_role == BaseRole.OWNER:
        require_owner(actor)  # an admin must not mint a key with an owner's powers


async def create_api_key(
    uow: UnitOfWork, *, agent_id: int, name: str, scopes: list[str]
) -> tuple[ApiKey, str]:
    """A new API key for an agent (yourself, or anyone with manage_agents). The token is returned once."""
    require_write(uow.actor)
    if uow.actor.api_key_id is not None:
        raise Forbidden("API keys cannot create API keys; sign in with your password")
    name = name.strip()
    if not name:
        raise Invalid("name", "must not be empty")
    if len(name) > 120:
        raise Invalid("name", "must be at most 120 characters")
    allowed = {scope.value for scope in Scope}
    if not scopes or any(scope not in allowed for scope in scopes):
        raise Invalid("scopes", "choose from read, write")
    agent = await uow.session.get(Agent, agent_id)
    if agent is None:
        raise NotFound("agent")
    _may_manage_keys_of(uow.actor, agent)
    if not agent.is_active:
        raise Invalid("agent_id", "the agent is deactivated")
    token, prefix, secret_hash = new_api_key_token()
    key = ApiKey(
        public_id=public_id("key"),
        agent_id=agent_id,
        name=name,
        prefix=prefix,
        secret_hash=secret_hash,
        scopes=sorted(set(scopes)),
        created_at=uow.now,
    )
    uow.session.add(key)
    await uow.session.flush()
    uow.history("agent", agent_id, "api_key_created", after={"key": key.public_id, "scopes": key.scopes})
    return key, token


async def api_keys_of(session: AsyncSession, actor: Actor, agent_id: int) -> list[ApiKey]:
    """An agent's API keys, newest first (yourself, or anyone with manage_agents)."""
    agent = await session.get(Agent, agent_id)
    if agent is None:
        raise NotFound("agent")
    _may_manage_keys_of(actor, agent)
    query = select(ApiKey).where(ApiKey.agent_id == agent_id).order_by(ApiKey.id.desc())
    return list((await session.execute(query)).scalars())


async def revoke_api_key(uow: UnitOfWork, *, agent_id: int, key_public_id: str) -> ApiKey:
    """Revoke a key: it answers 401 from the next request on. Revoking twice changes nothing."""
    require_write(uow.actor)
    agent = await uow.session.get(Agent, agent_id)
    if agent is None:
        raise NotFound("agent")
    _may_manage_keys_of(uow.actor, agent)
    key = (
        await uow.session.execute(
            select(ApiKey).where(ApiKey.agent_id == agent_id, ApiKey.public_id == key_public_id)
        )
    ).scalar_one_or_none()
    if key is None:
        raise NotFound("API key")
    if key.revoked_at is None:
        key.revoked_at = uow.now
        uow.history("agent", agent_id, "api_key_revoked", after={"key": key.public_id})
    return key
