"""What every benchmark prints and writes: a small table, a JSON file, the machine it ran on."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path


def machine() -> dict:
    """Where the figures came from, and how busy the machine was when they were taken."""
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return {
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 2**20, 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
    }


def print_table(result: dict, skip: tuple[str, ...] = ("machine",)) -> None:
    width = max(len(k) for k in result)
    for key, value in result.items():
        if (
            key not in skip
            and not isinstance(value, list | tuple)
            or key in ("rss_mib_sampled_min_max", "anon_mib_sampled_min_max")
        ):
            print(f"{key:<{width}}  {value}")
    where = result.get("machine", {})
    if where:
        print(
            f"{'machine':<{width}}  {where['cores']} cores, {where['memory_gib']} GiB, "
            f"load {where['load_average_1m']} ({where['cpu']})"
        )


def write_json(result: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"written: {path}")


def _harvest_row(r: dict) -> str:
    rss, anon = r["rss_mib_at"], r.get("anon_mib_at", {})
    own = " / ".join(str(anon.get(k, "–")) for k in ("10%", "50%", "100%")) if anon else "–"
    sampled = r.get("anon_mib_sampled_min_max", ["–", "–"])[1]
    return (
        f"| {r['engine']} | {r['works_generated']:,} | {r['records']:,} | {r['works_indexed']:,} "
        f"| {r['seconds']:,} | **{r['records_per_second']:,}** "
        f"| {r['parse_only_records_per_second']:,} "
        f"| {rss.get('10%')} / {rss.get('50%')} / {rss.get('100%')} | {r['peak_rss_mib']} "
        f"| {own} | {sampled} "
        f"| {r['machine']['load_average_1m']} |"
    )


def _search_rows(r: dict) -> list[str]:
    rows = []
    for name, label in (
        ("api_concurrent", f"API, {r['api_concurrent']['connections']} clients"),
        ("api_one_client", "API, 1 client"),
        ("engine_direct_one_client", "engine direct, 1 client"),
    ):
        m = r[name]
        rows.append(
            f"| {r['engine']} | {r['works']:,} | {label} | {m['queries_per_second']} "
            f"| {m['p50_ms']} | {m['p95_ms']} | {m['p99_ms']} | {r['machine']['load_average_1m']} |"
        )
    return rows


def markdown(results_dir: Path) -> str:
    """The README's tables from the JSON results in `results_dir`."""
    results = [json.loads(p.read_text()) for p in sorted(results_dir.glob("*.json"))]
    harvests = sorted(
        (r for r in results if r.get("benchmark") == "harvest"),
        key=lambda r: (r["engine"], r["works_generated"]),
    )
    searches = sorted(
        (r for r in results if r.get("benchmark") == "search"),
        key=lambda r: (r["engine"], r["works"]),
    )
    lines = [
        "| engine | works | records | works indexed | seconds | records/s end to end "
        "| parse-only records/s | RSS MiB at 10% / 50% / 100% | peak RSS MiB "
        "| own (anon) MiB at 10% / 50% / 100% | own MiB, sampled max | load |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *(_harvest_row(r) for r in harvests),
        "",
        "| engine | works | run | queries/s | p50 ms | p95 ms | p99 ms | load |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
        *(row for r in searches for row in _search_rows(r)),
        "",
        "| engine | works | API overhead (mean) | API overhead (p50) | queries answered 200 |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(
            f"| {r['engine']} | {r['works']:,} | {r['api_overhead_mean']}x "
            f"| {r['api_overhead_p50']}x | {r['statuses'].get('200', 0)} of {r['queries']} |"
            for r in searches
        ),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    print(markdown(Path(sys.argv[1] if len(sys.argv) > 1 else "bench/results")))
