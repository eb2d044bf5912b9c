"""The agent's own profile page: language (the next page speaks it), time zone, name, signature,
password, two-factor (also for a session that may only set it up), API keys, notifications and the
services taken in each of the agent's departments."""

from __future__ import annotations

import html
import re

import pyotp
from sqlalchemy import select

from linka.core.clock import FrozenClock
from linka.core.db import Database
from linka.core.permissions import Origin, system_actor
from linka.domains.accounts import credentials, passwords
from linka.domains.accounts.models import Agent, ApiKey, DepartmentMember
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient
from tests.entrypoints.api.auth_helpers import put_session, take_session
from tests.entrypoints.web.web_helpers import post_form, sign_in
from tests.entrypoints.web.web_helpers import text_of as tags_stripped
from tests.personas import Person, Personas

SYSTEM = system_actor(Origin.CLI)


def text_of(page: str) -> str:
    return html.unescape(tags_stripped(page))


async def _agent(db: Database, person: Person) -> Agent:
    async with db.read_session() as session:
        agent = await session.get(Agent, person.id)
        assert agent is not None
        return agent


async def _membership(db: Database, person: Person, department_id: int) -> DepartmentMember:
    async with db.read_session() as session:
        query = select(DepartmentMember).where(
            DepartmentMember.agent_id == person.id, DepartmentMember.department_id == department_id
        )
        return (await session.execute(query)).scalar_one()


async def test_choosing_a_language_switches_the_app_at_once(
    client: AppClient, personas: Personas, db: Database
) -> None:
    await sign_in(client, personas.admin)
    page = await client.get("/profile")
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert "Your profile" in text_of(page.text)
    switched = await post_form(client, "/profile/details", {"language": "cs"})
    assert switched.status_code == 303
    assert (await _agent(db, personas.admin)).language == "cs"
    after = await client.get(switched.headers["location"].split("#")[0])
    assert '<html lang="cs">' in after.text
    assert "Váš profil" in text_of(after.text)
    assert "Profil je uložen." in text_of(after.text)
    # Every other page follows too.
    assert '<html lang="cs">' in (await client.get("/contacts")).text
    await post_form(client, "/profile/details", {"language": "hu"})
    assert "Az Ön profilja" in text_of((await client.get("/profile")).text)
    refused = await post_form(client, "/profile/details", {"language": "de"})
    assert refused.status_code == 422
    assert (await _agent(db, personas.admin)).language == "hu"


async def test_time_zone_name_and_signature(client: AppClient, personas: Personas, db: Database) -> None:
    await sign_in(client, personas.admin)
    page = await client.get("/profile")
    zones = re.findall(
        r'<option value="([^"]+)"', page.text.split('id="f-timezone"')[1].split("</select>")[0]
    )
    assert zones[0] == "Europe/Prague"  # the common ones first
    assert "Pacific/Auckland" in zones
    assert len(zones) > 300
    assert (await post_form(client, "/profile/details", {"timezone": "America/New_York"})).status_code == 303
    assert (await post_form(client, "/profile/details", {"name": "Adam Správce"})).status_code == 303
    signature = "Adam Správce\nLinka support\n<b>not markup</b>"
    assert (await post_form(client, "/profile/details", {"signature": signature})).status_code == 303
    agent = await _agent(db, personas.admin)
    assert (agent.timezone, agent.name, agent.signature) == ("America/New_York", "Adam Správce", signature)
    page = await client.get("/profile")
    assert "&lt;b&gt;not markup&lt;/b&gt;" in page.text  # shown as the text it is

    wrong_zone = await post_form(client, "/profile/details", {"timezone": "Mars/Olympus"})
    assert wrong_zone.status_code == 422
    assert "not a known time zone" in text_of(wrong_zone.text)
    empty_name = await post_form(client, "/profile/details", {"name": "  "})
    assert empty_name.status_code == 422
    assert "must not be empty" in text_of(empty_name.text)
    assert (await _agent(db, personas.admin)).name == "Adam Správce"


async def test_changing_the_password(client: AppClient, personas: Personas, db: Database) -> None:
    person = personas.sales_agent  # Hungarian
    await sign_in(client, person)
    other_device = take_session(client)
    await sign_in(client, person)
    wrong = await post_form(
        client, "/profile/password", {"current_password": "not it", "new_password": "a new passphrase 2024"}
    )
    assert wrong.status_code == 422
    assert "A jelenlegi jelszó nem megfelelő." in text_of(wrong.text)
    weak = await post_form(
        client, "/profile/password", {"current_password": person.password, "new_password": "short"}
    )
    assert weak.status_code == 422
    assert "legalább 10 karakter hosszú kell legyen" in text_of(weak.text)
    done = await post_form(
        client,
        "/profile/password",
        {"current_password": person.password, "new_password": "a new passphrase 2024"},
    )
    assert done.status_code == 303
    agent = await _agent(db, person)
    assert passwords.verify_password("a new passphrase 2024", agent.password_hash)[0]
    assert (await client.get("/profile")).status_code == 200  # this session carries on
    put_session(client, other_device)
    assert (await client.get("/profile")).status_code == 303  # the other one is signed out


async def test_wrong_current_passwords_are_rate_limited(client: AppClient, personas: Personas) -> None:
    await sign_in(client, personas.owner)
    for _ in range(10):
        response = await post_form(
            client,
            "/profile/password",
            {"current_password": "guess", "new_password": "a new passphrase 2024"},
        )
        assert response.status_code == 422
    limited = await post_form(
        client,
        "/profile/password",
        {"current_password": personas.owner.password, "new_password": "a new passphrase 2024"},
    )
    assert limited.status_code == 429
    assert "Too many attempts. Try again in" in text_of(limited.text)


async def test_setting_up_and_turning_off_two_factor(
    client: AppClient, personas: Personas, db: Database, frozen_clock: FrozenClock
) -> None:
    person = personas.admin
    await sign_in(client, person)
    page = text_of((await client.get("/profile/two-factor")).text)
    assert "Signing in needs only your password." in page
    started = await post_form(client, "/profile/two-factor/start")
    assert started.status_code == 200
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', started.text)
    assert secret
    uri = re.search(r'id="otpauth-uri">([^<]+)<', started.text)
    assert uri
    assert html.unescape(uri.group(1)).startswith("otpauth://totp/")
    totp = pyotp.TOTP(secret.group(1).replace(" ", ""))
    wrong = await post_form(client, "/profile/two-factor/confirm", {"code": "000000"})
    assert wrong.status_code == 422
    assert not (await _agent(db, person)).totp_enabled
    confirmed = await post_form(client, "/profile/two-factor/confirm", {"code": totp.at(frozen_clock.now())})
    assert confirmed.status_code == 303
    assert (await _agent(db, person)).totp_enabled
    page = text_of((await client.get(confirmed.headers["location"])).text)
    assert "Two-factor sign-in is on." in page
    assert secret.group(1) not in page  # the key is not shown again

    refused = await post_form(client, "/profile/two-factor/disable", {"password": "wrong"})
    assert refused.status_code == 422
    assert (await _agent(db, person)).totp_enabled
    off = await post_form(client, "/profile/two-factor/disable", {"password": person.password})
    assert off.status_code == 303
    agent = await _agent(db, person)
    assert not agent.totp_enabled
    assert agent.totp_secret is None
    assert (await client.get("/profile")).status_code == 200  # still signed in


async def test_a_session_that_must_set_up_two_factor_can_only_do_that(
    client: AppClient, personas: Personas, runtime: Runtime, db: Database, frozen_clock: FrozenClock
) -> None:
    async with runtime.uow(SYSTEM) as uow:
        await credentials.set_security_settings(uow, require_two_factor=True)
    person = personas.support_agent
    response = await post_form(client, "/login", {"email": person.email, "password": person.password})
    assert response.headers["location"] == "/profile/two-factor"
    for path in ("/tickets", "/contacts", "/profile"):
        elsewhere = await client.get(path)
        assert elsewhere.status_code == 303, path
        assert elsewhere.headers["location"] == "/profile/two-factor"
    page = await client.get("/profile/two-factor")
    assert page.status_code == 200
    assert 'class="sidebar"' not in page.text  # nothing else to reach from here
    assert "Tento pracovní prostor vyžaduje dvoufázové přihlášení." in text_of(page.text)
    started = await post_form(client, "/profile/two-factor/start")
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', started.text)
    assert secret
    code = pyotp.TOTP(secret.group(1).replace(" ", "")).at(frozen_clock.now())
    confirmed = await post_form(client, "/profile/two-factor/confirm", {"code": code})
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == "/tickets"
    assert (await _agent(db, person)).totp_enabled
    assert (await client.get("/contacts")).status_code == 200  # a full session now
    # Turning it off is refused while the workspace requires it.
    refused = await post_form(client, "/profile/two-factor/disable", {"password": person.password})
    assert refused.status_code == 403
    assert (await _agent(db, person)).totp_enabled


async def test_api_keys_are_shown_once_and_can_be_revoked(
    client: AppClient, personas: Personas, db: Database
) -> None:
    await sign_in(client, personas.owner)
    created = await post_form(client, "/profile/api-keys", {"key_name": "Invoicing", "key_scope": "read"})
    assert created.status_code == 201
    token = re.search(r'id="new-key-token"[^>]*value="(lk_[^"]+)"', created.text)
    assert token
    assert "Copy it now: it is not shown again." in text_of(created.text)
    headers = {"Authorization": f"Bearer {token.group(1)}"}
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    async with db.read_session() as session:
        key = (await session.execute(select(ApiKey).where(ApiKey.name == "Invoicing"))).scalar_one()
    assert key.scopes == ["read"]
    assert key.agent_id == personas.owner.id
    page = await client.get("/profile")
    assert token.group(1) not in page.text
    assert "Invoicing" in text_of(page.text)
    nameless = await post_form(client, "/profile/api-keys", {"key_name": " ", "key_scope": "write"})
    assert nameless.status_code == 422
    revoked = await post_form(client, f"/profile/api-keys/{key.public_id}/revoke")
    assert revoked.status_code == 303
    async with db.read_session() as session:
        assert (await session.get(ApiKey, key.id)).revoked_at is not None  # type: ignore[union-attr]
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401
    # Someone else's key is not found from one's own profile.
    client.cookies.clear()
    await sign_in(client, personas.admin)
    assert (await post_form(client, f"/profile/api-keys/{key.public_id}/revoke")).status_code == 404


async def test_notification_settings(client: AppClient, personas: Personas, db: Database) -> None:
    """Needs the `agents.notification_settings` column in the initial migration."""
    await sign_in(client, personas.admin)
    page = await client.get("/profile")
    assert re.search(r'name="assigned_browser"[^>]*checked', page.text)  # the default
    assert not re.search(r'name="assigned_email"[^>]*checked', page.text)
    saved = await post_form(client, "/profile/notifications", {"assigned_email": "on"})
    assert saved.status_code == 303
    async with db.read_session() as session:
        stored = (
            await session.execute(select(Agent.notification_settings).where(Agent.id == personas.admin.id))
        ).scalar_one()
    assert stored == {"assigned_browser": False, "assigned_email": True}
    page = await client.get(saved.headers["location"].split("#")[0])
    assert "Your notification settings are saved." in text_of(page.text)
    assert re.search(r'name="assigned_email"[^>]*checked', page.text)
    assert not re.search(r'name="assigned_browser"[^>]*checked', page.text)


async def test_an_agent_switches_services_in_their_own_departments_only(
    client: AppClient, personas: Personas, db: Database
) -> None:
    person = personas.support_agent
    support, sales = personas.departments["support"], personas.departments["sales"]
    await sign_in(client, person)
    page = await client.get("/profile")
    assert f"/profile/departments/{personas.department_public_ids['support']}/availability" in page.text
    assert personas.department_public_ids["sales"] not in page.text
    saved = await post_form(
        client,
        f"/profile/departments/{personas.department_public_ids['support']}/availability",
        {"tickets": "on", "calls": "on", "paused": "on"},
    )
    assert saved.status_code == 303
    member = await _membership(db, person, support)
    assert (member.tickets, member.chats, member.calls, member.paused) == (True, False, True, True)
    assert member.role == "solver"  # the role is the managers' to change
    not_mine = await post_form(
        client,
        f"/profile/departments/{personas.department_public_ids['sales']}/availability",
        {"tickets": "on"},
    )
    assert not_mine.status_code == 404
    colleague = await _membership(db, personas.sales_agent, sales)
    assert (colleague.tickets, colleague.chats, colleague.calls, colleague.paused) == (
        True,
        True,
        True,
        False,
    )
    unknown = await post_form(client, "/profile/departments/dp_000000000000/availability", {"tickets": "on"})
    assert unknown.status_code == 404
