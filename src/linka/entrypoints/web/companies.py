"""Companies in the agent app: the list with search, a company with its mail domains, contacts and
their tickets, and (for those who manage contacts) creating, editing and deleting companies. What an
agent sees is decided by the contacts domain: a company shows through the contacts they may see."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import Invalid, NotFound
from linka.core.permissions import Actor, Permission
from linka.domains.contacts import actions, queries
from linka.domains.tickets.list_queries import TicketFilters
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.web.auth import WebActor, translator_for
from linka.entrypoints.web.contact_forms import FormState, form_errors, lines
from linka.entrypoints.web.contacts import Cursor, IdPath, Search, contact_rows, is_htmx, ticket_rows
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.labels import STATUS_LABELS
from linka.entrypoints.web.templating import page

PAGE_SIZE = 50
CONTACTS_PAGE_SIZE = 25
TicketsCursor = Annotated[str | None, QueryParameter(name="tickets_cursor", required=False, max_length=400)]
ContactsCursor = Annotated[str | None, QueryParameter(name="contacts_cursor", required=False, max_length=400)]


def require_company_manager(actor: Actor) -> None:
    """Changing companies needs manage_contacts; for others these pages are not there."""
    if not actor.has(Permission.MANAGE_CONTACTS):
        raise NotFound("page")


@get("/companies")
async def company_list(
    request: Request[Any, Any, Any], actor: WebActor, q: Search = None, cursor: Cursor = None
) -> Response[Any]:
    async with runtime_of(request).db.read_session() as session:
        listing = await queries.list_companies(session, actor, q=q, cursor=cursor, limit=PAGE_SIZE)
    context: dict[str, Any] = {
        "rows": listing.items,
        "search": q or "",
        "next_cursor": listing.next_cursor,
        "more_query": urlencode({"q": q or "", "cursor": listing.next_cursor or ""}),
        "may_manage": actor.has(Permission.MANAGE_CONTACTS),
    }
    if request.query_params.get("deleted"):
        t = translator_for(request, actor)
        context.update({"flash": t.gettext("The company is deleted."), "flash_kind": "ok"})
    template = "companies/_rows.html" if cursor and is_htmx(request) else "companies/index.html"
    return page(request, template, context, actor=actor)


async def _detail_context(
    session: AsyncSession,
    actor: Actor,
    company_id: str,
    *,
    contacts_cursor: str | None = None,
    tickets_cursor: str | None = None,
) -> dict[str, Any]:
    key = await queries.company_id_of(session, actor, company_id)
    company = await queries.visible_company(session, actor, key)
    [view] = await queries.company_views(session, actor, [company])
    contacts = await queries.list_contacts(
        session, actor, company_id=key, cursor=contacts_cursor, limit=CONTACTS_PAGE_SIZE
    )
    filters = TicketFilters(contact_ids_of_company=queries.contact_ids_of_company(key))
    tickets, next_tickets = await ticket_rows(session, actor, filters, tickets_cursor)
    return {
        "view": view,
        "company": company,
        "contacts": await contact_rows(session, actor, contacts.items),
        "next_contacts": contacts.next_cursor,
        "tickets": tickets,
        "next_tickets": next_tickets,
        "more_url": f"/companies/{company_id}",
        "status_labels": STATUS_LABELS,
        "may_manage": actor.has(Permission.MANAGE_CONTACTS),
    }


@get("/companies/{company_id:str}")
async def company_detail(
    request: Request[Any, Any, Any],
    actor: WebActor,
    company_id: IdPath,
    contacts_cursor: ContactsCursor = None,
    tickets_cursor: TicketsCursor = None,
) -> Response[Any]:
    t = translator_for(request, actor)
    async with runtime_of(request).db.read_session() as session:
        context = await _detail_context(
            session, actor, company_id, contacts_cursor=contacts_cursor, tickets_cursor=tickets_cursor
        )
    if is_htmx(request) and tickets_cursor:
        return page(request, "contacts/_tickets.html", context, actor=actor)
    if is_htmx(request) and contacts_cursor:
        return page(request, "companies/_contacts.html", context, actor=actor)
    if request.query_params.get("saved"):
        context.update({"flash": t.gettext("Saved."), "flash_kind": "ok"})
    return page(request, "companies/detail.html", context, actor=actor)


# ---- creating, editing, deleting (manage_contacts) ----------------------------------------------


def _submitted(form: dict[str, str]) -> tuple[FormState, dict[str, Any]]:
    values = {name: form.get(name, "") for name in ("name", "domains", "notes")}
    arguments = {"name": values["name"], "domains": lines(values["domains"]), "notes": values["notes"]}
    return FormState(values=values), arguments


def _invalid(
    request: Request[Any, Any, Any], actor: Actor, context: dict[str, Any], error: Invalid
) -> Response[Any]:
    t = translator_for(request, actor)
    context["state"].errors = form_errors(error, t)
    context.update({"flash": t.gettext("Some fields need attention."), "flash_kind": "error"})
    return page(request, "companies/form.html", context, actor=actor, status_code=422)


@get("/companies/new")
async def new_company_form(request: Request[Any, Any, Any], actor: WebActor) -> Response[Any]:
    require_company_manager(actor)
    return page(request, "companies/form.html", {"state": FormState(), "company": None}, actor=actor)


@post("/companies/new")
async def create_company(request: Request[Any, Any, Any], actor: WebActor) -> Response[Any]:
    require_company_manager(actor)
    state, arguments = _submitted(dict((await request.form()).items()))
    try:
        async with runtime_of(request).uow(actor) as uow:
            company = await actions.create_company(uow, **arguments)
            public_id = company.public_id
    except Invalid as error:
        return _invalid(request, actor, {"state": state, "company": None}, error)
    return redirect(request, f"/companies/{public_id}?saved=1")


@get("/companies/{company_id:str}/edit")
async def edit_company_form(
    request: Request[Any, Any, Any], actor: WebActor, company_id: IdPath
) -> Response[Any]:
    require_company_manager(actor)
    async with runtime_of(request).db.read_session() as session:
        key = await queries.company_id_of(session, actor, company_id)
        company = await queries.visible_company(session, actor, key)
        domains = await queries.domains_of(session, key)
    state = FormState(values={"name": company.name, "domains": "\n".join(domains), "notes": company.notes})
    return page(request, "companies/form.html", {"state": state, "company": company}, actor=actor)


@post("/companies/{company_id:str}/edit")
async def update_company(
    request: Request[Any, Any, Any], actor: WebActor, company_id: IdPath
) -> Response[Any]:
    require_company_manager(actor)
    state, arguments = _submitted(dict((await request.form()).items()))
    runtime = runtime_of(request)
    async with runtime.db.read_session() as session:
        key = await queries.company_id_of(session, actor, company_id)
        company = await queries.visible_company(session, actor, key)
    try:
        async with runtime.uow(actor) as uow:
            await actions.update_company(uow, company_id=key, **arguments)
    except Invalid as error:
        return _invalid(request, actor, {"state": state, "company": company}, error)
    return redirect(request, f"/companies/{company_id}?saved=1")


@post("/companies/{company_id:str}/delete")
async def delete_company(
    request: Request[Any, Any, Any], actor: WebActor, company_id: IdPath
) -> Response[Any]:
    """The company goes; its contacts stay, without a company."""
    require_company_manager(actor)
    async with runtime_of(request).uow(actor) as uow:
        key = await queries.company_id_of(uow.session, actor, company_id)
        await actions.delete_company(uow, company_id=key)
    return redirect(request, "/companies?deleted=1")


routes = [
    company_list,
    new_company_form,
    create_company,
    company_detail,
    edit_company_form,
    update_company,
    delete_company,
]
