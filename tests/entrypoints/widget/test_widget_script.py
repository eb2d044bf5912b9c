"""The chat widget's script read as text (no browser; tests/e2e/test_widget_chat.py runs it): it stays
small, talks to nobody but the server it came from, runs under strict Content-Security-Policies, and
has every text in English, Czech and Hungarian."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import AppClient

SCRIPT = Path(__file__).resolve().parents[3] / "src/linka/static/widget/linka-chat.js"
SOURCE = SCRIPT.read_text(encoding="utf-8")
# Absolute URLs the file may contain: the SVG namespace is a name in createElementNS, never fetched.
NAMES_NOT_FETCHED = {"http://www.w3.org/2000/svg"}
STRING = r"'((?:[^'\\]|\\.)*)'"


def _texts() -> dict[str, list[str]]:
    """The TEXTS dictionary: one `key: ['English', 'Czech', 'Hungarian'],` line per text."""
    block = re.search(r"^const TEXTS = \{\n(.*?)^\};", SOURCE, re.M | re.S)
    assert block, "the dictionary is `const TEXTS = {` … `};` at the start of a line"
    texts: dict[str, list[str]] = {}
    for line in block.group(1).splitlines():
        entry = re.fullmatch(r"  (\w+): \[(.*)\],?", line)
        assert entry, f"not a `key: [en, cs, hu]` line: {line!r}"
        key, values = entry.groups()
        assert key not in texts, f"{key} twice"
        texts[key] = re.findall(STRING, values)
        assert re.sub(STRING, "", values).replace(",", "").strip() == "", f"{key}: only strings"
    return texts


def _code() -> str:
    """The source without comments and without the dictionary (so words in texts do not count)."""
    code = re.sub(r"/\*.*?\*/", "", SOURCE, flags=re.S)
    code = re.sub(r"(^|\s)//.*$", r"\1", code, flags=re.M)  # `://` in a string has no space before
    return re.sub(r"^const TEXTS = \{\n.*?^\};", "", code, flags=re.M | re.S)


def test_the_script_stays_under_its_size_budget() -> None:
    assert SCRIPT.stat().st_size < 40 * 1024, SCRIPT.stat().st_size


def test_the_script_loads_nothing_and_talks_only_to_its_own_server() -> None:
    code = _code()
    assert not re.search(r"\bimport\b", code), "no import"
    assert not re.search(r"\brequire\s*\(|importScripts", code), "no require"
    urls = set(re.findall(r"[a-z][a-z0-9+.-]*://[^\s'\"`)]+", SOURCE, flags=re.I))
    assert urls <= NAMES_NOT_FETCHED, urls - NAMES_NOT_FETCHED
    assert not re.search(r"['\"`]//[\w.-]", code), "no protocol-relative URLs"
    # Every way out goes to the origin the script itself was loaded from.
    assert re.findall(r"new WebSocket\(([^)]*)\)", code) == ["WS_URL"]
    assert [call.split("+")[0].strip() for call in re.findall(r"\bfetch\(([^,]*),", code)] == ["ORIGIN"]
    assert re.search(r"const ORIGIN = SRC\.origin;", code)
    assert re.search(
        r"const WS_URL = \(SRC\.protocol === 'https:' \? 'wss://' : 'ws://'\) \+ SRC\.host", code
    )
    for other in ("XMLHttpRequest", "sendBeacon", "EventSource", "new Image", "import(", ".src ="):
        assert other not in code, other


def test_the_script_runs_under_a_strict_content_security_policy() -> None:
    code = _code()
    for forbidden in (
        "eval(",
        "new Function",
        "Function(",
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "setAttribute('on",
        "setAttribute('style",
    ):
        assert forbidden not in code, forbidden
    # Timers get functions, never strings of code.
    assert not re.search(r"set(?:Timeout|Interval)\(\s*['\"`]", code)
    # Styles come as a constructed stylesheet (a <style> element only where that is missing).
    assert "adoptedStyleSheets" in code
    assert "replaceSync" in code


def test_the_script_is_es2019_and_a_classic_script() -> None:
    code = _code()
    assert not re.search(r"\?\.(?!\d)", code), "optional chaining is ES2020"
    assert "??" not in code, "nullish coalescing is ES2020"
    assert not re.search(r"\bclass\s+\w+", code), "no classes (their fields and private names are newer)"
    assert not re.search(r"^\s*export\b", code, flags=re.M), "a classic script, not a module"
    assert SOURCE.lstrip().startswith("/*!")
    assert "'use strict';" in code


def test_every_text_is_in_english_czech_and_hungarian() -> None:
    assert re.search(r"^const LANGUAGES = \['en', 'cs', 'hu'\];", SOURCE, re.M)
    texts = _texts()
    assert len(texts) > 40
    for key, translations in texts.items():
        assert len(translations) == 3, f"{key}: {translations}"
        assert all(translations), f"{key}: {translations}"
        english, czech, hungarian = translations
        # Placeholders are the same in every language, and the translations are not copies.
        placeholders = sorted(re.findall(r"\{\w+\}", english))
        assert sorted(re.findall(r"\{\w+\}", czech)) == placeholders, key
        assert sorted(re.findall(r"\{\w+\}", hungarian)) == placeholders, key
        assert czech != english, key
        assert hungarian != english, key


def test_every_text_used_exists_and_every_text_is_used() -> None:
    texts = _texts()
    code = _code()
    used = set(re.findall(r"\bt\('(\w+)'\s*[,)]", code))
    assert used - set(texts) == set(), "used but not in the dictionary"
    # Keys picked at run time appear as strings ('openNew', 'good', …); system lines are sys_ + event.
    quoted = set(re.findall(STRING, code))
    unused = {key for key in texts if key not in quoted and not key.startswith("sys_")}
    assert unused == set()
    events = {key.removeprefix("sys_") for key in texts if key.startswith("sys_")}
    assert events == {"joined", "left", "transferred", "ended", "missed"}  # docs/chat-protocol.md


async def test_the_static_router_serves_the_script(client: AppClient) -> None:
    response = await client.get("/static/widget/linka-chat.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert response.text == SOURCE
