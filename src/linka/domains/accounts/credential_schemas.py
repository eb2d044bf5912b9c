"""What the API accepts and returns for credentials: two-factor, passwords, links and API keys.
A secret leaves the server at most once (a new TOTP secret, a new API key token) and is never listed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from linka.domains.accounts.models import ApiKey
from linka.domains.accounts.schemas import Email, Input, Password

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=12, description="6-digit TOTP code")]
Token = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, description="from the mailed link")]
KeyName = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]


class LoginChallengeOut(msgspec.Struct, kw_only=True):
    """The password was right, but the session is not signed in yet: a two-factor code is due
    (POST /auth/two-factor), or two-factor is mandatory and must be set up first (POST /me/two-factor)."""

    two_factor_required: bool
    two_factor_setup_required: bool


class TwoFactorCodeIn(Input):
    code: Code


class TwoFactorDisableIn(Input):
    password: Password


class TwoFactorEnrolmentOut(msgspec.Struct, kw_only=True):
    """Shown once: put it into an authenticator app, then confirm with a code."""

    secret: str
    otpauth_uri: str


class TwoFactorStatusOut(msgspec.Struct, kw_only=True):
    two_factor_enabled: bool


class SecuritySettingsIn(Input):
    require_two_factor: bool


class SecuritySettingsOut(msgspec.Struct, kw_only=True):
    require_two_factor: bool


class PasswordResetIn(Input):
    email: Email


class PasswordResetRequestedOut(msgspec.Struct, kw_only=True):
    """The same answer whether or not the email belongs to anyone."""

    message: str = "If this email belongs to an active account, a link to reset the password is on its way."


class PasswordResetConfirmIn(Input):
    token: Token
    password: Password


class AcceptInvitationIn(Input):
    token: Token
    password: Password
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=120)] | None = None


class ChangePasswordIn(Input):
    current_password: Password
    new_password: Password


class InvitationOut(msgspec.Struct, kw_only=True):
    agent_id: str
    email: str
    invited_at: datetime | None


class ApiKeyIn(Input):
    name: KeyName
    scopes: Annotated[list[Literal["read", "write"]], msgspec.Meta(min_length=1, max_length=2)]


class ApiKeyOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_model(cls, key: ApiKey) -> ApiKeyOut:
        return cls(
            id=key.public_id,
            name=key.name,
            prefix=key.prefix,
            scopes=list(key.scopes),
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            revoked_at=key.revoked_at,
        )


class ApiKeyCreatedOut(ApiKeyOut, kw_only=True):
    """Only in the answer to creating the key: the token itself. Keep it; it is never shown again."""

    token: str

    @classmethod
    def created(cls, key: ApiKey, token: str) -> ApiKeyCreatedOut:
        out = ApiKeyOut.from_model(key)
        return cls(token=token, **{f: getattr(out, f) for f in ApiKeyOut.__struct_fields__})
