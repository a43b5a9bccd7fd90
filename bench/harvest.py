"""Harvest benchmark: OAI-PMH over loopback → mapping → work matching → index, records/s.

    python bench/harvest.py --works 10000 [--engine tantivy|elasticsearch] [--libraries 5]

A synthetic catalogue (bench/catalogue.py: real records from ../shared/data as templates,
Zipf-distributed words, ~35% of works held by several libraries) is served page by page by the
demo OAI-PMH provider in a separate process (bench/provider.py), and harvested by the real
harvester into the real catalogue (mapping, work matching, the engine). Prints the end-to-end
rate, the rate of only parsing the same pages (the floor), and the harvest process's memory:
sampled through the run and reported at 10%, 50% and 100% of the records, with the peak, to
show it does not grow with the number of records. Writes the figures as JSON beside the table.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.build import add_index_options  # noqa: E402
from bench.catalogue import SyntheticCatalogue  # noqa: E402
from bench.peers import ProfiledSink, dump_documents, sickle_rate  # noqa: E402
from bench.provider import PAGE_SIZE, provider_process  # noqa: E402
from bench.report import machine, print_table, write_json  # noqa: E402
from config.partners import Partner  # noqa: E402
from config.settings import Settings  # noqa: E402
from harvester.checkpoints import Checkpoints  # noqa: E402
from harvester.protocol import parse_list_page  # noqa: E402
from harvester.runner import harvest  # noqa: E402
from harvester.sink import SinkResult  # noqa: E402
from indexer.catalog import Catalog, open_state  # noqa: E402
from indexer.engines import open_engine  # noqa: E402

MILESTONES = (0.1, 0.5, 1.0)


def rss_mib(field_name: str = "VmRSS") -> float:
    """This process's resident memory (VmRSS), its peak so far (VmHWM), or the part of it
    that is the process's own (RssAnon: not pages of memory-mapped files), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class CountingSink:
    """The catalog, counting records as they are applied and noting memory at milestones."""

    catalog: Catalog
    expected: int
    applied: int = 0
    rss_at: dict[str, float] = field(default_factory=dict)
    anon_at: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    def prepare(self, partner, records):
        return self.catalog.prepare(partner, records)

    def apply(self, partner, records, run_id, prepared=None) -> SinkResult:
        result = self.catalog.apply(partner, records, run_id, prepared)
        self.applied += len(records)
        for share in MILESTONES:
            key = f"{share:.0%}"
            if key not in self.rss_at and self.applied >= share * self.expected:
                self.rss_at[key] = round(rss_mib(), 1)
                self.anon_at[key] = round(rss_mib("RssAnon"), 1)
        return result

    def sweep(self, partner, run_id) -> int:
        return self.catalog.sweep(partner, run_id)


class MemorySampler(threading.Thread):
    """RSS and RssAnon every `interval` seconds while the harvest runs (min and max tell
    flatness; tantivy's index files are memory-mapped, and their pages count in RSS)."""

    def __init__(self, interval: float = 0.5):
        super().__init__(daemon=True)
        self.interval = interval
        self.samples: list[float] = []
        self.anon_samples: list[float] = []
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.interval):
            self.samples.append(rss_mib())
            self.anon_samples.append(rss_mib("RssAnon"))

    def stop(self) -> list[float]:
        self._done.set()
        self.join()
        return self.samples


def _cpu_seconds() -> tuple[float, float]:
    """CPU time of this process and of its children that have ended (the mapping process,
    once the catalog is closed; the provider is still running, so it is not counted)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def parse_floor(catalogue: SyntheticCatalogue, limit: int = 50_000) -> float:
    """Records/s of only parsing the same records as OAI-PMH pages (up to `limit` records:
    the rate does not depend on how many). Pages are made one at a time, outside the clock."""
    parsed, spent = 0, 0.0
    for library in range(len(catalogue.libraries)):
        total = min(len(catalogue.plan[library]), limit - parsed)
        for start in range(0, total, PAGE_SIZE):
            records = catalogue.records_of(library, start, min(start + PAGE_SIZE, total))
            body = "".join(
                f"<record><header><identifier>oai:{n}</identifier><datestamp>2026-11-01T00:00:00Z"
                f"</datestamp></header><metadata>{xml}</metadata></record>"
                for n, xml in enumerate(records, start)
            )
            page = (
                f'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>{body}'
                "</ListRecords></OAI-PMH>"
            ).encode()
            began = time.perf_counter()
            parsed += len(parse_list_page(page, "bench").records)
            spent += time.perf_counter() - began
        if parsed >= limit:
            break
    return parsed / spent if spent else 0.0


def run(
    works: int,
    engine_kind: str,
    es_url: str = "",
    libraries: int = 5,
    seed: int = 1,
    *,
    peer: str = "",
    profile: Path | None = None,
    documents: Path | None = None,
) -> dict:
    """One harvest of `works` works; `peer` "sickle" also times sickle's ListRecords over the
    same provider (once before the harvest and once after), `profile` writes the apply
    thread's cProfile there (and prints its top), `documents` writes every work's index
    document there (JSON lines, by work id)."""
    es_index = f"fedcat-bench-harvest-{works}-{int(time.time())}"
    with tempfile.TemporaryDirectory() as tmp, provider_process(works, libraries, seed) as feed:
        partners = [Partner(lib, lib.title(), url) for lib, url in feed["urls"].items()]
        engine = open_engine(
            Settings(data_dir=Path(tmp), engine=engine_kind, es_url=es_url, es_index=es_index)
        )
        catalog = Catalog(
            open_state(Path(tmp) / "state.sqlite"), engine, {p.id: p.name for p in partners}
        )
        checkpoints = Checkpoints(Path(tmp) / "state.sqlite", reports_dir=Path(tmp) / "reports")
        sink = CountingSink(catalog, feed["records"])
        # the peer runs before and after the harvest: its rate moves with the machine's load
        before = sickle_rate(feed["urls"]) if peer == "sickle" else (0, 0.0)
        profiled = ProfiledSink(sink) if profile else None
        sampler = MemorySampler()
        rss_before = rss_mib()
        sampler.start()
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        report = asyncio.run(harvest(partners, profiled or sink, checkpoints))
        elapsed = time.perf_counter() - started
        catalog.close()  # the mapping process is reaped: its CPU time counts below
        own_cpu, mapping_cpu = (b - a for a, b in zip(cpu_before, _cpu_seconds(), strict=True))
        samples = sampler.stop()
        if profiled and profile:
            print(profiled.report(profile))
        if documents:
            dump_documents(catalog, documents)
        after = sickle_rate(feed["urls"]) if peer == "sickle" else (0, 0.0)
        # VmHWM is updated lazily by the kernel: never report less than was sampled
        peak = max(rss_mib("VmHWM"), *samples, *sink.rss_at.values())
        indexed_works = engine.count()
        engine.drop()
        engine.close()
    harvested = sum(p.records for p in report.partners)
    catalogue = SyntheticCatalogue(works, libraries, seed)
    rate = harvested / elapsed
    floor = parse_floor(catalogue)
    peer_figures = {}
    if peer:
        peer_records, peer_seconds = before[0] + after[0], before[1] + after[1]
        peer_rate = peer_records / peer_seconds if peer_seconds else 0.0
        peer_figures = {
            "peer": peer,
            "peer_records": peer_records,
            "peer_seconds": round(peer_seconds, 2),
            "peer_records_per_second_before_after": [
                round(n / t) if t else 0 for n, t in (before, after)
            ],
            "peer_records_per_second": round(peer_rate),
            "ratio_to_peer": round(rate / peer_rate, 2) if peer_rate else None,
        }
    return {
        "benchmark": "harvest",
        "engine": engine_kind,
        "works_generated": works,
        "works_held_by_several": catalogue.works_held_by_several(),
        "records": harvested,
        "works_indexed": indexed_works,
        "seconds": round(elapsed, 2),
        "records_per_second": round(rate),
        "parse_only_records_per_second": round(floor),
        "ratio_to_parse_floor": round(rate / floor, 3) if floor else None,
        "cpu_us_per_record": round((own_cpu + mapping_cpu) * 1e6 / max(harvested, 1)),
        "cpu_us_per_record_harvest_process": round(own_cpu * 1e6 / max(harvested, 1)),
        "cpu_us_per_record_mapping_process": round(mapping_cpu * 1e6 / max(harvested, 1)),
        **peer_figures,
        "rss_mib_before": round(rss_before, 1),
        "rss_mib_at": sink.rss_at,
        "rss_mib_sampled_min_max": [round(min(samples or [0]), 1), round(max(samples or [0]), 1)],
        "anon_mib_at": sink.anon_at,
        "anon_mib_sampled_min_max": [
            round(min(sampler.anon_samples or [0]), 1),
            round(max(sampler.anon_samples or [0]), 1),
        ],
        "peak_rss_mib": round(peak, 1),
        "ok": report.ok,
        "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_index_options(parser, works=10_000)
    parser.add_argument("--libraries", type=int, default=5)
    parser.add_argument("--json", type=Path, help="default bench/results/harvest-ENGINE-N.json")
    parser.add_argument(
        "--peer", choices=("sickle",), help="also time sickle's ListRecords over the provider"
    )
    parser.add_argument("--profile", type=Path, help="cProfile the apply thread into PATH")
    parser.add_argument("--documents", type=Path, help="write every work's document to PATH")
    args = parser.parse_args()
    result = run(
        args.works,
        args.engine,
        args.es_url,
        args.libraries,
        args.seed,
        peer=args.peer or "",
        profile=args.profile,
        documents=args.documents,
    )
    print_table(result)
    write_json(result, args.json or Path(f"bench/results/harvest-{args.engine}-{args.works}.json"))


if __name__ == "__main__":
    main()
