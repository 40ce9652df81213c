#!/usr/bin/env bash
# Fault and load evidence on a private PostgreSQL cluster (initdb into a temporary directory,
# its own port; never the shared server):
#   1. start the service before the database exists: it retries, then serves once it is up;
#   2. 60 s of wrk at 64 connections: no errors, no answer outside 2xx/3xx;
#   3. stop the cluster under load: data endpoints 503 (with Retry-After) within 3 s, /readyz
#      503, /healthz 200, the process stays up; restart it: the service recovers within 5 s.
# Needs wrk (apt-get install wrk) and the PostgreSQL server binaries. Run as root or postgres.
set -euo pipefail
cd "$(dirname "$0")/.."
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pgport=${PGPORT_PRIVATE:-55432}
port=${PORT:-18090}
duration=${DURATION:-60}
dir=$(mktemp -d /tmp/township-fault.XXXXXX)
chmod 755 "$dir"
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres "$dir"

cargo build --release --quiet --locked
bin=target/release/township-stats
log="$dir/service.log"
cleanup() {
    kill "${svc:-0}" 2>/dev/null || true
    as_pg "$pgbin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT

as_pg "$pgbin/initdb" -D "$dir/data" -U postgres --auth=trust >/dev/null
pg_start() { as_pg "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/pg.log" -o "-p $pgport -k $dir -c listen_addresses=127.0.0.1" -w start >/dev/null; }
pg_stop() { as_pg "$pgbin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null; }
url="http://127.0.0.1:$port"
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

echo "== 1. start while the database is down"
DATABASE_URL="postgres://postgres@127.0.0.1:$pgport/township_stats" BIND="127.0.0.1:$port" \
    DATABASE_WAIT_SECS=60 DATABASE_TIMEOUT_SECS=2 RATE_LIMIT_RPS=0 RUST_LOG=info \
    "$bin" serve >"$log" 2>&1 &
svc=$!
sleep 3
echo "retry lines while down: $(grep -c 'retrying in' "$log")"
grep -m1 'retrying in' "$log" | sed 's/^/  /'
t=$(now); pg_start
until curl -fsS "$url/readyz" >/dev/null 2>&1; do sleep 0.1; done
echo "ready $(since "$t") s after the cluster started (includes migrating and seeding)"

echo "== 2. load: wrk -t2 -c64 -d${duration}s"
wrk -t2 -c64 -d"${duration}s" --latency "$url/v1/observations?place=511903114&descendants=true&limit=20" \
    | tee "$dir/wrk.txt" | grep -E 'Requests/sec|Latency|99%|Non-2xx|Socket errors|requests in'
if grep -qE 'Non-2xx|Socket errors' "$dir/wrk.txt"; then echo "FAIL: errors under load"; exit 1; fi
echo "errors: 0, non-2xx/3xx: 0"

echo "== 3. outage under load"
wrk -t2 -c32 -d20s "$url/v1/places/51" >"$dir/wrk-outage.txt" 2>&1 &
load=$!
sleep 3
pg_stop
t=$(now)
code=$(curl -s -o "$dir/body.json" -D "$dir/headers.txt" -w '%{http_code}' "$url/v1/places/51")
echo "data endpoint while down: $code in $(since "$t") s, $(grep -i '^retry-after' "$dir/headers.txt" | tr -d '\r'), $(grep -io 'application/problem+json' "$dir/headers.txt")"
echo "readyz while down: $(curl -s -o /dev/null -w '%{http_code}' "$url/readyz"); healthz: $(curl -s -o /dev/null -w '%{http_code}' "$url/healthz")"
sleep 3
kill -0 "$svc" && echo "process still up"
pg_start
t=$(now)
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/places/51")" = 200 ]; do sleep 0.05; done
echo "recovered $(since "$t") s after the cluster came back, without a restart"
wait "$load" || true
grep -E 'requests in|Non-2xx' "$dir/wrk-outage.txt" | sed 's/^/  outage run: /'
