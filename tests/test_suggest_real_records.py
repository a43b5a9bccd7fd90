"""Spelling suggestions and autocomplete on real records, on both engines.

The expectations are derived from the records themselves: the catalogue's most common title
words, misspelt by swapping two letters, must be corrected back; real titles must be offered
when their first words are typed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from config.partners import Partner
from indexer.marc import marc_to_record
from indexer.marc_readers import marc_records_from_file
from indexer.query import SearchRequest, Words
from indexer.suggest import completions
from indexer.text import analyze
from search_ui.request_params import search_request_from_params
from search_ui.suggestions import spelling_suggestion
from tests.fixtures.paths import SHARED_DATA

SOURCES = (("north", "evergreen/jazz_1k.mrc", 250), ("south", "evergreen/lul_fre_500.mrc", 120))


@pytest.fixture
def real_catalog(catalog):
    for library, path, how_many in SOURCES:
        partner = Partner(library, library.title(), "http://127.0.0.1:9/oai")
        marc = marc_records_from_file(SHARED_DATA / path)
        catalog.add_records(
            marc_to_record(record, partner, f"oai:{library}:{n}", "2026-11-01T00:00:00Z")
            for n, record in zip(range(how_many), marc, strict=False)
        )
    return catalog


def common_title_words(catalog, how_many: int) -> list[str]:
    """The catalogue's most common long title words (counted over works)."""
    counts: Counter[str] = Counter()
    for work_id in catalog.store.work_ids():
        title = catalog.engine.get(work_id)["title"]
        counts.update({t for t in analyze(title) if t.isalpha() and len(t) >= 6})
    return [word for word, _ in counts.most_common(how_many)]


def swapped(word: str) -> str:
    return word[:2] + word[3] + word[2] + word[4:]


def test_common_words_misspelt_are_corrected_back(real_catalog):
    engine = real_catalog.engine
    checked = 0
    for word in common_title_words(real_catalog, 6):
        typo = swapped(word)
        if typo == word:
            continue
        search = search_request_from_params({"q": typo})
        as_typed = replace(search, fuzzy_fallback=False)  # the search shows near spellings
        shown = engine.search(search)
        assert shown.total_as_typed == engine.search(as_typed).total == 0, typo
        expected = engine.search(SearchRequest(Words("all", word), limit=0)).total
        suggestion = spelling_suggestion(engine, search, typo, shown)
        assert suggestion is not None, typo
        assert analyze(suggestion["q"]) == [word]  # written as the catalogue writes it: église
        assert suggestion["total"] == expected
        checked += 1
    assert checked >= 4


def test_real_titles_are_offered_as_their_first_words_are_typed(real_catalog):
    engine = real_catalog.engine
    titles = []
    for work_id in sorted(real_catalog.store.work_ids())[:40]:
        title = engine.get(work_id)["title"]
        words = title.split()
        if len(words) >= 3 and len(words[2]) >= 3:
            titles.append((title, f"{words[0]} {words[1]} {words[2][:2]}"))
    assert len(titles) >= 10
    for title, typed in titles:
        offered = [c.value for c in completions(engine, typed, 20) if c.field == "title"]
        assert title in offered, typed
