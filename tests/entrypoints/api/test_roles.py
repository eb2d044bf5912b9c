"""Roles through the REST API: built-in and custom, permission names checked, owner-only powers never
granted, roles in use never deleted, and a custom role that gives exactly what it says."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from linka.core.db import Database
from linka.core.history import HistoryEntry
from linka.domains.accounts.models import Agent, Department, Role
from tests.conftest import AppClient, bearer
from tests.personas import Personas

Client = AppClient


@pytest.fixture
async def store(db: Database) -> AsyncIterator[Database]:
    """The test's own engine on the same database: the app's engine lives on the client's event loop."""
    database = Database(db.url, pool_size=2)
    yield database
    await database.dispose()


async def _count(db: Database, model: Any) -> int:
    async with db.read_session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def _create_role(client: Client, personas: Personas, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/roles", json=body, headers=bearer(personas.admin))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_builtin_and_custom_roles_are_listed(client: Client, personas: Personas) -> None:
    await _create_role(client, personas, name="Team lead", permissions=["view_all_reports", "review_qa"])
    response = await client.get("/api/v1/roles", headers=bearer(personas.admin))
    assert response.status_code == 200, response.text
    items = {item["name"]: item for item in response.json()["items"]}
    assert [item["id"] for item in response.json()["items"]][:3] == ["owner", "admin", "agent"]
    assert "purge_data" in items["owner"]["permissions"]
    assert "purge_data" not in items["admin"]["permissions"]
    assert "manage_agents" in items["admin"]["permissions"]
    assert items["agent"]["permissions"] == []
    assert items["Team lead"]["permissions"] == ["review_qa", "view_all_reports"]
    assert items["Team lead"]["builtin"] is False
    one = await client.get(f"/api/v1/roles/{items['Team lead']['id']}", headers=bearer(personas.admin))
    assert one.json() == items["Team lead"]
    owner = await client.get("/api/v1/roles/owner", headers=bearer(personas.admin))
    assert owner.json()["builtin"] is True


async def test_plain_agent_may_not_read_or_write_roles(
    client: Client, personas: Personas, store: Database
) -> None:
    headers = bearer(personas.support_agent)
    assert (await client.get("/api/v1/roles", headers=headers)).status_code == 403
    created = await client.post("/api/v1/roles", json={"name": "Mine"}, headers=headers)
    assert created.status_code == 403
    assert await _count(store, Role) == 0


async def test_bad_permissions_are_refused_and_nothing_written(
    client: Client, personas: Personas, store: Database
) -> None:
    headers = bearer(personas.admin)
    cases: list[tuple[dict[str, Any], str, int]] = [
        ({"name": "X", "permissions": ["manage_everything"]}, "permissions", 422),
        ({"name": "X", "permissions": ["purge_data"]}, "permissions", 422),
        ({"name": "X", "permissions": "manage_agents"}, "permissions", 422),
        ({"name": "x" * 81}, "name", 422),
        ({"name": "X", "colour": "red"}, "colour", 422),
        ({"name": "Admin"}, "name", 409),
    ]
    for body, field, status in cases:
        response = await client.post("/api/v1/roles", json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        assert field in response.json()["error"]["fields"], (body, response.text)
    assert await _count(store, Role) == 0
    await _create_role(client, personas, name="Reports")
    duplicate = await client.post("/api/v1/roles", json={"name": "reports"}, headers=headers)
    assert duplicate.status_code == 409
    assert "name" in duplicate.json()["error"]["fields"]
    assert await _count(store, Role) == 1


async def test_custom_role_grants_exactly_its_permission(
    client: Client, personas: Personas, store: Database
) -> None:
    role = await _create_role(client, personas, name="Department keeper", permissions=["manage_departments"])
    rita = f"/api/v1/agents/{personas.sales_reader.public_id}"
    assigned = await client.patch(rita, json={"custom_role_id": role["id"]}, headers=bearer(personas.admin))
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["custom_role_id"] == role["id"]

    headers = bearer(personas.sales_reader)
    me = await client.get("/api/v1/me", headers=headers)
    assert me.json()["permissions"] == ["manage_departments"]
    created = await client.post("/api/v1/departments", json={"name": "Billing"}, headers=headers)
    assert created.status_code == 201, created.text
    async with store.read_session() as session:
        names = set((await session.execute(select(Department.name))).scalars())
    assert "Billing" in names
    # …and nothing else.
    agent = await client.post("/api/v1/agents", json={"email": "z@linka.test", "name": "Z"}, headers=headers)
    assert agent.status_code == 403
    assert (await client.post("/api/v1/roles", json={"name": "More"}, headers=headers)).status_code == 403
    sandor = f"/api/v1/agents/{personas.sales_agent.public_id}"
    assert (await client.patch(sandor, json={"name": "S"}, headers=headers)).status_code == 403
    listed = await client.get("/api/v1/agents", headers=headers)
    assert personas.owner.email not in listed.text
    own = await client.patch(rita, json={"custom_role_id": None}, headers=headers)
    assert own.status_code == 403


async def test_role_in_use_cannot_be_deleted(client: Client, personas: Personas, store: Database) -> None:
    role = await _create_role(client, personas, name="Contacts", permissions=["manage_contacts"])
    sara = f"/api/v1/agents/{personas.support_agent.public_id}"
    admin = bearer(personas.admin)
    assert (await client.patch(sara, json={"custom_role_id": role["id"]}, headers=admin)).status_code == 200
    refused = await client.delete(f"/api/v1/roles/{role['id']}", headers=admin)
    assert refused.status_code == 409, refused.text
    assert await _count(store, Role) == 1

    assert (await client.patch(sara, json={"custom_role_id": None}, headers=admin)).status_code == 200
    async with store.read_session() as session:
        stored = await session.get(Agent, personas.support_agent.id)
        assert stored is not None
        assert stored.role_id is None
    deleted = await client.delete(f"/api/v1/roles/{role['id']}", headers=admin)
    assert deleted.status_code == 204
    assert await _count(store, Role) == 0
    assert (await client.get(f"/api/v1/roles/{role['id']}", headers=admin)).status_code == 404
    async with store.read_session() as session:
        actions = list(
            (
                await session.execute(
                    select(HistoryEntry.action)
                    .where(HistoryEntry.entity_type == "role")
                    .order_by(HistoryEntry.id)
                )
            ).scalars()
        )
    assert actions == ["created", "deleted"]


async def test_update_role_and_builtins_are_fixed(
    client: Client, personas: Personas, store: Database
) -> None:
    role = await _create_role(client, personas, name="QA", permissions=["review_qa"])
    admin = bearer(personas.admin)
    changed = await client.patch(
        f"/api/v1/roles/{role['id']}", json={"permissions": ["review_qa", "view_all_reports"]}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["permissions"] == ["review_qa", "view_all_reports"]
    bad = await client.patch(
        f"/api/v1/roles/{role['id']}", json={"permissions": ["purge_data"]}, headers=admin
    )
    assert bad.status_code == 422
    async with store.read_session() as session:
        stored = (await session.execute(select(Role))).scalar_one()
    assert stored.permissions == ["review_qa", "view_all_reports"]
    assert (await client.patch("/api/v1/roles/admin", json={"name": "X"}, headers=admin)).status_code == 404
    assert (await client.delete("/api/v1/roles/owner", headers=admin)).status_code == 404


async def test_read_scope_key_cannot_write_roles(client: Client, personas: Personas, store: Database) -> None:
    read = bearer(personas.read_key)
    assert (await client.get("/api/v1/roles", headers=read)).status_code == 200
    assert (await client.post("/api/v1/roles", json={"name": "R"}, headers=read)).status_code == 403
    assert await _count(store, Role) == 0
