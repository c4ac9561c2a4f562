"""Harness for the API tests: starts the real stack (scripts/serve.sh: nginx in front of
registryd) on a free loopback port and a fresh data directory, and tears it down again.

  stack          session-scoped shared stack (tests that need a clean registry use `registry`)
  registry       the shared stack after DELETE /reset
  private_stack  a stack of its own for destructive tests (kill -9, restart)
  stack_factory  starts private stacks with extra environment: stack_factory(VAR=value, ...)
  module_stack_factory  the same, for stacks shared by the tests of one module
  scan_policy_stack  (policy, stack) under REGISTRY_SCAN_POLICY=flag, then off (module-scoped)
  dynalite       a module's own dynalite, for stacks behind faulty_dynamo's proxy

Every stack is logged in as the default admin (stack.token), which apiutil.call() sends as
X-Authorization. Stacks run with TEST_ENV (a cheap PBKDF2 and a token that never runs out of
uses) unless the stack's env overrides it; a None value removes a variable.

REGISTRYD (environment) names the binary; default build/registryd under the repo root. Every
stack's logs are scanned for sanitizer reports at teardown; any report fails the session.

Upstream APIs: the session starts ONE upstream fixture server (tests/fixtures/upstream_server.py
--synthesize, see tests/fixtures/README.md) and every Stack's environment points HF_ENDPOINT and
GITHUB_API_URL at it (stack_factory(HF_ENDPOINT=...) still overrides). It serves the recorded
corpus and answers any other model, dataset or GitHub repository with a generated one, except ids
whose last segment starts with "missing" (404).
  upstream       the server: .url, .port, .config(**keys) (POST /__fixture/config; no keys: read
                 it), .reset(), .log(since=None) (the requests it served), .mark() (the last
                 logged seq, for log(since=...))
After every test (before its fixtures are torn down) the server is reset: faults, delays and the
request log never leak into the next test.

REGISTRY_TEST_STORE (environment) picks the store every stack runs on: sqlite (default) or
dynamodb. For dynamodb the session starts one in-memory dynalite (tests/api/faulty_dynamo.py)
and every Stack gets a DynamoDB table of its own ("registry-<n>"), kept across restart(), so
private stacks never share state. `backend` (fixture) is the store's name;
skip_on_store(name, reason) marks the few tests that cannot apply to one backend.
"""

import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import itertools

import pytest
import requests

import faulty_dynamo
import s3server
from apiutil import ADMIN_NAME, DEFAULT_ADMIN_PASSWORD, call, login

ROOT = pathlib.Path(__file__).resolve().parents[2]
SERVE = ROOT / "scripts" / "serve.sh"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 25.0  # the master drains its workers for up to 10 s
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
DEFAULT_WORKERS = 4
# Logins cost ~1 ms instead of ~0.2 s, and the suite never exhausts a token. Failed logins
# are never refused (the tests of refused credentials fail the default admin's login many
# times); test_auth_hardening.py tests the login backoff on stacks of its own. Every client of
# the suite is 127.0.0.1, and some tests hammer it on purpose: the per-address limits
# (conf/render.sh) are raised far above what they send (test_nginx_hardening.py sets its own).
TEST_ENV = {"REGISTRY_PBKDF2_ITERATIONS": "1000", "REGISTRY_TOKEN_MAX_USES": "1000000",
            "REGISTRY_LOGIN_BACKOFF_MS": "0", "REGISTRY_CONN_PER_ADDRESS": "4096",
            "REGISTRY_REQ_PER_SECOND": "100000", "REGISTRY_REQ_BURST": "100000",
            "REGISTRY_LOGINS_PER_SECOND": "100000", "REGISTRY_LOGIN_BURST": "100000"}

# Sanitizer reports found in any stack's logs during the session: (data dir, file, report).
SANITIZER_REPORTS = []

# The upstream fixture server (Hugging Face + GitHub APIs), one per session.
UPSTREAM_SERVER = ROOT / "tests" / "fixtures" / "upstream_server.py"
UPSTREAM_PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
UPSTREAM_START_TIMEOUT = 15.0
# The session's upstream fixture server (set by the upstream_server fixture).
UPSTREAM = None

STORES = ("sqlite", "dynamodb")
TEST_STORE = os.environ.get("REGISTRY_TEST_STORE") or "sqlite"
# The session's dynalite endpoint when TEST_STORE is dynamodb (set by the store_server fixture).
DYNAMODB_ENDPOINT = None
_TABLES = itertools.count(1)


def store_env():
    """The store part of a new stack's environment: {} for SQLite; for DynamoDB the session's
    dynalite, the test credentials and a table no other stack uses."""
    if TEST_STORE != "dynamodb":
        return {}
    assert DYNAMODB_ENDPOINT, "the store_server fixture has not started dynalite"
    return faulty_dynamo.store_env(DYNAMODB_ENDPOINT, f"registry-{next(_TABLES)}")


def upstream_env():
    """The upstream part of a new stack's environment: HF_ENDPOINT and GITHUB_API_URL, both the
    session's upstream fixture server."""
    assert UPSTREAM is not None, "the upstream_server fixture has not started the fixture server"
    return {"HF_ENDPOINT": UPSTREAM.url, "GITHUB_API_URL": UPSTREAM.url}


class UpstreamError(Exception):
    pass


class Upstream:
    """The upstream fixture server, run as a subprocess:
    /usr/bin/python3 tests/fixtures/upstream_server.py --port 0 --ready-file F --synthesize.
    Its output goes to upstream.out in a temporary directory (kept when it fails)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="upstream-fixture-")
        self.proc = None
        self.port = None
        self._out = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def output(self):
        return tail(os.path.join(self.dir, "upstream.out"))

    # -- lifetime ---------------------------------------------------------------------------
    def start(self):
        ready = os.path.join(self.dir, "port")
        self._out = open(os.path.join(self.dir, "upstream.out"), "ab")
        self.proc = subprocess.Popen(
            [UPSTREAM_PYTHON, str(UPSTREAM_SERVER), "--port", "0", "--ready-file", ready,
             "--synthesize"],
            cwd=str(ROOT),
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + UPSTREAM_START_TIMEOUT
        while not os.path.exists(ready):
            if self.proc.poll() is not None:
                raise UpstreamError(f"it exited with status {self.proc.returncode}")
            if time.monotonic() > deadline:
                raise UpstreamError(f"no ready file within {UPSTREAM_START_TIMEOUT:.0f} s")
            time.sleep(0.02)
        with open(ready) as f:
            self.port = int(f.read().strip())
        cfg = self.config()
        if cfg.get("synthesize") is not True:
            raise UpstreamError(f"it does not synthesize: {cfg}")
        return self

    def stop(self):
        """SIGTERM, then SIGKILL after 5 s. Returns True on a clean stop (exit status 0)."""
        if not self.proc:
            return True
        clean = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
                clean = False
        clean = clean and self.proc.returncode == 0
        self.proc = None
        if self._out:
            self._out.close()
            self._out = None
        if clean:
            shutil.rmtree(self.dir, ignore_errors=True)
        return clean

    # -- controls (never logged, delayed or failed by the server) ----------------------------
    def _control(self, method, path, body=None):
        try:
            r = requests.request(method, self.url + path, json=body, timeout=10)
        except requests.RequestException as e:
            raise UpstreamError(f"{method} {path}: {e}\n{self.output()}") from e
        if r.status_code != 200:
            raise UpstreamError(f"{method} {path} {body!r}: {r.status_code} {r.text}")
        return r.json()

    def config(self, **keys):
        """Merges keys into the configuration (delay_ms, fail, fail_paths, fail_count, hang_s,
        enforce_gating, hf_not_found_status, synthesize) and returns the whole configuration
        (with fail_remaining). Without keys it only reads it. A bad key or value raises."""
        return self._control("POST", "/__fixture/config", keys)

    def reset(self):
        """Clears the log and restores the default configuration (releasing hung requests);
        synthesis stays on. Returns the configuration."""
        cfg = self._control("POST", "/__fixture/reset")["config"]
        if cfg.get("synthesize") is not True:  # a test switched it off: reset keeps that
            cfg = self.config(synthesize=True)
        return cfg

    def log(self, since=None):
        """The requests the server answered since the last reset (or after seq `since`), oldest
        first: dicts with seq, time, method, path (with query), route ("hf.model_info",
        "gh.repo", ..., "unknown"), status, fault, authorization, accept, range, bytes, ..."""
        path = "/__fixture/log" if since is None else f"/__fixture/log?since={int(since)}"
        return self._control("GET", path)["requests"]

    def mark(self):
        """The seq of the last logged request (0 when none): pass it to log(since=...)."""
        entries = self.log()
        return entries[-1]["seq"] if entries else 0


def skip_on_store(store, reason):
    """Marks a test that cannot apply to one backend: skipped (with reason) on that one only."""
    return pytest.mark.skipif(TEST_STORE == store, reason=f"{store}: {reason}")


def registryd_path():
    raw = os.environ.get("REGISTRYD") or "build/registryd"
    path = pathlib.Path(raw)
    if not path.is_absolute():
        path = ROOT / path
    return str(path)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, lines=40):
    try:
        with open(path, "r", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as e:
        return f"<cannot read {path}: {e}>"


def _proc_table():
    """{pid: (ppid, comm)} for every process visible in /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "r") as f:
                stat = f.read()
        except OSError:
            continue
        # comm may contain spaces and parentheses: it ends at the last ')'.
        lpar, rpar = stat.index("("), stat.rindex(")")
        comm = stat[lpar + 1 : rpar]
        fields = stat[rpar + 2 :].split()
        state, ppid = fields[0], int(fields[1])
        if state == "Z":
            continue
        table[int(entry)] = (ppid, comm)
    return table


def children(pid, comm=None):
    """Live child pids of pid (optionally only those whose comm starts with comm), sorted."""
    return sorted(
        p
        for p, (ppid, c) in _proc_table().items()
        if ppid == pid and (comm is None or c.startswith(comm))
    )


class Stack:
    """One nginx + registryd stack started through scripts/serve.sh."""

    def __init__(self, workers=DEFAULT_WORKERS, data_dir=None, env=None):
        self.workers = workers
        self.owns_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="registry-api-")
        self.env = dict(TEST_ENV)
        # The table is chosen once, here: restart() keeps it, so data survives a restart.
        self.env.update(store_env())
        self.env.update(upstream_env())
        self.env.update(env or {})
        self.port = None
        self.proc = None
        self.http = requests.Session()
        self.token = None  # the default admin's "bearer <token>", set by login()
        self._out = None

    # -- environment and authentication ---------------------------------------------------
    def environment(self):
        """The environment registryd runs with (the test run's, with self.env applied)."""
        env = dict(os.environ)
        for name, value in self.env.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = str(value)
        return env

    @property
    def admin_password(self):
        return self.environment().get("REGISTRY_ADMIN_PASSWORD") or DEFAULT_ADMIN_PASSWORD

    def login(self):
        """Logs in as the default admin; the token becomes the one call() sends."""
        self.token = login(self, ADMIN_NAME, self.admin_password, is_admin=True)
        return self.token

    # -- addresses and logs -------------------------------------------------------------
    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def log_dir(self):
        return os.path.join(self.data_dir, "log")

    def log_tails(self):
        parts = []
        for name in ("serve.out", "log/registryd.log", "log/nginx-error.log"):
            parts.append(f"--- {name}\n{tail(os.path.join(self.data_dir, name))}")
        return "\n".join(parts)

    # -- process ids ----------------------------------------------------------------------
    def master_pid(self):
        if not self.proc:
            return None
        pids = children(self.proc.pid, "registryd")
        return pids[0] if pids else None

    def worker_pids(self):
        """The request workers."""
        master = self.master_pid()
        return children(master, "registryd") if master else []

    def nginx_worker_pids(self):
        masters = children(self.proc.pid, "nginx") if self.proc else []
        return children(masters[0]) if masters else []

    # -- lifetime ---------------------------------------------------------------------------
    def start(self):
        if self.port is None:
            self.port = free_port()
        last_error = None
        for attempt in range(3):
            try:
                self._start_once()
                return self
            except _StartFailed as e:
                last_error = str(e)
                self._kill_group()
                # A port taken between free_port() and nginx's bind: try another one.
                if "Address already in use" not in last_error:
                    break
                self.port = free_port()
        pytest.fail(f"registry stack did not start:\n{last_error}", pytrace=False)

    def _start_once(self):
        env = self.environment()
        env.update(
            PORT=str(self.port),
            REGISTRY_DATA_DIR=self.data_dir,
            REGISTRY_WORKERS=str(self.workers),
            REGISTRYD=registryd_path(),
        )
        self._out = open(os.path.join(self.data_dir, "serve.out"), "ab")
        self.proc = subprocess.Popen(
            [str(SERVE)],
            cwd=str(ROOT),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise _StartFailed(
                    f"serve.sh exited with {self.proc.returncode}\n{self.log_tails()}"
                )
            try:
                r = self.http.get(self.url("/health"), timeout=1)
                if r.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise _StartFailed(
            f"GET /health did not answer 200 within {START_TIMEOUT:.0f} s\n{self.log_tails()}"
        )

    def _kill_group(self):
        if not self.proc:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self._close_out()
        self.proc = None

    def _close_out(self):
        if self._out:
            self._out.close()
            self._out = None

    def stop(self):
        """SIGTERM to serve.sh (it stops nginx and drains registryd); SIGKILL the group if it
        hangs. Returns True on a clean stop."""
        if not self.proc:
            return True
        self.http.close()
        clean = True
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                clean = False
        # Whatever is left of the group (a hung drain, an orphaned nginx) goes too.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        except PermissionError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            clean = False
        self._close_out()
        self.proc = None
        return clean

    def restart(self, env=None):
        """Stops and starts again on the same data directory (and port), with env applied on
        top of the stack's environment. Tokens stay valid: self.token is kept."""
        self.stop()
        self.env.update(env or {})
        self.http = requests.Session()
        return self.start()

    # -- sanitizer reports ------------------------------------------------------------------
    def sanitizer_reports(self):
        """Sanitizer reports in the registryd log (and any other non-nginx log file)."""
        found = []
        try:
            names = sorted(os.listdir(self.log_dir))
        except OSError:
            return found
        for name in names:
            if name.startswith("nginx-"):
                continue
            path = os.path.join(self.log_dir, name)
            try:
                with open(path, "r", errors="replace") as f:
                    lines = f.readlines()
            except OSError:
                continue
            for i, line in enumerate(lines):
                if any(m in line for m in SANITIZER_MARKERS):
                    found.append((name, "".join(lines[max(0, i - 2) : i + 60])))
                    break
        return found

    def teardown(self):
        """Stops the stack, records sanitizer reports, removes the data dir when it is ours.
        Returns a failure message or None."""
        clean = self.stop()
        problems = []
        reports = self.sanitizer_reports()
        for name, report in reports:
            SANITIZER_REPORTS.append((self.data_dir, name, report))
            problems.append(f"sanitizer report in {self.data_dir}/log/{name}:\n{report}")
        if not clean:
            problems.append(f"stack in {self.data_dir} did not stop within {STOP_TIMEOUT:.0f} s")
        if self.owns_dir and not problems and not os.environ.get("REGISTRY_TEST_KEEP"):
            shutil.rmtree(self.data_dir, ignore_errors=True)
        return "\n".join(problems) or None


class _StartFailed(Exception):
    pass


# -- fixtures ---------------------------------------------------------------------------------


def pytest_configure(config):
    if TEST_STORE not in STORES:
        raise pytest.UsageError(
            f"REGISTRY_TEST_STORE must be one of {', '.join(STORES)}, not {TEST_STORE!r}"
        )


def pytest_report_header(config):
    return f"registry store: {TEST_STORE} (REGISTRY_TEST_STORE)"


@pytest.fixture(scope="session")
def backend():
    """The store the suite runs on: "sqlite" or "dynamodb"."""
    return TEST_STORE


@pytest.fixture(scope="session", autouse=True)
def store_server():
    """For REGISTRY_TEST_STORE=dynamodb: one in-memory dynalite for the whole session (every
    stack has a table of its own in it). None for SQLite."""
    global DYNAMODB_ENDPOINT
    if TEST_STORE != "dynamodb":
        yield None
        return
    server = faulty_dynamo.Dynalite()
    try:
        server.start()
    except faulty_dynamo.DynaliteError as e:
        server.cleanup()
        pytest.fail(f"cannot start dynalite for REGISTRY_TEST_STORE=dynamodb: {e}", pytrace=False)
    DYNAMODB_ENDPOINT = server.endpoint
    yield server
    DYNAMODB_ENDPOINT = None
    server.cleanup()


@pytest.fixture(scope="session")
def s3_server():
    """One s3rver for the session, started when a test first needs the S3 blob backend
    (.env() gives a stack's environment for a bucket of its own)."""
    server = s3server.S3rver()
    try:
        server.start()
    except s3server.S3rverError as e:
        server.cleanup()
        pytest.fail(f"cannot start s3rver: {e}", pytrace=False)
    yield server
    server.cleanup()


@pytest.fixture(scope="session", autouse=True)
def upstream_server():
    """The session's upstream fixture server (one for the whole session; every Stack's
    HF_ENDPOINT and GITHUB_API_URL point at it). The session stops when it cannot start."""
    global UPSTREAM
    server = Upstream()
    try:
        server.start()
    except (UpstreamError, OSError, ValueError) as e:
        output = server.output()
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)
        pytest.exit(
            f"cannot start the upstream fixture server ({UPSTREAM_SERVER}): {e}\n{output}",
            returncode=pytest.ExitCode.TESTS_FAILED,
        )
    UPSTREAM = server
    yield server
    UPSTREAM = None
    if not server.stop():
        pytest.fail(
            f"the upstream fixture server did not stop cleanly on SIGTERM; see {server.dir}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def upstream(upstream_server):
    """The upstream fixture server: .url, .port, .config(**keys), .reset(), .log(since=None),
    .mark(). Whatever a test configures is reset after it."""
    return upstream_server


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    """Resets the upstream fixture server after every test, before the test's fixtures (its
    stacks) are torn down, so a fault (a hang, say) is released before they stop and never
    reaches the next test."""
    if UPSTREAM is not None and UPSTREAM.proc is not None:
        UPSTREAM.reset()


@pytest.fixture(scope="session")
def stack(store_server, upstream_server):
    binary = registryd_path()
    if not os.access(binary, os.X_OK):
        pytest.fail(f"REGISTRYD {binary} is not an executable; run make first", pytrace=False)
    s = Stack()
    s.start()
    s.login()
    yield s
    problem = s.teardown()
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.fixture
def registry(stack):
    """The shared stack with an empty registry (no artifacts, no users but the default admin,
    no audit entries), logged in again as the default admin."""
    r = call(stack, "DELETE", "/reset")  # call() logs in again after a reset
    if r.status_code == 403:
        # An earlier test revoked the harness's token (a reset with another token).
        stack.login()
        r = call(stack, "DELETE", "/reset")
    assert r.status_code == 200, r.text
    return stack


def _stack_factory():
    stacks = []

    def start(workers=DEFAULT_WORKERS, **env):
        s = Stack(workers=workers, env=env)
        stacks.append(s)
        s.start()
        s.login()
        return s

    yield start
    problems = [p for p in (s.teardown() for s in stacks) if p]
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def stack_factory(store_server, upstream_server):
    """stack_factory(workers=4, **env) starts a private stack with env on top of TEST_ENV,
    logged in as the default admin; every stack started is torn down after the test."""
    yield from _stack_factory()


@pytest.fixture(scope="module")
def module_stack_factory(store_server, upstream_server):
    """stack_factory for stacks that the tests of one module share (torn down after it)."""
    yield from _stack_factory()


@pytest.fixture
def private_stack(stack_factory):
    return stack_factory()


@pytest.fixture(scope="module")
def dynalite():
    """A dynalite of the module's own, for stacks behind faulty_dynamo's proxy (whatever
    REGISTRY_TEST_STORE says): faulty_dynamo.faulty_stack(dynalite, factory, prefix)."""
    server = faulty_dynamo.Dynalite()
    try:
        server.start()
    except faulty_dynamo.DynaliteError as e:
        server.cleanup()
        pytest.fail(f"cannot start dynalite: {e}", pytrace=False)
    yield server
    server.cleanup()


@pytest.fixture(scope="module", params=["flag", "off"])
def scan_policy_stack(request, module_stack_factory):
    """(policy, stack) for each model-scan policy other than the default block."""
    return request.param, module_stack_factory(REGISTRY_SCAN_POLICY=request.param)


# -- session result -----------------------------------------------------------------------------


def pytest_sessionfinish(session, exitstatus):
    if SANITIZER_REPORTS and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not SANITIZER_REPORTS:
        return
    terminalreporter.section("sanitizer reports", sep="=", red=True)
    for data_dir, name, report in SANITIZER_REPORTS:
        terminalreporter.write_line(f"--- {data_dir}/log/{name}")
        terminalreporter.write_line(report)
