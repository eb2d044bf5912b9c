"""Who may use and who may manage answers of each scope, on both engines.

Personal: the owner only (not even admins see another's). Department: members of the department use
them (any role), its supervisors and manage_answers holders manage them. Global: everyone uses them,
manage_answers holders manage them. Invisible is NotFound; visible but not manageable is Forbidden."""

from __future__ import annotations

import pytest

from linka.core.db import Database
from linka.core.errors import Forbidden, NotFound
from linka.core.permissions import Actor, Origin, system_actor
from linka.core.uow import unit_of_work
from linka.domains.accounts import actions as accounts
from linka.domains.accounts import role_actions
from linka.domains.answers import actions, queries
from linka.domains.answers.models import Answer
from tests.domains.answers.conftest import ActorOf, MakeAnswer, answer_rows
from tests.personas import PASSWORD, Person, Personas


async def _answer_manager(db: Database) -> Person:
    """An agent in no department whose custom role grants manage_answers."""
    async with unit_of_work(db, system_actor(Origin.CLI)) as uow:
        role = await role_actions.create_role(uow, name="Answer editor", permissions=["manage_answers"])
        agent = await accounts.create_agent(
            uow, email="editor@linka.test", name="Eda Editor", password=PASSWORD, custom_role_id=role.id
        )
    return Person(id=agent.id, public_id=agent.public_id, email=agent.email, name=agent.name)


async def _uses(db: Database, actor: Actor, answer: Answer) -> bool:
    async with db.read_session() as session:
        try:
            await queries.usable_answer(session, actor, answer.public_id)
        except NotFound:
            return False
    return True


async def _rename(db: Database, actor: Actor, answer: Answer, name: str) -> None:
    async with unit_of_work(db, actor) as uow:
        await actions.update_answer(uow, answer_public_id=answer.public_id, name=name)


async def test_a_personal_answer_is_its_owners_alone(
    db: Database, personas: Personas, actor_of: ActorOf, make_answer: MakeAnswer
) -> None:
    sara = await actor_of(personas.support_agent)
    answer = await make_answer(sara)
    others = [
        await actor_of(person) for person in (personas.admin, personas.owner, personas.support_supervisor)
    ]
    assert await _uses(db, sara, answer)
    for other in others:
        assert not await _uses(db, other, answer)
        with pytest.raises(NotFound):
            await _rename(db, other, answer, "Hijacked")
        with pytest.raises(NotFound):
            async with unit_of_work(db, other) as uow:
                await actions.delete_answer(uow, answer_public_id=answer.public_id)
    await _rename(db, sara, answer, "Mine")
    assert [row.name for row in await answer_rows(db)] == ["Mine"]


async def test_department_answers_are_used_by_members_and_managed_by_supervisors(
    db: Database, personas: Personas, actor_of: ActorOf, make_answer: MakeAnswer
) -> None:
    support, sales = personas.departments["support"], personas.departments["sales"]
    sara = await actor_of(personas.support_agent)  # solver in Support
    viktor = await actor_of(personas.support_supervisor)  # supervisor in Support
    sandor = await actor_of(personas.sales_agent)  # solver in Sales
    rita = await actor_of(personas.sales_reader)  # reader in Sales
    admin = await actor_of(personas.admin)
    with pytest.raises(Forbidden):
        await make_answer(sara, scope="department", department_id=support)
    with pytest.raises(Forbidden):
        await make_answer(viktor, scope="department", department_id=sales)
    support_answer = await make_answer(viktor, scope="department", department_id=support)
    sales_answer = await make_answer(admin, scope="department", department_id=sales, name="Sales thanks")
    assert [await _uses(db, who, support_answer) for who in (sara, viktor, sandor, rita, admin)] == [
        True,
        True,
        False,
        False,
        True,
    ]
    assert [await _uses(db, who, sales_answer) for who in (sara, viktor, sandor, rita, admin)] == [
        False,
        False,
        True,
        True,
        True,
    ]
    with pytest.raises(Forbidden):
        await _rename(db, sara, support_answer, "Solver's")
    with pytest.raises(NotFound):
        await _rename(db, sandor, support_answer, "Other department's")
    with pytest.raises(Forbidden):
        await _rename(db, rita, sales_answer, "Reader's")
    await _rename(db, viktor, support_answer, "Supervisor's")
    await _rename(db, admin, support_answer, "Admin's")
    assert queries.may_manage(viktor, support_answer)
    assert not queries.may_manage(sara, support_answer)
    assert not queries.may_manage(viktor, sales_answer)
    assert {row.name for row in await answer_rows(db)} == {"Admin's", "Sales thanks"}


async def test_global_answers_are_for_everyone_and_managed_with_the_permission(
    db: Database, personas: Personas, actor_of: ActorOf, make_answer: MakeAnswer
) -> None:
    sara = await actor_of(personas.support_agent)
    viktor = await actor_of(personas.support_supervisor)
    editor = await actor_of(await _answer_manager(db))
    owner = await actor_of(personas.owner)
    for refused in (sara, viktor):
        with pytest.raises(Forbidden):
            await make_answer(refused, scope="global")
    answer = await make_answer(editor, scope="global")
    for person in personas.all():
        assert await _uses(db, await actor_of(person), answer), person.name
    with pytest.raises(Forbidden):
        await _rename(db, viktor, answer, "Supervisor's")
    await _rename(db, owner, answer, "Owner's")
    # The permission also manages every department's answers, without belonging to one.
    support_answer = await make_answer(
        editor, scope="department", department_id=personas.departments["support"], name="Support"
    )
    assert await _uses(db, editor, support_answer)
    async with unit_of_work(db, editor) as uow:
        await actions.delete_answer(uow, answer_public_id=support_answer.public_id)
    assert [row.name for row in await answer_rows(db)] == ["Owner's"]


async def test_unknown_and_malformed_ids_are_not_found(
    db: Database, personas: Personas, actor_of: ActorOf
) -> None:
    admin = await actor_of(personas.admin)
    async with db.read_session() as session:
        for public_id in ("an_000000000000", "nope", "an_" + "x" * 40):
            with pytest.raises(NotFound):
                await queries.usable_answer(session, admin, public_id)
