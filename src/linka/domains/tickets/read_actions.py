"""Read marks: when an agent last opened a ticket, so the inbox can show what changed since."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Executable, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from linka.core.db import dialect_of, one_of_parameter
from linka.core.uow import UnitOfWork
from linka.domains.tickets.models import TicketRead
from linka.domains.tickets.queries import visible_ticket


async def mark_ticket_read(uow: UnitOfWork, *, code: str) -> None:
    """The signed-in agent has seen the ticket as it is now. No history: reading changes nothing."""
    if uow.actor.agent_id is None:
        return
    ticket = await visible_ticket(uow.session, uow.actor, code)
    values = {"agent_id": uow.actor.agent_id, "ticket_id": ticket.id, "read_at": uow.now}
    statement: sqlite.Insert | postgresql.Insert
    if uow.session.get_bind().dialect.name == "sqlite":
        lite = sqlite.insert(TicketRead).values(values)
        statement = lite.on_conflict_do_update(
            index_elements=[TicketRead.agent_id, TicketRead.ticket_id],
            set_={"read_at": lite.excluded.read_at},
        )
    else:
        pg = postgresql.insert(TicketRead).values(values)
        statement = pg.on_conflict_do_update(
            index_elements=[TicketRead.agent_id, TicketRead.ticket_id], set_={"read_at": pg.excluded.read_at}
        )
    await uow.session.execute(statement)


async def read_times(session: AsyncSession, agent_id: int, ticket_ids: Sequence[int]) -> dict[int, datetime]:
    """When the agent last opened each of these tickets (absent: never)."""
    if not ticket_ids:
        return {}
    rows = await session.execute(
        _read_times_query(dialect_of(session)), {"agent_id": agent_id, "ids": list(ticket_ids)}
    )
    return {int(ticket_id): read_at for ticket_id, read_at in rows.all()}


@functools.cache
def _read_times_query(dialect: str) -> Executable:
    """Built once per engine: every inbox page runs it."""
    return select(TicketRead.ticket_id, TicketRead.read_at).where(
        TicketRead.agent_id == bindparam("agent_id"), one_of_parameter(dialect, TicketRead.ticket_id, "ids")
    )
