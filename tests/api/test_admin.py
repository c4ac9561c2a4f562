"""DELETE /reset, PUT /authenticate and GET /download/{artifact_type}/{id}."""

import pytest

from apiutil import assert_error, assert_json_status, call, enumerate_all, register, register_many

ADMIN_PASSWORD = "correcthorsebatterystaple123(!__+@**(A'\"`;DROP TABLE artifacts;"


def test_reset_empties_the_registry(registry):
    specs = [("model", f"https://huggingface.co/reset/m{i}", None) for i in range(5)]
    specs += [("dataset", "https://huggingface.co/datasets/reset/d", None)]
    specs += [("code", "https://github.com/reset/c", "kept name")]
    created = register_many(registry, specs)
    r = call(registry, "DELETE", "/reset")
    body = assert_json_status(r, 200)
    assert isinstance(body, dict)
    items, _ = enumerate_all(registry, [{"name": "*"}])
    assert items == []
    for a in created:
        m = a["metadata"]
        assert_error(call(registry, "GET", f"/artifacts/{m['type']}/{m['id']}"), "not_found")
    assert_error(call(registry, "GET", "/artifact/byName/kept%20name"), "not_found")
    assert_error(call(registry, "POST", "/artifact/byRegEx", json={"regex": ".*"}), "not_found")
    # The same urls register again afterwards.
    register(registry, "code", "https://github.com/reset/c")


def test_reset_twice(registry):
    for _ in range(2):
        assert_json_status(call(registry, "DELETE", "/reset"), 200)


def test_reset_ignores_body_and_headers(registry):
    r = call(registry, "DELETE", "/reset", headers={"X-Authorization": "bearer nothing"}, data=b"x")
    assert_json_status(r, 200)


@pytest.mark.parametrize(
    "body",
    [
        {"user": {"name": "ece30861defaultadminuser", "is_admin": True},
         "secret": {"password": ADMIN_PASSWORD}},
        {},
        None,
    ],
)
def test_authenticate_not_implemented(stack, body):
    r = call(stack, "PUT", "/authenticate", json=body)
    body = assert_error(r, "not_implemented")
    assert body["detail"]


def test_x_authorization_is_ignored(registry):
    headers = {"X-Authorization": "bearer made-up"}
    r = call(
        registry,
        "POST",
        "/artifact/model",
        headers=headers,
        json={"url": "https://huggingface.co/auth/ignored"},
    )
    assert assert_json_status(r, 201)["metadata"]["name"] == "ignored"


@pytest.mark.parametrize("type_,url", [
    ("model", "https://huggingface.co/google-bert/bert-base-uncased"),
    ("dataset", "https://huggingface.co/datasets/bookcorpus/bookcorpus"),
    ("code", "https://github.com/openai/whisper"),
])
def test_download_without_bundle(registry, type_, url):
    art = register(registry, type_, url)
    m = art["metadata"]
    path = f"/download/{type_}/{m['id']}"
    assert art["data"]["download_url"] == registry.url(path)
    body = assert_error(call(registry, "GET", path), "not_found")
    assert "no stored bundle" in body["detail"]
    assert m["id"] in body["detail"]


def test_download_unknown_or_bad(registry):
    art = register(registry, "model", "https://huggingface.co/dl/model")
    body = assert_error(call(registry, "GET", "/download/model/12345678901"), "not_found")
    assert "bundle" not in body["detail"]
    # Right id, wrong type: the artifact is not found either.
    body = assert_error(call(registry, "GET", f"/download/code/{art['metadata']['id']}"), "not_found")
    assert "bundle" not in body["detail"]
    assert_error(call(registry, "GET", "/download/model/abc_def"), "bad_request")
    assert_error(call(registry, "GET", "/download/banana/12345"), "bad_request")
