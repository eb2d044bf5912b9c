"""The ticket list's default order (importance) is read from its expression index, not sorted: the
constants the list query writes into its ORDER BY must stay exactly those migration 0003 wrote into the
index, or every list of a large helpdesk sorts all its visible tickets again (docs/benchmarks.md)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select, text

from linka.core.db import Database
from linka.domains.tickets import list_queries
from linka.domains.tickets.list_queries import TicketFilters, ticket_conditions
from linka.domains.tickets.models import IMPORTANCE_ORDER_INDEX, Ticket
from tests.outbound_mail import actor_for
from tests.personas import Personas


async def _plan_of_the_list(db: Database, personas: Personas) -> str:
    """The engine's plan for the admin's list as it is really sent: the same SQL and bound parameters,
    with EXPLAIN in front (a parameter where the index has a constant would not match it)."""
    admin = await actor_for(db, personas.admin)
    conditions = ticket_conditions(admin, TicketFilters())
    query = list_queries.ordered(select(Ticket.id).where(*conditions), "importance").limit(51)
    explain = "EXPLAIN QUERY PLAN " if db.dialect == "sqlite" else "EXPLAIN "
    plan: list[Any] = []

    def explained(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> tuple[str, Any]:
        return explain + statement, parameters

    def read_plan(_c: Any, cursor: Any, *_: Any) -> None:
        plan.extend(cursor.fetchall())

    engine = db.engine.sync_engine
    async with db.sessions() as session:  # a transaction: SET LOCAL holds until its end
        if db.dialect == "postgresql":
            # The personas' few tickets would be sorted in memory whatever the indexes: without sorting
            # allowed, the planner must find an index giving the order, or still sort. (PostgreSQL
            # folds parameter values into its plans, so here this checks the index's expressions;
            # SQLite does not, so there it also checks that the constants are in the SQL.)
            for setting in ("enable_sort = off", "enable_seqscan = off"):
                await session.execute(text(f"SET LOCAL {setting}"))
        event.listen(engine, "before_cursor_execute", explained, retval=True)
        event.listen(engine, "after_cursor_execute", read_plan)
        try:
            await session.execute(query)
        finally:
            event.remove(engine, "before_cursor_execute", explained)
            event.remove(engine, "after_cursor_execute", read_plan)
    return "\n".join(str(row[-1]) for row in plan)


async def test_the_importance_order_is_read_from_its_index(db: Database, personas: Personas) -> None:
    plan = await _plan_of_the_list(db, personas)
    assert IMPORTANCE_ORDER_INDEX in plan, plan
    assert "TEMP B-TREE" not in plan, plan  # SQLite's sort
    assert "Sort" not in plan, plan  # PostgreSQL's
