"""Version search: POST /artifacts with "version" (exact, bounded, tilde and caret ranges, npm
semver's definitions) over the git tags ingest read upstream (the Hub's refs API for models and
datasets, GitHub's tags for code), and GET /artifact/byName/{name}?version=.

The fixture server lists the tags of tests/fixtures/tags.json for corpus repositories, and for a
synthesized repository the tags its id names after "-tags-", "_"-separated.
"""

import json

import pytest

from apiutil import assert_error, assert_json_status, call, enumerate_all, quote, register, register_many

HF = "https://huggingface.co/"


@pytest.fixture
def tagged(registry):
    """Six artifacts of every kind; their versions (tags that are no versions left out)."""
    return {
        # 1.0.0 1.2.0 1.2.5 2.0.0-rc.1 ("main" is no version)
        "alpha": register(registry, "model", HF + "vt/alpha-tags-v1.0.0_v1.2.0_v1.2.5_v2.0.0-rc.1_main",
                          name="alpha"),
        # 0.2.3 0.2.9 0.3.0
        "beta": register(registry, "model", HF + "vt/beta-tags-v0.2.3_v0.2.9_v0.3.0", name="beta"),
        # "1" = 1.0.0, "1.1" = 1.1.0, 2.0.0: the Hub's "X" tags
        "gamma": register(registry, "dataset", HF + "datasets/vt/gamma-tags-1_1.1_2.0.0", name="gamma"),
        # 1.2.3 2.1.0 2.1.1 (GitHub tags)
        "delta": register(registry, "code", "https://github.com/vt/delta-tags-v1.2.3_v2.1.0_v2.1.1",
                          name="delta"),
        # no tags at all
        "plain": register(registry, "model", HF + "vt/plain", name="plain"),
        # tests/fixtures/tags.json: v1 v1.1 v2.0.0-rc.1 v2.0.0 release-candidate
        "bert": register(registry, "model", HF + "google-bert/bert-base-uncased", name="bert"),
    }


def search(stack, queries, status=200):
    r = call(stack, "POST", "/artifacts", json=queries)
    return assert_json_status(r, status)


def found(stack, version, **query):
    """{name: version} of the answer to one query {"name": "*", "version": version, ...}."""
    q = {"name": "*", "version": version, **query}
    return {m["name"]: m.get("version") for m in search(stack, [q])}


@pytest.mark.parametrize(
    "version,expected",
    [
        # exact
        ("1.2.0", {"alpha": "v1.2.0"}),
        ("v1.2.0", {"alpha": "v1.2.0"}),
        ("2.0.0", {"gamma": "2.0.0", "bert": "v2.0.0"}),
        ("1.1.0", {"gamma": "1.1", "bert": "v1.1"}),
        # partial: npm's X-ranges ("1" := >=1.0.0 <2.0.0-0)
        ("1", {"alpha": "v1.2.5", "gamma": "1.1", "delta": "v1.2.3", "bert": "v1.1"}),
        ("1.2", {"alpha": "v1.2.5", "delta": "v1.2.3"}),
        # bounded, inclusive at both ends, as the course writes it and as npm does
        ("1.2.3-2.1.0", {"alpha": "v1.2.5", "gamma": "2.0.0", "delta": "v2.1.0", "bert": "v2.0.0"}),
        ("1.2.3 - 2.1.0", {"alpha": "v1.2.5", "gamma": "2.0.0", "delta": "v2.1.0", "bert": "v2.0.0"}),
        ("1.2.5-1.2.5", {"alpha": "v1.2.5"}),
        ("0.2.4-0.3.0", {"beta": "v0.3.0"}),
        # tilde
        ("~1.2.0", {"alpha": "v1.2.5", "delta": "v1.2.3"}),
        ("~1.2.4", {"alpha": "v1.2.5"}),
        ("~0.2.3", {"beta": "v0.2.9"}),
        ("~1", {"alpha": "v1.2.5", "gamma": "1.1", "delta": "v1.2.3", "bert": "v1.1"}),
        # caret
        ("^1.2.0", {"alpha": "v1.2.5", "delta": "v1.2.3"}),
        ("^0.2.3", {"beta": "v0.2.9"}),
        ("^0.3.0", {"beta": "v0.3.0"}),
        ("^2.0.0", {"gamma": "2.0.0", "delta": "v2.1.1", "bert": "v2.0.0"}),
        ("^1.0.0", {"alpha": "v1.2.5", "gamma": "1.1", "delta": "v1.2.3", "bert": "v1.1"}),
    ],
)
def test_range_forms(registry, tagged, version, expected):
    assert found(registry, version) == expected


def test_no_match(registry, tagged):
    assert found(registry, "9.9.9") == {}
    assert found(registry, "^3.0.0") == {}
    assert found(registry, "~0.1.0") == {}
    assert search(registry, [{"name": "alpha", "version": "3"}]) == []


def test_prereleases_only_where_the_range_names_one(registry, tagged):
    # 2.0.0-rc.1 is in ^1.0.0 and 1.0.0-2.0.0 by precedence, but npm admits a prerelease only
    # where a comparator has one on the same MAJOR.MINOR.PATCH.
    assert found(registry, "0.0.0-3.0.0")["alpha"] == "v1.2.5"
    assert found(registry, "^1.0.0")["alpha"] == "v1.2.5"
    assert found(registry, "2.0.0-rc.1") == {"alpha": "v2.0.0-rc.1", "bert": "v2.0.0-rc.1"}
    assert found(registry, "^2.0.0-rc.0") == {
        "alpha": "v2.0.0-rc.1", "gamma": "2.0.0", "delta": "v2.1.1", "bert": "v2.0.0"}
    assert found(registry, "~2.0.0-rc.2") == {"gamma": "2.0.0", "bert": "v2.0.0"}
    assert found(registry, "=2.0.0-rc.1") == {"alpha": "v2.0.0-rc.1", "bert": "v2.0.0-rc.1"}


def test_name_and_types_still_filter(registry, tagged):
    assert found(registry, "^1.0.0", types=["code"]) == {"delta": "v1.2.3"}
    assert found(registry, "^1.0.0", types=["dataset", "model"]) == {
        "alpha": "v1.2.5", "gamma": "1.1", "bert": "v1.1"}
    assert [m["name"] for m in search(registry, [{"name": "alpha", "version": "1.2.0"}])] == ["alpha"]
    assert search(registry, [{"name": "alpha", "version": "1.2.0", "types": ["code"]}]) == []


def test_answer_items_are_metadata_with_the_version(registry, tagged):
    (item,) = search(registry, [{"name": "delta", "version": "~2.1.0"}])
    assert item == dict(tagged["delta"]["metadata"], version="v2.1.1")


def test_artifact_without_tags(registry, tagged):
    for version in ("*", "0", "^0.0.0", "0.0.0-99.0.0"):
        assert "plain" not in found(registry, version)
    # ... and listed as before without a version, with no "version" field.
    assert search(registry, [{"name": "plain"}]) == [tagged["plain"]["metadata"]]


def test_star_range_lists_every_versioned_artifact(registry, tagged):
    assert found(registry, "*") == {
        "alpha": "v1.2.5", "beta": "v0.3.0", "gamma": "2.0.0", "delta": "v2.1.1", "bert": "v2.0.0"}


def test_queries_with_and_without_version_union(registry, tagged):
    got = search(registry, [{"name": "plain"}, {"name": "*", "types": ["code"], "version": "^2"},
                            {"name": "alpha", "version": "~1.0.0"}, {"name": "alpha", "version": "1.2"}])
    assert [(m["name"], m.get("version")) for m in got] == [
        ("alpha", "v1.2.5"), ("delta", "v2.1.1"), ("plain", None)]
    # an artifact a query without a version takes comes with no version...
    assert "version" not in search(registry, [{"name": "alpha"}])[0]
    # ...unless a query with a range takes it too
    got = search(registry, [{"name": "alpha"}, {"name": "*", "version": "1.0.0"}])
    # (the tags "1" and "v1" are the version 1.0.0)
    assert [(m["name"], m.get("version")) for m in got] == [
        ("alpha", "v1.0.0"), ("gamma", "1"), ("bert", "v1")]


def test_without_version_the_answer_is_unchanged(registry, tagged):
    got = search(registry, [{"name": "*"}])
    assert got == [tagged[k]["metadata"] for k in ("alpha", "beta", "gamma", "delta", "plain", "bert")]
    assert all("version" not in m for m in got)
    got = search(registry, [{"name": "*", "version": None}])
    assert all("version" not in m for m in got) and len(got) == 6


@pytest.mark.parametrize(
    "version,detail",
    [
        ("", "it is empty"),
        ("abc", "a number was expected"),
        (">=1.0.0", "comparison operators"),
        ("1.0.0 || 2.0.0", "unions"),
        ("1.2.3.4", "MAJOR.MINOR.PATCH"),
        ("^01.0.0", "leading zero"),
        ("~", "a version was expected"),
        ("1.2-beta", "needs all of MAJOR.MINOR.PATCH"),
        ("1.x.3", "follows a wildcard"),
        ("1" * 300, "at most 256 bytes"),
    ],
)
def test_malformed_range_is_400(registry, tagged, version, detail):
    r = call(registry, "POST", "/artifacts", json=[{"name": "*"}, {"name": "*", "version": version}])
    body = assert_error(r, "bad_request")
    assert detail in body["detail"], body
    if version and len(version) <= 256:
        assert body["detail"].startswith(f"query 1: '{version}' is not a version range: "), body


@pytest.mark.parametrize("version", [5, 1.5, ["1.0.0"], {"v": 1}, True])
def test_version_must_be_a_string(registry, version):
    r = call(registry, "POST", "/artifacts", data=json.dumps([{"name": "*", "version": version}]).encode())
    body = assert_error(r, "bad_request")
    assert "version" in body["detail"], body


def test_paging_with_a_version_filter(registry):
    """230 models, every other one tagged within ^1.0.0: 115 matches, two pages, each once."""
    specs = []
    for i in range(230):
        tag = f"v1.{i}.0" if i % 2 == 0 else f"v2.{i}.0"
        specs.append(("model", f"{HF}vp/m-{i:03d}-tags-{tag}_latest", f"m-{i:03d}"))
    created = register_many(registry, specs)
    want = {a["metadata"]["id"]: f"v1.{i}.0" for i, a in enumerate(created) if i % 2 == 0}

    items, pages = enumerate_all(registry, [{"name": "*", "version": "^1.0.0"}])
    assert pages == 2
    ids = [m["id"] for m in items]
    assert len(ids) == len(set(ids)), "an artifact appeared on two pages"
    assert {m["id"]: m["version"] for m in items} == want
    # in the store's order, as without a version (register_many registers from two threads, so
    # the order of `created` is not the store's)
    unfiltered, _ = enumerate_all(registry, [{"name": "*"}])
    assert ids == [m["id"] for m in unfiltered if m["id"] in want]

    # The cursor of the filtered first page starts the second page right after its last item.
    r = call(registry, "POST", "/artifacts", json=[{"name": "*", "version": "^1.0.0"}])
    first = assert_json_status(r, 200)
    assert len(first) == 100
    r = call(registry, "POST", f"/artifacts?offset={quote(r.headers['offset'])}",
             json=[{"name": "*", "version": "^1.0.0"}])
    second = assert_json_status(r, 200)
    assert "offset" not in r.headers
    assert [m["id"] for m in first + second] == ids

    # exactly one match
    assert [m["version"] for m in search(registry, [{"name": "*", "version": "1.228.0"}])] == ["v1.228.0"]


def test_missing_refs_route_is_no_versions(registry, upstream):
    """A Hub without the refs route (404) or GitHub without tags: registered all the same,
    without versions."""
    upstream.config(fail="404", fail_paths="/refs$|/tags\\?")
    register(registry, "model", HF + "vt/norefs-tags-v1.0.0", name="norefs")
    register(registry, "dataset", HF + "datasets/vt/norefs-ds-tags-v1.0.0", name="norefs-ds")
    register(registry, "code", "https://github.com/vt/norefs-code-tags-v1.0.0", name="norefs-code")
    upstream.reset()
    register(registry, "model", HF + "vt/withrefs-tags-v1.0.0", name="withrefs")
    assert found(registry, "1.0.0") == {"withrefs": "v1.0.0"}
    assert len(search(registry, [{"name": "*"}])) == 4


def test_refs_asked_at_ingest(registry, upstream):
    """Registering a model asks the Hub's refs API for its tags (in the same concurrent round
    as info, README and config: tests/unit/upstream/test_huggingface.c)."""
    since = upstream.mark()
    register(registry, "model", HF + "vt/round-tags-v3.1.4", name="round")
    paths = [e["path"] for e in upstream.log(since=since)]
    assert "/api/models/vt/round-tags-v3.1.4/refs" in paths
    assert found(registry, "3.1.4") == {"round": "v3.1.4"}


def test_by_name_with_version(registry, tagged):
    r = call(registry, "GET", "/artifact/byName/alpha?version=" + quote("~1.2.0"))
    assert assert_json_status(r, 200) == [dict(tagged["alpha"]["metadata"], version="v1.2.5")]
    r = call(registry, "GET", "/artifact/byName/alpha")
    assert assert_json_status(r, 200) == [tagged["alpha"]["metadata"]]
    r = call(registry, "GET", "/artifact/byName/alpha?version=3.0.0")
    assert_error(r, "not_found")
    r = call(registry, "GET", "/artifact/byName/plain?version=1")
    assert_error(r, "not_found")
    r = call(registry, "GET", "/artifact/byName/alpha?version=" + quote(">=1"))
    assert "comparison operators" in assert_error(r, "bad_request")["detail"]
    r = call(registry, "GET", "/artifact/byName/alpha?version=")
    assert "it is empty" in assert_error(r, "bad_request")["detail"]
