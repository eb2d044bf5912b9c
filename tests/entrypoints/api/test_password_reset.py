"""Forgotten passwords, invitations and changing one's own password: signed, expiring, single-use links
read from the queued mail in the database, and every older session ending."""

from __future__ import annotations

from sqlalchemy import update

from linka.core.clock import FrozenClock
from linka.domains.accounts.models import Agent
from tests.conftest import AppClient, bearer
from tests.entrypoints.api.auth_helpers import (
    login,
    mails_to,
    own_database,
    post,
    put_session,
    take_session,
    token_in,
)
from tests.personas import Personas

Client = AppClient
NEW_PASSWORD = "a brand new passphrase 42"


async def test_reset_flow(client: Client, personas: Personas, frozen_clock: FrozenClock) -> None:
    person = personas.support_agent  # Czech
    assert (await login(client, person.email, person.password)).status_code == 201
    other_device = take_session(client)

    asked = await post(client, "/auth/password-reset", {"email": person.email.upper()})
    assert asked.status_code == 202
    assert "on its way" in asked.json()["message"]
    [mail] = await mails_to(client, person.email, "password_reset")
    assert mail.delivery_status == "queued"
    assert mail.language == "cs"
    assert "Obnovení hesla" in mail.subject
    assert mail.to_name == person.name
    token = token_in(mail, "reset-password")
    assert "http://127.0.0.1:8000/reset-password?token=" in mail.body_text

    weak = await post(client, "/auth/password-reset/confirm", {"token": token, "password": "short"})
    assert weak.status_code == 422
    assert "password" in weak.json()["error"]["fields"]
    done = await post(client, "/auth/password-reset/confirm", {"token": token, "password": NEW_PASSWORD})
    assert done.status_code == 204, done.text
    # Every session of the account is over; the new password works, the old one does not.
    put_session(client, other_device)
    assert (await client.get("/api/v1/me")).status_code == 401
    assert (await login(client, person.email, person.password)).status_code == 401
    assert (await login(client, person.email, NEW_PASSWORD)).status_code == 201

    reused = await post(
        client, "/auth/password-reset/confirm", {"token": token, "password": "yet another passphrase"}
    )
    assert reused.status_code == 400
    assert reused.json()["error"]["code"] == "token_used"


async def test_unknown_email_gets_the_same_answer_and_no_mail(client: Client, personas: Personas) -> None:
    known = await post(client, "/auth/password-reset", {"email": personas.admin.email})
    unknown = await post(client, "/auth/password-reset", {"email": "nobody@linka.test"})
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    assert len(await mails_to(client, personas.admin.email, "password_reset")) == 1
    assert await mails_to(client, "nobody@linka.test", "password_reset") == []


async def test_deactivated_agent_gets_no_mail(client: Client, personas: Personas) -> None:
    async with own_database(client) as database, database.sessions() as session:
        await session.execute(
            update(Agent).where(Agent.id == personas.sales_reader.id).values(is_active=False)
        )
        await session.commit()
    assert (
        await post(client, "/auth/password-reset", {"email": personas.sales_reader.email})
    ).status_code == 202
    assert await mails_to(client, personas.sales_reader.email, "password_reset") == []


async def test_expired_and_forged_tokens(
    client: Client, personas: Personas, frozen_clock: FrozenClock
) -> None:
    person = personas.sales_agent  # Hungarian
    await post(client, "/auth/password-reset", {"email": person.email})
    [mail] = await mails_to(client, person.email, "password_reset")
    assert mail.language == "hu"
    assert "jelszó" in mail.subject
    token = token_in(mail, "reset-password")

    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    bad = await post(client, "/auth/password-reset/confirm", {"token": forged, "password": NEW_PASSWORD})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_token"
    garbage = await post(
        client, "/auth/password-reset/confirm", {"token": "nonsense", "password": NEW_PASSWORD}
    )
    assert garbage.json()["error"]["code"] == "invalid_token"

    frozen_clock.advance(hours=2, seconds=1)  # settings.password_reset_max_age is two hours
    late = await post(client, "/auth/password-reset/confirm", {"token": token, "password": NEW_PASSWORD})
    assert late.status_code == 400
    assert late.json()["error"]["code"] == "token_expired"
    assert (await login(client, person.email, person.password)).status_code == 201


async def test_a_reset_token_is_not_an_invitation(client: Client, personas: Personas) -> None:
    await post(client, "/auth/password-reset", {"email": personas.admin.email})
    [mail] = await mails_to(client, personas.admin.email, "password_reset")
    token = token_in(mail, "reset-password")
    response = await post(client, "/auth/accept-invitation", {"token": token, "password": NEW_PASSWORD})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_token"


async def test_invitation_flow(client: Client, personas: Personas, frozen_clock: FrozenClock) -> None:
    created = await client.post(
        "/api/v1/agents",
        json={"email": "nina@linka.test", "name": "Nina New", "language": "en"},
        headers=bearer(personas.admin),
    )
    assert created.status_code == 201, created.text
    agent_id = created.json()["id"]
    # Only with manage_agents.
    refused = await client.post(f"/api/v1/agents/{agent_id}/invite", headers=bearer(personas.support_agent))
    assert refused.status_code == 403
    invited = await client.post(f"/api/v1/agents/{agent_id}/invite", headers=bearer(personas.admin))
    assert invited.status_code == 202, invited.text
    assert invited.json()["email"] == "nina@linka.test"
    mails = await mails_to(client, "nina@linka.test", "invitation")
    token = token_in(mails[-1], "accept-invitation")
    assert "Adam Admin" in mails[-1].body_text

    # Not yet able to sign in.
    assert (await login(client, "nina@linka.test", NEW_PASSWORD)).status_code == 401
    accepted = await post(
        client, "/auth/accept-invitation", {"token": token, "password": NEW_PASSWORD, "name": "Nina Nováková"}
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["name"] == "Nina Nováková"
    assert accepted.json()["is_active"] is True
    assert (await login(client, "nina@linka.test", NEW_PASSWORD)).status_code == 201
    again = await post(client, "/auth/accept-invitation", {"token": token, "password": "other passphrase 7"})
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "token_used"
    # An agent with a password is not invited again (they can reset it).
    twice = await client.post(f"/api/v1/agents/{agent_id}/invite", headers=bearer(personas.admin))
    assert twice.status_code == 409


async def test_invitation_expires(client: Client, personas: Personas, frozen_clock: FrozenClock) -> None:
    created = await client.post(
        "/api/v1/agents",
        json={"email": "late@linka.test", "name": "Late Larry"},
        headers=bearer(personas.owner),
    )
    agent_id = created.json()["id"]
    assert (
        await client.post(f"/api/v1/agents/{agent_id}/invite", headers=bearer(personas.owner))
    ).status_code == 202
    [mail] = await mails_to(client, "late@linka.test", "invitation")
    frozen_clock.advance(days=7, seconds=1)
    late = await post(
        client,
        "/auth/accept-invitation",
        {"token": token_in(mail, "accept-invitation"), "password": NEW_PASSWORD},
    )
    assert late.status_code == 400
    assert late.json()["error"]["code"] == "token_expired"


async def test_change_own_password_keeps_this_session_only(client: Client, personas: Personas) -> None:
    person = personas.support_supervisor
    assert (await login(client, person.email, person.password)).status_code == 201
    other_device = take_session(client)
    assert (await login(client, person.email, person.password)).status_code == 201
    wrong = await post(
        client, "/me/password", {"current_password": "wrong one!!", "new_password": NEW_PASSWORD}
    )
    assert wrong.status_code == 422
    assert "current_password" in wrong.json()["error"]["fields"]
    weak = await post(
        client, "/me/password", {"current_password": person.password, "new_password": "aaaaaaaaaaaa"}
    )
    assert weak.status_code == 422
    assert "new_password" in weak.json()["error"]["fields"]
    changed = await post(
        client, "/me/password", {"current_password": person.password, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 204, changed.text
    assert (await client.get("/api/v1/me")).status_code == 200
    this_device = take_session(client)
    put_session(client, other_device)
    assert (await client.get("/api/v1/me")).status_code == 401
    put_session(client, this_device)
    assert (await client.get("/api/v1/me")).status_code == 200
    await post(client, "/auth/logout")
    assert (await login(client, person.email, person.password)).status_code == 401
    assert (await login(client, person.email, NEW_PASSWORD)).status_code == 201


async def test_api_key_cannot_change_the_password(client: Client, personas: Personas) -> None:
    response = await client.post(
        "/api/v1/me/password",
        json={"current_password": personas.admin.password, "new_password": NEW_PASSWORD},
        headers=bearer(personas.admin),
    )
    assert response.status_code == 403
