"""Twenty agents pressing "next ticket" at the same moment never get the same ticket (PostgreSQL, where
requests really run side by side; SQLite serialises writers and is covered by test_tickets.py)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from linka.core.db import Database
from linka.core.permissions import DepartmentRole, Origin, system_actor
from linka.core.uow import unit_of_work
from linka.domains.accounts import actions as accounts
from linka.domains.accounts import credentials
from linka.domains.tickets import actions as tickets
from tests.conftest import AppClient, bearer
from tests.personas import Personas

AGENTS = 20
WAITING = 12


@pytest.mark.parametrize("engine_name", ["postgresql"])  # the PostgreSQL database only
async def test_twenty_simultaneous_next_ticket_calls(
    client: AppClient, personas: Personas, db: Database
) -> None:
    assert db.dialect == "postgresql"
    support = personas.departments["support"]
    keys: list[str] = []
    async with unit_of_work(db, system_actor(Origin.CLI)) as uow:
        for n in range(AGENTS):
            agent = await accounts.create_agent(uow, email=f"rush{n}@linka.test", name=f"Rush {n}")
            await accounts.set_membership(
                uow, department_id=support, agent_id=agent.id, role=DepartmentRole.SOLVER
            )
            _, key = await credentials.create_api_key(
                uow, agent_id=agent.id, name="t", scopes=["read", "write"]
            )
            keys.append(key)
        for n in range(WAITING - 1):  # plus Karel's ticket from the personas
            await tickets.create_ticket(
                uow, subject=f"Waiting {n}", contact_id=personas.contacts["karel"], department_id=support
            )

    async def press(key: str) -> str | None:
        response = await client.post("/api/v1/tickets/next", headers=bearer(key))
        assert response.status_code == 200, response.text
        ticket = response.json()["ticket"]
        return None if ticket is None else str(ticket["code"])

    handed = await asyncio.gather(*(press(key) for key in keys))
    given = [code for code in handed if code is not None]
    assert len(given) == WAITING, handed
    assert Counter(given).most_common(1)[0][1] == 1, handed
    assert handed.count(None) == AGENTS - WAITING
