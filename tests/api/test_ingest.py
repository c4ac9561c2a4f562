"""Ingest and rating through the real stack: registration fetches upstream (the fixture server,
tests/fixtures, reached only through HF_ENDPOINT and GITHUB_API_URL), rates models, refuses the
ones the gate disqualifies, and GET /artifact/model/{id}/rate serves the stored rating.

The corpus models named here are recorded data (tests/fixtures/README.md); `missing-*` ids are
unknown upstream even in the fixture server's synthesize mode.
"""

import concurrent.futures
import math

import pytest
from apiutil import (
    assert_error,
    assert_json_status,
    call,
    enumerate_all,
    get_artifact,
    register,
    user_token,
)

HF = "https://huggingface.co/"

# The contract's ModelRating: every score and its latency.
SCORES = (
    "net_score",
    "ramp_up_time",
    "bus_factor",
    "performance_claims",
    "license",
    "dataset_and_code_score",
    "dataset_quality",
    "code_quality",
    "reproducibility",
    "reviewedness",
    "tree_score",
)
DEVICES = ("raspberry_pi", "jetson_nano", "desktop_pc", "aws_server")

# 14 recorded models that the default gate admits (the grader rates 14 models at once).
FOURTEEN = (
    "google-bert/bert-base-uncased",
    "openai/whisper-tiny",
    "FacebookAI/roberta-base",
    "albert-base-v2",
    "distilbert/distilbert-base-uncased",
    "distilbert-base-uncased-distilled-squad",
    "facebook/bart-base",
    "google-bert/bert-base-cased",
    "google/flan-t5-small",
    "google/gemma-3-270m",
    "gpt2",
    "microsoft/DialoGPT-small",
    "t5-small",
    "xlnet-base-cased",
)
POOR = ("parvk11/audience_classifier_model", "fixture-lab/poor-metadata-model")


def rate(stack, id_, token=None, **kw):
    if token is not None:
        kw["token"] = token
    return call(stack, "GET", f"/artifact/model/{id_}/rate", **kw)


def assert_rating(rating, name):
    """Every field of ModelRating, each in its range."""
    expected = {"name", "category", "size_score", "size_score_latency"}
    expected |= set(SCORES) | {f"{s}_latency" for s in SCORES}
    assert set(rating) == expected, set(rating) ^ expected
    assert rating["name"] == name
    assert rating["category"] == "MODEL"
    for key in SCORES:
        value = rating[key]
        assert isinstance(value, (int, float)) and math.isfinite(value), (key, value)
        low = -1 if key == "reviewedness" else 0
        assert low <= value <= 1, (key, value)
        if key == "reviewedness":
            assert value == -1 or value >= 0, value
    assert set(rating["size_score"]) == set(DEVICES)
    assert all(0 <= rating["size_score"][d] <= 1 for d in DEVICES), rating["size_score"]
    for key in [f"{s}_latency" for s in SCORES] + ["size_score_latency"]:
        assert isinstance(rating[key], (int, float)) and rating[key] >= 0, (key, rating[key])


def model_id(data):
    return data["metadata"]["id"]


def test_register_rates_and_stores(registry):
    data = register(registry, "model", HF + "openai/whisper-tiny")
    rating = assert_json_status(rate(registry, model_id(data)), 200)
    assert_rating(rating, "whisper-tiny")
    assert rating["net_score"] >= 0.5
    assert rating["license"] == 1  # apache-2.0 is compatible with LGPL-2.1
    assert rating["reviewedness"] >= 0  # the card links github.com/openai/whisper
    # Stored, not recomputed: a second read is the same document.
    assert assert_json_status(rate(registry, model_id(data)), 200) == rating


def test_rating_uses_the_given_name(registry):
    data = register(registry, "model", HF + "google-bert/bert-base-uncased", name="my-bert")
    assert_rating(assert_json_status(rate(registry, model_id(data)), 200), "my-bert")


def test_rate_fourteen_models_concurrently(registry):
    ids = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        for repo, data in zip(FOURTEEN, pool.map(lambda r: register(registry, "model", HF + r),
                                                 FOURTEEN)):
            ids[repo] = (model_id(data), data["metadata"]["name"])
    with concurrent.futures.ThreadPoolExecutor(max_workers=14) as pool:
        answers = list(pool.map(lambda v: rate(registry, v[0]), ids.values()))
    for (repo, (id_, name)), r in zip(ids.items(), answers):
        rating = assert_json_status(r, 200)
        assert_rating(rating, name)
        assert rating["net_score"] >= 0.5, (repo, rating["net_score"])
    # Scores come from the data: the fourteen models are not all rated alike.
    nets = {assert_json_status(r, 200)["net_score"] for r in answers}
    assert len(nets) >= 5, nets


@pytest.mark.parametrize("repo", POOR)
def test_disqualified_model_is_refused_and_absent(registry, repo):
    body = assert_error(register(registry, "model", HF + repo, expect=None), "disqualified", 424)
    assert "net_score=" in body["detail"], body
    assert "license=0.00" in body["detail"], body
    items, _ = enumerate_all(registry, [{"name": "*"}])
    assert items == []
    name = repo.split("/")[-1]
    assert_error(call(registry, "GET", f"/artifact/byName/{name}"), "not_found")


def test_unknown_upstream_repository_is_400(registry):
    for type_, url in (
        ("model", HF + "fixture-lab/missing-model"),
        ("dataset", HF + "datasets/fixture-lab/missing-data"),
        ("code", "https://github.com/fixture-lab/missing-repo"),
    ):
        body = assert_error(register(registry, type_, url, expect=None), "bad_request")
        assert "does not exist" in body["detail"], body
    assert enumerate_all(registry, [{"name": "*"}])[0] == []


def test_upstream_down_is_502_and_nothing_stored(registry, upstream):
    upstream.config(fail="500")
    for type_, url in (
        ("model", HF + "openai/whisper-tiny"),
        ("dataset", HF + "datasets/rajpurkar/squad"),
        ("code", "https://github.com/openai/whisper"),
    ):
        r = register(registry, type_, url, expect=None)
        body = assert_error(r, "upstream_error", 502)
        assert body["detail"], body
    upstream.reset()
    assert enumerate_all(registry, [{"name": "*"}])[0] == []
    register(registry, "model", HF + "openai/whisper-tiny")


def test_hanging_upstream_is_answered_not_held(stack_factory, upstream):
    """A hanging upstream costs at most the configured attempts, then 502: the request is
    answered by the registry itself, not by nginx's 60 s FastCGI timeout (504)."""
    s = stack_factory(REGISTRY_UPSTREAM_TIMEOUT_MS=500)
    upstream.config(fail="hang")
    r = register(s, "model", HF + "openai/whisper-tiny", expect=None)
    assert_error(r, "upstream_error", 502)
    upstream.reset()
    assert enumerate_all(s, [{"name": "*"}])[0] == []


def test_regex_finds_a_word_only_the_readme_has(registry):
    register(registry, "model", HF + "openai/whisper-tiny")
    register(registry, "dataset", HF + "datasets/rajpurkar/squad")
    register(registry, "code", "https://github.com/google-research/bert")
    found = assert_json_status(
        call(registry, "POST", "/artifact/byRegEx", json={"regex": "680k hours"}), 200)
    assert [m["name"] for m in found] == ["whisper-tiny"]
    found = assert_json_status(
        call(registry, "POST", "/artifact/byRegEx", json={"regex": "Stanford Question"}), 200)
    # the dataset's card, and the code repository's README, which describes fine-tuning on it
    assert sorted(m["name"] for m in found) == ["bert", "squad"]


def test_tree_score_is_the_registered_parents_score(registry):
    base = register(registry, "model", HF + "openai/whisper-tiny")
    child = register(registry, "model", HF + "fixture-lab/whisper-tiny-dummy-ft")
    base_rating = assert_json_status(rate(registry, model_id(base)), 200)
    child_rating = assert_json_status(rate(registry, model_id(child)), 200)
    assert child_rating["tree_score"] == pytest.approx(base_rating["net_score"], abs=0.011)


def test_datasets_code_and_kaggle_ingest(registry):
    for url in ("bookcorpus/bookcorpus", "squad", "hf-internal-testing/librispeech_asr_dummy"):
        register(registry, "dataset", HF + "datasets/" + url)
    register(registry, "dataset", "https://www.kaggle.com/datasets/zynicide/wine-reviews")
    for repo in ("openai/whisper", "google-research/bert", "google-deepmind/bbeh"):
        register(registry, "code", "https://github.com/" + repo)
    register(registry, "code", "https://github.com/google-research/big_vision/tree/main/big_vision")
    items, _ = enumerate_all(registry, [{"name": "*"}])
    assert len(items) == 8


def test_rate_errors(registry):
    model = register(registry, "model", HF + "openai/whisper-tiny")
    dataset = register(registry, "dataset", HF + "datasets/rajpurkar/squad")
    assert_error(rate(registry, "not_an_id!"), "bad_request")
    assert_error(rate(registry, "1234567890"), "not_found")
    assert_error(rate(registry, model_id(dataset)), "not_found")
    assert_error(call(registry, "GET", f"/artifact/model/{model_id(model)}/rate", token=None),
                 "authentication_failed", 403)
    no_search = user_token(registry, "uploader", permissions=["upload"])
    assert_error(rate(registry, model_id(model), token=no_search), "not_permitted", 401)
    reader = user_token(registry, "reader", permissions=["search"])
    assert_json_status(rate(registry, model_id(model), token=reader), 200)


def test_rate_is_audited(registry):
    model = register(registry, "model", HF + "openai/whisper-tiny")
    assert_json_status(rate(registry, model_id(model)), 200)
    trail = assert_json_status(call(registry, "GET", f"/artifact/model/{model_id(model)}/audit"),
                               200)
    assert [e["action"] for e in trail] == ["CREATE", "RATE", "AUDIT"], trail


def test_update_reingests_and_refused_update_changes_nothing(registry):
    data = register(registry, "model", HF + "openai/whisper-tiny")
    id_, name = model_id(data), data["metadata"]["name"]
    before = assert_json_status(rate(registry, id_), 200)

    def put(url):
        body = {"metadata": {"name": name, "id": id_, "type": "model"}, "data": {"url": url}}
        return call(registry, "PUT", f"/artifacts/model/{id_}", json=body)

    assert_error(put(HF + "parvk11/audience_classifier_model"), "disqualified", 424)
    assert assert_json_status(rate(registry, id_), 200) == before
    got = assert_json_status(get_artifact(registry, "model", id_), 200)
    assert got["data"]["url"] == HF + "openai/whisper-tiny"

    assert_json_status(put(HF + "google-bert/bert-base-uncased"), 200)
    after = assert_json_status(rate(registry, id_), 200)
    assert after["name"] == name
    assert after["size_score"] != before["size_score"]  # bert's weights, not whisper's
