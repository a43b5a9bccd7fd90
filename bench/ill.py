"""Inter-library loan benchmark: route a synthetic year, and time placing one request.

1. **A year of routing** (`bench/ill_sim.py`): 100 synthetic libraries and 30,000 requests over
   a year, placed and answered through the real `IllService` on a real store with a simulated
   clock, once with the load-balanced router and once with a naive one (the same service blind
   to the active load: availability, then alphabetical). Prints fill rate, lenders tried, why
   requests failed, how evenly lending spread against each library's agreed ratio, any broken
   routing rule (there should be none), and the wall time.
2. **Place-request latency**: `IllService.place_request` with the work's holdings read from a
   real engine index (bench/build.py's, 100 libraries), timed in process; then the same works
   placed through the HTTP JSON API (`bench/ill_http.py`: the app on loopback, one client,
   `POST /api/v1/ill/requests` with each library's token) — on SQLite and, when FEDCAT_PG_URL
   answers, PostgreSQL.

    python -m bench.ill                                   # SQLite year, latency on both stores
    python -m bench.ill --store postgresql --works 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.build import bench_index
from bench.ill_figures import fairness, outcomes, violations
from bench.ill_http import api_latency
from bench.ill_sim import (
    YEAR_START,
    SimClock,
    World,
    YearRecord,
    fresh_store,
    make_world,
    naive_store,
    simulate,
)
from bench.report import machine, write_json
from ill import schema
from ill.errors import IllError
from ill.model import Actor, LendingRules
from ill.service import IllService
from ill.states import Role
from ill.store import RequestStore
from indexer.query import SearchRequest, Words

PG_URL = os.environ.get("FEDCAT_PG_URL", "postgresql://postgres@127.0.0.1:55432/fedcat_test")
RESULTS = Path(__file__).resolve().parent / "results"


def pg_answers(url: str = PG_URL) -> bool:
    try:
        engine = sa.create_engine(
            sa.engine.make_url(url).set(drivername="postgresql+psycopg"),
            connect_args={"connect_timeout": 3},
        )
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # any failure means "not reachable" here
        return False


# 1. the year -----------------------------------------------------------------------------


def route_year(
    world: World, store: RequestStore, *, naive: bool = False, progress: int = 0
) -> dict[str, Any]:
    """One router's year on `store` (empty): run figures, outcomes, fairness, violations."""
    if naive:
        naive_store(store)
    run = simulate(world, store, progress=progress)
    record = YearRecord.read(store)
    broken = violations(world, record)
    return {
        "router": "naive (alphabetical)" if naive else "load-balanced",
        **run,
        **outcomes(record),
        **fairness(world, record),
        "violations": {name: len(found) for name, found in broken.items()},
        "violation_examples": {name: found[:3] for name, found in broken.items() if found},
    }


def world_summary(world: World) -> dict[str, Any]:
    libraries = list(world.libraries.values())
    holders = [len({h["library_id"] for h in held}) for held in world.holdings.values()]
    return {
        "libraries": len(libraries),
        "non_lending": sum(not lib.rules.lends for lib in libraries),
        "ratio_2_to_1": sum(lib.rules.ratio_lend == 2 for lib in libraries),
        "with_closures": sum(bool(lib.rules.closures) for lib in libraries),
        "with_daily_cap": sum(lib.rules.daily_cap is not None for lib in libraries),
        "never_answer": sum(lib.answers == 0 for lib in libraries),
        "largest_size_share": round(
            max(lib.size for lib in libraries) / sum(lib.size for lib in libraries), 3
        ),  # fmt: skip
        "works": len(world.holdings),
        "mean_holders_per_work": round(statistics.mean(holders), 2),
        "requests": len(world.requests),
    }


# 2. place-request latency ----------------------------------------------------------------


def sample_works(engine, catalogue: dict, count: int, seed: int) -> list[tuple[str, list]]:
    """(work id, holdings) of works held somewhere, found by searching seeded title words."""
    rng = random.Random(seed)
    words = [w for w, df in catalogue["title_df"].items() if w.isalpha() and 3 <= len(w)]
    found: dict[str, list] = {}
    while len(found) < count:
        result = engine.search(SearchRequest(Words("title", rng.choice(words)), limit=20))
        for hit in result.hits:
            if hit.payload.get("holdings"):
                found[hit.work_id] = hit.payload["holdings"]
    return list(found.items())[:count]


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 2)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99), "max_ms": at(1.0)}


def add_history(store: RequestStore, count: int, libraries: list[str], seed: int) -> None:
    """`count` closed loans from the year before, written in one transaction, so placements
    are timed on a store with a year of history (as in production), not an empty one."""
    rng, at = random.Random(seed), YEAR_START
    rows = []
    for number in range(count):
        borrower, lender = rng.sample(libraries, 2)
        rows.append({
            "id": f"ill-history-{number:06d}", "work_id": f"history-{number % 5000}",
            "title": "Earlier loan", "patron_ref": f"{borrower}:H{number:06d}",
            "borrowing_library": borrower, "service": "Loan", "citation": None,
            "pickup_location": "", "needed_by": None, "state": "LoanCompleted/closed",
            "status": "LoanCompleted", "is_open": False, "lender": lender,
            "rota": json.dumps([{"library_id": lender, "reason": "#1: available copy",
                                 "call_number": "QA76", "location": "Stacks"}]),
            "skipped": "[]", "rota_position": 0, "due_date": None, "loan_condition": "",
            "outcome_note": "", "created_at": at + timedelta(minutes=17 * number),
            "sent_at": at + timedelta(minutes=17 * number), "updated_at": at, "version": 6,
        })  # fmt: skip
    with store.engine.begin() as connection:
        connection.execute(schema.requests.insert(), rows)


def place_latency(
    engine, works: list[tuple[str, list]], store: RequestStore, libraries: list[str], seed: int
) -> dict[str, Any]:
    """Time engine.get(work) + place_request for each sampled work, by a patron of a library
    that has no available copy of it (the rest are refused before routing: not timed)."""
    clock = SimClock()
    clock.now = YEAR_START + timedelta(days=400)
    service = IllService(store, clock=clock)
    known = set(service.store.rules())
    for library_id in libraries:
        if library_id not in known:
            service.set_rules(LendingRules(library_id, daily_cap=None))
    rng = random.Random(seed)
    lookup, place, both, refused = [], [], [], 0
    for number, (work_id, _) in enumerate(works):
        library_id = rng.choice(libraries)
        patron = Actor(f"L{number:06d}", Role.patron, library_id)
        clock.now += timedelta(seconds=30)
        started = time.perf_counter()
        payload = engine.get(work_id)
        fetched = time.perf_counter()
        try:
            service.place_request(patron, work_id=work_id, title=payload["title"],
                                  holdings=payload["holdings"])  # fmt: skip
        except IllError:
            refused += 1
            continue
        done = time.perf_counter()
        lookup.append(fetched - started)
        place.append(done - fetched)
        both.append(done - started)
    return {
        "placed": len(both),
        "refused_own_shelf_or_duplicate": refused,
        "store_requests_after": store.count(),
        "engine_get": _percentiles(lookup),
        "place_request": _percentiles(place),
        "get_and_place": _percentiles(both),
    }


# printing --------------------------------------------------------------------------------

YEAR_ROWS = (
    ("placed", "requests placed"),
    ("fill_rate", "fill rate"),
    ("mean_hops_filled", "mean lenders tried, filled requests"),
    ("mean_lenders_asked", "mean lenders asked, all requests"),
    ("misplaced_share", "loans off the agreed ratios (share to move)"),
    ("within_25pct_of_ratio", "lending libraries within ±25% of ratio"),
    ("gini_of_lending", "Gini of loans lent"),
    ("max_lent", "most loans lent by one library"),
    ("service_seconds", "seconds inside IllService"),
    ("routing_seconds", "  of which routing (place, pass on)"),
    ("routing_cpu_seconds", "  routing: CPU seconds of this process"),
    ("wall_seconds", "wall seconds for the year"),
)


def table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table (it reads as well in a terminal as in bench/README.md)."""
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(f"{cell:,}" if isinstance(cell, int) else str(cell)
                                for cell in row) + " |" for row in rows]  # fmt: skip
    return "\n".join(lines)


def year_tables(runs: list[dict[str, Any]]) -> str:
    header = ["", *(run["router"] for run in runs)]
    rows = [[label, *(run[key] for run in runs)] for key, label in YEAR_ROWS]
    rows.append(["broken rules (lost, over cap, sent to closed/non-lending)",
                 *(sum(run["violations"].values()) for run in runs)])  # fmt: skip
    parts = [table(header, rows)]
    for run in runs:
        parts.append(f"\nWhy requests went unfilled ({run['router']}):\n")
        parts.append(table(["reason", "requests"], list(run["unfilled_reasons"].items())))
        parts.append(f"\nFurthest from their agreed ratio ({run['router']}):\n")
        parts.append(table(
            ["library", "size", "ratio", "lent", "borrowed", "lent − ratio × borrowed"],
            [[w["library"], w["size"], w["ratio"], w["lent"], w["borrowed"], w["off_by"]]
             for w in run["worst"]],
        ))  # fmt: skip
    return "\n".join(parts)


def latency_table(latencies: dict[str, dict[str, Any]]) -> str:
    rows = []
    for store_name, figures in latencies.items():
        for part in ("api_post_request", "get_and_place", "place_request", "engine_get"):
            m = figures[part]
            count = figures["api_placed" if part.startswith("api") else "placed"]
            rows.append([store_name, part.replace("_", " "), count,
                         m["p50_ms"], m["p95_ms"], m["p99_ms"], m["max_ms"]])  # fmt: skip
    return table(["store", "measured", "requests", "p50 ms", "p95 ms", "p99 ms", "max ms"], rows)


# running ---------------------------------------------------------------------------------


def _one_router(args: argparse.Namespace, naive: bool, directory: Path) -> dict[str, Any]:
    world = make_world(args.libraries, args.requests, args.seed)  # the same world: seeded
    with fresh_store(args.store, directory, PG_URL) as store:
        run = route_year(world, store, naive=naive, progress=args.progress)
    print(f"  {run['router']}: {run['wall_seconds']} s, {run['service_calls']}", flush=True)
    return run


def run_year(args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    """Both routers over the same world: one after the other, or side by side (--parallel,
    each in a process of its own; their wall times then include sharing the machine)."""
    world = make_world(args.libraries, args.requests, args.seed)
    if args.parallel:
        with ProcessPoolExecutor(max_workers=2) as pool:
            jobs = [pool.submit(_one_router, args, naive, directory) for naive in (False, True)]
            runs = [job.result() for job in jobs]
    else:
        runs = [_one_router(args, naive, directory) for naive in (False, True)]
    return {"world": world_summary(world), "store": args.store, "parallel": args.parallel,
            "runs": runs}  # fmt: skip


def run_latency(args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    index = bench_index(args.works, "tantivy", libraries=args.libraries, seed=args.seed)
    engine = index.open_engine()
    works = sample_works(engine, index.catalogue, args.samples + args.warmup, args.seed)
    stores = ["sqlite"] + (["postgresql"] if pg_answers() else [])
    results: dict[str, dict[str, Any]] = {}
    for kind in stores:
        with fresh_store(kind, directory, PG_URL) as store:
            add_history(store, args.history, index.catalogue["libraries"], args.seed)
            place_latency(engine, works[: args.warmup], store, index.catalogue["libraries"], 7)
            results[kind] = place_latency(
                engine, works[args.warmup :], store, index.catalogue["libraries"], args.seed
            )
            api = api_latency(engine, works, store, index.catalogue["libraries"],
                              directory / f"app-{kind}", seed=args.seed + 1,
                              warmup=args.warmup)  # fmt: skip
            results[kind]["api_placed"] = api["timed"]
            results[kind]["api_statuses"] = api["statuses"]
            results[kind]["api_post_request"] = _percentiles(api["samples"])
    engine.close()
    return {"works": index.catalogue["works_indexed"], "libraries": args.libraries,
            "stores": results}  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--libraries", type=int, default=100)
    parser.add_argument("--requests", type=int, default=30_000)
    parser.add_argument("--store", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--works", type=int, default=100_000, help="engine index for latency")
    parser.add_argument("--samples", type=int, default=1000, help="timed placements per store")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--history", type=int, default=30_000, help="closed requests first")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--parallel", action="store_true", help="both routers at once")
    parser.add_argument("--progress", type=int, default=0, help="report every N placements")
    parser.add_argument("--skip", choices=("year", "latency"), action="append", default=[])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.store == "postgresql" and not pg_answers():
        parser.error(f"PostgreSQL at {PG_URL} does not answer (set FEDCAT_PG_URL)")
    result: dict[str, Any] = {"benchmark": "ill", "machine": machine()}
    with tempfile.TemporaryDirectory(prefix="fedcat-ill-") as tmp:
        if "year" not in args.skip:
            print(f"routing a year: {args.requests} requests, {args.libraries} libraries, "
                  f"{args.store}")  # fmt: skip
            result["year"] = run_year(args, Path(tmp))
            print(table(["world", ""], list(result["year"]["world"].items())), "\n")
            print(year_tables(result["year"]["runs"]), "\n")
        if "latency" not in args.skip:
            result["latency"] = run_latency(args, Path(tmp))
            print(f"place-request latency: engine.get(work) from a {result['latency']['works']:,}"
                  f"-work tantivy index + IllService.place_request (no HTTP), "
                  f"{args.libraries} libraries")  # fmt: skip
            print(latency_table(result["latency"]["stores"]))
    m = result["machine"]
    print(f"\nmachine: {m['cores']} cores, {m['memory_gib']} GiB, load {m['load_average_1m']}"
          f" ({m['cpu']}), {m['when']}")  # fmt: skip
    write_json(result, args.json or RESULTS / f"ill-{args.store}-{args.requests}.json")
    return result


if __name__ == "__main__":
    main()
