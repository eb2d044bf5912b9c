"""Every string of the agent app is translated into Czech and Hungarian, with the plural forms each
language needs; dates and numbers follow the language."""

from __future__ import annotations

from datetime import UTC, datetime

from linka.core.i18n import Translator, language_from_accept, plural_forms
from linka.entrypoints.cli.i18n import extract_messages, missing_by_language


def test_no_string_of_the_agent_app_is_left_untranslated() -> None:
    messages = extract_messages()
    assert len(messages) > 50  # the extractor does find the app's strings
    missing = missing_by_language()
    assert missing == {"cs": [], "hu": []}, "run `linka i18n template cs|hu` for PO entries to translate"


def test_czech_has_three_plural_forms_and_hungarian_two() -> None:
    assert plural_forms("cs") == 3
    assert plural_forms("hu") == 2
    czech = Translator("cs")
    message = (
        "Too many attempts. Try again in %(num)s minute.",
        "Too many attempts. Try again in %(num)s minutes.",
    )
    assert czech.ngettext(*message, 1) % {"num": 1} == "Příliš mnoho pokusů. Zkuste to znovu za 1 minutu."
    assert czech.ngettext(*message, 3) % {"num": 3} == "Příliš mnoho pokusů. Zkuste to znovu za 3 minuty."
    assert czech.ngettext(*message, 5) % {"num": 5} == "Příliš mnoho pokusů. Zkuste to znovu za 5 minut."


def test_dates_and_numbers_follow_the_language_and_time_zone() -> None:
    moment = datetime(2026, 3, 5, 13, 30, tzinfo=UTC)
    assert Translator("en", "Europe/Prague").datetime(moment) == "3/5/26, 2:30\u202fPM"
    assert Translator("cs", "Europe/Prague").datetime(moment) == "05.03.26 14:30"
    assert Translator("hu", "Europe/Budapest").datetime(moment) == "2026. 03. 05. 14:30"
    assert Translator("cs").number(1234567.5) == "1\xa0234\xa0567,5"
    assert Translator("en").number(1234567.5) == "1,234,567.5"


def test_the_browser_language_is_chosen_by_preference() -> None:
    assert language_from_accept("de-DE,hu;q=0.8,cs;q=0.9") == "cs"
    assert language_from_accept("fr") == "en"
    assert language_from_accept(None, default="hu") == "hu"
