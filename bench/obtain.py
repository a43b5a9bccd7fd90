"""Obtainability benchmark: the cost of tiers on a search, and of the soonest sort.

    python bench/obtain.py --works 5000 [--engine tantivy|elasticsearch] [--rounds 3]

Over the benchmark's synthetic catalogue (bench/build.py: N works held by L libraries) and a
generated delivery history (`--deliveries` received loans between those libraries, seeded),
the app answers the same seeded query mix through its real Flask stack (test client, one
thread) three ways: without a library (no tiers), with `library=` (a tier per result: one
read of the lending state of the page's holding libraries, delivery medians from the cached
history), and with `sort=soonest` (tiers for the top 200 works by relevance, reordered).
It prints the median and p95 milliseconds per search and the overheads. The request store is
a fresh SQLite file; the history is read once per process (FEDCAT_DELIVERY_CACHE_SECONDS).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.build import add_index_options, bench_index  # noqa: E402
from bench.report import machine, print_table  # noqa: E402
from config.partners import load_registry  # noqa: E402
from ill import schema  # noqa: E402
from ill.states import Action, Role  # noqa: E402
from search_ui.app import create_app  # noqa: E402

START = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)


def write_history(store, libraries: list[str], deliveries: int, seed: int = 14) -> None:
    """`deliveries` received loans (labelled synthetic): each lender its own typical days."""
    rng = random.Random(seed)
    typical = {lib: rng.uniform(2, 12) for lib in libraries}
    requests, events = [], []
    for n in range(deliveries):
        lender, borrower = rng.sample(libraries, 2)
        placed = START + timedelta(minutes=37 * n)
        request_id = f"ill-synthetic-{uuid.uuid4().hex[:12]}"
        requests.append(
            {
                "id": request_id, "work_id": "synthetic", "title": "synthetic", "patron_ref": "",
                "borrowing_library": borrower, "service": "Loan", "state": "LoanCompleted/closed",
                "status": "LoanCompleted", "is_open": False, "lender": None, "rota": "[]",
                "skipped": "[]", "rota_position": 0, "created_at": placed,
                "updated_at": placed, "version": 1,
            }
        )  # fmt: skip
        days = max(0.5, rng.gauss(typical[lender], typical[lender] / 4))
        events.append(
            {
                "request_id": request_id, "at": placed + timedelta(days=days), "actor": "staff",
                "role": Role.borrower.value, "action": Action.Received.value,
                "from_state": "Loaned/in_transit", "to_state": "Loaned/received", "lender": lender,
            }
        )  # fmt: skip
    with store.engine.begin() as tx:
        tx.execute(schema.requests.insert(), requests)
        tx.execute(schema.events.insert(), events)


def _queries(index, count: int, seed: int = 3) -> list[str]:
    words = sorted(w for w, df in index.catalogue["title_df"].items() if df >= 3 and len(w) > 3)
    rng = random.Random(seed)
    return [" ".join(rng.sample(words, rng.choice((1, 1, 2)))) for _ in range(count)]


def _timed(client, urls: list[str], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        for url in urls:
            began = time.perf_counter()
            answer = client.get(url)
            times.append((time.perf_counter() - began) * 1000)
            if answer.status_code != 200:
                raise SystemExit(f"{url}: HTTP {answer.status_code} {answer.get_data()[:200]!r}")
    return times


def _figures(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def run(works: int, engine: str, *, es_url: str = "", queries: int = 40, rounds: int = 3,
        deliveries: int = 20_000, libraries: int = 5, log=print) -> dict:  # fmt: skip
    index = bench_index(works, engine, es_url=es_url, libraries=libraries, log=log)
    partners = load_registry(index.partners_file)
    library = partners[0].id
    with tempfile.TemporaryDirectory(prefix="fedcat-bench-obtain-") as tmp:
        settings = replace(
            index.settings, database=str(Path(tmp) / "shared.sqlite"), rate_limit=None
        )
        app = create_app(settings, partners=partners)
        shared = app.extensions["fedcat"]
        write_history(shared.ill.store, [p.id for p in partners], deliveries)
        client = app.test_client()
        texts = _queries(index, queries)
        plain = [f"/api/v1/search?q={q}" for q in texts]
        tiers = [f"{u}&library={library}" for u in plain]
        soonest = [f"{u}&sort=soonest" for u in tiers]
        _timed(client, plain[:5] + tiers[:5] + soonest[:5], 1)  # warm: engine, history cache
        found = sum(len(client.get(u).get_json()["results"]) for u in tiers)
        result = {"works": works, "engine": engine, "libraries": len(partners),
                  "deliveries": deliveries, "queries": len(texts), "rounds": rounds,
                  "results_with_tiers": found}  # fmt: skip
        for name, urls in (("plain", plain), ("tiers", tiers), ("soonest", soonest)):
            p50, p95 = _figures(_timed(client, urls, rounds))
            result[f"{name}_p50_ms"], result[f"{name}_p95_ms"] = round(p50, 2), round(p95, 2)
        result["tier_overhead_p50_ms"] = round(result["tiers_p50_ms"] - result["plain_p50_ms"], 2)
        result["soonest_overhead_p50_ms"] = round(
            result["soonest_p50_ms"] - result["plain_p50_ms"], 2
        )
        shared.ill.store.close()
    result["machine"] = machine()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_index_options(parser, works=5000)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--deliveries", type=int, default=20_000)
    args = parser.parse_args()
    result = run(args.works, args.engine, es_url=args.es_url, queries=args.queries,
                 rounds=args.rounds, deliveries=args.deliveries)  # fmt: skip
    print_table(result)
    print(json.dumps(result["machine"]))


if __name__ == "__main__":
    main()
