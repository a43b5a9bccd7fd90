"""Ranking: a title equal to what was typed, or starting with it, comes first.

Real records (jazz, French, Nepali) from ../shared/data, on both engines. Many of them
share words with other works' titles, authors and subjects ("jazz", "histoire", "बाल"),
so the title match has competition.
"""

from __future__ import annotations

import pytest

from indexer.documents import title_starts
from indexer.engine import TITLE_START_WORDS
from indexer.text import analyze
from search_ui.request_params import search_request_from_params
from tests.fixtures.real_records import mapped_records

SOURCES = (("evergreen/jazz_1k.mrc", 300), ("evergreen/lul_fre_500.mrc", 200))


@pytest.fixture(scope="module")
def records():
    found = [r for name, limit in SOURCES for r in mapped_records(name, limit)]
    return found + mapped_records("evergreen/nepali.marc")


@pytest.fixture
def real_catalog(catalog, records):
    catalog.add_records(records)
    return catalog


def _typable(title: str) -> str:
    # the query parser reads a zero-width joiner as a space; patrons do not type one
    return title.replace("\u200d", "")


def test_a_title_typed_in_full_ranks_a_work_with_that_title_first(real_catalog, records):
    engine = real_catalog.engine
    titles = sorted({_typable(r.title) for r in records if len(analyze(r.title)) >= 2})
    contested = 0
    for title in titles:
        found = engine.search(search_request_from_params({"q": title}))
        assert analyze(found.hits[0].payload["title"]) == analyze(title), title
        same = sum(analyze(h.payload["title"]) == analyze(title) for h in found.hits)
        contested += found.total > same
    assert contested >= 20  # other works matched those words too, and ranked below


def test_the_first_words_of_a_title_rank_titles_starting_with_them_first(real_catalog, records):
    engine = real_catalog.engine
    starts = sorted(
        {" ".join(_typable(r.title).split()[:3]) for r in records if len(r.title.split()) >= 5}
    )
    assert len(starts) >= 30
    for start in starts:
        typed = analyze(start)
        found = engine.search(search_request_from_params({"q": start}))
        starting = [h for h in found.hits if analyze(h.payload["title"])[: len(typed)] == typed]
        if not starting:
            continue  # the words end in punctuation that the title key keeps apart
        first = analyze(found.hits[0].payload["title"])
        assert first[: len(typed)] == typed, (start, found.hits[0].payload["title"])


def test_title_starts_are_exactly_the_starts_a_title_key_continues_after(records):
    keys = sorted({" ".join(analyze(r.title)) for r in records if analyze(r.title)})
    for key in keys:
        words = key.split(" ")
        starts = set(title_starts([key]))
        assert len(starts) == min(len(words) - 1, TITLE_START_WORDS)
        for count in range(1, len(words) + 1):
            start = " ".join(words[:count])
            continues = key.startswith(start + " ") and count <= TITLE_START_WORDS
            assert (start in starts) == continues, (key, start)


def test_a_query_longer_than_the_indexed_starts_still_ranks_its_title_first(real_catalog, records):
    long_titles = [r.title for r in records if len(analyze(r.title)) > TITLE_START_WORDS + 1]
    assert long_titles
    for title in long_titles[:5]:
        start = " ".join(analyze(title)[: TITLE_START_WORDS + 1])
        found = real_catalog.engine.search(search_request_from_params({"q": start}))
        assert analyze(found.hits[0].payload["title"])[: TITLE_START_WORDS + 1] == start.split()
