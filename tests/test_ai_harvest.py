"""Suggestions after a harvest (FEDCAT_AI_AFTER_HARVEST=on): the real `fedcat harvest` of real
MARC records from a loopback OAI-PMH partner, some quick-catalogued (no 6xx)."""

from __future__ import annotations

import copy
import re
from datetime import timedelta

from demo.oai_provider import ProviderRecord, make_app, marcxml, serve
from tests.fixtures.harvest_cli import Installation, write_registry
from tests.fixtures.oai_faults import BASE_TIME, _marc_file, marc_records

SUBJECT_TAGS = ("600", "610", "611", "630", "650", "651", "655")


def quick_catalogued(count: int, start: int = 600) -> list[ProviderRecord]:
    """Real jazz records with their subject fields taken off, as a library's feed."""
    records = []
    for n, original in enumerate(_marc_file("jazz_1k.mrc")[start : start + count]):
        record = copy.deepcopy(original)
        record.remove_fields(*SUBJECT_TAGS)
        records.append(
            ProviderRecord(
                identifier=f"oai:north.test:quick-{n}",
                datestamp=BASE_TIME + timedelta(days=30, minutes=n),
                sets=["all"],
                metadata={"marc21": marcxml(record)},
            )
        )
    return records


def _looked_at(output: str) -> int:
    found = re.search(r"(\d+) works without catalogued subjects looked at", output)
    assert found, output
    return int(found.group(1))


def test_a_harvest_suggests_for_new_works_without_subjects_once_opted_in(tmp_path):
    registry = tmp_path / "p.toml"
    feed = marc_records(120)
    with serve(make_app(feed, repository_name="North", page_size=50)) as url:
        installation = Installation(
            tmp_path / "data", "tantivy", write_registry(registry, {"north": url})
        )
        status, output = installation.run("harvest", "--quiet", FEDCAT_AI_AFTER_HARVEST="on")
        assert status == 0, output
        assert "subject suggestions: no model yet (fedcat ai train)" in output
        status, output = installation.run("ai", "train")
        assert status == 0, output
        before = _looked_at(installation.run("ai", "suggest")[1])
        status, output = installation.run("harvest", "--quiet")
        assert status == 0 and "subject suggestions" not in output, output  # off by default

    # the partner adds quick-catalogued recordings
    grown = [*feed, *quick_catalogued(5)]
    with serve(make_app(grown, repository_name="North", page_size=50)) as url:
        write_registry(registry, {"north": url})
        status, output = installation.run("harvest", "--quiet", FEDCAT_AI_AFTER_HARVEST="on")
        assert status == 0, output
        assert _looked_at(output) == 5  # only the new ones: the model saw the rest
        status, output = installation.run("harvest", "--quiet", FEDCAT_AI_AFTER_HARVEST="on")
        assert _looked_at(output) == 0
    documents = installation.documents()
    quick = [d for d in documents.values() if not d["subjects"]]
    assert len(quick) == before + 5
    assert sum(bool(d["suggested_subjects"]) for d in quick) >= 3
