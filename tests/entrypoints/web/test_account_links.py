"""Signing in without a password yet: the forgotten-password form (the same answer for every email), the
page the reset mail links to, and accepting an invitation; the mails' links open these pages."""

from __future__ import annotations

import html

from sqlalchemy import select

from linka.core.clock import FrozenClock
from linka.core.db import Database
from linka.core.permissions import Actor, Origin, system_actor
from linka.domains.accounts import actions as accounts_actions
from linka.domains.accounts import credentials, passwords
from linka.domains.accounts.models import Agent
from linka.domains.accounts.queries import build_actor
from linka.entrypoints.runtime import Runtime
from tests.conftest import AppClient
from tests.entrypoints.api.auth_helpers import mails_to, token_in
from tests.entrypoints.web.web_helpers import post_form
from tests.entrypoints.web.web_helpers import text_of as tags_stripped
from tests.personas import Personas

SYSTEM = system_actor(Origin.CLI)
NEW_PASSWORD = "a brand new passphrase 42"


def text_of(page: str) -> str:
    return html.unescape(tags_stripped(page))


async def _agent_by_email(db: Database, email: str) -> Agent:
    async with db.read_session() as session:
        return (await session.execute(select(Agent).where(Agent.email == email))).scalar_one()


async def test_the_forgotten_password_form_answers_the_same_for_every_email(
    client: AppClient, personas: Personas
) -> None:
    login = await client.get("/login")
    assert 'href="/password/forgot"' in login.text
    form = await client.get("/password/forgot")
    assert form.status_code == 200
    known = await post_form(client, "/password/forgot", {"email": personas.admin.email})
    unknown = await post_form(client, "/password/forgot", {"email": "nobody@linka.test"})
    assert known.status_code == unknown.status_code == 200
    assert text_of(known.text).replace(personas.admin.email, "@") == text_of(unknown.text).replace(
        "nobody@linka.test", "@"
    )
    assert "a link to choose a new password is on its way there" in text_of(known.text)
    assert len(await mails_to(client, personas.admin.email, "password_reset")) == 1
    assert await mails_to(client, "nobody@linka.test", "password_reset") == []
    empty = await post_form(client, "/password/forgot", {"email": " "})
    assert empty.status_code == 422


async def test_the_reset_link_of_the_mail_opens_a_page_that_sets_the_password_and_signs_in(
    client: AppClient, personas: Personas, db: Database
) -> None:
    person = personas.support_agent  # Czech
    await post_form(client, "/password/forgot", {"email": person.email})
    [mail] = await mails_to(client, person.email, "password_reset")
    token = token_in(mail, "reset-password")
    link = f"/reset-password?token={token}"
    page = await client.get(link)
    assert page.status_code == 200
    assert '<html lang="cs">' in page.text  # the agent's language, as the mail was
    assert f'value="{token}"' in page.text
    # The language switch comes back to this page with its token.
    assert f'name="next" value="/reset-password?token={token}"' in page.text
    assert (await client.get(f"/password/reset?token={token}")).status_code == 200

    differ = await post_form(
        client,
        "/reset-password",
        {"token": token, "password": NEW_PASSWORD, "password_again": "something else"},
    )
    assert differ.status_code == 422
    weak = await post_form(
        client, "/reset-password", {"token": token, "password": "short", "password_again": "short"}
    )
    assert weak.status_code == 422
    assert "must be at least 10 characters" in text_of(weak.text)
    assert passwords.verify_password(
        person.password, (await _agent_by_email(db, person.email)).password_hash
    )[0]

    done = await post_form(
        client, "/reset-password", {"token": token, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/tickets"
    agent = await _agent_by_email(db, person.email)
    assert passwords.verify_password(NEW_PASSWORD, agent.password_hash)[0]
    assert agent.last_login_at is not None
    assert (await client.get("/contacts")).status_code == 200  # signed in

    client.cookies.clear()
    again = await client.get(link)
    assert again.status_code == 400
    assert "This link was already used." in text_of(again.text)
    reused = await post_form(
        client,
        "/reset-password",
        {"token": token, "password": "yet another passphrase", "password_again": "yet another passphrase"},
    )
    assert reused.status_code == 400


async def test_expired_and_broken_reset_links(
    client: AppClient, personas: Personas, frozen_clock: FrozenClock
) -> None:
    await post_form(client, "/password/forgot", {"email": personas.admin.email})
    [mail] = await mails_to(client, personas.admin.email, "password_reset")
    token = token_in(mail, "reset-password")
    broken = await client.get("/reset-password?token=nonsense")
    assert broken.status_code == 400
    assert "This link is not valid." in text_of(broken.text)
    assert 'href="/password/forgot"' in broken.text
    assert (await client.get("/reset-password")).status_code == 400
    frozen_clock.advance(hours=2, seconds=1)
    expired = await client.get(f"/reset-password?token={token}")
    assert expired.status_code == 400
    assert "This link has expired. Ask for a new one." in text_of(expired.text)


async def test_a_reset_with_two_factor_on_still_asks_for_the_code(
    client: AppClient, personas: Personas, runtime: Runtime, db: Database
) -> None:
    person = personas.owner
    async with runtime.db.sessions() as session:
        agent = await session.get(Agent, person.id)
        assert agent is not None
        agent.totp_secret, agent.totp_enabled = "JBSWY3DPEHPK3PXP", True
        await session.commit()
    async with runtime.uow(SYSTEM) as uow:
        await credentials.request_password_reset(uow, email=person.email, links=runtime.links)
    [mail] = await mails_to(client, person.email, "password_reset")
    done = await post_form(
        client,
        "/reset-password",
        {"token": token_in(mail, "reset-password"), "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/login/two-factor"
    assert (await client.get("/contacts")).status_code == 303  # not signed in without the code


async def test_accepting_an_invitation_sets_name_and_password_and_signs_in(
    client: AppClient, personas: Personas, runtime: Runtime, db: Database
) -> None:
    admin = await _actor(runtime, personas.admin.id)
    async with runtime.uow(admin) as uow:
        nina = await accounts_actions.create_agent(
            uow, email="nina@linka.test", name="Nina New", language="hu"
        )
        await credentials.invite_agent(uow, agent_id=nina.id, links=runtime.links)
    [mail] = await mails_to(client, "nina@linka.test", "invitation")
    token = token_in(mail, "accept-invitation")
    page = await client.get(f"/accept-invitation?token={token}")
    assert page.status_code == 200
    assert '<html lang="hu">' in page.text
    assert 'value="Nina New"' in page.text
    assert (await client.get(f"/invitation?token={token}")).status_code == 200
    nameless = await post_form(
        client,
        "/accept-invitation",
        {"token": token, "name": " ", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert nameless.status_code == 422
    assert (await _agent_by_email(db, "nina@linka.test")).password_hash is None

    accepted = await post_form(
        client,
        "/invitation",
        {"token": token, "name": "Nina Nováková", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
    )
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/tickets"
    agent = await _agent_by_email(db, "nina@linka.test")
    assert agent.name == "Nina Nováková"
    assert passwords.verify_password(NEW_PASSWORD, agent.password_hash)[0]
    profile = await client.get("/profile")
    assert profile.status_code == 200
    assert "Nina Nováková" in text_of(profile.text)
    client.cookies.clear()
    used = await client.get(f"/accept-invitation?token={token}")
    assert used.status_code == 400
    assert "Ask whoever invited you to send a new invitation." in text_of(used.text)


async def test_an_invitation_in_a_workspace_that_requires_two_factor_leads_to_its_setup(
    client: AppClient, personas: Personas, runtime: Runtime
) -> None:
    owner = await _actor(runtime, personas.owner.id)
    async with runtime.uow(owner) as uow:
        await credentials.set_security_settings(uow, require_two_factor=True)
        new = await accounts_actions.create_agent(uow, email="tom@linka.test", name="Tom")
        await credentials.invite_agent(uow, agent_id=new.id, links=runtime.links)
    [mail] = await mails_to(client, "tom@linka.test", "invitation")
    accepted = await post_form(
        client,
        "/accept-invitation",
        {
            "token": token_in(mail, "accept-invitation"),
            "name": "Tom",
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
        },
    )
    assert accepted.headers["location"] == "/profile/two-factor"
    assert (await client.get("/profile/two-factor")).status_code == 200
    assert (await client.get("/tickets")).headers["location"] == "/profile/two-factor"


async def _actor(runtime: Runtime, agent_id: int) -> Actor:
    async with runtime.db.read_session() as session:
        agent = await session.get(Agent, agent_id)
        assert agent is not None
        return await build_actor(session, agent, origin=Origin.WEB)
