#!/usr/bin/env bash
# One instance, two instances behind nginx, and nginx's cache in front of both, on the same
# random-series workload as bench/request-path.sh (every request one township × indicator),
# in one run. On one 2-core machine the instances share the cores: the point is the shape (what
# a second instance and a cache change, and what limits each), not the absolute numbers.
#
#   bench/scale.sh      # township_stats_pages: seed + synth of 500 townships × 40 × 10, built once
#
# Needs wrk and nginx. Results go to docs/SCALING.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
db=${DB:-township_stats_pages}
townships=${TOWNSHIPS:-500}
secs=${SECS:-15}
work=$(mktemp -d /tmp/township-scale.XXXXXX)
chmod 755 "$work"
bin=target/release/township-stats
cargo build --release --quiet --locked
export DATABASE_URL="postgres:///$db"
ensure_synthetic "$bin" "$townships"
psql -d "$db" -Atc "\\copy (SELECT DISTINCT place_code || ',' || indicator_code FROM observations WHERE source_id = 'synthetic') TO '$work/keys.csv'"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
p1=$(free_port); p2=$(free_port); pc=$(free_port); pn=$(free_port)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; for c in cache nocache; do [ -f "$work/$c/nginx.pid" ] && kill "$(cat "$work/$c/nginx.pid")" 2>/dev/null; done; rm -rf "$work"' EXIT
for port in $p1 $p2; do
    RATE_LIMIT_RPS=0 RESPONSE_CACHE_MB=0 BIND="127.0.0.1:$port" RUST_LOG=warn PREPARE_DATABASE=false "$bin" serve &
    pids+=($!)
done
for port in $p1 $p2; do until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.2; done; done
user_line=; [ "$(id -u)" = 0 ] && user_line="user root;"
for c in cache nocache; do
    mkdir -p "$work/$c"
    port=$pc; [ "$c" = nocache ] && port=$pn
    sed -e "s|__CACHE__|$work/$c|g" -e "s|__LISTEN__|127.0.0.1:$port|" \
        -e "s|__UPSTREAMS__|server 127.0.0.1:$p1; server 127.0.0.1:$p2;|" deploy/nginx.conf >"$work/$c.conf"
    [ "$c" = nocache ] && sed -i 's|^\( *\)proxy_cache township;|\1proxy_cache off;|' "$work/$c.conf"
    nginx -p "$work/$c" -c "$work/$c.conf" -g "daemon on; $user_line"
done
sleep 0.5
served() { # instance requests so far, from both /metrics
    local n=0
    for port in $p1 $p2; do
        n=$((n + $(curl -fsS "http://127.0.0.1:$port/metrics" | awk -F' ' '/^township_stats_http_requests_total\{.*endpoint="\/v1\/observations"/ {s += $2} END {printf "%d", s}')))
    done
    echo "$n"
}
run() { # label url
    local out before after total
    before=$(served)
    out=$(KEYS="$work/keys.csv" wrk -t2 -c32 -d"${secs}s" --latency -s bench/random-series.lua "$2")
    after=$(served)
    total=$(echo "$out" | awk '/requests in/ {print $1}')
    printf "%-44s %8s req/s   p50 %8s   p99 %8s   reached an instance: %s of %s\n" "$1" \
        "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
        "$(echo "$out" | awk '$1 == "50%" {print $2}')" \
        "$(echo "$out" | awk '$1 == "99%" {print $2}')" "$((after - before))" "$total"
}
echo "series: $(wc -l <"$work/keys.csv"); $(nproc) cores; wrk -t2 -c32 -d${secs}s; instances: RESPONSE_CACHE_MB=0"
run "one instance" "http://127.0.0.1:$p1"
run "two instances behind nginx (no cache)" "http://127.0.0.1:$pn"
run "nginx cache in front, first pass (cold)" "http://127.0.0.1:$pc"
run "nginx cache in front, second pass (warm)" "http://127.0.0.1:$pc"
