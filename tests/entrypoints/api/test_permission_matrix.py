"""The permission matrix: every API operation × owner, admin, plain agent, custom role, anonymous and
a read-scope API key, each on a fresh database, asserting the exact status. A new operation without
a row here fails `test_every_operation_is_in_the_matrix`.

Who is who (tests/personas.py): the plain agent is Sára (solver in Support); the custom-role agent is
Kamila, a plain agent whose role "Department admin" grants manage_departments and nothing else, and who
belongs to no department; the read key belongs to admin Adam.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar import Litestar

from linka.core.db import Database
from linka.core.permissions import Origin, system_actor
from linka.core.uow import unit_of_work
from linka.domains.accounts import actions as accounts
from linka.domains.accounts import credentials, role_actions
from tests.conftest import AppClient, bearer
from tests.entrypoints.api.auth_helpers import csrf, login
from tests.personas import PASSWORD, Personas

ACTORS = ("owner", "admin", "agent", "custom", "anonymous", "read_key")


def expect(owner: int, admin: int, agent: int, custom: int, anonymous: int, read_key: int) -> dict[str, int]:
    return dict(zip(ACTORS, (owner, admin, agent, custom, anonymous, read_key), strict=True))


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    statuses: dict[str, int]
    body: dict[str, Any] | None = None
    # Where a list must not show something to some actors: (actor, text that must be absent).
    absent: tuple[tuple[str, str], ...] = field(default=())
    # Credential changes need a password sign-in: people act through a session cookie, and an API key
    # (the read key here) is refused whatever its scope, so a leaked key cannot take over an account.
    signed_in: bool = False

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


NEW_PASSWORD = "a different long password 42"

MATRIX: list[Row] = [
    # Signing in and out, password reset and invitations: open to anyone (with a CSRF token).
    Row(
        "POST",
        "/auth/login",
        expect(201, 201, 201, 201, 201, 201),
        {"email": "{agent_email}", "password": PASSWORD},
    ),
    Row("POST", "/auth/two-factor", expect(401, 401, 401, 401, 401, 401), {"code": "123456"}),
    Row("POST", "/auth/logout", expect(204, 204, 204, 204, 204, 204)),
    Row("POST", "/auth/password-reset", expect(202, 202, 202, 202, 202, 202), {"email": "{agent_email}"}),
    Row(
        "POST",
        "/auth/password-reset/confirm",
        expect(400, 400, 400, 400, 400, 400),
        {"token": "forged.token", "password": NEW_PASSWORD},
    ),
    Row(
        "POST",
        "/auth/accept-invitation",
        expect(400, 400, 400, 400, 400, 400),
        {"token": "forged.token", "password": NEW_PASSWORD},
    ),
    # Me: every agent manages their own profile, password, two-factor and keys; a read key only reads.
    Row("GET", "/me", expect(200, 200, 200, 200, 401, 200)),
    Row("PATCH", "/me", expect(200, 200, 200, 200, 401, 403), {"signature": "S pozdravem"}),
    Row(
        "POST",
        "/me/password",
        expect(204, 204, 204, 204, 401, 403),
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        signed_in=True,
    ),
    Row("POST", "/me/two-factor", expect(201, 201, 201, 201, 401, 403), signed_in=True),
    # Confirming with nothing enrolled names the field; turning two-factor off is idempotent.
    Row(
        "POST",
        "/me/two-factor/confirm",
        expect(422, 422, 422, 422, 401, 403),
        {"code": "123456"},
        signed_in=True,
    ),
    Row(
        "DELETE",
        "/me/two-factor",
        expect(204, 204, 204, 204, 401, 403),
        {"password": PASSWORD},
        signed_in=True,
    ),
    Row("GET", "/me/api-keys", expect(200, 200, 200, 200, 401, 200)),
    Row(
        "POST",
        "/me/api-keys",
        expect(201, 201, 201, 201, 401, 403),
        {"name": "script", "scopes": ["read"]},
        signed_in=True,
    ),
    Row("DELETE", "/me/api-keys/{my_key}", expect(204, 204, 204, 204, 401, 403)),
    # Agents: everyone may look colleagues up (a public view); only managers of agents change them.
    Row("GET", "/agents", expect(200, 200, 200, 200, 401, 200), absent=(("agent", "viktor@linka.test"),)),
    Row(
        "POST",
        "/agents",
        expect(201, 201, 403, 403, 401, 403),
        {"email": "new@linka.test", "name": "Nová Agentka"},
    ),
    Row("GET", "/agents/{agent}", expect(200, 200, 200, 200, 401, 200)),
    Row("PATCH", "/agents/{agent}", expect(200, 200, 403, 403, 401, 403), {"name": "Sára Dvořáková"}),
    Row("POST", "/agents/{agent}/deactivate", expect(200, 200, 403, 403, 401, 403)),
    Row("POST", "/agents/{inactive}/reactivate", expect(200, 200, 403, 403, 401, 403)),
    Row("POST", "/agents/{invited}/invite", expect(202, 202, 403, 403, 401, 403)),
    # Turning off someone's two-factor is idempotent: 204 whether or not it was on.
    Row("DELETE", "/agents/{agent}/two-factor", expect(204, 204, 403, 403, 401, 403)),
    # Someone else's keys (the supervisor's): managers of agents only. The read key is admin Adam's.
    Row("GET", "/agents/{other}/api-keys", expect(200, 200, 403, 403, 401, 200)),
    Row(
        "POST",
        "/agents/{other}/api-keys",
        expect(201, 201, 403, 403, 401, 403),
        {"name": "x", "scopes": ["read"]},
        signed_in=True,
    ),
    Row("DELETE", "/agents/{other}/api-keys/{other_key}", expect(204, 204, 403, 403, 401, 403)),
    # Roles: manage_roles (or manage_agents, to hand them out) only.
    Row("GET", "/roles", expect(200, 200, 403, 403, 401, 200)),
    Row("POST", "/roles", expect(201, 201, 403, 403, 401, 403), {"name": "QA", "permissions": ["review_qa"]}),
    Row("GET", "/roles/{role}", expect(200, 200, 403, 403, 401, 200)),
    Row("PATCH", "/roles/{role}", expect(200, 200, 403, 403, 401, 403), {"description": "runs departments"}),
    Row("DELETE", "/roles/{unused_role}", expect(204, 204, 403, 403, 401, 403)),
    # Departments: everyone reads; manage_departments (the custom role has it) changes them.
    Row("GET", "/departments", expect(200, 200, 200, 200, 401, 200)),
    Row("POST", "/departments", expect(201, 201, 403, 201, 401, 403), {"name": "Billing"}),
    Row("GET", "/departments/{sales}", expect(200, 200, 200, 200, 401, 200)),
    Row("PATCH", "/departments/{sales}", expect(200, 200, 403, 200, 401, 403), {"description": "obchod"}),
    Row("DELETE", "/departments/{empty_department}", expect(204, 204, 403, 204, 401, 403)),
    Row("GET", "/departments/{sales}/members", expect(200, 200, 200, 200, 401, 200)),
    Row(
        "PUT",
        "/departments/{sales}/members/{agent}",
        expect(200, 200, 403, 200, 401, 403),
        {"role": "reader"},
    ),
    Row("DELETE", "/departments/{support}/members/{agent}", expect(204, 204, 403, 204, 401, 403)),
    # Workspace security policy: everyone may read it, only owners change it.
    Row("GET", "/settings/security", expect(200, 200, 200, 200, 401, 200)),
    Row("PATCH", "/settings/security", expect(200, 403, 403, 403, 401, 403), {"require_two_factor": False}),
    # Contacts: visible through tickets one may see (Sára sees Karel of a Support ticket, not Petr who has
    # none; Kamila, in no department, sees nobody); admins see all.
    Row(
        "GET",
        "/contacts",
        expect(200, 200, 200, 200, 401, 200),
        absent=(("agent", "Petr Svoboda"), ("agent", "Hana"), ("custom", "Karel")),
    ),
    Row(
        "POST",
        "/contacts",
        expect(201, 201, 201, 201, 401, 403),
        {"name": "Nový Kontakt", "emails": ["novy@example.cz"]},
    ),
    Row("GET", "/contacts/{karel}", expect(200, 200, 200, 404, 401, 200)),
    Row("PATCH", "/contacts/{karel}", expect(200, 200, 200, 404, 401, 403), {"notes": "VIP"}),
    Row("DELETE", "/contacts/{petr}", expect(204, 204, 404, 404, 401, 403)),
    # Merging needs both contacts visible: Petr is invisible to both agents, so it is "not found".
    Row("POST", "/contacts/{petr}/merge", expect(200, 200, 404, 404, 401, 403), {"into": "{hana}"}),
    # Companies: seen through their visible contacts; changed with manage_contacts.
    Row("GET", "/companies", expect(200, 200, 200, 200, 401, 200), absent=(("custom", "Acme"),)),
    Row("POST", "/companies", expect(201, 201, 403, 403, 401, 403), {"name": "Nová firma"}),
    Row("GET", "/companies/{acme}", expect(200, 200, 200, 404, 401, 200)),
    # Acme is invisible to Kamila (no tickets of hers), so she gets "not found" before "forbidden".
    Row("PATCH", "/companies/{acme}", expect(200, 200, 403, 404, 401, 403), {"notes": "key account"}),
    Row("DELETE", "/companies/{acme}", expect(204, 204, 403, 404, 401, 403)),
    Row("GET", "/companies/{acme}/contacts", expect(200, 200, 200, 404, 401, 200)),
]


async def _prepare(db: Database, personas: Personas) -> dict[str, str]:
    """Per-test extras made through real actions: the custom-role agent and the objects rows act on."""
    async with unit_of_work(db, system_actor(Origin.CLI)) as uow:
        role = await role_actions.create_role(
            uow, name="Department admin", permissions=["manage_departments"]
        )
        unused = await role_actions.create_role(uow, name="Unused", permissions=["review_qa"])
        kamila = await accounts.create_agent(
            uow, email="kamila@linka.test", name="Kamila Custom", password=PASSWORD, custom_role_id=role.id
        )
        # Without passwords: neither signs in here, and argon2 would cost every case of the matrix.
        _, kamila_key = await credentials.create_api_key(
            uow, agent_id=kamila.id, name="t", scopes=["read", "write"]
        )
        invited = await accounts.create_agent(uow, email="invited@linka.test", name="Invited Iva")
        inactive = await accounts.create_agent(uow, email="gone@linka.test", name="Gone Gábor")
        empty = await accounts.create_department(uow, name="Empty")
        other_key, _ = await credentials.create_api_key(
            uow, agent_id=personas.support_supervisor.id, name="victim", scopes=["read"]
        )
    from linka.domains.accounts import agent_actions

    async with unit_of_work(db, system_actor(Origin.CLI)) as uow:
        await agent_actions.deactivate_agent(uow, agent_id=inactive.id)
    return {
        "kamila_id": str(kamila.id),
        "kamila_key": kamila_key,
        "role": role.public_id,
        "unused_role": unused.public_id,
        "invited": invited.public_id,
        "inactive": inactive.public_id,
        "empty_department": empty.public_id,
        "other_key": other_key.public_id,
    }


async def _own_key_id(db: Database, agent_id: int) -> str:
    async with unit_of_work(db, system_actor(Origin.CLI)) as uow:
        key, _ = await credentials.create_api_key(uow, agent_id=agent_id, name="to revoke", scopes=["read"])
        return key.public_id


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.label)
async def test_matrix(row: Row, actor: str, db: Database, personas: Personas, client: AppClient) -> None:
    extras = await _prepare(db, personas)
    people = {
        "owner": (personas.owner.id, personas.owner.email),
        "admin": (personas.admin.id, personas.admin.email),
        "agent": (personas.support_agent.id, personas.support_agent.email),
        "custom": (int(extras.pop("kamila_id")), "kamila@linka.test"),
    }
    kamila_key = extras.pop("kamila_key")
    my_id = people[actor][0] if actor in people else personas.admin.id
    if actor in people and row.signed_in:
        headers = await _sign_in(client, people[actor][1])
    elif actor == "custom":
        headers = bearer(kamila_key)
    elif actor in people:
        headers = bearer(getattr(personas, {"agent": "support_agent"}.get(actor, actor)))
    elif actor == "read_key":
        headers = bearer(personas.read_key)
    else:
        headers = await csrf(client)
    if "{my_key}" in row.path:
        extras["my_key"] = await _own_key_id(db, my_id) if actor != "anonymous" else "key_unknown"
    values = {
        **extras,
        "agent": personas.support_agent.public_id,
        "agent_email": personas.support_agent.email,
        "other": personas.support_supervisor.public_id,
        "sales": personas.department_public_ids["sales"],
        "support": personas.department_public_ids["support"],
        "karel": personas.contact_public_ids["karel"],
        "petr": personas.contact_public_ids["petr"],
        "hana": personas.contact_public_ids["hana"],
        "acme": personas.company_public_ids["acme"],
    }
    path = "/api/v1" + row.path.format(**values)
    body = _fill(row.body, values)
    response = await client.request(row.method, path, json=body, headers=headers)
    expected = row.statuses[actor]
    assert response.status_code == expected, f"{row.label} as {actor}: {response.status_code} {response.text}"
    if response.status_code >= 400:
        assert set(response.json()["error"]) == {"code", "message", "fields"}
    for who, text in row.absent:
        if who == actor:
            assert text not in response.text, f"{row.label} shows {text!r} to {actor}"


async def _sign_in(client: AppClient, email: str) -> dict[str, str]:
    response = await login(client, email, PASSWORD)
    assert response.status_code == 201, response.text
    return await csrf(client)


def _fill(body: Any, values: dict[str, str]) -> Any:
    if isinstance(body, dict):
        return {key: _fill(value, values) for key, value in body.items()}
    if isinstance(body, list):
        return [_fill(value, values) for value in body]
    if isinstance(body, str) and body.startswith("{") and body.endswith("}"):
        return values[body[1:-1]]
    return body


def test_every_operation_is_in_the_matrix(app: Litestar) -> None:
    documented = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, item in app.openapi_schema.to_schema()["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    covered = {(row.method, _generic(row.path)) for row in MATRIX}
    generic_documented = {(method, _generic(path)) for method, path in documented}
    missing = sorted(generic_documented - covered)
    assert not missing, f"operations without a permission-matrix row: {missing}"


def _generic(path: str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", "{}", path)
