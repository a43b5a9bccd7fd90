"""Harvest benchmark: OAI-PMH over loopback → mapping → work matching → index, records/s.

    .venv/bin/python bench/harvest.py --records 10000 [--engine tantivy|elasticsearch]

Builds a synthetic catalogue from the real records in ../shared/data (titles and ids varied so
each copy is its own title; about 30% of titles are also held by a second library), serves it
from the demo OAI-PMH provider on 127.0.0.1, harvests it with the real harvester into the real
catalogue, and prints: end-to-end rate, the rate of only parsing the same pages (the floor),
and the process's peak memory. Writes the figures as JSON beside the table.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import pymarc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.partners import Partner  # noqa: E402
from demo.oai_provider import ProviderRecord, make_app, marcxml, serve  # noqa: E402
from demo.partners import SHARED_DATA  # noqa: E402
from harvester.checkpoints import Checkpoints  # noqa: E402
from harvester.protocol import parse_list_page  # noqa: E402
from harvester.runner import harvest  # noqa: E402
from indexer.catalog import Catalog, open_state  # noqa: E402
from indexer.engines import open_engine  # noqa: E402
from indexer.marc import marc_records_from_file  # noqa: E402

LIBRARIES = ("alpha", "beta", "gamma")


def synthetic_catalogues(count: int) -> dict[str, list[ProviderRecord]]:
    """`count` records spread over three libraries, ~30% of titles held twice."""
    base = list(marc_records_from_file(SHARED_DATA / "evergreen" / "jazz_1k.mrc"))
    base += list(marc_records_from_file(SHARED_DATA / "evergreen" / "lul_fre_500.mrc"))
    catalogues: dict[str, list[ProviderRecord]] = {lib: [] for lib in LIBRARIES}
    made = 0
    title_no = 0
    while made < count:
        source = base[title_no % len(base)]
        record = copy.deepcopy(source)
        record.remove_fields("001", "020")
        for field in record.get_fields("245"):
            field.add_subfield("n", f"no. {title_no}")
        holders = [LIBRARIES[title_no % 3]]
        if title_no % 10 < 3:
            holders.append(LIBRARIES[(title_no + 1) % 3])
        for library in holders:
            if made >= count:
                break
            record.add_ordered_field(pymarc.Field(tag="001", data=f"{library}-{title_no}"))
            xml = marcxml(record)
            record.remove_fields("001")
            catalogues[library].append(
                ProviderRecord(
                    f"oai:{library}:{title_no}", "2026-11-01T00:00:00Z", [], {"marc21": xml}
                )
            )
            made += 1
        title_no += 1
    return catalogues


def parse_floor(catalogues, page_size: int = 500) -> float:
    """Records/s of parsing the same MARCXML as OAI-PMH pages, with nothing else."""
    records = [r for recs in catalogues.values() for r in recs]
    pages = []
    for start in range(0, len(records), page_size):
        body = "".join(
            f"<record><header><identifier>{r.identifier}</identifier><datestamp>2026-11-01</datestamp>"
            f"</header><metadata>{r.metadata['marc21']}</metadata></record>"
            for r in records[start : start + page_size]
        )
        pages.append(
            f'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>{body}</ListRecords></OAI-PMH>'.encode()
        )
    started = time.perf_counter()
    for page in pages:
        parse_list_page(page, "bench")
    return len(records) / (time.perf_counter() - started)


def run(count: int, engine_kind: str, es_url: str) -> dict:
    catalogues = synthetic_catalogues(count)
    floor = parse_floor(catalogues)
    with tempfile.TemporaryDirectory() as tmp, _servers(catalogues) as urls:
        partners = [
            Partner(lib, lib.title(), url) for lib, url in zip(LIBRARIES, urls, strict=True)
        ]
        engine = open_engine(
            engine_kind,
            index_dir=Path(tmp) / "index",
            es_url=es_url,
            es_index=f"fedcat-bench-{int(time.time())}",
        )
        catalog = Catalog(
            open_state(Path(tmp) / "state.sqlite"), engine, {p.id: p.name for p in partners}
        )
        checkpoints = Checkpoints(Path(tmp) / "state.sqlite", reports_dir=Path(tmp) / "reports")
        started = time.perf_counter()
        report = asyncio.run(harvest(partners, catalog, checkpoints, concurrency=3))
        elapsed = time.perf_counter() - started
        works = engine.count()
        if engine_kind == "elasticsearch":
            engine.client.indices.delete(index=engine.index, ignore_unavailable=True)
        engine.close()
    harvested = sum(p.records for p in report.partners)
    return {
        "engine": engine_kind,
        "records": harvested,
        "works": works,
        "seconds": round(elapsed, 2),
        "records_per_second": round(harvested / elapsed),
        "parse_only_records_per_second": round(floor),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "ok": report.ok,
    }


class _servers:
    def __init__(self, catalogues):
        self.catalogues = catalogues
        self.contexts = []

    def __enter__(self):
        urls = []
        for library, records in self.catalogues.items():
            context = serve(make_app(records, repository_name=library, page_size=500))
            self.contexts.append(context)
            urls.append(context.__enter__())
        return urls

    def __exit__(self, *exc):
        for context in self.contexts:
            context.__exit__(*exc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--engine", default="tantivy", choices=("tantivy", "elasticsearch"))
    parser.add_argument("--es-url", default="http://127.0.0.1:9200")
    parser.add_argument("--json", type=Path, default=Path("bench/results/harvest.json"))
    args = parser.parse_args()
    result = run(args.records, args.engine, args.es_url)
    for key, value in result.items():
        print(f"{key:<32} {value}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
