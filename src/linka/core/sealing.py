"""Secrets Linka must use later but never show again (mailbox passwords), sealed at rest with a key
derived from the workspace secret key. Changing the secret key makes sealed values unreadable: they
must be entered again (docs/operations.md)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

_PREFIX = "f1:"


class Sealer:
    def __init__(self, secret_key: str) -> None:
        # A separate key per purpose: a sealed password never helps forge a session or a link.
        digest = hashlib.sha256(b"linka-sealing-v1\x00" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, value: str) -> str:
        """The sealed form of `value`; "" stays "" (nothing set)."""
        if not value:
            return ""
        return _PREFIX + self._fernet.encrypt(value.encode()).decode()

    def open(self, sealed: str) -> str:
        """The value sealed earlier; ValueError when it was sealed under another secret key."""
        if not sealed:
            return ""
        if not sealed.startswith(_PREFIX):
            raise ValueError("not a sealed value")
        try:
            return self._fernet.decrypt(sealed.removeprefix(_PREFIX).encode()).decode()
        except InvalidToken as exc:
            raise ValueError("sealed under another secret key: enter the password again") from exc
