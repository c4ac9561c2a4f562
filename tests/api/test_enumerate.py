"""POST /artifacts: queries, type filters, pagination and bad input."""

import json

import pytest

from apiutil import (
    assert_error,
    assert_json_status,
    call,
    enumerate_all,
    register,
    register_many,
)


@pytest.fixture
def mixed(registry):
    """Two models, two datasets and one code artifact, some sharing names."""
    return [
        register(registry, "model", "https://huggingface.co/google-bert/bert-base-uncased"),
        register(registry, "model", "https://huggingface.co/openai/whisper-tiny", name="shared"),
        register(registry, "dataset", "https://huggingface.co/datasets/bookcorpus/bookcorpus"),
        register(registry, "dataset", "https://huggingface.co/datasets/squad", name="shared"),
        register(registry, "code", "https://github.com/openai/whisper", name="Shared"),
    ]


def listing(stack, queries):
    r = call(stack, "POST", "/artifacts", json=queries)
    body = assert_json_status(r, 200)
    assert "offset" not in r.headers
    return body


def metas(arts):
    return [a["metadata"] for a in arts]


def test_empty_registry_lists_nothing(registry):
    assert listing(registry, [{"name": "*"}]) == []


def test_star_lists_everything_in_registration_order(registry, mixed):
    assert listing(registry, [{"name": "*"}]) == metas(mixed)


def test_star_with_empty_types_lists_everything(registry, mixed):
    assert listing(registry, [{"name": "*", "types": []}]) == metas(mixed)


@pytest.mark.parametrize(
    "types,expected",
    [
        (["model"], [0, 1]),
        (["dataset"], [2, 3]),
        (["code"], [4]),
        (["model", "code"], [0, 1, 4]),
        (["dataset", "dataset"], [2, 3]),
        (["model", "dataset", "code"], [0, 1, 2, 3, 4]),
    ],
)
def test_types_filter(registry, mixed, types, expected):
    assert listing(registry, [{"name": "*", "types": types}]) == [
        mixed[i]["metadata"] for i in expected
    ]


def test_exact_case_sensitive_name(registry, mixed):
    assert listing(registry, [{"name": "shared"}]) == [mixed[1]["metadata"], mixed[3]["metadata"]]
    assert listing(registry, [{"name": "Shared"}]) == [mixed[4]["metadata"]]
    assert listing(registry, [{"name": "SHARED"}]) == []
    assert listing(registry, [{"name": "share"}]) == []
    assert listing(registry, [{"name": "bert"}]) == []


def test_name_with_types(registry, mixed):
    assert listing(registry, [{"name": "shared", "types": ["dataset"]}]) == [mixed[3]["metadata"]]
    assert listing(registry, [{"name": "shared", "types": ["code"]}]) == []


def test_several_queries_union(registry, mixed):
    got = listing(
        registry,
        [
            {"name": "bert-base-uncased"},
            {"name": "Shared"},
            {"name": "shared", "types": ["dataset"]},
            {"name": "no-such-name"},
        ],
    )
    assert got == [mixed[i]["metadata"] for i in (0, 3, 4)]


def test_overlapping_queries_do_not_duplicate(registry, mixed):
    got = listing(registry, [{"name": "*"}, {"name": "shared"}, {"name": "*", "types": ["model"]}])
    assert got == metas(mixed)


def test_star_with_types_and_named_query(registry, mixed):
    got = listing(registry, [{"name": "*", "types": ["code"]}, {"name": "bookcorpus"}])
    assert got == [mixed[2]["metadata"], mixed[4]["metadata"]]


def test_pagination_walks_every_artifact_once(registry):
    n = 250
    specs = []
    for i in range(n):
        if i % 3 == 0:
            specs.append(("model", f"https://huggingface.co/page/model-{i:03d}", None))
        elif i % 3 == 1:
            specs.append(("dataset", f"https://huggingface.co/datasets/page/ds-{i:03d}", None))
        else:
            specs.append(("code", f"https://github.com/page/code-{i:03d}", None))
    created = register_many(registry, specs)
    expected = {a["metadata"]["id"]: a["metadata"] for a in created}
    assert len(expected) == n

    items, pages = enumerate_all(registry, [{"name": "*"}])
    assert pages == 3
    ids = [m["id"] for m in items]
    assert len(ids) == len(set(ids)), "an artifact appeared on two pages"
    assert {m["id"]: m for m in items} == expected

    # The same walk filtered by type.
    models, pages = enumerate_all(registry, [{"name": "*", "types": ["model"]}])
    assert pages == 1
    assert sorted(m["id"] for m in models) == sorted(
        a["metadata"]["id"] for a in created if a["metadata"]["type"] == "model"
    )


def test_pagination_cursor_is_stable_across_deletes(registry):
    specs = [("model", f"https://huggingface.co/stable/m-{i:03d}", None) for i in range(150)]
    created = register_many(registry, specs)
    r = call(registry, "POST", "/artifacts", json=[{"name": "*"}])
    first = assert_json_status(r, 200)
    cursor = r.headers["offset"]
    assert len(first) == 100
    # Deleting artifacts already seen does not shift the second page.
    for m in first[:10]:
        call(registry, "DELETE", f"/artifacts/model/{m['id']}")
    r = call(registry, "POST", f"/artifacts?offset={cursor}", json=[{"name": "*"}])
    second = assert_json_status(r, 200)
    assert "offset" not in r.headers
    seen = {m["id"] for m in first} | {m["id"] for m in second}
    assert seen == {a["metadata"]["id"] for a in created}
    assert len(first) + len(second) == 150


def test_exactly_one_full_page_has_no_cursor(registry):
    specs = [("code", f"https://github.com/full/page-{i:03d}", None) for i in range(100)]
    register_many(registry, specs)
    r = call(registry, "POST", "/artifacts", json=[{"name": "*"}])
    assert len(assert_json_status(r, 200)) == 100
    assert "offset" not in r.headers


def test_offset_past_the_end(registry, mixed):
    r = call(registry, "POST", "/artifacts?offset=999999999", json=[{"name": "*"}])
    assert assert_json_status(r, 200) == []
    assert "offset" not in r.headers
    r = call(registry, "POST", "/artifacts?offset=0", json=[{"name": "*"}])
    assert assert_json_status(r, 200) == metas(mixed)


@pytest.mark.parametrize(
    "body",
    [
        {"name": "*"},
        "*",
        None,
        42,
        [],
        [{}],
        [{"types": ["model"]}],
        [{"name": 5}],
        [{"name": None}],
        [{"name": ""}],
        ["*"],
        [{"name": "*"}, 7],
        [{"name": "*", "types": ["banana"]}],
        [{"name": "*", "types": ["Model"]}],
        [{"name": "*", "types": "model"}],
        [{"name": "*", "types": [1]}],
        [{"name": "*", "types": [None]}],
        [{"name": "x" * 256}],
    ],
    ids=lambda b: json.dumps(b)[:50],
)
def test_bad_queries(registry, body):
    r = call(registry, "POST", "/artifacts", data=json.dumps(body).encode())
    assert_error(r, "bad_request")


@pytest.mark.parametrize("raw", [b"", b"[", b"[{\"name\": \"*\"},]", b"\xff"])
def test_malformed_json(registry, raw):
    assert_error(call(registry, "POST", "/artifacts", data=raw), "bad_request")


@pytest.mark.parametrize("offset", ["abc", "-1", "+1", "1.5", "%201", "1e3", "99999999999999999999999"])
def test_bad_offset(registry, offset):
    r = call(registry, "POST", f"/artifacts?offset={offset}", json=[{"name": "*"}])
    assert_error(r, "bad_request")


def test_empty_offset_is_first_page(registry, mixed):
    r = call(registry, "POST", "/artifacts?offset=", json=[{"name": "*"}])
    assert assert_json_status(r, 200) == metas(mixed)


def test_too_many_queries(registry):
    r = call(registry, "POST", "/artifacts", json=[{"name": f"n{i}"} for i in range(65)])
    assert_error(r, "too_large")
    r = call(registry, "POST", "/artifacts", json=[{"name": f"n{i}"} for i in range(64)])
    assert assert_json_status(r, 200) == []
