"""Tags: the list every agent picks from, their definitions (manage_settings), and tagging a ticket
(whoever may work it). Tags are `tg_…`; tickets are addressed by code."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, delete, get, patch, post, put
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from linka.core.pagination import MAX_LIMIT
from linka.domains.tickets import tag_actions, tag_queries
from linka.domains.tickets.tag_schemas import TagIn, TagOut, TagPage, TagPatch, TicketTagsOut
from linka.entrypoints.api.auth import CurrentActor, runtime_of

Cursor = Annotated[str | None, Parameter(max_length=400, description="`next_cursor` of the previous page")]
Limit = Annotated[int | None, Parameter(ge=1, le=MAX_LIMIT, description=f"page size, at most {MAX_LIMIT}")]
TagId = Annotated[str, Parameter(max_length=24, description="`tg_…`")]
Code = Annotated[str, Parameter(max_length=16, description="ticket code, e.g. `XKQ-7A2-M9P`")]


@get("/tags", tags=["tags"], summary="Tags by name (keyset pages); everyone reads them")
async def list_tags(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    cursor: Cursor = None,
    limit: Limit = None,
    q: Annotated[str | None, Parameter(max_length=60, description="part of a tag's name")] = None,
) -> TagPage:
    async with runtime_of(request).db.read_session() as session:
        page = await tag_queries.list_tags(session, actor, q=q, cursor=cursor, limit=limit)
        return TagPage(items=[TagOut.from_model(tag) for tag in page.items], next_cursor=page.next_cursor)


@post("/tags", tags=["tags"], summary="Create a tag (manage_settings)")
async def create_tag(request: Request[Any, Any, Any], actor: CurrentActor, data: JSONBody[TagIn]) -> TagOut:
    async with runtime_of(request).uow(actor) as uow:
        tag = await tag_actions.create_tag(uow, name=data.name, colour=data.colour, is_public=data.is_public)
        return TagOut.from_model(tag)


@patch(
    "/tags/{tag_id:str}", tags=["tags"], summary="Rename, recolour, make public or private (manage_settings)"
)
async def update_tag(
    request: Request[Any, Any, Any], actor: CurrentActor, tag_id: TagId, data: JSONBody[TagPatch]
) -> TagOut:
    async with runtime_of(request).uow(actor) as uow:
        tag = await tag_queries.tag_by_public_id(uow.session, tag_id)
        tag = await tag_actions.update_tag(
            uow, tag_id=tag.id, name=data.name, colour=data.colour, is_public=data.is_public
        )
        return TagOut.from_model(tag)


@delete(
    "/tags/{tag_id:str}",
    tags=["tags"],
    status_code=HTTP_204_NO_CONTENT,
    summary="Delete a tag; it comes off every ticket (manage_settings)",
)
async def delete_tag(request: Request[Any, Any, Any], actor: CurrentActor, tag_id: TagId) -> None:
    async with runtime_of(request).uow(actor) as uow:
        tag = await tag_queries.tag_by_public_id(uow.session, tag_id)
        await tag_actions.delete_tag(uow, tag_id=tag.id)


@put(
    "/tickets/{code:str}/tags/{tag_id:str}",
    tags=["tags"],
    summary="Put a tag on a ticket you may work; answers the ticket's tags",
)
async def tag_ticket(
    request: Request[Any, Any, Any], actor: CurrentActor, code: Code, tag_id: TagId
) -> TicketTagsOut:
    async with runtime_of(request).uow(actor) as uow:
        tag = await tag_queries.tag_by_public_id(uow.session, tag_id)
        ticket = await tag_actions.tag_ticket(uow, code=code, tag_ids=[tag.id])
        tags = (await tag_queries.tags_of(uow.session, [ticket.id])).get(ticket.id, [])
        return TicketTagsOut(ticket=ticket.code, tags=[TagOut.from_model(item) for item in tags])


@delete(
    "/tickets/{code:str}/tags/{tag_id:str}",
    tags=["tags"],
    status_code=HTTP_204_NO_CONTENT,
    summary="Take a tag off a ticket you may work (no change when it is not there)",
)
async def untag_ticket(
    request: Request[Any, Any, Any], actor: CurrentActor, code: Code, tag_id: TagId
) -> None:
    async with runtime_of(request).uow(actor) as uow:
        tag = await tag_queries.tag_by_public_id(uow.session, tag_id)
        await tag_actions.untag_ticket(uow, code=code, tag_ids=[tag.id])


routes = [list_tags, create_tag, update_tag, delete_tag, tag_ticket, untag_ticket]
