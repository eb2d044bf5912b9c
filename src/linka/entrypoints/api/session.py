"""Signing in (password, then two-factor when on) and out with a session cookie, and `me`.

Every attempt is counted against the client address, and every failure against the account, before
anything is checked: over a limit the answer is 429 with Retry-After and the password is not looked at.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from linka.core import clock
from linka.core.errors import Invalid, Unauthorized
from linka.core.permissions import Actor, Origin, system_actor
from linka.domains.accounts import credentials
from linka.domains.accounts.auth import PENDING_TWO_FACTOR, TWO_FACTOR_SETUP
from linka.domains.accounts.credential_schemas import LoginChallengeOut, TwoFactorCodeIn
from linka.domains.accounts.models import Agent
from linka.domains.accounts.schemas import AgentOut, LoginIn
from linka.entrypoints.api.auth import CurrentActor, runtime_of
from linka.entrypoints.session_backend import rotate_session_id

# How long the second step of a login (the TOTP code) may follow the password.
PENDING_TWO_FACTOR_SECONDS = 300
TWO_FACTOR_LIMIT_KIND = "two_factor"
# Wrong passwords given to confirm a credential change (a stolen session must not be a way to guess it).
PASSWORD_CHECK_KIND = "password_check"  # noqa: S105 - a counter name, not a secret


def client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


@asynccontextmanager
async def password_check_limited(
    request: Request[Any, Any, Any], actor: Actor, password_field: str
) -> AsyncIterator[None]:
    """Around an action that checks the signed-in agent's password: counts the attempt first (429 when
    over the limit) and counts a failure when the action rejects `password_field`."""
    runtime = runtime_of(request)
    account = f"agent:{actor.agent_id}"
    await runtime.auth_limits.attempt(ip=client_ip(request), account=account, kind=PASSWORD_CHECK_KIND)
    try:
        yield
    except Invalid as error:
        if password_field in error.fields:
            await runtime.auth_limits.failed(account=account, kind=PASSWORD_CHECK_KIND)
        raise


def sign_in(request: Request[Any, Any, Any], agent: Agent, **flags: Any) -> None:
    """(Re)start the session for an agent at their current auth epoch, with a fresh session id."""
    request.clear_session()
    request.set_session({"agent_id": agent.id, "epoch": agent.auth_epoch, **flags})
    rotate_session_id(request.scope)


@post(
    "/auth/login",
    tags=["auth"],
    summary="Sign in with email and password (sets the session cookie)",
    description="With two-factor on, either send `totp_code` too, or answer the challenge "
    "(`two_factor_required`) with POST /auth/two-factor. When two-factor is mandatory and not set up, "
    "the session may only set it up (`two_factor_setup_required`).",
)
async def login(request: Request[Any, Any, Any], data: JSONBody[LoginIn]) -> AgentOut | LoginChallengeOut:
    step, agent = await sign_in_with_password(
        request, email=data.email, password=data.password, totp_code=data.totp_code
    )
    if step is credentials.LoginStep.TWO_FACTOR:
        return LoginChallengeOut(two_factor_required=True, two_factor_setup_required=False)
    if step is credentials.LoginStep.TWO_FACTOR_SETUP:
        return LoginChallengeOut(two_factor_required=True, two_factor_setup_required=True)
    return AgentOut.from_model(agent)


async def sign_in_with_password(
    request: Request[Any, Any, Any], *, email: str, password: str, totp_code: str | None = None
) -> tuple[credentials.LoginStep, Agent]:
    """The first step of signing in, shared by the API and the agent app: rate limits, the password,
    then a session that is complete, waits for the two-factor code, or may only set two-factor up."""
    runtime = runtime_of(request)
    account = credentials.normalise_email(email)
    await runtime.auth_limits.attempt(ip=client_ip(request), account=account)
    try:
        async with runtime.uow(system_actor(Origin.WEB)) as uow:
            result = await credentials.log_in_with_password(
                uow, email=email, password=password, totp_code=totp_code
            )
    except Unauthorized:
        await runtime.auth_limits.failed(account=account)
        raise
    if result.step is credentials.LoginStep.TWO_FACTOR:
        sign_in(request, result.agent, **{PENDING_TWO_FACTOR: True, "since": int(clock.now().timestamp())})
    elif result.step is credentials.LoginStep.TWO_FACTOR_SETUP:
        sign_in(request, result.agent, **{TWO_FACTOR_SETUP: True})
    else:
        sign_in(request, result.agent)
    return result.step, result.agent


@post("/auth/two-factor", tags=["auth"], summary="Second step of signing in: the two-factor code")
async def two_factor_login(request: Request[Any, Any, Any], data: JSONBody[TwoFactorCodeIn]) -> AgentOut:
    return AgentOut.from_model(await sign_in_with_two_factor_code(request, data.code))


def pending_two_factor_agent(request: Request[Any, Any, Any]) -> tuple[int, int] | None:
    """(agent id, epoch) of a session whose password was right and whose code is still due, if recent."""
    session = dict(request.session) if "session" in request.scope and request.session else {}
    agent_id, epoch, since = session.get("agent_id"), session.get("epoch"), session.get("since")
    if (
        not session.get(PENDING_TWO_FACTOR)
        or not isinstance(agent_id, int)
        or not isinstance(epoch, int)
        or not isinstance(since, int)
        or clock.now().timestamp() - since > PENDING_TWO_FACTOR_SECONDS
    ):
        return None
    return agent_id, epoch


async def sign_in_with_two_factor_code(request: Request[Any, Any, Any], code: str) -> Agent:
    """The second step of signing in (shared by the API and the agent app)."""
    runtime = runtime_of(request)
    pending = pending_two_factor_agent(request)
    if pending is None:
        raise Unauthorized("sign in with your email and password first")
    agent_id, epoch = pending
    account = f"agent:{agent_id}"
    await runtime.auth_limits.attempt(ip=client_ip(request), account=account, kind=TWO_FACTOR_LIMIT_KIND)
    try:
        async with runtime.uow(system_actor(Origin.WEB)) as uow:
            agent = await credentials.complete_two_factor_login(
                uow, agent_id=agent_id, epoch=epoch, code=code
            )
    except Unauthorized:
        await runtime.auth_limits.failed(account=account, kind=TWO_FACTOR_LIMIT_KIND)
        raise
    sign_in(request, agent)
    return agent


@post("/auth/logout", tags=["auth"], status_code=HTTP_204_NO_CONTENT, summary="End this session")
async def logout(request: Request[Any, Any, Any]) -> Response[None]:
    request.clear_session()
    return Response(None, status_code=HTTP_204_NO_CONTENT)


@get("/me", tags=["me"], summary="The signed-in agent")
async def me(request: Request[Any, Any, Any], actor: CurrentActor) -> AgentOut:
    runtime = runtime_of(request)
    async with runtime.db.read_session() as session:
        agent = await session.get(Agent, actor.agent_id)
        assert agent is not None
        return AgentOut.from_model(agent)


@get("/openapi.json", include_in_schema=False, sync_to_thread=False)
def openapi_document(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The OpenAPI 3.1 document at a stable address (the docs page is at /api/v1/docs)."""
    schema: dict[str, Any] = request.app.openapi_schema.to_schema()
    return schema


routes = [login, two_factor_login, logout, me, openapi_document]
