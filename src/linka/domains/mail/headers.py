"""Header values of a parsed mail read from their raw form: addresses, Message-IDs and text, tolerant
of 8-bit bytes, stray encodings and garbage. The stdlib's header objects are avoided on purpose: a
malformed header must cost a defect, not the whole message."""

from __future__ import annotations

import re
from email.message import Message
from email.utils import getaddresses

from linka.domains.mail.charsets import clean_text, header_text, raw_header_text

_MAX_ADDRESS_HEADER = 65536
_MAX_ADDRESSES = 1000
_MAX_MESSAGE_ID = 900
_BRACKETED_ID = re.compile(r"<([^<>]{1,900})>")
# An addr-spec-like run around an "@"; the look-behind makes each run start only once (linear time).
_ADDRESS_DELIMITERS = r"\s<>(),;:\"\[\]@'"
_BARE_ADDRESS = re.compile(
    rf"(?<![^{_ADDRESS_DELIMITERS}])[^{_ADDRESS_DELIMITERS}]++@[^{_ADDRESS_DELIMITERS}]++"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FORBIDDEN_IN_ADDRESS = frozenset('<>()[],;:"\\')


def raw_values(message: Message, name: str) -> list[str]:
    """Every value of a header, 8-bit bytes decoded and folding undone (encoded-words left as they are)."""
    wanted = name.lower()
    return [raw_header_text(value) for key, value in message.raw_items() if key.lower() == wanted]


def first_text(message: Message, name: str) -> str | None:
    """The first value of an unstructured header, decoded for display; None when absent."""
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return header_text(value)
    return None


def normalise_message_id(value: str | None) -> str | None:
    """`<local@domain>` without whitespace, or None when missing or garbage."""
    if not value:
        return None
    value = value.strip()
    opening = value.find("<")
    closing = value.find(">", opening + 1) if opening >= 0 else -1
    bracketed = opening >= 0 and closing > opening
    inner = value[opening + 1 : closing] if bracketed else value
    inner = "".join(inner.split())
    if not inner or len(inner) > _MAX_MESSAGE_ID or "<" in inner or ">" in inner or _CONTROL.search(inner):
        return None
    if not bracketed and "@" not in inner:
        return None
    return clean_text(f"<{inner}>")


def message_ids(values: list[str]) -> tuple[str, ...]:
    """All Message-IDs in header values (References, In-Reply-To), in order, without repeats."""
    found: list[str] = []
    for value in values:
        matches = [match.group(0) for match in _BRACKETED_ID.finditer(value)]
        if not matches:
            matches = [token for token in re.split(r"[\s,]+", value) if "@" in token]
        found.extend(normalised for token in matches if (normalised := normalise_message_id(token)))
    return tuple(dict.fromkeys(found))


def is_address(value: str) -> bool:
    """Does this look like an addr-spec (local@domain) we can store and answer?"""
    local, at, domain = value.rpartition("@")
    if not (at and local and domain) or "@" in local or len(value) > 320:
        return False
    if domain.startswith(".") or domain.endswith(".") or ".." in domain:
        return False
    return not any(char.isspace() or char in _FORBIDDEN_IN_ADDRESS for char in value) and not _CONTROL.search(
        value
    )


def bare_addresses(text: str) -> list[str]:
    """Lower-case addresses found anywhere in free text."""
    found = (match.group(0).strip(".").lower() for match in _BARE_ADDRESS.finditer(text))
    return list(dict.fromkeys(address for address in found if is_address(address)))[:_MAX_ADDRESSES]


def addresses(values: list[str]) -> list[tuple[str, str]]:
    """(display name, lower-case address) pairs of address headers, in order, without repeats."""
    result: dict[str, str] = {}
    for raw in values:
        value = raw[:_MAX_ADDRESS_HEADER]
        pairs: list[tuple[str, str]] = []
        try:
            pairs = getaddresses([value])
        except Exception:  # the stdlib's address parser has had crashes on hostile input
            pairs = []
        found = False
        for name, address in pairs:
            address = clean_text(address.strip().strip("<>").lower())
            if is_address(address):
                found = True
                result.setdefault(address, header_text(name))
        if not found and "@" in value:
            for address in bare_addresses(value):
                result.setdefault(address, "")
        if len(result) >= _MAX_ADDRESSES:
            break
    return list(result.items())[:_MAX_ADDRESSES]
