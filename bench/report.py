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
            or key == "rss_mib_sampled_min_max"
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
