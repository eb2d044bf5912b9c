"""Reads of answers with the actor's permissions applied.

Who may use an answer (see it, list it, render it): its owner a personal one; members of its
department (any role) a department one, and everyone holding manage_answers (admins and owners too);
everybody a global one. Who may change one is `may_manage`. Anything else is NotFound.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.errors import Invalid, NotFound
from linka.core.pagination import Page, check_limit, decode_cursor, encode_cursor
from linka.core.permissions import Actor, DepartmentRole, Permission
from linka.core.search import fold
from linka.domains.accounts import queries as accounts_queries
from linka.domains.answers.models import Answer
from linka.domains.answers.rendering import answer_variables, render_answer
from linka.domains.answers.schemas import AnswerKind, AnswerOut, AnswerScope, RenderedAnswer

_PUBLIC_ID = re.compile(r"[a-z]{2}_[0-9a-z]{12}")
_SHORTCUT = re.compile(r"[a-z0-9_-]{1,32}")
Q_MAX = 100
# Which answer a shortcut finds when several scopes have it: the most personal one.
_PRECEDENCE = {AnswerScope.PERSONAL.value: 0, AnswerScope.DEPARTMENT.value: 1, AnswerScope.GLOBAL.value: 2}


def normalise_shortcut(value: str) -> str:
    """What the agent typed ("/Thanks ") as it is stored ("thanks")."""
    return value.strip().removeprefix("/").strip().lower()


def valid_shortcut(value: str) -> bool:
    return _SHORTCUT.fullmatch(value) is not None


def sees_all_department_answers(actor: Actor) -> bool:
    return actor.has(Permission.MANAGE_ANSWERS)


def usable_answer_condition(actor: Actor) -> ColumnElement[bool]:
    """Answers the actor may use: their own personal ones, department ones of departments where they
    have any role (all of them with manage_answers), and the global ones."""
    conditions: list[ColumnElement[bool]] = [Answer.scope == AnswerScope.GLOBAL.value]
    if actor.agent_id is not None:
        conditions.append(
            and_(Answer.scope == AnswerScope.PERSONAL.value, Answer.owner_agent_id == actor.agent_id)
        )
    if sees_all_department_answers(actor):
        conditions.append(Answer.scope == AnswerScope.DEPARTMENT.value)
    elif actor.departments:
        conditions.append(
            and_(
                Answer.scope == AnswerScope.DEPARTMENT.value,
                Answer.department_id.in_(sorted(actor.departments)),
            )
        )
    return or_(*conditions)


def may_manage(actor: Actor, answer: Answer) -> bool:
    """Personal: the owner. Department: its supervisors (or more) and manage_answers holders.
    Global: manage_answers holders. (API keys with read scope are stopped by the actions.)"""
    if answer.scope == AnswerScope.PERSONAL.value:
        return actor.agent_id is not None and answer.owner_agent_id == actor.agent_id
    if actor.has(Permission.MANAGE_ANSWERS):
        return True
    if answer.scope == AnswerScope.DEPARTMENT.value and answer.department_id is not None:
        held = actor.department_role(answer.department_id)
        return held is not None and held.at_least(DepartmentRole.SUPERVISOR)
    return False


async def usable_answer(session: AsyncSession, actor: Actor, public_id: str) -> Answer:
    """An answer the actor may use, by its id; NotFound when there is none or it is not theirs to use."""
    found = None
    if _PUBLIC_ID.fullmatch(public_id):
        query = select(Answer).where(Answer.public_id == public_id, usable_answer_condition(actor))
        found = (await session.execute(query)).scalar_one_or_none()
    if found is None:
        raise NotFound("answer")
    return found


def _kind(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return AnswerKind(value).value
    except ValueError:
        raise Invalid("kind", "must be canned or predefined") from None


def _cursor(values: list[Any] | None) -> tuple[str, int] | None:
    if values is None:
        return None
    name, key = values
    if not isinstance(name, str) or not isinstance(key, int) or isinstance(key, bool):
        raise Invalid("cursor", "not a cursor this API handed out")
    if not 0 < key < 2**63:
        raise Invalid("cursor", "not a cursor this API handed out")
    return name, key


async def usable_answers(
    session: AsyncSession,
    actor: Actor,
    *,
    kind: str | None = None,
    q: str | None = None,
    department_id: int | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Answer]:
    """Answers the actor may use, by name (keyset pages). `kind` canned or predefined; `q` part of the
    name or shortcut (case and accents ignored); `department_id` (the ticket's department) keeps only
    that department's answers besides the personal and global ones. One query."""
    size = check_limit(limit)
    conditions: list[ColumnElement[bool]] = [usable_answer_condition(actor)]
    wanted_kind = _kind(kind)
    if wanted_kind is not None:
        conditions.append(Answer.kind == wanted_kind)
    if q is not None and q.strip():
        if len(q) > Q_MAX:
            raise Invalid("q", "at most %(max)s characters", values={"max": Q_MAX})
        conditions.append(Answer.search_text.contains(fold(q.strip().removeprefix("/")), autoescape=True))
    if department_id is not None:
        conditions.append(
            or_(Answer.scope != AnswerScope.DEPARTMENT.value, Answer.department_id == department_id)
        )
    after = _cursor(decode_cursor(cursor, arity=2))
    if after is not None:
        conditions.append(tuple_(Answer.name, Answer.id) > tuple_(*after))
    query = select(Answer).where(*conditions).order_by(Answer.name, Answer.id).limit(size + 1)
    answers = list((await session.execute(query)).scalars())
    next_cursor = None
    if len(answers) > size:
        answers = answers[:size]
        next_cursor = encode_cursor([answers[-1].name, answers[-1].id])
    return Page(items=answers, next_cursor=next_cursor)


async def answer_by_shortcut(
    session: AsyncSession, actor: Actor, shortcut: str, department_id: int | None
) -> Answer:
    """The canned message a typed shortcut finds for a ticket of `department_id`: the actor's own
    before their department's before the global one. NotFound when none is usable."""
    typed = normalise_shortcut(shortcut)
    if not valid_shortcut(typed):
        raise NotFound("answer")
    scoped: ColumnElement[bool] = true()
    if department_id is not None:
        scoped = or_(Answer.scope != AnswerScope.DEPARTMENT.value, Answer.department_id == department_id)
    query = (
        select(Answer)
        .where(
            usable_answer_condition(actor),
            Answer.kind == AnswerKind.CANNED.value,
            Answer.shortcut == typed,
            scoped,
        )
        .order_by(Answer.id)
        .limit(50)  # one per scope owner at most: a handful
    )
    found = list((await session.execute(query)).scalars())
    if not found:
        raise NotFound("answer")
    return min(found, key=lambda answer: (_PRECEDENCE.get(answer.scope, 9), answer.id))


async def answer_outs(session: AsyncSession, actor: Actor, answers: list[Answer]) -> list[AnswerOut]:
    """Answers as the API shows them: two queries (department and agent ids), whatever their number."""
    departments = await accounts_queries.public_ids_of_departments(
        session, [a.department_id for a in answers if a.department_id is not None]
    )
    agents = await accounts_queries.agent_summaries(
        session,
        [
            agent_id
            for a in answers
            for agent_id in (a.owner_agent_id, a.created_by_agent_id)
            if agent_id is not None
        ],
    )

    def agent(agent_id: int | None) -> str | None:
        return agents[agent_id][0] if agent_id is not None and agent_id in agents else None

    return [
        AnswerOut(
            id=a.public_id,
            kind=a.kind,
            name=a.name,
            shortcut=a.shortcut,
            subject=a.subject,
            body_html=a.body_html,
            language=a.language,
            scope=a.scope,
            department=departments.get(a.department_id) if a.department_id is not None else None,
            owner=agent(a.owner_agent_id),
            created_by=agent(a.created_by_agent_id),
            created_at=a.created_at,
            updated_at=a.updated_at,
            can_manage=may_manage(actor, a),
        )
        for a in answers
    ]


async def rendered_answer(
    session: AsyncSession, actor: Actor, answer_public_id: str, ticket_code: str, base_url: str
) -> RenderedAnswer:
    """An answer the actor may use, filled with the variables of a ticket they may see."""
    answer = await usable_answer(session, actor, answer_public_id)
    subject, body_html = render_answer(answer, await answer_variables(session, actor, ticket_code, base_url))
    return RenderedAnswer(subject=subject, body_html=body_html)
