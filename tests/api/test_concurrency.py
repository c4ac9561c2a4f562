"""Concurrent requests through both nginx worker processes are all answered.

nginx keeps idle FastCGI connections to registryd (upstream keepalive, per nginx worker), and a
libfcgi worker stays on its connection while nginx keeps it idle. If the keepalive caches of
the nginx workers can hold every registryd worker, a request that needs a new upstream
connection waits in the socket's backlog until fastcgi_read_timeout (60 s).

The test makes that situation on purpose instead of hoping for it: on client connections whose
nginx worker is known (from /proc), a first wave of slow searches (each keeps a registryd worker
busy for a moment) puts 2 requests through each nginx worker, which occupies the 4 registryd
workers; while they run, one more request goes through each nginx worker, which needs a third
upstream connection. When the slow ones finish, their connections go back to the caches.
Every request must be answered.
"""

import http.client
import json
import threading
import time

import pytest

from apiutil import TIMEOUT, nginx_owners, register_many

SLOW_REGEX = "(a|aa)+$"  # backtracks on every "aa...ab" name: a fraction of a second in all
FIRST_WAVE = 2  # slow requests per nginx worker: the keepalive cache size with 4 workers
PER_WORKER = FIRST_WAVE + 1
MAX_CONNECTIONS = 256


def open_connections_per_worker(stack, per_worker):
    """Connected http.client connections, per_worker of them for each nginx worker."""
    workers = stack.nginx_worker_pids()
    assert len(workers) == 2, f"expected 2 nginx workers, found {workers}"
    chosen = {pid: [] for pid in workers}
    spare = []
    opened = 0
    while opened < MAX_CONNECTIONS and any(len(v) < per_worker for v in chosen.values()):
        batch = [http.client.HTTPConnection("127.0.0.1", stack.port, timeout=TIMEOUT) for _ in range(16)]
        barrier = threading.Barrier(len(batch))

        def connect(c, barrier=barrier):
            barrier.wait(timeout=10)
            c.connect()

        threads = [threading.Thread(target=connect, args=(c,)) for c in batch]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        opened += len(batch)
        for conn, pid in nginx_owners(stack, batch).items():
            if pid in chosen and len(chosen[pid]) < per_worker:
                chosen[pid].append(conn)
            else:
                spare.append(conn)
    for c in spare:
        c.close()
    return chosen


def post(conn, path, body, token):
    headers = {"Content-Type": "application/json", "X-Authorization": token}
    conn.request("POST", path, body=json.dumps(body), headers=headers)
    r = conn.getresponse()
    return r.status, r.read()


def get(conn, path):
    conn.request("GET", path)
    r = conn.getresponse()
    return r.status, r.read()


def test_concurrent_requests_on_both_nginx_workers(registry):
    specs = [("model", f"https://huggingface.co/slow/m{i:03d}", "a" * 28 + "b") for i in range(100)]
    register_many(registry, specs)
    chosen = open_connections_per_worker(registry, PER_WORKER)
    conns = [c for pid in sorted(chosen) for c in chosen[pid]]
    try:
        if any(len(v) < PER_WORKER for v in chosen.values()):
            pytest.skip(f"the kernel gave all of {MAX_CONNECTIONS} connections to one nginx worker")
        slow = [c for pid in sorted(chosen) for c in chosen[pid][:FIRST_WAVE]]
        quick = [chosen[pid][FIRST_WAVE] for pid in sorted(chosen)]
        results = {}

        def run(conn, label, fn):
            try:
                status, body = fn(conn)
                results[label] = (status, json.loads(body))
            except (OSError, http.client.HTTPException, ValueError) as e:
                results[label] = ("no answer", repr(e)[:100])

        threads = []
        for i, c in enumerate(slow):
            fn = lambda c: post(c, "/artifact/byRegEx", {"regex": SLOW_REGEX}, registry.token)  # noqa: E731
            threads.append(threading.Thread(target=run, args=(c, f"slow-{i}", fn)))
        for t in threads:
            t.start()
        time.sleep(0.1)  # the slow searches hold the registryd workers now
        for i, c in enumerate(quick):
            fn = lambda c: get(c, "/health")  # noqa: E731
            t = threading.Thread(target=run, args=(c, f"quick-{i}", fn))
            threads.append(t)
            t.start()
        for t in threads:
            t.join(timeout=TIMEOUT + 20)

        hung = sorted(label for label, res in results.items() if res[0] == "no answer")
        hung += [f"thread {t.name}" for t in threads if t.is_alive()]
        assert not hung, (
            f"{hung} got no answer within {TIMEOUT} s: the idle upstream connections the "
            f"nginx workers keep held every registryd worker, and a request on a new upstream "
            f"connection waited in the backlog"
        )
        for i in range(len(slow)):
            status, body = results[f"slow-{i}"]
            assert status in (400, 404), (status, body)  # none matches, or too expensive
            assert body["error"] in ("bad_request", "not_found"), body
        for i in range(len(quick)):
            assert results[f"quick-{i}"] == (200, {"status": "ok"})
    finally:
        for c in conns:
            c.close()
