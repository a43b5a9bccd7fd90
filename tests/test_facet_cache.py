"""Facet counts are kept per index generation (`indexer.facet_cache`): paging or re-sorting a
search counts its facets once, and no search ever sees counts from before a commit. The
freshness tests run on both engines; keeping counts is tantivy's (Elasticsearch counts
facets in the same request as the hits, every time: a named skip)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from indexer.documents import index_document, work_payload
from indexer.facet_cache import FacetCache, facet_key
from indexer.query import MatchAll, SearchRequest, Words
from tests.fixtures.builders import record

NAMES = {"north": "North", "south": "South", "east": "East"}
FACETS = ("library", "language")


def _work(n: int, library: str, language: str = "eng"):
    copy = record(library, f"{library}{n}", f"Blues title {n}", language=language)
    return index_document(work_payload(f"w{n}", [copy], {}, NAMES), [copy])


def _counts(result, facet: str) -> dict[str, int]:
    return dict(result.facets[facet])


@pytest.fixture
def shelf(engine):
    engine.upsert([_work(n, ("north", "south")[n % 2]) for n in range(12)])
    engine.commit()
    return engine


SEARCH = SearchRequest(Words("all", "blues"), facets=FACETS, limit=5)


def test_counts_after_a_commit_show_what_it_added_and_removed(shelf):
    before = shelf.search(SEARCH)
    assert _counts(before, "library") == {"north": 6, "south": 6}
    shelf.upsert([_work(100, "east", "fre"), _work(101, "east", "fre")])
    shelf.delete(["w0"])
    shelf.commit()
    after = shelf.search(SEARCH)
    assert _counts(after, "library") == {"north": 5, "south": 6, "east": 2}
    assert _counts(after, "language") == {"eng": 11, "fre": 2}
    assert after.total == 13


def test_a_commit_seen_by_another_reader_of_the_same_index_refreshes_its_counts(
    shelf, request, tmp_path
):
    """A web worker's engine sees a harvest's commit (another engine on the same index)."""
    if shelf.name != "tantivy":
        pytest.skip("one Elasticsearch index has no second local reader to compare")
    from indexer.tantivy_engine import TantivyEngine

    reader = TantivyEngine(shelf.path)
    assert _counts(reader.search(SEARCH), "library") == {"north": 6, "south": 6}
    shelf.upsert([_work(100, "east")])
    shelf.commit()
    reader._reload(force=True)  # what RELOAD_INTERVAL does for it within a second
    assert _counts(reader.search(SEARCH), "library") == {"north": 6, "south": 6, "east": 1}


def test_paging_and_sorting_a_search_counts_its_facets_once(shelf):
    if shelf.name != "tantivy":
        pytest.skip("Elasticsearch counts facets in the search request itself, every time")
    cache = shelf.facet_cache
    first = shelf.search(SEARCH)
    misses = cache.misses
    second_page = shelf.search(replace(SEARCH, offset=5))
    by_title = shelf.search(replace(SEARCH, sort="title"))
    assert cache.misses == misses and cache.hits >= 2
    assert second_page.facets == by_title.facets == first.facets
    assert [h.work_id for h in second_page.hits] != [h.work_id for h in first.hits]
    filtered = shelf.search(replace(SEARCH, filters={"library": ["north"]}))
    assert cache.misses == misses + 1  # another filter is another count
    assert sum(n for _, n in filtered.facets["language"]) == 6


def test_the_key_holds_what_decides_the_counts_and_nothing_else():
    base = facet_key(SEARCH, frozenset())
    assert facet_key(replace(SEARCH, offset=20, limit=50, sort="year"), frozenset()) == base
    assert facet_key(replace(SEARCH, home_library="north"), frozenset()) == base
    for changed in (
        replace(SEARCH, query=Words("all", "jazz")),
        replace(SEARCH, filters={"library": ["north"]}),
        replace(SEARCH, year_from=1900),
        replace(SEARCH, year_to=1950),
        replace(SEARCH, facets=("library",)),
        replace(SEARCH, facet_size=50),
    ):
        assert facet_key(changed, frozenset()) != base
    assert facet_key(SEARCH, frozenset({"blues"})) != base
    assert facet_key(replace(SEARCH, filters={"a": ["x", "y"]}), frozenset()) == facet_key(
        replace(SEARCH, filters={"a": ["y", "x"]}), frozenset()
    )


def test_counts_made_on_an_older_generation_are_never_kept_or_served():
    cache = FacetCache(size=4)
    key = facet_key(SearchRequest(MatchAll(), facets=FACETS), frozenset())
    cache.put(3, key, {"library": [("north", 1)]})
    assert cache.get(3, key) == {"library": [("north", 1)]}
    assert cache.get(4, key) is None  # a newer commit: everything before it goes
    cache.put(3, key, {"library": [("north", 1)]})  # a slow search on the old searcher
    assert cache.get(4, key) is None
    cache.put(4, key, {"library": [("north", 2)]})
    assert cache.get(4, key) == {"library": [("north", 2)]}


def test_the_cache_keeps_at_most_its_size_and_hands_out_copies():
    cache = FacetCache(size=2)
    keys = [facet_key(SearchRequest(Words("all", w), facets=FACETS), frozenset()) for w in "abc"]
    for n, key in enumerate(keys):
        cache.put(1, key, {"library": [("north", n)]})
    assert cache.get(1, keys[0]) is None and cache.get(1, keys[2]) is not None
    served = cache.get(1, keys[2])
    assert served is not None
    served["library"].append(("south", 9))
    assert cache.get(1, keys[2]) == {"library": [("north", 2)]}
