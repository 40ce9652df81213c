#!/usr/bin/env bash
# A mixed soak: every read route and format (bench/mixed-routes.lua), random series and places,
# 64 connections, SOAK_SECS (600) seconds, default configuration with the rate limiter off.
# Reports errors (non-2xx and socket errors), the service's RSS in the first and the last
# minute, its peak RSS, and its PostgreSQL connections before and after.
#
#   bench/soak.sh          # on township_stats_random, built by bench/request-path.sh
set -euo pipefail
cd "$(dirname "$0")/.."
db=${DB:-township_stats_random}
secs=${SOAK_SECS:-600}
port=18295
work=$(mktemp -d /tmp/township-soak.XXXXXX)
bin=target/release/township-stats
cargo build --release --quiet --locked
export DATABASE_URL="postgres:///$db"
psql -d "$db" -Atc "\\copy (SELECT place_code || ',' || indicator_code FROM bench_keys ORDER BY n) TO '$work/keys.csv'"

backends() { psql -d postgres -Atc "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db'"; }
before=$(backends)
RATE_LIMIT_RPS=0 BIND="127.0.0.1:$port" RUST_LOG=warn PREPARE_DATABASE=false "$bin" serve 2>"$work/log" &
svc=$!
trap 'kill $svc 2>/dev/null || true; rm -rf "$work"' EXIT
until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.2; done
during=$(backends)

# RSS every second while wrk runs.
(while kill -0 $svc 2>/dev/null; do awk '/VmRSS/ {print $2}' /proc/$svc/status; sleep 1; done) >"$work/rss" &
sampler=$!
KEYS="$work/keys.csv" wrk -t2 -c64 -d"${secs}s" --latency -s bench/mixed-routes.lua \
    "http://127.0.0.1:$port" >"$work/wrk.txt"
kill $sampler 2>/dev/null || true
sleep 1
after_load=$(backends)
kill -TERM $svc
wait $svc || true
after=$(backends)

awk '/Requests\/sec/ {rps=$2} /requests in/ {n=$1} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
     /Non-2xx/ {bad+=$5} /Socket errors/ {bad+=$4+$6+$8+$10}
     END {printf "requests %d  %.0f req/s  p50 %s  p99 %s  errors %d\n", n, rps, p50, p99, bad}' "$work/wrk.txt"
awk 'NR <= 60 {a += $1; na++} {v[NR] = $1; if ($1 > peak) peak = $1}
     END {for (i = NR - 59; i <= NR; i++) if (i > 0) {b += v[i]; nb++}
          printf "RSS first minute %.1f MiB, last minute %.1f MiB, peak %.1f MiB\n", a/na/1024, b/nb/1024, peak/1024}' "$work/rss"
echo "PostgreSQL connections of $db: before start $before, serving $during, after the load $after_load, after exit $after"
grep "not 2xx" "$work/wrk.txt" || true
{ grep -c ERROR "$work/log" || true; } | awk '{print "error lines in the log: " $1}'
{ grep ERROR "$work/log" || true; } | sed "s/^\[[^]]*\]//" | sort | uniq -c | sort -rn | head -5
