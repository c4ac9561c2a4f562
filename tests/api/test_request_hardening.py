"""Request-handling hardening (issue 14): per-route body caps and a JSON pre-scan before json-c
builds a body (amplification), download_url from REGISTRY_PUBLIC_URL or a plain Host header only,
/health/components details for admins only, and Hugging Face names longer than 96 characters.

Memory is judged from a worker's VmHWM (peak resident set) in /proc, on private stacks of one
worker, so the worker that answered is the one measured; bounds are generous, never timings."""

import http.client
import json
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile

import pytest

from apiutil import (
    assert_error,
    assert_json_status,
    call,
    get_artifact,
    quote,
    register,
    user_token,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]
MIB = 1024 * 1024
# json-c spends ~266 MB on this body; a refused one must leave the worker's peak near where it was.
AMPLIFIED = b"[" + b"{}," * ((MIB - 2) // 3 - 1) + b"{}]"
PEAK_GROWTH_MAX = 48 * MIB  # generous: the 1 MiB body itself, copies, the sanitizer's quarantine


def registryd_path():
    """The binary under test (REGISTRYD, as conftest reads it)."""
    path = pathlib.Path(os.environ.get("REGISTRYD") or "build/registryd")
    return str(path if path.is_absolute() else ROOT / path)


def vm_hwm(pid):
    """The process's peak resident set size, in bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for {pid}")


@pytest.fixture
def one_worker(stack_factory):
    """A private stack of one worker: every request goes to the worker measured."""
    s = stack_factory(workers=1)
    assert len(s.worker_pids()) == 1
    return s


def send_amplified(s, method, path):
    (pid,) = s.worker_pids()
    before = vm_hwm(pid)
    r = call(s, method, path, data=AMPLIFIED, headers={"Content-Type": "application/json"})
    after = vm_hwm(pid)
    assert s.worker_pids() == [pid], "the worker died on the body"
    assert after - before < PEAK_GROWTH_MAX, f"peak grew by {(after - before) // MIB} MiB"
    return r


# -- 5. JSON amplification ---------------------------------------------------------------------


def test_amplified_enumerate_body_is_refused_before_parsing(one_worker):
    assert len(AMPLIFIED) <= MIB
    body = assert_error(send_amplified(one_worker, "POST", "/artifacts"), "too_large")
    assert "131072-byte cap" in body["detail"], body


def test_amplified_authenticate_body_is_refused_before_parsing(one_worker):
    body = assert_error(send_amplified(one_worker, "PUT", "/authenticate"), "too_large")
    assert "8192-byte cap" in body["detail"], body


def test_amplified_paths_info_body_stops_at_the_prescan(one_worker):
    """The Hub's paths-info route accepts up to 1 MiB (a list of every file): the pre-scan, not
    the cap, refuses the body for its number of values."""
    s = one_worker
    register(s, "model", "https://huggingface.co/hardening/amplified")
    r = send_amplified(s, "POST", "/api/models/hardening/amplified/paths-info/main")
    body = assert_error(r, "too_large")
    assert "values" in body["detail"], body


def test_enumerate_below_its_cap_with_too_many_values_is_413(registry):
    """Under the enumerate cap (128 KiB) a body can still hold 40,000 values: the pre-scan
    refuses it (before json-c builds it) with a detail naming the bound."""
    data = b"[" + b"{}," * 40000 + b"{}]"
    assert len(data) < 128 * 1024
    r = call(registry, "POST", "/artifacts", data=data, headers={"Content-Type": "application/json"})
    body = assert_error(r, "too_large")
    assert "more than 16384 values" in body["detail"], body


def test_largest_legitimate_bodies_still_pass(registry):
    """The caps leave room for what the fields allow: 64 enumerate queries of 255-character
    names with every type, and a registration with a 2000-byte URL and a 255-byte name."""
    queries = [{"name": f"{i:03d}" + "n" * 252, "types": ["model", "dataset", "code"]}
               for i in range(64)]
    assert assert_json_status(call(registry, "POST", "/artifacts", json=queries), 200) == []
    url = "https://huggingface.co/hardening/long-query?" + "q" * 1950
    created = register(registry, "model", url, name="x" * 255)
    assert created["metadata"]["name"] == "x" * 255


def test_small_route_over_its_cap_is_413_naming_the_cap(registry):
    body = {"url": "https://huggingface.co/hardening/padded", "pad": " " * 9000}
    r = call(registry, "POST", "/artifact/model", json=body)
    detail = assert_error(r, "too_large")["detail"]
    assert "8192-byte cap of POST /artifact/{artifact_type}" in detail, detail


# -- 10. download_url ----------------------------------------------------------------------------


def raw_get(s, path, host):
    """GET path with exactly this Host header; (status, parsed JSON body or None)."""
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host)
        conn.putheader("X-Authorization", s.token)
        conn.endheaders()
        r = conn.getresponse()
        text = r.read().decode("utf-8", "replace")
    finally:
        conn.close()
    try:
        return r.status, json.loads(text)
    except ValueError:
        return r.status, None


FORGED_HOSTS = [
    "evil.example/x?y",
    "evil.example x",
    "user@evil.example",
    "127.0.0.1@evil.example",
    "evil.example:80@x",
    "evil.example:8o",
    "evil.example:99999",
    "[::1]evil.example",
    "evil.example#frag",
    "evil.example%2f",
    "-evil.example",
]


@pytest.mark.parametrize("host", FORGED_HOSTS)
def test_forged_host_never_reaches_download_url(stack, host):
    """A Host that is not a plain host[:port] is refused by nginx or ignored: download_url then
    names the address nginx listens on."""
    url = f"https://huggingface.co/hardening/host-{FORGED_HOSTS.index(host)}"
    art = register(stack, "model", url)
    id_ = art["metadata"]["id"]
    status, body = raw_get(stack, f"/artifacts/model/{id_}", host)
    assert "evil" not in json.dumps(body), body
    if status == 200:
        assert body["data"]["download_url"] == stack.url(f"/download/model/{id_}")
    else:
        assert status == 400, (status, body)  # nginx's own refusal of the header
    call(stack, "DELETE", f"/artifacts/model/{id_}")


PLAIN_HOSTS = ["registry.example", "registry.example:8443", "[::1]:8080", "10.0.0.7"]


@pytest.mark.parametrize("host", PLAIN_HOSTS)
def test_plain_host_is_used_when_no_public_url_is_set(stack, host):
    url = f"https://huggingface.co/hardening/plain-{PLAIN_HOSTS.index(host)}"
    art = register(stack, "model", url)
    id_ = art["metadata"]["id"]
    status, body = raw_get(stack, f"/artifacts/model/{id_}", host)
    assert status == 200, body
    assert body["data"]["download_url"] == f"http://{host}/download/model/{id_}"
    call(stack, "DELETE", f"/artifacts/model/{id_}")


def test_public_url_is_what_download_url_uses(stack_factory):
    s = stack_factory(REGISTRY_PUBLIC_URL="https://models.example.com:8443/registry/")
    r = call(s, "POST", "/artifact/model", json={"url": "https://huggingface.co/hardening/public"})
    art = assert_json_status(r, 201)
    id_ = art["metadata"]["id"]
    want = f"https://models.example.com:8443/registry/download/model/{id_}"
    assert art["data"]["download_url"] == want
    for host in ("evil.example", "user@evil.example", "127.0.0.1"):
        status, body = raw_get(s, f"/artifacts/model/{id_}", host)
        assert status == 200, body
        assert body["data"]["download_url"] == want


@pytest.mark.parametrize(
    "value",
    [
        "ftp://models.example.com",
        "models.example.com",
        "https://",
        "https://user@models.example.com",
        "https://models.example.com/x?y=1",
        "https://models.example.com/#top",
        "https://models.example.com/a b",
        "https://models.example.com:99999",
        "https://models.example.com/%2e%2e",
        "HTTPS://models.example.com",
    ],
)
def test_invalid_public_url_stops_registryd_with_a_clear_message(value):
    data_dir = tempfile.mkdtemp(prefix="registry-public-url-")
    env = dict(os.environ, REGISTRY_DATA_DIR=data_dir, REGISTRY_PUBLIC_URL=value)
    out_path = os.path.join(data_dir, "registryd.out")
    try:
        with open(out_path, "wb") as out:
            proc = subprocess.Popen([registryd_path()], env=env, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the master and any workers it forked
            proc.wait()
            pytest.fail(f"registryd started with REGISTRY_PUBLIC_URL={value!r}")
        with open(out_path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        assert proc.returncode != 0
        assert "REGISTRY_PUBLIC_URL" in text, text
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


# -- 11. /health/components ---------------------------------------------------------------------

PUBLIC_FIELDS = {"id", "display_name", "status", "observed_at", "issues"}


def components(s, token, **params):
    r = call(s, "GET", "/health/components", token=token, params=params or None)
    return {c["id"]: c for c in assert_json_status(r, 200)["components"]}


def test_components_details_are_for_admins_only(registry, upstream):
    """Anyone sees each component's id, name, status and issue codes (the contract's required
    fields and what is wrong); only an admin sees descriptions (the upstream endpoints), metrics
    and each issue's details (the failure's own text)."""
    s = registry
    upstream.config(fail="500")
    assert_error(call(s, "POST", "/artifact/code", json={"url": "https://github.com/h/down"}),
                 "upstream_error", 502)
    upstream.reset()
    searcher = user_token(s, "health-reader", permissions=["search", "upload", "download"])
    for token in (None, searcher, "bearer not-a-token", s.token.replace("bearer ", "bearer x")):
        r = call(s, "GET", "/health/components", token=token)
        assert upstream.url not in r.text, r.text
        assert "HTTP 500" not in r.text and "h/down" not in r.text, r.text
        comps = components(s, token)
        assert set(comps) == {"store", "worker-pool", "upstream-huggingface", "upstream-github",
                              "disk", "monitor-runtime"}
        for c in comps.values():
            assert set(c) == PUBLIC_FIELDS, c
            for issue in c["issues"]:
                assert set(issue) == {"code", "severity", "summary"}, issue
        gh = comps["upstream-github"]
        assert gh["status"] == "degraded"
        assert [i["code"] for i in gh["issues"]] == ["last_call_failed"], gh
        pool = components(s, token, includeTimeline="true")["worker-pool"]
        assert set(pool) == PUBLIC_FIELDS | {"timeline"}, pool
    admin = components(s, s.token)
    assert admin["upstream-huggingface"]["description"] == upstream.url
    assert "HTTP 500" in admin["upstream-github"]["issues"][0]["details"], admin
    assert admin["worker-pool"]["metrics"]["workers_alive"] >= 1
    assert admin["store"]["metrics"]["artifacts"] == 0


# -- 13. Hugging Face names longer than 96 characters ------------------------------------------


def test_model_with_a_98_character_name_registers(registry):
    name = "a" * 97 + "b"
    url = f"https://huggingface.co/parthvpatil18/{name}"
    art = register(registry, "model", url)
    assert art["metadata"]["name"] == name and len(name) == 98
    got = assert_json_status(get_artifact(registry, "model", art["metadata"]["id"]), 200)
    assert got == art
    found = assert_json_status(call(registry, "GET", f"/artifact/byName/{quote(name)}"), 200)
    assert [a["id"] for a in found] == [art["metadata"]["id"]]


def test_repository_name_at_the_bound_registers_and_past_it_is_400(registry):
    at_bound = "m" * 254 + "z"
    art = register(registry, "model", f"https://huggingface.co/hardening/{at_bound}")
    assert art["metadata"]["name"] == at_bound
    r = call(registry, "POST", "/artifact/model",
             json={"url": f"https://huggingface.co/hardening/{'m' * 256}"})
    detail = assert_error(r, "bad_request")["detail"]
    assert "256 characters" in detail and "at most 255" in detail, detail
