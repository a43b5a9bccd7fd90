"""What keeping facet counts per commit saves when a patron pages or re-sorts a search.

    python bench/facet_cache.py --works 100000 [--queries 200] [--engine tantivy]

Over the benchmark index (bench/build.py) and bench/search.py's seeded query mix, each query
is asked as a patron does it: page 1, then page 2, then page 1 sorted by year. Measured in
one run, query by query, on two engines opened on the same index: one counting every
search's facets (FEDCAT_FACET_CACHE=0), one keeping them (the default size). Page 1 counts
either way; pages 2 and the re-sort are where the cache answers. Prints p50/p95 per step.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.build import add_index_options, bench_index  # noqa: E402
from bench.report import machine  # noqa: E402
from bench.search import latency_summary, query_mix  # noqa: E402
from config.settings import DEFAULT_FACET_CACHE  # noqa: E402
from search_ui.request_params import search_request_from_params  # noqa: E402

STEPS = ("page 1", "page 2", "page 1 by year")


def _steps(request):
    return [request, replace(request, offset=request.limit), replace(request, sort="year_desc")]


def measure(works: int, engine_name: str, es_url: str, queries: int, seed: int) -> list[dict]:
    base = bench_index(works, engine_name, es_url=es_url)
    known = set(base.catalogue["libraries"])
    requests = [
        search_request_from_params(parse_qs(urlsplit(path).query), known)
        for _, path in query_mix(base, queries, seed)
    ]
    engines = {
        "counted every time": replace(base, facet_cache=0).open_engine(),
        "kept per commit": replace(base, facet_cache=DEFAULT_FACET_CACHE).open_engine(),
    }
    timings = {(name, step): [] for name in engines for step in STEPS}
    for request in requests:  # in turn, so both see the same machine load
        for name, engine in engines.items():
            for step, asked in zip(STEPS, _steps(request), strict=True):
                began = time.perf_counter()
                engine.search(asked)
                timings[name, step].append(time.perf_counter() - began)
    rows = []
    for (name, step), seconds in timings.items():
        rows.append({"facets": name, "step": step, **latency_summary(seconds)})
    for engine in engines.values():
        engine.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_index_options(parser, works=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rows = measure(args.works, args.engine, args.es_url, args.queries, args.seed)
    print(f"{args.works} works, {args.engine}, {args.queries} queries; machine: {machine()}")
    print("| facets | step | mean ms | p50 ms | p95 ms |")
    print("| --- | --- | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['facets']} | {row['step']} | {row['mean_ms']} | {row['p50_ms']} "
            f"| {row['p95_ms']} |"
        )


if __name__ == "__main__":
    main()
