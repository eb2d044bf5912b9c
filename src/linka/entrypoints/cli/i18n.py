"""`linka i18n check`: every user-facing string of the agent app has a Czech and a Hungarian translation.

Strings are found the way Babel's extractor finds them: `_()`, `gettext`, `ngettext` and `N_()` in the
web app's Python modules, and `_()` / `ngettext` / `{% trans %}` in its templates; from the domain packages, the
message of every `Invalid(field, message)` / `Conflict(...)` (the web app shows them translated, see
entrypoints/web/form_errors.py). `linka i18n template`
prints the missing ones of a language as PO entries, ready to translate and add to a catalog file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

from linka.core.i18n import LANGUAGES, SOURCE_LANGUAGE, conflicting_translations, plural_forms, untranslated

SOURCE_ROOTS = ("entrypoints/web", "entrypoints/realtime")
METHOD_MAP = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
# Refusals whose message is shown translated: Invalid, Conflict and the chat's kinds of them
# (domains/chat/errors.py), all with the message as their second argument.
REFUSALS = dict.fromkeys(("Invalid", "Conflict", "TooLong", "NoChat", "ChatNotRunning", "NotOffered"), (2,))
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, **REFUSALS}
# Domain packages: only validation messages (the second argument) are user-facing text there.
DOMAIN_ROOT = "domains"
DOMAIN_KEYWORDS = REFUSALS
Message = tuple[str | tuple[str, ...], str]


def package_root() -> Path:
    return Path(__file__).resolve().parent.parent.parent


def extract_messages() -> list[Message]:
    """(msgid or (singular, plural), "file:line") for every translatable string, first place only."""
    found: dict[str, Message] = {}
    root = package_root()
    sources = [(folder, KEYWORDS) for folder in SOURCE_ROOTS] + [(DOMAIN_ROOT, DOMAIN_KEYWORDS)]
    for folder, keywords in sources:
        base = root / folder
        for filename, lineno, message, _comments, _context in extract_from_dir(
            str(base),
            method_map=METHOD_MAP,
            options_map={
                "**/templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}
            },
            keywords=keywords,
        ):
            key = message[0] if isinstance(message, tuple) else message
            if key and key not in found:
                found[key] = (
                    tuple(message) if isinstance(message, tuple) else message,
                    f"{folder}/{filename}:{lineno}",
                )
    return list(found.values())


def missing_by_language() -> dict[str, list[str]]:
    """Per language: untranslated messages, and messages two catalog files translate differently."""
    messages = extract_messages()
    return {
        language: untranslated(language, messages) + conflicting_translations(language)
        for language in LANGUAGES
        if language != SOURCE_LANGUAGE
    }


def _po_entries(language: str) -> Iterator[str]:
    missing_keys = {line.split(": ", 1)[1] for line in missing_by_language()[language]}
    for message_id, where in extract_messages():
        key = message_id[0] if isinstance(message_id, tuple) else message_id
        if not any(entry.startswith(repr(key)) for entry in missing_keys):
            continue
        yield f"#: {where}"
        if isinstance(message_id, tuple):
            yield f"msgid {_quote(message_id[0])}"
            yield f"msgid_plural {_quote(message_id[1])}"
            for index in range(plural_forms(language)):
                yield f'msgstr[{index}] ""'
        else:
            yield f"msgid {_quote(message_id)}"
            yield 'msgstr ""'
        yield ""


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


@click.group()
def i18n() -> None:
    """Translations of the agent app."""


@i18n.command()
def check() -> None:
    """List strings without a complete translation; exit 1 when there are any."""
    problems = missing_by_language()
    total = sum(len(items) for items in problems.values())
    for language, items in problems.items():
        for item in items:
            click.echo(f"{language}: {item}")
    if total:
        raise SystemExit(1)
    click.echo(f"all {len(extract_messages())} strings are translated into {', '.join(problems)}")


@i18n.command()
@click.argument("language", type=click.Choice([code for code in LANGUAGES if code != SOURCE_LANGUAGE]))
def template(language: str) -> None:
    """Print the missing strings of LANGUAGE as PO entries to translate."""
    for line in _po_entries(language):
        click.echo(line)
