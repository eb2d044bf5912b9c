"""The corpus of hand-written .eml files in tests/fixtures/mail and their expected parse outcomes
(expected.json), shared by the parsing tests and usable by intake tests."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mail"
EXPECTED: dict[str, dict[str, Any]] = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
HUGE_SIZE = 30 * 1024 * 1024


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def names() -> list[str]:
    return sorted(path.name for path in FIXTURES.glob("*.eml"))


def parseable() -> list[str]:
    return [name for name in sorted(EXPECTED) if "error" not in EXPECTED[name]]


def huge_variant(size: int = HUGE_SIZE) -> tuple[bytes, bytes]:
    """huge-attachment.eml with its small logs.zip replaced by `size` bytes, built in memory (a 30 MB
    file does not belong in the repository). Returns (raw message, attachment data)."""
    data = (bytes(range(256)) * (size // 256 + 1))[:size]
    encoded = base64.encodebytes(data)  # 76-character lines, as mailers write them
    head, _, rest = raw("huge-attachment.eml").partition(b"Content-Transfer-Encoding: base64\n\n")
    tail = rest[rest.index(b"\n--huge-boundary--") :]
    return head + b"Content-Transfer-Encoding: base64\n\n" + encoded + tail, data
