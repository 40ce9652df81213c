#!/usr/bin/env bash
# Before/after: two builds of the service serve the same request in turn, rounds alternating,
# under the same load (wrk -t2 -c32), against the same database. Extra environment (say
# RESPONSE_CACHE_MB=0, so that every request runs its query) applies to both.
#
#   bench/compare-binaries.sh OLD_BINARY NEW_BINARY [PATH_AND_QUERY]
#   ROUNDS=3 SECS=10 DB=township_stats_national (defaults)
#
# Build the old binary from an earlier commit with, for instance:
#   git worktree add /tmp/old <commit> && (cd /tmp/old && CARGO_TARGET_DIR=$PWD/target \
#     cargo build --release) && cp target/release/township-stats /tmp/township-stats-old
set -euo pipefail
old=$1 new=$2
path=${3:-/v1/observations?place=511903114&indicator=abandoned_land_reclaimed_area}
db=${DB:-township_stats_national}
port=18210
export DATABASE_URL="postgres:///$db" RATE_LIMIT_RPS=0 RUST_LOG=warn DATABASE_POOL_SIZE=16 \
    PREPARE_DATABASE=false BIND="127.0.0.1:$port"
for round in $(seq "${ROUNDS:-3}"); do
    for label in old new; do
        bin=$old; [ "$label" = new ] && bin=$new
        "$bin" serve &
        svc=$!
        until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.1; done
        curl -s -o /dev/null "http://127.0.0.1:$port$path"
        wrk -t2 -c32 -d"${SECS:-10}s" --latency "http://127.0.0.1:$port$path" |
            awk -v l="$label" -v r="$round" '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
                END {printf "round %s %-4s %8.0f req/s  p50 %8s  p99 %8s\n", r, l, rps, p50, p99}'
        kill "$svc"; wait "$svc" 2>/dev/null || true
    done
done
