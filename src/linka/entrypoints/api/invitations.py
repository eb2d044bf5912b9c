"""Inviting an agent (a mailed, single-use, expiring link) and accepting the invitation."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, post
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from linka.core.permissions import Origin, system_actor
from linka.domains.accounts import credentials
from linka.domains.accounts.credential_schemas import AcceptInvitationIn, InvitationOut
from linka.domains.accounts.models import Agent
from linka.domains.accounts.schemas import AgentOut
from linka.entrypoints.api.auth import CurrentActor, runtime_of
from linka.entrypoints.api.session import client_ip

AgentPath = Annotated[str, PathParameter(max_length=24, description="`ag_…`")]


@post(
    "/agents/{agent_id:str}/invite",
    tags=["agents"],
    status_code=HTTP_202_ACCEPTED,
    summary="Mail the agent an invitation to choose a password (manage_agents)",
)
async def invite_agent(
    request: Request[Any, Any, Any], agent_id: AgentPath, actor: CurrentActor
) -> InvitationOut:
    runtime = runtime_of(request)
    async with runtime.uow(actor) as uow:
        target = await credentials.agent_by_public_id(uow.session, agent_id)
        agent = await credentials.invite_agent(uow, agent_id=target.id, links=runtime.links)
    return InvitationOut(agent_id=agent.public_id, email=agent.email, invited_at=agent.invited_at)


@post(
    "/auth/accept-invitation",
    tags=["auth"],
    summary="Accept an invitation: choose a password (and correct the name); then sign in",
)
async def accept_invitation(request: Request[Any, Any, Any], data: JSONBody[AcceptInvitationIn]) -> AgentOut:
    agent = await accept_invitation_with_link(
        request, token=data.token, password=data.password, name=data.name
    )
    return AgentOut.from_model(agent)


async def accept_invitation_with_link(
    request: Request[Any, Any, Any], *, token: str, password: str, name: str | None
) -> Agent:
    """Accept an invitation after the rate limit (shared by the API and the agent app)."""
    runtime = runtime_of(request)
    await runtime.auth_limits.attempt(ip=client_ip(request), account=None, kind="invitation")
    async with runtime.uow(system_actor(Origin.WEB)) as uow:
        return await credentials.accept_invitation(
            uow, token=token, password=password, name=name, links=runtime.links
        )


routes = [invite_agent, accept_invitation]
