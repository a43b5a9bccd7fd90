"""Works: records of one title from several libraries become one document, on both engines."""

from __future__ import annotations

from indexer.query import SearchRequest, Words
from tests.fixtures.builders import record

ISBN = "9780140449136"


def only_hit(catalog, text):
    result = catalog.engine.search(SearchRequest(query=Words("all", text), limit=10))
    assert result.total == 1, [h.payload["title"] for h in result.hits]
    return result.hits[0].payload


def libraries(payload):
    return sorted(h["library_id"] for h in payload["holdings"])


def test_same_isbn_at_three_libraries_is_one_work_with_three_holdings(catalog):
    catalog.add_records(
        [
            record("north", "n1", "Crime and punishment", author="Dostoyevsky", isbns=(ISBN,)),
            record("south", "s1", "Crime and punishment /", author="Dostoevsky", isbns=(ISBN,)),
            record("east", "e1", "Crime & punishment", isbns=(ISBN,), status="on_loan"),
        ]
    )
    work = only_hit(catalog, "crime punishment")
    assert libraries(work) == ["east", "north", "south"]
    assert {r["merged_by"] for r in work["records"]} == {"", f"isbn:{ISBN}"}


def test_removing_one_librarys_record_leaves_the_other_holdings(catalog):
    catalog.add_records(
        [
            record(p, f"{p}1", "Crime and punishment", isbns=(ISBN,))
            for p in ("north", "south", "east")
        ]
    )
    catalog.remove_records(["south\x1fsouth1"])
    assert libraries(only_hit(catalog, "crime")) == ["east", "north"]
    catalog.remove_records(["north\x1fnorth1", "east\x1feast1"])
    assert catalog.engine.count() == 0


def test_record_without_isbn_joins_by_title_author_year(catalog):
    catalog.add_records(
        [
            record(
                "north", "n1", "The Hobbit", author="Tolkien, J. R. R.", year=1937, isbns=(ISBN,)
            ),
            record("south", "s1", "The hobbit.", author="Tolkien, John Ronald Reuel", year=1937),
        ]
    )
    work = only_hit(catalog, "hobbit")
    assert libraries(work) == ["north", "south"]
    assert any(r["merged_by"].startswith("title:") for r in work["records"])


def test_two_editions_with_their_own_isbns_stay_two_works(catalog):
    catalog.add_records(
        [
            record(
                "north", "n1", "Dune", author="Herbert, Frank", year=1965, isbns=("9780441172719",)
            ),
            record(
                "south", "s1", "Dune", author="Herbert, Frank", year=1965, isbns=("9780340960196",)
            ),
        ]
    )
    assert catalog.engine.search(SearchRequest(query=Words("all", "dune"))).total == 2


def test_volumes_sharing_a_set_isbn_stay_apart(catalog):
    catalog.add_records(
        [
            record("north", "n1", "Encyclopedia", part="v. 1", isbns=(ISBN,)),
            record("north", "n2", "Encyclopedia", part="v. 2", isbns=(ISBN,)),
            record("south", "s1", "Encyclopedia", part="v. 2", isbns=(ISBN,)),
        ]
    )
    result = catalog.engine.search(SearchRequest(query=Words("all", "encyclopedia")))
    assert sorted(len(h.payload["holdings"]) for h in result.hits) == [1, 2]


def test_reharvested_record_with_new_isbn_moves_to_its_new_work(catalog):
    other = "9780441172719"
    catalog.add_records(
        [
            record("north", "n1", "Dune", isbns=(ISBN,)),
            record("south", "s1", "Dune", isbns=(ISBN,)),
            record("east", "e1", "Dune messiah", isbns=(other,)),
        ]
    )
    catalog.add_records([record("south", "s1", "Dune messiah", isbns=(other,))])
    assert libraries(only_hit(catalog, "messiah")) == ["east", "south"]
    dune = catalog.engine.search(SearchRequest(query=Words("title", "dune"))).hits
    assert sorted(libraries(h.payload) for h in dune) == [["east", "south"], ["north"]]


def test_record_with_two_isbns_does_not_chain_two_editions(catalog):
    """Before issue 20 the middle record linked both into one work; north's and east's
    ISBNs contradict each other, so east is kept apart and says why."""
    isbn_b = "9780441172719"
    catalog.add_records(
        [
            record("north", "n1", "Alpha", isbns=(ISBN,)),
            record("south", "s1", "Alpha", isbns=(ISBN, isbn_b)),
            record("east", "e1", "Alpha", isbns=(isbn_b,)),
        ]
    )
    assert catalog.engine.count() == 2
    east = catalog.store.work_of("east\x1fe1")
    kept_apart = catalog.store.evidence_of(east)["east\x1fe1"]["kept_apart"]
    assert any("different ISBN" in decision["why"] for decision in kept_apart)
    catalog.remove_records(["south\x1fs1"])
    assert catalog.engine.count() == 2


def test_applying_the_same_batch_twice_changes_nothing(catalog):
    batch = [record(p, f"{p}1", "Crime and punishment", isbns=(ISBN,)) for p in ("north", "south")]
    catalog.add_records(batch)
    first = only_hit(catalog, "crime")
    catalog.add_records(batch)
    assert only_hit(catalog, "crime") == first
    assert catalog.store.record_count() == 2


def test_reindex_rebuilds_the_engine_from_the_store(catalog):
    catalog.add_records([record("north", "n1", "Solaris"), record("south", "s1", "Ubik")])
    catalog.engine.clear()
    assert catalog.engine.count() == 0
    assert catalog.reindex() == 2
    assert only_hit(catalog, "solaris")["title"] == "Solaris"
