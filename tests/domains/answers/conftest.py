"""Helpers for the answers tests: personas' actors (as an entry point builds them), answers made through
the real action, and the rows and history they leave."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select

from linka.core.db import Database
from linka.core.history import HistoryEntry
from linka.core.permissions import Actor, Origin, Scope
from linka.core.uow import unit_of_work
from linka.domains.accounts.models import Agent
from linka.domains.accounts.queries import build_actor
from linka.domains.answers import actions
from linka.domains.answers.models import Answer
from tests.personas import Person

ActorOf = Callable[..., Awaitable[Actor]]
MakeAnswer = Callable[..., Awaitable[Answer]]


@pytest.fixture
def actor_of(db: Database) -> ActorOf:
    async def build(
        person: Person, *, scopes: frozenset[Scope] = frozenset({Scope.READ, Scope.WRITE})
    ) -> Actor:
        async with db.read_session() as session:
            agent = await session.get(Agent, person.id)
            assert agent is not None
            return await build_actor(session, agent, origin=Origin.API, scopes=scopes)

    return build


@pytest.fixture
def make_answer(db: Database) -> MakeAnswer:
    async def make(actor: Actor, **fields: Any) -> Answer:
        fields.setdefault("kind", "canned")
        fields.setdefault("name", "Thanks")
        fields.setdefault("body_html", "<p>Thank you!</p>")
        if fields["kind"] == "canned":
            fields.setdefault("shortcut", "thanks")
        async with unit_of_work(db, actor) as uow:
            return await actions.create_answer(uow, **fields)

    return make


async def answer_rows(db: Database) -> list[Answer]:
    async with db.read_session() as session:
        return list((await session.execute(select(Answer).order_by(Answer.id))).scalars())


async def history_of(db: Database, answer_id: int) -> list[HistoryEntry]:
    async with db.read_session() as session:
        query = (
            select(HistoryEntry)
            .where(HistoryEntry.entity_type == "answer", HistoryEntry.entity_id == answer_id)
            .order_by(HistoryEntry.id)
        )
        return list((await session.execute(query)).scalars())
