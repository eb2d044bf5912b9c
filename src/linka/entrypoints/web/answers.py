"""Answers, /answers: the canned messages and predefined answers an agent may use, and managing those
they may manage (their own; a department's as its supervisor; global ones with manage_answers). The
answers domain decides who may what; this module shows only the scopes the agent may choose."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import Parameter
from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import Invalid
from linka.core.i18n import N_
from linka.core.permissions import Actor, DepartmentRole, Permission, department_role_at_least
from linka.domains.accounts import queries as accounts_queries
from linka.domains.answers import actions, queries
from linka.domains.answers.rendering import VARIABLES
from linka.domains.answers.schemas import AnswerKind, AnswerOut, AnswerScope
from linka.entrypoints.api.auth import runtime_of
from linka.entrypoints.web.auth import WebActor, translator_for
from linka.entrypoints.web.errors import redirect
from linka.entrypoints.web.form_errors import field_errors
from linka.entrypoints.web.templating import page
from linka.entrypoints.web.ticket_editor import html_as_text, text_to_html

AnswerId = Annotated[str, Parameter(max_length=32)]
PAGE_SIZE = 100
KIND_LABELS = {
    AnswerKind.CANNED.value: N_("Canned message"),
    AnswerKind.PREDEFINED.value: N_("Predefined answer"),
}
SCOPE_LABELS = {
    AnswerScope.PERSONAL.value: N_("Personal"),
    AnswerScope.DEPARTMENT.value: N_("Department"),
    AnswerScope.GLOBAL.value: N_("Everyone"),
}
FIELDS = ("kind", "name", "shortcut", "subject", "body", "language", "scope", "department")


def _scopes(actor: Actor) -> list[str]:
    scopes = [AnswerScope.PERSONAL.value, AnswerScope.DEPARTMENT.value]
    if actor.has(Permission.MANAGE_ANSWERS):
        scopes.append(AnswerScope.GLOBAL.value)
    return scopes


async def _department_choices(session: AsyncSession, actor: Actor) -> list[tuple[str, str]]:
    """Departments whose answers the actor manages: as a supervisor there, or all with manage_answers."""
    departments = (await accounts_queries.list_departments(session, actor, limit=100)).items
    if actor.has(Permission.MANAGE_ANSWERS) or actor.is_admin:
        return [(item.id, item.name) for item in departments]
    keys = {
        public_id: key
        for key, public_id in (
            await accounts_queries.public_ids_of_departments(session, list(actor.departments))
        ).items()
    }
    return [
        (item.id, item.name)
        for item in departments
        if item.id in keys and department_role_at_least(actor, keys[item.id], DepartmentRole.SUPERVISOR)
    ]


@get("/answers")
async def list_answers(
    request: Request[Any, Any, Any],
    actor: WebActor,
    kind: Annotated[str | None, Parameter(query="kind", max_length=16, required=False)] = None,
    q: Annotated[str | None, Parameter(query="q", max_length=100, required=False)] = None,
    cursor: Annotated[str | None, Parameter(query="cursor", max_length=400, required=False)] = None,
) -> Response[Any]:
    wanted = kind if kind in (AnswerKind.CANNED.value, AnswerKind.PREDEFINED.value) else None
    async with runtime_of(request).db.read_session() as session:
        found = await queries.usable_answers(session, actor, kind=wanted, q=q, cursor=cursor, limit=PAGE_SIZE)
        answers = await queries.answer_outs(session, actor, found.items)
        departments = {
            item.id: item.name
            for item in (await accounts_queries.list_departments(session, actor, limit=100)).items
        }
    return page(
        request,
        "answers/list.html",
        {
            "answers": answers,
            "next_cursor": found.next_cursor,
            "kind": wanted or "",
            "q": q or "",
            "departments": departments,
            "kind_labels": KIND_LABELS,
            "scope_labels": SCOPE_LABELS,
        },
        actor=actor,
    )


async def _form_page(
    request: Request[Any, Any, Any],
    actor: Actor,
    *,
    values: dict[str, str],
    answer: AnswerOut | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[Any]:
    t = translator_for(request, actor)
    async with runtime_of(request).db.read_session() as session:
        departments = await _department_choices(session, actor)
    return page(
        request,
        "answers/form.html",
        {
            "answer": answer,
            "values": values,
            "errors": errors or {},
            "error": t.gettext("The answer was not saved. Check the fields marked below.") if errors else "",
            "scopes": _scopes(actor),
            "departments": departments,
            "kind_labels": KIND_LABELS,
            "scope_labels": SCOPE_LABELS,
            "variables": VARIABLES,
        },
        actor=actor,
        translator=t,
        status_code=status_code,
    )


@get("/answers/new")
async def new_answer(
    request: Request[Any, Any, Any],
    actor: WebActor,
    kind: Annotated[str | None, Parameter(query="kind", max_length=16, required=False)] = None,
) -> Response[Any]:
    values = dict.fromkeys(FIELDS, "")
    values.update(
        kind=kind if kind == AnswerKind.PREDEFINED.value else AnswerKind.CANNED.value, scope="personal"
    )
    return await _form_page(request, actor, values=values)


async def _read(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = await request.form()
    return {name: str(form.get(name) or "") for name in FIELDS}


@post("/answers")
async def create_answer(request: Request[Any, Any, Any], actor: WebActor) -> Response[Any]:
    values = await _read(request)
    try:
        async with runtime_of(request).uow(actor) as uow:
            department_id = None
            if values["scope"] == AnswerScope.DEPARTMENT.value:
                if not values["department"]:
                    raise Invalid("department", "a department answer names its department")
                department_id = await accounts_queries.department_id_for_field(
                    uow.session, values["department"], field="department"
                )
            await actions.create_answer(
                uow,
                kind=values["kind"],
                name=values["name"],
                body_html=text_to_html(values["body"]),
                shortcut=values["shortcut"] or None,
                subject=values["subject"] or None,
                language=values["language"] or None,
                scope=values["scope"],
                department_id=department_id,
            )
    except Invalid as failure:
        return await _form_page(
            request,
            actor,
            values=values,
            errors=field_errors(failure, translator_for(request, actor)),
            status_code=failure.status,
        )
    return redirect(request, "/answers")


async def _answer(request: Request[Any, Any, Any], actor: Actor, answer_id: str) -> AnswerOut:
    async with runtime_of(request).db.read_session() as session:
        answer = await queries.usable_answer(session, actor, answer_id)
        return (await queries.answer_outs(session, actor, [answer]))[0]


def _values_of(answer: AnswerOut) -> dict[str, str]:
    return {
        "kind": answer.kind,
        "name": answer.name,
        "shortcut": answer.shortcut or "",
        "subject": answer.subject or "",
        "body": html_as_text(answer.body_html),
        "language": answer.language or "",
        "scope": answer.scope,
        "department": answer.department or "",
    }


@get("/answers/{answer_id:str}")
async def edit_answer(request: Request[Any, Any, Any], actor: WebActor, answer_id: AnswerId) -> Response[Any]:
    answer = await _answer(request, actor, answer_id)
    return await _form_page(request, actor, values=_values_of(answer), answer=answer)


@post("/answers/{answer_id:str}")
async def update_answer(
    request: Request[Any, Any, Any], actor: WebActor, answer_id: AnswerId
) -> Response[Any]:
    answer = await _answer(request, actor, answer_id)
    values = {
        **_values_of(answer),
        **{k: v for k, v in (await _read(request)).items() if k not in ("kind", "scope", "department")},
    }
    try:
        async with runtime_of(request).uow(actor) as uow:
            await actions.update_answer(
                uow,
                answer_public_id=answer.id,
                name=values["name"],
                body_html=text_to_html(values["body"]),
                shortcut=values["shortcut"] if answer.kind == AnswerKind.CANNED.value else UNSET,
                subject=(values["subject"] or None) if answer.kind == AnswerKind.PREDEFINED.value else UNSET,
                language=values["language"] or None,
            )
    except Invalid as failure:
        return await _form_page(
            request,
            actor,
            values=values,
            answer=answer,
            errors=field_errors(failure, translator_for(request, actor)),
            status_code=failure.status,
        )
    return redirect(request, "/answers")


@post("/answers/{answer_id:str}/delete")
async def delete_answer(
    request: Request[Any, Any, Any], actor: WebActor, answer_id: AnswerId
) -> Response[Any]:
    async with runtime_of(request).uow(actor) as uow:
        await actions.delete_answer(uow, answer_public_id=answer_id)
    return redirect(request, "/answers")


routes = [list_answers, new_answer, create_answer, edit_answer, update_answer, delete_answer]
