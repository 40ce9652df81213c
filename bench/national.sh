#!/usr/bin/env bash
# The national-scale benchmark: one run, one machine, one data set, each measurement beside its
# baseline. Results go to docs/PERFORMANCE.md by hand, with this command and the machine.
#
#   bench/national.sh            # database township_stats_national, built once by `synth`
#
#   a. series query (one township, one indicator): API vs the same SQL through pgbench
#   b. district × indicator × year: API vs the same SQL through pgbench
#      (a, b and e measure the service twice: as configured by default, where a repeated request
#      is answered from the response cache, and with RESPONSE_CACHE_MB=0, where every request
#      runs its query)
#   c. repeated identical request answered 304 (If-None-Match) vs /healthz
#   d. bulk CSV export vs psql \copy of the same rows, with the service's peak RSS
#   e. the series query through Datasette (SQLite) vs the API
#   f. start-up on an empty database (migrate + gazetteer + seed), and RSS at idle
# Load: wrk -t2 -c32 (pgbench -c32 -j2, in its simple protocol and with prepared statements, as
# the service sends them). Needs wrk, pgbench, python3 (datasette from PyPI), sqlite3.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
db=${DB:-township_stats_national}
port=18095
secs=${SECS:-15}
work=$(mktemp -d /tmp/township-bench.XXXXXX)
venv=${VENV:-target/venv}
bin=target/release/township-stats
cargo build --release --quiet --locked
export DATABASE_URL="postgres:///$db"

if [ "$(psql -d "$db" -Atc "SELECT count(DISTINCT place_code) FROM observations WHERE source_id = 'synthetic'" 2>/dev/null || echo 0)" -lt 41352 ]; then
    "$bin" migrate && "$bin" seed >/dev/null
    "$bin" synth --townships 41352 --indicators 40 --years 10
fi
rows=$(psql -d "$db" -Atc "SELECT count(*) FROM observations")
echo "observations: $rows"

RATE_LIMIT_RPS=0 BIND="127.0.0.1:$port" RUST_LOG=warn DATABASE_POOL_SIZE=16 "$bin" serve &
svc=$!
RATE_LIMIT_RPS=0 BIND="127.0.0.1:$((port + 3))" RUST_LOG=warn DATABASE_POOL_SIZE=16 RESPONSE_CACHE_MB=0 \
    PREPARE_DATABASE=false "$bin" serve &
uncached_svc=$!
trap 'kill $svc $uncached_svc 2>/dev/null || true; rm -rf "$work"' EXIT
until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 &&
    curl -fsS "http://127.0.0.1:$((port + 3))/readyz" >/dev/null 2>&1; do sleep 0.2; done
base="http://127.0.0.1:$port"
uncached="http://127.0.0.1:$((port + 3))"

# A township, an indicator of the synthetic set, and its county.
township=511903114
county=511903
indicator=$(psql -d "$db" -Atc "SELECT indicator_code FROM observations WHERE source_id = 'synthetic' AND place_code = '$township' ORDER BY 1 LIMIT 1")
year=2018

wrk_run() { # label url [header]
    local out="$work/wrk-$1.txt"
    # One request first, so the run measures the steady state, not the first answer's misses.
    curl -s -o /dev/null ${3:+-H "$3"} "$2"
    if [ -n "${3:-}" ]; then
        wrk -t2 -c32 -d"${secs}s" --latency -H "$3" "$2" >"$out"
    else
        wrk -t2 -c32 -d"${secs}s" --latency "$2" >"$out"
    fi
    awk -v l="$1" '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$5}
        END {printf "%-22s %10.0f req/s  p50 %8s  p99 %8s  %s\n", l, rps, p50, p99, (bad ? "non-2xx " bad : "")}' "$out"
}

pgbench_run() { # label sqlfile [protocol: simple (default) | prepared] [-D name=value …]
    (cd "$work" && pgbench -n -M "${3:-simple}" "${@:4}" -c32 -j2 -T"$secs" -f "$2" -l \
        --log-prefix="$1" "$db" >"pgbench-$1.txt" 2>&1)
    local tps p50 p99
    tps=$(awk '/^tps/ {print $3}' "$work/pgbench-$1.txt")
    read -r p50 p99 < <(cat "$work/$1".* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "%.2fms %.2fms\n", a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000}')
    printf "%-22s %10.0f req/s  p50 %8s  p99 %8s\n" "$1" "$tps" "$p50" "$p99"
}

# The SQL the service sends for one list request: the page itself (the data version and the set
# of known codes come from memory).
page_sql() { # where-clause
    cat <<SQL
SELECT o.id, o.period_start, o.period_end, o.kind, o.value, o.qualifier, o.value_as_written, o.unit_as_written,
       o.source_id, o.quote, o.quote_start, o.quote_end, o.note, o.created_at, o.updated_at, o.retracted_at,
       i.code, i.name_zh, i.name_en, i.unit, p.code, p.name_zh, p.name_en, p.level
FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.id IN (SELECT id FROM observations WHERE $1 AND retracted_at IS NULL ORDER BY place_code, id LIMIT 101)
ORDER BY o.place_code, o.id;
SQL
}
# Twice: with the values written in (simple protocol: parsed and planned every time), and with
# the values as parameters of a prepared statement, which is what the service sends (PostgreSQL
# then plans each execution for its values, as it does the service's).
page_sql "place_code = '$township' AND indicator_code = '$indicator'" >"$work/series.sql"
page_sql "place_code = :township AND indicator_code = :indicator" >"$work/series-params.sql"
page_sql "place_code >= '$county' AND place_code < '$((county + 1))' AND indicator_code = '$indicator' AND period_end >= $year AND period_start <= $year" >"$work/district.sql"
page_sql "place_code >= :low AND place_code < :high AND indicator_code = :indicator AND period_end >= :year AND period_start <= :year" >"$work/district-params.sql"

echo "== a. series: /v1/observations?place=$township&indicator=$indicator"
pgbench_run "a-pgbench" series.sql
pgbench_run "a-pgbench-prepared" series-params.sql prepared -D township="$township" -D indicator="$indicator"
wrk_run "a-api" "$base/v1/observations?place=$township&indicator=$indicator"
wrk_run "a-api-uncached" "$uncached/v1/observations?place=$township&indicator=$indicator"

echo "== b. district × indicator × year: place=$county&descendants=true&indicator=$indicator&from=$year&to=$year"
pgbench_run "b-pgbench" district.sql
pgbench_run "b-pgbench-prepared" district-params.sql prepared -D low="$county" -D high="$((county + 1))" \
    -D indicator="$indicator" -D year="$year"
wrk_run "b-api" "$base/v1/observations?place=$county&descendants=true&indicator=$indicator&from=$year&to=$year"
wrk_run "b-api-uncached" "$uncached/v1/observations?place=$county&descendants=true&indicator=$indicator&from=$year&to=$year"

echo "== c. repeated identical request (304) vs /healthz"
url="$base/v1/observations?place=$township&indicator=$indicator"
# The tag depends on Accept; wrk sends none, so neither does curl here.
etag=$(curl -s -H 'Accept:' -D - -o /dev/null "$url" | awk 'tolower($1) == "etag:" {print $2}' | tr -d '\r')
[ "$(curl -s -H 'Accept:' -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$url")" = 304 ]
wrk_run "c-healthz" "$base/healthz"
wrk_run "c-304" "$url" "If-None-Match: $etag"

echo "== d. bulk CSV export vs psql \\copy"
copy_sql="\\copy (SELECT o.id, o.indicator_code, i.name_zh, i.name_en, o.place_code, p.name_zh, p.name_en, p.level, o.period_start, o.period_end, o.kind, o.value, i.unit, o.qualifier, o.value_as_written, o.unit_as_written, o.note, o.source_id, o.quote FROM observations o JOIN indicators i ON i.code = o.indicator_code JOIN places p ON p.code = o.place_code WHERE o.retracted_at IS NULL ORDER BY o.id) TO STDOUT WITH (FORMAT csv, HEADER)"
measure() { # label command...
    local start end bytes
    start=$(date +%s.%N); bytes=$("${@:2}" | wc -c); end=$(date +%s.%N)
    awk -v l="$1" -v b="$bytes" -v s="$start" -v e="$end" -v r="$rows" 'BEGIN {
        t = e - s; printf "%-22s %8.1f s %9.1f MB %8.1f MB/s %10.0f rows/s\n", l, t, b / 1e6, b / 1e6 / t, r / t }'
}
if [ -z "${SKIP_BULK:-}" ]; then
measure "d-psql-copy" psql -d "$db" -Atc "$copy_sql"
measure "d-api-bulk-csv" curl -fsS "$base/v1/downloads/observations.csv"
echo "service peak RSS $(( $(awk '/VmHWM/ {print $2}' /proc/$svc/status) / 1024 )) MiB"
fi

echo "== e. Datasette (SQLite) serving the same observations, the series query"
sqlite=target/bench/national.db
ensure_datasette "$venv"
observations_to_sqlite "$db" "$sqlite" "$work"
"$venv/bin/datasette" serve "$sqlite" -p $((port + 1)) --setting sql_time_limit_ms 5000 >/dev/null 2>&1 &
ds=$!
until curl -fsS "http://127.0.0.1:$((port + 1))/-/versions.json" >/dev/null 2>&1; do sleep 0.3; done
wrk_run "e-datasette" "http://127.0.0.1:$((port + 1))/national/observations.json?place_code=$township&indicator_code=$indicator&_shape=array"
wrk_run "e-api" "$base/v1/observations?place=$township&indicator=$indicator"
wrk_run "e-api-uncached" "$uncached/v1/observations?place=$township&indicator=$indicator"
kill $ds

echo "== f. start-up on an empty database, and memory at idle"
dropdb --if-exists township_stats_startup
start=$(date +%s.%N)
DATABASE_URL=postgres:///township_stats_startup BIND=127.0.0.1:$((port + 2)) RUST_LOG=warn "$bin" serve &
fresh=$!
until curl -fsS "http://127.0.0.1:$((port + 2))/readyz" >/dev/null 2>&1; do sleep 0.02; done
awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "start-up to ready (create, migrate, gazetteer, seed): %.2f s\n", e - s}'
sleep 2
echo "RSS at idle: $(( $(awk '/VmRSS/ {print $2}' /proc/$fresh/status) / 1024 )) MiB"
kill $fresh
