"""Guessing is limited: failed logins per account, all attempts per client address, and the same
limiter on reset requests and two-factor codes. Over a limit: 429, Retry-After, and no password check."""

from __future__ import annotations

from pathlib import Path

import pyotp
import pytest

from linka.config import Settings
from linka.core.clock import FrozenClock
from linka.core.db import Database
from linka.domains.accounts import passwords
from tests.conftest import AppClient
from tests.entrypoints.api.auth_helpers import login, mails_to, post
from tests.personas import Personas

Client = AppClient


@pytest.fixture
def settings(tmp_path: Path, db: Database) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=db.url,
        secret_key="test-secret-" + "x" * 40,  # type: ignore[arg-type]
        login_attempts_per_account="3/minute",
        login_attempts_per_ip="8/minute",
    )


def assert_limited(response: object) -> None:
    status = getattr(response, "status_code", None)
    assert status == 429, getattr(response, "text", "")
    body = response.json()  # type: ignore[attr-defined]
    assert body["error"]["code"] == "rate_limited"
    retry_after = int(response.headers["retry-after"])  # type: ignore[attr-defined]
    assert 1 <= retry_after <= 60


async def test_failed_logins_per_account(
    client: Client, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = personas.support_agent
    for _ in range(3):
        assert (await login(client, person.email, "wrong password!")).status_code == 401
    # Even the right password is not checked any more: the password is never verified.
    checked: list[str] = []
    real_verify = passwords.verify_password

    def spy(password: str, password_hash: str | None) -> tuple[bool, str | None]:
        checked.append(password)
        return real_verify(password, password_hash)

    monkeypatch.setattr(passwords, "verify_password", spy)
    assert_limited(await login(client, person.email.upper(), person.password))
    assert checked == []
    # Other accounts are not affected.
    assert (await login(client, personas.sales_agent.email, personas.sales_agent.password)).status_code == 201


async def test_successful_logins_do_not_count_against_the_account(client: Client, personas: Personas) -> None:
    person = personas.admin
    for _ in range(4):
        assert (await login(client, person.email, person.password)).status_code == 201


async def test_all_attempts_per_client_address(client: Client, personas: Personas) -> None:
    people = personas.all()
    for attempt in range(8):
        someone = people[attempt % len(people)]
        response = await login(client, someone.email, someone.password)
        assert response.status_code == 201, response.text
    assert_limited(await login(client, personas.owner.email, personas.owner.password))
    # Reset requests from the same address have their own counter.
    assert (await post(client, "/auth/password-reset", {"email": personas.owner.email})).status_code == 202


async def test_password_reset_requests_are_limited(client: Client, personas: Personas) -> None:
    email = personas.sales_reader.email
    for _ in range(3):
        assert (await post(client, "/auth/password-reset", {"email": email})).status_code == 202
    assert_limited(await post(client, "/auth/password-reset", {"email": email}))
    assert len(await mails_to(client, email, "password_reset")) == 3
    # Unknown addresses are limited the same way: a 429 says nothing about who exists.
    for _ in range(3):
        await post(client, "/auth/password-reset", {"email": "ghost@linka.test"})
    assert_limited(await post(client, "/auth/password-reset", {"email": "ghost@linka.test"}))


async def test_two_factor_codes_are_limited(
    client: Client, personas: Personas, frozen_clock: FrozenClock
) -> None:
    person = personas.support_supervisor
    await login(client, person.email, person.password)
    secret = (await post(client, "/me/two-factor")).json()["secret"]
    for _ in range(3):
        assert (await post(client, "/me/two-factor/confirm", {"code": "000000"})).status_code == 422
    good = pyotp.TOTP(secret).at(frozen_clock.now())
    assert_limited(await post(client, "/me/two-factor/confirm", {"code": good}))


async def test_second_login_step_is_limited(
    client: Client, personas: Personas, frozen_clock: FrozenClock
) -> None:
    person = personas.sales_agent
    await login(client, person.email, person.password)
    secret = (await post(client, "/me/two-factor")).json()["secret"]
    ok = await post(client, "/me/two-factor/confirm", {"code": pyotp.TOTP(secret).at(frozen_clock.now())})
    assert ok.status_code == 200
    await post(client, "/auth/logout")
    frozen_clock.advance(seconds=30)
    assert (await login(client, person.email, person.password)).json()["two_factor_required"] is True
    for _ in range(3):
        assert (await post(client, "/auth/two-factor", {"code": "000000"})).status_code == 401
    assert_limited(
        await post(client, "/auth/two-factor", {"code": pyotp.TOTP(secret).at(frozen_clock.now())})
    )


async def test_wrong_current_passwords_are_limited(client: Client, personas: Personas) -> None:
    person = personas.admin
    await login(client, person.email, person.password)
    for _ in range(3):
        wrong = await post(
            client,
            "/me/password",
            {"current_password": "guess guess!", "new_password": "x" * 3 + "yz12345678"},
        )
        assert wrong.status_code == 422
    assert_limited(
        await post(
            client,
            "/me/password",
            {"current_password": person.password, "new_password": "a fine new passphrase"},
        )
    )
