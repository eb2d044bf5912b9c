"""Visitors on the sites, /chats/visitors: who is on a page with a chat button of a department the agent
may see, where they are and came from, how long and how often they have been there; solvers invite
one to chat with a few words. And the top bar's hint of whether the agent is rung for chats."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import Parameter

from linka.core import clock
from linka.core.errors import LinkaError
from linka.core.i18n import N_, Translator
from linka.core.permissions import DepartmentRole, department_role_at_least
from linka.domains.chat import agent_queries, visitor_actions
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.web.auth import WebActor, translator_for
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.form_errors import error_text
from linka.entrypoints.web.templating import page

VisitorId = Annotated[str, Parameter(max_length=24)]
# Offered in the visitor's language (they read it), editable before sending.
INVITATION = N_("Hello! Can I help you with anything?")


async def _visitors_context(request: Request[Any, Any, Any], actor: Any) -> dict[str, Any]:
    now = clock.now()
    async with runtime_of(request).db.read_session() as session:
        rows = await agent_queries.online_visitors(session, actor, now)
    visitors = [
        {
            "row": row,
            "on_site": now - row.visitor.visit_started_at,
            "may_invite": not row.chatting
            and department_role_at_least(actor, row.department_id, DepartmentRole.SOLVER),
            "invitation": Translator(row.visitor.language).gettext(INVITATION),
        }
        for row in rows
    ]
    return {"visitors": visitors, "section": "visitors"}


@get("/chats/visitors")
async def visitors_page(
    request: Request[Any, Any, Any],
    actor: WebActor,
    invited: Annotated[str | None, Parameter(query="invited", max_length=24, required=False)] = None,
) -> Response[Any]:
    context = await _visitors_context(request, actor)
    if request.headers.get("hx-request") == "true":
        return page(request, "chats/_visitors.html", context, actor=actor)
    if invited:
        t = translator_for(request, actor)
        context.update(flash=t.gettext("The invitation is on the visitor's screen."), flash_kind="ok")
    return page(request, "chats/visitors.html", context, actor=actor)


@post("/chats/visitors/{visitor_id:str}/invite")
async def invite_visitor(
    request: Request[Any, Any, Any], actor: WebActor, visitor_id: VisitorId
) -> Response[Any]:
    text = str((await request.form()).get("text") or "")
    try:
        async with runtime_of(request).uow(actor) as uow:
            await visitor_actions.invite_visitor(uow, visitor_public_id=visitor_id, text=text)
    except LinkaError as error:
        context = await _visitors_context(request, actor)
        context.update(flash=error_text(error, translator_for(request, actor)), flash_kind="error")
        return page(request, "chats/visitors.html", context, actor=actor, status_code=error.status)
    return redirect(request, f"/chats/visitors?invited={visitor_id}")


@get("/chats/availability")
async def chat_availability(request: Request[Any, Any, Any], actor: WebActor) -> Response[Any]:
    """Whether chats ring this agent, and from where (loaded by the top bar's availability switch)."""
    async with runtime_of(request).db.read_session() as session:
        departments = await agent_queries.chat_departments_of(session, actor)
    return page(
        request,
        "chats/_availability.html",
        {"departments": departments, "availability": actor.availability},
        actor=actor,
    )


routes = [visitors_page, invite_visitor, chat_availability]
