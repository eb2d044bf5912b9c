"""Contacts: list and search, details, create, change, delete, merge. Ids are public ids (`ct_…`)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, delete, get, patch, post
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from msgspec import UNSET, UnsetType

from linka.core.pagination import MAX_LIMIT
from linka.domains.contacts import actions, queries
from linka.domains.contacts.schemas import ContactIn, ContactOut, ContactPage, ContactPatch, MergeIn
from linka.entrypoints.api.auth import CurrentActor, runtime_of

Cursor = Annotated[str | None, Parameter(max_length=400, description="`next_cursor` of the previous page")]
Limit = Annotated[int | None, Parameter(ge=1, le=MAX_LIMIT, description=f"page size, at most {MAX_LIMIT}")]
ContactId = Annotated[str, Parameter(max_length=24, description="`ct_…`")]
CompanyId = Annotated[str, Parameter(max_length=24, description="`co_…`")]


def contact_page(page: Any) -> ContactPage:
    return ContactPage(
        items=[ContactOut.from_view(view) for view in page.items], next_cursor=page.next_cursor
    )


@get("/contacts", tags=["contacts"], summary="Contacts you may see, newest first (keyset pages)")
async def list_contacts(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    cursor: Cursor = None,
    limit: Limit = None,
    q: Annotated[str | None, Parameter(max_length=200, description="part of a name or email")] = None,
    company: Annotated[str | None, Parameter(max_length=24, description="a company id, `co_…`")] = None,
    email: Annotated[str | None, Parameter(max_length=254, description="an exact email address")] = None,
) -> ContactPage:
    """`q`: part of a name or email (case and diacritics ignored); `company`: a company id;
    `email`: an exact address; `cursor`: the `next_cursor` of the previous page."""
    async with runtime_of(request).db.read_session() as session:
        page = await queries.list_contacts(
            session, actor, q=q, company=company, email=email, cursor=cursor, limit=limit
        )
        return contact_page(page)


@get("/contacts/{contact_id:str}", tags=["contacts"], summary="One contact")
async def get_contact(
    request: Request[Any, Any, Any], actor: CurrentActor, contact_id: ContactId
) -> ContactOut:
    async with runtime_of(request).db.read_session() as session:
        key = await queries.contact_id_of(session, actor, contact_id)
        contact = await queries.visible_contact(session, actor, key)
        return ContactOut.from_view(await queries.contact_view(session, contact))


@post("/contacts", tags=["contacts"], summary="Create a contact")
async def create_contact(
    request: Request[Any, Any, Any], actor: CurrentActor, data: JSONBody[ContactIn]
) -> ContactOut:
    async with runtime_of(request).uow(actor) as uow:
        company_id = None
        if data.company is not None:
            company_id = await queries.company_id_of(uow.session, actor, data.company, field="company")
        contact = await actions.create_contact(
            uow,
            name=data.name,
            emails=data.emails,
            phones=data.phones,
            language=data.language,
            company_id=company_id,
            notes=data.notes,
            fields=data.fields,
        )
        view = await queries.contact_view(uow.session, contact)
    return ContactOut.from_view(view)


@patch("/contacts/{contact_id:str}", tags=["contacts"], summary="Change a contact")
async def update_contact(
    request: Request[Any, Any, Any], actor: CurrentActor, contact_id: ContactId, data: JSONBody[ContactPatch]
) -> ContactOut:
    async with runtime_of(request).uow(actor) as uow:
        key = await queries.contact_id_of(uow.session, actor, contact_id)
        company_id: int | UnsetType | None = UNSET
        if data.company is None or isinstance(data.company, UnsetType):
            company_id = data.company
        else:
            company_id = await queries.company_id_of(uow.session, actor, data.company, field="company")
        contact = await actions.update_contact(
            uow,
            contact_id=key,
            name=data.name,
            emails=data.emails,
            phones=data.phones,
            language=data.language,
            company_id=company_id,
            notes=data.notes,
            fields=data.fields,
        )
        view = await queries.contact_view(uow.session, contact)
    return ContactOut.from_view(view)


@delete(
    "/contacts/{contact_id:str}",
    tags=["contacts"],
    status_code=HTTP_204_NO_CONTENT,
    summary="Delete a contact without tickets (needs manage_contacts)",
)
async def delete_contact(request: Request[Any, Any, Any], actor: CurrentActor, contact_id: ContactId) -> None:
    async with runtime_of(request).uow(actor) as uow:
        key = await queries.contact_id_of(uow.session, actor, contact_id)
        await actions.delete_contact(uow, contact_id=key)


@post(
    "/contacts/{contact_id:str}/merge",
    tags=["contacts"],
    status_code=HTTP_200_OK,
    summary="Merge this contact into another; answers the contact merged into",
)
async def merge_contact(
    request: Request[Any, Any, Any], actor: CurrentActor, contact_id: ContactId, data: JSONBody[MergeIn]
) -> ContactOut:
    async with runtime_of(request).uow(actor) as uow:
        source = await queries.contact_id_of(uow.session, actor, contact_id)
        target = await queries.contact_id_of(uow.session, actor, data.into, field="into")
        contact = await actions.merge_contacts(uow, source_id=source, target_id=target)
        view = await queries.contact_view(uow.session, contact)
    return ContactOut.from_view(view)


routes = [list_contacts, get_contact, create_contact, update_contact, delete_contact, merge_contact]
