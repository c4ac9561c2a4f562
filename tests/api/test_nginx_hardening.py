"""nginx in front of the registry, hardened (conf/nginx.conf.in, conf/render.sh):

- Uploads: nginx asks the worker (auth_request to the internal route /_internal/upload-check)
  whether the token, the upload permission and the free space allow the upload before it reads
  a byte of the body, so a client who may not upload never makes nginx write a body file; the
  check spends none of the token's uses. Concurrent uploads are bounded per address and in all.
- Slow clients and floods: per-address limits on requests in progress and on the request rate
  (429 JSON past them), a short header timeout that trickled bytes do not extend.
- nginx's workers never run as root, and every answer carries the security headers.

Clients on other addresses than 127.0.0.1 are sockets bound to 127.0.0.2, 127.0.0.3, ...
(all of 127.0.0.0/8 is loopback), which nginx sees as distinct client addresses.
"""

import http.client
import io
import json
import os
import select
import socket
import struct
import time
import zipfile

import pytest

from apiutil import (ADMIN_NAME, TIMEOUT, assert_error, assert_json_status, call, login,
                     user_token)

UPLOAD_MAX = 64 * 1024 * 1024
PARTIAL = 256 * 1024  # more than the upload location's body buffer: nginx writes it to a file
UPLOADS_PER_ADDRESS = 4
UPLOADS_TOTAL = 6
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


# -- helpers ----------------------------------------------------------------------------------


def wait_for(condition, what, timeout=TIMEOUT):
    """Polls condition() until it is true; fails the test after timeout seconds (a liveness
    guard, far above the time anything here takes)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting after {timeout} s: {what}")
        time.sleep(0.02)


def connect(stack, source="127.0.0.1"):
    return socket.create_connection(("127.0.0.1", stack.port), timeout=TIMEOUT,
                                    source_address=(source, 0))


def read_response(sock):
    """One final HTTP/1.1 answer from sock (interim 1xx answers skipped): (status, {lowercase
    name: [values]}, body)."""
    buf = b""
    while True:
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"connection closed after {buf[:200]!r}")
            buf += chunk
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        if status < 200:
            continue
        headers = {}
        for line in lines[1:]:
            name, value = line.split(":", 1)
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        length = int(headers["content-length"][0])
        while len(buf) < length:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed inside the body")
            buf += chunk
        return status, headers, buf[:length]


def upload_head(token, length, type_="dataset", name="slow", extra=()):
    lines = [f"POST /artifact/{type_}/upload?name={name} HTTP/1.1", "Host: localhost",
             "Content-Type: application/zip", f"Content-Length: {length}", *extra]
    if token:
        lines.append(f"X-Authorization: {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def body_files(stack):
    """The request bodies nginx is writing (client_body_temp_path)."""
    return os.listdir(os.path.join(stack.data_dir, "tmp", "body"))


def dataset_zip(tag):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("README.md", f"# Tickets {tag}\n\nSupport tickets, labelled by team.\n")
        zf.writestr("data.csv", "text,label\n" + f"row {tag},a\n" * 100)
    return buf.getvalue()


def upload(stack, data, name, type_="dataset", **kw):
    """The upload through requests (a generator as data: a chunked body); kw as for call()."""
    kw.setdefault("headers", {"Content-Type": "application/zip"})
    return call(stack, "POST", f"/artifact/{type_}/upload?name={name}", data=data, **kw)


def start_slow_upload(stack, token, source="127.0.0.1"):
    """An upload in progress: its header and part of its body sent, the rest never."""
    s = connect(stack, source)
    s.sendall(upload_head(token, UPLOAD_MAX))
    s.sendall(b"\0" * PARTIAL)
    return s


def close_all(socks):
    for s in socks:
        s.close()


# -- FastCGI, straight to registryd's socket (what nginx does) ---------------------------------


def _fcgi_record(kind, content, request_id=1):
    return struct.pack(">BBHHBB", 1, kind, request_id, len(content), 0, 0) + content


def _fcgi_pair(name, value):
    def length(n):
        return struct.pack(">B", n) if n < 128 else struct.pack(">I", n | 0x80000000)

    name, value = name.encode(), value.encode()
    return length(len(name)) + length(len(value)) + name + value


def fastcgi_request(stack, params):
    """One request to registryd's FastCGI socket with these parameters and no body: (status,
    {lowercase header: value}, body)."""
    path = os.path.join(stack.data_dir, "run", "registryd.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(TIMEOUT)
        s.connect(path)
        pairs = b"".join(_fcgi_pair(k, v) for k, v in params.items())
        s.sendall(_fcgi_record(1, struct.pack(">HB5x", 1, 0)) + _fcgi_record(4, pairs)
                  + _fcgi_record(4, b"") + _fcgi_record(5, b""))
        out, buf = b"", b""
        while True:
            while len(buf) < 8:
                chunk = s.recv(65536)
                assert chunk, "registryd closed the connection mid-answer"
                buf += chunk
            _, kind, _, clen, plen, _ = struct.unpack(">BBHHBB", buf[:8])
            while len(buf) < 8 + clen + plen:
                buf += s.recv(65536)
            content, buf = buf[8:8 + clen], buf[8 + clen + plen:]
            if kind == 6:  # STDOUT
                out += content
            elif kind == 3:  # END_REQUEST
                break
    head, body = out.split(b"\r\n\r\n", 1)
    headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n"))
    headers = {k.lower(): v for k, v in headers.items()}
    return int(headers["status"].split()[0]), headers, body


# -- stacks -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def upload_stack(module_stack_factory):
    return module_stack_factory(REGISTRY_UPLOAD_MAX_BYTES=UPLOAD_MAX,
                                REGISTRY_UPLOADS_PER_ADDRESS=UPLOADS_PER_ADDRESS,
                                REGISTRY_UPLOADS_TOTAL=UPLOADS_TOTAL)


@pytest.fixture(scope="module")
def limits_stack(module_stack_factory):
    """Connection limit 8 per address, header timeout 2 s (the rate limit stays high)."""
    return module_stack_factory(REGISTRY_CONN_PER_ADDRESS=8, REGISTRY_HEADER_TIMEOUT_SECONDS=2,
                                REGISTRY_BODY_TIMEOUT_SECONDS=120)


@pytest.fixture(scope="module")
def flood_stack(module_stack_factory):
    """5 requests per second per address, with a burst of 10."""
    return module_stack_factory(REGISTRY_REQ_PER_SECOND=5, REGISTRY_REQ_BURST=10)


@pytest.fixture(scope="module")
def searcher(upload_stack):
    """A user who may search but not upload."""
    return user_token(upload_stack, "hardening-searcher", permissions=["search"])


# -- 2. uploads are checked before nginx reads the body ---------------------------------------


@pytest.mark.parametrize("who,status,error", [
    ("nobody", 403, "authentication_failed"),
    ("forged", 403, "authentication_failed"),
    ("searcher", 401, "not_permitted"),
], ids=["no-token", "bad-token", "no-upload-permission"])
def test_refused_upload_is_answered_before_its_body_and_writes_nothing(upload_stack, searcher,
                                                                        who, status, error):
    s = upload_stack
    token = {"nobody": None, "forged": s.token[:-4] + "0000", "searcher": searcher}[who]
    assert body_files(s) == []
    with connect(s) as sock:
        sock.sendall(upload_head(token, UPLOAD_MAX))
        # Not one byte of the body sent: the answer comes all the same.
        got, headers, body = read_response(sock)
        assert got == status, body
        # The same JSON error the API gives for that token on any other upload-only call.
        same = call(s, "POST", "/artifact/dataset", json={"url": "https://huggingface.co/datasets/a/b"},
                    token=token)
        assert same.status_code == status
        assert json.loads(body) == same.json()
        assert json.loads(body)["error"] == error
        # Whatever body the client sends now is read and dropped, never stored.
        sock.sendall(b"\0" * PARTIAL)
        assert body_files(s) == []


def test_permitted_upload_writes_its_body_where_the_refused_ones_did_not(upload_stack):
    """The control of the test above: an upload that passes the check is read into a body file
    in the directory that stayed empty there, and removed when the client goes."""
    s = upload_stack
    sock = start_slow_upload(s, s.token)
    try:
        wait_for(lambda: len(body_files(s)) == 1, "nginx writing the permitted body")
    finally:
        sock.close()
    wait_for(lambda: body_files(s) == [], "nginx removing the abandoned body")


def test_upload_with_expect_continue_is_refused_without_the_body(upload_stack):
    s = upload_stack
    with connect(s) as sock:
        sock.sendall(upload_head(None, UPLOAD_MAX, extra=["Expect: 100-continue"]))
        got, _, body = read_response(sock)
        assert got == 403 and json.loads(body)["error"] == "authentication_failed"
    assert body_files(s) == []


def test_good_token_upload_still_works(upload_stack):
    s = upload_stack
    data = dataset_zip("good")
    created = assert_json_status(upload(s, data, "hardening-good"), 201)
    assert created["metadata"]["name"] == "hardening-good"
    got = call(s, "GET", f"/download/dataset/{created['metadata']['id']}")
    assert got.status_code == 200 and got.content == data
    # Chunked bodies (no Content-Length) pass the check too.
    chunked = upload(s, iter([dataset_zip("chunked")]), "hardening-chunked")
    assert_json_status(chunked, 201)
    wait_for(lambda: body_files(s) == [], "nginx removing the body files")


def test_upload_spends_one_use_of_the_token(stack_factory):
    """The check spends nothing; the upload spends its one use (REGISTRY_TOKEN_MAX_USES=4:
    three uploads and one more call, then the token is used up)."""
    s = stack_factory(REGISTRY_TOKEN_MAX_USES=4)
    token = login(s, ADMIN_NAME, s.admin_password, is_admin=True)
    for i in range(3):
        assert_json_status(upload(s, dataset_zip(f"use-{i}"), f"use-{i}", token=token), 201)
    assert_json_status(call(s, "GET", "/artifact/byName/use-0", token=token), 200)
    refused = assert_error(upload(s, dataset_zip("use-4"), "use-4", token=token),
                           "authentication_failed", 403)
    assert "limit" in refused["detail"]
    assert body_files(s) == []


def test_wrong_method_on_the_upload_path_is_the_api_405(upload_stack):
    s = upload_stack
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=TIMEOUT)
    conn.request("GET", "/artifact/model/upload?name=x", headers={"X-Authorization": s.token})
    r = conn.getresponse()
    body = r.read()
    conn.close()
    assert r.status == 405 and r.getheader("Allow") == "POST"
    assert json.loads(body)["error"] == "method_not_allowed"


def test_reserve_refusal_is_507_before_the_body(stack_factory):
    s = stack_factory(REGISTRY_BLOB_RESERVE_BYTES=str(2**62))
    with connect(s) as sock:
        sock.sendall(upload_head(s.token, 1024 * 1024))
        got, _, body = read_response(sock)
    error = json.loads(body)
    assert got == 507 and error["error"] == "insufficient_storage", error
    assert "REGISTRY_BLOB_RESERVE_BYTES" in error["detail"]
    # A chunked body may be as long as the largest upload: refused the same way.
    assert_error(upload(s, iter([dataset_zip("c")]), "c"), "insufficient_storage", 507)
    # Without a token the answer stays 403: the disk's state is nobody else's business.
    assert_error(upload(s, dataset_zip("n"), "n", token=None), "authentication_failed", 403)
    assert body_files(s) == []
    assert_error(call(s, "GET", "/artifact/byName/c"), "not_found")


def test_check_route_is_reachable_only_as_nginx_subrequest(upload_stack):
    s = upload_stack
    # Through nginx: an internal location.
    r = call(s, "GET", "/_internal/upload-check")
    assert_error(r, "not_found")
    # Straight to registryd, without the parameter only nginx sets: no such route.
    base = {"REQUEST_METHOD": "GET", "REQUEST_URI": "/_internal/upload-check",
            "QUERY_STRING": "", "HTTP_X_AUTHORIZATION": s.token,
            "HTTP_REGISTRY_INTERNAL": "1"}  # a client's header arrives as HTTP_*: no effect
    status, _, body = fastcgi_request(s, base)
    assert status == 404 and json.loads(body)["error"] == "no_such_route", body
    # With it (as nginx sends it), the check answers.
    internal = dict(base, REGISTRY_INTERNAL="upload-check", REGISTRY_ORIGINAL_METHOD="POST",
                    REGISTRY_ORIGINAL_URI="/artifact/model/upload?name=x",
                    REGISTRY_ORIGINAL_LENGTH="100")
    status, _, _ = fastcgi_request(s, internal)
    assert status == 204
    status, headers, _ = fastcgi_request(s, dict(internal, HTTP_X_AUTHORIZATION="bearer x"))
    assert status == 403 and headers["x-registry-status"] == "403"


def test_concurrent_uploads_are_bounded_per_address_and_in_all(upload_stack):
    s = upload_stack
    socks = []
    try:
        for _ in range(UPLOADS_PER_ADDRESS):
            socks.append(start_slow_upload(s, s.token))
        wait_for(lambda: len(body_files(s)) == UPLOADS_PER_ADDRESS, "the first uploads")
        with connect(s) as extra:
            extra.sendall(upload_head(s.token, UPLOAD_MAX))
            got, headers, body = read_response(extra)
        assert got == 429 and json.loads(body)["error"] == "too_many_requests", body
        # Another address may still upload, up to the cap on all uploads.
        for _ in range(UPLOADS_TOTAL - UPLOADS_PER_ADDRESS):
            socks.append(start_slow_upload(s, s.token, source="127.0.0.2"))
        wait_for(lambda: len(body_files(s)) == UPLOADS_TOTAL, "uploads from a second address")
        with connect(s, source="127.0.0.3") as extra:
            extra.sendall(upload_head(s.token, UPLOAD_MAX))
            got, _, body = read_response(extra)
        assert got == 429 and json.loads(body)["error"] == "too_many_requests", body
        # Other requests of that address are not uploads: answered.
        assert_json_status(call(s, "GET", "/health"), 200)
    finally:
        close_all(socks)
    wait_for(lambda: body_files(s) == [], "the abandoned uploads to end")

    def accepted():
        r = upload(s, dataset_zip("after"), "hardening-after")
        assert r.status_code in (201, 429), r.text
        return r.status_code == 201

    wait_for(accepted, "an upload once the others ended")


# -- 3. slow clients and floods ----------------------------------------------------------------


def test_request_flood_gets_429_json_per_address(flood_stack):
    s = flood_stack
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=TIMEOUT,
                                      source_address=("127.0.0.3", 0))
    statuses, refused = [], None
    for _ in range(60):
        conn.request("GET", "/health")
        r = conn.getresponse()
        body = r.read()
        statuses.append(r.status)
        if r.status == 429:
            refused = (r, body)
    conn.close()
    assert statuses[0] == 200 and 429 in statuses, statuses
    r, body = refused
    assert r.getheader("Content-Type") == "application/json"
    assert json.loads(body)["error"] == "too_many_requests"
    assert r.getheader("Retry-After")
    for name, value in SECURITY_HEADERS.items():
        assert r.msg.get_all(name) == [value], name
    # The limit is per address: another one is served.
    other = http.client.HTTPConnection("127.0.0.1", s.port, timeout=TIMEOUT,
                                       source_address=("127.0.0.4", 0))
    other.request("GET", "/health")
    assert other.getresponse().status == 200
    other.close()


def test_slow_clients_of_one_address_do_not_starve_the_others(limits_stack):
    """127.0.0.2 opens slowloris sockets (a request header sent in part, never finished) and
    more slow requests (whole header, body never sent) than its connection limit (8): the ones
    past the limit are refused with 429 JSON at once, and other addresses are served."""
    s = limits_stack
    slowloris, slow_bodies = [], []
    head = b"PUT /authenticate HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n"
    try:
        for i in range(40):
            sock = connect(s, "127.0.0.2")
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow-%d: " % i)
            slowloris.append(sock)
        for _ in range(12):
            sock = connect(s, "127.0.0.2")
            sock.sendall(head)
            slow_bodies.append(sock)
        answered = []

        def four_refused():
            ready, _, _ = select.select([c for c in slow_bodies if c not in answered], [], [], 0.05)
            for c in ready:
                answered.append(c)
                status, _, body = read_response(c)
                assert status == 429 and json.loads(body)["error"] == "too_many_requests"
            return len(answered) >= 12 - 8

        wait_for(four_refused, "429 for the requests past the address's limit")
        # Other addresses are served meanwhile; 127.0.0.2's next request is refused.
        assert_json_status(call(s, "GET", "/health"), 200)
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=TIMEOUT,
                                          source_address=("127.0.0.2", 0))
        conn.request("GET", "/health")
        assert conn.getresponse().status == 429
        conn.close()
        for sock in slowloris[:5]:  # still trickling: the header is never finished
            sock.sendall(b"x")
        assert_json_status(call(s, "GET", "/health"), 200)
    finally:
        close_all(slowloris + slow_bodies)


def test_header_timeout_is_not_extended_by_trickling(limits_stack):
    """REGISTRY_HEADER_TIMEOUT_SECONDS=2: a client that sends one byte of its header every
    0.2 s is cut off (reset) all the same; the guard waits far longer."""
    s = limits_stack
    sock = connect(s, "127.0.0.5")
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Trickle: ")
    outcome = None
    deadline = time.monotonic() + 20
    try:
        while outcome is None and time.monotonic() < deadline:
            try:
                sock.sendall(b"a")
                ready, _, _ = select.select([sock], [], [], 0.2)
                if ready:
                    outcome = "closed" if sock.recv(4096) == b"" else "answered"
            except (ConnectionResetError, BrokenPipeError):
                outcome = "reset"
    finally:
        sock.close()
    assert outcome == "reset", outcome or "still connected after 20 s"


# -- 11. unprivileged workers, security headers ---------------------------------------------------


def test_nginx_workers_do_not_run_as_root(stack):
    if not os.stat("/").st_mode & 0o001:
        pytest.skip("/ is not traversable by other accounts (a sandbox): conf/render.sh runs "
                    "nginx's workers as root here, and says so")
    workers = stack.nginx_worker_pids()
    assert workers
    for pid in workers:
        with open(f"/proc/{pid}/status") as f:
            uids = next(line for line in f if line.startswith("Uid:")).split()[1:]
        assert "0" not in uids, (pid, uids)


def _answer(stack, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=TIMEOUT)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        r.read()
        return r
    finally:
        conn.close()


def _raw_answer(stack, data):
    with connect(stack) as sock:
        sock.sendall(data)
        status, headers, _ = read_response(sock)
    return status, headers


def test_every_kind_of_answer_carries_the_security_headers(upload_stack, searcher):
    s = upload_stack
    created = assert_json_status(upload(s, dataset_zip("headers"), "hardening-headers"), 201)
    dataset = created["metadata"]["id"]
    auth = {"X-Authorization": s.token}
    answers = {
        "api 200": (_answer(s, "GET", "/health"), 200),
        "api 401": (_answer(s, "GET", "/users", headers={"X-Authorization": searcher}), 401),
        "api 403": (_answer(s, "POST", "/artifacts", body="[]"), 403),
        "api 404": (_answer(s, "GET", "/no/such/route", headers=auth), 404),
        "nginx 404": (_answer(s, "GET", "/_error/404"), 404),
        "nginx 413": (_answer(s, "PUT", "/authenticate", body=b"x" * (2 * 1024 * 1024)), 413),
        "upload refused 403": (_answer(s, "POST", "/artifact/model/upload?name=x", body=b"z"), 403),
        "upload refused 405": (_answer(s, "GET", "/artifact/model/upload", headers=auth), 405),
        "ui page": (_answer(s, "GET", "/"), 200),
        "ui stylesheet": (_answer(s, "GET", "/ui/app.css"), 200),
        "ui script": (_answer(s, "GET", "/ui/js/main.js"), 200),
        "ui missing": (_answer(s, "GET", "/ui/nope.js"), 404),
        "stored download": (_answer(s, "GET", f"/download/dataset/{dataset}", headers=auth), 200),
    }
    assert answers["stored download"][0].getheader("X-Registry-Copy") == "stored"
    for kind, (r, status) in answers.items():
        assert r.status == status, kind
        for name, value in SECURITY_HEADERS.items():
            assert r.msg.get_all(name) == [value], (kind, name, r.msg.get_all(name))
        csp = r.msg.get_all("Content-Security-Policy")
        assert csp and len(csp) == 1, (kind, csp)
        directives = [d.strip() for d in csp[0].split(";")]
        assert "default-src 'self'" in directives and "frame-ancestors 'none'" in directives
        assert "unsafe-inline" not in csp[0] and "unsafe-eval" not in csp[0]
    # A malformed request, answered by nginx before any location.
    status, headers = _raw_answer(s, b"NOT HTTP AT ALL\r\n\r\n")
    assert status == 400
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name.lower()) == [value], name
