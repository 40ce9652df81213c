#!/usr/bin/env bash
# Peak memory of the service under the downloads that cost it most, with default settings
# (the rate limiter off). Results go to docs/RELIABILITY.md.
#
#   bench/memory.sh [BINARY]
#
#   a. 10 concurrent whole-table downloads of observations.csv in each encoding (identity, gzip,
#      br, zstd), read as fast as curl reads (for READ_SECS each, if set);
#   b. 30 brotli downloads at once (more than the memory budget holds), and 10 read slowly
#      (64 KiB/s each) for SLOW_SECS seconds;
#   c. 8 concurrent JSON-stat requests just under the JSON-stat cap (100,000 rows).
#
# Each run resets the kernel's peak-RSS mark (/proc/PID/clear_refs) first and reads VmHWM after,
# so every figure is that run's own peak; "after" is VmRSS once the run has ended.
# Database township_stats_random (see bench/request-path.sh): the seed plus 3000 synthetic
# townships × 40 indicators × 10 years.
set -euo pipefail
cd "$(dirname "$0")/.."
db=${DB:-township_stats_random}
slow_secs=${SLOW_SECS:-20}
# Each whole-table download is read for at most this long (0: to its end). A stream's memory is
# the same from its first batch to its last, so a shorter read measures the same peak.
read_secs=${READ_SECS:-0}
port=18197
bin=${1:-target/release/township-stats}
[ -n "${1:-}" ] || cargo build --release --quiet --locked
export DATABASE_URL="postgres:///$db"
have=$(psql -d "$db" -Atc "SELECT count(DISTINCT place_code) FROM observations WHERE source_id = 'synthetic'" 2>/dev/null || echo 0)
if [ "$have" -lt 3000 ]; then
    "$bin" migrate && "$bin" seed >/dev/null
    "$bin" synth --townships 3000 --indicators 40 --years 10
fi

RATE_LIMIT_RPS=0 BIND="127.0.0.1:$port" RUST_LOG=warn "$bin" serve &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.2; done
base="http://127.0.0.1:$port"
kib() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$pid/status"; }
echo "rows: $(psql -d "$db" -Atc 'SELECT count(*) FROM observations'); $(nproc) cores; idle RSS $(($(kib VmRSS) / 1024)) MiB"
printf '%-34s %9s %10s %9s %s\n' run seconds "peak MiB" "after MiB" statuses

# run LABEL N CURL-ARGS...: N concurrent curls, their status codes tallied.
run() {
    local label=$1 n=$2 start end codes
    shift 2
    echo 5 >"/proc/$pid/clear_refs"
    start=$(date +%s.%N)
    codes=$(for _ in $(seq "$n"); do curl -s -o /dev/null -w '%{http_code}\n' "$@" & done; wait)
    end=$(date +%s.%N)
    printf '%-34s %9.1f %10d %9d %s\n' "$label" "$(echo "$end - $start" | bc)" \
        $(($(kib VmHWM) / 1024)) $(($(kib VmRSS) / 1024)) "$(echo "$codes" | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}')"
}

for enc in identity gzip br zstd; do
    run "10 × observations.csv ($enc)" 10 -H "Accept-Encoding: $enc" --max-time "$read_secs" \
        "$base/v1/downloads/observations.csv"
done
# More brotli streams than the budget holds: the ones past it wait, then get 503, never memory.
run "30 × observations.csv (br)" 30 -H "Accept-Encoding: br" --max-time "$read_secs" \
    "$base/v1/downloads/observations.csv"
run "10 × slow br reader (${slow_secs} s)" 10 -H "Accept-Encoding: br" --limit-rate 64k \
    --max-time "$slow_secs" "$base/v1/downloads/observations.csv"

# Indicators whose observations together come nearest the cap from below.
indicators=$(psql -d "$db" -At <<'SQL'
SELECT string_agg(indicator_code, ',') FROM (
  SELECT indicator_code, sum(count(*)) OVER (ORDER BY indicator_code) AS running
  FROM observations GROUP BY indicator_code) t WHERE running <= 100000
SQL
)
rows=$(curl -fsS "$base/v1/observations?indicator=$indicators&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["meta"]["total"])')
run "8 × JSON-stat, $rows rows" 8 "$base/v1/observations?indicator=$indicators&format=jsonstat"
run "8 × JSON-stat, $rows rows (gzip)" 8 -H "Accept-Encoding: gzip" "$base/v1/observations?indicator=$indicators&format=jsonstat"
