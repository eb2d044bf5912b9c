"""The chat page's form posts: a line (without JavaScript; the page itself sends lines over the socket),
an internal note on the chat's ticket, handing the chat to a colleague or a department, inviting a
colleague, leaving, ending. Each calls one domain action; a plain form gets a redirect back to the
chat, htmx (the note) the new line. A refusal shows the chats page with the reason."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Request, Response, post
from litestar.datastructures import FormMultiDict
from litestar.params import Parameter

from linka.core.errors import Invalid, LinkaError
from linka.core.permissions import Actor
from linka.core.uow import UnitOfWork
from linka.domains.accounts import queries as accounts_queries
from linka.domains.chat import actions, agent_queries
from linka.domains.tickets import thread_actions
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.web.auth import WebActor, translator_for
from linka.entrypoints.web.chats import page_context, render_chats
from linka.entrypoints.web.chats_view import client_texts
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.form_errors import error_text
from linka.entrypoints.web.templating import page

ChatId = Annotated[str, Parameter(max_length=24)]
# A form's work: given the unit of work, the chat and the form, what to report (`?done=`).
Work = Callable[[UnitOfWork, str, FormMultiDict], Awaitable[str]]


def _value(form: FormMultiDict, name: str) -> str:
    return str(form.get(name) or "").strip()


async def _act(request: Request[Any, Any, Any], actor: Actor, chat_id: str, work: Work) -> Response[Any]:
    form = await request.form()
    try:
        async with runtime_of(request).uow(actor) as uow:
            await agent_queries.visible_chat(uow.session, actor, chat_id)  # others' chats are not found
            done = await work(uow, chat_id, form)
    except LinkaError as error:
        return render_chats(request, actor, await page_context(request, actor, chat_id), error=error)
    if done in ("ended", "left", "transferred", "sent"):
        return redirect(request, f"/chats?done={done}")
    return redirect(request, f"/chats?chat={chat_id}&done={done}")


async def _send(uow: UnitOfWork, chat_id: str, form: FormMultiDict) -> str:
    await actions.post_agent_line(
        uow, chat_public_id=chat_id, key=secrets.token_hex(8), text=_value(form, "text")
    )
    return "line"


async def _end(uow: UnitOfWork, chat_id: str, form: FormMultiDict) -> str:
    await actions.end_chat(uow, chat_public_id=chat_id, by="agent")
    return "ended"


async def _transfer(uow: UnitOfWork, chat_id: str, form: FormMultiDict) -> str:
    """`to` is `agent:ag_…` (hand over) or `department:dp_…` (into that department's queue)."""
    kind, _, public_id = _value(form, "to").partition(":")
    if kind == "agent" and public_id:
        agent_id = await accounts_queries.agent_id_for_field(uow.session, public_id, field="to")
        await actions.transfer_chat(uow, chat_public_id=chat_id, agent_id=agent_id)
        return "transferred"
    if kind == "department" and public_id:
        department_id = await accounts_queries.department_id_for_field(uow.session, public_id, field="to")
        await actions.transfer_chat(uow, chat_public_id=chat_id, department_id=department_id)
        return "sent"
    raise Invalid("to", "choose a colleague or a department")


async def _invite(uow: UnitOfWork, chat_id: str, form: FormMultiDict) -> str:
    agent_id = await accounts_queries.agent_id_for_field(uow.session, _value(form, "agent"), field="agent")
    await actions.invite_to_chat(uow, chat_public_id=chat_id, agent_id=agent_id)
    return "invited"


async def _leave(uow: UnitOfWork, chat_id: str, form: FormMultiDict) -> str:
    await actions.leave_chat(uow, chat_public_id=chat_id)
    return "left"


@post("/chats/{chat_id:str}/send")
async def send_line(request: Request[Any, Any, Any], actor: WebActor, chat_id: ChatId) -> Response[Any]:
    return await _act(request, actor, chat_id, _send)


@post("/chats/{chat_id:str}/end")
async def end_chat(request: Request[Any, Any, Any], actor: WebActor, chat_id: ChatId) -> Response[Any]:
    return await _act(request, actor, chat_id, _end)


@post("/chats/{chat_id:str}/transfer")
async def transfer_chat(request: Request[Any, Any, Any], actor: WebActor, chat_id: ChatId) -> Response[Any]:
    return await _act(request, actor, chat_id, _transfer)


@post("/chats/{chat_id:str}/invite")
async def invite_colleague(
    request: Request[Any, Any, Any], actor: WebActor, chat_id: ChatId
) -> Response[Any]:
    return await _act(request, actor, chat_id, _invite)


@post("/chats/{chat_id:str}/leave")
async def leave_chat(request: Request[Any, Any, Any], actor: WebActor, chat_id: ChatId) -> Response[Any]:
    return await _act(request, actor, chat_id, _leave)


@post("/chats/{chat_id:str}/note")
async def add_note(request: Request[Any, Any, Any], actor: WebActor, chat_id: ChatId) -> Response[Any]:
    """An internal note on the chat's ticket: agents see it (here and in the ticket), the visitor never."""
    text = _value(await request.form(), "text")
    htmx = request.headers.get("hx-request") == "true"
    try:
        async with runtime_of(request).uow(actor) as uow:
            chat = await agent_queries.visible_chat(uow.session, actor, chat_id)
            [summary] = await agent_queries.chat_summaries(uow.session, [chat])
            if not text:
                raise Invalid("text", "must not be empty")
            group = await thread_actions.add_note(uow, code=summary.ticket_code, text=text)
            note = await agent_queries.note_of_group(uow.session, group.id)
    except LinkaError as error:
        if not htmx:
            return render_chats(request, actor, await page_context(request, actor, chat_id), error=error)
        message = error_text(error, translator_for(request, actor))
        return page(
            request, "chats/_note_error.html", {"message": message}, actor=actor, status_code=error.status
        )
    if not htmx:
        return redirect(request, f"/chats?chat={chat_id}&done=noted")
    t = translator_for(request, actor)
    return page(request, "chats/_note.html", {"note": note, "texts": client_texts(t)}, actor=actor)


routes = [send_line, end_chat, transfer_chat, invite_colleague, leave_chat, add_note]
