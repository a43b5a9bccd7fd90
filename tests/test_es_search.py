"""Elasticsearch-only: a search with filtered facets is one request to the server."""

from __future__ import annotations

import pytest

from indexer.query import SearchRequest, Words
from tests.fixtures.builders import record
from tests.test_engine_conformance import doc


def searches_run(engine) -> int:
    stats = engine.client.indices.stats(index=engine.index, metric="search")
    return stats["indices"][engine.index]["primaries"]["search"]["query_total"]


@pytest.mark.parametrize("engine", ["elasticsearch"], indirect=True)
def test_search_with_filtered_facets_is_one_request(engine):
    engine.upsert(
        [
            doc("a", record("north", "n1", "Blue train", language="eng")),
            doc("b", record("south", "s1", "Blue note", language="fre")),
        ]
    )
    engine.commit()
    before = searches_run(engine)
    result = engine.search(
        SearchRequest(
            Words("all", "blue"),
            filters={"library": ["north"], "language": ["eng"]},
            facets=("library", "language", "format"),
        )
    )
    assert searches_run(engine) - before == 1
    assert [h.work_id for h in result.hits] == ["a"]
    assert dict(result.facets["library"]) == {"north": 1}
    assert dict(result.facets["language"]) == {"eng": 1}
