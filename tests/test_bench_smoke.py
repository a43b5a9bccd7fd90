"""A tiny run of each benchmark script, so the scripts never rot (figures come from bench/).

These check that each script runs end to end and reports sane figures: every record
harvested, every query answered, results found. They assert no timings.
"""

from __future__ import annotations

import shutil
import uuid

import pytest

from bench.build import bench_index
from bench.catalogue import SyntheticCatalogue, isbn13
from bench.engine_profile import run as run_profile
from bench.harvest import run as run_harvest
from bench.search import MIX
from bench.search import run as run_search
from indexer.normalize import isbn13 as normalised_isbn13
from search_ui.request_params import DEFAULT_FACETS


def test_synthetic_catalogue_is_deterministic_with_valid_isbns_and_shared_titles():
    first, again = SyntheticCatalogue(300, 4, seed=7), SyntheticCatalogue(300, 4, seed=7)
    assert list(first.all_records()) == list(again.all_records())
    assert first.record_count > first.works  # some works are held by several libraries
    assert 0.2 < first.works_held_by_several() / first.works < 0.5
    for number in (0, 1, 123_456_789):
        assert normalised_isbn13(isbn13(number)) == isbn13(number)  # the check digit holds
    other = SyntheticCatalogue(300, 4, seed=8)
    assert first.work(5).title != other.work(5).title


def test_harvest_benchmark_runs_end_to_end_and_reports_its_figures():
    result = run_harvest(300, "tantivy", libraries=3)
    assert result["ok"] is True
    assert result["records"] > result["works_generated"] == 300
    assert result["works_indexed"] == 300  # copies without an ISBN merged by title key
    assert result["records_per_second"] > 0 and result["parse_only_records_per_second"] > 0
    assert set(result["rss_mib_at"]) == {"10%", "50%", "100%"}
    assert result["peak_rss_mib"] >= max(result["rss_mib_at"].values())
    assert set(result["anon_mib_at"]) == {"10%", "50%", "100%"}
    for share, anon in result["anon_mib_at"].items():  # the process's own part of its RSS
        assert 0 < anon <= result["rss_mib_at"][share]


@pytest.mark.parametrize("engine_kind", ["tantivy", "elasticsearch"])
def test_search_benchmark_answers_every_query_through_the_api_and_the_engine(
    engine_kind, tmp_path, request
):
    if shutil.which("wrk") is None:
        pytest.fail("wrk is not installed: run .ci/setup-tools.sh")
    es_url = request.getfixturevalue("es_url") if engine_kind == "elasticsearch" else ""
    prefix = f"fedcat-test-bench-{uuid.uuid4().hex[:8]}"
    try:
        result = run_search(
            300,
            engine_kind,
            es_url=es_url,
            duration=1,
            connections=2,
            workers=1,
            threads=2,
            queries=60,
            data_dir=tmp_path,
            es_prefix=prefix,
        )
    finally:
        if engine_kind == "elasticsearch":
            from elasticsearch import Elasticsearch

            Elasticsearch(es_url).indices.delete(index=f"{prefix}-*", ignore_unavailable=True)
    assert result["statuses"] == {"200": 60}
    assert result["queries_with_results"] > 30
    for run in ("api_concurrent", "api_one_client"):
        assert result[run]["requests"] > 0
        assert result[run]["errors"] == dict.fromkeys(
            ("connect", "read", "write", "status", "timeout"), 0
        )
    assert result["engine_direct_one_client"]["requests"] >= 60
    assert result["api_overhead_mean"] > 0


def test_engine_profile_times_every_kind_of_query_with_and_without_facet_counts(tmp_path):
    result = run_profile(bench_index(300, "tantivy", data_dir=tmp_path), queries=60)
    assert result["works"] == 300 and result["queries"] == 60
    assert result["facets"] == list(DEFAULT_FACETS)
    expected = {"as the API asks", "no facet counts", "total only"}
    expected |= {f"only facet {name}" for name in DEFAULT_FACETS}
    assert set(result["variants"]) == expected
    for row in result["variants"].values():
        assert set(row["by_kind"]) == set(MIX)
        assert row["mean_ms"] > 0 and row["p95_ms"] > 0


def test_subject_benchmark_prints_every_measure_for_the_model_and_both_baselines():
    from bench.subjects import MEASURES, run, table

    result = run(test_share=0.3, limit=150)
    assert set(result["results"]) == {"model", "most frequent", "nearest title"}
    overall = result["results"]["model"]["all"]
    assert overall["works"] == result["test_works"] > 20
    assert all(0.0 <= overall[m] <= 1.0 for m in MEASURES)
    assert overall["f1@5"] > result["results"]["most frequent"]["all"]["f1@5"]
    assert "| model" in table(result["results"])


def test_backup_benchmark_backs_up_and_restores_every_demo_work():
    from bench.backup import run

    result = run("tantivy")
    assert result["works"] > 1000 and result["records"] > result["works"]
    assert result["files"] >= 1 and result["megabytes"] > 0
    assert 0 < result["backup_seconds"] and 0 < result["restore_copy_seconds"]
    assert result["restore_seconds"] >= result["restore_copy_seconds"]


def test_obtain_benchmark_times_searches_with_and_without_tiers(tmp_path):
    from bench.obtain import run as run_obtain

    result = run_obtain(300, "tantivy", queries=4, rounds=1, deliveries=200, log=lambda *a: None)
    assert result["results_with_tiers"] > 0  # the searches found works, and each got a tier
    for name in ("plain", "tiers", "soonest"):
        assert result[f"{name}_p50_ms"] > 0


def test_soak_serves_every_kind_of_traffic_and_samples_the_server():
    from bench.soak import run as run_soak

    result = run_soak(0.3, "tantivy", "sqlite", works=300, libraries=3, clients=3, sample=3,
                      harvest_every=5, reindex_every=8)  # fmt: skip
    assert result["5xx"] == 0 and result["no_answer"] == 0
    assert {"api_search", "page", "ill_place"} <= set(result["statuses_by_kind"])
    assert result["statuses_by_kind"]["ill_place"].get("201", 0) > 0
    assert result["per_minute"] and result["per_minute"][0]["p95_ms"] > 0
    assert result["samples"] and all(s["rss_mib"] > 0 and s["fds"] > 0 for s in result["samples"])
    assert all("sqlite_write_lock_wait_ms" in s for s in result["samples"])
    assert any(e.get("harvest") == 0 for e in result["events"])


def test_demand_benchmark_generates_a_seeded_history_and_beats_seasonal_naive(tmp_path):
    from bench.demand import run as run_demand
    from bench.demand_history import HistoryShape, generate
    from ill.store import open_store

    shape = HistoryShape(libraries=12, requests_per_year=3000, works=500)
    stores = [open_store(tmp_path / f"demand{i}.sqlite") for i in (1, 2)]
    try:
        first, again = (generate(store, shape) for store in stores)
        assert first.requests == again.requests > 8000 and first.months == 36
        assert stores[0].get("syn-000100").title == stores[1].get("syn-000100").title
        lines, beats = run_demand(stores[0])
    finally:
        for store in stores:
            store.close()
    assert lines[0].startswith("SYNTHETIC history 2023-12..2026-11")
    assert any(line.startswith("| libraries (each its share) | 12 |") for line in lines)
    # a dozen libraries' one consortium series may go either way; the parts, on average, not
    assert beats["libraries"] and beats["subjects"]
