#!/usr/bin/env bash
# Debian's chromium for the browser tests (Playwright drives it; no browser download).
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  echo "[browser] installing Debian's chromium" >&2
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
