"""The Elasticsearch engine, for consortia that outgrow one machine.

The server may be a core-only build (no analysis-common): every field is analysed by our
own code (indexer.text) and indexed with the built-in whitespace analyzer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any, cast

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError
from elasticsearch.helpers import bulk

from indexer import query as q
from indexer.engine import (
    INDEXED_TEXT_FIELDS,
    KEYWORD_FIELDS,
    EngineError,
    EngineUnavailable,
    IndexDocument,
    NearWords,
    QueryCompiler,
    SearchEngine,
    facet_groups,
    search_with_fallback,
)
from indexer.payloads import WorkPayload

log = logging.getLogger(__name__)

_SORTS = {
    "year_desc": [{"year": {"order": "desc", "missing": "_last"}}, "_score"],
    "year_asc": [{"year": {"order": "asc", "missing": "_last"}}, "_score"],
    "title": [{"sort_title": "asc"}, "_score"],
    "author": [{"sort_author": {"order": "asc", "missing": "_last"}}, "_score"],
}

#: Terms a fuzzy query may expand to (Elasticsearch's default of 50 could miss the best one).
FUZZY_MAX_EXPANSIONS = 1000


def index_mappings() -> dict[str, Any]:
    properties: dict[str, Any] = {"work_id": {"type": "keyword"}}
    for name in INDEXED_TEXT_FIELDS:
        properties[name] = {"type": "text", "analyzer": "whitespace"}
    for name in KEYWORD_FIELDS:
        properties[name] = {"type": "keyword"}
    properties["year"] = {"type": "integer"}
    properties["sort_title"] = {"type": "keyword"}
    properties["sort_author"] = {"type": "keyword"}
    properties["payload"] = {"type": "object", "enabled": False}
    return {"dynamic": "strict", "properties": properties}


class ElasticsearchCompiler(QueryCompiler[dict]):
    def term(self, field_name: str, token: str, boost: float = 1.0) -> dict:
        return {"term": {field_name: {"value": token, "boost": boost}}}

    def phrase(self, field_name: str, tokens: list[str], boost: float = 1.0) -> dict:
        return {"match_phrase": {field_name: {"query": " ".join(tokens), "boost": boost}}}

    def prefix(self, field_name: str, start: str, boost: float = 1.0) -> dict:
        return {"prefix": {field_name: {"value": start, "boost": boost}}}

    def fuzzy(self, field_name: str, token: str, distance: int) -> dict:
        return {
            "fuzzy": {
                field_name: {
                    "value": token,
                    "fuzziness": distance,
                    "prefix_length": 0,
                    "transpositions": True,
                    # tantivy expands every term in reach; stay close to that
                    "max_expansions": FUZZY_MAX_EXPANSIONS,
                }
            }
        }

    def all(self) -> dict:
        return {"match_all": {}}

    def nothing(self) -> dict:
        return {"match_none": {}}

    def boolean(self, must, should, must_not) -> dict:
        clauses: dict[str, Any] = {}
        if must:
            clauses["must"] = must
        if should:
            clauses["should"] = should
        if must_not:
            clauses["must_not"] = must_not
        if not must and not should:
            clauses["must"] = [self.all()]
        return {"bool": clauses}

    def keyword_in(self, field_name: str, values: list[str]) -> dict:
        return {"terms": {field_name: values}}

    def year_between(self, low: int | None, high: int | None) -> dict:
        bounds = {}
        if low is not None:
            bounds["gte"] = low
        if high is not None:
            bounds["lte"] = high
        return {"range": {"year": bounds}}

    def constant(self, inner: dict, score: float) -> dict:
        return {"constant_score": {"filter": inner, "boost": score}}


class ElasticsearchEngine(SearchEngine):
    name = "elasticsearch"

    def __init__(self, url: str, index: str = "fedcat-works", *, timeout: float = 10.0):
        self.url = url
        self.index = index
        self.client = Elasticsearch(url, request_timeout=timeout, retry_on_timeout=False)
        self.compiler = ElasticsearchCompiler()
        self._ready = False
        self._rebuilding: str | None = None  # the new index of a rebuild, until its commit

    def _call(self, what: str, fn, *args, **kwargs):
        """Run a client call, turning transport failures into our engine errors."""
        try:
            return fn(*args, **kwargs)
        except TransportError as exc:  # connection refused, timeout
            raise EngineUnavailable(
                f"Elasticsearch at {self.url} is unreachable ({what}): {exc}"
            ) from None
        except ApiError as exc:
            if exc.status_code in (502, 503, 504, 429):
                raise EngineUnavailable(
                    f"Elasticsearch at {self.url} is unavailable ({what})"
                ) from None
            raise EngineError(
                f"Elasticsearch {what} failed: {exc.status_code} {exc.message}"
            ) from None

    def _create(self, name: str) -> None:
        try:
            self.client.indices.create(
                index=name,
                mappings=index_mappings(),
                settings={"number_of_shards": 1, "number_of_replicas": 0},
            )
        except ApiError as exc:
            if exc.error != "resource_already_exists_exception":
                raise EngineError(f"cannot create index {name}: {exc.message}") from None
        except TransportError as exc:
            raise EngineUnavailable(f"Elasticsearch at {self.url} is unreachable: {exc}") from None

    def _ensure_index(self) -> None:
        if self._ready:
            return
        exists = self._call("index check", self.client.indices.exists, index=self.index)
        if not exists:
            self._create(self.index)
        self._ready = True

    def _behind(self, name: str) -> list[str]:
        """The concrete indices a name stands for: the index itself, or an alias's indices."""
        found = self._call(
            "index lookup",
            self.client.indices.get,
            index=name,
            ignore_unavailable=True,
            allow_no_indices=True,
            expand_wildcards="open,closed",
        )
        return sorted(found)

    @property
    def _target(self) -> str:
        return self._rebuilding or self.index

    @staticmethod
    def _source(doc: IndexDocument) -> dict[str, Any]:
        source: dict[str, Any] = {"work_id": doc.work_id, "sort_title": doc.sort_title}
        if doc.sort_author:
            source["sort_author"] = doc.sort_author
        for name in INDEXED_TEXT_FIELDS:
            if doc.text.get(name):
                source[name] = " ".join(doc.text[name])
        for name in KEYWORD_FIELDS:
            if doc.keywords.get(name):
                source[name] = list(doc.keywords[name])
        if doc.year is not None:
            source["year"] = doc.year
        source["payload"] = doc.payload
        return source

    def _bulk(self, actions: list[dict[str, Any]]) -> None:
        """Send every action, then check each item's result: a failed item anywhere fails
        the call (deleting a document that is not there is not a failure)."""
        if not actions:
            return
        self._ensure_index()
        try:
            _, errors = bulk(self.client, actions, raise_on_error=False, refresh=False)
        except TransportError as exc:
            raise EngineUnavailable(f"Elasticsearch at {self.url} is unreachable: {exc}") from None
        failed = [
            result
            for op, result in (next(iter(item.items())) for item in cast(list, errors))
            if not (op == "delete" and result.get("status") == 404)
        ]
        if failed:
            ids = ", ".join(str(f.get("_id")) for f in failed[:5])
            reason = failed[0].get("error", {})
            reason = reason.get("reason", reason) if isinstance(reason, dict) else reason
            raise EngineError(
                f"Elasticsearch rejected {len(failed)} documents (e.g. {ids}): {str(reason)[:300]}"
            )

    def upsert(self, documents: Sequence[IndexDocument]) -> None:
        self._bulk(
            [
                {
                    "_op_type": "index",
                    "_index": self._target,
                    "_id": d.work_id,
                    "_source": self._source(d),
                }
                for d in documents
            ]
        )

    def delete(self, work_ids: Sequence[str]) -> None:
        self._bulk([{"_op_type": "delete", "_index": self._target, "_id": w} for w in work_ids])

    def commit(self) -> None:
        self._ensure_index()
        if self._rebuilding:
            self._swap_in(self._rebuilding)
            return
        self._call("refresh", self.client.indices.refresh, index=self.index)

    def clear(self) -> None:
        self.drop()
        self._ensure_index()

    def drop(self) -> None:
        """Delete the index (or the indices behind the alias) for good."""
        for name in self._behind(self.index):
            self._call("delete index", self.client.indices.delete, index=name)
        self._ready = False

    # -- full rebuilds: a new index, filled while searches use the old, then swapped in -----
    def begin_rebuild(self) -> None:
        self._ensure_index()
        current = set(self._behind(self.index))
        for leftover in self._behind(f"{self.index}-rebuild-*"):
            if leftover not in current:  # from a rebuild that died before its swap
                self._call("delete index", self.client.indices.delete, index=leftover)
        fresh = f"{self.index}-rebuild-{time.time_ns()}"
        self._create(fresh)
        self._rebuilding = fresh

    def _swap_in(self, fresh: str) -> None:
        """One atomic alias change: the name now means `fresh`; the old indices are deleted."""
        self._call("refresh", self.client.indices.refresh, index=fresh)
        old = self._behind(self.index)
        actions: list[dict[str, Any]] = [{"add": {"index": fresh, "alias": self.index}}]
        actions += [{"remove_index": {"index": name}} for name in old]
        self._call("alias swap", self.client.indices.update_aliases, actions=actions)
        self._rebuilding = None

    def abort_rebuild(self) -> None:
        fresh, self._rebuilding = self._rebuilding, None
        if fresh:
            try:
                self.client.indices.delete(index=fresh, ignore_unavailable=True)
            except (ApiError, TransportError) as exc:  # the next rebuild deletes it
                log.warning("could not delete the unfinished rebuild index %s: %s", fresh, exc)

    def close(self) -> None:
        self.client.close()

    def search(self, request: q.SearchRequest) -> q.SearchResult:
        """One request: hits, total and every facet count.

        The facet filters go in a post_filter (applied to the hits after counting), and each
        group of facets is counted in a filter aggregation holding the other facets' filters,
        which is what `facet_groups` asks for: a filtered facet still counts its other values.
        """
        return search_with_fallback(self._search, request)

    def _search(self, request: q.SearchRequest, near: NearWords) -> q.SearchResult:
        self._ensure_index()
        body: dict[str, Any] = {
            "query": self.compiler.request(request, with_facet_filters=False, near=near),
            "from": request.offset,
            "size": request.limit,
            "track_total_hits": True,
            "_source": ["work_id", "payload"],
        }
        filters = self.compiler.facet_filters(request)
        if filters:
            body["post_filter"] = self.compiler.boolean(filters, [], [])
        groups = facet_groups(request)
        if groups:
            body["aggs"] = self._facet_aggregations(request, groups)
        if request.sort in _SORTS:
            body["sort"] = _SORTS[request.sort]
        response = self._call("search", self.client.search, index=self.index, **body)
        hits = [
            q.Hit(h["_source"]["work_id"], float(h.get("_score") or 0.0), h["_source"]["payload"])
            for h in response["hits"]["hits"]
        ]
        total = response["hits"]["total"]["value"]
        facets: dict[str, list[tuple[str, int]]] = {}
        for number, (_, names) in enumerate(groups):
            group = response["aggregations"][f"group{number}"]
            for name in names:
                facets[name] = [(b["key"], b["doc_count"]) for b in group[name]["buckets"]]
        return q.SearchResult(total, hits, facets)

    def _facet_aggregations(
        self, request: q.SearchRequest, groups: list[tuple[str | None, list[str]]]
    ) -> dict[str, Any]:
        aggs: dict[str, Any] = {}
        for number, (left_out, names) in enumerate(groups):
            filters = self.compiler.facet_filters(request, except_filter=left_out)
            aggs[f"group{number}"] = {
                "filter": self.compiler.boolean(filters, [], [])
                if filters
                else self.compiler.all(),
                "aggs": {n: {"terms": {"field": n, "size": request.facet_size}} for n in names},
            }
        return aggs

    def get(self, work_id: str) -> WorkPayload | None:
        self._ensure_index()

        def fetch() -> dict[str, Any] | None:
            try:
                return self.client.get(index=self.index, id=work_id, source=["payload"]).body
            except NotFoundError:
                return None

        doc = self._call("get", fetch)
        return doc["_source"]["payload"] if doc else None

    def count(self) -> int:
        self._ensure_index()
        return self._call("count", self.client.count, index=self.index)["count"]
