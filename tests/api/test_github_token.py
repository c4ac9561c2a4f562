"""GITHUB_TOKEN and ingest: with a token the registry reads a linked repository's pull requests
and their reviews from GitHub's GraphQL API in the same round as the repository's other calls;
without one it asks REST for the reviews in a round of its own (lib/upstream/github.h). The two
must rate every model alike: the recorded corpus models whose cards link a GitHub repository
are registered on a stack with a token and on one without, in the same order, and their stored
ratings (every score; latencies aside) must be identical; code artifacts too take one round
with the token and cost the same.
The fixture server's log shows which API each stack asked, and the start-up log says which.
"""

import json
import pathlib

import pytest
from apiutil import assert_json_status, call, register

HF = "https://huggingface.co/"
ROOT = pathlib.Path(__file__).resolve().parents[2]
INDEX = json.loads((ROOT / "tests/fixtures/corpus/index.json").read_text())
# Every recorded model whose card links a GitHub repository, in the corpus index's order.
LINKED = [m for m, e in INDEX["hf_models"].items() if e["github_links"]]
TOKEN = "ghp_api_test_token"


@pytest.fixture(scope="module")
def stacks(module_stack_factory):
    """(with token, without token): two fresh stacks on the session's fixture server."""
    return module_stack_factory(GITHUB_TOKEN=TOKEN), module_stack_factory(GITHUB_TOKEN=None)


def without_latencies(rating):
    return {k: v for k, v in rating.items() if not k.endswith("_latency")}


def register_logged(stack, upstream, type_, url):
    """Registers url (any status) and returns (response, the upstream routes it asked for)."""
    since = upstream.mark()
    r = call(stack, "POST", f"/artifact/{type_}", json={"url": url})
    return r, [e["route"] for e in upstream.log(since=since)]


def test_the_corpus_has_linked_models():
    assert len(LINKED) >= 15, LINKED


def test_ratings_are_the_same_with_and_without_a_token(stacks, upstream):
    with_token, without = stacks
    compared = 0
    for repo in LINKED:
        r1, routes1 = register_logged(with_token, upstream, "model", HF + repo)
        r2, routes2 = register_logged(without, upstream, "model", HF + repo)
        assert r1.status_code == r2.status_code, (repo, r1.text, r2.text)
        # The token's stack asked GraphQL and never for reviews; the other one the reverse.
        assert "gh.graphql" in routes1 and "gh.reviews" not in routes1, (repo, routes1)
        assert "gh.pulls" not in routes1, (repo, routes1)
        assert "gh.graphql" not in routes2 and "gh.pulls" in routes2, (repo, routes2)
        if r1.status_code != 201:
            assert r1.json() == r2.json(), repo  # the same refusal, word for word
            continue
        a = assert_json_status(call(with_token, "GET",
                                    f"/artifact/model/{r1.json()['metadata']['id']}/rate"), 200)
        b = assert_json_status(call(without, "GET",
                                    f"/artifact/model/{r2.json()['metadata']['id']}/rate"), 200)
        assert without_latencies(a) == without_latencies(b), repo
        compared += 1
    assert compared >= 15, compared


def test_code_metadata_is_the_same_with_and_without_a_token(stacks, upstream):
    with_token, without = stacks
    for full in INDEX["github_repos"]:
        url = "https://github.com/" + full
        r1, routes1 = register_logged(with_token, upstream, "code", url)
        r2, routes2 = register_logged(without, upstream, "code", url)
        a, b = assert_json_status(r1, 201), assert_json_status(r2, 201)
        assert routes1.count("gh.graphql") == 1 and "gh.reviews" not in routes1, routes1
        assert "gh.graphql" not in routes2, routes2
        # tags: in the GraphQL answer with the token, from REST without
        assert "gh.tags" not in routes1 and routes2.count("gh.tags") == 1, (routes1, routes2)
        assert a["metadata"]["name"] == b["metadata"]["name"]
        costs = [assert_json_status(call(s, "GET", f"/artifact/code/{d['metadata']['id']}/cost"),
                                    200) for s, d in ((with_token, a), (without, b))]
        assert list(costs[0].values()) == list(costs[1].values()), (full, costs)
    # The same versions either way (tests/fixtures/tags.json tags two of these repositories).
    found = [{m["name"]: m["version"] for m in assert_json_status(call(
        s, "POST", "/artifacts", json=[{"name": "*", "types": ["code"], "version": "*"}]), 200)}
        for s in stacks]
    assert found[0] == found[1] == {"whisper": "v20240930", "bert": "v1.0.0"}, found


def test_the_start_up_log_says_which_way(stacks):
    logs = [(pathlib.Path(s.log_dir) / "registryd.log").read_text() for s in stacks]
    assert "ingest: GITHUB_TOKEN is set" in logs[0] and "2 upstream rounds" in logs[0]
    assert "ingest: no GITHUB_TOKEN" in logs[1] and "3 upstream rounds" in logs[1]
