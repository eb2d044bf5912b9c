"""Agents: list, show, create, change, deactivate and reactivate."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Request, get, patch, post
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK
from msgspec import UNSET, UnsetType

from linka.core.pagination import MAX_LIMIT
from linka.core.permissions import BaseRole
from linka.domains.accounts import actions, agent_actions, queries
from linka.domains.accounts.schemas import AgentCreateIn, AgentPage, AgentUpdateIn, AgentView
from linka.entrypoints.api.auth import CurrentActor, runtime_of

Cursor = Annotated[str | None, Parameter(max_length=400, description="`next_cursor` of the previous page")]
Limit = Annotated[int | None, Parameter(ge=1, le=MAX_LIMIT, description=f"page size, at most {MAX_LIMIT}")]
AgentId = Annotated[str, Parameter(max_length=24, description="`ag_…`")]


@get("/agents", tags=["agents"], summary="Agents, keyset-paginated (colleagues' public view for agents)")
async def list_agents(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    cursor: Cursor = None,
    limit: Limit = None,
    department: Annotated[str | None, Parameter(max_length=24, description="`dp_…`")] = None,
    role: Annotated[Literal["owner", "admin", "agent"] | None, Parameter(description="base role")] = None,
    active: Annotated[bool | None, Parameter(description="active or deactivated agents only")] = None,
    q: Annotated[str | None, Parameter(max_length=120, description="part of the name or email")] = None,
) -> AgentPage:
    async with runtime_of(request).db.read_session() as session:
        return await queries.list_agents(
            session,
            actor,
            cursor=cursor,
            limit=limit,
            department=department,
            role=role,
            active=active,
            q=q,
        )


@get("/agents/{agent_id:str}", tags=["agents"], summary="One agent")
async def show_agent(request: Request[Any, Any, Any], actor: CurrentActor, agent_id: AgentId) -> AgentView:
    async with runtime_of(request).db.read_session() as session:
        agent = await queries.agent_by_public_id(session, agent_id)
        return await queries.show_agent(session, actor, agent)


@post("/agents", tags=["agents"], summary="Create an agent (without a password: invited)")
async def create_agent(
    request: Request[Any, Any, Any], actor: CurrentActor, data: JSONBody[AgentCreateIn]
) -> AgentView:
    async with runtime_of(request).uow(actor) as uow:
        custom_role_id = await queries.role_id_for_field(
            uow.session, data.custom_role_id, field="custom_role_id"
        )
        agent = await actions.create_agent(
            uow,
            email=data.email,
            name=data.name,
            password=data.password,
            role=BaseRole(data.role),
            language=data.language,
            timezone=data.timezone,
            custom_role_id=custom_role_id,
        )
        return await queries.show_agent(uow.session, uow.actor, agent)


@patch("/agents/{agent_id:str}", tags=["agents"], summary="Change an agent")
async def update_agent(
    request: Request[Any, Any, Any], actor: CurrentActor, agent_id: AgentId, data: JSONBody[AgentUpdateIn]
) -> AgentView:
    async with runtime_of(request).uow(actor) as uow:
        agent = await queries.agent_by_public_id(uow.session, agent_id)
        custom_role_id: int | UnsetType | None = UNSET
        if not isinstance(data.custom_role_id, UnsetType):
            custom_role_id = await queries.role_id_for_field(
                uow.session, data.custom_role_id, field="custom_role_id"
            )
        agent = await agent_actions.update_agent(
            uow,
            agent_id=agent.id,
            name=data.name,
            language=data.language,
            timezone=data.timezone,
            role=UNSET if isinstance(data.role, UnsetType) else BaseRole(data.role),
            custom_role_id=custom_role_id,
            availability=data.availability,
        )
        return await queries.show_agent(uow.session, uow.actor, agent)


@post(
    "/agents/{agent_id:str}/deactivate",
    tags=["agents"],
    status_code=HTTP_200_OK,
    summary="Deactivate an agent: their sessions end and their API keys stop working",
)
async def deactivate_agent(
    request: Request[Any, Any, Any], actor: CurrentActor, agent_id: AgentId
) -> AgentView:
    async with runtime_of(request).uow(actor) as uow:
        agent = await queries.agent_by_public_id(uow.session, agent_id)
        agent = await agent_actions.deactivate_agent(uow, agent_id=agent.id)
        return await queries.show_agent(uow.session, uow.actor, agent)


@post("/agents/{agent_id:str}/reactivate", tags=["agents"], status_code=HTTP_200_OK, summary="Reactivate")
async def reactivate_agent(
    request: Request[Any, Any, Any], actor: CurrentActor, agent_id: AgentId
) -> AgentView:
    async with runtime_of(request).uow(actor) as uow:
        agent = await queries.agent_by_public_id(uow.session, agent_id)
        agent = await agent_actions.reactivate_agent(uow, agent_id=agent.id)
        return await queries.show_agent(uow.session, uow.actor, agent)


routes = [list_agents, show_agent, create_agent, update_agent, deactivate_agent, reactivate_agent]
