"""API keys: your own (`/me/api-keys`) and, with manage_agents, anyone's (`/agents/{id}/api-keys`).
The token is shown once, when the key is made; listings show its prefix, never the token or its hash."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, delete, get, post
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import Unauthorized
from linka.core.permissions import Actor
from linka.domains.accounts import credentials
from linka.domains.accounts.credential_schemas import ApiKeyCreatedOut, ApiKeyIn, ApiKeyOut
from linka.entrypoints.api.auth import CurrentActor, runtime_of
from linka.entrypoints.runtime import Runtime

AgentPath = Annotated[str, PathParameter(max_length=24, description="`ag_…`")]
KeyPath = Annotated[str, PathParameter(max_length=24, description="`key_…`")]


def _own_id(actor: Actor) -> int:
    if actor.agent_id is None:
        raise Unauthorized()
    return actor.agent_id


async def _key_owner(session: AsyncSession, agent: int | str) -> int:
    """The database id of the agent: the caller's own (int) or one named by public id in the path."""
    if isinstance(agent, int):
        return agent
    return (await credentials.agent_by_public_id(session, agent)).id


async def _list(runtime: Runtime, actor: Actor, agent: int | str) -> list[ApiKeyOut]:
    async with runtime.db.read_session() as session:
        keys = await credentials.api_keys_of(session, actor, await _key_owner(session, agent))
        return [ApiKeyOut.from_model(key) for key in keys]


async def _create(runtime: Runtime, actor: Actor, agent: int | str, data: ApiKeyIn) -> ApiKeyCreatedOut:
    async with runtime.uow(actor) as uow:
        agent_id = await _key_owner(uow.session, agent)
        key, token = await credentials.create_api_key(
            uow, agent_id=agent_id, name=data.name, scopes=list(data.scopes)
        )
    return ApiKeyCreatedOut.created(key, token)


async def _revoke(runtime: Runtime, actor: Actor, agent: int | str, key_id: str) -> None:
    async with runtime.uow(actor) as uow:
        agent_id = await _key_owner(uow.session, agent)
        await credentials.revoke_api_key(uow, agent_id=agent_id, key_public_id=key_id)


@get("/me/api-keys", tags=["me"], summary="Your API keys (never their tokens)")
async def list_my_keys(request: Request[Any, Any, Any], actor: CurrentActor) -> list[ApiKeyOut]:
    return await _list(runtime_of(request), actor, _own_id(actor))


@post("/me/api-keys", tags=["me"], summary="Make an API key; the token is in this answer only")
async def create_my_key(
    request: Request[Any, Any, Any], data: JSONBody[ApiKeyIn], actor: CurrentActor
) -> ApiKeyCreatedOut:
    return await _create(runtime_of(request), actor, _own_id(actor), data)


@delete(
    "/me/api-keys/{key_id:str}",
    tags=["me"],
    status_code=HTTP_204_NO_CONTENT,
    summary="Revoke one of your API keys",
)
async def revoke_my_key(
    request: Request[Any, Any, Any], key_id: KeyPath, actor: CurrentActor
) -> Response[None]:
    await _revoke(runtime_of(request), actor, _own_id(actor), key_id)
    return Response(None, status_code=HTTP_204_NO_CONTENT)


@get("/agents/{agent_id:str}/api-keys", tags=["agents"], summary="An agent's API keys (manage_agents)")
async def list_agent_keys(
    request: Request[Any, Any, Any], agent_id: AgentPath, actor: CurrentActor
) -> list[ApiKeyOut]:
    return await _list(runtime_of(request), actor, agent_id)


@post(
    "/agents/{agent_id:str}/api-keys", tags=["agents"], summary="Make an API key for an agent (manage_agents)"
)
async def create_agent_key(
    request: Request[Any, Any, Any], agent_id: AgentPath, data: JSONBody[ApiKeyIn], actor: CurrentActor
) -> ApiKeyCreatedOut:
    return await _create(runtime_of(request), actor, agent_id, data)


@delete(
    "/agents/{agent_id:str}/api-keys/{key_id:str}",
    tags=["agents"],
    status_code=HTTP_204_NO_CONTENT,
    summary="Revoke an agent's API key (manage_agents)",
)
async def revoke_agent_key(
    request: Request[Any, Any, Any], agent_id: AgentPath, key_id: KeyPath, actor: CurrentActor
) -> Response[None]:
    await _revoke(runtime_of(request), actor, agent_id, key_id)
    return Response(None, status_code=HTTP_204_NO_CONTENT)


routes = [list_my_keys, create_my_key, revoke_my_key, list_agent_keys, create_agent_key, revoke_agent_key]
