#!/usr/bin/env bash
# Imports about a million rows (every township × 25 indicators) through POST /v1/imports, and
# compares in the same run with psql \copy of the same file into a staging table. Prints rows/s
# of each and the service's peak RSS.
#
#   bench/import.sh
#
# Uses its own database (township_stats_import_bench), made anew each run (observations are
# never deleted); the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
db=township_stats_import_bench
port=18091
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --locked
bin=target/release/township-stats
export DATABASE_URL="postgres:///$db"
dropdb --if-exists --force "$db"
createdb "$db"
"$bin" migrate >/dev/null 2>&1
"$bin" seed >/dev/null
rows=$(python3 bench/import-rows.py "$db" "$work")
echo "rows: $rows, file: $(du -m "$work/rows.csv" | cut -f1) MB"
token=$("$bin" token create --name bench | tail -n 1)

BIND="127.0.0.1:$port" RATE_LIMIT_RPS=0 RUST_LOG=warn "$bin" serve &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.2; done
curl -fsS -o /dev/null -X PUT -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data-binary "@$work/source.json" "http://127.0.0.1:$port/v1/sources/import-bench"
idle_kib=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")

timed() { # label, command...: prints seconds and rows/s
    local start end
    start=$(date +%s.%N)
    "${@:2}" >"$work/out"
    end=$(date +%s.%N)
    label="$1" awk -v s="$start" -v e="$end" -v r="$rows" 'BEGIN {
        printf "%-22s %7.2f s %10.0f rows/s\n", ENVIRON["label"], e - s, r / (e - s) }'
}
import() { # query
    curl -fsS -X POST -H "Authorization: Bearer $token" -H 'Content-Type: text/csv' \
        --data-binary "@$work/rows.csv" "http://127.0.0.1:$port/v1/imports?source=import-bench&$1"
}

psql -q -d "$db" -c "CREATE TABLE staging (indicator_code text, place_code text, period_start int,
    period_end int, kind text, value_as_written text, unit_as_written text, quote text)"
echo "run                       time       rows"
timed "psql \\copy to staging" psql -q -d "$db" -c "\\copy staging FROM '$work/rows.csv' WITH (FORMAT csv, HEADER)"
# What landing the rows in the real table costs PostgreSQL itself (its eight indexes, four
# foreign keys, triggers), with no check at all; rolled back.
timed "psql INSERT…SELECT" psql -q -d "$db" -c "BEGIN;
    INSERT INTO observations (indicator_code, place_code, period_start, period_end, kind, value,
        value_as_written, unit_as_written, source_id, quote, quote_start, quote_end)
    SELECT indicator_code, place_code, period_start, period_end, kind, value_as_written::numeric,
        value_as_written, unit_as_written, 'import-bench', quote, 0, char_length(quote)
    FROM staging;
    ROLLBACK;"
timed "api dry run" import "dry_run=true"
jq -c '{added, changed, unchanged, omitted}' "$work/out"
timed "api import" import ""
jq -c '{release, added, changed, unchanged, omitted}' "$work/out"
timed "api import, unchanged" import ""
jq -c '{release, added, changed, unchanged, omitted}' "$work/out"
peak_kib=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
echo "service RSS: idle $((idle_kib / 1024)) MiB, peak $((peak_kib / 1024)) MiB"
echo "published: $(psql -d "$db" -Atc "SELECT count(*) FROM observations WHERE source_id = 'import-bench'")"
