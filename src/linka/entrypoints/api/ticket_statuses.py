"""Ticket statuses as agents see them: the built-in ones (English, Czech, Hungarian names) and custom
ones (`ts_…`) that admins with manage_settings define, each behaving as its category."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, delete, get, patch, post
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from linka.domains.tickets import custom_status_actions, custom_status_queries
from linka.domains.tickets.custom_status_schemas import (
    CustomStatusIn,
    CustomStatusPatch,
    StatusList,
    StatusOut,
)
from linka.entrypoints.api.auth import CurrentActor, runtime_of

StatusId = Annotated[str, Parameter(max_length=24, description="`ts_…` (built-in statuses are not changed)")]


@get("/ticket-statuses", tags=["tickets"], summary="Built-in and custom ticket statuses with their names")
async def list_statuses(request: Request[Any, Any, Any], actor: CurrentActor) -> StatusList:
    async with runtime_of(request).db.read_session() as session:
        views = await custom_status_queries.list_statuses(session, actor)
        return StatusList(items=[StatusOut.from_view(view, actor.language) for view in views])


@post("/ticket-statuses", tags=["tickets"], summary="Add a custom status (manage_settings)")
async def create_status(
    request: Request[Any, Any, Any], actor: CurrentActor, data: JSONBody[CustomStatusIn]
) -> StatusOut:
    async with runtime_of(request).uow(actor) as uow:
        status = await custom_status_actions.create_custom_status(
            uow,
            name=data.name,
            category=data.category,
            translations=dict(data.translations),
            position=data.position,
        )
        return StatusOut.from_view(custom_status_queries.custom_view(status), actor.language)


@patch(
    "/ticket-statuses/{status_id:str}",
    tags=["tickets"],
    summary="Rename, translate or reorder a custom status; its category only while unused (manage_settings)",
)
async def update_status(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    status_id: StatusId,
    data: JSONBody[CustomStatusPatch],
) -> StatusOut:
    async with runtime_of(request).uow(actor) as uow:
        status = await custom_status_queries.custom_status_by_public_id(uow.session, status_id)
        status = await custom_status_actions.update_custom_status(
            uow,
            status_id=status.id,
            name=data.name,
            category=data.category,
            translations=data.translations,
            position=data.position,
        )
        return StatusOut.from_view(custom_status_queries.custom_view(status), actor.language)


@delete(
    "/ticket-statuses/{status_id:str}",
    tags=["tickets"],
    status_code=HTTP_204_NO_CONTENT,
    summary="Delete a custom status; its tickets keep their category (manage_settings)",
)
async def delete_status(request: Request[Any, Any, Any], actor: CurrentActor, status_id: StatusId) -> None:
    async with runtime_of(request).uow(actor) as uow:
        status = await custom_status_queries.custom_status_by_public_id(uow.session, status_id)
        await custom_status_actions.delete_custom_status(uow, status_id=status.id)


routes = [list_statuses, create_status, update_status, delete_status]
