"""Search benchmark: the JSON API under load, and the same queries straight to the engine.

    python bench/search.py --works 100000 [--engine tantivy|elasticsearch] [--duration 20]

Builds (or reuses) an index of N synthetic works (bench/build.py), serves the app with
gunicorn (real worker processes) on 127.0.0.1, and sends a fixed, seeded query mix with wrk:
1-3 word keyword queries of rare, medium and common title words (by their document frequency
in the generated catalogue), fielded queries (title:, author:, subject:"..."), facet filters,
home-library ranking and year sorting. Every query is first sent once to check it answers 200.

Three measurements, each `--duration` seconds:
- the API with `--connections` concurrent clients: throughput and p50/p95/p99 latency;
- the API with one client;
- the same SearchRequests sent to engine.search() in this process, one at a time.
The API overhead is the one-client API latency over the direct engine latency (like with like).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.build import DATA, BenchIndex, add_index_options, bench_index  # noqa: E402
from bench.report import machine, print_table, write_json  # noqa: E402
from search_ui.request_params import search_request_from_params  # noqa: E402

LUA = Path(__file__).resolve().parent / "search.lua"
REPO = Path(__file__).resolve().parent.parent
#: Share of the query mix per kind of query.
MIX = {
    "one_word": 0.25,
    "two_three_words": 0.20,
    "fielded": 0.15,
    "facet_filter": 0.15,
    "home_library": 0.15,
    "year_sort": 0.10,
}


def term_bands(title_df: dict[str, int], works: int) -> dict[str, list[str]]:
    """Title words by how many works have them: rare (≤ 0.01%, at least 1), medium
    (0.1%-1%), common (≥ 3%). Words under three letters are left out."""
    rare_max = max(2, works // 10_000)
    bands: dict[str, list[str]] = {"rare": [], "medium": [], "common": []}
    for word, df in sorted(title_df.items()):
        if len(word) < 3 or not word.isalpha():
            continue
        if df <= rare_max:
            bands["rare"].append(word)
        elif works / 1000 <= df <= works / 100:
            bands["medium"].append(word)
        elif df >= works * 0.03:
            bands["common"].append(word)
    return bands


def query_mix(index: BenchIndex, count: int, seed: int) -> list[tuple[str, str]]:
    """(kind, API path) of `count` seeded queries."""
    rng = random.Random(seed)
    facts = index.catalogue
    bands = term_bands(facts["title_df"], facts["works_indexed"])
    band_names = [b for b in ("rare", "medium", "common") if bands[b]]
    libraries = facts["libraries"]

    def word(band: str | None = None) -> str:
        return rng.choice(bands[band or rng.choice(band_names)])

    def filters() -> dict[str, str]:
        name = rng.choice(["library", "format", "decade", "language"])
        # the most common values of a facet (the ones a patron sees first)
        values = libraries if name == "library" else facts["facet_values"][name][:8]
        return {f"f.{name}": rng.choice(values)}

    makers = {
        "one_word": lambda: {"q": word()},
        "two_three_words": lambda: {"q": " ".join(word() for _ in range(rng.randint(2, 3)))},
        "fielded": lambda: {
            "q": rng.choice(
                [
                    f"title:{word()}",
                    f"author:{rng.choice(facts['surnames']).split()[0]}",
                    'subject:"{}"'.format(rng.choice(facts["headings"])),
                ]
            )
        },
        "facet_filter": lambda: {"q": word(rng.choice(["medium", "common"])), **filters()},
        "home_library": lambda: {"q": word(), "library": rng.choice(libraries)},
        "year_sort": lambda: {"q": word("common"), "sort": "year_desc"},
    }
    kinds = rng.choices(list(MIX), weights=list(MIX.values()), k=count)
    return [(kind, "/api/v1/search?" + urlencode(makers[kind]())) for kind in kinds]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def api_server(index: BenchIndex, workers: int, threads: int):
    """gunicorn serving search_ui.wsgi:app on a free loopback port; yields the base URL."""
    port = _free_port()
    # wrk's clients all come from 127.0.0.1: the per-client rate limit would answer them 429
    env = {**os.environ, **index.environment(), "PYTHONPATH": str(REPO), "FEDCAT_RATE_LIMIT": "off"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
        + ["--worker-class", "gthread", "--threads", str(threads), "--log-level", "warning"]
        + ["search_ui.wsgi:app"],
        env=env,
        cwd=REPO,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/api/v1/health", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not come up") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(30)


def check_queries(base: str, paths: list[tuple[str, str]]) -> dict:
    """Send every query once (this also warms the server): statuses and result counts."""
    statuses: dict[str, int] = {}
    with_results = 0
    for _, path in paths:
        try:
            with urllib.request.urlopen(base + path, timeout=30) as answer:
                status, body = answer.status, json.load(answer)
        except urllib.error.HTTPError as error:
            status, body = error.code, {}
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        with_results += 1 if body.get("total", 0) > 0 else 0
    return {"statuses": statuses, "queries_with_results": with_results}


def run_wrk(base: str, url_file: Path, connections: int, duration: int) -> dict:
    threads = max(1, min(2, connections))
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s"]
    command += ["--timeout", "10s", "-s", str(LUA), base, "--", str(url_file)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found = re.search(r"^WRK_JSON (.*)$", output, re.MULTILINE)
    if not found:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    raw = json.loads(found.group(1))
    seconds = raw["duration_us"] / 1e6
    return {
        "connections": connections,
        "requests": raw["requests"],
        "errors": raw["errors"],
        "queries_per_second": round(raw["requests"] / seconds, 1),
        **{f"{k}_ms": round(v / 1000, 2) for k, v in raw["latency_us"].items()},
    }


def direct_engine(index: BenchIndex, paths: list[tuple[str, str]], duration: float) -> dict:
    """The same SearchRequests sent to engine.search() here, one at a time, for `duration` s."""
    engine = index.open_engine()
    known = set(index.catalogue["libraries"])
    requests = [
        search_request_from_params(parse_qs(urlsplit(path).query), known) for _, path in paths
    ]
    for request in requests:  # warm, as the API was
        engine.search(request)
    latencies: list[float] = []
    ended = time.perf_counter() + duration
    for number in itertools.count():  # at least every query once, then until time is up
        if number >= len(requests) and time.perf_counter() >= ended:
            break
        began = time.perf_counter()
        engine.search(requests[number % len(requests)])
        latencies.append(time.perf_counter() - began)
    engine.close()
    return {"requests": len(latencies), **latency_summary(latencies)}


def latency_summary(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "queries_per_second": round(len(ordered) / sum(ordered), 1),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
        "p50_ms": round(cut[49] * 1000, 2),
        "p95_ms": round(cut[94] * 1000, 2),
        "p99_ms": round(cut[98] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def run(
    works: int,
    engine: str,
    *,
    es_url: str = "http://127.0.0.1:9200",
    duration: int = 20,
    connections: int = 8,
    workers: int = 2,
    threads: int = 4,
    queries: int = 500,
    seed: int = 1,
    data_dir: Path = DATA,
    es_prefix: str = "fedcat-bench",
) -> dict:
    index = bench_index(
        works, engine, es_url=es_url, seed=seed, data_dir=data_dir, es_prefix=es_prefix
    )
    paths = query_mix(index, queries, seed)
    url_file = index.directory / f"queries-{queries}-seed-{seed}.txt"
    url_file.write_text("".join(path + "\n" for _, path in paths))
    with api_server(index, workers, threads) as base:
        check = check_queries(base, paths)
        loaded = run_wrk(base, url_file, connections, duration)
        one_client = run_wrk(base, url_file, 1, duration)
    direct = direct_engine(index, paths, duration)
    return {
        "benchmark": "search",
        "engine": engine,
        "works": index.catalogue["works_indexed"],
        "records": index.catalogue["records"],
        "queries": len(paths),
        "query_kinds": {kind: sum(1 for k, _ in paths if k == kind) for kind in MIX},
        **check,
        "server": f"gunicorn, {workers} workers x {threads} threads (gthread)",
        "api_concurrent": loaded,
        "api_one_client": one_client,
        "engine_direct_one_client": direct,
        "api_overhead_mean": round(one_client["mean_ms"] / direct["mean_ms"], 2),
        "api_overhead_p50": round(one_client["p50_ms"] / direct["p50_ms"], 2),
        "es_index": index.es_index if engine == "elasticsearch" else None,
        "machine": machine(),
    }


def print_search_table(result: dict) -> None:
    print_table({k: v for k, v in result.items() if not isinstance(v, dict) or k == "statuses"})
    print(f"{'':<26}{'q/s':>9}{'mean':>9}{'p50':>9}{'p95':>9}{'p99':>9}  (ms)")
    for name in ("api_concurrent", "api_one_client", "engine_direct_one_client"):
        row = result[name]
        label = f"{name} ({row['connections']})" if "connections" in row else name
        print(
            f"{label:<26}{row['queries_per_second']:>9}{row['mean_ms']:>9}{row['p50_ms']:>9}"
            f"{row['p95_ms']:>9}{row['p99_ms']:>9}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_index_options(parser)
    parser.add_argument("--duration", type=int, default=20, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--json", type=Path, help="default bench/results/search-ENGINE-N.json")
    args = parser.parse_args()
    result = run(
        args.works,
        args.engine,
        es_url=args.es_url,
        duration=args.duration,
        connections=args.connections,
        workers=args.workers,
        threads=args.threads,
        queries=args.queries,
        seed=args.seed,
    )
    print_search_table(result)
    write_json(result, args.json or Path(f"bench/results/search-{args.engine}-{args.works}.json"))


if __name__ == "__main__":
    main()
