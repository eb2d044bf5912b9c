"""Two-factor sign-in (TOTP) for oneself, and the owner's switch that makes it mandatory."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from linka.core.errors import Invalid
from linka.core.permissions import Actor
from linka.domains.accounts import credentials
from linka.domains.accounts.credential_schemas import (
    SecuritySettingsIn,
    SecuritySettingsOut,
    TwoFactorCodeIn,
    TwoFactorDisableIn,
    TwoFactorEnrolmentOut,
)
from linka.domains.accounts.models import Agent
from linka.domains.accounts.schemas import AgentOut
from linka.entrypoints.api.auth import CurrentActor, provide_enrolling_actor, runtime_of
from linka.entrypoints.api.session import TWO_FACTOR_LIMIT_KIND, client_ip, password_check_limited, sign_in

# The enrolment endpoints also accept a session that may do nothing else (two-factor is mandatory).
EnrollingActor = NamedDependency[Actor]
_enrolling = {"enrolling_actor": Provide(provide_enrolling_actor)}
AgentPath = Annotated[str, PathParameter(max_length=24, description="`ag_…`")]


@post(
    "/me/two-factor",
    tags=["me"],
    dependencies=_enrolling,
    summary="Start setting up two-factor sign-in: a new secret and otpauth:// URI, shown once",
)
async def start_two_factor(
    request: Request[Any, Any, Any], enrolling_actor: EnrollingActor
) -> TwoFactorEnrolmentOut:
    async with runtime_of(request).uow(enrolling_actor) as uow:
        secret, uri = await credentials.start_two_factor(uow)
    return TwoFactorEnrolmentOut(secret=secret, otpauth_uri=uri)


@post(
    "/me/two-factor/confirm",
    tags=["me"],
    dependencies=_enrolling,
    status_code=200,
    summary="Finish setting up two-factor with a code; every other session ends",
)
async def confirm_two_factor(
    request: Request[Any, Any, Any], data: JSONBody[TwoFactorCodeIn], enrolling_actor: EnrollingActor
) -> AgentOut:
    return AgentOut.from_model(await confirm_own_two_factor(request, enrolling_actor, data.code))


async def confirm_own_two_factor(request: Request[Any, Any, Any], actor: Actor, code: str) -> Agent:
    """Finish enrolment with a code, rate-limited like two-factor sign-in (shared by the API and the
    agent app). This session carries on, now fully signed in, at the new epoch."""
    runtime = runtime_of(request)
    account = f"agent:{actor.agent_id}"
    await runtime.auth_limits.attempt(ip=client_ip(request), account=account, kind=TWO_FACTOR_LIMIT_KIND)
    try:
        async with runtime.uow(actor) as uow:
            agent = await credentials.confirm_two_factor(uow, code=code)
    except Invalid:
        await runtime.auth_limits.failed(account=account, kind=TWO_FACTOR_LIMIT_KIND)
        raise
    sign_in(request, agent)
    return agent


@delete(
    "/me/two-factor",
    tags=["me"],
    status_code=HTTP_204_NO_CONTENT,
    summary="Turn two-factor off (needs the password; refused when it is mandatory)",
)
async def disable_two_factor(
    request: Request[Any, Any, Any], data: JSONBody[TwoFactorDisableIn], actor: CurrentActor
) -> Response[None]:
    await disable_own_two_factor(request, actor, data.password)
    return Response(None, status_code=HTTP_204_NO_CONTENT)


async def disable_own_two_factor(request: Request[Any, Any, Any], actor: Actor, password: str) -> Agent:
    """Turn one's two-factor off with the password, rate-limited (shared by the API and the agent app)."""
    async with password_check_limited(request, actor, "password"), runtime_of(request).uow(actor) as uow:
        agent = await credentials.disable_two_factor(uow, password=password)
    sign_in(request, agent)
    return agent


@delete(
    "/agents/{agent_id:str}/two-factor",
    tags=["agents"],
    status_code=HTTP_204_NO_CONTENT,
    summary="Turn off an agent's two-factor, e.g. after a lost phone (manage_agents)",
)
async def reset_agent_two_factor(
    request: Request[Any, Any, Any], agent_id: AgentPath, actor: CurrentActor
) -> Response[None]:
    async with runtime_of(request).uow(actor) as uow:
        target = await credentials.agent_by_public_id(uow.session, agent_id)
        await credentials.reset_two_factor(uow, agent_id=target.id)
    return Response(None, status_code=HTTP_204_NO_CONTENT)


@get("/settings/security", tags=["settings"], summary="Workspace sign-in policy")
async def security_settings(request: Request[Any, Any, Any], actor: CurrentActor) -> SecuritySettingsOut:
    async with runtime_of(request).db.read_session() as session:
        required = await credentials.two_factor_required(session)
    return SecuritySettingsOut(require_two_factor=required)


@patch("/settings/security", tags=["settings"], summary="Make two-factor mandatory or optional (owners)")
async def update_security_settings(
    request: Request[Any, Any, Any], data: JSONBody[SecuritySettingsIn], actor: CurrentActor
) -> SecuritySettingsOut:
    async with runtime_of(request).uow(actor) as uow:
        row = await credentials.set_security_settings(uow, require_two_factor=data.require_two_factor)
    return SecuritySettingsOut(require_two_factor=row.require_two_factor)


routes = [
    start_two_factor,
    confirm_two_factor,
    disable_two_factor,
    reset_agent_two_factor,
    security_settings,
    update_security_settings,
]
