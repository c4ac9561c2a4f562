"""Destructive tests on private stacks: a worker killed during a burst, and a restart."""

import os
import signal
import threading
import time

import requests

from apiutil import (
    assert_error,
    assert_json_status,
    call,
    enumerate_all,
    get_artifact,
    new_session,
    register,
    register_many,
)

THREADS = 8
PER_THREAD = 25
KILL_AFTER = 40  # completed requests before the kill
REQUEST_TIMEOUT = 10


def pool_metrics(stack):
    body = assert_json_status(call(stack, "GET", "/health/components"), 200)
    comp = {c["id"]: c for c in body["components"]}["worker-pool"]
    return comp["status"], comp["metrics"]


def wait_for_pool(stack, timeout=15.0, restarts=1):
    """The pool once it has respawned at least `restarts` workers and has all of them again (a
    master that respawned one victim before reaping the next shows a full pool in between)."""
    deadline = time.monotonic() + timeout
    status, metrics = None, None
    while time.monotonic() < deadline:
        try:
            status, metrics = pool_metrics(stack)
            if (
                metrics["restarts"] >= restarts
                and metrics["workers_alive"] == metrics["workers_configured"] == stack.workers
                and status == "ok"
            ):
                return status, metrics
        except (requests.RequestException, AssertionError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"worker pool did not recover: {status} {metrics}")


def test_kill_worker_during_burst(private_stack):
    s = private_stack
    workers = s.worker_pids()
    assert len(workers) == s.workers, workers
    victim = workers[0]

    lock = threading.Lock()
    acked = {}  # url -> id of every 201
    unavailable = []  # 502/503 answers and connection errors while the worker died
    hung = []  # requests without an answer within the timeout (never excused)
    unexpected = []
    done = [0]
    kill_now = threading.Event()
    give_up = threading.Event()  # set on the first hung request, to bound the test's time

    def burst(t):
        session = new_session()
        for i in range(PER_THREAD):
            if give_up.is_set():
                break
            url = f"https://huggingface.co/burst/t{t}-r{i:02d}"
            try:
                r = session.post(
                    s.url("/artifact/model"),
                    json={"url": url},
                    headers={"X-Authorization": s.token},
                    timeout=REQUEST_TIMEOUT,
                )
            except requests.Timeout as e:
                with lock:
                    hung.append((url, repr(e)[:120]))
                give_up.set()
                kill_now.set()
                session.close()
                session = new_session()
            except requests.RequestException as e:
                with lock:
                    unavailable.append((url, repr(e)))
                session.close()
                session = new_session()
            else:
                with lock:
                    if r.status_code == 201:
                        acked[url] = r.json()["metadata"]["id"]
                    elif r.status_code in (502, 503):
                        ctype = r.headers.get("Content-Type", "")
                        if not ctype.startswith("application/json"):
                            unexpected.append((url, r.status_code, ctype, r.text[:200]))
                        unavailable.append((url, r.status_code))
                    else:
                        unexpected.append((url, r.status_code, r.text[:200]))
            with lock:
                done[0] += 1
                if done[0] == KILL_AFTER:
                    kill_now.set()
        session.close()

    threads = [threading.Thread(target=burst, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    assert kill_now.wait(timeout=60), "the burst did not get going"
    os.kill(victim, signal.SIGKILL)
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "burst threads hung"

    assert not unexpected, unexpected
    if not hung:
        assert len(acked) + len(unavailable) == THREADS * PER_THREAD
        assert len(acked) >= THREADS * PER_THREAD // 2, (len(acked), unavailable[:10])

    # The service answers, and the master replaced the worker.
    assert call(s, "GET", "/health").status_code == 200
    status, metrics = wait_for_pool(s)
    assert metrics["restarts"] >= 1
    now = s.worker_pids()
    assert len(now) == s.workers, now
    assert victim not in now

    # No acknowledged write is lost.
    session = new_session()
    try:
        for url, id_ in sorted(acked.items()):
            r = get_artifact(s, "model", id_, session=session)
            got = assert_json_status(r, 200)
            assert got["data"]["url"] == url
    finally:
        session.close()
    items, _ = enumerate_all(s, [{"name": "*"}])
    listed = {m["id"] for m in items}
    assert set(acked.values()) <= listed
    assert len(listed) == len(items)

    # Writes work after the recovery.
    register(s, "model", "https://huggingface.co/burst/after-recovery")

    # Last, so that the checks above run even when this fails: no request may go unanswered
    # (a request may fail while its worker dies, but not hang).
    assert not hung, (
        f"{len(hung)} registrations got no answer within {REQUEST_TIMEOUT} s "
        f"({len(acked)} acknowledged, {len(unavailable)} failed): {hung[:3]}"
    )


def test_killed_idle_worker_is_respawned(private_stack):
    s = private_stack
    for victim in s.worker_pids()[:2]:
        os.kill(victim, signal.SIGKILL)
    # Requests may fail while nginx notices its kept-alive connections died; then recover.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if call(s, "GET", "/health", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        time.sleep(0.1)
    _, metrics = wait_for_pool(s, restarts=2)
    assert metrics["restarts"] >= 2
    assert len(s.worker_pids()) == s.workers


def test_restart_keeps_artifacts(private_stack):
    s = private_stack
    specs = [("model", f"https://huggingface.co/persist/m{i:02d}", None) for i in range(6)]
    specs += [("dataset", f"https://huggingface.co/datasets/persist/d{i}", None) for i in range(3)]
    specs += [("code", "https://github.com/persist/code", "named code ✓")]
    created = register_many(s, specs)
    gone = created.pop(0)
    call(s, "DELETE", f"/artifacts/model/{gone['metadata']['id']}")
    updated = created[0]
    new_url = "https://huggingface.co/persist/m01-renamed-repo"
    body = {"metadata": updated["metadata"], "data": {"url": new_url}}
    assert_json_status(call(s, "PUT", f"/artifacts/model/{updated['metadata']['id']}", json=body), 200)
    updated["data"]["url"] = new_url

    port = s.port
    s.restart()
    assert s.port == port

    for art in created:
        m = art["metadata"]
        assert assert_json_status(get_artifact(s, m["type"], m["id"]), 200) == art
    assert_error(get_artifact(s, "model", gone["metadata"]["id"]), "not_found")
    items, _ = enumerate_all(s, [{"name": "*"}])
    key = lambda m: m["id"]  # noqa: E731
    assert sorted(items, key=key) == sorted((a["metadata"] for a in created), key=key)
    r = call(s, "GET", "/artifact/byName/named%20code%20%E2%9C%93")
    assert assert_json_status(r, 200) == [created[-1]["metadata"]]
    r = call(s, "POST", "/artifact/byRegEx", json={"regex": "^m0[2-5]$"})
    assert len(assert_json_status(r, 200)) == 4

    # Uniqueness survives the restart too; a fresh master has not restarted any worker.
    assert_error(register(s, "code", "https://github.com/persist/code", expect=None), "conflict")
    _, metrics = pool_metrics(s)
    assert metrics["restarts"] == 0
    assert metrics["workers_alive"] == s.workers
