"""Agents through the REST API: who may see and change what, the owner rules, deactivation that really
locks someone out, input that is refused without writing anything, and pagination."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event, func, select

from linka.core.db import Database
from linka.core.history import HistoryEntry
from linka.domains.accounts.models import Agent
from linka.entrypoints.asgi import CSRF_COOKIE, CSRF_HEADER
from tests.conftest import AppClient, bearer
from tests.personas import Personas

Client = AppClient
PRIVATE = ("email", "language", "timezone", "last_login_at", "two_factor_enabled", "role", "is_active")
SECRETS = ("password_hash", "totp_secret", "secret_hash")


async def _agent(db: Database, **where: Any) -> Agent | None:
    async with db.read_session() as session:
        query = select(Agent).filter_by(**where)
        return (await session.execute(query)).scalar_one_or_none()


async def _count_agents(db: Database) -> int:
    async with db.read_session() as session:
        return int((await session.execute(select(func.count()).select_from(Agent))).scalar_one())


async def _history(db: Database, entity_id: int, action: str) -> list[HistoryEntry]:
    async with db.read_session() as session:
        query = select(HistoryEntry).where(
            HistoryEntry.entity_type == "agent",
            HistoryEntry.entity_id == entity_id,
            HistoryEntry.action == action,
        )
        return list((await session.execute(query)).scalars())


@pytest.fixture
async def store(db: Database) -> AsyncIterator[Database]:
    """The test's own engine on the same database: the app's engine lives on the client's event loop."""
    database = Database(db.url, pool_size=2)
    yield database
    await database.dispose()


def _no_secrets(text: str) -> None:
    for word in SECRETS:
        assert word not in text


async def test_admin_sees_everything_plain_agent_sees_the_public_view(
    client: Client, personas: Personas
) -> None:
    full = await client.get("/api/v1/agents", headers=bearer(personas.admin))
    assert full.status_code == 200, full.text
    _no_secrets(full.text)
    by_id = {item["id"]: item for item in full.json()["items"]}
    sara = by_id[personas.support_agent.public_id]
    assert sara["email"] == personas.support_agent.email
    assert sara["language"] == "cs"
    assert sara["departments"] == [
        {"id": personas.department_public_ids["support"], "name": "Support", "role": "solver"}
    ]

    public = await client.get("/api/v1/agents", headers=bearer(personas.sales_agent))
    assert public.status_code == 200, public.text
    items = public.json()["items"]
    assert {item["id"] for item in items} == set(by_id)
    for item in items:
        assert set(item) == {"id", "name", "availability", "departments"}, item
    for person in personas.all():
        assert person.email not in public.text

    one = await client.get(f"/api/v1/agents/{personas.admin.public_id}", headers=bearer(personas.sales_agent))
    assert one.status_code == 200
    assert not set(PRIVATE) & set(one.json())
    own = await client.get(
        f"/api/v1/agents/{personas.sales_agent.public_id}", headers=bearer(personas.sales_agent)
    )
    assert own.json()["email"] == personas.sales_agent.email
    missing = await client.get("/api/v1/agents/ag_nothere", headers=bearer(personas.admin))
    assert missing.status_code == 404


async def test_plain_agent_cannot_manage_agents(client: Client, personas: Personas, store: Database) -> None:
    headers = bearer(personas.support_agent)
    before = await _count_agents(store)
    created = await client.post(
        "/api/v1/agents", json={"email": "new@linka.test", "name": "New"}, headers=headers
    )
    assert created.status_code == 403, created.text
    changed = await client.patch(
        f"/api/v1/agents/{personas.sales_agent.public_id}", json={"name": "Hacked"}, headers=headers
    )
    assert changed.status_code == 403
    gone = await client.post(f"/api/v1/agents/{personas.sales_agent.public_id}/deactivate", headers=headers)
    assert gone.status_code == 403
    assert await _count_agents(store) == before
    sandor = await _agent(store, id=personas.sales_agent.id)
    assert sandor is not None
    assert sandor.name == personas.sales_agent.name
    assert sandor.is_active
    role_filter = await client.get("/api/v1/agents?role=admin", headers=headers)
    assert role_filter.status_code == 403
    email_probe = await client.get("/api/v1/agents?q=olga@", headers=headers)
    assert email_probe.status_code == 200
    assert email_probe.json()["items"] == []


async def test_create_invited_agent_writes_history(
    client: Client, personas: Personas, store: Database
) -> None:
    response = await client.post(
        "/api/v1/agents",
        json={
            "email": "Nina@Linka.test",
            "name": " Nina Nová ",
            "language": "cs",
            "timezone": "Europe/Budapest",
        },
        headers=bearer(personas.admin),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    _no_secrets(response.text)
    assert body["email"] == "nina@linka.test"
    assert body["name"] == "Nina Nová"
    assert body["invited"] is True
    assert body["role"] == "agent"
    nina = await _agent(store, email="nina@linka.test")
    assert nina is not None
    assert nina.password_hash is None
    assert nina.invited_at is not None
    assert nina.public_id == body["id"]
    [created] = await _history(store, nina.id, "created")
    assert created.after is not None
    assert created.after["email"] == "nina@linka.test"
    assert created.actor_agent_id == personas.admin.id


async def test_bad_input_names_the_field_and_writes_nothing(
    client: Client, personas: Personas, store: Database
) -> None:
    before = await _count_agents(store)
    headers = bearer(personas.admin)
    cases: list[tuple[dict[str, Any], str, int]] = [
        ({"email": personas.sales_agent.email.upper(), "name": "Dup"}, "email", 409),
        ({"email": "x@linka.test", "name": 5}, "name", 422),
        ({"email": "x@linka.test", "name": "X", "admin": True}, "admin", 422),
        ({"email": "x@linka.test", "name": "x" * 121}, "name", 422),
        ({"email": "not-an-email", "name": "X"}, "email", 422),
        ({"email": "x@linka.test", "name": "X", "timezone": "Mars/Olympus"}, "timezone", 422),
        ({"email": "x@linka.test", "name": "X", "language": "de"}, "language", 422),
        ({"email": "x@linka.test", "name": "X", "password": "short"}, "password", 422),
        ({"email": "x@linka.test", "name": "X", "custom_role_id": "rl_nothere"}, "custom_role_id", 422),
        ({"email": "x@linka.test", "name": "X", "role": "god"}, "role", 422),
    ]
    for body, field, status in cases:
        response = await client.post("/api/v1/agents", json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        assert field in response.json()["error"]["fields"], (body, response.text)
    patched = await client.patch(
        f"/api/v1/agents/{personas.sales_agent.public_id}",
        json={"name": "Fine", "timezone": "Nowhere/City"},
        headers=headers,
    )
    assert patched.status_code == 422
    assert "timezone" in patched.json()["error"]["fields"]
    assert await _count_agents(store) == before
    sandor = await _agent(store, id=personas.sales_agent.id)
    assert sandor is not None
    assert sandor.name == personas.sales_agent.name
    assert await _history(store, personas.sales_agent.id, "updated") == []


async def test_only_an_owner_makes_or_touches_an_owner(
    client: Client, personas: Personas, store: Database
) -> None:
    admin = bearer(personas.admin)
    sara = f"/api/v1/agents/{personas.support_agent.public_id}"
    assert (await client.patch(sara, json={"role": "owner"}, headers=admin)).status_code == 403
    created = await client.post(
        "/api/v1/agents", json={"email": "boss@linka.test", "name": "Boss", "role": "owner"}, headers=admin
    )
    assert created.status_code == 403
    olga = f"/api/v1/agents/{personas.owner.public_id}"
    assert (await client.patch(olga, json={"name": "Renamed"}, headers=admin)).status_code == 403
    assert (await client.post(f"{olga}/deactivate", headers=admin)).status_code == 403
    stored = await _agent(store, id=personas.support_agent.id)
    assert stored is not None
    assert stored.base_role == "agent"

    promoted = await client.patch(sara, json={"role": "owner"}, headers=bearer(personas.owner))
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["role"] == "owner"
    stored = await _agent(store, id=personas.support_agent.id)
    assert stored is not None
    assert stored.base_role == "owner"
    [entry] = await _history(store, personas.support_agent.id, "updated")
    assert entry.before == {"role": "agent"}
    assert entry.after == {"role": "owner"}


async def test_last_owner_is_protected(client: Client, personas: Personas, store: Database) -> None:
    owner = bearer(personas.owner)
    olga = f"/api/v1/agents/{personas.owner.public_id}"
    demote = await client.patch(olga, json={"role": "admin"}, headers=owner)
    assert demote.status_code == 409, demote.text
    assert "role" in demote.json()["error"]["fields"]
    deactivate = await client.post(f"{olga}/deactivate", headers=owner)
    assert deactivate.status_code == 409
    assert "is_active" in deactivate.json()["error"]["fields"]
    stored = await _agent(store, id=personas.owner.id)
    assert stored is not None
    assert stored.base_role == "owner"
    assert stored.is_active

    # With a second owner, an owner may demote the other one; still not themselves.
    adam = f"/api/v1/agents/{personas.admin.public_id}"
    assert (await client.patch(adam, json={"role": "owner"}, headers=owner)).status_code == 200
    own = await client.patch(olga, json={"role": "admin"}, headers=owner)
    assert own.status_code == 403
    back = await client.patch(adam, json={"role": "admin"}, headers=owner)
    assert back.status_code == 200
    assert back.json()["role"] == "admin"


async def test_nobody_changes_their_own_role(client: Client, personas: Personas, store: Database) -> None:
    adam = f"/api/v1/agents/{personas.admin.public_id}"
    response = await client.patch(adam, json={"role": "agent"}, headers=bearer(personas.admin))
    assert response.status_code == 403
    stored = await _agent(store, id=personas.admin.id)
    assert stored is not None
    assert stored.base_role == "admin"
    same = await client.patch(adam, json={"name": "Adam A.", "role": "admin"}, headers=bearer(personas.admin))
    assert same.status_code == 200
    assert same.json()["name"] == "Adam A."


async def test_deactivated_agent_is_locked_out(client: Client, personas: Personas, store: Database) -> None:
    await client.get("/api/v1/me")  # sets the CSRF cookie
    login = await client.post(
        "/api/v1/auth/login",
        json={"email": personas.support_agent.email, "password": personas.support_agent.password},
        headers={CSRF_HEADER: client.cookies[CSRF_COOKIE]},
    )
    assert login.status_code == 201, login.text
    assert (await client.get("/api/v1/me")).status_code == 200
    sara_key = bearer(personas.support_agent)
    assert (await client.get("/api/v1/me", headers=sara_key)).status_code == 200

    path = f"/api/v1/agents/{personas.support_agent.public_id}"
    response = await client.post(f"{path}/deactivate", headers=bearer(personas.admin))
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    assert (await client.get("/api/v1/me")).status_code == 401
    assert (await client.get("/api/v1/me", headers=sara_key)).status_code == 401
    stored = await _agent(store, id=personas.support_agent.id)
    assert stored is not None
    assert not stored.is_active
    assert stored.auth_epoch == 1
    assert stored.deactivated_at is not None
    assert len(await _history(store, personas.support_agent.id, "deactivated")) == 1

    # A plain agent no longer sees her; an admin does, and can filter for her.
    public = await client.get("/api/v1/agents", headers=bearer(personas.sales_agent))
    assert personas.support_agent.public_id not in {item["id"] for item in public.json()["items"]}
    inactive = await client.get("/api/v1/agents?active=false", headers=bearer(personas.admin))
    assert [item["id"] for item in inactive.json()["items"]] == [personas.support_agent.public_id]

    back = await client.post(f"{path}/reactivate", headers=bearer(personas.admin))
    assert back.status_code == 200
    assert back.json()["is_active"] is True
    assert (await client.get("/api/v1/me", headers=sara_key)).status_code == 200
    assert (await client.get("/api/v1/me")).status_code == 401  # the old session stays dead


async def test_read_scope_key_cannot_write(client: Client, personas: Personas, store: Database) -> None:
    before = await _count_agents(store)
    read = bearer(personas.read_key)
    assert (await client.get("/api/v1/agents", headers=read)).status_code == 200
    created = await client.post("/api/v1/agents", json={"email": "r@linka.test", "name": "R"}, headers=read)
    assert created.status_code == 403
    path = f"/api/v1/agents/{personas.sales_agent.public_id}"
    assert (await client.patch(path, json={"name": "R"}, headers=read)).status_code == 403
    assert (await client.post(f"{path}/deactivate", headers=read)).status_code == 403
    assert await _count_agents(store) == before


async def test_keyset_pagination_returns_every_agent_once(
    client: Client, personas: Personas, store: Database
) -> None:
    headers = bearer(personas.admin)
    for n in range(9):
        response = await client.post(
            "/api/v1/agents", json={"email": f"page{n}@linka.test", "name": f"Page {n}"}, headers=headers
        )
        assert response.status_code == 201
    async with store.read_session() as session:
        expected = set((await session.execute(select(Agent.public_id))).scalars())
    seen: list[str] = []
    cursor = None
    for _ in range(20):
        params: dict[str, Any] = {"limit": 4}
        if cursor:
            params["cursor"] = cursor
        page = await client.get("/api/v1/agents", params=params, headers=headers)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) <= 4
        seen.extend(item["id"] for item in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == expected
    for bad in ({"limit": 0}, {"limit": 101}):
        refused = await client.get("/api/v1/agents", params=bad, headers=headers)
        assert refused.status_code == 422, refused.text
        assert "limit" in refused.json()["error"]["fields"]
    junk = await client.get("/api/v1/agents", params={"cursor": "!!junk"}, headers=headers)
    assert junk.status_code == 422
    assert "cursor" in junk.json()["error"]["fields"]


async def test_filters(client: Client, personas: Personas) -> None:
    headers = bearer(personas.admin)

    async def ids(query: str) -> set[str]:
        response = await client.get(f"/api/v1/agents?{query}", headers=headers)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    support = personas.department_public_ids["support"]
    assert await ids(f"department={support}") == {
        personas.support_agent.public_id,
        personas.support_supervisor.public_id,
    }
    assert await ids("role=admin") == {personas.admin.public_id}
    assert await ids("q=NOVÁK") | await ids("q=novák") == {personas.support_agent.public_id}
    assert await ids("q=olga@linka") == {personas.owner.public_id}
    assert await ids("q=100%25") == set()


async def test_agent_list_query_count_does_not_grow_with_the_page(
    client: Client, personas: Personas, db: Database
) -> None:
    headers = bearer(personas.admin)
    for n in range(6):
        await client.post(
            "/api/v1/agents", json={"email": f"q{n}@linka.test", "name": f"Q {n}"}, headers=headers
        )
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    await client.get("/api/v1/agents?limit=1", headers=headers)  # warm up (last_used_at touch)
    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        statements.clear()
        await client.get("/api/v1/agents?limit=2", headers=headers)
        small = len(statements)
        statements.clear()
        await client.get("/api/v1/agents?limit=12", headers=headers)
        large = len(statements)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert small == large, statements
    assert any("FROM agents" in s for s in statements), statements
