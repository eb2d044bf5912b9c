"""TOTP (RFC 6238) with pyotp: 6 digits, 30-second steps, one step of drift either way, and no replay:
the step of the last accepted code is kept on the agent and a code of that step or older is refused."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

ISSUER = "Linka"
INTERVAL = 30
DIGITS = 6
DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, *, account: str, issuer: str = ISSUER) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=account, issuer_name=issuer
    )


def time_step(moment: datetime) -> int:
    return int(moment.timestamp()) // INTERVAL


def matching_step(secret: str, code: str, *, at: datetime, last_step: int | None) -> int | None:
    """The time-step a code belongs to when it is good and newer than `last_step`; else None."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    current = time_step(at)
    found: int | None = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # Compare every candidate (no early exit) so timing does not tell which step matched.
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    if found is None or (last_step is not None and found <= last_step):
        return None
    return found
