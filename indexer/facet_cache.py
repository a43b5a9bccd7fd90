"""Facet counts kept for the index generation they were counted on.

Counting facets is most of what a search costs the engine (bench/engine_profile.py), and a
patron paging through results, changing the sort, or a popular query asked again, asks for
the same counts. They are kept here, keyed by what decides them (the query, filters, year
range, the facets asked for and their size, the near spellings), never by what only orders
or pages the hits, and tied to the generation of the index they were counted on: the first
search on a newer generation empties the cache, and counts made on an older one are not
kept. So a search never sees counts from before a commit its hits already show.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from indexer import query as q

Facets = dict[str, list[tuple[str, int]]]
#: how many searches' counts one process keeps (each a few facets of at most facet_size values)
FACET_CACHE_SIZE = 512


def facet_key(request: q.SearchRequest, near: frozenset[str]) -> Hashable:
    """What a search's facet counts depend on: not its offset, limit, sort or home library."""
    filters = tuple(sorted((name, tuple(sorted(v))) for name, v in request.filters.items()))
    return (
        repr(request.query),
        filters,
        request.year_from,
        request.year_to,
        request.facets,
        request.facet_size,
        tuple(sorted(near)),
    )


class FacetCache:
    """A small LRU of facet counts for one index generation (an increasing number)."""

    def __init__(self, size: int = FACET_CACHE_SIZE):
        self.size = size
        self.hits = 0
        self.misses = 0
        self._generation: int | None = None
        self._entries: OrderedDict[Hashable, Facets] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, generation: int, key: Hashable) -> Facets | None:
        with self._lock:
            self._move_to(generation)
            found = self._entries.get(key) if generation == self._generation else None
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return {name: list(values) for name, values in found.items()}

    def put(self, generation: int, key: Hashable, facets: Facets) -> None:
        with self._lock:
            self._move_to(generation)
            if generation != self._generation:  # counted on an older index: not kept
                return
            self._entries[key] = {name: list(values) for name, values in facets.items()}
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def _move_to(self, generation: int) -> None:
        if self._generation is None or generation > self._generation:
            self._generation = generation
            self._entries.clear()
