"""Search normalisation: stems in three languages, diacritics folded, safe query syntax."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from linka.core.search import fold, fts5_query, index_text, query_groups, tsquery


def _matches(document: str, query: str) -> bool:
    indexed = set(index_text(document).split())
    return all(any(term in indexed for term in group) for group in query_groups(query))


def test_czech_without_diacritics_finds_inflected_forms() -> None:
    assert _matches("Nefunguje nám tiskárny v kanceláři", "tiskarna")
    assert _matches("Poslal jsem fakturu včera", "faktury")


def test_hungarian_stems_and_accents() -> None:
    assert _matches("A nyomtatónak nincs papírja", "nyomtató")
    assert _matches("A nyomtatónak nincs papírja", "nyomtato")
    assert _matches("Kérem a számlát", "számla")


def test_english_plural() -> None:
    assert _matches("Both printers are offline", "printer")


def test_every_word_must_match() -> None:
    assert not _matches("Nefunguje tiskárna", "tiskarna faktura")


def test_fold() -> None:
    assert fold("Příliš žluťoučký kůň ÚPĚL ŐRÜLT") == "prilis zlutoucky kun upel orult"


@given(st.text(max_size=80))
def test_query_syntax_is_always_safe(text: str) -> None:
    groups = query_groups(text)
    fts = fts5_query(groups)
    ts = tsquery(groups)
    for group in groups:
        for term in group:
            assert term.isalnum()
    assert '""' not in fts
    assert "'" not in ts
    assert ":" not in ts
