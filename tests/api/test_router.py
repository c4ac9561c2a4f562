"""Routing: unknown paths, wrong methods, and every operation of the contract is routed."""

import json
import os
import pathlib
import re

import pytest
import yaml

from apiutil import assert_error, call, raw_request

ROOT = pathlib.Path(__file__).resolve().parents[2]
# What the service documents (the course contract plus additions) is in the repository; the
# course's own copy sits beside the clone in ../shared when it is there (CI, developers).
CONTRACT = pathlib.Path(os.environ.get("REGISTRY_CONTRACT", ROOT / "openapi" / "registry.yaml"))
COURSE_CONTRACT = ROOT.parent / "shared" / "reference" / "ece461_fall_2025_openapi_spec.yaml"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def load_operations(path):
    with open(path) as f:
        spec = yaml.safe_load(f)
    ops = []
    for route, item in sorted(spec["paths"].items()):
        for method in METHODS:
            if method in item:
                ops.append((method.upper(), route))
    return ops


OPERATIONS = load_operations(CONTRACT)


@pytest.mark.skipif(not COURSE_CONTRACT.exists(), reason="the course contract is not beside the clone")
def test_documented_api_contains_the_course_contract():
    assert set(load_operations(COURSE_CONTRACT)) <= set(OPERATIONS)
PARAM_VALUES = {"artifact_type": "model", "id": "12345", "name": "some-name",
                # the Hub-compatible API: a repository no one registered
                "repo_type": "models", "repo": "contract-org/unregistered", "rev": "main",
                "path": "config.json"}
BODIES = {
    ("POST", "/artifacts"): [{"name": "*"}],
    ("POST", "/artifact/{artifact_type}"): {"url": "https://huggingface.co/contract/routed"},
    ("PUT", "/artifacts/{artifact_type}/{id}"): {
        "metadata": {"name": "some-name", "id": "12345", "type": "model"},
        "data": {"url": "https://huggingface.co/contract/routed"},
    },
    ("POST", "/artifact/byRegEx"): {"regex": "some"},
    ("PUT", "/authenticate"): {
        "user": {"name": "ece30861defaultadminuser", "is_admin": True},
        "secret": {"password": "x"},
    },
    ("POST", "/artifact/model/{id}/license-check"): {"github_url": "https://github.com/a/b"},
    ("POST", "/api/{repo_type}/{repo}"): {"paths": ["config.json"]},
}


def fill(path):
    return re.sub(r"\{([^}]+)\}", lambda m: PARAM_VALUES.get(m.group(1), "x1"), path)


def test_contract_has_operations():
    assert len(OPERATIONS) >= 17, OPERATIONS


@pytest.mark.parametrize("method,path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_contract_operation_is_routed(registry, method, path):
    r = call(registry, method, fill(path), json=BODIES.get((method, path)))
    assert r.status_code != 405, f"{method} {path}: {r.status_code} {r.text[:200]}"
    if r.status_code == 404 and method != "HEAD":
        assert r.json().get("error") != "no_such_route", f"{method} {path} is not routed"
    assert r.status_code < 500 or r.status_code == 501, r.text
    if method != "HEAD":
        assert r.headers.get("Content-Type", "").startswith("application/json")


def test_root_serves_the_web_interface(stack):
    """nginx serves www/ itself: the page at /, its files under /ui/; the API is unaffected."""
    r = call(stack, "GET", "/", token=None)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert "<html" in r.text
    r = call(stack, "GET", "/ui/index.html", token=None)
    assert r.status_code == 200 and "<html" in r.text
    assert_error(call(stack, "GET", "/ui/absent.js", token=None), "not_found")


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/health/",
        "/health/components/extra",
        "/artifacts/model",
        "/artifacts/model/123/extra",
        "/artifact",
        "/artifact/byName/",
        "/artifact/model/123/rating",
        "/download/model",
        "/a/b/c/d/e/f/g/h/i/j/k",
        "/x" * 3000,
        "/HEALTH",
    ],
    ids=lambda p: p[:40],
)
def test_unknown_path(stack, path):
    body = assert_error(call(stack, "GET", path), "no_such_route")
    assert body["detail"]


@pytest.mark.parametrize(
    "method,path,allowed",
    [
        ("POST", "/health", {"GET"}),
        ("DELETE", "/tracks", {"GET"}),
        ("GET", "/reset", {"DELETE"}),
        ("POST", "/authenticate", {"PUT"}),
        ("GET", "/artifacts", {"POST"}),
        ("POST", "/artifacts/model/12345", {"GET", "PUT", "DELETE"}),
        ("PATCH", "/artifacts/model/12345", {"GET", "PUT", "DELETE"}),
        ("DELETE", "/artifact/byName/x", {"GET"}),
        ("GET", "/artifact/byRegEx", {"POST"}),
        ("PUT", "/artifact/model", {"POST"}),
        ("POST", "/artifact/model/123/rate", {"GET"}),
        ("GET", "/artifact/model/123/license-check", {"POST"}),
        ("DELETE", "/download/model/123", {"GET"}),
    ],
)
def test_wrong_method(stack, method, path, allowed):
    r = call(stack, method, path)
    assert_error(r, "method_not_allowed")
    allow = [m.strip() for m in r.headers.get("Allow", "").split(",") if m.strip()]
    assert set(allow) == allowed, r.headers.get("Allow")
    assert len(allow) == len(set(allow)), f"Allow header repeats a method: {r.headers['Allow']!r}"


def test_query_string_does_not_affect_routing(stack):
    r = call(stack, "GET", "/health?verbose=1&x=%zz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_nginx_own_errors_are_json(stack):
    """Requests nginx refuses before registryd sees them still get the API's JSON error body."""
    cases = [
        ("GET", "/artifact/byName/a%00b", {}),  # encoded NUL in the path: 400
        ("GET", "/artifact/byName/bad%zz", {}),  # malformed escape: 400
        ("TRACE", "/health", {}),  # 405 from nginx
        ("GET", "/health/" + "x" * 9000, {}),  # 414
        ("GET", "/health", {"X-Big": "y" * 9000}),  # header too large: 400
    ]
    bad = []
    for method, path, headers in cases:
        status, hdrs, body = raw_request(stack, method, path, headers=headers)
        assert 400 <= status < 500, (method, path[:60], status)
        ok = hdrs.get("content-type", "").startswith("application/json")
        if ok:
            try:
                doc = json.loads(body)
                ok = isinstance(doc, dict) and isinstance(doc.get("error"), str)
            except ValueError:
                ok = False
        if not ok:
            bad.append(f"{method} {path[:40]} -> {status} {hdrs.get('content-type')}")
    assert not bad, "nginx answered with a non-JSON error body:\n" + "\n".join(bad)
    assert call(stack, "GET", "/health").status_code == 200
