"""The embedded engine: a tantivy index in a directory on local disk.

One process writes (the harvest), any number read (the web app); readers pick up a
writer's commits by reloading. The writer's lock is taken lazily and released by close().
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import tantivy

from indexer import query as q
from indexer.engine import (
    INDEXED_TEXT_FIELDS,
    KEYWORD_FIELDS,
    TITLE_KEY,
    TITLE_START,
    EngineError,
    EngineUnavailable,
    IndexDocument,
    NearWords,
    QueryCompiler,
    SearchEngine,
    facet_groups,
    search_with_fallback,
)
from indexer.facet_cache import FACET_CACHE_SIZE, FacetCache, facet_key
from indexer.payloads import WorkPayload

_SORTS = {
    "year_desc": ("year", tantivy.Order.Desc),
    "year_asc": ("year", tantivy.Order.Asc),
    "title": ("sort_title", tantivy.Order.Asc),
    "author": ("sort_author", tantivy.Order.Asc),  # works without an author come last
}
#: How often a reader looks for commits made by another process, in seconds.
RELOAD_INTERVAL = 1.0
#: A search finding at least this many works counts its facets in two threads at once
#: (tantivy lets go of the GIL while it counts); below it one pass is quicker.
PARALLEL_FACETS_FROM = 1_000
#: What a facet costs to count relative to a one-value-per-work facet (measured at 1M works,
#: bench/engine_profile.py): multi-valued facets cost more. Used to split facets in two.
_FACET_COST = {"subject_facet": 4, "library": 3, "availability": 2, "language": 1.5}
_pool: tuple[int, ThreadPoolExecutor] | None = None


def _facet_pool() -> ThreadPoolExecutor:
    """This process's two facet-counting threads (made after a fork, never inherited)."""
    global _pool
    if _pool is None or _pool[0] != os.getpid():
        _pool = (os.getpid(), ThreadPoolExecutor(2, thread_name_prefix="tantivy-facets"))
    return _pool[1]


def split_facets(names: Sequence[str]) -> list[list[str]]:
    """`names` in two groups of about equal counting cost (one group if only one name)."""
    groups: list[list[str]] = [[], []]
    costs = [0.0, 0.0]
    for name in sorted(names, key=lambda n: -_FACET_COST.get(n, 1)):
        cheaper = costs.index(min(costs))
        groups[cheaper].append(name)
        costs[cheaper] += _FACET_COST.get(name, 1)
    return [g for g in groups if g]


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("work_id", stored=True, tokenizer_name="raw")
    for name in INDEXED_TEXT_FIELDS:
        builder.add_text_field(name, tokenizer_name="whitespace")
    for name in q.FACET_FIELDS:
        builder.add_text_field(name, tokenizer_name="raw", fast=True)
    builder.add_text_field(TITLE_KEY, tokenizer_name="raw")
    builder.add_text_field(TITLE_START, tokenizer_name="raw")
    builder.add_integer_field("year", indexed=True, fast=True)
    builder.add_text_field("sort_title", tokenizer_name="raw", fast=True)
    builder.add_text_field("sort_author", tokenizer_name="raw", fast=True)
    builder.add_bytes_field("payload", stored=True, indexed=False)
    return builder.build()


def _literal(text: str) -> str:
    """`text` as a regular expression that matches only itself (tantivy's regex syntax)."""
    return "".join(c if c.isascii() and c.isalnum() else f"\\x{{{ord(c):x}}}" for c in text)


class TantivyCompiler(QueryCompiler[tantivy.Query]):
    def __init__(self, schema: tantivy.Schema):
        self.schema = schema

    def term(self, field_name: str, token: str, boost: float = 1.0) -> tantivy.Query:
        query = tantivy.Query.term_query(self.schema, field_name, token)
        return query if boost == 1.0 else tantivy.Query.boost_query(query, boost)

    def phrase(self, field_name: str, tokens: list[str], boost: float = 1.0) -> tantivy.Query:
        query = tantivy.Query.phrase_query(
            self.schema, field_name, list[str | tuple[int, str]](tokens)
        )
        return query if boost == 1.0 else tantivy.Query.boost_query(query, boost)

    def prefix(self, field_name: str, start: str, boost: float = 1.0) -> tantivy.Query:
        query = tantivy.Query.regex_query(self.schema, field_name, _literal(start) + ".*")
        return tantivy.Query.const_score_query(query, boost)

    def fuzzy(self, field_name: str, token: str, distance: int) -> tantivy.Query:
        return tantivy.Query.fuzzy_term_query(
            self.schema, field_name, token, distance=distance, transposition_cost_one=True
        )

    def all(self) -> tantivy.Query:
        return tantivy.Query.all_query()

    def nothing(self) -> tantivy.Query:
        return tantivy.Query.empty_query()

    def boolean(self, must, should, must_not) -> tantivy.Query:
        Occur = tantivy.Occur
        clauses = [(Occur.Must, c) for c in must] + [(Occur.Should, c) for c in should]
        clauses += [(Occur.MustNot, c) for c in must_not]
        return tantivy.Query.boolean_query(clauses)

    def keyword_in(self, field_name: str, values: list[str]) -> tantivy.Query:
        return tantivy.Query.term_set_query(self.schema, field_name, values)

    def year_between(self, low: int | None, high: int | None) -> tantivy.Query:
        return tantivy.Query.range_query(self.schema, "year", tantivy.FieldType.Integer, low, high)

    def constant(self, inner: tantivy.Query, score: float) -> tantivy.Query:
        return tantivy.Query.const_score_query(inner, score)


class TantivyEngine(SearchEngine):
    name = "tantivy"

    def __init__(
        self, path: Path, *, writer_heap: int = 128_000_000, facet_cache: int = FACET_CACHE_SIZE
    ):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.schema = build_schema()
        try:
            self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        except ValueError as exc:
            raise EngineUnavailable(
                f"tantivy index at {self.path} cannot be opened ({exc}); "
                "rebuild it with `fedcat reindex`"
            ) from None
        self.compiler = TantivyCompiler(self.schema)
        self._writer_heap = writer_heap
        self._writer: tantivy.IndexWriter | None = None
        self._reloaded_at = 0.0
        #: the commit the searcher shows, read before each reload (so never newer than it)
        self._generation = -1
        self._reading = threading.Lock()
        self.facet_cache = FacetCache(facet_cache)

    # -- writing ----------------------------------------------------------------------
    def _writing(self) -> tantivy.IndexWriter:
        if self._writer is None:
            try:
                self._writer = self.index.writer(heap_size=self._writer_heap, num_threads=1)
            except ValueError as exc:
                raise EngineUnavailable(
                    f"tantivy index at {self.path} is being written by another process: {exc}"
                ) from None
        return self._writer

    def _document(self, doc: IndexDocument) -> tantivy.Document:
        out = tantivy.Document()
        out.add_text("work_id", doc.work_id)
        for name in INDEXED_TEXT_FIELDS:
            tokens = doc.text.get(name)
            if tokens:
                out.add_text(name, " ".join(tokens))
        for name in KEYWORD_FIELDS:
            for value in doc.keywords.get(name, ()):
                out.add_text(name, value)
        if doc.year is not None:
            out.add_integer("year", doc.year)
        out.add_text("sort_title", doc.sort_title)
        if doc.sort_author:
            out.add_text("sort_author", doc.sort_author)
        out.add_bytes("payload", json.dumps(doc.payload, ensure_ascii=False).encode())
        return out

    def upsert(self, documents: Sequence[IndexDocument]) -> None:
        writer = self._writing()
        for doc in documents:
            writer.delete_documents_by_term("work_id", doc.work_id)
            writer.add_document(self._document(doc))

    def delete(self, work_ids: Sequence[str]) -> None:
        writer = self._writing()
        for work_id in work_ids:
            writer.delete_documents_by_term("work_id", work_id)

    def commit(self) -> None:
        if self._writer is not None:
            try:
                self._writer.commit()
            except ValueError as exc:
                raise EngineError(f"tantivy commit failed: {exc}") from None
        self._reload(force=True)

    def clear(self) -> None:
        self._writing().delete_all_documents()
        self.commit()

    def drop(self) -> None:
        """Remove the index directory (after the writer, if any, has let go of it)."""
        self.close()
        if self.path.exists():
            shutil.rmtree(self.path)

    def begin_rebuild(self) -> None:
        # Deleting every document is one more uncommitted operation of the writer: readers
        # keep the last commit until the rebuild's commit publishes deletions and additions.
        self._writing().delete_all_documents()

    def abort_rebuild(self) -> None:
        if self._writer is not None:
            try:
                self._writer.rollback()
            except ValueError as exc:
                raise EngineError(f"tantivy rollback failed: {exc}") from None

    def close(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.wait_merging_threads()

    # -- reading ----------------------------------------------------------------------
    def _reload(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._reloaded_at >= RELOAD_INTERVAL:
            with self._reading:
                generation = self._committed_generation()
                try:
                    self.index.reload()
                except ValueError as exc:  # tantivy's error for a removed or damaged index
                    raise EngineError(
                        f"tantivy index at {self.path} cannot be read: {exc}"
                    ) from None
                self._generation = max(self._generation, generation)
                self._reloaded_at = now

    def _committed_generation(self) -> int:
        """The opstamp of the index's last commit (tantivy's meta.json), -1 if unreadable:
        it grows with every commit, by this process or another."""
        try:
            return int(json.loads((self.path / "meta.json").read_text())["opstamp"])
        except (OSError, ValueError, KeyError, TypeError):
            return -1

    def _searcher(self) -> tantivy.Searcher:
        return self._searcher_and_generation()[0]

    def _searcher_and_generation(self) -> tuple[tantivy.Searcher, int]:
        self._reload()
        with self._reading:
            return self.index.searcher(), self._generation

    def search(self, request: q.SearchRequest) -> q.SearchResult:
        return search_with_fallback(self._search, request)

    def _search(self, request: q.SearchRequest, near: NearWords) -> q.SearchResult:
        searcher, generation = self._searcher_and_generation()
        query = self.compiler.request(request, near=near)
        kwargs: dict[str, Any] = {"offset": request.offset}
        if request.sort in _SORTS:  # an explicit sort wins over home-library ranking
            kwargs["order_by_field"], kwargs["order"] = _SORTS[request.sort]
        found = searcher.search(query, max(request.limit, 1), **kwargs)
        hits = []
        for order_key, address in found.hits[: request.limit]:
            stored = searcher.doc(address)
            score = float(order_key) if isinstance(order_key, float) else 0.0
            payload = json.loads(stored["payload"][0])
            hits.append(q.Hit(stored["work_id"][0], score, payload))
        total: int = found.count  # type: ignore[attr-defined]  # tantivy's stubs omit it
        every_hit = request.offset == 0 and total <= len(hits)
        found_ids = [hit.work_id for hit in hits] if every_hit else None
        if not request.facets:
            return q.SearchResult(total, hits, {})
        key = facet_key(request, near)
        facets = self.facet_cache.get(generation, key)
        if facets is None:
            facets = self._facets(searcher, request, total, near, found_ids)
            self.facet_cache.put(generation, key, facets)
        return q.SearchResult(total, hits, facets)

    def _facets(
        self,
        searcher: tantivy.Searcher,
        request: q.SearchRequest,
        total: int,
        near: NearWords,
        found_ids: list[str] | None,
    ) -> dict:
        """The facet counts of a search; `found_ids`, when the hits are every work it found,
        lets the facets counted with every filter be counted over those works by id, rather
        than by running the search's query again (with its stems and near spellings)."""
        if total == 0:  # nothing found: every facet is empty, no need to ask
            return {name: [] for name in request.facets}
        parallel = total >= PARALLEL_FACETS_FROM
        jobs: list[tuple[tantivy.Query, list[str]]] = []
        for left_out, names in facet_groups(request):
            if left_out is None and found_ids is not None:
                query = self.compiler.keyword_in("work_id", found_ids)
            else:  # the same works as the search, without the boosts that only order them
                query = self.compiler.request(
                    request, except_filter=left_out, near=near, ranked=False
                )
            for part in split_facets(names) if parallel else [names]:
                jobs.append((query, part))
        size = request.facet_size

        def count(job: tuple[tantivy.Query, list[str]]) -> dict[str, list[tuple[str, int]]]:
            query, names = job
            spec = {n: {"terms": {"field": n, "size": size}} for n in names}
            result = searcher.aggregate(query, spec)
            return {
                name: [(b["key"], b["doc_count"]) for b in result.get(name, {}).get("buckets", [])]
                for name in names
            }

        counted = _facet_pool().map(count, jobs) if parallel and len(jobs) > 1 else map(count, jobs)
        facets: dict[str, list[tuple[str, int]]] = {}
        for counts in counted:
            facets.update(counts)
        return {name: facets[name] for name in request.facets if name in facets}

    def get(self, work_id: str) -> WorkPayload | None:
        searcher = self._searcher()
        found = searcher.search(tantivy.Query.term_query(self.schema, "work_id", work_id), 1)
        if not found.hits:
            return None
        return json.loads(searcher.doc(found.hits[0][1])["payload"][0])

    def count(self) -> int:
        return self._searcher().num_docs
