"""The pieces under the sign-in endpoints: signed links, TOTP steps and the rate limiter."""

from __future__ import annotations

import os
import uuid

import pyotp
import pytest

from linka.core.clock import FrozenClock
from linka.core.errors import RateLimited
from linka.domains.accounts import totp
from linka.domains.accounts.ratelimit import AuthLimiter, storage_uri
from linka.domains.accounts.tokens import LinkSigner, Purpose, TokenError, TokenExpired

SIGNER = LinkSigner(
    secret="s" * 40,
    base_url="https://help.example.com/",
    password_reset_max_age=3600,
    invitation_max_age=86400,
)


def test_tokens_round_trip_expire_and_stay_in_their_purpose(frozen_clock: FrozenClock) -> None:
    token = SIGNER.sign(Purpose.PASSWORD_RESET, agent_public_id="ag_x", epoch=3)
    assert SIGNER.read(Purpose.PASSWORD_RESET, token) == ("ag_x", 3)
    assert SIGNER.link("reset-password", token) == f"https://help.example.com/reset-password?token={token}"
    with pytest.raises(TokenError):
        SIGNER.read(Purpose.INVITATION, token)
    other_secret = LinkSigner(
        secret="t" * 40, base_url="", password_reset_max_age=3600, invitation_max_age=86400
    )
    with pytest.raises(TokenError):
        other_secret.read(Purpose.PASSWORD_RESET, token)
    frozen_clock.advance(seconds=3601)
    with pytest.raises(TokenExpired) as raised:
        SIGNER.read(Purpose.PASSWORD_RESET, token)
    assert raised.value.code == "token_expired"
    # Invitations live longer.
    invitation = SIGNER.sign(Purpose.INVITATION, agent_public_id="ag_y", epoch=0)
    frozen_clock.advance(hours=23)
    assert SIGNER.read(Purpose.INVITATION, invitation) == ("ag_y", 0)


def test_totp_steps_drift_and_replay(frozen_clock: FrozenClock) -> None:
    secret = totp.new_secret()
    now = frozen_clock.now()
    step = totp.time_step(now)
    code = pyotp.TOTP(secret).at(now)
    assert totp.matching_step(secret, code, at=now, last_step=None) == step
    assert totp.matching_step(secret, f" {code[:3]} {code[3:]} ", at=now, last_step=None) == step
    assert totp.matching_step(secret, code, at=now, last_step=step) is None  # replay
    previous = pyotp.TOTP(secret).at(now.timestamp() - 30)
    assert totp.matching_step(secret, previous, at=now, last_step=None) == step - 1  # one step of drift
    too_old = pyotp.TOTP(secret).at(now.timestamp() - 90)
    assert totp.matching_step(secret, too_old, at=now, last_step=None) is None
    assert totp.matching_step(secret, "abcdef", at=now, last_step=None) is None
    assert totp.provisioning_uri(secret, account="a@b.cz").startswith("otpauth://totp/Linka:a%40b.cz?secret=")


def test_storage_uri() -> None:
    assert storage_uri("") == "async+memory://"
    assert storage_uri("redis://localhost:6379/0") == "async+redis://localhost:6379/0"


async def _exercise(limiter: AuthLimiter) -> None:
    account = f"acct-{uuid.uuid4()}"
    ip = f"ip-{uuid.uuid4()}"
    for _ in range(2):
        await limiter.attempt(ip=ip, account=account)
        await limiter.failed(account=account)
    with pytest.raises(RateLimited) as raised:
        await limiter.attempt(ip=ip, account=account)
    assert 1 <= raised.value.retry_after <= 60
    # Another kind of attempt has its own counters.
    await limiter.attempt(ip=ip, account=account, kind="password_reset")
    # Per address: every attempt counts, whatever the account.
    for _ in range(3):
        await limiter.attempt(ip=ip, account=None, kind="x")
    with pytest.raises(RateLimited):
        await limiter.attempt(ip=ip, account=None, kind="x")


async def test_limiter_in_memory() -> None:
    limiter = AuthLimiter(per_account="2/minute", per_ip="3/minute")
    try:
        await _exercise(limiter)
    finally:
        await limiter.close()


@pytest.mark.redis
async def test_limiter_on_redis() -> None:
    url = os.environ.get("LINKA_TEST_REDIS_URL")
    if not url:
        pytest.skip("set LINKA_TEST_REDIS_URL=redis://127.0.0.1:6379/15 to test rate limits on Redis")
    limiter = AuthLimiter(per_account="2/minute", per_ip="3/minute", storage=storage_uri(url))
    try:
        await _exercise(limiter)
    finally:
        await limiter.close()
