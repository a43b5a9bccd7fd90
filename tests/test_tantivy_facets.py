"""tantivy counts the facets of a big search in two threads; the counts must not change."""

from __future__ import annotations

from dataclasses import replace

import pytest

from indexer import tantivy_engine
from indexer.documents import index_document, work_payload
from indexer.facet_cache import FacetCache
from indexer.query import MatchAll, SearchRequest, Words
from indexer.tantivy_engine import TantivyEngine, split_facets
from tests.fixtures.builders import record

NAMES = {"north": "North", "south": "South", "east": "East"}
FACETS = ("library", "format", "language", "decade", "subject_facet", "availability")
LANGUAGES = ("eng", "fre", "ger", "chi")
SUBJECTS = ("History", "Music", "Maps", "Jazz", "Poetry")


@pytest.fixture(scope="module")
def shelf(tmp_path_factory):
    engine = TantivyEngine(tmp_path_factory.mktemp("facets") / "tantivy")
    documents = []
    for n in range(240):
        copies = [
            record(
                library,
                f"{library}{n}",
                f"Title {n} {'jazz' if n % 3 else 'blues'}",
                year=1900 + n % 120,
                language=LANGUAGES[n % 4],
                subjects=(SUBJECTS[n % 5], SUBJECTS[(n + 2) % 5]),
                status="on_loan" if (n + i) % 4 == 0 else "available",
            )
            for i, library in enumerate(("north", "south", "east")[: 1 + n % 3])
        ]
        documents.append(index_document(work_payload(f"w{n}", copies, {}, NAMES), copies))
    engine.upsert(documents)
    engine.commit()
    yield engine
    engine.close()


REQUESTS = [
    SearchRequest(MatchAll(), facets=FACETS),
    SearchRequest(Words("all", "jazz"), facets=FACETS),
    SearchRequest(
        Words("all", "title"),
        filters={"library": ["east"], "language": ["fre", "chi"]},
        facets=FACETS,
    ),
]


@pytest.mark.parametrize("request_", REQUESTS, ids=["everything", "one word", "two filters"])
def test_counting_in_two_threads_gives_the_counts_of_one_pass(shelf, monkeypatch, request_):
    monkeypatch.setattr(shelf, "facet_cache", FacetCache(size=0))  # count both times
    monkeypatch.setattr(tantivy_engine, "PARALLEL_FACETS_FROM", 10**9)
    one_pass = shelf.search(request_)
    monkeypatch.setattr(tantivy_engine, "PARALLEL_FACETS_FROM", 0)
    threads = shelf.search(request_)
    assert one_pass.total > 0
    assert threads.total == one_pass.total
    assert [h.work_id for h in threads.hits] == [h.work_id for h in one_pass.hits]
    assert threads.facets == one_pass.facets
    assert list(threads.facets) == list(request_.facets)
    assert sum(n for _, n in threads.facets["library"]) >= threads.total


def test_facets_are_split_in_two_groups_of_about_equal_cost():
    groups = split_facets(FACETS)
    assert sorted(name for group in groups for name in group) == sorted(FACETS)
    assert len(groups) == 2
    # the two dearest (subject, library) are counted in different threads
    assert not {"subject_facet", "library"} <= set(groups[0])
    assert not {"subject_facet", "library"} <= set(groups[1])
    assert split_facets(["format"]) == [["format"]]


@pytest.mark.parametrize("request_", REQUESTS, ids=["everything", "one word", "two filters"])
def test_counting_over_the_found_works_by_id_gives_the_counts_of_the_query(shelf, request_):
    shown = shelf.search(replace(request_, limit=1000))  # every found work is a hit
    partial = shelf.search(replace(request_, limit=5))  # facets counted by the query
    assert len(shown.hits) == shown.total == partial.total > 5
    assert shown.facets == partial.facets
