"""Small helpers shared by the API tests (imported as a plain module: tests/api is on sys.path).

Authentication: every stack carries the token of the default admin (`stack.token`, logged in
by the fixtures), and call() sends it as X-Authorization unless told otherwise:
    call(stack, "GET", path)                 # as the stack's admin
    call(stack, "GET", path, token=tok)      # as another user ("bearer <token>" or bare)
    call(stack, "GET", path, token=None)     # without any X-Authorization header
A successful DELETE /reset revokes every token, so call() logs the stack in again after one.
"""

import io
import json
import re
import struct
import urllib.parse
import zipfile

import requests

TIMEOUT = 10
ID_RE = re.compile(r"^[a-zA-Z0-9-]+$")
ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ERROR_STATUS = {
    "bad_request": 400,
    "not_found": 404,
    "no_such_route": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "too_large": 413,
    "not_implemented": 501,
}
TYPES = ("model", "dataset", "code")

ADMIN_NAME = "ece30861defaultadminuser"
# The contract's example password, and the registry's default for REGISTRY_ADMIN_PASSWORD.
DEFAULT_ADMIN_PASSWORD = "correcthorsebatterystaple123(!__+@**(A'\"`;DROP TABLE artifacts;"
PERMISSIONS = ("upload", "search", "download", "admin")

# call()'s default for token: the stack's own (default admin) token.
STACK_TOKEN = object()


def _resolve_token(stack, token):
    return stack.token if token is STACK_TOKEN else token


def auth_headers(token):
    return {"X-Authorization": token} if token is not None else {}


def call(stack, method, path, session=None, token=STACK_TOKEN, **kw):
    """One request. token: the X-Authorization value (default: the stack's admin token; None:
    no header). An X-Authorization given in headers= wins over token."""
    kw.setdefault("timeout", TIMEOUT)
    token = _resolve_token(stack, token)
    headers = dict(kw.pop("headers", None) or {})
    if not any(k.lower() == "x-authorization" for k in headers):
        headers.update(auth_headers(token))
    r = (session or stack.http).request(method, stack.url(path), headers=headers, **kw)
    if method.upper() == "DELETE" and path.split("?")[0] == "/reset" and r.status_code == 200:
        # Every token is gone now, the stack's own included: log in again.
        stack.login()
    return r


def credentials(name, password, is_admin=False):
    """The body of PUT /authenticate."""
    return {"user": {"name": name, "is_admin": is_admin}, "secret": {"password": password}}


def login(stack, name, password, is_admin=False, expect=200):
    """PUT /authenticate; returns the token ("bearer <token>") when expect is 200, else the
    response."""
    r = call(stack, "PUT", "/authenticate", token=None, json=credentials(name, password, is_admin))
    if expect != 200:
        return r
    token = assert_json_status(r, 200)
    assert isinstance(token, str) and token.startswith("bearer "), token
    return token


def create_user(stack, name, password, permissions=None, is_admin=None, token=STACK_TOKEN,
                expect=201):
    """POST /users; returns the created user when expect is 201, else the response."""
    user = {"name": name}
    if is_admin is not None:
        user["is_admin"] = is_admin
    body = {"user": user, "secret": {"password": password}}
    if permissions is not None:
        body["permissions"] = list(permissions)
    r = call(stack, "POST", "/users", token=token, json=body)
    if expect != 201:
        return r
    created = assert_json_status(r, 201)
    assert created["name"] == name, created
    return created


def user_token(stack, name, permissions=(), is_admin=None, password=None, token=STACK_TOKEN):
    """Creates a user (as the stack's admin, or the admin whose token is given) and logs them
    in; returns their token."""
    password = password or f"pw of {name}"
    create_user(stack, name, password, permissions=permissions, is_admin=is_admin, token=token)
    return login(stack, name, password)


def quote(segment):
    """Percent-encodes one path segment (every reserved character, '/' included)."""
    return urllib.parse.quote(segment, safe="")


def json_body(r):
    ctype = r.headers.get("Content-Type", "")
    assert ctype.split(";")[0].strip() == "application/json", (
        f"Content-Type {ctype!r} for {r.request.method} {r.url} -> {r.status_code}: {r.text[:300]}"
    )
    try:
        return r.json()
    except ValueError as e:  # pragma: no cover - reported as a failure
        raise AssertionError(f"body is not JSON: {r.text[:300]!r}") from e


def assert_error(r, name, status=None):
    """The answer is the error `name` with its HTTP status and the {error, detail} body."""
    status = status or ERROR_STATUS[name]
    assert r.status_code == status, (
        f"{r.request.method} {r.url}: expected {status} {name}, got {r.status_code}: {r.text[:300]}"
    )
    body = json_body(r)
    assert isinstance(body, dict), body
    assert body.get("error") == name, body
    assert isinstance(body.get("detail"), str), body
    return body


def assert_json_status(r, status):
    assert r.status_code == status, (
        f"{r.request.method} {r.url}: expected {status}, got {r.status_code}: {r.text[:300]}"
    )
    return json_body(r)


def register(stack, type_, url, name=None, session=None, expect=201, token=STACK_TOKEN):
    body = {"url": url}
    if name is not None:
        body["name"] = name
    r = call(stack, "POST", f"/artifact/{type_}", session=session, token=token, json=body)
    if expect is None:
        return r
    data = assert_json_status(r, expect)
    if expect == 201:
        assert_artifact(data, stack, type_, url, name)
    return data


def assert_artifact(data, stack, type_, url, name=None):
    """data is the contract's Artifact envelope for this type and url (and name if given)."""
    assert set(data) == {"metadata", "data"}, data
    meta = data["metadata"]
    assert set(meta) == {"name", "id", "type"}, meta
    assert meta["type"] == type_
    assert isinstance(meta["id"], str) and ID_RE.match(meta["id"]), meta
    assert isinstance(meta["name"], str) and meta["name"], meta
    if name is not None:
        assert meta["name"] == name
    assert data["data"]["url"] == url
    assert data["data"]["download_url"] == stack.url(f"/download/{type_}/{meta['id']}")


def get_artifact(stack, type_, id_, session=None, token=STACK_TOKEN):
    return call(stack, "GET", f"/artifacts/{type_}/{id_}", session=session, token=token)


def enumerate_all(stack, queries, session=None, max_pages=100, token=STACK_TOKEN):
    """Walks every page of POST /artifacts; returns (items, number of pages)."""
    items, offset, pages = [], None, 0
    while True:
        path = "/artifacts" if offset is None else f"/artifacts?offset={quote(offset)}"
        r = call(stack, "POST", path, session=session, token=token, json=queries)
        page = assert_json_status(r, 200)
        assert isinstance(page, list)
        assert len(page) <= 100, len(page)
        items.extend(page)
        pages += 1
        offset = r.headers.get("offset")
        if offset is None:
            return items, pages
        assert len(page) == 100, "a page with a next cursor must be full"
        assert pages < max_pages, "pagination does not end"


def hf_model_url(i, org="apitest"):
    return f"https://huggingface.co/{org}/model-{i:04d}"


def new_session():
    return requests.Session()


def register_many(stack, specs, threads=2):
    """Registers [(type, url, name or None)] from a few threads; returns the Artifacts in
    the order of specs. Every registration must answer 201."""
    import concurrent.futures
    import threading

    local = threading.local()
    sessions = []

    def one(spec):
        if not hasattr(local, "session"):
            local.session = new_session()
            sessions.append(local.session)
        type_, url, name = spec
        return register(stack, type_, url, name=name, session=local.session)

    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
            return list(pool.map(one, specs))
    finally:
        for s in sessions:
            s.close()


def raw_request(stack, method, path, body=None, headers=None, timeout=TIMEOUT, token=STACK_TOKEN):
    """A request sent as given (no re-quoting of the path): (status, headers, body bytes)."""
    import http.client

    headers = dict(headers or {})
    if not any(k.lower() == "x-authorization" for k in headers):
        headers.update(auth_headers(_resolve_token(stack, token)))
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def _server_sockets(port):
    """{client port: socket inode} of the server side of loopback connections to port."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if local_port == port:
                found[remote_port] = fields[9]
    return found


def nginx_owners(stack, conns, timeout=2.0):
    """{conn: pid of the nginx worker that accepted it} for connected http.client connections
    (None where it could not be told, e.g. not accepted yet)."""
    import os
    import time

    workers = stack.nginx_worker_pids()
    owners = {}
    deadline = time.monotonic() + timeout
    while True:
        inodes = _server_sockets(stack.port)
        by_socket = {}
        for pid in workers:
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                continue
            for fd in fds:
                try:
                    by_socket[os.readlink(f"/proc/{pid}/fd/{fd}")] = pid
                except OSError:
                    pass
        owners = {
            c: by_socket.get(f"socket:[{inodes.get(c.sock.getsockname()[1])}]") for c in conns
        }
        if all(owners.values()) or time.monotonic() > deadline:
            return owners
        time.sleep(0.02)


def safetensors_bytes(n, fill=None):
    """A valid safetensors file whose one tensor ("weight", U8) holds n bytes (fill, or random):
    what an uploaded model's weights look like to the registry's model scan."""
    import os
    header = json.dumps({"weight": {"dtype": "U8", "shape": [n], "data_offsets": [0, n]}})
    header = header.encode() + b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + (fill * n if fill else os.urandom(n))


# A model card the registry's rating accepts (license, usage, evaluation, training) for a model
# named name; note, when given, ends its first paragraph. Uploads of models use it as README.md.
_CARD_TEMPLATE = """---
license: mit
library_name: transformers
pipeline_tag: text-classification
---
# {name}

A sentiment classifier for support tickets, fine-tuned on two years of labelled tickets. It
tells positive, neutral and negative messages apart so that urgent complaints reach a person
first.

## How to use

```python
from transformers import pipeline

classifier = pipeline("text-classification", model="{name}")
print(classifier("The update broke my login again."))
```

## Evaluation results

| split | accuracy | F1 |
|---|---|---|
| validation | 0.912 | 0.905 |
| test | 0.907 | 0.899 |

## Training

Three epochs, learning rate 2e-5, batch size 32, on 120,000 tickets written in English. The
tickets were de-identified before labelling; each was labelled by two annotators and any
disagreement was resolved by a third. The model is meant for routing, not for automated replies.
"""


def model_card(name, note=""):
    card = _CARD_TEMPLATE.format(name=name)
    return card.replace("reach a person\nfirst.", "reach a person\nfirst. " + note, 1) if note else card


# The card of "acme-sentiment", the name uploads use; "zebracorn" is in no other text.
MODEL_CARD = model_card("acme-sentiment", "The word zebracorn appears only in this card.")


def make_zip(entries):
    """A zip of [(name or ZipInfo, bytes)]."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()
