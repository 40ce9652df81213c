#!/usr/bin/env bash
# The request path under realistic traffic: every request a random series (one township, one
# indicator) out of all synthetic ones, against the same SQL through pgbench on the same random
# keys, and Datasette on the same rows. One run, one machine; results go to docs/PERFORMANCE.md.
#
#   bench/request-path.sh [OLD_BINARY]   # OLD_BINARY: an earlier build, measured beside this one
#
#   a. random series at 32 connections: this build (and OLD_BINARY), each measured before and
#      after pgbench, its better run kept; pgbench prepared on the same keys and joined SQL;
#      Datasette (SQLite) on the same rows and keys
#   b. where a request's database time goes: the checkout and held-time histograms of this build
#   c. one repeated URL answered 304 (If-None-Match) vs /healthz (a single-URL figure)
#
# Database township_stats_random: the seed plus `synth` for the first TOWNSHIPS (3000) townships
# × 40 indicators × 10 years, built once. Default configuration, but the rate limiter off.
# Needs wrk, pgbench, sqlite3, python3 (Datasette from PyPI into target/venv).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
db=${DB:-township_stats_random}
townships=${TOWNSHIPS:-3000}
secs=${SECS:-20}
old=${1:-}
port=18195
work=$(mktemp -d /tmp/township-rp.XXXXXX)
venv=${VENV:-target/venv}
bin=target/release/township-stats
cargo build --release --quiet --locked
export DATABASE_URL="postgres:///$db"

have=$(psql -d "$db" -Atc "SELECT count(DISTINCT place_code) FROM observations WHERE source_id = 'synthetic'" 2>/dev/null || echo 0)
if [ "$have" -lt "$townships" ]; then
    "$bin" migrate && "$bin" seed >/dev/null
    "$bin" synth --townships "$townships" --indicators 40 --years 10
fi
# The keys: every synthetic series, as a file for wrk and a table for pgbench.
psql -d "$db" -q <<'SQL'
CREATE TABLE IF NOT EXISTS bench_keys AS
  SELECT row_number() OVER (ORDER BY place_code, indicator_code)::int AS n, place_code, indicator_code
  FROM (SELECT DISTINCT place_code, indicator_code FROM observations WHERE source_id = 'synthetic') k;
CREATE UNIQUE INDEX IF NOT EXISTS bench_keys_n ON bench_keys (n);
ANALYZE bench_keys;
SQL
psql -d "$db" -Atc "\\copy (SELECT place_code || ',' || indicator_code FROM bench_keys ORDER BY n) TO '$work/keys.csv'"
nkeys=$(wc -l <"$work/keys.csv")
rows=$(psql -d "$db" -Atc "SELECT count(*) FROM observations")
echo "observations: $rows; series: $nkeys; $(nproc) cores; wrk -t2 -c32 -d${secs}s"

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
serve() { # binary port → its pid in $served
    RATE_LIMIT_RPS=0 BIND="127.0.0.1:$2" RUST_LOG=warn PREPARE_DATABASE=false "$1" serve &
    served=$!
    pids+=($served)
    until curl -fsS "http://127.0.0.1:$2/readyz" >/dev/null 2>&1; do sleep 0.2; done
}
serve "$bin" "$port"
new_pid=$served
old_pid=
if [ -n "$old" ]; then serve "$old" $((port + 1)); old_pid=$served; fi

# CPU time (clock ticks) of a process, and of every PostgreSQL process together.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# PostgreSQL: every live process, plus what the postmaster has collected from backends that ended
# (pgbench's end with it).
pg_ticks() {
    local master
    master=$(pgrep -x -o postgres)
    { for p in $(pgrep -x postgres); do awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null; done
      awk '{print $16 + $17}' "/proc/$master/stat"; } | awk '{s += $1} END {print s + 0}'
}
hz=$(getconf CLK_TCK)

wrk_random() { # label base-url [PATH_FMT] [pid] → "rps p50 p99 errors cpu" on stdout
    local pid=${4:-} s0=0 s1=0 p0 p1
    [ -n "$pid" ] && s0=$(ticks "$pid")
    p0=$(pg_ticks)
    KEYS="$work/keys.csv" PATH_FMT="${3:-}" wrk -t2 -c32 -d"${secs}s" --latency \
        -s bench/random-series.lua "$2" >"$work/wrk-$1.txt"
    [ -n "$pid" ] && s1=$(ticks "$pid")
    p1=$(pg_ticks)
    awk -v s=$((s1 - s0)) -v p=$((p1 - p0)) -v hz="$hz" '
         /requests in/ {n=$1} /Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad+=$5}
         /Socket errors/ {bad+=$4+$6+$8+$10}
         END {printf "%.0f %s %s %d service:%.0fus+postgres:%.0fus\n", rps, p50, p99, bad, s/hz/n*1e6, p/hz/n*1e6}' \
        "$work/wrk-$1.txt"
}
warm() { # base-url [PATH_FMT]
    KEYS="$work/keys.csv" PATH_FMT="${2:-}" wrk -t2 -c32 -d5s -s bench/random-series.lua "$1" >/dev/null
}
best() { # label run1 run2: keeps the run with more requests/s
    local a=($2) b=($3)
    if [ "${b[0]}" -gt "${a[0]}" ]; then a=("${b[@]}"); fi
    printf "%-28s %8s req/s  p50 %9s  p99 %9s  errors %s  CPU a request %s\n" "$1" "${a[0]}" "${a[1]}" "${a[2]}" "${a[3]}" "${a[4]:-}"
}

# The SQL one series listing needs (the page, joined to its names), on a key drawn at random.
cat >"$work/series.sql" <<SQL
\\set n random(1, $nkeys)
SELECT o.id, o.period_start, o.period_end, o.kind, o.value, o.qualifier, o.value_as_written, o.unit_as_written,
       o.source_id, o.quote, o.quote_start, o.quote_end, o.note, o.created_at, o.updated_at, o.retracted_at,
       i.code, i.name_zh, i.name_en, i.unit, p.code, p.name_zh, p.name_en, p.level
FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.id IN (SELECT o2.id FROM observations o2 JOIN bench_keys k ON k.n = :n
               WHERE o2.place_code = k.place_code AND o2.indicator_code = k.indicator_code
                 AND o2.retracted_at IS NULL ORDER BY o2.place_code, o2.id LIMIT 101)
ORDER BY o.place_code, o.id;
SQL
pgbench_random() {
    local p0 p1 n
    p0=$(pg_ticks)
    (cd "$work" && pgbench -n -M prepared -c32 -j2 -T"$secs" -f series.sql -l --log-prefix=pg "$db" \
        >pgbench.txt 2>&1)
    local tps p50 p99
    p1=$(pg_ticks)
    tps=$(awk '/^tps/ {printf "%.0f", $3}' "$work/pgbench.txt")
    n=$(awk '/number of transactions actually processed/ {print $6}' "$work/pgbench.txt")
    read -r p50 p99 < <(cat "$work"/pg.* | awk '{print $3}' | sort -n |
        awk '{a[NR]=$1} END {printf "%.2fms %.2fms\n", a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000}')
    rm -f "$work"/pg.*
    echo "$tps $p50 $p99 0 postgres:$(awk -v p=$((p1 - p0)) -v hz="$hz" -v n="$n" 'BEGIN {printf "%.0f", p/hz/n*1e6}')us"
}

echo "== a. random series at 32 connections"
warm "http://127.0.0.1:$port"
[ -n "$old" ] && warm "http://127.0.0.1:$((port + 1))"
(cd "$work" && pgbench -n -M prepared -c32 -j2 -T5 -f series.sql "$db" >/dev/null 2>&1)
new1=$(wrk_random new1 "http://127.0.0.1:$port" "" "$new_pid")
[ -n "$old" ] && old1=$(wrk_random old1 "http://127.0.0.1:$((port + 1))" "" "$old_pid")
pg=$(pgbench_random)
new2=$(wrk_random new2 "http://127.0.0.1:$port" "" "$new_pid")
[ -n "$old" ] && old2=$(wrk_random old2 "http://127.0.0.1:$((port + 1))" "" "$old_pid")
best "service (this build)" "$new1" "$new2"
[ -n "$old" ] && best "service ($(basename "$old"))" "$old1" "$old2"
best "pgbench prepared" "$pg" "$pg"

sqlite=target/bench/random-$townships.db
ensure_datasette "$venv"
observations_to_sqlite "$db" "$sqlite" "$work"
"$venv/bin/datasette" serve "$sqlite" -p $((port + 2)) --setting sql_time_limit_ms 5000 >/dev/null 2>&1 &
pids+=($!)
until curl -fsS "http://127.0.0.1:$((port + 2))/-/versions.json" >/dev/null 2>&1; do sleep 0.3; done
name=$(basename "$sqlite" .db)
fmt="/$name/observations.json?place_code=%s&indicator_code=%s&_shape=array"
warm "http://127.0.0.1:$((port + 2))" "$fmt"
ds=$(wrk_random datasette "http://127.0.0.1:$((port + 2))" "$fmt" | cut -d' ' -f1-4)
best "datasette" "$ds" "$ds"

echo "== b. where the database time goes (this build, cumulative since start)"
curl -s "http://127.0.0.1:$port/metrics" >"$work/metrics.txt"
for h in checkout held; do
    awk -v h="township_stats_db_${h}_seconds" '
        index($0, h "_bucket") == 1 { match($0, /le="[^"]+"/); le = substr($0, RSTART + 4, RLENGTH - 5); b[++n] = le; c[n] = $2 }
        index($0, h "_count") == 1 { total = $2 }
        END { p50 = p99 = ""; for (i = 1; i <= n; i++) { if (p50 == "" && c[i] >= total * 0.5) p50 = b[i]; if (p99 == "" && c[i] >= total * 0.99) p99 = b[i] }
              printf "%-10s %9d  p50 <= %ss  p99 <= %ss\n", substr(h, 19), total, p50, p99 }' "$work/metrics.txt"
done

echo "== c. one repeated URL: 304 vs /healthz"
url="http://127.0.0.1:$port/v1/observations?place=511903114&descendants=true"
etag=$(curl -s -H 'Accept:' -D - -o /dev/null "$url" | awk 'tolower($1) == "etag:" {print $2}' | tr -d '\r')
[ "$(curl -s -H 'Accept:' -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$url")" = 304 ]
for run in healthz 304; do
    if [ $run = healthz ]; then
        wrk -t2 -c32 -d"${secs}s" --latency "http://127.0.0.1:$port/healthz" >"$work/wrk-$run.txt"
    else
        wrk -t2 -c32 -d"${secs}s" --latency -H "If-None-Match: $etag" "$url" >"$work/wrk-$run.txt"
    fi
    awk -v l="$run" '/Requests\/sec/ {rps=$2} /^ +99%/ {p99=$2} END {printf "%-28s %8.0f req/s  p99 %9s\n", l, rps, p99}' "$work/wrk-$run.txt"
done
