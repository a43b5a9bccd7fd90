"""MARC-8 that cannot be trusted (`indexer.marc8`): a record whose MARC-8 pymarc cannot decode
is refused with the reason in the partner's report and the rest of the file kept; MARC-8
escape sequences left inside a UTF-8 record are decoded, not indexed as words of `!Q5!Nt`."""

from __future__ import annotations

import json
import logging

import pymarc
import pytest

from indexer.marc_readers import marc_records_from_file
from tests.fixtures.harvest_cli import Installation, write_registry
from tests.fixtures.paths import SHARED_DATA

#: real MARC-8 records with an EACC character cut short (a triple that runs past its
#: subfield, or holds the delimiter byte); their UTF-8 twins are u2103.mrc and marc12.xml
BROKEN_EACC = [
    "cjk/stanford-solrmarc-sw/u2103_raw.mrc",
    "cjk/yaz/marc12.marc",
    "pymarc-test/bad_eacc_encoding.dat",
]
GOOD = SHARED_DATA / "cjk/stanford-solrmarc-sw/u2103.mrc"
#: the MARC-8 of 于倬雲主編 as u2103_raw.mrc has it in 880 $c, escape back to ASCII included
EACC_CREATORS = "\x1b$1!0R!ff!_T!09!Q[\x1b(B ; ["


@pytest.mark.parametrize("name", BROKEN_EACC)
def test_a_record_with_undecodable_marc8_is_refused_with_its_reason(name, caplog):
    with caplog.at_level(logging.WARNING, logger="indexer.marc_readers"):
        assert list(marc_records_from_file(SHARED_DATA / name)) == []
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and "MARC-8 that cannot be decoded" in said[0]
    assert "Multi-byte position" in said[0] and "record #1 (" in said[0]


def test_the_utf8_twin_of_a_refused_record_is_read_whole():
    (record,) = marc_records_from_file(GOOD)
    assert "紫禁城宮殿" in record.get("880")["a"]


def test_an_import_keeps_the_good_records_and_reports_the_refused_one(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    registry = write_registry(root / "partners.toml", {"north": "http://127.0.0.1:9/oai"})
    site = Installation(root / "data", "tantivy", registry)
    mixed = tmp_path / "mixed.mrc"
    mixed.write_bytes((SHARED_DATA / BROKEN_EACC[1]).read_bytes() + GOOD.read_bytes())
    code, output = site.run("import", "north", str(mixed), "--quiet")
    assert code == 0, output
    documents = site.documents()
    titles = [p["title"] for p in documents.values()]
    assert len(titles) == 1 and "紫禁城宮殿" in titles[0]
    reports = [json.loads(p.read_text()) for p in (root / "data").rglob("reports/*.json")]
    assert reports
    problems = [line for report in reports for line in json.dumps(report).split('", "')]
    assert any("on1183349983" in p and "MARC-8 that cannot be decoded" in p for p in problems)


def _utf8_record_with(value: str) -> bytes:
    record = pymarc.Record(force_utf8=True)
    record.leader = pymarc.Leader("00000nam a2200000 a 4500")
    record.add_field(pymarc.Field("001", data="x1"))
    record.add_field(
        pymarc.Field(
            "245",
            pymarc.Indicators("0", "0"),
            [pymarc.Subfield("a", "Zi jin cheng gong dian /"), pymarc.Subfield("c", value)],
        )
    )
    return record.as_marc()


def test_marc8_left_in_a_utf8_record_is_decoded_and_reported(tmp_path, caplog):
    path = tmp_path / "left.mrc"
    path.write_bytes(_utf8_record_with(EACC_CREATORS))
    with caplog.at_level(logging.WARNING, logger="indexer.marc_readers"):
        (record,) = marc_records_from_file(path)
    assert record.get("245")["c"] == "于倬雲主編 ; ["
    (said,) = [r.getMessage() for r in caplog.records]
    assert "repaired record #1 (x1)" in said and "245 $c" in said and "于倬雲主編" in said


def test_marc8_left_in_a_utf8_record_that_cannot_be_decoded_is_left_out(tmp_path, caplog):
    path = tmp_path / "left.mrc"
    path.write_bytes(_utf8_record_with("Yu \x1b$1!Q5!N\x1b(B zhu bian"))  # a triple cut short
    with caplog.at_level(logging.WARNING, logger="indexer.marc_readers"):
        (record,) = marc_records_from_file(path)
    assert record.get("245")["c"] == "Yu  zhu bian"
    (said,) = [r.getMessage() for r in caplog.records]
    assert "cannot decode, left out" in said


def test_reading_utf8_records_writes_nothing_to_stderr(capfd):
    list(marc_records_from_file(GOOD))
    assert capfd.readouterr().err == ""


def test_the_shared_eacc_traps_are_all_the_files_refused(caplog):
    """No other real MARC-8 record in ../shared/data is refused (the rule is not too eager)."""
    refused = []
    paths = sorted([*SHARED_DATA.rglob("*.mrc"), *SHARED_DATA.rglob("*.marc")])
    for path in paths:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="indexer.marc_readers"):
            list(marc_records_from_file(path))
        if any("MARC-8 that cannot be decoded" in r.getMessage() for r in caplog.records):
            refused.append(str(path.relative_to(SHARED_DATA)))
    assert len(paths) > 20
    assert sorted(refused) == sorted(n for n in BROKEN_EACC if n.endswith((".mrc", ".marc")))
