"""The signed-in agent: who they are (with their departments and permissions) and their own settings."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, patch
from litestar.params import JSONBody

from linka.domains.accounts import agent_actions, queries
from linka.domains.accounts.schemas import MeOut, MeUpdateIn
from linka.entrypoints.api.auth import CurrentActor, runtime_of


@get("/me", tags=["me"], summary="The signed-in agent, with their departments and permissions")
async def show_me(request: Request[Any, Any, Any], actor: CurrentActor) -> MeOut:
    async with runtime_of(request).db.read_session() as session:
        return await queries.show_me(session, actor)


@patch("/me", tags=["me"], summary="Change your own name, language, time zone, signature, availability")
async def update_me(
    request: Request[Any, Any, Any], actor: CurrentActor, data: JSONBody[MeUpdateIn]
) -> MeOut:
    async with runtime_of(request).uow(actor) as uow:
        await agent_actions.update_me(
            uow,
            name=data.name,
            language=data.language,
            timezone=data.timezone,
            signature=data.signature,
            availability=data.availability,
        )
        return await queries.show_me(uow.session, uow.actor)


routes = [show_me, update_me]
