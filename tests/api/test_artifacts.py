"""GET / PUT / DELETE /artifacts/{artifact_type}/{id}."""

import pytest

from apiutil import assert_error, assert_json_status, call, get_artifact, register

BERT = "https://huggingface.co/google-bert/bert-base-uncased"
BOOKS = "https://huggingface.co/datasets/bookcorpus/bookcorpus"
WHISPER = "https://github.com/openai/whisper"
UNKNOWN_ID = "12345678901"


@pytest.fixture
def three(registry):
    """One artifact of each type: {type: Artifact}."""
    return {
        "model": register(registry, "model", BERT),
        "dataset": register(registry, "dataset", BOOKS),
        "code": register(registry, "code", WHISPER),
    }


def update_body(art, url=None, **meta):
    m = dict(art["metadata"])
    m.update(meta)
    return {"metadata": m, "data": {"url": url or art["data"]["url"]}}


# -- read -------------------------------------------------------------------------------------


@pytest.mark.parametrize("type_", ["model", "dataset", "code"])
def test_get_returns_the_artifact(registry, three, type_):
    art = three[type_]
    got = assert_json_status(get_artifact(registry, type_, art["metadata"]["id"]), 200)
    assert got == art


@pytest.mark.parametrize("type_,other", [("model", "dataset"), ("dataset", "code"), ("code", "model")])
def test_get_with_wrong_type_is_not_found(registry, three, type_, other):
    assert_error(get_artifact(registry, other, three[type_]["metadata"]["id"]), "not_found")


def test_get_unknown_id(registry, three):
    assert_error(get_artifact(registry, "model", UNKNOWN_ID), "not_found")
    assert_error(get_artifact(registry, "model", "Some-Id-With-Letters"), "not_found")


@pytest.mark.parametrize(
    "raw_id", ["abc_def", "a%20b", "a.b", "a%2Fb", "%2A", "abc%", "abc%zz", "x" * 33]
)
def test_get_bad_id(registry, raw_id):
    assert_error(call(registry, "GET", f"/artifacts/model/{raw_id}"), "bad_request")


@pytest.mark.parametrize("type_", ["banana", "models", "Model", "%20model"])
def test_get_unknown_type(registry, three, type_):
    r = call(registry, "GET", f"/artifacts/{type_}/{three['model']['metadata']['id']}")
    assert_error(r, "bad_request")


# -- update -----------------------------------------------------------------------------------


def test_update_replaces_url(registry, three):
    art = three["model"]
    new_url = "https://huggingface.co/google-bert/bert-large-uncased"
    r = call(
        registry,
        "PUT",
        f"/artifacts/model/{art['metadata']['id']}",
        json=update_body(art, url=new_url),
    )
    body = assert_json_status(r, 200)
    assert body["metadata"] == art["metadata"]
    assert body["data"]["url"] == new_url
    got = assert_json_status(get_artifact(registry, "model", art["metadata"]["id"]), 200)
    assert got["data"]["url"] == new_url
    assert got["metadata"] == art["metadata"]
    # The old url is free again; the new one is taken.
    register(registry, "model", BERT)
    assert_error(register(registry, "model", new_url, expect=None), "conflict")


def test_update_without_type_in_metadata(registry, three):
    art = three["code"]
    meta = {"name": art["metadata"]["name"], "id": art["metadata"]["id"]}
    new_url = "https://github.com/openai/whisper.git"
    r = call(
        registry,
        "PUT",
        f"/artifacts/code/{art['metadata']['id']}",
        json={"metadata": meta, "data": {"url": new_url}},
    )
    assert assert_json_status(r, 200)["data"]["url"] == new_url


def test_update_same_url_is_idempotent(registry, three):
    art = three["dataset"]
    path = f"/artifacts/dataset/{art['metadata']['id']}"
    for _ in range(2):
        assert assert_json_status(call(registry, "PUT", path, json=update_body(art)), 200) == art


def test_update_name_mismatch(registry, three):
    art = three["model"]
    r = call(
        registry,
        "PUT",
        f"/artifacts/model/{art['metadata']['id']}",
        json=update_body(art, name="renamed"),
    )
    assert_error(r, "bad_request")
    assert assert_json_status(get_artifact(registry, "model", art["metadata"]["id"]), 200) == art


def test_update_id_mismatch(registry, three):
    art = three["model"]
    other = three["dataset"]["metadata"]["id"]
    r = call(
        registry,
        "PUT",
        f"/artifacts/model/{art['metadata']['id']}",
        json=update_body(art, id=other),
    )
    assert_error(r, "bad_request")


def test_update_type_mismatch(registry, three):
    art = three["model"]
    r = call(
        registry,
        "PUT",
        f"/artifacts/model/{art['metadata']['id']}",
        json=update_body(art, type="dataset"),
    )
    assert_error(r, "bad_request")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b["data"].pop("url"),
        lambda b: b.pop("data"),
        lambda b: b.pop("metadata"),
        lambda b: b["metadata"].pop("name"),
        lambda b: b["metadata"].pop("id"),
        lambda b: b["data"].update(url=5),
        lambda b: b.update(data="https://huggingface.co/a/b"),
        lambda b: b["metadata"].update(name=None),
    ],
    ids=[
        "no-data.url",
        "no-data",
        "no-metadata",
        "no-name",
        "no-id",
        "url-not-string",
        "data-not-object",
        "name-null",
    ],
)
def test_update_malformed_body(registry, three, mutate):
    art = three["model"]
    body = update_body(art)
    mutate(body)
    r = call(registry, "PUT", f"/artifacts/model/{art['metadata']['id']}", json=body)
    assert_error(r, "bad_request")


@pytest.mark.parametrize("raw", [b"", b"[]", b"{", b'"x"'])
def test_update_not_an_object(registry, three, raw):
    art = three["model"]
    r = call(registry, "PUT", f"/artifacts/model/{art['metadata']['id']}", data=raw)
    assert_error(r, "bad_request")


@pytest.mark.parametrize(
    "type_,url",
    [
        ("model", BOOKS),
        ("model", WHISPER),
        ("model", "not a url"),
        ("dataset", BERT),
        ("code", BERT),
    ],
)
def test_update_invalid_url_for_type(registry, three, type_, url):
    art = three[type_]
    r = call(
        registry,
        "PUT",
        f"/artifacts/{type_}/{art['metadata']['id']}",
        json=update_body(art, url=url),
    )
    assert_error(r, "bad_request")
    got = assert_json_status(get_artifact(registry, type_, art["metadata"]["id"]), 200)
    assert got["data"]["url"] == art["data"]["url"]


def test_update_to_taken_url_conflicts(registry, three):
    other = register(registry, "model", "https://huggingface.co/openai/whisper-tiny")
    art = three["model"]
    r = call(
        registry,
        "PUT",
        f"/artifacts/model/{art['metadata']['id']}",
        json=update_body(art, url=other["data"]["url"]),
    )
    assert_error(r, "conflict")


def test_update_unknown_id(registry, three):
    body = {
        "metadata": {"name": "bert-base-uncased", "id": UNKNOWN_ID, "type": "model"},
        "data": {"url": BERT},
    }
    assert_error(call(registry, "PUT", f"/artifacts/model/{UNKNOWN_ID}", json=body), "not_found")


def test_update_wrong_type_in_path(registry, three):
    art = three["model"]
    body = update_body(art)
    body["metadata"].pop("type")
    r = call(registry, "PUT", f"/artifacts/dataset/{art['metadata']['id']}", json=body)
    assert_error(r, "not_found")


def test_update_bad_id(registry):
    body = {"metadata": {"name": "n", "id": "abc_def", "type": "model"}, "data": {"url": BERT}}
    assert_error(call(registry, "PUT", "/artifacts/model/abc_def", json=body), "bad_request")


# -- delete -----------------------------------------------------------------------------------


@pytest.mark.parametrize("type_", ["model", "dataset", "code"])
def test_get_delete_get(registry, three, type_):
    art = three[type_]
    path = f"/artifacts/{type_}/{art['metadata']['id']}"
    assert assert_json_status(call(registry, "GET", path), 200) == art
    body = assert_json_status(call(registry, "DELETE", path), 200)
    assert body == art["metadata"]
    assert_error(call(registry, "GET", path), "not_found")
    assert_error(call(registry, "DELETE", path), "not_found")
    # The others are untouched.
    for t, other in three.items():
        if t != type_:
            assert get_artifact(registry, t, other["metadata"]["id"]).status_code == 200


def test_delete_frees_the_url(registry, three):
    art = three["model"]
    call(registry, "DELETE", f"/artifacts/model/{art['metadata']['id']}")
    again = register(registry, "model", BERT)
    assert again["metadata"]["id"] != art["metadata"]["id"]


def test_delete_wrong_type_keeps_artifact(registry, three):
    art = three["model"]
    assert_error(call(registry, "DELETE", f"/artifacts/code/{art['metadata']['id']}"), "not_found")
    assert get_artifact(registry, "model", art["metadata"]["id"]).status_code == 200


def test_delete_unknown_and_bad(registry):
    assert_error(call(registry, "DELETE", f"/artifacts/model/{UNKNOWN_ID}"), "not_found")
    assert_error(call(registry, "DELETE", "/artifacts/model/abc_def"), "bad_request")
    assert_error(call(registry, "DELETE", f"/artifacts/banana/{UNKNOWN_ID}"), "bad_request")


def test_deleted_artifact_leaves_enumeration(registry, three):
    art = three["dataset"]
    call(registry, "DELETE", f"/artifacts/dataset/{art['metadata']['id']}")
    listed = assert_json_status(call(registry, "POST", "/artifacts", json=[{"name": "*"}]), 200)
    assert art["metadata"] not in listed
    assert len(listed) == 2
