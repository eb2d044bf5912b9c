"""Two-factor sign-in with real TOTP codes: enrolment, both login flows, no replay, mandatory 2FA."""

from __future__ import annotations

import pyotp
from sqlalchemy import select

from linka.core.clock import FrozenClock
from linka.core.history import HistoryEntry
from tests.conftest import AppClient, bearer
from tests.entrypoints.api.auth_helpers import (
    assert_no_secrets,
    csrf,
    login,
    own_database,
    post,
    put_session,
    take_session,
)
from tests.personas import Person, Personas

Client = AppClient


async def enrol(client: Client, person: Person, clock: FrozenClock) -> str:
    """Sign in, set up two-factor, return the secret. Leaves the clock on a fresh time-step."""
    assert (await login(client, person.email, person.password)).status_code == 201
    started = await post(client, "/me/two-factor")
    assert started.status_code == 201, started.text
    secret = started.json()["secret"]
    assert started.json()["otpauth_uri"].startswith("otpauth://totp/")
    assert person.email.replace("@", "%40") in started.json()["otpauth_uri"]
    confirmed = await post(client, "/me/two-factor/confirm", {"code": pyotp.TOTP(secret).at(clock.now())})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["two_factor_enabled"] is True
    clock.advance(seconds=30)
    return secret


async def test_enrol_then_log_in_in_two_steps_and_in_one(
    client: Client, personas: Personas, frozen_clock: FrozenClock
) -> None:
    person = personas.support_agent
    secret = await enrol(client, person, frozen_clock)
    # Enrolling ends every older session, but this one carries on.
    assert (await client.get("/api/v1/me")).status_code == 200
    await post(client, "/auth/logout")

    # Two steps: the password alone only gets a challenge and a session that is not signed in.
    first = await login(client, person.email, person.password)
    assert first.status_code == 201, first.text
    assert first.json() == {"two_factor_required": True, "two_factor_setup_required": False}
    assert (await client.get("/api/v1/me")).status_code == 401
    wrong = await post(client, "/auth/two-factor", {"code": "000000"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "invalid_two_factor_code"
    code = pyotp.TOTP(secret).at(frozen_clock.now())
    second = await post(client, "/auth/two-factor", {"code": code})
    assert second.status_code == 201, second.text
    assert second.json()["email"] == person.email
    assert (await client.get("/api/v1/me")).status_code == 200
    await post(client, "/auth/logout")

    # The same code again, within its window: refused (no replay), even with the right password.
    replay = await login(client, person.email, person.password, totp_code=code)
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "invalid_two_factor_code"
    # One step: password and a fresh code together.
    frozen_clock.advance(seconds=30)
    one_step = await login(
        client, person.email, person.password, totp_code=pyotp.TOTP(secret).at(frozen_clock.now())
    )
    assert one_step.status_code == 201, one_step.text
    assert one_step.json()["two_factor_enabled"] is True
    assert (await client.get("/api/v1/me")).status_code == 200


async def test_second_step_without_a_password_first_is_refused(client: Client, personas: Personas) -> None:
    response = await post(client, "/auth/two-factor", {"code": "123456"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_pending_second_step_expires(
    client: Client, personas: Personas, frozen_clock: FrozenClock
) -> None:
    secret = await enrol(client, personas.sales_agent, frozen_clock)
    await post(client, "/auth/logout")
    await login(client, personas.sales_agent.email, personas.sales_agent.password)
    frozen_clock.advance(minutes=10)
    late = await post(client, "/auth/two-factor", {"code": pyotp.TOTP(secret).at(frozen_clock.now())})
    assert late.status_code == 401


async def test_confirm_with_a_wrong_code_keeps_two_factor_off(
    client: Client, personas: Personas, frozen_clock: FrozenClock
) -> None:
    person = personas.sales_reader
    await login(client, person.email, person.password)
    started = await post(client, "/me/two-factor")
    secret = started.json()["secret"]
    bad = await post(client, "/me/two-factor/confirm", {"code": "12345x"})
    assert bad.status_code == 422
    assert "code" in bad.json()["error"]["fields"]
    me = await client.get("/api/v1/me")
    assert me.json()["two_factor_enabled"] is False
    assert_no_secrets(me.text)
    assert secret not in me.text
    # Enrolling twice is fine: the second secret replaces the first, which no longer works.
    again = (await post(client, "/me/two-factor")).json()["secret"]
    stale = await post(client, "/me/two-factor/confirm", {"code": pyotp.TOTP(secret).at(frozen_clock.now())})
    assert stale.status_code == 422
    good = await post(client, "/me/two-factor/confirm", {"code": pyotp.TOTP(again).at(frozen_clock.now())})
    assert good.status_code == 200
    assert (await post(client, "/me/two-factor")).status_code == 409


async def test_enabling_two_factor_ends_other_sessions(
    client: Client, personas: Personas, frozen_clock: FrozenClock
) -> None:
    person = personas.support_supervisor
    assert (await login(client, person.email, person.password)).status_code == 201
    other_device = take_session(client)
    await enrol(client, person, frozen_clock)
    this_device = take_session(client)
    put_session(client, other_device)
    assert (await client.get("/api/v1/me")).status_code == 401
    put_session(client, this_device)
    assert (await client.get("/api/v1/me")).status_code == 200


async def test_disable_needs_the_password_and_is_recorded_without_secrets(
    client: Client, personas: Personas, frozen_clock: FrozenClock
) -> None:
    person = personas.admin
    await enrol(client, person, frozen_clock)
    response = await client.request(
        "DELETE", "/api/v1/me/two-factor", json={"password": "not the password"}, headers=await csrf(client)
    )
    assert response.status_code == 422
    assert "password" in response.json()["error"]["fields"]
    response = await client.request(
        "DELETE", "/api/v1/me/two-factor", json={"password": person.password}, headers=await csrf(client)
    )
    assert response.status_code == 204, response.text
    me = await client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["two_factor_enabled"] is False
    await post(client, "/auth/logout")
    assert (await login(client, person.email, person.password)).json()["email"] == person.email

    async with own_database(client) as database, database.read_session() as session:
        rows = (
            await session.execute(
                select(HistoryEntry).where(
                    HistoryEntry.entity_type == "agent", HistoryEntry.entity_id == person.id
                )
            )
        ).scalars()
        actions = [row.action for row in rows]
        entries = [f"{row.before} {row.after}" for row in rows]
    assert "two_factor_enabled" in actions
    assert "two_factor_disabled" in actions
    for text in entries:
        assert_no_secrets(text)


async def test_api_keys_cannot_change_two_factor(client: Client, personas: Personas) -> None:
    response = await client.post("/api/v1/me/two-factor", headers=bearer(personas.support_agent))
    assert response.status_code == 403


async def test_mandatory_two_factor(client: Client, personas: Personas, frozen_clock: FrozenClock) -> None:
    # Only an owner may make it mandatory.
    admin = await client.patch(
        "/api/v1/settings/security", json={"require_two_factor": True}, headers=bearer(personas.admin)
    )
    assert admin.status_code == 403
    owner = await client.patch(
        "/api/v1/settings/security", json={"require_two_factor": True}, headers=bearer(personas.owner)
    )
    assert owner.status_code == 200, owner.text
    assert owner.json() == {"require_two_factor": True}
    shown = await client.get("/api/v1/settings/security", headers=bearer(personas.support_agent))
    assert shown.json() == {"require_two_factor": True}

    # An agent without two-factor gets a session that may only set it up.
    person = personas.sales_agent
    first = await login(client, person.email, person.password)
    assert first.status_code == 201
    assert first.json() == {"two_factor_required": True, "two_factor_setup_required": True}
    blocked = await client.get("/api/v1/me")
    assert blocked.status_code == 403
    assert blocked.json()["error"]["code"] == "two_factor_required"
    assert (await client.get("/api/v1/me/api-keys")).json()["error"]["code"] == "two_factor_required"
    started = await post(client, "/me/two-factor")
    assert started.status_code == 201
    secret = started.json()["secret"]
    code = pyotp.TOTP(secret).at(frozen_clock.now())
    confirmed = await post(client, "/me/two-factor/confirm", {"code": code})
    assert confirmed.status_code == 200
    assert (await client.get("/api/v1/me")).status_code == 200

    # Now it cannot be turned off while mandatory.
    refused = await client.request(
        "DELETE", "/api/v1/me/two-factor", json={"password": person.password}, headers=await csrf(client)
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "two_factor_mandatory"

    # Next time, the code is needed as usual.
    await post(client, "/auth/logout")
    frozen_clock.advance(seconds=30)
    again = await login(client, person.email, person.password)
    assert again.json() == {"two_factor_required": True, "two_factor_setup_required": False}
    done = await post(client, "/auth/two-factor", {"code": pyotp.TOTP(secret).at(frozen_clock.now())})
    assert done.status_code == 201


async def test_admin_turns_off_a_lost_two_factor(
    client: Client, personas: Personas, frozen_clock: FrozenClock
) -> None:
    person = personas.sales_reader
    await enrol(client, person, frozen_clock)
    path = f"/api/v1/agents/{person.public_id}/two-factor"
    assert (await client.delete(path, headers=bearer(personas.support_agent))).status_code == 403
    owner_path = f"/api/v1/agents/{personas.owner.public_id}/two-factor"
    assert (await client.delete(owner_path, headers=bearer(personas.admin))).status_code == 403
    assert (await client.delete(path, headers=bearer(personas.admin))).status_code == 204
    assert (await client.get("/api/v1/me")).status_code == 401  # their sessions ended
    again = await login(client, person.email, person.password)
    assert again.status_code == 201
    assert again.json()["two_factor_enabled"] is False
