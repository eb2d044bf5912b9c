"""Saved ticket views: list, create, change, delete. Use one with GET /tickets?view=vw_…"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, delete, get, patch, post
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.permissions import Actor
from linka.domains.accounts import queries as accounts_queries
from linka.domains.tickets import saved_view_actions, saved_view_queries
from linka.domains.tickets.models import SavedView
from linka.domains.tickets.schemas import ViewIn, ViewList, ViewOut, ViewPatch
from linka.entrypoints.api.auth import CurrentActor, runtime_of

ViewId = Annotated[str, Parameter(max_length=32, description="`vw_…`")]


async def _outs(session: AsyncSession, actor: Actor, views: list[SavedView]) -> list[ViewOut]:
    departments = await accounts_queries.public_ids_of_departments(
        session, [view.department_id for view in views if view.department_id is not None]
    )
    return [
        ViewOut(
            id=view.public_id,
            name=view.name,
            filters=view.filters,  # type: ignore[arg-type]
            sort=view.sort,
            department=departments.get(view.department_id) if view.department_id is not None else None,
            mine=view.owner_agent_id == actor.agent_id,
        )
        for view in views
    ]


@get("/views", tags=["views"], summary="Your saved ticket views and those shared with your departments")
async def list_views(request: Request[Any, Any, Any], actor: CurrentActor) -> ViewList:
    async with runtime_of(request).db.read_session() as session:
        return ViewList(
            items=await _outs(session, actor, await saved_view_queries.list_views(session, actor))
        )


@post("/views", tags=["views"], summary="Save a ticket view (shared with a department: supervisors)")
async def create_view(
    request: Request[Any, Any, Any], actor: CurrentActor, data: JSONBody[ViewIn]
) -> ViewOut:
    async with runtime_of(request).uow(actor) as uow:
        department_id = None
        if data.department is not None:
            department_id = await accounts_queries.department_id_for_field(
                uow.session, data.department, field="department"
            )
        view = await saved_view_actions.create_view(
            uow, name=data.name, filters=dict(data.filters), sort=data.sort, department_id=department_id
        )
        return (await _outs(uow.session, actor, [view]))[0]


@patch("/views/{view_id:str}", tags=["views"], summary="Change a saved view")
async def update_view(
    request: Request[Any, Any, Any], actor: CurrentActor, view_id: ViewId, data: JSONBody[ViewPatch]
) -> ViewOut:
    async with runtime_of(request).uow(actor) as uow:
        view = await saved_view_actions.update_view(
            uow,
            view_public_id=view_id,
            name=data.name if isinstance(data.name, str) else None,
            filters=dict(data.filters) if isinstance(data.filters, dict) else None,
            sort=data.sort if isinstance(data.sort, str) else None,
        )
        return (await _outs(uow.session, actor, [view]))[0]


@delete(
    "/views/{view_id:str}", tags=["views"], status_code=HTTP_204_NO_CONTENT, summary="Delete a saved view"
)
async def delete_view(request: Request[Any, Any, Any], actor: CurrentActor, view_id: ViewId) -> None:
    async with runtime_of(request).uow(actor) as uow:
        await saved_view_actions.delete_view(uow, view_public_id=view_id)


routes = [list_views, create_view, update_view, delete_view]
