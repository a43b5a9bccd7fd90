"""`fedcat health` from the run history: real harvests of real MARC records from a loopback
OAI-PMH partner, then failures; the flags and the exit code monitoring reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from demo.oai_provider import FAULTS, make_app, serve
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
    assert "north: 30 records held (0 deleted), 5 runs" in output
    assert "FLAG failing: its last 3 runs stopped (failed: truncated response" in output
    assert "Traceback" not in output

    checkpoints = Checkpoints(installation.data_dir / "fedcat.sqlite")
    later = datetime.now(UTC) + timedelta(days=8)
    (health,) = partner_health(checkpoints, ["north"], stale_days=7, now=later)
    assert health.flags[0] == "stale: no successful harvest in 7 days"
    assert len(health.recent) == 5 and health.recent[0].outcome == "complete"
    checkpoints.close()
