"""Public identifiers: what the outside world sees instead of database keys."""

from __future__ import annotations

import secrets

# Crockford-style alphabet without I, L, O, U: nothing to misread when a customer dictates a code.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def random_token(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def public_id(prefix: str) -> str:
    """An opaque, unguessable id such as `ag_7K2M9XQ4TR3B`."""
    return f"{prefix}_{random_token(12).lower()}"


def ticket_code() -> str:
    """A ticket code such as `XKQ-7A2-M9P`: short enough to read over the phone."""
    raw = random_token(9)
    return f"{raw[0:3]}-{raw[3:6]}-{raw[6:9]}"


def normalise_ticket_code(text: str) -> str:
    """Accept codes typed loosely: lower case, no dashes, O for 0, I/L for 1."""
    cleaned = text.strip().upper().replace("-", "").replace(" ", "")
    cleaned = cleaned.translate(str.maketrans("OIL", "011"))
    if len(cleaned) != 9:
        return text.strip().upper()
    return f"{cleaned[0:3]}-{cleaned[3:6]}-{cleaned[6:9]}"
