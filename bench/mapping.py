"""How long mapping the real records of ../shared/data takes, and what it gives.

Reads every Evergreen, pymarc and CJK MARC file once (reading is not timed), then maps each
record to a Record `--repeat` times with the real `marc_to_record`, and prints the best
time. `--dump PATH` writes every mapped record as JSON lines, so a change to the shared
cleaning (indexer/normalize.py) can be checked to give the same records as before:

    python -m bench.mapping --dump /tmp/before.jsonl
    ... change normalize.py ...
    python -m bench.mapping --dump /tmp/after.jsonl && cmp /tmp/before.jsonl /tmp/after.jsonl
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import time
from pathlib import Path

import pymarc

from config.partners import Partner
from indexer.marc import marc_to_record
from indexer.marc_readers import marc_records_from_file, marc_records_from_sql
from indexer.normalize import MappingError

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
PARTNER = Partner(id="bench", name="Bench Library", base_url="http://127.0.0.1:9/oai")
_SUFFIXES = (".mrc", ".marc", ".dat", ".xml", ".sql")


def shared_marc(root: Path = SHARED_DATA) -> list[tuple[str, pymarc.Record]]:
    """(file:position, record) for every MARC record the readers accept under `root`."""
    found: list[tuple[str, pymarc.Record]] = []
    for path in sorted(p for p in root.rglob("*") if p.suffix in _SUFFIXES):
        reader = marc_records_from_sql if path.suffix == ".sql" else marc_records_from_file
        try:
            records = list(reader(path))
        except Exception:  # noqa: BLE001 - not MARC (MODS, DC, ISO 20775 samples)
            continue
        name = str(path.relative_to(root))
        found.extend((f"{name}:{n}", record) for n, record in enumerate(records))
    return found


def map_all(records: list[tuple[str, pymarc.Record]]) -> list[dict]:
    mapped = []
    for key, marc in records:
        try:
            record = marc_to_record(marc, PARTNER, f"oai:bench:{key}", "2026-12-01")
        except MappingError as exc:
            mapped.append({"key": key, "error": str(exc)})
            continue
        mapped.append({"key": key, **dataclasses.asdict(record)})
    return mapped


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dump", type=Path)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    records = shared_marc()
    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        mapped = map_all(records)
        best = min(best, time.perf_counter() - start)
    print(
        f"{len(records)} records mapped in {best:.3f} s (best of {args.repeat}),"
        f" {best / len(records) * 1e6:.0f} µs a record"
    )
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as out:
            for row in mapped:
                out.write(json.dumps(row, ensure_ascii=False, sort_keys=True, default=str) + "\n")


if __name__ == "__main__":
    main()
