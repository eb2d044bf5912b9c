"""The reply editor's writes: send a reply, note or forward (the API's thread actions), keep the draft
on the server (the draft actions), switch modes, and upload files to attach.

Before sending, the editor's `seen` (the newest thread group the agent had) is compared with the thread:
when the customer or a colleague wrote since, nothing is sent and the editor comes back (409) with
what is new and a "Send anyway" button, which sends with the new `seen`.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, post
from litestar.params import Parameter

from linka.core.errors import Conflict, Invalid
from linka.core.permissions import Actor
from linka.domains.tickets import (
    actions,
    draft_actions,
    draft_queries,
    queries,
    thread_actions,
    thread_queries,
)
from linka.domains.tickets.thread_schemas import GroupOut
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.api.ticket_thread import store_upload
from linka.entrypoints.web.auth import WebActor, translator_for
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.form_errors import error_text, field_errors
from linka.entrypoints.web.templating import page
from linka.entrypoints.web.ticket_editor import (
    EditorState,
    addresses,
    apply_mode,
    editor_for,
    mode_of,
    text_to_html,
)
from linka.entrypoints.web.ticket_page import render_page, ticket_context
from linka.entrypoints.web.ticket_thread_view import group_view

Code = Annotated[str, Parameter(max_length=16)]
THIS_TICKET_CHANGED = {"HX-Trigger": "linka:this-ticket"}
SINGLE_FIELDS = ("mode", "to", "cc", "subject", "text", "seen", "group_id", "switch_mode")


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


async def read_form(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The editor's fields (text ones as strings, `attachment_ids` as a list)."""
    form = await request.form()
    data: dict[str, Any] = {name: str(form.get(name) or "") for name in SINGLE_FIELDS}
    data["attachment_ids"] = [str(value) for value in form.getall("attachment_ids", []) if value]
    return data


class _WrittenMeanwhile(Exception):
    def __init__(self, groups: list[GroupOut]) -> None:
        super().__init__("written meanwhile")
        self.groups = groups


async def render_editor(
    request: Request[Any, Any, Any],
    actor: Actor,
    code: str,
    *,
    form: dict[str, Any] | None = None,
    mode: str | None = None,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    error: str = "",
    newer: list[GroupOut] | None = None,
    headers: dict[str, str] | None = None,
    focus: bool = False,
) -> Response[Any]:
    """The editor alone (htmx), or the page around it (a plain form post)."""
    translator = translator_for(request, actor)
    async with runtime_of(request).db.read_session() as session:
        editor = await editor_for(session, actor, code, mode=mode, form=form)
        if mode is not None and form is not None:
            apply_mode(editor, mode_of(mode))
        editor.errors, editor.error, editor.focus = errors or {}, error, focus
        if newer:
            editor.newer = [group_view(editor.code, group) for group in newer]
            editor.seen = newer[-1].id
        if is_htmx(request):
            return page(
                request,
                "ticket/_editor.html",
                {"code": editor.code, "editor": editor},
                actor=actor,
                translator=translator,
                status_code=status_code,
                headers=headers,
            )
        context = await ticket_context(session, actor, code, translator, editor=editor)
    return render_page(request, actor, context, status_code=status_code)


async def _send(request: Request[Any, Any, Any], actor: Actor, code: str, form: dict[str, Any]) -> str:
    """Send what the editor holds, unless someone wrote since the agent's `seen`. The ticket's code."""
    mode = mode_of(form["mode"])
    text = form["text"]
    async with runtime_of(request).uow(actor) as uow:
        ticket = await queries.workable_ticket(uow.session, actor, code)  # locked until the commit
        newer = await thread_queries.groups_written_since(
            uow.session, ticket.id, form["seen"], agent_id=actor.agent_id
        )
        if newer:
            raise _WrittenMeanwhile(await thread_queries.group_outs(uow.session, newer))
        if mode == "note":
            await thread_actions.add_note(
                uow, code=ticket.code, text=text, attachment_ids=form["attachment_ids"]
            )
        elif mode == "forward":
            await thread_actions.forward(
                uow,
                code=ticket.code,
                to=addresses(form["to"]),
                text=text,
                group_id=form["group_id"] or None,
            )
        else:
            subject = " ".join(form["subject"].split())
            if subject and subject != ticket.subject:
                await actions.update_ticket(uow, code=ticket.code, subject=subject)
            to = addresses(form["to"])
            await thread_actions.reply(
                uow,
                code=ticket.code,
                text=text,
                html=text_to_html(text) or None,
                attachment_ids=form["attachment_ids"],
                to=to[0] if to else None,
                cc=[*to[1:], *addresses(form["cc"])],
            )
        return ticket.code


@post("/tickets/{code:str}/send")
async def send(request: Request[Any, Any, Any], actor: WebActor, code: Code) -> Response[Any]:
    form = await read_form(request)
    t = translator_for(request, actor)
    try:
        sent_on = await _send(request, actor, code, form)
    except _WrittenMeanwhile as meanwhile:
        return await render_editor(request, actor, code, form=form, status_code=409, newer=meanwhile.groups)
    except (Invalid, Conflict) as failure:
        return await render_editor(
            request,
            actor,
            code,
            form=form,
            status_code=failure.status,
            errors=field_errors(failure, t) or {failure.code: error_text(failure, t)},
            error=t.gettext("Nothing was sent. Check the message below."),
        )
    if is_htmx(request):
        return await render_editor(request, actor, sent_on, headers=THIS_TICKET_CHANGED)
    return redirect(request, f"/tickets/{sent_on}")


def _is_blank(form: dict[str, Any], state: EditorState) -> bool:
    return not form["text"].strip() and not form["attachment_ids"] and form["to"] in ("", state.reply_to)


async def _keep_draft(request: Request[Any, Any, Any], actor: Actor, code: str, form: dict[str, Any]) -> str:
    """The editor's content becomes the agent's draft (an emptied editor discards it). A line saying so."""
    t = translator_for(request, actor)
    runtime = runtime_of(request)
    async with runtime.db.read_session() as session:
        state = await editor_for(session, actor, code, form=form)
    try:
        async with runtime.uow(actor) as uow:
            if _is_blank(form, state):
                await draft_actions.discard_draft(uow, code=code)
                return ""
            await draft_actions.save_draft(
                uow,
                code=code,
                kind=state.draft_kind,
                body_html=text_to_html(form["text"]),
                to=addresses(form["to"]),
                cc=addresses(form["cc"]) if state.is_email else [],
                subject=form["subject"],
                attachment_ids=form["attachment_ids"],
            )
            return t.gettext("Draft saved %(time)s") % {"time": t.time(uow.now)}
    except Invalid as failure:
        return t.gettext("The draft was not saved: %(reason)s") % {"reason": error_text(failure, t)}


@post("/tickets/{code:str}/draft")
async def save_draft(request: Request[Any, Any, Any], actor: WebActor, code: Code) -> Response[Any]:
    """Autosave (and the "Save draft" button)."""
    message = await _keep_draft(request, actor, code, await read_form(request))
    if not is_htmx(request):
        return redirect(request, f"/tickets/{code}#editor")
    return page(request, "ticket/_draft_status.html", {"message": message}, actor=actor)


@post("/tickets/{code:str}/draft/discard")
async def discard_draft(request: Request[Any, Any, Any], actor: WebActor, code: Code) -> Response[Any]:
    async with runtime_of(request).uow(actor) as uow:
        await draft_actions.discard_draft(uow, code=code)
    if is_htmx(request):
        return await render_editor(request, actor, code, focus=True)
    return redirect(request, f"/tickets/{code}#editor")


@post("/tickets/{code:str}/editor")
async def switch_mode(request: Request[Any, Any, Any], actor: WebActor, code: Code) -> Response[Any]:
    """Reply, reply all, note or forward: the editor again in that mode, with what was typed."""
    form = await read_form(request)
    mode = mode_of(form["switch_mode"] or form["mode"])
    if is_htmx(request):
        return await render_editor(request, actor, code, form=form, mode=mode, focus=True)
    form["mode"] = mode  # without JavaScript the text typed so far waits in the draft
    await _keep_draft(request, actor, code, form)
    return redirect(request, f"/tickets/{code}?mode={mode}#editor")


@post("/tickets/{code:str}/attachments", request_max_body_size=None)
async def upload(request: Request[Any, Any, Any], actor: WebActor, code: Code) -> Response[Any]:
    """A file for the next reply or note: stored on the ticket and put on the agent's draft (so it is
    there after a reload as well); htmx gets the line the editor lists it with."""
    t = translator_for(request, actor)
    try:
        attachment = await store_upload(request, actor, code)
    except Invalid as failure:
        message = t.gettext("The file was not uploaded: %(reason)s") % {"reason": error_text(failure, t)}
        if is_htmx(request):
            return page(
                request, "ticket/_upload_error.html", {"message": message}, actor=actor, status_code=422
            )
        return await render_editor(request, actor, code, status_code=422, error=message)
    runtime = runtime_of(request)
    async with runtime.uow(actor) as uow:
        ticket = await queries.workable_ticket(uow.session, actor, code)
        draft = None
        if actor.agent_id is not None:
            draft = await draft_queries.draft_of_ticket(uow.session, ticket.id, actor.agent_id)
        if draft is None:
            await draft_actions.save_draft(uow, code=ticket.code, attachment_ids=[attachment.public_id])
        else:
            await draft_actions.save_draft(
                uow,
                code=ticket.code,
                kind=draft.kind,
                body_html=draft.body_html,
                to=draft.to_addresses,
                cc=draft.cc_addresses,
                bcc=draft.bcc_addresses,
                subject=draft.subject,
                attachment_ids=[*draft.attachment_ids, attachment.public_id],
            )
    if is_htmx(request):
        out = thread_queries.attachment_out(attachment)
        return page(request, "ticket/_upload.html", {"file": out}, actor=actor, translator=t)
    return redirect(request, f"/tickets/{ticket.code}#editor")


routes = [send, save_draft, discard_draft, switch_mode, upload]
