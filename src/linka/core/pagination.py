"""Keyset pagination: opaque cursors over an indexed sort key, bounded page sizes."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from linka.core.errors import Invalid

MAX_LIMIT = 100
DEFAULT_LIMIT = 50
T = TypeVar("T")


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, arity: int = 1) -> list[Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("cursor", "not a cursor this API handed out") from exc
    if not isinstance(values, list) or len(values) != arity:
        raise Invalid("cursor", "not a cursor this API handed out")
    return values


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid("limit", f"must be between 1 and {MAX_LIMIT}")
    return limit


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
