"""The harvest's mapping process: the same records as mapping in process, and it never
outlives the harvest that started it (kill -9 included)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lxml import etree

from config.partners import Partner
from config.settings import Settings
from harvester.sink import HarvestedRecord
from indexer.catalog import Catalog, open_state
from indexer.engines import open_engine
from tests.fixtures.oai_faults import marc_records

REPO = Path(__file__).resolve().parent.parent
NORTH = Partner("north", "North City Library", "http://127.0.0.1:9/oai")
UNTITLED = (
    '<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 a 4500</leader>'
    '<controlfield tag="001">x1</controlfield><datafield tag="100" ind1="1" ind2=" ">'
    '<subfield code="a">Nobody</subfield></datafield></record>'
)


def batch() -> list[HarvestedRecord]:
    """30 real MARC records as harvested, one without a title, one deletion, one twice."""
    feed = marc_records(30)
    records = [
        HarvestedRecord(
            r.identifier, str(r.datestamp), False, etree.fromstring(r.metadata["marc21"])
        )
        for r in feed
    ]
    records.append(
        HarvestedRecord("oai:north.test:untitled", "2025-01-01", False, etree.fromstring(UNTITLED))
    )
    records.append(HarvestedRecord("oai:north.test:gone", "2025-01-01", True, None))
    records.append(records[3])
    return records


def stored(tmp_path: Path, name: str, mapping_process: bool) -> tuple[list, list, bool]:
    directory = tmp_path / name
    engine = open_engine(Settings(data_dir=directory, engine="tantivy"))
    catalog = Catalog(
        open_state(directory / "state.sqlite"),
        engine,
        {"north": "North"},
        mapping_process=mapping_process,
    )
    records = batch()
    prepared = catalog.prepare(NORTH, records)
    result = catalog.apply(NORTH, records, "run-1", prepared)
    rows = catalog.db.execute(
        "SELECT record_key, work_id, merged_by, data, evidence FROM records ORDER BY 1"
    ).fetchall()
    catalog.close()
    engine.close()
    return rows, [(r.identifier, r.reason) for r in result.rejected], prepared is not None


def test_a_batch_mapped_in_the_mapping_process_is_stored_as_one_mapped_in_process(tmp_path):
    in_process, rejected_here, prepared_here = stored(tmp_path, "here", False)
    in_worker, rejected_there, prepared_there = stored(tmp_path, "there", True)
    assert (prepared_here, prepared_there) == (False, True)
    assert len(in_process) == 30
    assert in_worker == in_process
    assert rejected_there == rejected_here
    assert [identifier for identifier, _ in rejected_there] == ["oai:north.test:untitled"]
    assert "no title" in rejected_there[0][1]


def ended(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status  # exited, waiting for whoever adopted it to reap it


def test_the_mapping_process_ends_when_its_harvest_is_killed():
    script = (
        "import sys, time\n"
        "from indexer.mapping_process import MappingProcess\n"
        "worker = MappingProcess()\n"
        "worker.map(None, [])\n"
        "print(worker._process.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    harvest = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    worker = int(harvest.stdout.readline())
    assert not ended(worker)
    os.kill(harvest.pid, signal.SIGKILL)
    harvest.wait()
    deadline = time.monotonic() + 15
    while not ended(worker):
        assert time.monotonic() < deadline, "the mapping process outlived its harvest"
        time.sleep(0.05)
