"""The synthetic catalogue's libraries as OAI-PMH endpoints, in a process of their own.

    python -m bench.provider --works 100000 --libraries 5 --seed 1

Serves each library from the demo provider (demo/oai_provider.py) on a free loopback port and
prints one JSON line, {"urls": {library id: base URL}, "records": N}, when ready; it stops when
its standard input closes (so it never outlives the benchmark that started it). Records are
made page by page from the catalogue, never held: the process stays small at a million works.
"""

from __future__ import annotations

import argparse
import bisect
import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta

from bench.catalogue import SyntheticCatalogue, locate
from demo.oai_provider import FAULTS, SECONDS, ProviderRecord, Repository, make_app, serve

#: Every record's datestamp is BASE + its work number in seconds: ordered, and from/until work.
BASE = datetime(2026, 11, 1, tzinfo=UTC)
PAGE_SIZE = 500


class LazyRecords(Sequence[ProviderRecord]):
    """A library's records between two positions of its plan, made when sliced."""

    def __init__(self, repository: CatalogueRepository, start: int, stop: int):
        self.repository, self.start, self.stop = repository, start, stop

    def __len__(self) -> int:
        return max(0, self.stop - self.start)

    def __getitem__(self, item):
        if isinstance(item, slice):
            first, last, step = item.indices(len(self))
            if step != 1:
                raise ValueError("only contiguous slices")
            return list(self.repository.records(self.start + first, self.start + last))
        if not -len(self) <= item < len(self):
            raise IndexError(item)
        return self[item : item + 1 or None][0]


class CatalogueRepository(Repository):
    """One library of a `SyntheticCatalogue`, as the provider's repository (read only)."""

    def __init__(self, catalogue: SyntheticCatalogue, library: int):
        super().__init__((), SECONDS)
        self.catalogue = catalogue
        self.library = library
        self.library_id = catalogue.libraries[library].id
        self.works = catalogue.plan[library]

    def _record(self, work_index: int) -> ProviderRecord:
        holders = self.catalogue.holders(work_index)
        xml = self.catalogue.record_xml(
            self.catalogue.work(work_index), self.library, holders.index(self.library)
        )
        return ProviderRecord(
            f"oai:{self.library_id}:{work_index}",
            BASE + timedelta(seconds=work_index),
            [],
            {"marc21": xml},
        )

    def records(self, start: int, stop: int) -> Iterator[ProviderRecord]:
        for work_index in self.works[start:stop]:
            yield self._record(work_index)

    def __iter__(self) -> Iterator[ProviderRecord]:
        return self.records(0, len(self.works))

    def earliest(self) -> datetime | None:
        return BASE + timedelta(seconds=self.works[0]) if self.works else None

    def prefixes(self) -> list[str]:
        return ["marc21"]

    def sets(self) -> list[str]:
        return []

    def get(self, identifier: str) -> ProviderRecord | None:
        prefix = f"oai:{self.library_id}:"
        number = identifier.removeprefix(prefix)
        if not identifier.startswith(prefix) or not number.isdigit():
            return None
        return self._record(int(number)) if locate(self.works, int(number)) is not None else None

    def select(self, prefix, start, end, set_spec) -> Sequence[ProviderRecord]:
        if prefix != "marc21" or set_spec is not None:
            return []
        low = 0 if start is None else self._position(start)
        high = len(self.works) if end is None else self._position(end + timedelta(seconds=1))
        return LazyRecords(self, low, high)

    def _position(self, moment: datetime) -> int:
        """Position of the first work stamped at or after `moment`."""
        seconds = int((moment - BASE).total_seconds())
        return bisect.bisect_left(self.works, max(0, seconds))


@contextmanager
def provider_process(works: int, libraries: int, seed: int) -> Iterator[dict]:
    """Start `python -m bench.provider` and yield its ready line: {"urls": ..., "records": N}."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.provider", "--works", str(works)]
        + ["--libraries", str(libraries), "--seed", str(seed)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the benchmark provider exited with {process.wait()}")
        yield json.loads(line)
    finally:
        process.stdin.close()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, required=True)
    parser.add_argument("--libraries", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--compress", action="store_true", help="gzip pages (default: off)")
    args = parser.parse_args()
    catalogue = SyntheticCatalogue(args.works, args.libraries, args.seed)
    with ExitStack() as stack:
        urls = {}
        for number, library in enumerate(catalogue.libraries):
            app = make_app(
                CatalogueRepository(catalogue, number),
                repository_name=library.name,
                page_size=PAGE_SIZE,
            )
            app[FAULTS].compress = args.compress
            urls[library.id] = stack.enter_context(serve(app))
        print(json.dumps({"urls": urls, "records": catalogue.record_count}), flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
