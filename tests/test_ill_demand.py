"""ILL demand: statistics on a hand-counted history (both stores), the forecast and its
backtest, purchase suggestions on a hand-checked case, and the `fedcat ill` reports."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest
from click.testing import CliRunner

from bench.demand_history import write_requests
from fedcat.cli import main
from ill import forecast as fc
from ill import purchase, stats
from ill.demand import demand_forecast
from ill.retention import anonymise_closed
from ill.stats import WorkFacts, record_work_facts
from tests.fixtures.demand import past, write_small_history

pytest_plugins = ["tests.fixtures.ill_stores"]


def by_library(found: stats.DemandStats) -> dict[str, stats.LibraryFigures]:
    return {f.library_id: f for f in found.libraries}


# statistics -------------------------------------------------------------------------------


def test_stats_count_the_small_history_exactly(store):
    write_small_history(store)
    found = stats.demand_stats(store)
    assert found.months == {"2026-01": 2, "2026-02": 2, "2026-03": 1}
    figures = by_library(found)
    north, south, east = figures["north"], figures["south"], figures["east"]
    assert (north.requested, north.filled, north.unfilled) == (4, 3, 1)
    assert north.fill_rate == 0.75
    assert (north.median_turnaround_days, north.turnaround_sample) == (6.0, 3)  # 4, 6, 10
    assert (north.lent, north.borrowed) == (1, 3)
    assert north.actual_ratio == pytest.approx(1 / 3) and north.agreed_ratio == 2.0
    assert (south.requested, south.filled, south.lent, south.borrowed) == (1, 1, 2, 1)
    assert south.median_turnaround_days == 8.0 and south.agreed_ratio == 1.0
    assert (east.requested, east.lent, east.fill_rate) == (0, 1, None)
    assert [(w.work_id, w.requests, w.libraries) for w in found.top_works] == [
        ("work-A", 3, 2),
        ("work-B", 1, 1),
        ("work-C", 1, 1),
    ]
    assert found.top_works[0].title == "Alpha"
    assert [(s.subject_area, s.requests) for s in found.top_subjects] == [
        ("History", 4),
        ("Law", 1),
    ]


def test_stats_for_one_library_and_a_window(store):
    write_small_history(store)
    since = datetime(2026, 2, 1, tzinfo=UTC)
    found = stats.demand_stats(store, library="north", since=since)
    assert found.months == {"2026-02": 1, "2026-03": 1}
    (north,) = found.libraries
    assert (north.requested, north.filled, north.unfilled, north.lent) == (2, 1, 1, 1)  # r4
    assert north.median_turnaround_days == 10.0
    with store.reader.connect() as tx:
        subjects = stats.monthly_requests(tx, by="subject")
    assert subjects == {"History": {"2026-01": 2, "2026-02": 2}, "Law": {"2026-03": 1}}


def test_stats_need_no_patron_links(store, clock):
    """Anonymised requests (all of them here) are counted as before."""
    write_small_history(store)
    before = stats.demand_stats(store).as_json()
    anonymise_closed(store, datetime(2030, 1, 1, tzinfo=UTC), retention_days=1)
    assert stats.demand_stats(store).as_json() == before


def test_median_of_an_even_sample_is_the_mean_of_the_middle_two(store):
    write_requests(
        store,
        [
            past(1, "north", "south", "A", "2026-01-01T00:00", 2, filled=True),
            past(2, "north", "south", "A", "2026-01-02T00:00", 5, filled=True),
        ],
    )
    (north, _south) = stats.demand_stats(store).libraries
    assert north.median_turnaround_days == 3.5


def test_work_facts_replace_what_was_known(store):
    write_small_history(store)
    assert stats.works_without_facts(store) == []
    record_work_facts(store, [WorkFacts("work-C", "Medicine", 2002)])
    found = stats.demand_stats(store)
    assert ("Medicine", 1) in [(s.subject_area, s.requests) for s in found.top_subjects]


# the forecast -------------------------------------------------------------------------------

SEASON = np.array([0.95, 1.15, 1.25, 1.15, 1.0, 0.6, 0.45, 0.65, 1.2, 1.35, 1.3, 0.7])


def seasonal_series(months: int, level: float, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    means = level * np.resize(SEASON, months) * np.linspace(1, 1.12, months)
    return [float(v) for v in rng.poisson(means)]


def test_holt_winters_beats_seasonal_naive_on_a_seasonal_series():
    result = fc.backtest(seasonal_series(36, 200, seed=1))
    assert result.method == "holt-winters"
    assert result.mase is not None and result.naive_mase is not None
    assert result.mase < result.naive_mase
    assert result.mape is not None and result.mape < 15


def test_libraries_forecast_as_shares_beat_their_own_seasonal_naive():
    parts = {f"lib{i}": seasonal_series(36, 8 + 4 * i, seed=i) for i in range(12)}
    results = fc.backtest_parts(parts)
    assert {r.method for r in results.values()} == {"holt-winters-share"}
    assert np.mean([r.mase for r in results.values()]) < np.mean(
        [r.naive_mase for r in results.values()]
    )
    coverage = np.mean([r.coverage for r in results.values()])
    assert 0.6 <= coverage <= 1.0


def test_forecast_has_six_months_inside_their_interval():
    history = seasonal_series(30, 100, seed=3)
    counts = dict(zip(fc.month_range("2024-01", "2026-06"), map(int, history), strict=True))
    result = fc.forecast(counts, "2024-01", "2026-06")
    assert [m.month for m in result.months] == fc.next_months("2026-06", 6)
    assert result.months[0].month == "2026-07"
    assert all(m.low <= m.expected <= m.high for m in result.months)
    assert "Holt-Winters" in result.reason


def test_a_short_series_falls_back_to_seasonal_naive_and_says_why():
    history = seasonal_series(10, 100, seed=4)
    result = fc.predict(history, 6)
    assert result.method == "seasonal-naive"
    assert "only 10 months" in result.reason
    assert list(result.expected) == [history[-1]] * 6  # less than a year: the last month


def test_a_sparse_series_falls_back_to_seasonal_naive_and_says_why():
    history = [0.0] * 30
    history[5] = history[20] = 1.0
    result = fc.predict(history, 6)
    assert result.method == "seasonal-naive" and "too sparse" in result.reason
    assert list(result.expected) == history[-12:-6]


def test_demand_forecast_from_the_store_leaves_out_the_month_under_way(store):
    rows = [
        past(i, "north", "south", "A", f"{year}-{month:02d}-15T12:00", 3, filled=True)
        for i, (year, month) in enumerate(
            [(2025, m) for m in range(1, 13)] + [(2026, 1), (2026, 2)]
        )
    ]
    write_requests(store, rows)
    found = demand_forecast(store, datetime(2026, 2, 3, tzinfo=UTC))
    assert (found.first, found.last) == ("2025-01", "2026-01")
    assert found.consortium is not None and found.consortium.forecast.method == "seasonal-naive"
    assert "only 13 months" in found.consortium.forecast.reason
    assert found.parts["north"].forecast.months[0].month == "2026-02"


# purchase suggestions -------------------------------------------------------------------------


def test_purchase_suggestions_on_a_hand_checked_case(store):
    history = [
        # A: three times in 12 months by north's patrons -> suggested for its count
        past(1, "north", "south", "A", "2026-02-01T10:00", 3, filled=True),
        past(2, "north", "east", "A", "2026-06-01T10:00", 3, filled=False),
        past(3, "north", "south", "A", "2026-11-20T10:00", 3, filled=True),
        # B: once, but published 2025 -> suggested as recent
        past(4, "north", "south", "B", "2026-05-05T10:00", 3, filled=True),
        # C: twice, published 2001 -> not suggested
        past(5, "north", "south", "C", "2026-04-01T10:00", 3, filled=True),
        past(6, "north", "south", "C", "2026-04-02T10:00", 3, filled=True),
        # D: three times, but more than 12 months ago -> not suggested
        *[past(7 + i, "north", "south", "D", f"2025-0{i + 1}-01T10:00", 3, filled=True)
          for i in range(3)],
        # E: five times, by south's patrons -> not north's suggestion
        *[past(10 + i, "south", "north", "E", f"2026-0{i + 1}-01T10:00", 3, filled=True)
          for i in range(5)],
    ]  # fmt: skip
    write_requests(store, history)
    record_work_facts(
        store,
        [WorkFacts("work-A", "History", 1990), WorkFacts("work-B", "Law", 2025),
         WorkFacts("work-C", "Law", 2001), WorkFacts("work-E", "Art", 2026)],
    )  # fmt: skip
    now = datetime(2026, 12, 1, tzinfo=UTC)
    found = purchase.suggestions(store, "north", now, min_requests=3)
    assert [(s.work_id, s.requests, s.frequent, s.recent) for s in found] == [
        ("work-A", 3, True, False),
        ("work-B", 1, False, True),
    ]
    alpha = found[0]
    assert alpha.library_id == "north" and alpha.machine
    assert alpha.first_requested == datetime(2026, 2, 1, 10, tzinfo=UTC)
    assert alpha.last_requested == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert "requested 3 times in 12 months" in alpha.reason
    assert "published 2025" in found[1].reason
    assert [s.work_id for s in purchase.suggestions(store, "north", now, min_requests=4)] == [
        "work-B"
    ]


# the CLI --------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(store_factory, tmp_path, monkeypatch):
    store = store_factory.open()
    write_small_history(store)
    monkeypatch.setenv("FEDCAT_DATABASE", store_factory.url() if store_factory.kind == "sqlite"
                       else store_factory._schema_dsn())  # fmt: skip
    monkeypatch.setenv("FEDCAT_DATA_DIR", str(tmp_path / "data"))
    return store


def run(*args: str):
    done = CliRunner().invoke(main, ["ill", *args])
    assert done.exit_code == 0, done.output
    return done.output


def test_cli_stats_text_and_json(cli_env):
    text = run("stats", "--months", "0")
    assert "north: 4 3 1 75% 6 1 3 0.33/2.00" in text
    assert "3  work-A  Alpha (2 libraries)" in text
    assert "4  History" in text
    data = json.loads(run("stats", "--months", "0", "--library", "north", "--json"))
    assert data["requests_per_month"] == {"2026-01": 2, "2026-02": 1, "2026-03": 1}
    assert data["libraries"][0]["fill_rate"] == 0.75


def test_cli_forecast_and_purchase_suggestions(cli_env):
    text = run("forecast", "--now", "2026-04-02")
    assert "history 2026-01..2026-03 (machine forecast)" in text
    assert "seasonal naive: only 3 months of history" in text
    data = json.loads(run("forecast", "--now", "2026-04-02", "--by", "subject", "--json"))
    assert {p["key"] for p in data["parts"]} == {"History", "Law"}
    assert len(data["consortium"]["months"]) == 6
    text = run("purchase-suggestions", "--library", "north", "--now", "2026-04-02")
    assert "machine suggestions" in text
    assert "work-B  Beta: published 2026, in the last 2 years" in text


def test_cli_refuses_a_bad_date(cli_env):
    done = CliRunner().invoke(main, ["ill", "stats", "--now", "yesterday"])
    assert done.exit_code == 2 and "not a date" in done.output
