"""What a custom field of each kind accepts, how a value is stored in `field_values` rows, and how it is
read back. Pure functions: the actions validate with them, the queries render and filter with them.

Stored form (one row per value; a multi-select keeps one row per chosen option):
| kind | accepts | `text` | `number` |
|---|---|---|---|
| text | a string (trimmed; empty clears) | the string | — |
| number | a JSON number | canonical text ("42", "2.5") | the number |
| date | "YYYY-MM-DD" | the ISO date | the day's ordinal, so ranges compare as numbers |
| select | one of the options | the option | — |
| multi_select | a list of options (empty clears) | one row per option | — |
| checkbox | true / false | "true" (false is no row: unticked) | — |
`None`, an empty string and an empty list clear any kind.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from linka.core.errors import Invalid


class Kind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    SELECT = "select"
    MULTI_SELECT = "multi_select"
    CHECKBOX = "checkbox"


class Entity(StrEnum):
    TICKET = "ticket"
    CONTACT = "contact"


WITH_OPTIONS = frozenset({Kind.SELECT, Kind.MULTI_SELECT})
# Kinds whose stored `text` is compared for equality as it is.
TEXTUAL = frozenset({Kind.TEXT, Kind.SELECT, Kind.MULTI_SELECT})
TEXT_MAX = 500
# Beyond 2**53 a JSON number is no longer exact in every client; 1e15 leaves room and reads well.
NUMBER_LIMIT = 1e15
TRUE_WORDS = frozenset({"true", "yes", "1"})
FALSE_WORDS = frozenset({"false", "no", "0"})
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Stored:
    """The content of one `field_values` row."""

    text: str
    number: float | None = None


def field_name(key: str) -> str:
    """How errors name a field: `fields.<key>` (an unknown key is cut short, it came from outside)."""
    return f"fields.{key[:60]}"


def clean_text(field: str, value: str, max_length: int) -> str:
    """Refuse what no database stores the same way: NUL characters and broken Unicode."""
    if len(value) > max_length:
        raise Invalid(field, "at most %(max)s characters", values={"max": max_length})
    if "\x00" in value:
        raise Invalid(field, "must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise Invalid(field, "not valid Unicode text") from exc
    return value


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _options_hint(options: list[str]) -> str:
    shown = ", ".join(options[:10])
    return shown + (", …" if len(options) > 10 else "")


def number_of(value: object) -> float | None:
    """A JSON number as a float, or None when it is not one (booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def number_from_text(value: str) -> float | None:
    """A number typed as text (a query parameter), or None."""
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def date_of(value: object) -> date | None:
    """A date from a `date` or a strict "YYYY-MM-DD" string, or None."""
    if type(value) is date:  # not a datetime: that is a moment, not a day
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def number_text(number: float) -> str:
    return str(int(number)) if number.is_integer() else repr(number)


def parse(kind: Kind, options: list[str], key: str, value: object) -> list[Stored]:
    """The rows that store `value` for a field (none: the value is cleared), or Invalid naming the
    field and what is wrong."""
    field = field_name(key)
    if value is None or (isinstance(value, list | tuple) and not value):
        return []
    if isinstance(value, str) and not value.strip():
        return []  # what an emptied form field sends, whatever the kind
    if kind is Kind.TEXT:
        if not isinstance(value, str):
            raise Invalid(field, "must be text, not %(value)s", values={"value": _describe(value)})
        text = clean_text(field, value.strip(), TEXT_MAX)
        return [Stored(text)] if text else []
    if kind is Kind.NUMBER:
        number = number_of(value)
        if number is None:
            raise Invalid(field, "must be a number, not %(value)s", values={"value": _describe(value)})
        if abs(number) > NUMBER_LIMIT:
            raise Invalid(field, "must be between -1e15 and 1e15")
        return [Stored(number_text(number), number)]
    if kind is Kind.DATE:
        day = date_of(value)
        if day is None:
            raise Invalid(
                field, "must be a date as YYYY-MM-DD, not %(value)s", values={"value": _describe(value)}
            )
        return [Stored(day.isoformat(), float(day.toordinal()))]
    if kind is Kind.SELECT:
        if not isinstance(value, str):
            raise Invalid(
                field, "must be one of the options (%(options)s)", values={"options": _options_hint(options)}
            )
        if value not in options:
            raise Invalid(
                field,
                "%(value)s is not an option; choose from %(options)s",
                values={"value": _describe(value), "options": _options_hint(options)},
            )
        return [Stored(value)]
    if kind is Kind.MULTI_SELECT:
        if not isinstance(value, list | tuple):
            raise Invalid(
                field, "must be a list of options (%(options)s)", values={"options": _options_hint(options)}
            )
        unknown = [item for item in value if not isinstance(item, str) or item not in options]
        if unknown:
            named = ", ".join(_describe(item) for item in unknown[:5])
            raise Invalid(
                field,
                "not an option: %(named)s; choose from %(options)s",
                values={"named": named, "options": _options_hint(options)},
            )
        chosen = set(value)
        return [Stored(option) for option in options if option in chosen]
    if kind is Kind.CHECKBOX:
        if not isinstance(value, bool):
            raise Invalid(field, "must be true or false, not %(value)s", values={"value": _describe(value)})
        return [Stored("true")] if value else []
    raise Invalid(
        field, "unknown kind %(kind)s", values={"kind": kind}
    )  # pragma: no cover - kinds are checked on definition


def from_text(kind: Kind, value: str) -> object:
    """A value typed as text (a query parameter, a form) in the type `parse` expects for the kind;
    what does not convert is passed on as it is, so `parse` names the problem."""
    value = value.strip()
    if kind is Kind.NUMBER:
        number = number_from_text(value)
        return value if number is None else number
    if kind is Kind.CHECKBOX:
        if value.lower() in TRUE_WORDS:
            return True
        if value.lower() in FALSE_WORDS:
            return False
    if kind is Kind.MULTI_SELECT:
        return [value]
    return value


def empty(kind: Kind) -> object:
    """What a field without a value reads as: unticked, no options, or nothing."""
    if kind is Kind.CHECKBOX:
        return False
    if kind is Kind.MULTI_SELECT:
        return []
    return None


def render(kind: Kind, options: list[str], rows: list[Stored]) -> object:
    """The value stored in `rows` as the API shows it."""
    if not rows:
        return empty(kind)
    if kind is Kind.NUMBER:
        number = rows[0].number if rows[0].number is not None else number_from_text(rows[0].text)
        if number is None:
            return None
        return int(number) if number.is_integer() else number
    if kind is Kind.CHECKBOX:
        return rows[0].text == "true"
    if kind is Kind.MULTI_SELECT:
        texts = {row.text for row in rows}
        # Options order first; a value whose option went away (never by our actions) still shows.
        return [option for option in options if option in texts] + sorted(texts - set(options))
    return rows[0].text
