"""Where a search's engine time goes: per kind of query, and what the facet counts cost.

    python bench/engine_profile.py --works 1000000 [--engine tantivy|elasticsearch]

The search benchmark's query mix (bench/search.py, same seed) on the same index
(bench/build.py), sent straight to engine.search() one at a time, three ways: as the API
asks (20 hits and the default facet counts), without facet counts, and without hits either
(only the total). Then each facet alone, to show which facet costs what. Prints mean and p95
latency per variant and per kind of query, and writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.build import BenchIndex, add_index_options, bench_index  # noqa: E402
from bench.report import machine, write_json  # noqa: E402
from bench.search import query_mix  # noqa: E402
from search_ui.request_params import search_request_from_params  # noqa: E402


def _summary(milliseconds: list[float]) -> dict:
    ordered = sorted(milliseconds)
    return {
        "mean_ms": round(statistics.fmean(ordered), 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2),
    }


def run(index: BenchIndex, queries: int = 500, seed: int = 1) -> dict:
    """Profile `queries` queries of the search benchmark's mix on `index` (see bench_index)."""
    searcher = index.open_engine()
    known = set(index.catalogue["libraries"])
    mix = [
        (kind, search_request_from_params(parse_qs(urlsplit(path).query), known))
        for kind, path in query_mix(index, queries, seed)
    ]
    facets = mix[0][1].facets
    variants = {
        "as the API asks": lambda r: r,
        "no facet counts": lambda r: dataclasses.replace(r, facets=()),
        "total only": lambda r: dataclasses.replace(r, facets=(), limit=0),
        **{
            f"only facet {name}": (lambda n: lambda r: dataclasses.replace(r, facets=(n,)))(name)
            for name in facets
        },
    }
    for _, request in mix:  # warm caches, as the API was
        searcher.search(request)
    figures: dict[str, dict] = {}
    for label, change in variants.items():
        by_kind: dict[str, list[float]] = {}
        for kind, request in mix:
            changed = change(request)
            began = time.perf_counter()
            searcher.search(changed)
            by_kind.setdefault(kind, []).append((time.perf_counter() - began) * 1000)
        every = [ms for values in by_kind.values() for ms in values]
        figures[label] = {
            **_summary(every),
            "by_kind": {kind: _summary(values) for kind, values in sorted(by_kind.items())},
        }
    searcher.close()
    return {
        "benchmark": "engine_profile",
        "engine": index.engine,
        "works": index.catalogue["works_indexed"],
        "queries": len(mix),
        "facets": list(facets),
        "variants": figures,
        "machine": machine(),
    }


def print_profile(result: dict) -> None:
    print(f"{result['engine']}, {result['works']:,} works, {result['queries']} queries")
    kinds = list(result["variants"]["as the API asks"]["by_kind"])
    print(f"{'mean / p95 ms':<26}{'all':>14}" + "".join(f"{k:>18}" for k in kinds))
    for label, row in result["variants"].items():
        cells = "".join(
            f"{row['by_kind'][k]['mean_ms']:>9.1f} /{row['by_kind'][k]['p95_ms']:>6.1f}"
            for k in kinds
        )
        print(f"{label:<26}{row['mean_ms']:>7.1f} /{row['p95_ms']:>5.1f}{cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_index_options(parser)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--json", type=Path, help="default bench/results/profile-ENGINE-N.json")
    args = parser.parse_args()
    index = bench_index(args.works, args.engine, es_url=args.es_url, seed=args.seed)
    result = run(index, queries=args.queries, seed=args.seed)
    print_profile(result)
    write_json(result, args.json or Path(f"bench/results/profile-{args.engine}-{args.works}.json"))


if __name__ == "__main__":
    main()
