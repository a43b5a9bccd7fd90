#!/usr/bin/env bash
# Install (Debian's package), start, and stop a real PostgreSQL server for the ILL store tests.
#   .ci/postgres.sh start   -> the server listens on 127.0.0.1:$FEDCAT_PG_PORT (default 55432)
#   .ci/postgres.sh url     -> prints the DSN of the test database
#   .ci/postgres.sh stop
# The cluster is our own (data dir in the cache, owned by the postgres user), separate from any
# cluster the package set up; it trusts loopback connections only, which is fine for tests.
set -euo pipefail

PG_PORT="${FEDCAT_PG_PORT:-55432}"
PG_DB="${FEDCAT_PG_DB:-fedcat_test}"
CACHE="${FEDCAT_CACHE:-$HOME/.cache/fedcat}"
PGDATA="$CACHE/postgresql-data"
PG_LOG="$CACHE/postgresql.log"
PG_USER=postgres

log() { echo "[postgres] $*" >&2; }

# the newest server's bin directory (the client package alone has psql there, not initdb)
bindir() {
  local initdb
  initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)
  [ -n "$initdb" ] && dirname "$initdb"
  return 0
}

as_pg_user() {
  if [ "$(id -u)" = 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

ensure_installed() {
  if [ -n "$(bindir)" ]; then return 0; fi
  log "installing Debian's postgresql package"
  # another apt run may hold the lock for a while: wait for it rather than fail
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    postgresql >/dev/null
  [ -n "$(bindir)" ] || { log "postgresql binaries not found after install"; exit 1; }
}

init_cluster() {
  mkdir -p "$CACHE"
  if [ "$(id -u)" = 0 ]; then
    # the server user must be able to reach its data dir through the cache path
    local dir="$CACHE"
    while [ "$dir" != "/" ]; do chmod o+x "$dir" 2>/dev/null || true; dir=$(dirname "$dir"); done
  fi
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    log "creating a cluster in $PGDATA"
    rm -rf "$PGDATA" && mkdir -p "$PGDATA"
    [ "$(id -u)" = 0 ] && chown "$PG_USER" "$PGDATA"
    as_pg_user "$(bindir)/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 >/dev/null
  fi
  touch "$PG_LOG"
  [ "$(id -u)" = 0 ] && chown "$PG_USER" "$PG_LOG"
  return 0
}

ready() { "$(bindir)/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; }

psql_() { "$(bindir)/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -tA "$@"; }

start() {
  ensure_installed
  if ! ready; then
    init_cluster
    log "starting $("$(bindir)/postgres" --version) on 127.0.0.1:$PG_PORT"
    as_pg_user "$(bindir)/pg_ctl" -D "$PGDATA" -l "$PG_LOG" -w -t 60 start \
      -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories='$PGDATA'" \
      >/dev/null || { tail -n 30 "$PG_LOG" >&2; exit 1; }
  fi
  if [ "$(psql_ -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != 1 ]; then
    psql_ -d postgres -c "CREATE DATABASE $PG_DB" >/dev/null
    log "created database $PG_DB"
  fi
  log "ready: $(url)"
}

stop() {
  if [ -f "$PGDATA/postmaster.pid" ] && [ -n "$(bindir)" ]; then
    as_pg_user "$(bindir)/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null || true
    log "stopped"
  fi
}

url() { echo "postgresql://postgres@127.0.0.1:$PG_PORT/$PG_DB"; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) url ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
