"""Search normalisation shared by every engine: the same terms on SQLite FTS5 and PostgreSQL tsvector.

Text is split into words; each word is indexed as itself and as its English, Czech and Hungarian stems,
all with diacritics folded, so `tiskarna` finds "tiskárny" and `nyomtató` finds "nyomtatónak" without
knowing the message's language. A query word matches when any of its variants does; all query words
must match.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

LANGUAGES = ("english", "czech", "hungarian")
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORD = 40
MAX_QUERY_WORDS = 12
_stemmers = {language: Stemmer.Stemmer(language) for language in LANGUAGES}


def fold(text: str) -> str:
    """Lower case without diacritics: "Tiskárna" → "tiskarna"."""
    if text.isascii():
        return text.lower()  # ASCII has nothing to decompose (most words, every number and code)
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    return [word for word in _WORD.findall(text.lower()) if len(word) <= MAX_WORD and word != "_"]


@lru_cache(maxsize=65536)
def variants(word: str) -> tuple[str, ...]:
    """The folded word and its folded stems in every language, from the word as written and folded."""
    found = {fold(word)}
    plain = fold(word)
    for stemmer in _stemmers.values():
        found.add(fold(stemmer.stemWord(word)))
        found.add(fold(stemmer.stemWord(plain)))
    return tuple(sorted(term for term in found if term))


def index_text(*parts: str | None) -> str:
    """What goes into the search column: every variant of every word, space-separated."""
    terms: list[str] = []
    for part in parts:
        if part:
            for word in words(part):
                terms.extend(variants(word))
    return " ".join(terms)


def query_groups(query: str) -> list[tuple[str, ...]]:
    """One group of alternative terms per query word (at most MAX_QUERY_WORDS words)."""
    groups: list[tuple[str, ...]] = []
    for word in words(query)[:MAX_QUERY_WORDS]:
        group = tuple(term for term in variants(word) if term.isalnum())
        if group and group not in groups:
            groups.append(group)
    return groups


def fts5_query(groups: list[tuple[str, ...]]) -> str:
    """SQLite FTS5 MATCH syntax: ("a" OR "b") AND ("c")."""
    return " AND ".join("(" + " OR ".join(f'"{term}"' for term in group) + ")" for group in groups)


def tsquery(groups: list[tuple[str, ...]]) -> str:
    """PostgreSQL to_tsquery('simple', …) syntax: (a | b) & (c)."""
    return " & ".join("(" + " | ".join(group) + ")" for group in groups)
