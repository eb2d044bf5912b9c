"""Turning credentials into an Actor: API keys and login sessions."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, select, update

from linka.core import clock
from linka.core.db import Database
from linka.core.errors import Forbidden, Unauthorized
from linka.core.permissions import Actor, Origin, Scope
from linka.domains.accounts.models import Agent, ApiKey
from linka.domains.accounts.queries import build_actor

API_KEY_PREFIX = "lk"
# Session flags: the password was good but a TOTP code is still due (no actor at all), or two-factor
# is mandatory and not yet set up (an actor only for enrolling in two-factor).
PENDING_TWO_FACTOR = "pending_2fa"
TWO_FACTOR_SETUP = "two_factor_setup"
_LAST_USED_GRANULARITY = timedelta(minutes=1)
# Built once: every API request runs it, and building a statement costs more than running this one.
_KEY_AND_AGENT = (
    select(ApiKey, Agent).join(Agent, Agent.id == ApiKey.agent_id).where(ApiKey.prefix == bindparam("prefix"))
)


def new_api_key_token() -> tuple[str, str, str]:
    """(token shown once, lookup prefix, SHA-256 of the secret)."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"{API_KEY_PREFIX}_{prefix}_{secret}", prefix, hash_secret(secret)


def hash_secret(secret: str) -> str:
    # The secret has 256 bits of entropy: a fast hash is enough, no password hashing needed.
    return hashlib.sha256(secret.encode()).hexdigest()


def _split_token(token: str) -> tuple[str, str] | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


async def actor_for_api_key(db: Database, token: str, *, origin: Origin = Origin.API) -> Actor:
    parts = _split_token(token.strip())
    if parts is None:
        raise Unauthorized("that is not a Linka API key")
    prefix, secret = parts
    now = clock.now()
    async with db.read_session() as session:
        row = (await session.execute(_KEY_AND_AGENT, {"prefix": prefix})).one_or_none()
        if row is None:
            raise Unauthorized("unknown or revoked API key")
        key, agent = row
        if not hmac.compare_digest(key.secret_hash, hash_secret(secret)) or key.revoked_at is not None:
            raise Unauthorized("unknown or revoked API key")
        if not agent.is_active:
            raise Unauthorized("the agent of this API key is deactivated")
        scopes = frozenset(Scope(s) for s in key.scopes if s in Scope.__members__.values())
        key_id = key.id
        actor = await build_actor(session, agent, origin=origin, scopes=scopes, api_key_id=key_id)
        needs_touch = key.last_used_at is None or now - key.last_used_at >= _LAST_USED_GRANULARITY
    if needs_touch:
        async with db.sessions() as session:
            await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
            await session.commit()
    return actor


class TwoFactorRequired(Forbidden):
    code = "two_factor_required"


async def actor_for_session(
    db: Database, data: dict[str, object], *, origin: Origin, allow_two_factor_setup: bool = False
) -> Actor | None:
    """The actor of a login session, or None when it is not (or no longer) valid. A session that must
    first set up two-factor raises TwoFactorRequired unless `allow_two_factor_setup`."""
    agent_id, epoch = data.get("agent_id"), data.get("epoch")
    if not isinstance(agent_id, int) or not isinstance(epoch, int) or data.get(PENDING_TWO_FACTOR):
        return None
    async with db.read_session() as session:
        agent = await session.get(Agent, agent_id)
        if agent is None or not agent.is_active or agent.auth_epoch != epoch:
            return None
        if data.get(TWO_FACTOR_SETUP) and not allow_two_factor_setup:
            raise TwoFactorRequired("set up two-factor sign-in first (POST /api/v1/me/two-factor)")
        return await build_actor(session, agent, origin=origin)
