"""Elasticsearch-only: one request per search; rebuilds swap a new index in behind an alias."""

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


@pytest.mark.parametrize("engine", ["elasticsearch"], indirect=True)
def test_a_rebuild_swaps_its_index_in_and_leaves_no_index_behind(engine):
    client = engine.client
    engine.upsert([doc("a", record("north", "n1", "Blue train"))])
    engine.commit()
    assert list(client.indices.get(index=engine.index)) == [engine.index]  # a plain index
    # a rebuild that died before its swap (kill -9) left its index; the next one removes it
    stale = f"{engine.index}-rebuild-1"
    client.indices.create(index=stale)
    engine.begin_rebuild()
    engine.upsert([doc("b", record("south", "s1", "Blue note"))])
    engine.commit()
    behind = list(client.indices.get(index=engine.index))
    assert len(behind) == 1 and behind[0].startswith(f"{engine.index}-rebuild-")
    assert behind[0] != stale and not client.indices.exists(index=stale)
    assert client.indices.exists_alias(name=engine.index)
    assert [h.work_id for h in engine.search(SearchRequest(Words("all", "blue"))).hits] == ["b"]
    engine.begin_rebuild()
    engine.abort_rebuild()
    assert list(client.indices.get(index=f"{engine.index}*")) == behind
    engine.drop()
    assert not client.indices.get(index=f"{engine.index}*", allow_no_indices=True)
