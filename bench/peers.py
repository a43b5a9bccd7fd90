"""What bench/harvest.py measures beside fedcat's harvest: a plain OAI-PMH client over the same
provider (the peer), the profile of the harvest's apply step, and the documents it made.

- `sickle_rate`: sickle (a plain, widely used Python OAI-PMH client) iterating ListRecords over
  every library of the provider, one library after the other, as a plain client does: the
  records are fetched and parsed into sickle's Record objects, nothing else.
- `ProfiledSink`: cProfile of the thread that applies batches (mapping, matching, the engine),
  the part of the harvest that runs Python per record.
- `dump_documents`: every work's index document (and its payload) as sorted JSON lines, to
  compare two harvests of the same catalogue document for document.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import time
from dataclasses import asdict
from pathlib import Path

from sickle import Sickle


def sickle_rate(urls: dict[str, str], prefix: str = "marc21") -> tuple[int, float]:
    """(records, seconds) of sickle's ListRecords over each base URL in turn."""
    records = 0
    began = time.perf_counter()
    for url in urls.values():
        client = Sickle(url, max_retries=3, timeout=120)
        for _record in client.ListRecords(metadataPrefix=prefix, ignore_deleted=False):
            records += 1
    return records, time.perf_counter() - began


class ProfiledSink:
    """A sink that profiles every `apply` of the sink it wraps (it runs in a worker thread,
    which a profiler of the main thread does not see)."""

    def __init__(self, sink):
        self.sink = sink
        self.profile = cProfile.Profile()

    def prepare(self, partner, records):
        return self.sink.prepare(partner, records)

    def apply(self, partner, records, run_id, prepared=None):
        self.profile.enable()
        try:
            return self.sink.apply(partner, records, run_id, prepared)
        finally:
            self.profile.disable()

    def sweep(self, partner, run_id):
        return self.sink.sweep(partner, run_id)

    def report(self, path: Path, lines: int = 40) -> str:
        """Writes the profile's statistics to `path` (pstats) and returns the top lines by
        cumulative and by own time."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.profile.dump_stats(path)
        out = io.StringIO()
        stats = pstats.Stats(self.profile, stream=out).strip_dirs()
        stats.sort_stats("cumulative").print_stats(lines)
        stats.sort_stats("tottime").print_stats(lines)
        return out.getvalue()


def dump_documents(catalog, path: Path) -> int:
    """Each work's index document, as the catalog makes it from its store, one JSON line per
    work in work id order; returns how many."""
    from indexer.documents import index_document

    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for work_id in catalog.store.work_ids():
            members = catalog.store.records_of(work_id)
            payload = catalog.work(work_id)
            document = index_document(payload, [r for r, _ in members])
            out.write(json.dumps(asdict(document), ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    return count
