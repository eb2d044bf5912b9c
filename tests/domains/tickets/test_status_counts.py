"""Counts per status for a status menu: only the statuses asked for are counted (the inbox asks for its
menu's, so the closed tickets of years are not read on every page load), each with the same number
the full count gives, within what the agent may see."""

from __future__ import annotations

from linka.core.db import Database
from linka.domains.tickets import list_queries
from linka.domains.tickets.list_queries import TicketFilters
from linka.domains.tickets.statuses import Status
from tests.outbound_mail import actor_for
from tests.personas import Personas


async def test_counting_chosen_statuses_gives_just_those_with_the_full_counts_numbers(
    db: Database, personas: Personas
) -> None:
    for person in (personas.support_agent, personas.sales_agent, personas.admin):
        actor = await actor_for(db, person)
        async with db.read_session() as session:
            everything = await list_queries.count_by_status(session, actor, TicketFilters())
            menu = await list_queries.count_by_status(
                session, actor, TicketFilters(), [Status.NEW, Status.OPEN, Status.RESOLVED]
            )
        assert set(menu) == {"new", "open", "resolved"}
        assert menu == {status: everything[status] for status in menu}
        assert "closed" in everything
        assert "init" not in everything
    # The personas' workspace has something to count: the numbers above are not all zero.
    async with db.read_session() as session:
        admin = await actor_for(db, personas.admin)
        assert sum((await list_queries.count_by_status(session, admin, TicketFilters())).values()) > 0
