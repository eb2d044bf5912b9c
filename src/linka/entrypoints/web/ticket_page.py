"""The ticket page, /tickets/{code}: the thread, the reply editor and the side panel, and the fragments
the page refreshes live (thread, panel, history, one message with its images).

Every read goes through the permission-aware domain queries: a ticket the agent may not see answers
404 on every URL under it. A full page view marks the ticket read for the agent afterwards, in a unit
of work of its own.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import Invalid, NotFound
from linka.core.i18n import N_, Translator
from linka.core.permissions import Actor
from linka.domains.chat import agent_queries as chat_agent_queries
from linka.domains.tickets import history_queries, queries, read_actions, thread_queries
from linka.domains.tickets.models import Ticket
from linka.domains.tickets.thread_schemas import GroupKind
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.web.auth import WebActor, translator_for
from linka.entrypoints.web.templating import page
from linka.entrypoints.web.ticket_editor import EditorState, load_editor
from linka.entrypoints.web.ticket_panel_view import panel_view
from linka.entrypoints.web.ticket_thread_view import GroupView, group_view, thread_views

Code = Annotated[str, Parameter(max_length=16)]
GroupId = Annotated[str, Parameter(max_length=32)]
Cursor = Annotated[str | None, Parameter(query="cursor", max_length=400, required=False)]
THREAD_PAGE = 100
HISTORY_PAGE = 50
# History actions as the history tab names them (English source, translated in the template).
HISTORY_LABELS = {
    "created": N_("Created"),
    "updated": N_("Changed"),
    "status_changed": N_("Status changed"),
    "assigned": N_("Assigned"),
    "unassigned": N_("Unassigned"),
    "transferred": N_("Transferred"),
    "message_added": N_("Message added"),
    "tagged": N_("Tag added"),
    "untagged": N_("Tag removed"),
    "fields_changed": N_("Custom fields changed"),
    "merged": N_("Merged into another ticket"),
    "merged_in": N_("Tickets merged in"),
    "split": N_("Split"),
    "attachment_uploaded": N_("File uploaded"),
    "contact_changed": N_("Contact changed"),
    "custom_status_removed": N_("Custom status removed"),
}


async def thread_of(
    session: AsyncSession, actor: Actor, code: str, cursor: str | None = None
) -> dict[str, Any]:
    """The thread's groups as the page shows them, a page at a time (oldest first)."""
    page_ = await thread_queries.thread_page(session, actor, code, cursor=cursor, limit=THREAD_PAGE)
    views = thread_views(code, page_.items)
    chats = [view for view in views if view.group.kind == GroupKind.CHAT.value]
    if chats:  # one more query, only for threads with a chat: its lines with authors and times
        lines = await chat_agent_queries.lines_of_chat_groups(session, [view.id for view in chats])
        for view in chats:
            view.chat_lines = lines[view.id]
    return {"groups": views, "next_cursor": page_.next_cursor}


async def ticket_context(
    session: AsyncSession,
    actor: Actor,
    code: str,
    translator: Translator,
    *,
    mode: str | None = None,
    editor: EditorState | None = None,
) -> dict[str, Any]:
    """Everything the page shows, in a fixed number of queries."""
    ticket = await queries.visible_ticket(session, actor, code)
    panel = await panel_view(session, actor, ticket, translator)
    thread = await thread_of(session, actor, ticket.code)
    if editor is None:
        editor = await load_editor(session, actor, ticket, panel.out, mode=mode)
    return {"code": ticket.code, "ticket": ticket, "panel": panel, "editor": editor, **thread}


def render_page(
    request: Request[Any, Any, Any],
    actor: Actor,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> Response[Any]:
    return page(request, "ticket/page.html", context, actor=actor, status_code=status_code)


async def mark_read(request: Request[Any, Any, Any], actor: Actor, code: str) -> None:
    async with runtime_of(request).uow(actor) as uow:
        await read_actions.mark_ticket_read(uow, code=code)


@get("/tickets/{code:str}")
async def ticket_page(
    request: Request[Any, Any, Any],
    actor: WebActor,
    code: Code,
    mode: Annotated[str | None, Parameter(query="mode", max_length=16, required=False)] = None,
) -> Response[Any]:
    translator = translator_for(request, actor)
    async with runtime_of(request).db.read_session() as session:
        context = await ticket_context(session, actor, code, translator, mode=mode)
    await mark_read(request, actor, context["code"])
    return render_page(request, actor, context)


@get("/tickets/{code:str}/thread")
async def thread_fragment(
    request: Request[Any, Any, Any], actor: WebActor, code: Code, cursor: Cursor = None
) -> Response[Any]:
    async with runtime_of(request).db.read_session() as session:
        ticket = await queries.visible_ticket(session, actor, code)
        thread = await thread_of(session, actor, ticket.code, cursor)
    template = "ticket/_thread_more.html" if cursor else "ticket/_thread.html"
    return page(request, template, {"code": ticket.code, **thread}, actor=actor)


async def render_panel(
    request: Request[Any, Any, Any],
    actor: Actor,
    code: str,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    message: str = "",
    merge_confirm: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    """The side panel (for htmx), or the whole page around it (a plain form post that failed)."""
    translator = translator_for(request, actor)
    async with runtime_of(request).db.read_session() as session:
        if request.headers.get("hx-request") == "true":
            ticket = await queries.visible_ticket(session, actor, code)
            panel = await panel_view(session, actor, ticket, translator)
            context: dict[str, Any] = {"code": ticket.code, "panel": panel}
            template = "ticket/_panel.html"
        else:
            context = await ticket_context(session, actor, code, translator)
            panel = context["panel"]
            template = "ticket/page.html"
    panel.errors, panel.message, panel.merge_confirm = errors or {}, message, merge_confirm
    return page(request, template, context, actor=actor, status_code=status_code, headers=headers)


@get("/tickets/{code:str}/panel")
async def panel_fragment(request: Request[Any, Any, Any], actor: WebActor, code: Code) -> Response[Any]:
    translator = translator_for(request, actor)
    async with runtime_of(request).db.read_session() as session:
        ticket = await queries.visible_ticket(session, actor, code)
        panel = await panel_view(session, actor, ticket, translator)
    return page(request, "ticket/_panel.html", {"code": ticket.code, "panel": panel}, actor=actor)


async def group_of(session: AsyncSession, actor: Actor, ticket: Ticket, group_id: str) -> GroupView:
    try:
        group = await thread_queries.group_of_ticket(session, ticket.id, group_id, field="group")
    except Invalid:
        raise NotFound("message") from None
    return group_view(ticket.code, (await thread_queries.group_outs(session, [group]))[0], load_images=True)


@get("/tickets/{code:str}/thread/{group_id:str}")
async def group_with_images(
    request: Request[Any, Any, Any], actor: WebActor, code: Code, group_id: GroupId
) -> Response[Any]:
    """One message again, its remote images loaded (the agent asked for them)."""
    async with runtime_of(request).db.read_session() as session:
        ticket = await queries.visible_ticket(session, actor, code)
        view = await group_of(session, actor, ticket, group_id)
    if request.headers.get("hx-request") == "true":
        return page(request, "ticket/_group.html", {"code": ticket.code, "g": view}, actor=actor)
    return page(
        request, "ticket/message.html", {"code": ticket.code, "g": view, "ticket": ticket}, actor=actor
    )


@get("/tickets/{code:str}/history")
async def history(
    request: Request[Any, Any, Any], actor: WebActor, code: Code, cursor: Cursor = None
) -> Response[Any]:
    async with runtime_of(request).db.read_session() as session:
        ticket = await queries.visible_ticket(session, actor, code)
        entries = await history_queries.ticket_history(session, ticket.id, cursor=cursor, limit=HISTORY_PAGE)
    context = {"code": ticket.code, "ticket": ticket, "history": entries, "labels": HISTORY_LABELS}
    template = (
        "ticket/_history.html" if request.headers.get("hx-request") == "true" else "ticket/history.html"
    )
    return page(request, template, context, actor=actor)


routes = [ticket_page, thread_fragment, panel_fragment, group_with_images, history]
