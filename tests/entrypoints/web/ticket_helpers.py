"""Helpers for the ticket page's tests: actors for the personas, thread entries written through the
real actions, and reading rows back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from linka.core.permissions import Actor, Origin, Scope, system_actor
from linka.domains.accounts.models import Agent
from linka.domains.accounts.queries import build_actor
from linka.domains.tickets import thread_actions
from linka.domains.tickets.thread_models import MessageGroup
from linka.entrypoints.runtime import Runtime
from tests.personas import Person


async def actor_of(runtime: Runtime, person: Person) -> Actor:
    async with runtime.db.read_session() as session:
        agent = await session.get(Agent, person.id)
        assert agent is not None
        return await build_actor(
            session, agent, origin=Origin.WEB, scopes=frozenset({Scope.READ, Scope.WRITE})
        )


async def customer_writes(
    runtime: Runtime,
    code: str,
    text: str,
    *,
    html: str | None = None,
    quoted: str | None = None,
    message_id: str | None = None,
) -> MessageGroup:
    async with runtime.uow(system_actor(Origin.MAIL)) as uow:
        posted = await thread_actions.add_customer_message(
            uow, code=code, text=text, html=html, quoted=quoted, email_message_id=message_id
        )
        return posted.group


async def rows(runtime: Runtime, model: Any, *conditions: Any, order_by: Any = None) -> list[Any]:
    async with runtime.db.read_session() as session:
        query = select(model).where(*conditions)
        if order_by is not None:
            query = query.order_by(order_by)
        return list((await session.execute(query)).scalars())
