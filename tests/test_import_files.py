"""`fedcat import PARTNER FILE...`: a partner's files get what a harvest gets (mapping,
checkpoints, resumption after kill -9, the full run's sweep under the removal guard)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pymarc
import pytest

from tests.fixtures.harvest_cli import Installation, kill_9, wait_for_checkpoints, write_registry
from tests.fixtures.paths import SHARED_DATA

JAZZ = SHARED_DATA / "evergreen/jazz_1k.mrc"


def installation(root: Path) -> Installation:
    root.mkdir(parents=True, exist_ok=True)
    registry = write_registry(root / "partners.toml", {"north": "http://127.0.0.1:9/oai"})
    return Installation(root / "data", "tantivy", registry)


def marc_file(path: Path, records: list[pymarc.Record]) -> Path:
    path.write_bytes(b"".join(r.as_marc() for r in records))
    return path


def jazz(count: int) -> list[pymarc.Record]:
    records = []
    for record in pymarc.MARCReader(JAZZ.open("rb"), to_unicode=True, force_utf8=True):
        if record is not None and record.get("001") is not None:
            records.append(record)
        if len(records) == count:
            return records
    return records


def titles(site: Installation) -> dict[str, str]:
    """Identifier -> title of every record the import stored, from the engine's works."""
    found = {}
    for payload in site.documents().values():
        for record in payload["records"]:
            found[record["identifier"]] = payload["title"]
    return found


def test_import_killed_mid_run_then_rerun_leaves_the_same_index_as_one_run(tmp_path):
    reference = installation(tmp_path / "reference")
    code, output = reference.run("import", "north", str(JAZZ), "--quiet", "--batch-size", "10")
    assert code == 0, output

    interrupted = installation(tmp_path / "interrupted")
    process = interrupted.start("import", "north", str(JAZZ), "--quiet", "--batch-size", "10")
    wait_for_checkpoints(interrupted, process, at_least=150)
    kill_9(process)
    assert process.returncode != 0
    assert 150 <= len(interrupted.checkpointed()) < 1000
    code, output = interrupted.run("import", "north", str(JAZZ), "--quiet", "--batch-size", "10")
    assert code == 0, output
    assert "resumed" in output or "complete" in output

    assert interrupted.stored() == reference.stored()
    assert len(reference.stored()) >= 990
    assert interrupted.documents() == reference.documents()
    assert interrupted.store_documents() == reference.store_documents()


@pytest.mark.parametrize(
    "source, text",
    [
        ("pymarc-test/marc8.dat", "communauté"),  # MARC-8 bytes, leader/09 blank
        ("pymarc-test/utf8_without_leader_flag.dat", "communauté"),  # UTF-8, leader says MARC-8
        ("pymarc-test/batch.xml", "The Great Ray Charles"),  # MARCXML collection
        ("cjk/dp2-bnu-sru/sample_cnmarcxml.xml", "中国发展报告"),  # CNMARC in an SRU answer
        ("cjk/dp2-bnu-sru/sample_unimarcxml.xml", "中国发展报告"),  # UNIMARC namespace
        ("cjk/dp2-bnu-sru/sample_mods.xml", "中国发展报告"),  # MODS
    ],
)
def test_each_kind_of_file_is_imported_with_its_text_intact(tmp_path, source, text):
    site = installation(tmp_path)
    code, output = site.run("import", "north", str(SHARED_DATA / source), "--quiet")
    assert code == 0, output
    documents = site.documents()
    identifiers = [r["identifier"] for p in documents.values() for r in p["records"]]
    assert identifiers and all(i.startswith("file:") for i in identifiers)
    assert all(p["holdings"][0]["library_id"] == "north" for p in documents.values())
    dumped = unicodedata.normalize("NFC", json.dumps(list(documents.values()), ensure_ascii=False))
    assert text in dumped
    assert "Ã" not in dumped  # no UTF-8 read as Latin-1


def test_a_newer_file_replaces_records_and_full_removes_what_it_no_longer_has(tmp_path):
    site = installation(tmp_path)
    records = jazz(30)
    first = marc_file(tmp_path / "export-1.mrc", records)
    assert site.run("import", "north", str(first), "--quiet")[0] == 0
    assert len(site.stored()) == 30

    changed = pymarc.Record(data=records[0].as_marc(), force_utf8=True)
    changed["245"]["a"] = "A retitled jazz record"
    newer = marc_file(tmp_path / "export-2.mrc", [changed, *records[1:28]])
    code, output = site.run("import", "north", str(newer), "--full", "--quiet")
    assert code == 0, output
    found = titles(site)
    assert len(found) == 28
    assert found[f"file:{records[0]['001'].data.strip()}"] == "A retitled jazz record"
    assert f"file:{records[29]['001'].data.strip()}" not in found


def test_a_full_import_that_would_remove_too_much_is_held_until_confirmed(tmp_path):
    site = installation(tmp_path)
    records = jazz(30)
    assert site.run("import", "north", str(marc_file(tmp_path / "a.mrc", records)))[0] == 0
    short = marc_file(tmp_path / "short.mrc", records[:10])
    code, output = site.run("import", "north", str(short), "--full", "--quiet")
    assert code != 0 and "--allow-removal" in output
    assert len(site.stored()) == 30  # nothing removed
    code, output = site.run("import", "north", str(short), "--full", "--allow-removal", "--quiet")
    assert code == 0, output
    assert len(site.stored()) == 10


def test_a_file_that_is_neither_marc_nor_mods_is_a_clear_error(tmp_path):
    site = installation(tmp_path)
    junk = tmp_path / "notes.txt"
    junk.write_text("these are not records\n", encoding="utf-8")
    code, output = site.run("import", "north", str(junk))
    assert code != 0 and "neither ISO 2709 MARC nor XML" in output and "Traceback" not in output
    mixed = [
        str(SHARED_DATA / "pymarc-test/batch.xml"),
        str(SHARED_DATA / "cjk/dp2-bnu-sru/sample_mods.xml"),
    ]
    code, output = site.run("import", "north", *mixed)
    assert code != 0 and "separate runs" in output
