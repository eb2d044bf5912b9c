"""Contacts in the agent app: the list with search, a contact with their tickets, creating and editing,
merging another contact into one, and deleting. Reads and writes are the contacts domain's, so what an
agent sees here is what the API shows them (an invisible contact is "not found")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import Forbidden, Invalid, NotFound
from linka.core.i18n import Translator
from linka.core.permissions import Actor, Permission
from linka.domains.contacts import actions, queries
from linka.domains.fields import queries as fields_queries
from linka.domains.tickets import list_queries
from linka.domains.tickets import queries as tickets_queries
from linka.domains.tickets.list_queries import TicketFilters
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.web.auth import WebActor, translator_for
from linka.entrypoints.web.contact_forms import (
    FormState,
    field_values_from_form,
    form_errors,
    label_of,
    lines,
    text_of_value,
    widgets,
)
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.form_errors import error_text
from linka.entrypoints.web.labels import STATUS_LABELS
from linka.entrypoints.web.templating import page

PAGE_SIZE = 50
TICKETS_PAGE_SIZE = 25
COMPANY_CHOICES = 100
SEARCH_RESULTS = 20
# Public ids in paths (`ct_…`, `co_…`, `dp_…`, `key_…`).
IdPath = Annotated[str, PathParameter(max_length=32)]
Cursor = Annotated[str | None, QueryParameter(name="cursor", required=False, max_length=400)]
Search = Annotated[str | None, QueryParameter(name="q", required=False, max_length=200)]


@dataclass(frozen=True)
class ContactRow:
    id: str
    name: str
    emails: list[str]
    company: tuple[str, str] | None
    tickets: int


@dataclass(frozen=True)
class TicketRow:
    code: str
    subject: str
    status: str
    last_activity_at: Any


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


async def contact_rows(
    session: AsyncSession, actor: Actor, views: list[queries.ContactView]
) -> list[ContactRow]:
    counts = await list_queries.count_by_contact(session, actor, [view.contact.id for view in views])
    return [
        ContactRow(
            id=view.contact.public_id,
            name=view.contact.name,
            emails=view.emails,
            company=view.company,
            tickets=counts.get(view.contact.id, 0),
        )
        for view in views
    ]


async def ticket_rows(
    session: AsyncSession, actor: Actor, filters: TicketFilters, cursor: str | None
) -> tuple[list[TicketRow], str | None]:
    """The tickets the actor may see, most recently active first (one query a page)."""
    listing = await list_queries.list_tickets(
        session, actor, filters, sort="activity", cursor=cursor, limit=TICKETS_PAGE_SIZE
    )
    rows = [TicketRow(t.code, t.subject, t.status, t.last_activity_at) for t in listing.items]
    return rows, listing.next_cursor


# ---- the list -----------------------------------------------------------------------------------


@get("/contacts")
async def contact_list(
    request: Request[Any, Any, Any], actor: WebActor, q: Search = None, cursor: Cursor = None
) -> Response[Any]:
    async with runtime_of(request).db.read_session() as session:
        listing = await queries.list_contacts(session, actor, q=q, cursor=cursor, limit=PAGE_SIZE)
        rows = await contact_rows(session, actor, listing.items)
    more_query = urlencode({"q": q or "", "cursor": listing.next_cursor or ""})
    context = {
        "rows": rows,
        "search": q or "",
        "next_cursor": listing.next_cursor,
        "more_query": more_query,
        "may_create_company": actor.has(Permission.MANAGE_CONTACTS),
    }
    if request.query_params.get("deleted"):
        context.update(
            {"flash": translator_for(request, actor).gettext("The contact is deleted."), "flash_kind": "ok"}
        )
    template = "contacts/_rows.html" if cursor and is_htmx(request) else "contacts/index.html"
    return page(request, template, context, actor=actor)


# ---- one contact --------------------------------------------------------------------------------


async def _detail_context(
    request: Request[Any, Any, Any], actor: Actor, session: AsyncSession, contact_id: str
) -> dict[str, Any]:
    t = translator_for(request, actor)
    key = await queries.contact_id_of(session, actor, contact_id)
    contact = await queries.visible_contact(session, actor, key)
    view = await queries.contact_view(session, contact)
    tickets, next_tickets = await ticket_rows(session, actor, TicketFilters(contact_id=key), None)
    definitions = await fields_queries.definitions(session, "contact")
    return {
        "view": view,
        "contact": contact,
        "fields": widgets(definitions, dict(view.fields), t),
        "tickets": tickets,
        "next_tickets": next_tickets,
        "more_url": f"/contacts/{contact_id}",
        "status_labels": STATUS_LABELS,
        "may_delete": actor.has(Permission.MANAGE_CONTACTS),
    }


@get("/contacts/{contact_id:str}")
async def contact_detail(
    request: Request[Any, Any, Any],
    actor: WebActor,
    contact_id: IdPath,
    tickets_cursor: Annotated[
        str | None, QueryParameter(name="tickets_cursor", required=False, max_length=400)
    ] = None,
) -> Response[Any]:
    t = translator_for(request, actor)
    async with runtime_of(request).db.read_session() as session:
        if tickets_cursor:  # "more tickets": the next rows only (a whole page without htmx)
            key = await queries.contact_id_of(session, actor, contact_id)
            tickets, next_tickets = await ticket_rows(
                session, actor, TicketFilters(contact_id=key), tickets_cursor
            )
            if is_htmx(request):
                more = {
                    "tickets": tickets,
                    "next_tickets": next_tickets,
                    "more_url": f"/contacts/{contact_id}",
                }
                return page(
                    request, "contacts/_tickets.html", {**more, "status_labels": STATUS_LABELS}, actor=actor
                )
        context = await _detail_context(request, actor, session, contact_id)
        if tickets_cursor:
            context.update({"tickets": tickets, "next_tickets": next_tickets})
    notices = {"saved": t.gettext("Saved."), "merged": t.gettext("The contacts are merged.")}
    for flag, message in notices.items():
        if request.query_params.get(flag):
            context.update({"flash": message, "flash_kind": "ok"})
    return page(request, "contacts/detail.html", context, actor=actor)


# ---- creating and editing -----------------------------------------------------------------------


async def _form_context(
    request: Request[Any, Any, Any], actor: Actor, session: AsyncSession, state: FormState
) -> dict[str, Any]:
    """What the contact form needs: the companies to choose from (the chosen one among them) and the
    custom fields with the values to show."""
    t = translator_for(request, actor)
    companies = await queries.list_companies(session, actor, limit=COMPANY_CHOICES)
    choices = [(view.company.public_id, view.company.name) for view in companies.items]
    chosen = str(state.values.get("company") or "")
    if chosen and chosen not in {public_id for public_id, _ in choices}:
        try:
            company = await queries.visible_company(
                session, actor, await queries.company_id_of(session, actor, chosen)
            )
            choices.insert(0, (company.public_id, company.name))
        except NotFound:
            state.values["company"] = ""
    definitions = await fields_queries.definitions(session, "contact")
    return {
        "state": state,
        "companies": choices,
        "more_companies": companies.next_cursor is not None,
        "fields": widgets(definitions, state.values.get("fields", {}), t),
    }


def _state_of_view(view: queries.ContactView) -> FormState:
    contact = view.contact
    return FormState(
        values={
            "name": contact.name,
            "emails": "\n".join(view.emails),
            "phones": "\n".join(view.phones),
            "language": contact.language or "",
            "company": view.company[0] if view.company else "",
            "notes": contact.notes,
            "fields": dict(view.fields),
        }
    )


async def _submitted(
    request: Request[Any, Any, Any], session: AsyncSession
) -> tuple[FormState, dict[str, Any]]:
    """The form as sent (to show again on an error) and the arguments for the action."""
    form = await request.form()
    definitions = await fields_queries.definitions(session, "contact")
    fields = field_values_from_form(form, definitions)
    text = {
        name: str(form.get(name, "")) for name in ("name", "emails", "phones", "language", "company", "notes")
    }
    arguments = {
        "name": text["name"],
        "emails": lines(text["emails"]),
        "phones": lines(text["phones"]),
        "language": text["language"] or None,
        "notes": text["notes"],
        "fields": fields,
    }
    return FormState(values={**text, "fields": fields}), arguments


def _invalid_page(
    request: Request[Any, Any, Any], actor: Actor, template: str, context: dict[str, Any], error: Invalid
) -> Response[Any]:
    t = translator_for(request, actor)
    context["state"].errors = form_errors(error, t)
    context["flash"] = t.gettext("Some fields need attention.")
    context["flash_kind"] = "error"
    return page(request, template, context, actor=actor, status_code=422)


@get("/contacts/new")
async def new_contact_form(
    request: Request[Any, Any, Any],
    actor: WebActor,
    company: Annotated[str | None, QueryParameter(name="company", required=False, max_length=24)] = None,
) -> Response[Any]:
    async with runtime_of(request).db.read_session() as session:
        context = await _form_context(request, actor, session, FormState(values={"company": company or ""}))
    return page(request, "contacts/form.html", {**context, "contact": None}, actor=actor)


@post("/contacts/new")
async def create_contact(request: Request[Any, Any, Any], actor: WebActor) -> Response[Any]:
    runtime = runtime_of(request)
    async with runtime.db.read_session() as session:
        state, arguments = await _submitted(request, session)
    try:
        async with runtime.uow(actor) as uow:
            company = state.values["company"]
            company_id = (
                await queries.company_id_of(uow.session, actor, company, field="company_id")
                if company
                else None
            )
            contact = await actions.create_contact(uow, company_id=company_id, **arguments)
            public_id = contact.public_id
    except Invalid as error:
        async with runtime.db.read_session() as session:
            context = await _form_context(request, actor, session, state)
        return _invalid_page(request, actor, "contacts/form.html", {**context, "contact": None}, error)
    return redirect(request, f"/contacts/{public_id}?saved=1")


@get("/contacts/{contact_id:str}/edit")
async def edit_contact_form(
    request: Request[Any, Any, Any], actor: WebActor, contact_id: IdPath
) -> Response[Any]:
    async with runtime_of(request).db.read_session() as session:
        key = await queries.contact_id_of(session, actor, contact_id)
        contact = await queries.visible_contact(session, actor, key)
        view = await queries.contact_view(session, contact)
        context = await _form_context(request, actor, session, _state_of_view(view))
    return page(request, "contacts/form.html", {**context, "contact": contact}, actor=actor)


@post("/contacts/{contact_id:str}/edit")
async def update_contact(
    request: Request[Any, Any, Any], actor: WebActor, contact_id: IdPath
) -> Response[Any]:
    runtime = runtime_of(request)
    async with runtime.db.read_session() as session:
        key = await queries.contact_id_of(session, actor, contact_id)
        contact = await queries.visible_contact(session, actor, key)
        state, arguments = await _submitted(request, session)
    try:
        async with runtime.uow(actor) as uow:
            company = state.values["company"]
            company_id = (
                await queries.company_id_of(uow.session, actor, company, field="company_id")
                if company
                else None
            )
            await actions.update_contact(uow, contact_id=key, company_id=company_id, **arguments)
    except Invalid as error:
        async with runtime.db.read_session() as session:
            context = await _form_context(request, actor, session, state)
        return _invalid_page(request, actor, "contacts/form.html", {**context, "contact": contact}, error)
    return redirect(request, f"/contacts/{contact_id}?saved=1")


# ---- merging and deleting -----------------------------------------------------------------------


@get("/contacts/{contact_id:str}/merge")
async def merge_page(
    request: Request[Any, Any, Any],
    actor: WebActor,
    contact_id: IdPath,
    q: Search = None,
    source: Annotated[str | None, QueryParameter(name="source", required=False, max_length=24)] = None,
) -> Response[Any]:
    """Find the contact to merge into this one, then see what moves before confirming."""
    async with runtime_of(request).db.read_session() as session:
        key = await queries.contact_id_of(session, actor, contact_id)
        target = await queries.contact_view(session, await queries.visible_contact(session, actor, key))
        context = await _merge_context(
            session, actor, translator_for(request, actor), target, q=q, source=source
        )
    return page(request, "contacts/merge.html", context, actor=actor)


async def _merge_context(
    session: AsyncSession,
    actor: Actor,
    t: Translator,
    target: queries.ContactView,
    *,
    q: str | None,
    source: str | None,
) -> dict[str, Any]:
    results: list[ContactRow] = []
    if q and q.strip():
        found = await queries.list_contacts(session, actor, q=q, limit=SEARCH_RESULTS + 1)
        results = await contact_rows(
            session,
            actor,
            [view for view in found.items if view.contact.id != target.contact.id][:SEARCH_RESULTS],
        )
    preview: dict[str, Any] | None = None
    if source:
        source_key = await queries.contact_id_of(session, actor, source)
        if source_key == target.contact.id:
            raise Invalid("source", "a contact cannot be merged into itself")
        source_view = await queries.contact_view(
            session, await queries.visible_contact(session, actor, source_key)
        )
        tickets, more = await ticket_rows(session, actor, TicketFilters(contact_id=source_key), None)
        hidden = 0
        if not queries.sees_all_contacts(actor):
            hidden = await tickets_queries.invisible_tickets_of_contact(session, actor, source_key)
        labels = {
            d.key: label_of(d, t.language) for d in await fields_queries.definitions(session, "contact")
        }
        taken_fields = [
            (labels.get(key, key), t.gettext("Yes") if value is True else text_of_value(value))
            for key, value in source_view.fields.items()
            if value not in (None, [], False) and target.fields.get(key) in (None, [], False)
        ]
        preview = {
            "source": source_view,
            "tickets": tickets,
            "more_tickets": more is not None,
            "hidden_tickets": hidden,
            "new_phones": [phone for phone in source_view.phones if phone not in target.phones],
            "taken_fields": taken_fields,
            "takes_name": not target.contact.name and bool(source_view.contact.name),
            "takes_company": target.company is None and source_view.company is not None,
        }
    return {
        "target": target,
        "search": q or "",
        "results": results,
        "preview": preview,
        "status_labels": STATUS_LABELS,
        "error": "",
    }


@post("/contacts/{contact_id:str}/merge")
async def merge_contact(
    request: Request[Any, Any, Any], actor: WebActor, contact_id: IdPath
) -> Response[Any]:
    """Merge the chosen contact (`source`) into this one; the source is deleted."""
    t = translator_for(request, actor)
    form = await request.form()
    source = str(form.get("source", ""))
    runtime = runtime_of(request)
    try:
        async with runtime.uow(actor) as uow:
            key = await queries.contact_id_of(uow.session, actor, contact_id)
            source_key = await queries.contact_id_of(uow.session, actor, source, field="source")
            await actions.merge_contacts(uow, source_id=source_key, target_id=key)
    except (Invalid, Forbidden) as error:
        message = (
            t.gettext(
                "That contact has tickets you may not see. Ask someone who manages contacts to merge it."
            )
            if isinstance(error, Forbidden)
            else t.gettext("These contacts cannot be merged: %(detail)s") % {"detail": error_text(error, t)}
        )
        async with runtime.db.read_session() as session:
            key = await queries.contact_id_of(session, actor, contact_id)
            target = await queries.contact_view(session, await queries.visible_contact(session, actor, key))
            context = await _merge_context(session, actor, t, target, q=None, source=None)
        context.update({"flash": message, "flash_kind": "error"})
        return page(request, "contacts/merge.html", context, actor=actor, status_code=422)
    return redirect(request, f"/contacts/{contact_id}?merged=1")


@post("/contacts/{contact_id:str}/delete")
async def delete_contact(
    request: Request[Any, Any, Any], actor: WebActor, contact_id: IdPath
) -> Response[Any]:
    if not actor.has(Permission.MANAGE_CONTACTS):  # deleting is not there for them
        raise NotFound("page")
    t = translator_for(request, actor)
    runtime = runtime_of(request)
    try:
        async with runtime.uow(actor) as uow:
            key = await queries.contact_id_of(uow.session, actor, contact_id)
            await actions.delete_contact(uow, contact_id=key)
    except Invalid as error:  # a Conflict: the contact has tickets
        async with runtime.db.read_session() as session:
            context = await _detail_context(request, actor, session, contact_id)
        message = t.gettext(
            "A contact with tickets cannot be deleted. Merge it into another contact instead."
        )
        context.update(
            {"flash": message if error.code == "conflict" else error_text(error, t), "flash_kind": "error"}
        )
        return page(request, "contacts/detail.html", context, actor=actor, status_code=409)
    return redirect(request, "/contacts?deleted=1")


routes = [
    contact_list,
    new_contact_form,
    create_contact,
    contact_detail,
    edit_contact_form,
    update_contact,
    merge_page,
    merge_contact,
    delete_contact,
]
