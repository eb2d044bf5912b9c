"""Departments and members through the REST API: every agent reads, manage_departments holders write,
a department's own managers manage its members, and a department in use is never deleted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from linka.core.db import Database
from linka.core.history import HistoryEntry
from linka.core.permissions import Origin, system_actor
from linka.core.uow import unit_of_work
from linka.domains.accounts.models import Agent, Department, DepartmentMember
from linka.domains.contacts import actions as contacts
from linka.domains.tickets import actions as tickets
from tests.conftest import AppClient, bearer
from tests.personas import Personas

Client = AppClient


@pytest.fixture
async def store(db: Database) -> AsyncIterator[Database]:
    """The test's own engine on the same database: the app's engine lives on the client's event loop."""
    database = Database(db.url, pool_size=2)
    yield database
    await database.dispose()


async def _departments(db: Database) -> dict[str, Department]:
    async with db.read_session() as session:
        return {d.name: d for d in (await session.execute(select(Department))).scalars()}


async def _members(db: Database, department_id: int) -> dict[int, DepartmentMember]:
    async with db.read_session() as session:
        query = select(DepartmentMember).where(DepartmentMember.department_id == department_id)
        return {m.agent_id: m for m in (await session.execute(query)).scalars()}


async def test_every_agent_reads_departments(client: Client, personas: Personas) -> None:
    response = await client.get("/api/v1/departments", headers=bearer(personas.sales_reader))
    assert response.status_code == 200, response.text
    assert [d["name"] for d in response.json()["items"]] == ["Support", "Sales"]
    support = personas.department_public_ids["support"]
    one = await client.get(f"/api/v1/departments/{support}", headers=bearer(personas.sales_reader))
    assert one.json()["name"] == "Support"
    members = await client.get(
        f"/api/v1/departments/{support}/members", headers=bearer(personas.sales_reader)
    )
    assert members.status_code == 200
    roles = {m["agent_id"]: m["role"] for m in members.json()["items"]}
    assert roles == {
        personas.support_agent.public_id: "solver",
        personas.support_supervisor.public_id: "supervisor",
    }
    assert personas.support_agent.email not in members.text
    page = await client.get("/api/v1/departments?limit=1", headers=bearer(personas.admin))
    second = await client.get(
        f"/api/v1/departments?limit=1&cursor={page.json()['next_cursor']}", headers=bearer(personas.admin)
    )
    assert [d["name"] for d in second.json()["items"]] == ["Sales"]
    assert second.json()["next_cursor"] is None


async def test_create_update_and_who_may(client: Client, personas: Personas, store: Database) -> None:
    refused = await client.post(
        "/api/v1/departments", json={"name": "Billing"}, headers=bearer(personas.support_agent)
    )
    assert refused.status_code == 403
    read_only = await client.post(
        "/api/v1/departments", json={"name": "Billing"}, headers=bearer(personas.read_key)
    )
    assert read_only.status_code == 403
    assert "Billing" not in await _departments(store)

    admin = bearer(personas.admin)
    created = await client.post(
        "/api/v1/departments", json={"name": " Billing ", "description": "Invoices"}, headers=admin
    )
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "Billing"
    billing = (await _departments(store))["Billing"]
    assert billing.description == "Invoices"
    assert billing.public_id == created.json()["id"]

    cases: list[tuple[dict[str, Any], str, int]] = [
        ({"name": "support"}, "name", 409),
        ({"name": "x" * 121}, "name", 422),
        ({"name": 7}, "name", 422),
        ({"name": "Y", "budget": 1}, "budget", 422),
        ({"name": "Y", "description": "d" * 2001}, "description", 422),
    ]
    for body, field, status in cases:
        response = await client.post("/api/v1/departments", json=body, headers=admin)
        assert response.status_code == status, (body, response.text)
        assert field in response.json()["error"]["fields"], (body, response.text)
    assert len(await _departments(store)) == 3

    renamed = await client.patch(
        f"/api/v1/departments/{billing.public_id}", json={"name": "Accounts"}, headers=admin
    )
    assert renamed.status_code == 200
    assert set(await _departments(store)) == {"Support", "Sales", "Accounts"}
    async with store.read_session() as session:
        entry = (
            await session.execute(
                select(HistoryEntry).where(
                    HistoryEntry.entity_type == "department",
                    HistoryEntry.entity_id == billing.id,
                    HistoryEntry.action == "updated",
                )
            )
        ).scalar_one()
    assert entry.before == {"name": "Billing"}
    assert entry.after == {"name": "Accounts"}


async def test_department_with_members_is_not_deleted(
    client: Client, personas: Personas, store: Database
) -> None:
    admin = bearer(personas.admin)
    created = await client.post("/api/v1/departments", json={"name": "Night shift"}, headers=admin)
    night = created.json()["id"]
    member = f"/api/v1/departments/{night}/members/{personas.support_agent.public_id}"
    assert (await client.put(member, json={"role": "solver"}, headers=admin)).status_code == 200
    refused = await client.delete(f"/api/v1/departments/{night}", headers=admin)
    assert refused.status_code == 409, refused.text
    assert "members" in refused.json()["error"]["fields"]
    assert "Night shift" in await _departments(store)

    assert (await client.delete(member, headers=admin)).status_code == 204
    deleted = await client.delete(f"/api/v1/departments/{night}", headers=admin)
    assert deleted.status_code == 204, deleted.text
    assert "Night shift" not in await _departments(store)
    assert (await client.get(f"/api/v1/departments/{night}", headers=admin)).status_code == 404
    async with store.read_session() as session:
        actions = list(
            (
                await session.execute(
                    select(HistoryEntry.action)
                    .where(HistoryEntry.entity_type == "department", HistoryEntry.action != "created")
                    .order_by(HistoryEntry.id)
                )
            ).scalars()
        )
    assert actions[-3:] == ["member_set", "member_removed", "deleted"]


async def test_department_with_tickets_is_not_deleted(
    client: Client, personas: Personas, store: Database
) -> None:
    admin = bearer(personas.admin)
    created = await client.post("/api/v1/departments", json={"name": "Returns"}, headers=admin)
    returns = created.json()["id"]
    async with unit_of_work(store, system_actor(Origin.CLI)) as uow:
        department = (await _departments_in(uow.session))["Returns"]
        contact = await contacts.create_contact(uow, name="Carl Customer", emails=["carl@example.com"])
        await tickets.create_ticket(uow, subject="Broken", contact_id=contact.id, department_id=department)
    refused = await client.delete(f"/api/v1/departments/{returns}", headers=admin)
    assert refused.status_code == 409, refused.text
    assert "tickets" in refused.json()["error"]["fields"]
    assert "Returns" in await _departments(store)


async def _departments_in(session: Any) -> dict[str, int]:
    return {name: id_ for id_, name in (await session.execute(select(Department.id, Department.name))).all()}


async def test_members_managed_by_admins_and_department_managers(
    client: Client, personas: Personas, store: Database
) -> None:
    support = personas.department_public_ids["support"]
    sales = personas.department_public_ids["sales"]
    viktor = bearer(personas.support_supervisor)
    sandor_path = f"/api/v1/departments/{support}/members/{personas.sales_agent.public_id}"
    assert (await client.put(sandor_path, json={"role": "solver"}, headers=viktor)).status_code == 403

    made_manager = await client.put(
        f"/api/v1/departments/{support}/members/{personas.support_supervisor.public_id}",
        json={"role": "manager", "calls": False},
        headers=bearer(personas.admin),
    )
    assert made_manager.status_code == 200, made_manager.text
    assert made_manager.json()["role"] == "manager"
    assert made_manager.json()["calls"] is False

    added = await client.put(
        sandor_path, json={"role": "reader", "chats": False, "paused": True}, headers=viktor
    )
    assert added.status_code == 200, added.text
    member = (await _members(store, personas.departments["support"]))[personas.sales_agent.id]
    assert (member.role, member.chats, member.paused, member.tickets) == ("reader", False, True, True)
    # A manager of Support is nobody in Sales.
    elsewhere = f"/api/v1/departments/{sales}/members/{personas.support_agent.public_id}"
    assert (await client.put(elsewhere, json={"role": "solver"}, headers=viktor)).status_code == 403
    assert personas.support_agent.id not in await _members(store, personas.departments["sales"])
    assert (await client.post("/api/v1/departments", json={"name": "V"}, headers=viktor)).status_code == 403
    assert (await client.delete(sandor_path, headers=viktor)).status_code == 204
    assert personas.sales_agent.id not in await _members(store, personas.departments["support"])

    bad = await client.put(sandor_path, json={"role": "boss"}, headers=viktor)
    assert bad.status_code == 422
    assert "role" in bad.json()["error"]["fields"]
    unknown = await client.put(sandor_path, json={"role": "reader", "vip": True}, headers=viktor)
    assert unknown.status_code == 422
    assert "vip" in unknown.json()["error"]["fields"]
    assert personas.sales_agent.id not in await _members(store, personas.departments["support"])
    missing = await client.delete(sandor_path, headers=viktor)
    assert missing.status_code == 404


async def test_me_shows_departments_and_changes_own_settings(
    client: Client, personas: Personas, store: Database
) -> None:
    headers = bearer(personas.support_supervisor)
    me = await client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200, me.text
    assert me.json()["departments"] == [
        {"id": personas.department_public_ids["support"], "name": "Support", "role": "supervisor"}
    ]
    assert "password_hash" not in me.text
    changed = await client.patch(
        "/api/v1/me",
        json={
            "name": "Viktor D.",
            "signature": "-- Viktor",
            "availability": "online",
            "timezone": "Europe/Budapest",
        },
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["signature"] == "-- Viktor"
    assert changed.json()["availability"] == "online"
    for body, field in (
        ({"role": "admin"}, "role"),
        ({"timezone": "Moon/Base"}, "timezone"),
        ({"signature": "s" * 5001}, "signature"),
        ({"language": "de"}, "language"),
        ({"availability": "asleep"}, "availability"),
    ):
        refused = await client.patch("/api/v1/me", json=body, headers=headers)
        assert refused.status_code == 422, (body, refused.text)
        assert field in refused.json()["error"]["fields"]
    async with store.read_session() as session:
        stored = await session.get(Agent, personas.support_supervisor.id)
        assert stored is not None
        assert (stored.name, stored.timezone, stored.base_role) == ("Viktor D.", "Europe/Budapest", "agent")
        actions = list(
            (
                await session.execute(
                    select(HistoryEntry.action).where(
                        HistoryEntry.entity_type == "agent", HistoryEntry.entity_id == stored.id
                    )
                )
            ).scalars()
        )
    assert actions.count("profile_updated") == 1
    read_only = await client.patch("/api/v1/me", json={"name": "R"}, headers=bearer(personas.read_key))
    assert read_only.status_code == 403
