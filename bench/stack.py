"""What the Python benchmarks share: the upstream fixture server, a registry stack started
through scripts/serve.sh on free ports, requests, and a clean stop (bench/ingest.py,
bench/download.py)."""

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
PYTHON = "/usr/bin/python3"
ADMIN = "ece30861defaultadminuser"
DEFAULT_PASSWORD = "correcthorsebatterystaple123(!__+@**(A'\"`;DROP TABLE artifacts;"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(method, url, body=None, token=None, timeout=120, raw=None):
    """(status, parsed JSON or None, elapsed ms). raw: bytes sent as the body instead."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("X-Authorization", token)
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, payload = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, payload = e.code, e.read()
    elapsed = (time.perf_counter() - start) * 1000
    try:
        return status, json.loads(payload or b"null"), elapsed
    except ValueError:
        return status, None, elapsed


def _wait_for(path, proc, what, timeout=30):
    deadline = time.time() + timeout
    while not os.path.exists(path):
        if proc.poll() is not None or time.time() > deadline:
            sys.exit(f"bench: {what} did not start")
        time.sleep(0.05)


def start_upstream(work):
    """The fixture server (--synthesize): (process, base URL)."""
    ready = os.path.join(work, "upstream.port")
    proc = subprocess.Popen(
        [PYTHON, str(ROOT / "tests/fixtures/upstream_server.py"), "--port", "0", "--ready-file",
         ready, "--synthesize"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    _wait_for(ready, proc, "the upstream fixture server")
    with open(ready) as f:
        return proc, f"http://127.0.0.1:{int(f.read().strip())}"


def start_stack(work, upstream, workers=4, **env):
    """A registry stack on SQLite whose upstreams are the fixture server: (process, base URL,
    data directory)."""
    port = free_port()
    data = os.path.join(work, "data")
    # Started as root, nginx's workers run unprivileged (conf/render.sh): they must be able
    # to traverse the work directory to reach the data directory (not to list it).
    os.chmod(work, 0o711)
    full = dict(os.environ, PORT=str(port), REGISTRY_DATA_DIR=data,
                REGISTRY_WORKERS=str(workers), REGISTRY_STORE="sqlite", HF_ENDPOINT=upstream,
                GITHUB_API_URL=upstream, REGISTRY_TOKEN_MAX_USES="1000000000",
                # Benchmarks hammer from one address on purpose: no per-address limits.
                REGISTRY_CONN_PER_ADDRESS="0", REGISTRY_REQ_PER_SECOND="0", REGISTRY_LOGINS_PER_SECOND="0",
                REGISTRYD=os.environ.get("REGISTRYD", str(ROOT / "build/registryd")))
    full.update({k: str(v) for k, v in env.items()})
    proc = subprocess.Popen([str(ROOT / "scripts/serve.sh")], env=full,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            if request("GET", base + "/health", timeout=2)[0] == 200:
                return proc, base, data
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            sys.exit("bench: the registry stack did not start")
        time.sleep(0.1)


def login(base):
    password = os.environ.get("REGISTRY_ADMIN_PASSWORD") or DEFAULT_PASSWORD
    status, token, _ = request("PUT", base + "/authenticate",
                               {"user": {"name": ADMIN, "is_admin": True},
                                "secret": {"password": password}})
    if status != 200:
        sys.exit(f"bench: login failed ({status})")
    return token


def stop(proc):
    """SIGTERM to the process group, SIGKILL after 15 s."""
    if proc and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
