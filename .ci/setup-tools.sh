#!/usr/bin/env bash
# Command-line tools the tests use besides Python packages: wrk (the search benchmark's load
# generator, run briefly by tests/test_bench_smoke.py).
set -euo pipefail
if ! command -v wrk >/dev/null 2>&1; then
  echo "[tools] installing wrk" >&2
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
# redis-server: tests/test_rate_limit_shared.py starts its own on a free loopback port (the
# shared rate limit, FEDCAT_RATE_LIMIT_STORE).
if ! command -v redis-server >/dev/null 2>&1; then
  echo "[tools] installing redis-server" >&2
  apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
fi
