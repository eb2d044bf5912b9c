"""The inbox: the tickets an agent may see, by view, filters and search, with status counts, bulk
actions and live refresh. The list itself is `GET /tickets` (a full page, or only the list for htmx)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from litestar import Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core import clock
from linka.core.errors import Invalid, LinkaError
from linka.core.i18n import N_
from linka.core.permissions import Actor
from linka.domains.accounts import queries as accounts_queries
from linka.domains.tickets import (
    list_queries,
    read_actions,
    routing_actions,
    saved_view_actions,
    saved_view_queries,
    view_queries,
)
from linka.domains.tickets.mass_actions import MassOperation, apply_to_tickets
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.statuses import Priority, Status
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.api.ticket_filters import filters_from_params
from linka.entrypoints.web.auth import WebActor, translator_for
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.form_errors import error_text
from linka.entrypoints.web.labels import CHANNEL_LABELS, PRIORITY_LABELS, STATUS_LABELS
from linka.entrypoints.web.templating import page

PAGE_SIZE = 50
FILTER_KEYS = ("view", "status", "category", "department", "assignee", "tag", "priority", "channel", "q")
# The views every agent has, above their saved ones: (key, label, filters).
BUILTIN_VIEWS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("mine", N_("My tickets"), {"assignee": "me", "category": "active"}),
    ("unassigned", N_("Unassigned"), {"assignee": "unassigned", "category": "active"}),
    ("active", N_("All active"), {"category": "active"}),
    ("done", N_("Resolved and closed"), {"category": "done"}),
    ("trash", N_("Spam and deleted"), {"category": "trash"}),
)
STATUS_MENU = ("new", "open", "answered", "postponed", "resolved")
SLA_SOON = timedelta(hours=2)


@dataclass(frozen=True)
class InboxRow:
    code: str
    subject: str
    contact: str
    department: str
    assignee: str | None
    status: str
    priority: str
    tags: list[str]
    sla_due_at: datetime | None
    sla_state: str  # "", "soon", "overdue"
    last_activity_at: datetime
    unread: bool
    is_new: bool


async def inbox_rows(session: AsyncSession, actor: Actor, tickets: list[Ticket]) -> list[InboxRow]:
    """What a list row shows, for a whole page in a fixed number of queries."""
    ids = [t.id for t in tickets]
    references = await view_queries.ticket_references(session, ids)
    tags = await view_queries.tag_refs(session, ids)
    read = await read_actions.read_times(session, actor.agent_id, ids) if actor.agent_id else {}
    now = clock.now()
    rows = []
    for t in tickets:
        seen = read.get(t.id)
        due = t.sla_due_at if t.status in (Status.NEW, Status.OPEN) else None
        named = references.get(t.id)
        rows.append(
            InboxRow(
                code=t.code,
                subject=t.subject,
                contact=(named.contact.name or named.contact.email or "") if named else "",
                department=named.department_name if named else "",
                assignee=named.assignee_name if named else None,
                status=t.status,
                priority=Priority(t.priority).label,
                tags=[tag.name for tag in tags.get(t.id, [])],
                sla_due_at=due,
                sla_state=""
                if due is None
                else "overdue"
                if due <= now
                else "soon"
                if due - now <= SLA_SOON
                else "",
                last_activity_at=t.last_activity_at,
                unread=seen is None or t.last_activity_at > seen,
                is_new=t.status == Status.NEW,
            )
        )
    return rows


Query = list[tuple[str, str]]


def _all(query: Query, key: str) -> list[str]:
    return [value for name, value in query if name == key and value != ""]


def _params(query: Query) -> dict[str, Any]:
    """The inbox's filters from the query string (several values of one filter are allowed)."""
    params: dict[str, Any] = {}
    for key in FILTER_KEYS:
        values = _all(query, key)
        if values:
            params[key] = values if len(values) > 1 else values[0]
    return params


def _view_filters(view: str | None) -> dict[str, str] | None:
    for key, _label, filters in BUILTIN_VIEWS:
        if key == view:
            return filters
    return None


def _base_context() -> dict[str, Any]:
    return {
        "rows": [],
        "next_cursor": None,
        "appending": False,
        "counts": {},
        "status_menu": STATUS_MENU,
        "builtin_views": BUILTIN_VIEWS,
        "saved_views": [],
        "view": None,
        "params": {},
        "q": "",
        "query": "",
        "selected": set(),
        "departments": [],
        "status_labels": STATUS_LABELS,
        "priority_labels": PRIORITY_LABELS,
        "channel_labels": CHANNEL_LABELS,
        "settable_statuses": ("open", "answered", "postponed", "resolved", "closed", "spam", "deleted"),
    }


async def _inbox_context(session: AsyncSession, actor: Actor, query: Query) -> dict[str, Any]:
    params = _params(query)
    chosen = params.get("view") if isinstance(params.get("view"), str) else None
    effective: dict[str, Any] = {}
    sort = "importance"
    if chosen and chosen.startswith("vw_"):
        saved = await saved_view_queries.usable_view(session, actor, chosen)
        effective.update(saved.filters)
        sort = saved.sort
    elif builtin := _view_filters(chosen):
        effective.update(builtin)
    elif not chosen and not any(k in params for k in ("status", "category", "q")):
        chosen = "mine" if not params else None
        if chosen:
            effective.update(_view_filters("mine") or {})
    effective.update({k: v for k, v in params.items() if k != "view"})
    if "status" in params:
        effective.pop("category", None)
    search = effective.get("q") if isinstance(effective.get("q"), str) else None
    filters = await filters_from_params(session, actor, effective)
    cursor = next(iter(_all(query, "cursor")), None)
    listing = await list_queries.list_tickets(
        session,
        actor,
        filters,
        sort="relevance" if search else sort,
        cursor=cursor,
        limit=PAGE_SIZE,
        search=search,
    )
    counts_filters = await filters_from_params(session, actor, {})
    counts = await list_queries.count_by_status(
        session, actor, counts_filters, [Status(status) for status in STATUS_MENU]
    )
    views = await saved_view_queries.list_views(session, actor)
    departments = await accounts_queries.list_departments(session, actor, limit=100)
    return {
        **_base_context(),
        "rows": await inbox_rows(session, actor, list(listing.items)),
        "next_cursor": listing.next_cursor,
        "appending": cursor is not None,
        "counts": counts,
        "status_menu": STATUS_MENU,
        "builtin_views": BUILTIN_VIEWS,
        "saved_views": views,
        "view": chosen,
        "params": params,
        "q": search or "",
        "query": urlencode([(k, v) for k, v in query if k not in ("cursor", "codes", "nothing_next")]),
        "selected": set(_all(query, "codes")),
        "departments": departments.items,
    }


@get("/tickets")
async def inbox(request: Request[Any, Any, Any], actor: WebActor) -> Response[Any]:
    query: Query = list(request.query_params.multi_items())
    async with runtime_of(request).db.read_session() as session:
        try:
            context = await _inbox_context(session, actor, query)
        except Invalid as error:
            t = translator_for(request, actor)
            detail = t.gettext("This filter cannot be used: %(detail)s") % {"detail": error_text(error, t)}
            context = {**_base_context(), "flash": detail, "flash_kind": "error"}
            return page(request, "inbox/index.html", context, actor=actor, status_code=422)
    if _all(query, "nothing_next"):
        t = translator_for(request, actor)
        context.update(flash=t.gettext("No ticket is waiting for you right now."), flash_kind="info")
    # htmx asks for the list (filters, live refresh) or more rows; a history restore wants the page.
    fragment = request.headers.get("hx-request") == "true" and not request.headers.get(
        "hx-history-restore-request"
    )
    if not fragment:
        template = "inbox/index.html"
    else:
        template = "inbox/_rows.html" if context["appending"] else "inbox/_list.html"
    return page(request, template, context, actor=actor)


@post("/tickets/bulk")
async def bulk_action(request: Request[Any, Any, Any], actor: WebActor) -> Response[Any]:
    """Ticked tickets + one operation; the list comes back with what happened to each."""
    t = translator_for(request, actor)
    form = await request.form()
    codes = [c for c in form.getall("codes", []) if c][:100]
    action = str(form.get("action", ""))
    runtime = runtime_of(request)
    operation: MassOperation | None = None
    message, kind = "", "ok"
    if not codes:
        message, kind = t.gettext("Tick the tickets first."), "warning"
    else:
        name, _, value = action.partition(":")
        async with runtime.db.read_session() as session:
            try:
                if name == "assign_me":
                    operation = MassOperation(action="assign", agent_id=actor.agent_id)
                elif name == "unassign":
                    operation = MassOperation(action="unassign")
                elif name == "status":
                    operation = MassOperation(action="status", status=Status(value))
                elif name == "priority":
                    operation = MassOperation(action="priority", priority=Priority.from_text(value))
                elif name == "transfer":
                    department_id = await accounts_queries.department_id_for_field(
                        session, value, field="department"
                    )
                    operation = MassOperation(action="transfer", department_id=department_id)
                else:
                    raise Invalid("action", "choose an action")
            except (Invalid, ValueError):
                message, kind = t.gettext("Choose what to do with the ticked tickets."), "warning"
    if operation is not None:
        try:
            outcome = await apply_to_tickets(lambda: runtime.uow(actor), codes, operation)
        except LinkaError as error:
            outcome = [(code, error) for code in codes]
        done = sum(1 for _, error in outcome if error is None)
        failed = [(code, error) for code, error in outcome if error is not None]
        message = t.ngettext("%(num)s ticket changed.", "%(num)s tickets changed.", done) % {"num": done}
        if failed:
            kind = "warning"
            details = "; ".join(f"{code}: {error_text(error, t)}" for code, error in failed if error)
            message += " " + t.ngettext(
                "%(num)s ticket could not be changed: %(details)s",
                "%(num)s tickets could not be changed: %(details)s",
                len(failed),
            ) % {"num": len(failed), "details": details}
    back = str(form.get("back", "")) or ""
    target = "/tickets" + (f"?{back}" if back else "")
    if request.headers.get("hx-request") == "true":
        async with runtime.db.read_session() as session:
            context = await _inbox_context(session, actor, parse_qsl(back))
        context.update({"flash": message, "flash_kind": kind})
        return page(request, "inbox/_list.html", context, actor=actor)
    return redirect(request, target)


@post("/tickets/views")
async def save_view(request: Request[Any, Any, Any], actor: WebActor) -> Response[Any]:
    """Saves the inbox's current filters as a personal view."""
    form = await request.form()
    query = parse_qsl(str(form.get("query", "")))
    filters = {k: v for k, v in _params(query).items() if k != "view"}
    async with runtime_of(request).uow(actor) as uow:
        view = await saved_view_actions.create_view(uow, name=str(form.get("name", "")), filters=filters)
    return redirect(request, f"/tickets?view={view.public_id}")


@post("/tickets/next")
async def next_ticket(request: Request[Any, Any, Any], actor: WebActor) -> Response[Any]:
    """Hands the agent the most important unassigned ticket they may work (assigning it to them)."""
    async with runtime_of(request).uow(actor) as uow:
        ticket = await routing_actions.take_next_ticket(uow)
    if ticket is None:
        return redirect(request, "/tickets?view=mine&nothing_next=1")
    return redirect(request, f"/tickets/{ticket.code}")


routes = [inbox, bulk_action, save_view, next_ticket]
