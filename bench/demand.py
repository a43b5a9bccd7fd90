"""The demand forecast's backtest on the SYNTHETIC history (`bench.demand_history`).

Generates the history into a fresh SQLite store (or uses `--db`), holds out its last 12 months
and forecasts them from the 24 before: the consortium's series with Holt-Winters, each library
and each subject area as its share of the sum (`ill.forecast.predict_parts`). It prints MASE of
the forecast beside the seasonal-naive baseline's, MAPE, and how often the 80% interval held
the actual month — per library aggregated (median and mean over libraries), for the
consortium, and per subject area.

    python -m bench.demand [--db /tmp/demand.sqlite] [--requests-per-year 30000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench.demand_history import LABEL, HistoryShape, generate
from ill import forecast as fc
from ill import stats
from ill.store import RequestStore, open_store


def _row(name: str, results: list[fc.Backtest]) -> str:
    def mean(values):
        values = [v for v in values if v is not None]
        return statistics.fmean(values) if values else float("nan")

    mase = [r.mase for r in results if r.mase is not None]
    median = statistics.median(mase) if mase else float("nan")
    wins = sum(
        1
        for r in results
        if r.mase is not None and r.naive_mase is not None and r.mase < r.naive_mase
    )
    return (
        f"| {name} | {len(results)} | {mean(mase):.3f} | {median:.3f} | "
        f"{mean(r.naive_mase for r in results):.3f} | {mean(r.mape for r in results):.1f} | "
        f"{mean(r.naive_mape for r in results):.1f} | {mean(r.coverage for r in results):.2f} | "
        f"{wins}/{len(results)} |"
    )


def run(store: RequestStore) -> tuple[list[str], dict[str, bool]]:
    """The table's lines, and whether the forecast's mean MASE beat the baseline's, for the
    libraries, the consortium and the subject areas."""
    with store.reader.connect() as tx:
        by_library = stats.monthly_requests(tx, by="library")
        by_subject = stats.monthly_requests(tx, by="subject")
        everyone = stats.monthly_requests(tx, by="all").get("", {})
    first, last = min(everyone), max(everyone)
    dense = {k: fc.dense(v, first, last) for k, v in by_library.items()}
    libraries = list(fc.backtest_parts(dense).values())
    subjects = fc.backtest_parts({k: fc.dense(v, first, last) for k, v in by_subject.items()})
    consortium = fc.backtest(fc.dense(everyone, first, last))
    lines = [
        f"{LABEL} history {first}..{last}, last {fc.HOLDOUT} months held out",
        "",
        "| series | n | MASE | median MASE | naive MASE | MAPE % | naive MAPE % "
        "| 80% coverage | beats naive |",
        "|---|---|---|---|---|---|---|---|---|",
        _row("libraries (each its share)", libraries),
        _row("consortium (Holt-Winters)", [consortium]),
        _row("subject areas (each its share)", list(subjects.values())),
        "",
        "| subject area | MASE | naive MASE | MAPE % | 80% coverage |",
        "|---|---|---|---|---|",
    ]
    for name, result in sorted(subjects.items()):
        lines.append(
            f"| {name or '(none)'} | {result.mase or float('nan'):.3f} | "
            f"{result.naive_mase or float('nan'):.3f} | {result.mape or float('nan'):.1f} | "
            f"{result.coverage:.2f} |"
        )
    groups = {"libraries": libraries, "consortium": [consortium], "subjects": subjects.values()}
    beats = {
        name: statistics.fmean([r.mase for r in group if r.mase is not None])
        < statistics.fmean([r.naive_mase for r in group if r.naive_mase is not None])
        for name, group in groups.items()
    }
    return lines, beats


def page_times(location: str, data_dir: Path, repeats: int = 3) -> list[str]:
    """Seconds for GET /staff/demand on this store: first (computed) and then (cached), for an
    operator (the consortium) and a library's staff."""
    from config.partners import Partner
    from config.settings import Settings
    from search_ui.app import create_app

    settings = Settings(
        data_dir=data_dir, rate_limit=None, database=location, password_cost=(1, 8, 1)
    )
    app = create_app(settings, partners=[Partner("syn-lib-001", "Synthetic library 1", "")])
    accounts = app.extensions["fedcat"].accounts
    lines = []
    for role, library in (("operator", "syn-lib-001"), ("staff", "syn-lib-002")):
        name = f"bench-{role}"
        accounts.add_staff(library, name, "bench password 1", role=role, name=name)
        client = app.test_client()
        client.set_cookie(
            "fedcat_session", accounts.sign_in_staff(name, "bench password 1", "bench").token
        )
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            answer = client.get("/staff/demand")
            times.append(time.perf_counter() - began)
            assert answer.status_code == 200, answer.status_code
        lines.append(
            f"GET /staff/demand as {role} ({library}): first {times[0]:.2f} s, "
            f"cached {min(times[1:]):.3f} s"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="a store already holding the synthetic history")
    parser.add_argument("--requests-per-year", type=int, default=30_000)
    parser.add_argument("--libraries", type=int, default=100)
    parser.add_argument("--page", action="store_true", help="also time GET /staff/demand")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        location = args.db or str(Path(scratch) / "demand.sqlite")
        store = open_store(location)
        try:
            if not args.db:
                shape = HistoryShape(
                    libraries=args.libraries, requests_per_year=args.requests_per_year
                )
                summary = generate(store, shape)
                print(f"generated {summary.requests} {LABEL} requests in {summary.seconds:.1f} s")
            began = time.perf_counter()
            lines, beats = run(store)
            print("\n".join(lines))
            seconds = time.perf_counter() - began
            print(f"\nbacktest in {seconds:.1f} s; beats naive (mean MASE): {beats}")
            if args.page:
                print("\n".join(page_times(location, Path(scratch) / "data")))
        finally:
            store.close()


if __name__ == "__main__":
    main()
