"""Writes of answers: create, update, delete. Each checks who may manage the answer's scope
(`queries.may_manage`), validates every field with an error naming it, and leaves history and an
`AnswerChanged` event. Kind and scope are fixed once created."""

from __future__ import annotations

from typing import Any

from msgspec import UNSET, UnsetType
from sqlalchemy import select

from linka.core.errors import Conflict, Forbidden, Invalid
from linka.core.ids import public_id
from linka.core.permissions import Permission, require, require_write
from linka.core.search import fold
from linka.core.uow import UnitOfWork
from linka.domains.accounts import queries as accounts_queries
from linka.domains.answers import queries
from linka.domains.answers.events import AnswerChanged
from linka.domains.answers.models import Answer
from linka.domains.answers.schemas import (
    BODY_MAX,
    LANGUAGES,
    NAME_MAX,
    SUBJECT_MAX,
    AnswerKind,
    AnswerScope,
)
from linka.domains.tickets.thread_actions import sanitise_html


def _enum(field: str, value: str, kinds: type[AnswerKind] | type[AnswerScope]) -> Any:
    try:
        return kinds(value)
    except ValueError:
        raise Invalid(
            field, "must be one of %(choices)s", values={"choices": ", ".join(kind.value for kind in kinds)}
        ) from None


def _name(value: str) -> str:
    name = " ".join(value.replace("\x00", "").split())
    if not name:
        raise Invalid("name", "must not be empty")
    if len(name) > NAME_MAX:
        raise Invalid("name", "at most %(max)s characters", values={"max": NAME_MAX})
    return name


def _shortcut(kind: AnswerKind, value: str | None) -> str | None:
    if kind is AnswerKind.PREDEFINED:
        if value is not None and value.strip():
            raise Invalid("shortcut", "only canned messages have a shortcut")
        return None
    if value is None or not queries.normalise_shortcut(value):
        raise Invalid("shortcut", "a canned message needs a shortcut, e.g. thanks")
    shortcut = queries.normalise_shortcut(value)
    if not queries.valid_shortcut(shortcut):
        raise Invalid("shortcut", "1 to 32 lower-case letters, digits, - or _")
    return shortcut


def _subject(kind: AnswerKind, value: str | None) -> str | None:
    subject = " ".join((value or "").replace("\x00", "").split())
    if not subject:
        return None
    if kind is AnswerKind.CANNED:
        raise Invalid("subject", "only predefined answers have a subject")
    if len(subject) > SUBJECT_MAX:
        raise Invalid("subject", "at most %(max)s characters", values={"max": SUBJECT_MAX})
    return subject


def _body(value: str) -> str:
    if len(value) > BODY_MAX:
        raise Invalid("body_html", "at most %(max)s characters", values={"max": BODY_MAX})
    body = sanitise_html(value).strip()
    if not body:
        raise Invalid("body_html", "must not be empty")
    return body


def _language(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if value not in LANGUAGES:
        raise Invalid(
            "language",
            "must be one of %(choices)s, or null for any",
            values={"choices": ", ".join(LANGUAGES)},
        )
    return value


def _search_text(answer: Answer) -> str:
    return "\n".join([fold(answer.name), answer.shortcut or ""])


def snapshot(answer: Answer) -> dict[str, Any]:
    return {
        "kind": answer.kind,
        "name": answer.name,
        "shortcut": answer.shortcut,
        "subject": answer.subject,
        "body_html": answer.body_html,
        "language": answer.language,
        "scope": answer.scope,
        "department_id": answer.department_id,
        "owner_agent_id": answer.owner_agent_id,
    }


async def _check_shortcut_free(uow: UnitOfWork, answer: Answer) -> None:
    if answer.shortcut is None:
        return
    query = select(Answer.id).where(Answer.scope_key == answer.scope_key, Answer.shortcut == answer.shortcut)
    if answer.id is not None:
        query = query.where(Answer.id != answer.id)
    with uow.session.no_autoflush:  # the check must run before the clashing row reaches the index
        clash = (await uow.session.execute(query.limit(1))).first()
    if clash is not None:
        raise Conflict(
            "shortcut", "/%(shortcut)s is already used in this scope", values={"shortcut": answer.shortcut}
        )


def _event(answer: Answer, change: str) -> AnswerChanged:
    return AnswerChanged(
        answer_id=answer.id,
        change=change,
        scope=answer.scope,
        department_id=answer.department_id,
        owner_agent_id=answer.owner_agent_id,
    )


async def create_answer(
    uow: UnitOfWork,
    *,
    kind: str,
    name: str,
    body_html: str,
    shortcut: str | None = None,
    subject: str | None = None,
    language: str | None = None,
    scope: str = AnswerScope.PERSONAL.value,
    department_id: int | None = None,
) -> Answer:
    """A personal answer (anyone, for themselves), a department's (its supervisors, or manage_answers)
    or a global one (manage_answers)."""
    require_write(uow.actor)
    answer_kind = _enum("kind", kind, AnswerKind)
    answer_scope = _enum("scope", scope, AnswerScope)
    owner_agent_id = None
    if answer_scope is AnswerScope.PERSONAL:
        if uow.actor.agent_id is None:
            raise Forbidden("personal answers belong to agents")
        if department_id is not None:
            raise Invalid("department", "only department answers name a department")
        owner_agent_id = uow.actor.agent_id
        scope_key = f"agent:{owner_agent_id}"
    elif answer_scope is AnswerScope.DEPARTMENT:
        if department_id is None:
            raise Invalid("department", "a department answer names its department")
        if not await accounts_queries.department_exists(uow.session, department_id):
            raise Invalid("department", "no such department")
        scope_key = f"department:{department_id}"
    else:
        require(uow.actor, Permission.MANAGE_ANSWERS)
        if department_id is not None:
            raise Invalid("department", "only department answers name a department")
        scope_key = "global"
    answer = Answer(
        public_id=public_id("an"),
        kind=answer_kind.value,
        scope=answer_scope.value,
        scope_key=scope_key,
        owner_agent_id=owner_agent_id,
        department_id=department_id if answer_scope is AnswerScope.DEPARTMENT else None,
        created_by_agent_id=uow.actor.agent_id,
        created_at=uow.now,
        updated_at=uow.now,
    )
    # Who may is decided before what is wrong with the input: a 403 says more than a 422 here.
    if not queries.may_manage(uow.actor, answer):
        raise Forbidden("only a supervisor of the department, or manage_answers, manages its answers")
    answer.name = _name(name)
    answer.shortcut = _shortcut(answer_kind, shortcut)
    answer.subject = _subject(answer_kind, subject)
    answer.body_html = _body(body_html)
    answer.language = _language(language)
    answer.search_text = _search_text(answer)
    await _check_shortcut_free(uow, answer)
    uow.session.add(answer)
    await uow.flush_or_conflict("shortcut", f"/{answer.shortcut} is already used in this scope")
    uow.history("answer", answer.id, "created", after=snapshot(answer))
    uow.record(_event(answer, "created"))
    return answer


async def _manageable(uow: UnitOfWork, answer_public_id: str) -> Answer:
    answer = await queries.usable_answer(uow.session, uow.actor, answer_public_id)
    if not queries.may_manage(uow.actor, answer):
        raise Forbidden(
            "global answers need manage_answers; department answers a supervisor there or manage_answers"
        )
    return answer


async def update_answer(
    uow: UnitOfWork,
    *,
    answer_public_id: str,
    name: str | UnsetType = UNSET,
    body_html: str | UnsetType = UNSET,
    shortcut: str | UnsetType | None = UNSET,
    subject: str | UnsetType | None = UNSET,
    language: str | UnsetType | None = UNSET,
) -> Answer:
    """Change the fields given (UNSET: unchanged); `None` clears a subject or language."""
    require_write(uow.actor)
    answer = await _manageable(uow, answer_public_id)
    kind = AnswerKind(answer.kind)
    before = snapshot(answer)
    if not isinstance(name, UnsetType):
        answer.name = _name(name)
    if not isinstance(body_html, UnsetType):
        answer.body_html = _body(body_html)
    if not isinstance(shortcut, UnsetType):
        answer.shortcut = _shortcut(kind, shortcut)
    if not isinstance(subject, UnsetType):
        answer.subject = _subject(kind, subject)
    if not isinstance(language, UnsetType):
        answer.language = _language(language)
    if uow.history_of_changes("answer", answer.id, before=before, after=snapshot(answer)):
        await _check_shortcut_free(uow, answer)
        answer.search_text = _search_text(answer)
        answer.updated_at = uow.now
        await uow.flush_or_conflict("shortcut", f"/{answer.shortcut} is already used in this scope")
        uow.record(_event(answer, "updated"))
    return answer


async def delete_answer(uow: UnitOfWork, *, answer_public_id: str) -> None:
    require_write(uow.actor)
    answer = await _manageable(uow, answer_public_id)
    uow.history("answer", answer.id, "deleted", before=snapshot(answer))
    uow.record(_event(answer, "deleted"))
    await uow.session.delete(answer)
    await uow.session.flush()
