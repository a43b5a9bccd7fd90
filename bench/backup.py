"""How long `fedcat backup` and `fedcat restore` take on the demo libraries' data.

    python bench/backup.py [--engine tantivy] [--es-url URL] [--copies 1]

The demo libraries' real records (demo/partners.py) are loaded into a fresh data directory
(`--copies N` loads them N times under other identifiers, for a bigger store), then backed up
(fedcat.backup.backup) and restored onto a fresh directory with the index rebuilt (what
`fedcat restore` does). Prints the store's size and the seconds of each step.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import machine  # noqa: E402
from config.partners import Partner  # noqa: E402
from config.settings import Settings  # noqa: E402
from demo.partners import LIBRARIES, library_records  # noqa: E402
from fedcat.backup import backup, restore_files  # noqa: E402
from indexer.catalog import Catalog, open_state  # noqa: E402
from indexer.engines import open_engine  # noqa: E402
from indexer.marc import marc_to_record  # noqa: E402
from indexer.model import Record  # noqa: E402
from indexer.normalize import MappingError  # noqa: E402

NAMES = {library.id: library.name for library in LIBRARIES}


def demo_records(copies: int) -> list[Record]:
    logging.getLogger("pymarc").setLevel(logging.ERROR)
    records = []
    for library in LIBRARIES:
        partner = Partner(library.id, library.name, "http://127.0.0.1:9/oai")
        for demo in library_records(library):
            for copy in range(copies):
                identifier = demo.identifier if copy == 0 else f"{demo.identifier}-{copy}"
                try:
                    records.append(marc_to_record(demo.record, partner, identifier, "2026-12-01"))
                except MappingError:
                    break
    return records


def _catalog(settings: Settings) -> Catalog:
    return Catalog(open_state(settings.state_db), open_engine(settings), NAMES)


def run(engine: str = "tantivy", es_url: str = "", copies: int = 1) -> dict:
    with tempfile.TemporaryDirectory(prefix="fedcat-bench-backup-") as root:
        index = f"fedcat-bench-backup-{uuid.uuid4().hex[:8]}"
        source = Settings(
            data_dir=Path(root) / "data", engine=engine, es_url=es_url, es_index=index
        )
        catalog = _catalog(source)
        records = demo_records(copies)
        catalog.add_records(records)
        began = time.perf_counter()
        manifest = backup(source.data_dir, Path(root) / "backup")
        backed_up = time.perf_counter() - began
        target = replace(source, data_dir=Path(root) / "restored", es_index=f"{index}-restored")
        began = time.perf_counter()
        restore_files(Path(root) / "backup", target.data_dir)
        copied = time.perf_counter() - began
        restored = _catalog(target)
        works = restored.reindex()
        restore_seconds = time.perf_counter() - began
        for each in (catalog, restored):
            each.engine.drop()
            each.engine.close()
            each.db.close()
    return {
        "engine": engine,
        "records": len(records),
        "works": works,
        "files": len(manifest.files),
        "megabytes": round(sum(f.size for f in manifest.files) / 1e6, 1),
        "backup_seconds": round(backed_up, 2),
        "restore_copy_seconds": round(copied, 2),
        "restore_seconds": round(restore_seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="tantivy", choices=("tantivy", "elasticsearch"))
    parser.add_argument("--es-url", default="http://127.0.0.1:9200")
    parser.add_argument("--copies", type=int, default=1)
    args = parser.parse_args()
    result = run(args.engine, args.es_url, args.copies)
    print(f"machine: {machine()}")
    print("| engine | records | works | files | MB | backup s | restore (copy) s | restore s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| {result['engine']} | {result['records']} | {result['works']} | {result['files']} "
        f"| {result['megabytes']} | {result['backup_seconds']} | "
        f"{result['restore_copy_seconds']} | {result['restore_seconds']} |"
    )


if __name__ == "__main__":
    main()
