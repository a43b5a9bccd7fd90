"""The engine contract: every case runs against tantivy and a real Elasticsearch."""

from __future__ import annotations

import pytest

from indexer.documents import index_document, work_payload
from indexer.query import (
    And,
    Fuzzy,
    MatchAll,
    Not,
    Or,
    Phrase,
    Prefix,
    SearchRequest,
    Words,
)
from tests.fixtures.builders import record

NAMES = {"north": "North", "south": "South", "east": "East"}


def doc(work_id, *records):
    payload = work_payload(work_id, records, {}, NAMES)
    return index_document(payload, records)


@pytest.fixture
def shelf(engine):
    engine.upsert(
        [
            doc(
                "w1",
                record(
                    "north",
                    "n1",
                    "War and peace",
                    author="Tolstoy, Leo",
                    year=1869,
                    subjects=("Russia -- History",),
                    language="rus",
                ),
            ),
            doc(
                "w2",
                record(
                    "south",
                    "s1",
                    "Peace in our time",
                    author="Smith, Jane",
                    year=1990,
                    status="on_loan",
                ),
            ),
            doc(
                "w3",
                record(
                    "east",
                    "e1",
                    "Histoire de la Révolution française",
                    author="Michelet, Jules",
                    year=1847,
                    language="fre",
                    subjects=("France -- History",),
                ),
            ),
            doc(
                "w4",
                record("north", "n2", "中国历史研究", author="李明", year=2005, language="chi"),
                record("east", "e2", "中国历史研究", author="李明", year=2005, language="chi"),
            ),
            doc(
                "w5",
                record(
                    "south",
                    "s2",
                    "Maps of the world",
                    year=2012,
                    format="map",
                    isbns=("9780140449136",),
                ),
            ),
        ]
    )
    engine.commit()
    return engine


def ids(result):
    return sorted(h.work_id for h in result.hits)


def search(engine, query=None, **kwargs):
    return engine.search(SearchRequest(query=query or MatchAll(), limit=20, **kwargs))


def test_index_then_count_and_get(shelf):
    assert shelf.count() == 5
    payload = shelf.get("w4")
    assert payload["title"] == "中国历史研究"
    assert {h["library_id"] for h in payload["holdings"]} == {"north", "east"}
    assert shelf.get("missing") is None


def test_keyword_search_matches_all_words(shelf):
    assert ids(search(shelf, Words("all", "peace"))) == ["w1", "w2"]
    assert ids(search(shelf, Words("all", "war peace"))) == ["w1"]


def test_search_folds_case_and_diacritics(shelf):
    assert ids(search(shelf, Words("all", "REVOLUTION FRANCAISE"))) == ["w3"]


def test_cjk_title_found_by_a_word_inside_it(shelf):
    assert ids(search(shelf, Words("title", "历史"))) == ["w4"]


def test_fielded_search_only_looks_in_that_field(shelf):
    assert ids(search(shelf, Words("author", "tolstoy"))) == ["w1"]
    assert ids(search(shelf, Words("title", "tolstoy"))) == []
    assert ids(search(shelf, Words("subject", "history"))) == ["w1", "w3"]


def test_isbn_search_finds_isbn13_and_isbn10(shelf):
    assert ids(search(shelf, Words("isbn", "9780140449136"))) == ["w5"]
    assert ids(search(shelf, Words("isbn", "0140449132"))) == ["w5"]


def test_phrase_needs_words_in_order(shelf):
    assert ids(search(shelf, Phrase("all", "war and peace"))) == ["w1"]
    assert ids(search(shelf, Phrase("all", "peace and war"))) == []


def test_boolean_or_and_not(shelf):
    assert ids(search(shelf, Or((Words("all", "maps"), Words("all", "war"))))) == ["w1", "w5"]
    assert ids(search(shelf, And((Words("all", "peace"), Not(Words("all", "war")))))) == ["w2"]
    assert ids(search(shelf, Not(Words("all", "peace")))) == ["w3", "w4", "w5"]


def test_title_match_ranks_above_subject_match(engine):
    engine.upsert(
        [
            doc("t", record("north", "a", "History", year=2000)),
            doc("s", record("north", "b", "Something else", subjects=("History",), year=2000)),
        ]
    )
    engine.commit()
    result = search(engine, Words("all", "history"))
    assert [h.work_id for h in result.hits] == ["t", "s"]


def test_facet_counts_cover_every_match(shelf):
    result = search(shelf, facets=("library", "format", "language"))
    assert dict(result.facets["library"]) == {"north": 2, "south": 2, "east": 2}
    assert dict(result.facets["format"]) == {"book": 4, "map": 1}


def test_filter_by_facet_value_and_or_inside_a_facet(shelf):
    assert ids(search(shelf, filters={"library": ["east"]})) == ["w3", "w4"]
    assert ids(search(shelf, filters={"library": ["east", "south"]})) == ["w2", "w3", "w4", "w5"]
    both = search(shelf, filters={"library": ["east"], "language": ["chi"]})
    assert ids(both) == ["w4"]


def test_filtered_facet_still_counts_its_other_values(shelf):
    result = search(shelf, filters={"library": ["east"]}, facets=("library", "language"))
    assert dict(result.facets["library"]) == {"north": 2, "south": 2, "east": 2}
    assert dict(result.facets["language"]) == {"fre": 1, "chi": 1}


def test_availability_filter(shelf):
    assert ids(search(shelf, Words("all", "peace"), filters={"available_at": ["south"]})) == []
    # w2 is south's copy on loan, w5 south's copy on the shelf; east has w3 and w4 on the shelf
    assert ids(search(shelf, filters={"available_at": ["south"]})) == ["w5"]
    assert ids(search(shelf, filters={"available_at": ["east"]})) == ["w3", "w4"]
    assert ids(search(shelf, filters={"available_at": ["east", "south"]})) == ["w3", "w4", "w5"]
    assert ids(search(shelf, filters={"availability": ["on_loan"]})) == ["w2"]


def test_year_range(shelf):
    assert ids(search(shelf, year_from=1800, year_to=1900)) == ["w1", "w3"]
    assert ids(search(shelf, year_from=2000)) == ["w4", "w5"]


def test_sort_by_year_and_title(shelf):
    by_year = search(shelf, sort="year_desc")
    assert [h.work_id for h in by_year.hits][:3] == ["w5", "w4", "w2"]
    by_title = search(shelf, sort="title")
    assert [h.payload["title"] for h in by_title.hits][:2] == [
        "Histoire de la Révolution française",
        "Maps of the world",
    ]


def test_sort_by_first_author_puts_works_without_one_last(shelf):
    by_author = search(shelf, sort="author")
    authors = [h.payload["contributors"][0]["name"] for h in by_author.hits[:4]]
    assert authors == ["Michelet, Jules", "Smith, Jane", "Tolstoy, Leo", "李明"]
    assert by_author.hits[-1].work_id == "w5"  # no author
    assert [h.work_id for h in search(shelf, Words("all", "peace"), sort="author").hits] == [
        "w2",
        "w1",
    ]


def test_publisher_and_series_are_searched_by_name(engine):
    engine.upsert(
        [
            doc("p1", record("north", "p1", "Dubliners", publisher="Penguin", series="Classics")),
            doc("p2", record("south", "p2", "Penguin", publisher="Oxford", series="World's best")),
        ]
    )
    engine.commit()
    assert ids(search(engine, Words("publisher", "penguin"))) == ["p1"]
    assert ids(search(engine, Words("series", "classics"))) == ["p1"]
    assert ids(search(engine, Phrase("series", "world's best"))) == ["p2"]
    assert ids(search(engine, Words("all", "classics"))) == ["p1"]  # series words: "other"
    assert ids(search(engine, Words("publisher", "dubliners"))) == []


def test_home_library_works_come_first(shelf):
    result = search(shelf, Words("all", "peace"), home_library="south")
    assert [h.work_id for h in result.hits] == ["w2", "w1"]


def test_paging_returns_disjoint_pages_and_the_total(shelf):
    first = shelf.search(SearchRequest(sort="year_asc", offset=0, limit=2))
    second = shelf.search(SearchRequest(sort="year_asc", offset=2, limit=2))
    assert first.total == second.total == 5
    assert len(first.hits) == len(second.hits) == 2
    assert not {h.work_id for h in first.hits} & {h.work_id for h in second.hits}


def test_update_replaces_the_document(shelf):
    shelf.upsert([doc("w2", record("south", "s1", "Peace treaty", year=1919))])
    shelf.commit()
    assert shelf.count() == 5
    assert ids(search(shelf, Words("all", "treaty"))) == ["w2"]
    assert ids(search(shelf, Words("all", "time"))) == []


def test_delete_removes_the_document(shelf):
    shelf.delete(["w1", "unknown"])
    shelf.commit()
    assert shelf.count() == 4
    assert ids(search(shelf, Words("all", "war"))) == []


def test_clear_empties_the_index(shelf):
    shelf.clear()
    assert shelf.count() == 0


def test_a_rebuild_is_invisible_until_its_commit_then_replaces_everything(shelf):
    shelf.begin_rebuild()
    shelf.upsert([doc("w9", record("north", "n9", "Solaris", year=1961))])
    # searches still see the five old works, and not the new one
    assert shelf.count() == 5
    assert ids(search(shelf, Words("all", "war"))) == ["w1"]
    assert ids(search(shelf, Words("all", "solaris"))) == []
    shelf.commit()
    assert shelf.count() == 1
    assert ids(search(shelf, Words("all", "solaris"))) == ["w9"]
    assert ids(search(shelf, Words("all", "war"))) == []
    assert shelf.get("w9")["title"] == "Solaris" and shelf.get("w1") is None
    # a second rebuild over the first, then ordinary writes, work the same way
    shelf.begin_rebuild()
    shelf.upsert([doc("w8", record("south", "s8", "Ubik", year=1969))])
    shelf.commit()
    shelf.upsert([doc("w7", record("east", "e7", "Dune", year=1965))])
    shelf.delete(["w8"])
    shelf.commit()
    assert ids(search(shelf, MatchAll())) == ["w7"]


def test_an_aborted_rebuild_leaves_the_old_documents(shelf):
    shelf.begin_rebuild()
    shelf.upsert([doc("w9", record("north", "n9", "Solaris", year=1961))])
    shelf.abort_rebuild()
    shelf.commit()
    assert shelf.count() == 5
    assert ids(search(shelf, Words("all", "solaris"))) == []
    shelf.upsert([doc("w6", record("north", "n6", "Solaris", year=1961))])
    shelf.commit()
    assert shelf.count() == 6
    assert ids(search(shelf, Words("all", "solaris"))) == ["w6"]


def test_words_without_letters_match_nothing(shelf):
    assert search(shelf, Words("all", "&&&")).total == 0


def test_prefix_completes_the_last_word_only(shelf):
    assert ids(search(shelf, Prefix("title", "pea"))) == ["w1", "w2"]
    assert ids(search(shelf, Prefix("title", "war and pe"))) == ["w1"]
    assert ids(search(shelf, Prefix("title", "wa and pe"))) == []
    assert ids(search(shelf, Prefix("author", "TOL"))) == ["w1"]
    assert ids(search(shelf, Prefix("title", "tol"))) == []


def test_prefix_is_folded_like_the_index(shelf):
    assert ids(search(shelf, Prefix("all", "RÉVOL"))) == ["w3"]
    assert ids(search(shelf, Prefix("title", "中"))) == ["w4"]
    assert ids(search(shelf, Prefix("title", "..."))) == []


def test_fuzzy_allows_edits_by_word_length(shelf):
    # one edit (a transposition counts as one) for 3-5 letters, two for longer words
    assert ids(search(shelf, Fuzzy("all", "peaec"))) == ["w1", "w2"]
    assert ids(search(shelf, Fuzzy("all", "maqs"))) == ["w5"]
    assert ids(search(shelf, Fuzzy("author", "tolstio"))) == ["w1"]
    assert ids(search(shelf, Fuzzy("all", "peeci"))) == []  # two edits in five letters
    assert ids(search(shelf, Fuzzy("all", "wr"))) == []  # too short to be fuzzy


def test_fuzzy_keeps_to_its_field_and_needs_every_word(shelf):
    assert ids(search(shelf, Fuzzy("title", "tolstoi"))) == []
    assert ids(search(shelf, Fuzzy("all", "wat peaec"))) == ["w1"]


def test_filtered_facets_and_hits_agree_with_several_filters(shelf):
    result = search(
        shelf,
        filters={"library": ["north", "east"], "language": ["chi", "rus"]},
        facets=("library", "language", "format"),
    )
    assert ids(result) == ["w1", "w4"]
    assert result.total == 2
    assert dict(result.facets["library"]) == {"north": 2, "east": 1}
    assert dict(result.facets["language"]) == {"rus": 1, "chi": 1, "fre": 1}
    assert dict(result.facets["format"]) == {"book": 2}


def test_facets_count_the_same_works_whatever_ranks_them(shelf):
    facets = ("library", "format", "language")
    plain = search(shelf, Words("all", "peace"), facets=facets)
    ranked = search(shelf, Words("all", "war and peace"), facets=facets, home_library="south")
    assert plain.total == 2
    assert dict(plain.facets["library"]) == {"north": 1, "south": 1}
    assert ranked.total == 1
    assert dict(ranked.facets["library"]) == {"north": 1}
    held = search(shelf, Words("all", "peace"), facets=facets, home_library="south")
    assert held.facets == plain.facets
    assert held.hits[0].work_id == "w2"


def test_a_search_finding_nothing_has_every_asked_facet_empty(shelf):
    found = search(shelf, Words("all", "qqqxz"), facets=("library", "format"))
    assert found.total == 0
    assert found.facets == {"library": [], "format": []}


def test_facets_of_a_page_showing_every_found_work_equal_those_of_a_partial_page(shelf):
    facets = ("library", "format", "language", "decade")
    for query in (MatchAll(), Words("all", "peace"), Words("all", "history")):
        every = shelf.search(SearchRequest(query, facets=facets, limit=20))
        partial = shelf.search(SearchRequest(query, facets=facets, limit=1))
        assert every.total == partial.total > len(partial.hits)
        assert every.facets == partial.facets


def _typo_shelf(engine):
    engine.upsert(
        [
            doc("silver", record("north", "a", "The silver lining", year=2001)),
            doc("sliver", record("north", "b", "A sliver of light", year=2002)),
            doc("clouds", record("north", "c", "Clouds over the lining", year=2003)),
        ]
    )
    engine.commit()
    return engine


def test_the_fallback_near_spells_the_word_the_catalogue_lacks(engine):
    found = search(_typo_shelf(engine), Words("all", "sliver ligth"))
    assert found.near_spellings and found.exact_total == 0
    assert [h.work_id for h in found.hits] == ["sliver"]


def test_the_fallback_near_spells_every_word_when_that_alone_finds_nothing(engine):
    # "sliver" is in the catalogue (another title), "linnig" is not: near-spelling only
    # "linnig" finds nothing, so every word may be near-spelt and the silver lining is found
    found = search(_typo_shelf(engine), Words("all", "sliver linnig"))
    assert found.near_spellings
    assert found.hits[0].work_id == "silver"
