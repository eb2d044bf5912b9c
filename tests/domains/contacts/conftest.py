"""Helpers for the contacts tests: the Actor of a persona, built the way an entry point builds it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from linka.core.db import Database
from linka.core.permissions import Actor, Origin, Scope
from linka.domains.accounts.models import Agent
from linka.domains.accounts.queries import build_actor
from tests.personas import Person

ActorOf = Callable[..., Awaitable[Actor]]


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
