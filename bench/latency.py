#!/usr/bin/env python3
"""Latency of enumerate and regex search over the seeded registry (bench/run.sh runs this).

    usage: latency.py BASE_URL ARTIFACT_TYPE ARTIFACT_ID [REPS]
    env:   BENCH_AUTHORIZATION  the X-Authorization value, "bearer <token>" (bench/run.sh logs in)
           BENCH_RESULTS        if set, a file to write the figures to as JSON as well (run.sh
                                compares the SQLite and DynamoDB runs from these)

Every measured request goes over one kept-alive HTTP/1.1 connection (http.client), so the
figures are server time plus one loopback round trip, without connection setup. Each case is
warmed up first; regex search is additionally warmed from several connections at once, because
every registryd worker fills its own search cache on its first search. The reference is
GET /static/bench.json (a file nginx serves itself, the same size as one artifact's JSON),
measured in the same run, so each line also shows its median as a multiple of the static one.

Every request carries X-Authorization (the static file's too, so that all requests have the same
size; nginx ignores it there). Each registry request therefore includes the token check: an
HMAC verify and one counted use of the token in SQLite. The token needs enough uses for the whole
run (bench/run.sh starts the stack with REGISTRY_TOKEN_MAX_USES=1000000000).

Prints only; never asserts. Unexpected statuses are reported in the `result` column. A case
whose warm-up answers a server error (5xx) is sampled only ERROR_REPS times: timing errors says
nothing, and each may include the store client's retries.
"""

import http.client
import json
import math
import os
import statistics
import sys
import threading
import time
import urllib.parse

REGEX_TARGET_MS = 50.0
ERROR_REPS = 5
# Above nginx's fastcgi_read_timeout (60 s), so a stalled request shows as its 504.
REQUEST_TIMEOUT_S = 75


AUTHORIZATION = os.environ.get("BENCH_AUTHORIZATION", "")


class Client:
    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        self.conn = self.connect()

    def connect(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT_S)

    def request(self, method, path, body=None):
        """(status, headers, body bytes, elapsed ms) of one request on the kept-alive connection."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        if AUTHORIZATION:
            headers["X-Authorization"] = AUTHORIZATION
        for attempt in range(2):
            try:
                t0 = time.perf_counter()
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                payload = resp.read()
                ms = (time.perf_counter() - t0) * 1e3
                return resp.status, resp.headers, payload, ms
            except (http.client.HTTPException, ConnectionError):
                # nginx closed the kept-alive connection (keepalive_requests); reconnect once.
                self.conn.close()
                self.conn = self.connect()
                if attempt:
                    raise
        raise AssertionError("unreachable")


def p99(samples):
    s = sorted(samples)
    return s[max(0, math.ceil(0.99 * len(s)) - 1)]


def count_items(payload):
    try:
        doc = json.loads(payload)
    except ValueError:
        return None
    return len(doc) if isinstance(doc, list) else None


def measure(client, reps, warmup, method, path, body=None):
    """Latencies (ms) of reps requests after warmup unmeasured ones; plus the last response.
    Only ERROR_REPS requests when the warm-up's last answer is a server error."""
    last = None
    for _ in range(warmup):
        last = client.request(method, path, body)
    if last is not None and last[0] >= 500:
        reps = min(reps, ERROR_REPS)
    samples = []
    for _ in range(reps):
        status, headers, payload, ms = client.request(method, path, body)
        samples.append(ms)
        last = (status, headers, payload, ms)
    return samples, last


def enumerate_walk(client, pages, reps):
    """Pages 2..pages+1 of POST /artifacts, each fetched with the previous page's offset."""
    samples = []
    statuses = set()
    for _ in range(reps):
        status, headers, _, _ = client.request("POST", "/artifacts", [{"name": "*"}])
        cursor = headers.get("offset")
        for _ in range(pages):
            if not cursor:
                break
            status, headers, _, ms = client.request(
                "POST", "/artifacts?offset=" + urllib.parse.quote(cursor), [{"name": "*"}])
            statuses.add(status)
            samples.append(ms)
            cursor = headers.get("offset")
    return samples, statuses


def enumerate_all(client, reps):
    """Wall time (ms) of walking every page of POST /artifacts; and the artifacts seen."""
    samples, seen = [], 0
    for _ in range(reps):
        t0 = time.perf_counter()
        seen, cursor = 0, ""
        while True:
            path = "/artifacts" + ("?offset=" + urllib.parse.quote(cursor) if cursor else "")
            status, headers, payload, _ = client.request("POST", path, [{"name": "*"}])
            if status != 200:
                break
            seen += count_items(payload) or 0
            cursor = headers.get("offset")
            if not cursor:
                break
        samples.append((time.perf_counter() - t0) * 1e3)
    return samples, seen


def warm_search_caches(base, patterns, rounds=8, connections=4):
    """Loads the search cache of (very likely) every registryd worker: rounds of `connections`
    fresh connections searching at the same time, so that nginx spreads them over several of its
    kept-alive upstream connections, each held by one worker. A sequential client only ever uses
    the most recent of them, but nginx moves on to the next one whenever it closes a connection
    after keepalive_requests (1000) requests, client or upstream side, and that one must be warm
    too. Never more than 4 at once: nginx keeps up to 4 idle upstream connections per nginx
    worker (8 in all, one per registryd worker) and with more concurrent requests than that it
    can open a connection that no worker accepts until a timeout (see README.md)."""
    errors = []

    def run(order):
        try:
            c = Client(base)
            for p in order:
                c.request("POST", "/artifact/byRegEx", {"regex": p})
            c.conn.close()
        except (OSError, http.client.HTTPException) as e:
            errors.append(repr(e))

    for r in range(rounds):
        threads = [threading.Thread(target=run, args=(patterns[i + r:] + patterns[:i + r],))
                   for i in range(connections)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return errors


def main():
    if len(sys.argv) < 4:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    base, art_type, art_id = sys.argv[1:4]
    reps = int(sys.argv[4]) if len(sys.argv) > 4 else 50
    if not AUTHORIZATION:
        print("latency.py: BENCH_AUTHORIZATION is not set; registry requests will answer 403",
              file=sys.stderr)
    client = Client(base)
    rows = []  # (case, samples, result, is_regex)

    def result_of(last, expect):
        status, _, payload, _ = last
        n = count_items(payload)
        text = f"{status}" + (f", {n} items" if n is not None else "")
        return text if status == expect else f"{text} (expected {expect})"

    # Reference: the static file nginx serves itself; half its samples now, half at the end.
    static_samples, last = measure(client, reps * 2, 50, "GET", "/static/bench.json")
    rows.append(("GET /static/bench.json (reference)", static_samples, result_of(last, 200),
                 False))

    s, last = measure(client, reps * 4, 20, "GET", f"/artifacts/{art_type}/{art_id}")
    rows.append((f"GET /artifacts/{art_type}/{{id}}", s, result_of(last, 200), False))

    s, last = measure(client, reps, 5, "POST", "/artifacts", [{"name": "*"}])
    rows.append(("enumerate [*], first page", s, result_of(last, 200), False))

    s, statuses = enumerate_walk(client, 10, reps // 5 or 1)
    rows.append(("enumerate [*], pages 2-11 via ?offset=", s,
                 ",".join(str(x) for x in sorted(statuses)), False))

    s, last = measure(client, reps, 5, "POST", "/artifacts", [{"name": "bench-model-04242"}])
    rows.append(("enumerate [name=bench-model-04242]", s, result_of(last, 200), False))

    s, seen = enumerate_all(client, max(3, reps // 10))
    rows.append(("enumerate [*], all pages (whole walk)", s, f"{seen} items", False))

    regex_cases = [
        ("regex rare README word 'zanzibarite'", "zanzibarite", 200),
        ("regex name 'bench-model-0004.*'", "bench-model-0004.*", 200),
        ("regex no match 'no-such-term-[0-9]+'", "no-such-term-[0-9]+", 404),
        ("regex '.*?(audience|bert).*'", ".*?(audience|bert).*", 200),
        # Every name matches, so no README is scanned: the cost of a 10,000-item answer alone.
        ("regex 'bench-' (every name)", "bench-", 200),
    ]
    # The very first search of this connection's worker loads its cache from the store.
    cold_status, _, _, cold_ms = client.request("POST", "/artifact/byRegEx",
                                                {"regex": "zanzibarite"})
    if cold_status >= 500:
        # The cache cannot be loaded: warming every worker would only repeat the failure.
        warm_errors = [f"the first regex search answered {cold_status}; caches not warmed"]
    else:
        warm_errors = warm_search_caches(base, [p for _, p, _ in regex_cases])
    for case, pattern, expect in regex_cases:
        s, last = measure(client, reps, 3, "POST", "/artifact/byRegEx", {"regex": pattern})
        rows.append((case, s, result_of(last, expect), True))

    s, _ = measure(client, reps * 2, 0, "GET", "/static/bench.json")
    static_samples.extend(s)
    static_median = statistics.median(static_samples)

    print(f"latency over one kept-alive connection, {reps} repetitions per case "
          f"(x static = median / median of GET /static/bench.json)")
    print(f"  {'case':<42} {'n':>4} {'median ms':>10} {'p99 ms':>9} {'x static':>9} "
          f"{'x 50ms':>7}  result")
    for case, samples, result, is_regex in rows:
        med = statistics.median(samples) if samples else float("nan")
        hi = p99(samples) if samples else float("nan")
        target = f"{med / REGEX_TARGET_MS:7.2f}" if is_regex else f"{'':>7}"
        print(f"  {case:<42} {len(samples):>4} {med:>10.2f} {hi:>9.2f} "
              f"{med / static_median:>9.1f} {target}  {result}")
    print(f"  first regex search on a cold worker cache (loads all {seen} READMEs): "
          f"{cold_ms:.1f} ms" + ("" if cold_status == 200 else f" (answered {cold_status})"))
    for e in warm_errors:
        print(f"  note: a warm-up connection failed: {e}")
    regex_medians = [statistics.median(s) for _, s, _, r in rows if r]
    worst = max(regex_medians)
    print(f"regex over the seeded artifacts: slowest median {worst:.2f} ms = "
          f"{worst / REGEX_TARGET_MS:.2f} x the 50 ms target (target: < 1.00)")
    results_path = os.environ.get("BENCH_RESULTS")
    if results_path:
        with open(results_path, "w") as f:
            json.dump({
                "static_median_ms": static_median,
                "cold_regex_ms": cold_ms,
                "cold_regex_status": cold_status,
                "artifacts_walked": seen,
                "cases": [{"case": case, "n": len(samples),
                           "median_ms": statistics.median(samples) if samples else None,
                           "p99_ms": p99(samples) if samples else None,
                           "result": result, "is_regex": is_regex}
                          for case, samples, result, is_regex in rows],
            }, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
