#!/usr/bin/env bash
# Streams the bulk observations CSV of a large table through the service and compares it with
# psql \copy of the same rows (the same join), in one run on one machine. Prints throughput and
# the service's peak RSS.
#
#   bench/bulk-csv.sh [townships] [years]     default 25000 × 57 indicators × 1 year ≈ 1.4 M rows
#
# Uses its own database (township_stats_bench), built once and reused; the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
townships=${1:-25000}
years=${2:-1}
db=township_stats_bench
port=18089

cargo build --release --quiet --locked
bin=target/release/township-stats
export DATABASE_URL="postgres:///$db"

"$bin" migrate >/dev/null 2>&1
"$bin" seed >/dev/null
want=$((townships * $(psql -d "$db" -Atc 'SELECT count(*) FROM indicators') * years))
have=$(psql -d "$db" -Atc "SELECT count(*) FROM observations WHERE source_id = 'bench-synthetic'")
if [ "$have" -ne "$want" ]; then
    # Observations are never deleted (a trigger refuses): start from a new database instead.
    dropdb --force "$db"
    "$bin" migrate >/dev/null 2>&1
    "$bin" seed >/dev/null
    psql -q -d "$db" -v townships="$townships" -v years="$years" -f bench/synthetic.sql
fi
rows=$(psql -d "$db" -Atc 'SELECT count(*) FROM observations')
echo "rows: $rows"

BIND="127.0.0.1:$port" RUST_LOG=warn "$bin" serve &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.2; done
idle_kib=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")

measure() { # label, command...: prints seconds and bytes
    local start end bytes
    start=$(date +%s.%N)
    bytes=$("${@:2}" | wc -c)
    end=$(date +%s.%N)
    awk -v l="$1" -v b="$bytes" -v s="$start" -v e="$end" -v r="$rows" 'BEGIN {
        t = e - s; printf "%-10s %8.2f s %9.1f MB %8.1f MB/s %10.0f rows/s\n", l, t, b / 1e6, b / 1e6 / t, r / t }'
}

copy_sql="COPY (SELECT o.id, o.indicator_code, i.name_zh, i.name_en, o.place_code, p.name_zh, p.name_en,
    p.level, o.period_start, o.period_end, o.kind, o.value, i.unit, o.qualifier, o.value_as_written,
    o.unit_as_written, o.note, o.source_id, o.quote
    FROM observations o JOIN indicators i ON i.code = o.indicator_code JOIN places p ON p.code = o.place_code
    ORDER BY o.id) TO STDOUT WITH (FORMAT csv, HEADER)"

echo "run        time        size    throughput       rows"
for run in 1 2; do
    measure "psql#$run" psql -d "$db" -Atc "\\copy $(echo "${copy_sql#COPY }" | tr "\n" " ")"
    measure "api#$run" curl -fsS "http://127.0.0.1:$port/v1/downloads/observations.csv"
done
peak_kib=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
echo "service RSS: idle $((idle_kib / 1024)) MiB, peak $((peak_kib / 1024)) MiB"
