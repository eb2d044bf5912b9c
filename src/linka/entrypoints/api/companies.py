"""Companies and their contacts. Ids are public ids (`co_…`)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, delete, get, patch, post
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from linka.domains.contacts import actions, queries
from linka.domains.contacts.schemas import CompanyIn, CompanyOut, CompanyPage, CompanyPatch, ContactPage
from linka.entrypoints.api.auth import CurrentActor, runtime_of
from linka.entrypoints.api.contacts import CompanyId, Cursor, Limit, contact_page


@get("/companies", tags=["companies"], summary="Companies you may see, by name (keyset pages)")
async def list_companies(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    cursor: Cursor = None,
    limit: Limit = None,
    q: Annotated[str | None, Parameter(max_length=200, description="part of a name or mail domain")] = None,
) -> CompanyPage:
    async with runtime_of(request).db.read_session() as session:
        page = await queries.list_companies(session, actor, q=q, cursor=cursor, limit=limit)
        return CompanyPage(
            items=[CompanyOut.from_view(view) for view in page.items], next_cursor=page.next_cursor
        )


@get("/companies/{company_id:str}", tags=["companies"], summary="One company")
async def get_company(
    request: Request[Any, Any, Any], actor: CurrentActor, company_id: CompanyId
) -> CompanyOut:
    async with runtime_of(request).db.read_session() as session:
        key = await queries.company_id_of(session, actor, company_id)
        company = await queries.visible_company(session, actor, key)
        return CompanyOut.from_view((await queries.company_views(session, actor, [company]))[0])


@get(
    "/companies/{company_id:str}/contacts",
    tags=["companies"],
    summary="Contacts of a company you may see, newest first (keyset pages)",
)
async def company_contacts(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    company_id: CompanyId,
    cursor: Cursor = None,
    limit: Limit = None,
) -> ContactPage:
    async with runtime_of(request).db.read_session() as session:
        key = await queries.company_id_of(session, actor, company_id)
        page = await queries.list_contacts(session, actor, company_id=key, cursor=cursor, limit=limit)
        return contact_page(page)


@post("/companies", tags=["companies"], summary="Create a company (needs manage_contacts)")
async def create_company(
    request: Request[Any, Any, Any], actor: CurrentActor, data: JSONBody[CompanyIn]
) -> CompanyOut:
    async with runtime_of(request).uow(actor) as uow:
        company = await actions.create_company(uow, name=data.name, domains=data.domains, notes=data.notes)
        view = (await queries.company_views(uow.session, actor, [company]))[0]
    return CompanyOut.from_view(view)


@patch("/companies/{company_id:str}", tags=["companies"], summary="Change a company (needs manage_contacts)")
async def update_company(
    request: Request[Any, Any, Any], actor: CurrentActor, company_id: CompanyId, data: JSONBody[CompanyPatch]
) -> CompanyOut:
    async with runtime_of(request).uow(actor) as uow:
        key = await queries.company_id_of(uow.session, actor, company_id)
        company = await actions.update_company(
            uow, company_id=key, name=data.name, domains=data.domains, notes=data.notes
        )
        view = (await queries.company_views(uow.session, actor, [company]))[0]
    return CompanyOut.from_view(view)


@delete(
    "/companies/{company_id:str}",
    tags=["companies"],
    status_code=HTTP_204_NO_CONTENT,
    summary="Delete a company; its contacts stay, without it (needs manage_contacts)",
)
async def delete_company(request: Request[Any, Any, Any], actor: CurrentActor, company_id: CompanyId) -> None:
    async with runtime_of(request).uow(actor) as uow:
        key = await queries.company_id_of(uow.session, actor, company_id)
        await actions.delete_company(uow, company_id=key)


routes = [list_companies, get_company, company_contacts, create_company, update_company, delete_company]
