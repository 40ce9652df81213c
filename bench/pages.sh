#!/usr/bin/env bash
# Township pages against the JSON listing of the same figures, random townships, same run. The
# response cache is off (RESPONSE_CACHE_MB=0) so that both answers are built each time; then on,
# for the figure a repeated visit gets.
#
#   bench/pages.sh      # township_stats_pages: seed + synth of 500 townships × 40 × 10, built once
#
# Needs wrk. Results go to docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
db=${DB:-township_stats_pages}
townships=${TOWNSHIPS:-500}
secs=${SECS:-15}
port=18196
work=$(mktemp -d /tmp/township-pages.XXXXXX)
bin=target/release/township-stats
cargo build --release --quiet --locked
export DATABASE_URL="postgres:///$db"
ensure_synthetic "$bin" "$townships"
psql -d "$db" -Atc "\\copy (SELECT DISTINCT place_code FROM observations WHERE source_id = 'synthetic') TO '$work/keys.csv'"
echo "townships: $(wc -l <"$work/keys.csv"); figures a township: $(psql -d "$db" -Atc "SELECT count(*) FROM observations WHERE place_code = (SELECT min(place_code) FROM observations WHERE source_id = 'synthetic')"); $(nproc) cores; wrk -t2 -c16 -d${secs}s"
pid=
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
serve() { # cache MB
    [ -n "$pid" ] && kill "$pid" && wait "$pid" 2>/dev/null || true
    RESPONSE_CACHE_MB=$1 RATE_LIMIT_RPS=0 BIND="127.0.0.1:$port" RUST_LOG=warn PREPARE_DATABASE=false "$bin" serve &
    pid=$!
    until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.2; done
}
run() { # label path-format
    local out
    out=$(KEYS="$work/keys.csv" PATH_FMT="$2" wrk -t2 -c16 -d"${secs}s" --latency -s bench/random-series.lua "http://127.0.0.1:$port")
    printf "%-34s %8s req/s   p50 %8s   p99 %8s\n" "$1" \
        "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
        "$(echo "$out" | awk '$1 == "50%" {print $2}')" \
        "$(echo "$out" | awk '$1 == "99%" {print $2}')"
}
for cache in 0 64; do
    serve "$cache"
    echo "RESPONSE_CACHE_MB=$cache"
    run "  township page (HTML)" "/places/%s"
    run "  the same figures (JSON)" "/v1/observations?place=%s&limit=1000&sort=period"
done
