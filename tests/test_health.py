"""`fedcat health` from the run history: real harvests of real MARC records from a loopback
OAI-PMH partner, then failures; the flags and the exit code monitoring reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from demo.oai_provider import FAULTS, REPOSITORY, make_app, serve
from harvester.checkpoints import Checkpoints
from harvester.health import partner_health
from tests.fixtures.harvest_cli import Installation, write_registry
from tests.fixtures.oai_faults import marc_records


def test_health_shows_the_history_and_flags_a_failing_then_stale_partner(tmp_path):
    app = make_app(marc_records(30), repository_name="North", page_size=10)
    with serve(app) as url:
        installation = Installation(
            tmp_path / "data", "tantivy", write_registry(tmp_path / "p.toml", {"north": url})
        )
        for _ in range(2):
            status, output = installation.run("harvest", "--quiet", "--full")
            assert status == 0, output
        status, output = installation.run("health", "--json")
        assert status == 0, output
        (north,) = json.loads(output)
        assert (north["records"], north["runs"], north["flags"]) == (30, 2, [])
        assert [r["records"] for r in north["recent"]] == [30, 30]
        assert north["recent"][-1]["outcome"] == "complete" and north["days_since_success"] < 1

        app[FAULTS].page_faults = {2: ["truncated"] * 1000}
        for _ in range(3):
            status, output = installation.run("harvest", "--quiet", "--full", "--timeout", "2")
            assert status == 1, output
        status, output = installation.run("health")
    assert status == 1, output
    assert "north: 30 records held (0 deleted), 5 runs, last success " in output
    assert "FLAG failing: its last 3 runs stopped (failed: truncated response" in output
    assert "Traceback" not in output

    checkpoints = Checkpoints(installation.data_dir / "fedcat.sqlite")
    later = datetime.now(UTC) + timedelta(days=8)
    (health,) = partner_health(checkpoints, ["north"], stale_days=7, now=later)
    assert health.flags[0] == "stale: no successful harvest in 7 days"
    assert len(health.recent) == 5 and health.recent[0].outcome == "complete"
    checkpoints.close()


def test_a_run_that_deletes_much_of_a_partner_is_flagged_and_the_last_change_shown(tmp_path):
    records = marc_records(30)
    app = make_app(records, repository_name="North", page_size=10)
    with serve(app) as url:
        installation = Installation(
            tmp_path / "data", "tantivy", write_registry(tmp_path / "p.toml", {"north": url})
        )
        status, output = installation.run("harvest", "--quiet", "--full")
        assert status == 0, output
        for record in records[:2]:  # 2 of 30: below the 10% FEDCAT_VOLUME_CHANGE
            app[REPOSITORY].delete(record.identifier, "2030-01-01T00:00:00Z")
        status, output = installation.run("harvest", "--quiet")
        assert status == 0, output
        status, output = installation.run("health", "--json")
        assert status == 0, output
        (north,) = json.loads(output)
        assert north["flags"] == [] and north["records"] == 28
        assert 0 <= north["days_since_change"] < 1
        for record in records[2:12]:  # 10 of the 28 held (the 2 earlier ones come again)
            app[REPOSITORY].delete(record.identifier, "2030-01-02T00:00:00Z")
        status, output = installation.run("harvest", "--quiet")
        assert status == 0, output
        status, output = installation.run("health")
    assert status == 1, output
    assert "FLAG volume: the last run deleted 12 records against 18 still held" in output
    assert ", last change 0 days ago" in output
