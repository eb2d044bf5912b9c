"""API keys: made with the token shown once, listed without it, revoked at once; scopes; admins manage
other agents' keys, but nobody mints a key with more power than they have."""

from __future__ import annotations

from linka.core.clock import FrozenClock
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient, bearer
from tests.entrypoints.api.auth_helpers import assert_no_secrets, csrf, login, post
from tests.personas import Personas
from tests.query_counter import Statements, counting_statements

Client = AppClient


async def test_create_list_revoke_own_key(client: Client, personas: Personas) -> None:
    person = personas.sales_agent
    assert (await login(client, person.email, person.password)).status_code == 201
    created = await post(client, "/me/api-keys", {"name": "my script", "scopes": ["read"]})
    assert created.status_code == 201, created.text
    body = created.json()
    token = body["token"]
    assert token.startswith(f"lk_{body['prefix']}_")
    assert body["scopes"] == ["read"]
    assert body["revoked_at"] is None

    listed = await client.get("/api/v1/me/api-keys")
    assert listed.status_code == 200
    assert_no_secrets(listed.text)
    assert token not in listed.text
    assert token.rsplit("_", 1)[1] not in listed.text
    mine = {key["id"]: key for key in listed.json()}
    assert set(mine[body["id"]]) == {
        "id",
        "name",
        "prefix",
        "scopes",
        "created_at",
        "last_used_at",
        "revoked_at",
    }
    assert mine[body["id"]]["last_used_at"] is None

    # The key works, and remembers when it was used.
    assert (await client.get("/api/v1/me", headers=bearer(token))).status_code == 200
    used = {key["id"]: key for key in (await client.get("/api/v1/me/api-keys")).json()}
    assert used[body["id"]]["last_used_at"] is not None

    revoked = await client.delete(f"/api/v1/me/api-keys/{body['id']}", headers=await csrf(client))
    assert revoked.status_code == 204
    after = await client.get("/api/v1/me", headers=bearer(token))
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "unauthorized"
    listed_again = {key["id"]: key for key in (await client.get("/api/v1/me/api-keys")).json()}
    assert listed_again[body["id"]]["revoked_at"] is not None
    # Revoking again is harmless; an unknown key is 404.
    assert (
        await client.delete(f"/api/v1/me/api-keys/{body['id']}", headers=await csrf(client))
    ).status_code == 204
    assert (
        await client.delete("/api/v1/me/api-keys/key_nothere", headers=await csrf(client))
    ).status_code == 404


async def test_read_scope_key_is_refused_on_writes(client: Client, personas: Personas) -> None:
    reads = await client.get("/api/v1/me/api-keys", headers=bearer(personas.read_key))
    assert reads.status_code == 200
    write = await client.patch(
        "/api/v1/settings/security", json={"require_two_factor": True}, headers=bearer(personas.read_key)
    )
    assert write.status_code == 403
    assert write.json()["error"]["code"] == "forbidden"
    revoke = await client.delete(
        f"/api/v1/me/api-keys/{reads.json()[0]['id']}", headers=bearer(personas.read_key)
    )
    assert revoke.status_code == 403


async def test_api_keys_cannot_mint_api_keys(client: Client, personas: Personas) -> None:
    response = await client.post(
        "/api/v1/me/api-keys", json={"name": "x", "scopes": ["read"]}, headers=bearer(personas.admin)
    )
    assert response.status_code == 403


async def test_invalid_key_input(client: Client, personas: Personas) -> None:
    await login(client, personas.admin.email, personas.admin.password)
    assert (await post(client, "/me/api-keys", {"name": "x", "scopes": ["admin"]})).status_code == 422
    assert (await post(client, "/me/api-keys", {"name": "x", "scopes": []})).status_code == 422
    assert (await post(client, "/me/api-keys", {"name": "   ", "scopes": ["read"]})).status_code == 422


async def test_admin_manages_other_agents_keys(client: Client, personas: Personas) -> None:
    target = personas.support_agent
    admin = personas.admin
    await login(client, admin.email, admin.password)
    created = await post(
        client, f"/agents/{target.public_id}/api-keys", {"name": "bot", "scopes": ["read", "write"]}
    )
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    me = await client.get("/api/v1/me", headers=bearer(token))
    assert me.json()["email"] == target.email

    listed = await client.get(f"/api/v1/agents/{target.public_id}/api-keys")
    assert listed.status_code == 200
    assert_no_secrets(listed.text)
    assert token not in listed.text
    assert {key["name"] for key in listed.json()} >= {"tests", "bot"}

    revoked = await client.delete(
        f"/api/v1/agents/{target.public_id}/api-keys/{created.json()['id']}", headers=await csrf(client)
    )
    assert revoked.status_code == 204
    assert (await client.get("/api/v1/me", headers=bearer(token))).status_code == 401

    # An admin cannot mint a key carrying an owner's powers.
    owner_key = await post(
        client, f"/agents/{personas.owner.public_id}/api-keys", {"name": "x", "scopes": ["read"]}
    )
    assert owner_key.status_code == 403
    # Unknown agent.
    assert (await client.get("/api/v1/agents/ag_nothere/api-keys")).status_code == 404


async def test_agents_cannot_see_or_touch_others_keys(client: Client, personas: Personas) -> None:
    headers = bearer(personas.support_agent)
    other = personas.sales_agent.public_id
    assert (await client.get(f"/api/v1/agents/{other}/api-keys", headers=headers)).status_code == 403
    keys = (await client.get("/api/v1/me/api-keys", headers=bearer(personas.sales_agent))).json()
    response = await client.delete(f"/api/v1/agents/{other}/api-keys/{keys[0]['id']}", headers=headers)
    assert response.status_code == 403
    # Someone else's key id under one's own path is simply not found.
    response = await client.delete(f"/api/v1/me/api-keys/{keys[0]['id']}", headers=headers)
    assert response.status_code == 404
    assert (await client.get("/api/v1/me", headers=bearer(personas.sales_agent))).status_code == 200


# Authenticating a request by API key: the key joined to its agent, the agent's departments (an agent
# with a custom role: one more, the role). The key's last use is written at most once a minute: then one
# UPDATE more, in a transaction of its own.
API_KEY_AUTH = 2
LAST_USE_WRITTEN = 1


async def test_an_api_key_costs_two_statements_per_request_and_a_write_once_a_minute(
    client: Client, runtime: Runtime, personas: Personas, frozen_clock: FrozenClock
) -> None:
    async def counts() -> Statements:
        # The handler runs one statement (the counts per status), after the caller is known.
        with counting_statements(runtime.db) as seen:
            response = await client.get("/api/v1/tickets/counts", headers=bearer(personas.support_agent))
        assert response.status_code == 200, response.text
        return seen

    first = await counts()  # never used before: its last use is written
    again = await counts()
    frozen_clock.advance(seconds=59)
    within_the_minute = await counts()
    frozen_clock.advance(seconds=1)
    a_minute_later = await counts()

    for seen, expected in (
        (first, API_KEY_AUTH + LAST_USE_WRITTEN + 1),
        (again, API_KEY_AUTH + 1),
        (within_the_minute, API_KEY_AUTH + 1),
        (a_minute_later, API_KEY_AUTH + LAST_USE_WRITTEN + 1),
    ):
        assert seen.count == expected, "\n".join(seen.sql)
    assert "api_keys" in first.sql[0]
    assert first.sql[2].lstrip().upper().startswith("UPDATE API_KEYS")
