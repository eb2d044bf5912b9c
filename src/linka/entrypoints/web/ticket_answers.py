"""Answers in the reply editor: canned messages offered while the agent types `/shortcut`, and the
predefined answers picker. Both are rendered with the ticket's variables by the answers domain."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import Parameter

from linka.domains.answers import queries as answers_queries
from linka.domains.answers.rendering import answer_variables, render_answer
from linka.domains.answers.schemas import AnswerKind
from linka.domains.tickets import draft_actions, queries
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.web.auth import WebActor
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.templating import page
from linka.entrypoints.web.ticket_editor import KIND_OF_MODE, addresses, html_as_text, mode_of, text_to_html
from linka.entrypoints.web.ticket_reply import is_htmx, read_form, render_editor

Code = Annotated[str, Parameter(max_length=16)]
SUGGESTIONS = 8


@get("/tickets/{code:str}/answers")
async def canned_suggestions(
    request: Request[Any, Any, Any],
    actor: WebActor,
    code: Code,
    q: Annotated[str, Parameter(query="q", max_length=100)] = "",
) -> Response[Any]:
    """Canned messages whose shortcut or name holds `q`, each with its text filled in for this ticket
    (the exact shortcut first): the editor inserts the chosen one where `/q` was typed."""
    runtime = runtime_of(request)
    typed = answers_queries.normalise_shortcut(q)
    async with runtime.db.read_session() as session:
        ticket = await queries.visible_ticket(session, actor, code)
        found = await answers_queries.usable_answers(
            session,
            actor,
            kind=AnswerKind.CANNED.value,
            q=typed or None,
            department_id=ticket.department_id,
            limit=SUGGESTIONS,
        )
        variables = await answer_variables(session, actor, ticket.code, runtime.settings.base_url)
    answers = sorted(found.items, key=lambda answer: answer.shortcut != typed)
    suggestions = [
        {"answer": answer, "text": html_as_text(render_answer(answer, variables)[1])} for answer in answers
    ]
    return page(
        request,
        "ticket/_answer_suggestions.html",
        {"code": ticket.code, "suggestions": suggestions, "q": typed},
        actor=actor,
    )


@post("/tickets/{code:str}/answers/apply")
async def apply_answer(request: Request[Any, Any, Any], actor: WebActor, code: Code) -> Response[Any]:
    """A predefined answer into the editor: its text after what is there, its subject (if it has one)
    as the reply's subject."""
    form = await read_form(request)
    chosen = str((await request.form()).get("answer") or "")
    runtime = runtime_of(request)
    async with runtime.db.read_session() as session:
        ticket = await queries.visible_ticket(session, actor, code)
        rendered = await answers_queries.rendered_answer(
            session, actor, chosen, ticket.code, runtime.settings.base_url
        )
    text = html_as_text(rendered.body_html)
    form["text"] = f"{form['text'].rstrip()}\n\n{text}".strip() if form["text"].strip() else text
    if rendered.subject:
        form["subject"] = rendered.subject
    mode = mode_of(form["mode"])
    if mode == "note":
        mode = form["mode"] = "reply"
    if is_htmx(request):
        return await render_editor(request, actor, ticket.code, form=form, focus=True)
    async with runtime.uow(actor) as uow:
        await draft_actions.save_draft(
            uow,
            code=ticket.code,
            kind=KIND_OF_MODE[mode].value if mode in KIND_OF_MODE else "forward",
            body_html=text_to_html(form["text"]),
            to=addresses(form["to"]),
            cc=addresses(form["cc"]),
            subject=form["subject"],
            attachment_ids=form["attachment_ids"],
        )
    return redirect(request, f"/tickets/{ticket.code}#editor")


routes = [canned_suggestions, apply_answer]
