#!/usr/bin/env bash
# Command-line tools the tests use besides Python packages: wrk (the search benchmark's load
# generator, run briefly by tests/test_bench_smoke.py).
set -euo pipefail
if ! command -v wrk >/dev/null 2>&1; then
  echo "[tools] installing wrk" >&2
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
