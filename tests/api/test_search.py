"""GET /artifact/byName/{name} and POST /artifact/byRegEx."""

import json

import pytest

from apiutil import (
    assert_error,
    assert_json_status,
    call,
    quote,
    register,
    register_many,
)

CATASTROPHIC = [
    "(a{1,99999}){1,99999}$",
    "(a|aa)+$",
    "(a+)+$",
    "(.*a){20}",
    "(a*)*b$",
    "^(([a-z])+.)+[A-Z]([a-z])+$",
    "(x+x+)+y",
    "(?:a|a?)+$",
]


def by_name(stack, name):
    return call(stack, "GET", f"/artifact/byName/{quote(name)}")


def by_regex(stack, regex, **kw):
    return call(stack, "POST", "/artifact/byRegEx", json={"regex": regex}, **kw)


def ids(items):
    return sorted(m["id"] for m in items)


# -- byName -----------------------------------------------------------------------------------


def test_by_name_lists_every_artifact_with_that_name(registry):
    a = register(registry, "model", "https://huggingface.co/org1/twin", name="twin")
    b = register(registry, "model", "https://huggingface.co/org2/twin", name="twin")
    c = register(registry, "dataset", "https://huggingface.co/datasets/org3/twin", name="twin")
    register(registry, "code", "https://github.com/org4/twin", name="Twin")
    register(registry, "code", "https://github.com/org5/twins")
    body = assert_json_status(by_name(registry, "twin"), 200)
    assert body == [a["metadata"], b["metadata"], c["metadata"]]


def test_by_name_derived_name(registry):
    a = register(registry, "model", "https://huggingface.co/google-bert/bert-base-uncased")
    assert assert_json_status(by_name(registry, "bert-base-uncased"), 200) == [a["metadata"]]


@pytest.mark.parametrize(
    "name",
    [
        "my model v2",
        "slash/in/name",
        "100% real?",
        "hash#tag&amp=1",
        "plus+sign",
        "modèle-日本語-✓",
        "quote ' \" `",
    ],
)
def test_by_name_encoded_names(registry, name):
    a = register(registry, "model", "https://huggingface.co/enc/model", name=name)
    assert assert_json_status(by_name(registry, name), 200) == [a["metadata"]]


def test_by_name_space_as_percent20(registry):
    a = register(registry, "model", "https://huggingface.co/enc/space", name="with space")
    r = call(registry, "GET", "/artifact/byName/with%20space")
    assert assert_json_status(r, 200) == [a["metadata"]]


def test_by_name_dot_dot(registry):
    # '.' stays unencoded by quote() and clients drop dot segments: send ".." encoded.
    a = register(registry, "model", "https://huggingface.co/enc/dots", name="..")
    r = call(registry, "GET", "/artifact/byName/%2E%2E")
    assert assert_json_status(r, 200) == [a["metadata"]]


def test_by_name_not_found(registry):
    register(registry, "model", "https://huggingface.co/org/present")
    body = assert_error(by_name(registry, "absent"), "not_found")
    assert "absent" in body["detail"]
    assert_error(by_name(registry, "Present"), "not_found")
    assert_error(by_name(registry, "presen"), "not_found")


def test_by_name_after_delete(registry):
    a = register(registry, "model", "https://huggingface.co/org/gone")
    call(registry, "DELETE", f"/artifacts/model/{a['metadata']['id']}")
    assert_error(by_name(registry, "gone"), "not_found")


def test_by_name_more_than_a_page(registry):
    specs = [("code", f"https://github.com/many/same-{i:03d}", "same") for i in range(120)]
    created = register_many(registry, specs)
    body = assert_json_status(by_name(registry, "same"), 200)
    assert ids(body) == ids(a["metadata"] for a in created)


@pytest.mark.parametrize("raw", ["%2A", "*"])
def test_by_name_bad_name(registry, raw):
    assert_error(call(registry, "GET", f"/artifact/byName/{raw}"), "bad_request")


# -- byRegEx ----------------------------------------------------------------------------------


@pytest.fixture
def named(registry):
    specs = [
        ("model", "https://huggingface.co/google-bert/bert-base-uncased", None),
        ("model", "https://huggingface.co/openai/whisper-tiny", None),
        ("dataset", "https://huggingface.co/datasets/bookcorpus/bookcorpus", None),
        ("code", "https://github.com/openai/whisper", None),
        ("code", "https://github.com/google-research/bert", "BERT reference code"),
    ]
    return [register(registry, *s) for s in specs]


def test_regex_matches_names(registry, named):
    body = assert_json_status(by_regex(registry, "whisper"), 200)
    assert ids(body) == ids([named[1]["metadata"], named[3]["metadata"]])
    for item in body:
        assert set(item) == {"name", "id", "type"}


def test_regex_anchors_and_classes(registry, named):
    assert ids(assert_json_status(by_regex(registry, "^bert"), 200)) == [
        named[0]["metadata"]["id"]
    ]
    assert ids(assert_json_status(by_regex(registry, "(?i)^bert"), 200)) == ids(
        [named[0]["metadata"], named[4]["metadata"]]
    )
    assert ids(assert_json_status(by_regex(registry, "-tiny$"), 200)) == [
        named[1]["metadata"]["id"]
    ]
    assert len(assert_json_status(by_regex(registry, ".*"), 200)) == len(named)
    assert len(assert_json_status(by_regex(registry, "[a-z]+"), 200)) == len(named)


def test_regex_sees_changes(registry, named):
    assert len(assert_json_status(by_regex(registry, "."), 200)) == 5
    call(registry, "DELETE", f"/artifacts/model/{named[0]['metadata']['id']}")
    assert len(assert_json_status(by_regex(registry, "."), 200)) == 4
    new = register(registry, "model", "https://huggingface.co/x/zzz-fresh")
    assert assert_json_status(by_regex(registry, "zzz-fresh"), 200) == [new["metadata"]]
    call(registry, "DELETE", "/reset")
    assert_error(by_regex(registry, "zzz-fresh"), "not_found")


def test_regex_no_match(registry, named):
    assert_error(by_regex(registry, "^no-such-artifact$"), "not_found")


def test_regex_on_empty_registry(registry):
    assert_error(by_regex(registry, ".*"), "not_found")


@pytest.mark.parametrize("pattern", ["(", "[a-", "a{2,1}", "*a", "(?<n", "\\", "(" * 100 + ")" * 100])
def test_regex_invalid_pattern(registry, named, pattern):
    assert_error(by_regex(registry, pattern), "bad_request")


@pytest.mark.parametrize(
    "body",
    [{}, {"regex": None}, {"regex": 5}, {"regex": ["a"]}, {"regex": ""}, {"pattern": "a"}, ["a"]],
    ids=lambda b: json.dumps(b),
)
def test_regex_bad_body(registry, body):
    r = call(registry, "POST", "/artifact/byRegEx", data=json.dumps(body).encode())
    assert_error(r, "bad_request")


def test_regex_malformed_json(registry):
    assert_error(call(registry, "POST", "/artifact/byRegEx", data=b"{regex"), "bad_request")


def test_regex_length_limit(registry, named):
    assert_error(by_regex(registry, "a" * 1025), "bad_request")
    assert_error(by_regex(registry, "b?" * 600), "bad_request")
    # 1024 characters are allowed.
    r = by_regex(registry, "(bert|" + "x" * 1017 + ")")
    assert len("(bert|" + "x" * 1017 + ")") == 1024
    assert r.status_code == 200, r.text


@pytest.fixture
def evil_names(registry):
    specs = []
    for i in range(24):
        name = "a" * (20 + i) + "b"
        specs.append(("model", f"https://huggingface.co/evil/m{i:02d}", name))
    specs.append(("model", "https://huggingface.co/evil/plain", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaab"))
    specs.append(("dataset", "https://huggingface.co/datasets/evil/x", "x" * 40))
    specs.append(("code", "https://github.com/evil/mixed", "aaaaaaaaaaaaaaaaaaaaaaaaaaaa!"))
    return register_many(registry, specs)


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_regex_catastrophic_patterns_answer(registry, evil_names, pattern):
    # Must answer within the client timeout with a JSON body; no timing assertion.
    r = by_regex(registry, pattern, timeout=10)
    assert r.status_code in (200, 400, 404), r.text
    body = assert_json_status(r, r.status_code)
    if r.status_code == 200:
        assert isinstance(body, list)
        for item in body:
            assert set(item) == {"name", "id", "type"}
    else:
        assert body["error"] in ("bad_request", "not_found")
        assert isinstance(body["detail"], str)
    assert call(registry, "GET", "/health").status_code == 200
    # An ordinary search still works in the same worker pool.
    assert assert_json_status(by_regex(registry, "^x+$"), 200)[0]["type"] == "dataset"
