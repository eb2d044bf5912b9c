"""Signed, expiring links (password reset, invitation) made with itsdangerous.

A token carries the agent's public id and `auth_epoch`. It expires after `max_age` seconds (measured
with `core.clock`, so tests can move time), and it is single-use: using it bumps the agent's epoch,
after which the embedded epoch no longer matches. Each purpose has its own salt, so a reset token is
never accepted as an invitation.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from linka.core import clock
from linka.core.errors import LinkaError


class Purpose(StrEnum):
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose name, not a secret
    INVITATION = "invitation"


class TokenError(LinkaError):
    """A link that cannot be used. 400: the request is well-formed, the token is not good."""

    code = "invalid_token"
    status = 400


class TokenExpired(TokenError):
    code = "token_expired"


class TokenUsed(TokenError):
    code = "token_used"


class _ClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


@dataclass(frozen=True)
class LinkSigner:
    """Signs and reads links for one installation (secret and public base URL from Settings)."""

    secret: str
    base_url: str
    password_reset_max_age: int
    invitation_max_age: int

    def _serializer(self, purpose: Purpose) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt=f"linka.{purpose.value}", signer=_ClockSigner)

    def max_age(self, purpose: Purpose) -> int:
        if purpose is Purpose.PASSWORD_RESET:
            return self.password_reset_max_age
        return self.invitation_max_age

    def sign(self, purpose: Purpose, *, agent_public_id: str, epoch: int) -> str:
        return str(self._serializer(purpose).dumps({"a": agent_public_id, "e": epoch}))

    def read(self, purpose: Purpose, token: str) -> tuple[str, int]:
        """(agent public id, epoch) of a good token; TokenExpired or TokenError otherwise."""
        try:
            payload: Any = self._serializer(purpose).loads(token, max_age=self.max_age(purpose))
        except SignatureExpired as exc:
            raise TokenExpired("this link has expired; ask for a new one") from exc
        except BadSignature as exc:
            raise TokenError("this link is not valid") from exc
        if (
            not isinstance(payload, dict)
            or not isinstance(payload.get("a"), str)
            or not isinstance(payload.get("e"), int)
        ):
            raise TokenError("this link is not valid")
        return payload["a"], payload["e"]

    def link(self, path: str, token: str) -> str:
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}?{urlencode({'token': token})}"
