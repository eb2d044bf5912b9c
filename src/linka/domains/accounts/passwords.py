"""Password hashing (argon2 through pwdlib) and the password policy."""

from __future__ import annotations

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from linka.core.errors import Invalid

MIN_LENGTH = 10
MAX_LENGTH = 256
_hasher = PasswordHash((Argon2Hasher(),))
# Verified against when the email is unknown, so a miss costs as long as a hit (no user enumeration).
_DUMMY_HASH = _hasher.hash("not-a-real-password-just-for-timing")


def check_policy(password: str, *, field: str = "password") -> None:
    if len(password) < MIN_LENGTH:
        raise Invalid(field, "must be at least %(min_length)s characters", values={"min_length": MIN_LENGTH})
    if len(password) > MAX_LENGTH:
        raise Invalid(field, "must be at most %(max)s characters", values={"max": MAX_LENGTH})
    if password.strip() == "" or len(set(password)) < 4:
        raise Invalid(field, "is too easy to guess")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """(matches, new hash when the stored one uses outdated parameters)."""
    if not password_hash:
        _hasher.verify(password, _DUMMY_HASH)
        return False, None
    return _hasher.verify_and_update(password, password_hash)
