"""Disaster drills: one component of the system fails at a time, and each failure must end in a
clear JSON error (or a cut-short body a client notices), then recovery, with nothing that was
acknowledged lost. The system: nginx -> registryd master -> workers -> store (SQLite or
DynamoDB) and blob store (disk or S3), the pull-through fillers (the "bundler"), the upstreams,
the disk. README.md ("Disaster drills") has the whole table: the scenarios other suites already
drill (a worker killed, the store down or throttled, upstream down, disk reserve on downloads)
are named there; the rest are here. Each drill runs on a private stack, on the session's
store."""
import os
import signal
import time

import pytest
import requests

import s3server
from apiutil import (MODEL_CARD, assert_error, assert_json_status, call, enumerate_all, make_zip,
                     register, safetensors_bytes)

HF = "https://huggingface.co/"


def wait_until(predicate, timeout=15.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what}: not true after {timeout} s")


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is gone for our purposes
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def names(stack):
    items, _ = enumerate_all(stack, [{"name": "*"}])
    return {a["name"] for a in items}


def acknowledged(stack, n, prefix):
    """Registers n synthetic models; their names (every one answered 201)."""
    got = set()
    for i in range(n):
        created = register(stack, "model", f"{HF}drills/{prefix}-{i}")
        got.add(created["metadata"]["name"])
    return got


def test_master_killed_takes_its_workers_and_the_stack_comes_back(private_stack):
    """SIGKILL to registryd's master: its workers get SIGTERM from the kernel (PDEATHSIG) and
    drain; serve.sh sees the master gone and stops nginx; nothing is left serving a socket
    nobody supervises. A supervisor's restart on the same data has everything acknowledged."""
    s = private_stack
    acked = acknowledged(s, 3, "master")
    master, workers = s.master_pid(), s.worker_pids()
    assert master and workers
    os.kill(master, signal.SIGKILL)
    wait_until(lambda: s.proc.poll() is not None, what="serve.sh exits")
    wait_until(lambda: not any(alive(p) for p in workers), what="the workers exit")
    with pytest.raises(requests.ConnectionError):
        requests.get(s.url("/health"), timeout=2)
    s.restart()
    s.login()
    assert acked <= names(s)


def test_nginx_killed_stops_the_stack_and_it_comes_back(private_stack):
    s = private_stack
    acked = acknowledged(s, 2, "nginx")
    workers = s.worker_pids()
    nginx_master = [p for p in os.listdir("/proc") if p.isdigit() and
                    _comm(int(p)) == "nginx" and _ppid(int(p)) == s.proc.pid]
    assert nginx_master, "no nginx under serve.sh"
    os.kill(int(nginx_master[0]), signal.SIGKILL)
    wait_until(lambda: s.proc.poll() is not None, what="serve.sh exits")
    wait_until(lambda: not any(alive(p) for p in workers), what="registryd drains")
    s.restart()
    s.login()
    assert acked <= names(s)


def _comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def _ppid(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().split(") ", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def filler_pids(stack):
    """Processes holding a fill's part file open for writing (the fillers)."""
    fills = os.path.join(stack.data_dir, "fills")
    found = []
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{p}/fd"):
                target = os.readlink(f"/proc/{p}/fd/{fd}")
                if not (target.startswith(fills) and target.endswith(".part")):
                    continue
                with open(f"/proc/{p}/fdinfo/{fd}") as f:
                    flags = int(next(l for l in f if l.startswith("flags:")).split()[1], 8)
                if flags & 3:  # O_WRONLY or O_RDWR
                    found.append(int(p))
        except (OSError, StopIteration):
            continue
    return found


def test_bundler_killed_mid_fill_cuts_the_download_and_the_next_one_succeeds(private_stack,
                                                                             upstream):
    """The filler (bundler) of a first download dies mid-fetch: the download in progress ends
    short of its Content-Length (the client sees it), nothing is stored, and the next download
    starts a fresh fill and gets the whole zip."""
    s = private_stack
    created = register(s, "model", f"{HF}drills/bundler-model-20mb")
    id_ = created["metadata"]["id"]
    # The fill stops at vocab.txt, the last file, after the weights were fetched and judged.
    upstream.config(fail="hang", fail_paths=r"bundler-model-20mb/resolve/main/vocab\.txt",
                    hang_s=60)
    r = call(s, "GET", f"/download/model/{id_}", stream=True, timeout=30)
    assert r.status_code == 200, r.text[:300]
    total = int(r.headers["Content-Length"])
    wait_until(lambda: filler_pids(s), what="a filler runs")
    victims = filler_pids(s)
    got = 0
    it = r.iter_content(1 << 16)
    got += len(next(it))
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    try:
        for chunk in it:
            got += len(chunk)
    except requests.RequestException:
        pass  # a body cut short: what the client is told
    assert got < total
    upstream.reset()
    body = call(s, "GET", f"/download/model/{id_}", timeout=60).content
    assert len(body) == total


@pytest.fixture
def own_s3():
    """An s3rver of this test's own, which the drill stops and starts again."""
    server = s3server.S3rver()
    server.start()
    yield server
    server.cleanup()


def test_blob_store_down_answers_json_and_recovers(stack_factory, own_s3):
    s = stack_factory(**own_s3.env())
    data = make_zip([("README.md", MODEL_CARD), ("config.json", '{"model_type": "bert"}'),
                     ("model.safetensors", safetensors_bytes(200000))])
    path = "/artifact/model/upload?name=acme-sentiment"
    created = assert_json_status(call(s, "POST", path, data=data,
                                      headers={"Content-Type": "application/zip"}), 201)
    id_ = created["metadata"]["id"]
    port = own_s3.port
    own_s3.stop()
    down = call(s, "GET", f"/download/model/{id_}")
    assert down.status_code in (502, 503), down.text[:300]
    assert down.headers["Content-Type"].startswith("application/json"), down.headers
    assert "error" in down.json()
    second = call(s, "POST", path, data=data, headers={"Content-Type": "application/zip"})
    assert second.status_code in (502, 503), second.text[:300]
    assert "error" in second.json()
    own_s3.start_on(port)
    back = call(s, "GET", f"/download/model/{id_}")
    assert back.status_code == 200 and back.content == data


def test_upstream_slow_times_out_in_json_and_recovers(stack_factory, upstream):
    s = stack_factory(REGISTRY_UPSTREAM_TIMEOUT_MS=800)
    upstream.config(fail="hang", fail_paths="/api/models/drills/slow", hang_s=30)
    started = time.monotonic()
    r = call(s, "POST", "/artifact/model", json={"url": f"{HF}drills/slow-model"}, timeout=60)
    body = assert_error(r, "upstream_error", 502)
    assert "drills/slow-model" in body["detail"] or "timed out" in body["detail"].lower(), body
    assert time.monotonic() - started < 30
    upstream.reset()
    register(s, "model", f"{HF}drills/slow-model")


def test_disk_at_its_reserve_refuses_uploads_in_json_and_recovers(stack_factory):
    """A disk without room (the free-space reserve past what the disk has): 507, nothing
    stored; with room again, the same upload is accepted."""
    s = stack_factory(REGISTRY_BLOB_RESERVE_BYTES=1 << 62)
    data = make_zip([("README.md", MODEL_CARD), ("config.json", '{"model_type": "bert"}'),
                     ("model.safetensors", safetensors_bytes(200000))])
    path = "/artifact/model/upload?name=acme-sentiment"
    headers = {"Content-Type": "application/zip"}
    assert_error(call(s, "POST", path, data=data, headers=headers), "insufficient_storage", 507)
    assert "acme-sentiment" not in names(s)
    s.restart({"REGISTRY_BLOB_RESERVE_BYTES": 0})
    s.login()
    assert_json_status(call(s, "POST", path, data=data, headers=headers), 201)
