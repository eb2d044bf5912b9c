"""Creating, changing and deleting answers on both engines: fields are cleaned (shortcuts as typed,
HTML sanitised), every refusal names its field, shortcuts are unique per scope owner, and each change
leaves history and an event."""

from __future__ import annotations

from typing import Any

import pytest

from linka.core.db import Database
from linka.core.errors import Conflict, Forbidden, Invalid
from linka.core.permissions import Scope
from linka.core.uow import unit_of_work
from linka.domains.answers import actions
from linka.domains.answers.events import AnswerChanged
from tests.domains.answers.conftest import ActorOf, MakeAnswer, answer_rows, history_of
from tests.personas import Personas


async def test_a_canned_message_is_stored_clean_with_history_and_an_event(
    db: Database, personas: Personas, actor_of: ActorOf
) -> None:
    sara = await actor_of(personas.support_agent)
    async with unit_of_work(db, sara) as uow:
        answer = await actions.create_answer(
            uow,
            kind="canned",
            name="  Díky   za trpělivost ",
            shortcut=" /Thanks ",
            body_html='<p onclick="steal()">Děkujeme<script>alert(1)</script></p>',
        )
    assert [event for event in uow.events if isinstance(event, AnswerChanged)] == [
        AnswerChanged(answer_id=answer.id, change="created", scope="personal", owner_agent_id=sara.agent_id)
    ]
    [row] = await answer_rows(db)
    assert row.public_id.startswith("an_")
    assert (row.name, row.shortcut, row.subject, row.language) == ("Díky za trpělivost", "thanks", None, None)
    assert row.body_html == "<p>Děkujeme</p>"
    assert (row.scope, row.owner_agent_id, row.department_id) == ("personal", sara.agent_id, None)
    assert row.created_by_agent_id == sara.agent_id
    [entry] = await history_of(db, row.id)
    assert entry.action == "created"
    assert entry.after is not None
    assert entry.after["shortcut"] == "thanks"


async def test_a_predefined_answer_keeps_its_subject_and_language(
    db: Database, personas: Personas, actor_of: ActorOf, make_answer: MakeAnswer
) -> None:
    sara = await actor_of(personas.support_agent)
    answer = await make_answer(
        sara,
        kind="predefined",
        name="Printer reset",
        subject="  How to reset   {ticket.subject} ",
        body_html="<ol><li>Switch it off</li></ol>",
        language="cs",
    )
    assert (answer.shortcut, answer.subject, answer.language) == (
        None,
        "How to reset {ticket.subject}",
        "cs",
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"shortcut": None}, "shortcut"),
        ({"shortcut": "/"}, "shortcut"),
        ({"shortcut": "two words"}, "shortcut"),
        ({"shortcut": "díky"}, "shortcut"),
        ({"shortcut": "x" * 33}, "shortcut"),
        ({"subject": "Re: hello"}, "subject"),
        ({"body_html": "<script>alert(1)</script>"}, "body_html"),
        ({"body_html": "   "}, "body_html"),
        ({"language": "de"}, "language"),
        ({"kind": "macro"}, "kind"),
        ({"scope": "team"}, "scope"),
        ({"department_id": 1}, "department"),
        ({"kind": "predefined", "shortcut": "thanks"}, "shortcut"),
        ({"scope": "department"}, "department"),
        ({"scope": "department", "department_id": 999999}, "department"),
    ],
)
async def test_refusals_name_the_field(
    db: Database, personas: Personas, actor_of: ActorOf, fields: dict[str, Any], field: str
) -> None:
    admin = await actor_of(personas.admin)
    values: dict[str, Any] = {
        "kind": "canned",
        "name": "Thanks",
        "shortcut": "thanks",
        "body_html": "<p>Hi</p>",
    }
    values.update(fields)
    with pytest.raises(Invalid) as refused:
        async with unit_of_work(db, admin) as uow:
            await actions.create_answer(uow, **values)
    assert set(refused.value.fields) == {field}
    assert await answer_rows(db) == []


async def test_shortcuts_are_unique_per_scope_owner_only(
    db: Database, personas: Personas, actor_of: ActorOf, make_answer: MakeAnswer
) -> None:
    sara = await actor_of(personas.support_agent)
    sandor = await actor_of(personas.sales_agent)
    viktor = await actor_of(personas.support_supervisor)
    admin = await actor_of(personas.admin)
    support, sales = personas.departments["support"], personas.departments["sales"]
    await make_answer(sara)
    await make_answer(sandor)
    await make_answer(viktor, scope="department", department_id=support)
    await make_answer(admin, scope="department", department_id=sales)
    await make_answer(admin, scope="global")
    for actor, scope in (
        (sara, {}),
        (viktor, {"scope": "department", "department_id": support}),
        (admin, {"scope": "global"}),
    ):
        with pytest.raises(Conflict) as clash:
            await make_answer(actor, shortcut="/THANKS", **scope)
        assert set(clash.value.fields) == {"shortcut"}
    assert len(await answer_rows(db)) == 5


async def test_update_changes_only_what_is_given_and_records_the_difference(
    db: Database, personas: Personas, actor_of: ActorOf, make_answer: MakeAnswer
) -> None:
    sara = await actor_of(personas.support_agent)
    answer = await make_answer(
        sara, kind="predefined", name="Reset", subject="Reset", body_html="<p>a</p>", language="en"
    )
    async with unit_of_work(db, sara) as uow:
        changed = await actions.update_answer(
            uow, answer_public_id=answer.public_id, name="Reset guide", subject=None, language=None
        )
    assert (changed.name, changed.subject, changed.language, changed.body_html) == (
        "Reset guide",
        None,
        None,
        "<p>a</p>",
    )
    assert any(isinstance(event, AnswerChanged) and event.change == "updated" for event in uow.events)
    created, updated = await history_of(db, answer.id)
    assert updated.action == "updated"
    assert updated.before == {"name": "Reset", "subject": "Reset", "language": "en"}
    assert updated.after == {"name": "Reset guide", "subject": None, "language": None}
    # Nothing different: no history, no event.
    async with unit_of_work(db, sara) as uow:
        await actions.update_answer(uow, answer_public_id=answer.public_id, name="Reset guide")
    assert uow.events == []
    assert len(await history_of(db, answer.id)) == 2
    del created


async def test_update_refuses_a_taken_shortcut_and_bad_fields(
    db: Database, personas: Personas, actor_of: ActorOf, make_answer: MakeAnswer
) -> None:
    sara = await actor_of(personas.support_agent)
    await make_answer(sara, shortcut="thanks")
    other = await make_answer(sara, name="Bye", shortcut="bye")
    predefined = await make_answer(sara, kind="predefined", name="Template")
    for public_id, fields, field in (
        (other.public_id, {"shortcut": "Thanks"}, "shortcut"),
        (other.public_id, {"shortcut": None}, "shortcut"),
        (other.public_id, {"subject": "Hello"}, "subject"),
        (other.public_id, {"body_html": "<script></script>"}, "body_html"),
        (predefined.public_id, {"shortcut": "tpl"}, "shortcut"),
    ):
        with pytest.raises(Invalid) as refused:
            async with unit_of_work(db, sara) as uow:
                await actions.update_answer(uow, answer_public_id=public_id, **fields)
        assert set(refused.value.fields) == {field}, fields
    rows = {row.public_id: row for row in await answer_rows(db)}
    assert rows[other.public_id].shortcut == "bye"


async def test_delete_removes_the_answer_and_keeps_who_did_it(
    db: Database, personas: Personas, actor_of: ActorOf, make_answer: MakeAnswer
) -> None:
    sara = await actor_of(personas.support_agent)
    answer = await make_answer(sara)
    async with unit_of_work(db, sara) as uow:
        await actions.delete_answer(uow, answer_public_id=answer.public_id)
    assert await answer_rows(db) == []
    assert [entry.action for entry in await history_of(db, answer.id)] == ["created", "deleted"]
    assert [event.change for event in uow.events if isinstance(event, AnswerChanged)] == ["deleted"]


async def test_a_read_scope_key_writes_nothing(
    db: Database, personas: Personas, actor_of: ActorOf, make_answer: MakeAnswer
) -> None:
    admin = await actor_of(personas.admin)
    answer = await make_answer(admin, scope="global")
    reader = await actor_of(personas.admin, scopes=frozenset({Scope.READ}))
    with pytest.raises(Forbidden):
        await make_answer(reader, shortcut="other")
    with pytest.raises(Forbidden):
        async with unit_of_work(db, reader) as uow:
            await actions.update_answer(uow, answer_public_id=answer.public_id, name="x")
    with pytest.raises(Forbidden):
        async with unit_of_work(db, reader) as uow:
            await actions.delete_answer(uow, answer_public_id=answer.public_id)
    assert [row.name for row in await answer_rows(db)] == ["Thanks"]
