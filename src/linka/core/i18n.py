"""Languages of the user interface: message catalogs, plurals, dates and numbers.

Translations live in `linka/locale/<language>/*.po` (gettext PO, one file per area of the app, so people
can work on different areas at once); English is the source language and needs no catalog. The PO files
are read and merged when first used, so there is no compile step and no binary file in the repository.
Plural rules come from Babel's CLDR data: Czech has three forms (1 tiket / 3 tikety / 5 tiketů),
Hungarian two.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from datetime import timedelta, tzinfo
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, dates, numbers
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES: tuple[str, ...] = ("en", "cs", "hu")
SOURCE_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "cs": "Čeština", "hu": "Magyar"}
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
# gettext plural rules (count of forms, C expression). Babel's CLDR table gives Hungarian a single form,
# but Hungarian UI text still says "1 jegy" / "3 jegy" alike only for nouns after numbers — messages
# like "1 new ticket" / "%(n)s new tickets" need two, the convention of every Hungarian gettext catalog.
PLURAL_RULES: dict[str, tuple[int, str]] = {
    "cs": (3, "(n==1) ? 0 : (n>=2 && n<=4) ? 1 : 2"),
    "hu": (2, "(n != 1)"),
}


def supported(language: str | None) -> str | None:
    """`cs-CZ` → `cs`; None for a language Linka has no catalog for."""
    if not language:
        return None
    short = language.strip().replace("_", "-").split("-")[0].lower()
    return short if short in LANGUAGES else None


def language_from_accept(header: str | None, default: str = SOURCE_LANGUAGE) -> str:
    """The best supported language of an Accept-Language header (by q-value), else `default`."""
    if not header:
        return default
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = supported(tag)
        if language and quality > 0:
            weighted.append((-quality, position, language))
    return min(weighted)[2] if weighted else default


def catalog_files(language: str) -> list[Path]:
    return sorted((LOCALE_DIR / language).glob("*.po"))


def read_catalog(language: str) -> Catalog:
    """All PO files of a language merged into one catalog (a message defined twice: the first file wins)."""
    merged = Catalog(locale=language, domain="messages")
    if language in PLURAL_RULES:
        # Catalog has no public setter; a PO header would set the same two attributes.
        merged._num_plurals, merged._plural_expr = PLURAL_RULES[language]  # type: ignore[assignment]
    for path in catalog_files(language):
        with path.open("rb") as handle:
            part = read_po(handle, locale=language)
        for message in part:
            if message.id and message.id not in merged:
                merged[message.id] = message
    return merged


def conflicting_translations(language: str) -> list[str]:
    """Messages two catalog files of a language translate differently (only the first file's would
    show, so one of them is wrong)."""
    seen: dict[str, tuple[object, str]] = {}
    conflicts: list[str] = []
    for path in catalog_files(language):
        with path.open("rb") as handle:
            part = read_po(handle, locale=language)
        for message in part:
            if not message.id:
                continue
            key = str(message.id[0] if isinstance(message.id, tuple | list) else message.id)
            if key in seen and seen[key][0] != message.string:
                conflicts.append(f"{key!r}: {seen[key][1]} and {path.name} differ")
            seen.setdefault(key, (message.string, path.name))
    return conflicts


@cache
def translations(language: str) -> NullTranslations:
    if language == SOURCE_LANGUAGE or language not in LANGUAGES:
        return NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, read_catalog(language))
    buffer.seek(0)
    return Translations(buffer, domain="messages")


class Translator:
    """The strings, dates and numbers of one language and time zone (one per request)."""

    def __init__(self, language: str, timezone: str = "Europe/Prague") -> None:
        self.language = language if language in LANGUAGES else SOURCE_LANGUAGE
        self.locale = Locale.parse(self.language)
        self.zone: tzinfo = zone(timezone)
        self._messages = translations(self.language)

    def gettext(self, message: str) -> str:
        return self._messages.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._messages.ngettext(singular, plural, n)

    def datetime(self, value: dt.datetime | None, format: str = "short") -> str:
        if value is None:
            return ""
        return dates.format_datetime(value, format=format, tzinfo=self.zone, locale=self.locale)

    def date(self, value: dt.datetime | None, format: str = "medium") -> str:
        if value is None:
            return ""
        return dates.format_date(value.astimezone(self.zone), format=format, locale=self.locale)

    def time(self, value: dt.datetime | None) -> str:
        if value is None:
            return ""
        return dates.format_time(value, format="short", tzinfo=self.zone, locale=self.locale)

    def ago(self, value: dt.datetime | None, now: dt.datetime) -> str:
        """ "5 minutes ago" / "in 2 hours", in this language."""
        if value is None:
            return ""
        return dates.format_timedelta(
            value - now, granularity="minute", add_direction=True, format="short", locale=self.locale
        )

    def duration(self, value: timedelta) -> str:
        return dates.format_timedelta(value, granularity="minute", format="short", locale=self.locale)

    def number(self, value: int | float) -> str:
        return numbers.format_decimal(value, locale=self.locale)


@cache
def zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def plural_forms(language: str) -> int:
    return PLURAL_RULES[language][0] if language in PLURAL_RULES else Catalog(locale=language).num_plurals


def untranslated(language: str, messages: Iterable[tuple[str | tuple[str, ...], str]]) -> list[str]:
    """Which of `messages` ((msgid or (singular, plural), where) pairs) have no complete translation
    in `language`: missing, empty, fuzzy, or with fewer plural forms than the language has."""
    catalog = read_catalog(language)
    forms = plural_forms(language)
    missing: list[str] = []
    for message_id, where in messages:
        key = message_id[0] if isinstance(message_id, tuple) else message_id
        found = catalog.get(key)
        if found is None or found.fuzzy:
            missing.append(f"{where}: {key!r}")
            continue
        strings = found.string if isinstance(found.string, tuple | list) else (found.string,)
        if isinstance(message_id, tuple) and len(strings) < forms:
            missing.append(f"{where}: {key!r} needs {forms} plural forms")
        elif not all(strings):
            missing.append(f"{where}: {key!r}")
    return missing


def N_(message: str) -> str:
    """Marks a string for translation where it is defined; it is translated where it is shown."""
    return message
