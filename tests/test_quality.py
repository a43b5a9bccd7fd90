"""Metadata quality per partner: shares measured from the record store at the end of each
run, kept in the run report, refusals counted by reason, and a drop between runs flagged by
`fedcat health` (real MARC records harvested by the real CLI from a loopback partner)."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

from demo.oai_provider import REPOSITORY, ProviderRecord, make_app, marcxml, serve
from harvester.health import RunSummary, quality_flags
from harvester.report import reject_reason
from indexer.quality import SHARES, partner_quality
from tests.fixtures.builders import embedded_catalog, record
from tests.fixtures.harvest_cli import Installation, write_registry
from tests.fixtures.oai_faults import _marc_file, marc_records

SUBJECT_TAGS = ("600", "610", "611", "630", "648", "650", "651", "653", "655")


def test_shares_count_each_partners_records_and_holdings(tmp_path):
    with embedded_catalog(tmp_path, {"north": "North", "south": "South"}) as catalog:
        catalog.add_records(
            [
                record("north", "1", "Kind of blue", isbns=("9780306406157",), year=1959,
                       subjects=("Jazz",), call_number="ML 1"),
                record("north", "2", "Giant steps", year=1960, language="", status="unknown"),
                record("north", "3", "Mingus ah um", subjects=("Jazz",), call_number="ML 3"),
                record("north", "4", "Time out", language="", status="unknown"),
                record("south", "1", "Kind of blue", isbns=("9780306406157",), year=1959),
            ]
        )  # fmt: skip
        north = partner_quality(catalog.db, "north")
        assert north.shares() == {
            "identifiers": 0.25,
            "subjects": 0.5,
            "language": 0.5,
            "year": 0.5,
            "call_numbers": 0.5,
            "statuses": 0.5,
        }
        assert set(north.shares()) == set(SHARES)
        assert partner_quality(catalog.db, "south").to_dict()["records"] == 1
        assert partner_quality(catalog.db, "west").shares() == {}  # no records: no shares


def test_a_refusals_reason_leaves_out_the_record_it_names():
    assert reject_reason("oai:n:7: MARC record has no title (245)", "oai:n:7") == (
        "MARC record has no title (245)"
    )
    assert reject_reason("record oai:x:1 has no metadata") == "record has no metadata"


def _run(run_id: str, shares: dict[str, float]) -> RunSummary:
    quality = {"records": 10, "holdings": 10, "shares": shares}
    return RunSummary(run_id, "", "full", 10, 0, 0, 0, 1.0, "complete", 1.0, quality)


def test_a_drop_is_flagged_against_the_best_recent_run_and_a_small_one_is_not():
    runs = [
        _run(run_id, {"subjects": share}) for run_id, share in (("a", 0.9), ("b", 0.8), ("c", 0.6))
    ]
    assert quality_flags(runs, 0.2) == [
        "quality drop: subjects 90% -> 60% (more than FEDCAT_QUALITY_DROP=0.2)"
    ]
    assert quality_flags(runs[1:], 0.2) == []  # 0.8 -> 0.6 is the threshold, not past it
    assert quality_flags(runs, 0.5) == []
    lost_holdings = [_run("a", {"year": 1.0, "call_numbers": 1.0}), _run("b", {"year": 1.0})]
    assert quality_flags(lost_holdings, 0.2)[0].startswith("quality drop: call_numbers 100% -> 0%")


def _stripped(provider_record: ProviderRecord, n: int, marc) -> ProviderRecord:
    """The same record sent again later without its subject headings."""
    bare = copy.deepcopy(marc)
    bare.remove_fields(*SUBJECT_TAGS)
    return ProviderRecord(
        provider_record.identifier,
        provider_record.datestamp + timedelta(days=30, minutes=n),  # type: ignore[operator]
        provider_record.sets,
        {"marc21": marcxml(bare)},
    )


def test_fedcat_health_reports_quality_and_flags_a_partner_whose_export_loses_subjects(
    tmp_path,
):
    feed = marc_records(40, library="north")
    untitled = copy.deepcopy(_marc_file("jazz_1k.mrc")[40])
    untitled.remove_fields("245", "130", "240", "246")
    feed.append(ProviderRecord("oai:north.test:untitled", feed[-1].datestamp, ["all"],
                               {"marc21": marcxml(untitled)}))  # fmt: skip
    app = make_app(feed, repository_name="North", page_size=10)
    with serve(app) as url:
        installation = Installation(
            tmp_path / "data", "tantivy", write_registry(tmp_path / "p.toml", {"north": url})
        )
        status, output = installation.run("harvest", "--quiet")
        assert status == 0, output  # a refused record is a problem of the run, not a failure
        status, output = installation.run("health", "--json")
        assert status == 0, output
        (north,) = json.loads(output)
        quality = north["quality"]
        assert quality["records"] == 40 and quality["holdings"] >= 40
        assert quality["rejected"] == {"MARC record has no title (245/130/240/246)": 1}
        assert quality["shares"]["subjects"] > 0.5 and quality["shares"]["year"] > 0.9
        assert north["recent"][-1]["quality"]["shares"] == quality["shares"]  # kept per run

        marc = _marc_file("jazz_1k.mrc")
        for n, provider_record in enumerate(feed[:40]):
            app[REPOSITORY].put(_stripped(provider_record, n, marc[n]))
        status, output = installation.run("harvest", "--quiet")
        assert status == 0, output  # the untitled record comes again, and is refused again
        status, output = installation.run("health")
    assert status == 1, output
    assert "quality (40 records, " in output and "subjects 0%" in output
    assert "rejected in recent runs: 2 × MARC record has no title (245/130/240/246)" in output
    assert "FLAG quality drop: subjects" in output and "-> 0%" in output
    assert "FLAG quality drop: year" not in output  # what the export kept is not flagged
