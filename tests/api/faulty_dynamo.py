"""Local DynamoDB for the API tests: dynalite (npm, tests/dynamodb) and a fault-injecting proxy.

  Dynalite()          starts `dynalite --port P` (in-memory) on a free loopback port:
                      d.start(); d.endpoint -> "http://127.0.0.1:P"; d.stop()
  FaultyDynamo(up)    a threaded stdlib HTTP proxy in front of `up` (an endpoint URL). It forwards
                      every request unchanged and counts requests per operation (the part of
                      X-Amz-Target after the "."). Faults are queued per operation:
                        p.throttle("PutItem", 2)     400 ThrottlingException, twice
                        p.fail("PutItem", 2)         500 InternalServerError, twice
                        p.bad_crc("GetItem", 1)      the real answer with a wrong x-amz-crc32
                        p.land_then_fail("PutItem")  forwards (the write lands), answers 500
                        p.delay("PutItem", 1.0)      holds the request, then forwards it
                        p.down() / p.up()            closes every connection until up()
                        p.down(refuse=True)          stops listening until up()
                      A fault may be limited to requests whose body contains a marker
                      (match="U#"), so one PutItem among several can be targeted. Queued
                      faults are used in order; a request that no fault matches is forwarded.
                      p.count("PutItem"), p.requests (list of (op, body, what happened)).

Both run in the test process; the proxy is what registryd's AWS_ENDPOINT_URL_DYNAMODB points
at in tests/api/test_dynamodb_faults.py.
"""

import itertools
import http.client
import http.server
import json
import os
import pathlib
import socket
import subprocess
import threading
import time
import zlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
DYNALITE = ROOT / "tests" / "dynamodb" / "node_modules" / ".bin" / "dynalite"
START_TIMEOUT = 20.0
TARGET_PREFIX = "DynamoDB_20120810."

# The credentials and region every test stack uses (dynalite does not verify signatures).
TEST_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIDTEST",
    "AWS_SECRET_ACCESS_KEY": "test-secret",
    "AWS_REGION": "us-east-1",
    "AWS_SESSION_TOKEN": None,
    "AWS_DEFAULT_REGION": None,
}


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _accepts(port, timeout=0.2):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def store_env(endpoint, table):
    """The registryd environment for the DynamoDB store at endpoint, on table."""
    env = dict(TEST_AWS_ENV)
    env.update(
        REGISTRY_STORE="dynamodb", AWS_ENDPOINT_URL_DYNAMODB=endpoint, DYNAMODB_TABLE=table
    )
    return env


class DynaliteError(Exception):
    pass


class Dynalite:
    """One in-memory dynalite on a free loopback port."""

    def __init__(self, log_dir=None):
        self.port = None
        self.proc = None
        self.log_path = os.path.join(log_dir or "/tmp", f"dynalite-{os.getpid()}-{id(self)}.log")
        self._log = None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def output(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()[-4000:]
        except OSError as e:
            return f"<cannot read {self.log_path}: {e}>"

    def start(self):
        """Starts dynalite and waits until it accepts connections; DynaliteError (with its
        output) when it cannot start."""
        if not os.access(DYNALITE, os.X_OK):
            raise DynaliteError(
                f"{DYNALITE} is missing: run scripts/deps.sh (npm ci in tests/dynamodb)"
            )
        last = ""
        for _ in range(3):  # a port taken between _free_port() and dynalite's bind: retry
            self.port = _free_port()
            self._log = open(self.log_path, "wb")
            self.proc = subprocess.Popen(
                [str(DYNALITE), "--host", "127.0.0.1", "--port", str(self.port),
                 "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"],
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if _accepts(self.port):
                    return self
                time.sleep(0.05)
            rc = self.proc.poll()
            self.stop()
            last = (
                f"dynalite on port {self.port} "
                + (f"exited with {rc}" if rc is not None else
                   f"did not accept connections within {START_TIMEOUT:.0f} s")
                + f"; its output:\n{self.output()}"
            )
            if "EADDRINUSE" not in last:
                break
        raise DynaliteError(last)

    def stop(self):
        if self.proc:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=5)
            self.proc = None
        if self._log:
            self._log.close()
            self._log = None

    def cleanup(self):
        self.stop()
        try:
            os.unlink(self.log_path)
        except OSError:
            pass


# -- the fault-injecting proxy ------------------------------------------------------------------

THROTTLE = "throttle"
FAIL = "fail"
BAD_CRC = "bad_crc"
LAND_THEN_FAIL = "land_then_fail"
DELAY = "delay"


class _Fault:
    def __init__(self, kind, op, times, match, seconds=0.0):
        self.kind, self.op, self.left, self.match = kind, op, times, match
        self.seconds = seconds

    def applies(self, op, body):
        return self.left > 0 and self.op == op and (self.match is None or self.match in body)


class FaultyDynamo:
    """A threaded HTTP proxy between registryd and dynalite that injects faults on demand."""

    def __init__(self, upstream):
        host_port = upstream.split("://", 1)[1].rstrip("/")
        self.up_host, port = host_port.rsplit(":", 1)
        self.up_port = int(port)
        self.lock = threading.Lock()
        self.faults = []
        self.is_down = False
        self.requests = []  # (op, body text, what happened)
        self.server = None
        self.thread = None
        self.port = None

    # -- control ----------------------------------------------------------------------------
    def _add(self, kind, op, times, match, seconds=0.0):
        with self.lock:
            self.faults.append(_Fault(kind, op, times, match, seconds))

    def throttle(self, op, times=1, match=None):
        self._add(THROTTLE, op, times, match)

    def fail(self, op, times=1, match=None):
        self._add(FAIL, op, times, match)

    def bad_crc(self, op, times=1, match=None):
        self._add(BAD_CRC, op, times, match)

    def land_then_fail(self, op, times=1, match=None):
        self._add(LAND_THEN_FAIL, op, times, match)

    def delay(self, op, seconds, times=1, match=None):
        """Holds the request for seconds, then forwards it (widens race windows)."""
        self._add(DELAY, op, times, match, seconds)

    def wait_for(self, op, outcome, match=None, timeout=10.0):
        """Waits until a request for op ended (or is held) as outcome; False on timeout."""
        deadline = time.monotonic() + timeout
        while self.count(op, match=match, outcome=outcome) == 0:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def down(self, refuse=False):
        """Down until up(): every connection is closed without an answer, or with refuse=True
        the proxy stops listening (connections are refused)."""
        with self.lock:
            self.is_down = True
        if refuse and self.server:
            self._stop_server()

    def up(self):
        with self.lock:
            self.is_down = False
        if self.server is None and self.port is not None:
            self._serve(self.port)

    def clear(self):
        """Drops pending faults and the request log; the proxy is up again."""
        with self.lock:
            self.faults.clear()
            self.requests.clear()
        self.up()

    def pending(self):
        """Faults not used up yet: [(kind, op, left)]."""
        with self.lock:
            return [(f.kind, f.op, f.left) for f in self.faults if f.left > 0]

    def count(self, op, match=None, outcome=None):
        """Requests seen for op (whose body contains match; that ended as outcome)."""
        with self.lock:
            return sum(
                1
                for o, body, what in self.requests
                if o == op and (match is None or match in body)
                and (outcome is None or what == outcome)
            )

    def _take(self, op, body):
        with self.lock:
            if self.is_down:
                self.requests.append((op, body, "down"))
                return "down"
            for f in self.faults:
                if f.applies(op, body):
                    f.left -= 1
                    self.requests.append((op, body, f.kind))
                    return f
            self.requests.append((op, body, "forwarded"))
            return None

    def is_down_now(self):
        with self.lock:
            return self.is_down

    # -- lifetime ---------------------------------------------------------------------------
    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self._serve(0)
        return self

    def _serve(self, port):
        proxy = self

        class Handler(_ProxyHandler):
            owner = proxy

        for _ in range(50):  # up() after a refusing down() binds the same port again
            try:
                server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
                break
            except OSError:
                if not port:
                    raise
                time.sleep(0.1)
        else:
            raise OSError(f"faulty_dynamo cannot listen on 127.0.0.1:{port} again")
        server.daemon_threads = True
        self.server = server
        self.port = server.server_address[1]
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)
        self.thread.start()

    def _stop_server(self):
        server, self.server = self.server, None
        server.shutdown()
        server.server_close()

    def stop(self):
        if self.server:
            self._stop_server()
        self.port = None


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    owner = None  # the FaultyDynamo, set by a subclass
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without TCP_NODELAY each answer would wait
    # for the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True

    def log_message(self, *args):  # quiet
        pass

    def handle_one_request(self):
        # A down proxy drops connections, including kept-alive ones, before reading a request.
        if self.owner.is_down_now():
            self.close_connection = True
            self._drop()
            return
        super().handle_one_request()

    def _drop(self):
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _reply(self, status, body, crc=None, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amz-crc32", str(zlib.crc32(body) if crc is None else crc))
        self.send_header("x-amzn-RequestId", "faulty-dynamo")
        for name, v in extra:
            self.send_header(name, v)
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status, type_, message):
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{type_}",
                           "message": message}).encode()
        self._reply(status, body)

    def _forward(self, body):
        conn = http.client.HTTPConnection(self.owner.up_host, self.owner.up_port, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("connection", "keep-alive", "expect",
                                            "transfer-encoding", "content-length")}
            conn.request("POST", self.path, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            return r.status, data, r.getheader("x-amz-crc32")
        finally:
            conn.close()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        target = self.headers.get("X-Amz-Target", "")
        op = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else target
        fault = self.owner._take(op, body.decode("utf-8", "replace"))
        kind = fault.kind if isinstance(fault, _Fault) else fault
        if kind == DELAY:
            time.sleep(fault.seconds)
        if kind == "down":
            self.close_connection = True
            self._drop()
            return
        if kind == THROTTLE:
            self._error(400, "ThrottlingException", "Rate of requests exceeds the allowed "
                        "throughput (injected by faulty_dynamo)")
            return
        if kind == FAIL:
            self._error(500, "InternalServerError", "injected by faulty_dynamo")
            return
        try:
            status, data, crc = self._forward(body)
        except OSError as e:
            self._error(500, "InternalServerError", f"faulty_dynamo: upstream: {e}")
            return
        if kind == LAND_THEN_FAIL:
            self._error(500, "InternalServerError", "injected by faulty_dynamo after the "
                        "request was applied")
            return
        if kind == BAD_CRC:
            self._reply(status, data, crc=(zlib.crc32(data) + 1) & 0xFFFFFFFF)
            return
        self._reply(status, data, crc=int(crc) if crc and crc.isdigit() else None)


_STACK_TABLES = itertools.count(1)


def faulty_stack(dynalite, factory, prefix, workers=2):
    """A stack (from a conftest stack factory) whose store is DynamoDB, a table of its own named
    after prefix, behind a new proxy to dynalite: stack.proxy, which the caller stops."""
    proxy = FaultyDynamo(dynalite.endpoint).start()
    env = store_env(proxy.endpoint, f"{prefix}-{next(_STACK_TABLES)}")
    try:
        s = factory(workers=workers, **env)
    except BaseException:
        proxy.stop()
        raise
    s.proxy = proxy
    return s
