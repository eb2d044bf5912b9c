"""Canned messages and predefined answers (`an_…`): list those you may use, manage them, and render
one for a ticket (its variables filled in)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Request, delete, get, patch, post
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from linka.core.pagination import MAX_LIMIT
from linka.domains.accounts import queries as accounts_queries
from linka.domains.answers import actions, queries
from linka.domains.answers.schemas import AnswerIn, AnswerOut, AnswerPage, AnswerPatch, RenderedAnswer
from linka.entrypoints.api.auth import CurrentActor, runtime_of

Cursor = Annotated[str | None, Parameter(max_length=400, description="`next_cursor` of the previous page")]
Limit = Annotated[int | None, Parameter(ge=1, le=MAX_LIMIT, description=f"page size, at most {MAX_LIMIT}")]
AnswerId = Annotated[str, Parameter(max_length=32, description="`an_…`")]
Code = Annotated[str, Parameter(max_length=16, description="ticket code, e.g. `XKQ-7A2-M9P`")]


@get("/answers", tags=["answers"], summary="Canned messages and predefined answers you may use, by name")
async def list_answers(
    request: Request[Any, Any, Any],
    actor: CurrentActor,
    kind: Annotated[Literal["canned", "predefined"] | None, Parameter(description="only this kind")] = None,
    q: Annotated[str | None, Parameter(max_length=100, description="part of the name or shortcut")] = None,
    department: Annotated[
        str | None,
        Parameter(
            max_length=32, description="`dp_…`: only this department's answers (besides yours and global)"
        ),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = None,
) -> AnswerPage:
    """Yours, those of departments you belong to, and the global ones (keyset pages)."""
    async with runtime_of(request).db.read_session() as session:
        department_id = None
        if department is not None:
            department_id = await accounts_queries.department_id_for_field(
                session, department, field="department"
            )
        page = await queries.usable_answers(
            session, actor, kind=kind, q=q, department_id=department_id, cursor=cursor, limit=limit
        )
        return AnswerPage(
            items=await queries.answer_outs(session, actor, page.items), next_cursor=page.next_cursor
        )


@post(
    "/answers",
    tags=["answers"],
    summary="Create an answer: personal (anyone), department (supervisors) or global (manage_answers)",
)
async def create_answer(
    request: Request[Any, Any, Any], actor: CurrentActor, data: JSONBody[AnswerIn]
) -> AnswerOut:
    async with runtime_of(request).uow(actor) as uow:
        department_id = None
        if data.department is not None:
            department_id = await accounts_queries.department_id_for_field(
                uow.session, data.department, field="department"
            )
        answer = await actions.create_answer(
            uow,
            kind=data.kind,
            name=data.name,
            body_html=data.body_html,
            shortcut=data.shortcut,
            subject=data.subject,
            language=data.language,
            scope=data.scope,
            department_id=department_id,
        )
        return (await queries.answer_outs(uow.session, actor, [answer]))[0]


@get("/answers/{answer_id:str}", tags=["answers"], summary="One answer you may use")
async def show_answer(request: Request[Any, Any, Any], actor: CurrentActor, answer_id: AnswerId) -> AnswerOut:
    async with runtime_of(request).db.read_session() as session:
        answer = await queries.usable_answer(session, actor, answer_id)
        return (await queries.answer_outs(session, actor, [answer]))[0]


@patch("/answers/{answer_id:str}", tags=["answers"], summary="Change an answer you manage")
async def update_answer(
    request: Request[Any, Any, Any], actor: CurrentActor, answer_id: AnswerId, data: JSONBody[AnswerPatch]
) -> AnswerOut:
    async with runtime_of(request).uow(actor) as uow:
        answer = await actions.update_answer(
            uow,
            answer_public_id=answer_id,
            name=data.name,
            body_html=data.body_html,
            shortcut=data.shortcut,
            subject=data.subject,
            language=data.language,
        )
        return (await queries.answer_outs(uow.session, actor, [answer]))[0]


@delete(
    "/answers/{answer_id:str}",
    tags=["answers"],
    status_code=HTTP_204_NO_CONTENT,
    summary="Delete an answer you manage",
)
async def delete_answer(request: Request[Any, Any, Any], actor: CurrentActor, answer_id: AnswerId) -> None:
    async with runtime_of(request).uow(actor) as uow:
        await actions.delete_answer(uow, answer_public_id=answer_id)


@post(
    "/tickets/{code:str}/answers/{answer_id:str}/render",
    tags=["answers"],
    status_code=HTTP_200_OK,
    summary="An answer with a ticket's variables filled in (changes nothing)",
)
async def render_answer(
    request: Request[Any, Any, Any], actor: CurrentActor, code: Code, answer_id: AnswerId
) -> RenderedAnswer:
    """`{contact.first_name}`, `{ticket.code}`… become the ticket's values (HTML-escaped in the body);
    an unknown variable stays as written. `subject` is null when the answer sets none."""
    runtime = runtime_of(request)
    async with runtime.db.read_session() as session:
        return await queries.rendered_answer(session, actor, answer_id, code, runtime.settings.base_url)


routes = [list_answers, create_answer, show_answer, update_answer, delete_answer, render_answer]
