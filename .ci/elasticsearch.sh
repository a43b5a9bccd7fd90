#!/usr/bin/env bash
# Fetch (from Maven Central), start, wait for, and stop a real Elasticsearch server for the tests.
#   .ci/elasticsearch.sh start   -> prints nothing on success; the server listens on 127.0.0.1:$FEDCAT_ES_PORT
#   .ci/elasticsearch.sh stop
# The integ-test-zip build has server-core features only, no bundled JDK: it runs on the JDK here.
set -euo pipefail

ES_VERSION="${FEDCAT_ES_VERSION:-8.19.7}"
ES_PORT="${FEDCAT_ES_PORT:-9200}"
ES_HEAP="${FEDCAT_ES_HEAP:-512m}"
CACHE="${FEDCAT_CACHE:-$HOME/.cache/fedcat}"
ES_HOME="$CACHE/elasticsearch-$ES_VERSION"
ES_USER="${FEDCAT_ES_USER:-fedcat-es}"
ARTIFACT="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip"
ZIP="$HOME/.m2/repository/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION/elasticsearch-$ES_VERSION.zip"
URL="http://127.0.0.1:$ES_PORT"

log() { echo "[elasticsearch] $*" >&2; }

as_es_user() {
  if [ "$(id -u)" = 0 ]; then runuser -u "$ES_USER" -- "$@"; else "$@"; fi
}

ensure_tools() {
  local missing=()
  command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || missing+=(maven)
  command -v unzip >/dev/null || missing+=(unzip)
  command -v curl >/dev/null || missing+=(curl)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

fetch() {
  if [ ! -f "$ZIP" ]; then
    log "fetching $ARTIFACT from Maven Central"
    mvn -q -B dependency:get -Dartifact="$ARTIFACT" -Dtransitive=false
  fi
  if [ ! -x "$ES_HOME/bin/elasticsearch" ]; then
    log "unpacking into $ES_HOME"
    mkdir -p "$CACHE"
    rm -rf "$ES_HOME.tmp" && mkdir "$ES_HOME.tmp"
    unzip -q "$ZIP" -d "$ES_HOME.tmp"
    mv "$ES_HOME.tmp/elasticsearch-$ES_VERSION" "$ES_HOME" && rmdir "$ES_HOME.tmp"
  fi
}

configure() {
  if [ "$(id -u)" = 0 ] && ! id "$ES_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER"
  fi
  cat > "$ES_HOME/config/elasticsearch.yml" <<YML
cluster.name: fedcat-test
node.name: fedcat-test-node
network.host: 127.0.0.1
http.port: $ES_PORT
transport.port: $((ES_PORT + 100))
discovery.type: single-node
xpack.security.enabled: false
path.data: $ES_HOME/data
path.logs: $ES_HOME/logs
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
YML
  printf -- '-Xms%s\n-Xmx%s\n' "$ES_HEAP" "$ES_HEAP" > "$ES_HOME/config/jvm.options.d/heap.options"
  if [ "$(id -u)" = 0 ]; then
    chown -R "$ES_USER" "$ES_HOME"
    # the server user must be able to reach its home through the cache path
    local dir="$ES_HOME"
    while [ "$dir" != "/" ]; do chmod o+x "$dir" 2>/dev/null || true; dir=$(dirname "$dir"); done
  fi
}

healthy() { curl -fsS "$URL/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1; }

start() {
  if healthy; then log "already running at $URL"; return 0; fi
  ensure_tools
  fetch
  configure
  log "starting $ES_VERSION at $URL (heap $ES_HEAP, user $ES_USER)"
  rm -f "$ES_HOME/es.pid"
  as_es_user env ES_JAVA_OPTS="${ES_JAVA_OPTS:-}" ES_JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}" \
    "$ES_HOME/bin/elasticsearch" -d -p "$ES_HOME/es.pid" >"$CACHE/es-start.log" 2>&1
  for _ in $(seq 1 120); do
    if healthy; then log "ready"; return 0; fi
    sleep 1
  done
  log "did not become healthy in 120 s; last log lines:"
  tail -n 40 "$ES_HOME/logs/fedcat-test.log" >&2 || true
  return 1
}

stop() {
  if [ -f "$ES_HOME/es.pid" ]; then
    local pid; pid=$(cat "$ES_HOME/es.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$ES_HOME/es.pid"
    log "stopped"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
