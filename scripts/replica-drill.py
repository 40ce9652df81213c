"""The checks of scripts/replica-drill (which starts everything and sets the environment)."""
import csv
import io
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

A, B, CACHE, TOKEN = (os.environ[k] for k in ("A", "B", "CACHE", "TOKEN"))
failures = []
TOWNS = ["110101001", "110101002", "110101003"]


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def request(method, url, body=None, headers=None):
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def get(url, headers=None):
    return request("GET", url, headers=headers)


def sql(which, query):
    out = subprocess.run(os.environ[which].split() + [query], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def version_of(headers):
    """The data version an answer is labelled with: its ETag is "<version>-<digest>"."""
    tag = headers["etag"]
    return int(tag.strip('W/"').split("-")[0])


def until(what, condition, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    check(False, what + f" (within {seconds} s)")
    return False


def ready(base):
    status, _, body = get(base + "/readyz")
    return json.loads(body) if status == 200 else {"status": status, "reads_from": None}


def publish(source, text, figures):
    """Registers a source and imports one figure per town, through instance A."""
    auth = {"Authorization": "Bearer " + TOKEN}
    body = json.dumps({"title_zh": source, "publisher_zh": "演练", "published_on": "2026-01-01", "text": text})
    status, _, answer = request("PUT", f"{A}/v1/sources/{source}", body, {**auth, "Content-Type": "application/json"})
    assert status in (200, 201), answer
    lines = ["indicator_code,place_code,period_start,period_end,kind,value_as_written,unit_as_written,quote"]
    for town, (value, quote) in zip(TOWNS, figures):
        lines.append(f"poverty_exit_persons,{town},2025,2025,actual,{value},人,{quote}")
    status, _, answer = request(
        "POST", f"{A}/v1/imports?source={source}", "\n".join(lines) + "\n", {**auth, "Content-Type": "text/csv"}
    )
    assert status == 200, answer
    return json.loads(answer)["release"]


def listing(base):
    """The figures of the drill's towns: (label version, how many)."""
    status, headers, body = get(base + f"/v1/observations?place={','.join(TOWNS)}&limit=100")
    if status != 200:
        return None, status
    return version_of(headers), json.loads(body)["meta"]["total"]


# 1. Both instances read from the replica.
for name, base in (("A", A), ("B", B)):
    until(f"instance {name} reads from the replica", lambda: ready(base)["reads_from"] == "replica")

# 2. An import through the primary reaches both instances once replayed, with a new ETag.
before = {base: get(base + "/v1/observations?place=110101001")[1]["etag"] for base in (A, B)}
text = "甲村脱贫100人。乙村脱贫200人。丙村脱贫300人。"
publish("drill-1", text, [("100", "甲村脱贫100人"), ("200", "乙村脱贫200人"), ("300", "丙村脱贫300人")])
v1 = int(sql("PRIMARY_PSQL", "SELECT version FROM data_version"))
for name, base in (("A", A), ("B", B)):
    # The rows come with the replay; the label with the next poll of the replica's version.
    until(f"instance {name} shows the import once the replica has replayed it", lambda: listing(base) == (v1, 3))
    after = get(base + "/v1/observations?place=110101001")[1]["etag"]
    check(after != before[base] and version_of({"etag": after}) == v1, f"instance {name}: a new ETag, of version {v1}")
check(get(A + "/v1/observations?place=110101001")[1]["etag"] == get(B + "/v1/observations?place=110101001")[1]["etag"],
      "two instances at one version give one ETag for one request")

# 3. Replay paused during an import: no answer is labelled newer than its rows. A leaves the
#    replica once it is 2 s behind; B stays on it, and a change listing that starts past what
#    the replica holds is read from the primary.
sql("REPLICA_PSQL", "SELECT pg_wal_replay_pause()")
text2 = "甲村脱贫110人。乙村脱贫220人。丙村脱贫330人。"
release = publish("drill-2", text2, [("110", "甲村脱贫110人"), ("220", "乙村脱贫220人"), ("330", "丙村脱贫330人")])
v2 = int(sql("PRIMARY_PSQL", "SELECT version FROM data_version"))
# The instance that took the write reads what it wrote at once (from the primary, as its replica
# has not replayed it); the other one keeps the replica's older data, labelled as such.
check(listing(A) == (v2, 6), f"A, which wrote, reads its write at once: {listing(A)}")
check(listing(B)[0] < v2, f"B, which did not, still reads the paused replica: {listing(B)}")
violations, seen, refused = [], set(), []
deadline = time.time() + 4
while time.time() < deadline:
    for base in (A, B):
        status, headers, body = get(base + "/v1/observations?place=110101001&limit=100")
        if status != 200:
            refused.append((base, status))
            continue
        sources = {o["source"] for o in json.loads(body)["data"]}
        label = version_of(headers)
        seen.add((base, label))
        if label >= v2 and "drill-2" not in sources:
            violations.append((base, label, sources))
    time.sleep(0.05)
check(not violations, f"no answer labelled {v2} without the rows of {v2}: {violations[:3]}")
check(not refused, f"every read answered while replay was paused: {refused[:3]}")
check((B, v1) in seen, "B answered from the paused replica, labelled with the replica's version")
check(ready(A)["reads_from"] == "primary", "A left the replica once it was 2 s behind")
check(ready(B)["reads_from"] == "replica", "B stays on the replica it tolerates")
check(listing(A) == (v2, 6) and "drill-2" in get(A + "/v1/observations?place=110101001")[2].decode(),
      "A answers the new rows from the primary, labelled with the new version")
released_at = sql("PRIMARY_PSQL", f"SELECT to_char((released_at - interval '1 microsecond') AT TIME ZONE 'UTC', "
                                  f"'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM releases WHERE id = {release}")
status, _, body = get(B + f"/v1/observations?updated_since={released_at}&limit=100")
sources = {o["source"] for o in json.loads(body)["data"]} if status == 200 else set()
check(status == 200 and sources == {"drill-2"},
      f"B reads a change listing past the replica's data from the primary (not a short page): {status} {sources}")
sql("REPLICA_PSQL", "SELECT pg_wal_replay_resume()")
until("A takes the replica back once it has caught up", lambda: ready(A)["reads_from"] == "replica")
until("B sees the import once replayed", lambda: listing(B) == (v2, 6))

# 4. The replica stopped: reads fall back to the primary; 5xx only within the fallback window.
subprocess.run(["bash", "-c", os.environ["STOP_REPLICA"]], check=True)
stopped, late_errors, statuses = time.time(), [], []
while time.time() - stopped < 3:
    for base in (A, B):
        status = get(base + "/v1/observations?place=110101001&limit=5")[0]
        statuses.append(status)
        if status >= 500 and time.time() - stopped > 1:
            late_errors.append(status)
    time.sleep(0.05)
check(not late_errors, f"replica down: no 5xx after the first second ({statuses.count(200)} of {len(statuses)} answered 200)")
check(ready(A)["reads_from"] == "primary" and ready(B)["reads_from"] == "primary", "readyz: reads from the primary")
subprocess.run(["bash", "-c", os.environ["START_REPLICA"]], check=True)
until("the replica, back, is taken back", lambda: ready(A)["reads_from"] == "replica" and ready(B)["reads_from"] == "replica", 15)

# 5. Through nginx's cache.
url = CACHE + "/v1/observations?place=110101001&limit=5"
get(url)
status, headers, _ = get(url)
check(headers.get("x-cache-status") == "HIT", f"a repeated request is a cache hit ({headers.get('x-cache-status')})")
kinds = []
for accept in ("text/csv", "application/json", "text/csv", "application/json"):
    status, headers, body = get(url, {"Accept": accept})
    kinds.append((accept, headers.get("content-type", "").split(";")[0], headers.get("x-cache-status")))
check(all(a == c for a, c, _ in kinds), f"JSON and CSV of one URL never mix: {kinds}")


def not_modified_answers():
    """The 304s both instances have given to this listing, from their /metrics."""
    total = 0
    for base in (A, B):
        for line in get(base + "/metrics")[2].decode().splitlines():
            if line.startswith("township_stats_http_requests_total{") and 'endpoint="/v1/observations"' in line \
                    and 'status="304"' in line:
                total += int(float(line.split()[-1]))
    return total


before_304 = not_modified_answers()
time.sleep(1.5)  # past max-age (CACHE_MAX_AGE_SECS=1)
served = []
for _ in range(3):
    status, headers, _ = get(url)
    served.append((status, headers.get("x-cache-status")))
    time.sleep(0.2)
check(all(s == 200 for s, _ in served) and not_modified_answers() > before_304,
      f"an expired copy is revalidated with If-None-Match, the instance answers 304, the copy is kept: {served}")
publish("drill-3", "甲村脱贫111人。乙村脱贫221人。丙村脱贫331人。",
        [("111", "甲村脱贫111人"), ("221", "乙村脱贫221人"), ("331", "丙村脱贫331人")])
v3 = int(sql("PRIMARY_PSQL", "SELECT version FROM data_version"))


def fresh_through_cache():
    status, headers, body = get(url)
    return status == 200 and "drill-3" in body.decode() and version_of(headers) == v3


until("after an import the cache serves the new body once its copy expires", fresh_through_cache, 10)

# 6. The primary stopped: reads keep working from the replica; writes are 503 problems.
subprocess.run(["bash", "-c", os.environ["STOP_PRIMARY"]], check=True)
time.sleep(0.5)
statuses = [get(base + "/v1/observations?place=110101001&limit=5")[0] for base in (A, B) for _ in range(10)]
check(all(s == 200 for s in statuses), f"primary down: reads answered from the replica ({statuses})")
status, headers, body = request("PUT", A + "/v1/sources/drill-4",
                                json.dumps({"title_zh": "x", "publisher_zh": "x", "published_on": "2026-01-01", "text": "x"}),
                                {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"})
check(status == 503 and headers.get("content-type") == "application/problem+json",
      f"primary down: a write is 503 problem+json ({status} {headers.get('content-type')})")

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("replica drill passed")
