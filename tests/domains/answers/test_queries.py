"""Listing answers an agent may use (filters, keyset pages, one query) and finding a canned message by
its shortcut: the agent's own before their department's before the global one."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from linka.core.db import Database
from linka.core.errors import Invalid, NotFound
from linka.core.permissions import Actor
from linka.domains.answers import queries
from tests.domains.answers.conftest import ActorOf, MakeAnswer
from tests.personas import Personas


async def _names(db: Database, actor: Actor, **filters: Any) -> list[str]:
    async with db.read_session() as session:
        page = await queries.usable_answers(session, actor, **filters)
    return [answer.name for answer in page.items]


@pytest.fixture
async def library(db: Database, personas: Personas, actor_of: ActorOf, make_answer: MakeAnswer) -> None:
    """Answers of every scope: Sára's own, Support's, Sales', and global ones."""
    sara = await actor_of(personas.support_agent)
    admin = await actor_of(personas.admin)
    support, sales = personas.departments["support"], personas.departments["sales"]
    await make_answer(sara, name="A Sára děkuje", shortcut="thanks")
    await make_answer(sara, kind="predefined", name="B Sára's template")
    await make_answer(admin, scope="department", department_id=support, name="C Podpora děkuje")
    await make_answer(admin, scope="department", department_id=support, name="D Restart", shortcut="restart")
    await make_answer(admin, scope="department", department_id=sales, name="E Sales thanks")
    await make_answer(admin, scope="global", name="F Global thanks")
    await make_answer(admin, scope="global", kind="predefined", name="G Welcome", subject="Welcome")
    await make_answer(admin, scope="global", name="H Bye", shortcut="bye")


@pytest.mark.usefixtures("library")
async def test_each_agent_lists_what_they_may_use(
    db: Database, personas: Personas, actor_of: ActorOf
) -> None:
    sara = await actor_of(personas.support_agent)
    sandor = await actor_of(personas.sales_agent)
    rita = await actor_of(personas.sales_reader)
    admin = await actor_of(personas.admin)
    assert await _names(db, sara) == [
        "A Sára děkuje",
        "B Sára's template",
        "C Podpora děkuje",
        "D Restart",
        "F Global thanks",
        "G Welcome",
        "H Bye",
    ]
    assert await _names(db, sandor) == ["E Sales thanks", "F Global thanks", "G Welcome", "H Bye"]
    assert await _names(db, rita) == await _names(db, sandor)
    # Admins manage every department's answers, so they see them; nobody's personal ones.
    assert await _names(db, admin) == [
        "C Podpora děkuje",
        "D Restart",
        "E Sales thanks",
        "F Global thanks",
        "G Welcome",
        "H Bye",
    ]


@pytest.mark.usefixtures("library")
async def test_filters_by_kind_text_and_department(
    db: Database, personas: Personas, actor_of: ActorOf
) -> None:
    sara = await actor_of(personas.support_agent)
    admin = await actor_of(personas.admin)
    support, sales = personas.departments["support"], personas.departments["sales"]
    assert await _names(db, sara, kind="predefined") == ["B Sára's template", "G Welcome"]
    # Case and accents are ignored; the shortcut matches too (typed with or without "/").
    assert await _names(db, sara, q="DEKUJE") == ["A Sára děkuje", "C Podpora děkuje"]
    assert await _names(db, sara, q="sára") == ["A Sára děkuje", "B Sára's template"]
    assert await _names(db, sara, q="/restart") == ["D Restart"]
    assert await _names(db, sara, q="100%") == []
    # A ticket's department: its answers, with the personal and global ones.
    assert await _names(db, admin, department_id=sales) == [
        "E Sales thanks",
        "F Global thanks",
        "G Welcome",
        "H Bye",
    ]
    # Sára is no member of Sales: its answers stay out of her list even when asked for.
    assert await _names(db, sara, department_id=sales) == [
        "A Sára děkuje",
        "B Sára's template",
        "F Global thanks",
        "G Welcome",
        "H Bye",
    ]
    assert "C Podpora děkuje" in await _names(db, sara, department_id=support)
    with pytest.raises(Invalid) as refused:
        await _names(db, sara, kind="macro")
    assert set(refused.value.fields) == {"kind"}


@pytest.mark.usefixtures("library")
async def test_keyset_pages_cover_everything_once_in_one_query_each(
    db: Database, personas: Personas, actor_of: ActorOf
) -> None:
    sara = await actor_of(personas.support_agent)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):  # not the BEGIN of the session
            statements.append(statement)

    seen: list[str] = []
    cursor = None
    per_page: list[int] = []
    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with db.read_session() as session:
            while True:
                before = len(statements)
                page = await queries.usable_answers(session, sara, cursor=cursor, limit=3)
                per_page.append(len(statements) - before)
                seen.extend(answer.name for answer in page.items)
                cursor = page.next_cursor
                if cursor is None:
                    break
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert seen == await _names(db, sara)
    assert len(seen) == 7
    assert per_page == [1, 1, 1]
    async with db.read_session() as session:
        for bad in ("garbage", "WyJ4Il0"):
            with pytest.raises(Invalid) as refused:
                await queries.usable_answers(session, sara, cursor=bad)
            assert set(refused.value.fields) == {"cursor"}
        with pytest.raises(Invalid):
            await queries.usable_answers(session, sara, limit=101)


async def test_a_shortcut_finds_the_most_personal_answer(
    db: Database, personas: Personas, actor_of: ActorOf, make_answer: MakeAnswer
) -> None:
    sara = await actor_of(personas.support_agent)
    viktor = await actor_of(personas.support_supervisor)
    sandor = await actor_of(personas.sales_agent)
    admin = await actor_of(personas.admin)
    support, sales = personas.departments["support"], personas.departments["sales"]
    await make_answer(admin, scope="global", name="Global", shortcut="thanks")
    await make_answer(admin, scope="department", department_id=support, name="Support", shortcut="thanks")
    await make_answer(admin, scope="department", department_id=sales, name="Sales", shortcut="thanks")
    await make_answer(sara, name="Sára's", shortcut="thanks")
    await make_answer(admin, kind="predefined", scope="global", name="thanks template")

    async def found(actor: Actor, typed: str, department_id: int | None) -> str:
        async with db.read_session() as session:
            return (await queries.answer_by_shortcut(session, actor, typed, department_id)).name

    assert await found(sara, "/thanks", support) == "Sára's"
    assert await found(sara, "THANKS", None) == "Sára's"
    assert await found(viktor, "/thanks", support) == "Support"
    # On a Sales ticket the Support answer does not apply, and Viktor is no member of Sales.
    assert await found(viktor, "/thanks", sales) == "Global"
    assert await found(sandor, "/thanks", sales) == "Sales"
    assert await found(sandor, "/thanks", support) == "Global"
    for typed in ("/nothing", "/", "two words", "thanks template"):
        with pytest.raises(NotFound):
            await found(sandor, typed, sales)
