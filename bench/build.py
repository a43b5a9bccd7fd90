"""A search benchmark's index: N synthetic works in an engine, built once and reused.

The record store and the tantivy index are built from the generator (bench/catalogue.py)
through the same mapping, work matching and document code a harvest uses
(`marc_to_record` → `Catalog.add_records`), without the OAI-PMH round trip, which
bench/harvest.py measures. The Elasticsearch index is rebuilt from that store
(`Catalog.reindex`). Everything lives in bench/data/works-N-seed-S-libraries-L/ (not in git):
fedcat.sqlite, tantivy/, partners.toml, and catalogue.json (the term document frequencies
and facet values the query mix is chosen from).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from bench.catalogue import SyntheticCatalogue
from config.partners import Partner, load_registry
from config.settings import Settings
from indexer.catalog import Catalog, open_state
from indexer.engine import SearchEngine
from indexer.engines import open_engine
from indexer.marc import marc_to_record
from indexer.marc_tree import tree_record
from indexer.query import MatchAll, SearchRequest
from indexer.text import analyze

DATA = Path(__file__).resolve().parent / "data"
BATCH = 2000


@dataclass(frozen=True)
class BenchIndex:
    directory: Path
    engine: str
    es_url: str
    es_index: str
    works: int
    #: term statistics and facet values: {"title_df": {...}, "surnames": [...], ...}
    catalogue: dict
    #: FEDCAT_FACET_CACHE for what is measured: 0, every search counts its facets (as the
    #: figures before the cache did; a benchmark's repeated queries would all be kept)
    facet_cache: int = 0

    @property
    def partners_file(self) -> Path:
        return self.directory / "partners.toml"

    @property
    def settings(self) -> Settings:
        """What the app is given to serve this index (see `environment`)."""
        return Settings(
            data_dir=self.directory,
            engine=self.engine,
            es_url=self.es_url,
            es_index=self.es_index,
            partners_file=self.partners_file,
            facet_cache=self.facet_cache,
        )

    def open_engine(self) -> SearchEngine:
        return open_engine(self.settings)

    def environment(self) -> dict[str, str]:
        """The FEDCAT_* settings that make the app serve this index."""
        return {
            "FEDCAT_DATA_DIR": str(self.directory),
            "FEDCAT_ENGINE": self.engine,
            "FEDCAT_ES_URL": self.es_url,
            "FEDCAT_ES_INDEX": self.es_index,
            "FEDCAT_PARTNERS": str(self.partners_file),
            "FEDCAT_FACET_CACHE": str(self.facet_cache),
        }


def _partners(catalogue: SyntheticCatalogue) -> list[Partner]:
    return [
        Partner(lib.id, lib.name, f"http://127.0.0.1:9/{lib.id}/oai", location=lib.location)
        for lib in catalogue.libraries
    ]


def _registry(partners: list[Partner]) -> str:
    return "".join(
        f'[[partner]]\nid = "{p.id}"\nname = "{p.name}"\nbase_url = "{p.base_url}"\n'
        f'location = "{p.location}"\n\n'
        for p in partners
    )


def _build_store(catalogue: SyntheticCatalogue, directory: Path, log=print) -> dict:
    """Map every generated record into the store and the tantivy index; returns statistics."""
    partners = _partners(catalogue)
    engine = open_engine(Settings(data_dir=directory, engine="tantivy"))
    catalog = Catalog(
        open_state(directory / "fedcat.sqlite"), engine, {p.id: p.name for p in partners}
    )
    title_df: Counter[str] = Counter()
    surnames: Counter[str] = Counter()
    headings: Counter[str] = Counter()
    batch, started, done = [], time.perf_counter(), 0
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    seen_work = -1
    for library, work_index, xml in catalogue.all_records():
        if work_index != seen_work:
            seen_work = work_index
            work = catalogue.work(work_index)
            title_df.update(set(analyze(f"{work.title} {work.subtitle}")))
            surnames[work.author.split(",")[0]] += 1
            headings.update(work.subjects)
        marc = tree_record(etree.fromstring(xml.encode(), parser))
        identifier = f"oai:{partners[library].id}:{work_index}"
        batch.append(marc_to_record(marc, partners[library], identifier, "2026-11-01T00:00:00Z"))
        if len(batch) >= BATCH:
            catalog.add_records(batch, "bench")
            done += len(batch)
            batch = []
            if done % (BATCH * 25) == 0:
                log(f"  {done} records, {done / (time.perf_counter() - started):.0f}/s")
    catalog.add_records(batch, "bench")
    facets = engine.search(
        SearchRequest(MatchAll(), facets=("format", "language", "decade"), facet_size=20, limit=1)
    ).facets
    statistics = {
        "works": catalogue.works,
        "records": catalogue.record_count,
        "works_indexed": engine.count(),
        "build_seconds": round(time.perf_counter() - started, 1),
        "title_df": dict(title_df),
        "surnames": [s for s, _ in surnames.most_common(200)],
        "headings": [h for h, _ in headings.most_common(200)],
        "facet_values": {name: [v for v, _ in values] for name, values in facets.items()},
        "libraries": [lib.id for lib in catalogue.libraries],
    }
    engine.close()
    catalog.db.close()
    (directory / "partners.toml").write_text(_registry(partners))
    return statistics


def bench_index(
    works: int,
    engine: str,
    *,
    es_url: str = "",
    libraries: int = 5,
    seed: int = 1,
    data_dir: Path = DATA,
    es_prefix: str = "fedcat-bench",
    log=print,
) -> BenchIndex:
    """The benchmark index of `works` works in `engine`, built now unless already built
    (under `data_dir`; the Elasticsearch index is `es_prefix`-N-seed-S-libraries-L)."""
    directory = data_dir / f"works-{works}-seed-{seed}-libraries-{libraries}"
    stats_file = directory / "catalogue.json"
    if not stats_file.exists():
        log(f"building the record store and tantivy index of {works} works in {directory}")
        directory.mkdir(parents=True, exist_ok=True)
        stats = _build_store(SyntheticCatalogue(works, libraries, seed), directory, log)
        stats_file.write_text(json.dumps(stats))
    stats = json.loads(stats_file.read_text())
    es_index = directory.name.replace("works", es_prefix, 1)
    index = BenchIndex(directory, engine, es_url, es_index, works, stats)
    if engine == "elasticsearch":
        _ensure_es(index, log)
    return index


def _ensure_es(index: BenchIndex, log) -> None:
    """Fill the Elasticsearch index from the record store unless it already holds the works."""
    engine = index.open_engine()
    if engine.count() == index.catalogue["works_indexed"]:
        engine.close()
        return
    log(f"indexing {index.catalogue['works_indexed']} works into Elasticsearch {index.es_index}")
    started = time.perf_counter()
    names = {p.id: p.name for p in load_registry(index.partners_file)}
    catalog = Catalog(open_state(index.directory / "fedcat.sqlite"), engine, names)
    catalog.reindex()
    log(f"  done in {time.perf_counter() - started:.0f} s")
    engine.close()
    catalog.db.close()


def add_index_options(parser: argparse.ArgumentParser, works: int = 100_000) -> None:
    """The options every benchmark shares: how many works, which engine, where ES is, seed."""
    parser.add_argument("--works", type=int, default=works)
    parser.add_argument("--engine", default="tantivy", choices=("tantivy", "elasticsearch"))
    parser.add_argument(
        "--es-url", default=os.environ.get("FEDCAT_ES_URL", "http://127.0.0.1:9200")
    )
    parser.add_argument("--seed", type=int, default=1)
