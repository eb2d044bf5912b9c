"""The agent's chats, /chats: a tab for each chat they are in, with the conversation, the composer, and
what can be done with the chat. Lines come and go over the live socket (static/js/chat.js speaks the
agent frames of docs/chat-protocol.md); the fragments here let the page add a chat that was just
accepted, handed over or joined, and catch up after a reconnect. The form posts are in
chats_actions.py, the visitors on the sites in chats_visitors.py."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core import clock
from linka.core.errors import LinkaError, NotFound
from linka.core.i18n import N_
from linka.core.permissions import Actor
from linka.domains.accounts import queries as accounts_queries
from linka.domains.chat import agent_queries
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.web.auth import WebActor, translator_for
from linka.entrypoints.web.chats_view import STATE_LABELS, ChatPanel, chat_panels, client_texts, system_text
from linka.entrypoints.web.form_errors import error_text
from linka.entrypoints.web.templating import page

ChatId = Annotated[str, Parameter(max_length=24)]
Since = Annotated[int, Parameter(query="since", ge=0, le=2**31)]
# After a form post, the page says what was done (`?done=`).
DONE_MESSAGES = {
    "ended": N_("The chat has ended."),
    "transferred": N_("The chat was handed over."),
    "sent": N_("The chat was sent to the department's queue."),
    "invited": N_("Your colleague was invited into the chat."),
    "left": N_("You left the chat."),
    "noted": N_("The internal note was added to the chat's ticket."),
}


async def _panels(session: AsyncSession, actor: Actor, wanted: str | None) -> list[ChatPanel]:
    """The agent's running chats, and the chat `wanted` names if they may see it (just ended, or a
    colleague's a supervisor follows)."""
    chats = await agent_queries.my_running_chats(session, actor)
    if wanted and all(chat.public_id != wanted for chat in chats):
        with contextlib.suppress(NotFound):
            chats.append(await agent_queries.visible_chat(session, actor, wanted))
    return await chat_panels(session, actor, chats, clock.now())


async def page_context(
    request: Request[Any, Any, Any], actor: Actor, wanted: str | None, *, done: str | None = None
) -> dict[str, Any]:
    t = translator_for(request, actor)
    async with runtime_of(request).db.read_session() as session:
        panels = await _panels(session, actor, wanted)
        me = await accounts_queries.agent_summaries(session, [actor.agent_id] if actor.agent_id else [])
    selected = next((p.id for p in panels if p.id == wanted), panels[0].id if panels else None)
    context: dict[str, Any] = {
        "panels": panels,
        "selected": selected,
        "agent_public_id": me.get(actor.agent_id or 0, ("", ""))[0],
        "texts": client_texts(t),
        "timezone": actor.timezone,
        "state_labels": STATE_LABELS,
        "system_text": system_text,
        "section": "chats",
    }
    if done in DONE_MESSAGES:
        context.update(flash=t.gettext(DONE_MESSAGES[done]), flash_kind="ok")
    return context


def render_chats(
    request: Request[Any, Any, Any],
    actor: Actor,
    context: dict[str, Any],
    *,
    error: LinkaError | None = None,
) -> Response[Any]:
    status = 200
    if error is not None:
        context.update(flash=error_text(error, translator_for(request, actor)), flash_kind="error")
        status = error.status
    return page(request, "chats/index.html", context, actor=actor, status_code=status)


@get("/chats")
async def chats_page(
    request: Request[Any, Any, Any],
    actor: WebActor,
    chat: Annotated[str | None, Parameter(query="chat", max_length=24, required=False)] = None,
    done: Annotated[str | None, Parameter(query="done", max_length=16, required=False)] = None,
) -> Response[Any]:
    return render_chats(request, actor, await page_context(request, actor, chat, done=done))


async def _one_panel(request: Request[Any, Any, Any], actor: Actor, chat_id: str) -> ChatPanel:
    async with runtime_of(request).db.read_session() as session:
        chat = await agent_queries.visible_chat(session, actor, chat_id)
        [panel] = await chat_panels(session, actor, [chat], clock.now())
    return panel


@get("/chats/{chat_id:str}/tab")
async def chat_tab(request: Request[Any, Any, Any], actor: WebActor, chat_id: ChatId) -> Response[Any]:
    """A chat's tab and panel, for the page to add (a chat accepted elsewhere, handed over, joined)."""
    panel = await _one_panel(request, actor, chat_id)
    t = translator_for(request, actor)
    return page(
        request,
        "chats/_tab_and_panel.html",
        {
            "p": panel,
            "selected": None,
            "texts": client_texts(t),
            "state_labels": STATE_LABELS,
            "system_text": system_text,
        },
        actor=actor,
    )


@get("/chats/{chat_id:str}/lines")
async def chat_lines(
    request: Request[Any, Any, Any], actor: WebActor, chat_id: ChatId, since: Since = 0
) -> Response[Any]:
    """The chat's lines after number `since` (the page catches up after a reconnect)."""
    async with runtime_of(request).db.read_session() as session:
        chat = await agent_queries.visible_chat(session, actor, chat_id)
        [summary] = await agent_queries.chat_summaries(session, [chat])
        lines = (await agent_queries.lines_of_chats(session, [summary], since=since))[chat.id]
    return page(
        request,
        "chats/_lines.html",
        {"lines": lines, "chat": chat, "system_text": system_text},
        actor=actor,
    )


routes = [chats_page, chat_tab, chat_lines]
