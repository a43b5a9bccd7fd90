"""A tiny run of each benchmark script, so the scripts never rot (figures come from bench/)."""

from __future__ import annotations

from bench.harvest import run


def test_harvest_benchmark_runs_end_to_end_and_reports_its_figures():
    result = run(90, "tantivy", "")
    assert result["ok"] is True
    assert result["records"] == 90
    assert 0 < result["works"] < 90  # some titles are held by two libraries
    assert result["records_per_second"] > 0 and result["parse_only_records_per_second"] > 0
