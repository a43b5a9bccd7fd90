"""Typos: a fuzzy fallback in the engines' query, and "Did you mean" over every word.

Real jazz and French records from ../shared/data, on both engines.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from indexer.engine import FUZZY_FALLBACK_AT_MOST, fuzzy_distance
from indexer.query import SearchRequest, Words
from indexer.suggest import correction, display_text, edit_distance, works_with
from indexer.text import analyze
from search_ui.request_params import search_request_from_params
from search_ui.suggestions import spelling_suggestion
from tests.fixtures.real_records import mapped_records

SOURCES = (("evergreen/jazz_1k.mrc", 300), ("evergreen/lul_fre_500.mrc", 200))


@pytest.fixture(scope="module")
def records():
    return [r for name, limit in SOURCES for r in mapped_records(name, limit)]


@pytest.fixture
def real_catalog(catalog, records):
    catalog.add_records(records)
    return catalog


def swapped(word: str) -> str:
    """`word` with its third and fourth letters swapped: one edit, as the engines count."""
    return word[:2] + word[3] + word[2] + word[4:]


def title_words(catalog) -> Counter[str]:
    """How many works have each long title word."""
    counts: Counter[str] = Counter()
    for work_id in catalog.store.work_ids():
        title = catalog.engine.get(work_id)["title"]
        counts.update({t for t in analyze(title) if t.isalpha() and len(t) >= 6})
    return counts


def test_title_with_one_typo_finds_its_work_by_near_spellings(real_catalog, records):
    engine, checked = real_catalog.engine, 0
    for record in records[::7]:
        words = record.title.split()[:5]
        long = [i for i, w in enumerate(words) if w.isalpha() and len(w) >= 6]
        if not long or swapped(words[long[0]]) == words[long[0]]:
            continue
        words[long[0]] = swapped(words[long[0]])
        request = search_request_from_params({"q": " ".join(words)})
        if engine.search(replace(request, fuzzy_fallback=False)).total:
            continue  # the misspelling happens to be a word of the catalogue
        found = engine.search(request)
        assert found.near_spellings and found.exact_total == 0, words
        assert real_catalog.store.work_of(record.key) in [h.work_id for h in found.hits], words
        checked += 1
    assert checked >= 15


def test_words_as_typed_rank_above_their_near_spellings(real_catalog, records):
    """Query: a title word as written and another misspelt. Works with the first word as
    written rank above works that have it only by a near spelling."""
    engine, checked = real_catalog.engine, 0
    for record in records[::3]:
        long = [w for w in analyze(record.title) if w.isalpha() and len(w) >= 6]
        if len(long) < 2 or swapped(long[1]) == long[1]:
            continue
        kept, typed = long[0], f"{long[0]} {swapped(long[1])}"
        found = engine.search(search_request_from_params({"q": typed, "per_page": "50"}))
        if not found.near_spellings:
            continue
        has = [kept in _words(hit.payload) for hit in found.hits]
        assert has == sorted(has, reverse=True), typed
        checked += 1
    assert checked >= 10


def _words(payload) -> set[str]:
    return {t for text in display_text(payload, "all") for t in analyze(text)}


def test_no_fallback_when_the_words_as_typed_find_enough(real_catalog):
    engine = real_catalog.engine
    common = [w for w, n in title_words(real_catalog).most_common(10)]
    for word in common:
        request = search_request_from_params({"q": word})
        found = engine.search(request)
        assert found.total > FUZZY_FALLBACK_AT_MOST
        assert not found.near_spellings
        assert found.total == engine.search(replace(request, fuzzy_fallback=False)).total


def test_a_word_held_by_one_work_is_never_corrected(real_catalog):
    """Rare words with a commoner word of the catalogue a few edits away: left as typed."""
    engine = real_catalog.engine
    counts = title_words(real_catalog)
    tempting = [
        word
        for word, n in sorted(counts.items())
        if n == 1
        and any(
            m > 1 and 0 < edit_distance(word, other) <= fuzzy_distance(word)
            for other, m in counts.items()
        )
    ]
    assert len(tempting) >= 3
    for word in tempting[:8]:
        assert works_with(engine, "all", word) >= 1
        assert correction(engine, "all", word) is None, word
        search = search_request_from_params({"q": word})
        assert spelling_suggestion(engine, search, word, engine.search(search)) is None, word


def test_did_you_mean_corrects_every_word_of_a_long_query(real_catalog):
    engine = real_catalog.engine
    found = real_catalog.engine.search(SearchRequest(Words("all", "jazz"), limit=200)).hits
    title = next(
        analyze(hit.payload["title"])
        for hit in found
        if len(analyze(hit.payload["title"])) >= 6
        and sum(t.isalpha() and len(t) >= 6 for t in analyze(hit.payload["title"])[4:]) >= 1
    )
    words = list(title)
    misspelt = [i for i, w in enumerate(words) if i >= 4 and w.isalpha() and len(w) >= 6]
    for i in misspelt:
        words[i] = swapped(words[i])
    typed = " ".join(words)
    search = search_request_from_params({"q": typed})
    suggestion = spelling_suggestion(engine, search, typed, engine.search(search))
    assert suggestion is not None, typed
    assert analyze(suggestion["q"]) == title
