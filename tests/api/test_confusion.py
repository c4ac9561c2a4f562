"""GET /PackageConfusionAudit (and /package-confusion-audit): artifacts suspected of imitating a
more popular one.

A crafted registry: four popular originals from the fixture server (two recorded Hub models,
two synthesized), six look-alikes that must be listed (typo, delimiter, homoglyph, combo, scope,
and a typo whose downloads come from a bot farm) and decoys that must not be (the originals, a
popular look-alike of a popular original, a namesake under an unrelated owner, unrelated and
short names). Popularity is generated through the API: searches by name, regex and enumerate
(counted as search hits), downloads by three people (the audit trail's DOWNLOAD entries), and
thirty downloads of the bot-farm look-alike from two accounts. Upstream figures are the fixture
server's metadata (the recorded bert models have millions of downloads, synthesized models
5,000-50,000; each look-alike below has fewer than its original, checked by the test).
"""

import pytest
import requests

from apiutil import assert_error, assert_json_status, call, register_many, user_token

HF = "https://huggingface.co/"
ORIGINALS = {
    "uncased": "google-bert/bert-base-uncased",
    "cased": "google-bert/bert-base-cased",
    "llama": "meta-llama/Llama-2-7b-hf",
    "whisper": "openai/whisper-large-v3",
    "opt": "facebook/opt",
}
# look-alike: (repository, the original it imitates, technique)
LOOKALIKES = {
    "typo": ("bert-fan/bert-base-uncazed", "uncased", "typo"),
    "delimiter": ("someone/bert_base_uncased", "uncased", "delimiter"),
    "homoglyph": ("someone/bert-base-unc4sed", "uncased", "homoglyph"),
    "combo": ("google-bert/bert-base-uncased-v2", "uncased", "combo"),
    "scope": ("metallama/Llama-2-7b-hf", "llama", "scope"),
    "bots": ("openai/whisper-larg-v3", "whisper", "typo"),
}
DECOYS = {
    "namesake": "fan-club/bert-base-uncased",  # same name, unrelated owner: below the bar
    "short": "x/ops",  # one edit from "opt", but names of 4 or fewer characters never match
    "unrelated": "acme/resnet-50",
}
PEOPLE = ("conf-ann", "conf-bob", "conf-cat")
BOTS = ("conf-bot-1", "conf-bot-2")
BOT_DOWNLOADS = 15  # per bot account
SIGNALS = {
    "name_similarity", "edit_distance", "search_hits", "target_search_hits", "downloads",
    "target_downloads", "upstream_popularity", "target_upstream_popularity", "popularity_gap",
    "download_accounts", "top_accounts_share", "interval_cv", "burst_share",
    "downloads_per_search", "traffic_anomaly",
}


def audit(stack, path="/PackageConfusionAudit", token=None, **params):
    kw = {} if token is None else {"token": token}
    r = call(stack, "GET", path, params=params, **kw)
    findings = assert_json_status(r, 200)
    assert isinstance(findings, list), findings
    for f in findings:
        assert set(f) == {"suspect", "target", "technique", "score", "signals"}, f
        assert set(f["signals"]) == SIGNALS, f
        assert 0.0 <= f["score"] <= 1.0, f
    scores = [f["score"] for f in findings]
    assert scores == sorted(scores, reverse=True), scores
    return findings


def download(stack, art, token):
    """One download (the card aspect: a small zip; every aspect is a DOWNLOAD entry)."""
    r = call(stack, "GET", f"/download/model/{art['metadata']['id']}?aspect=card", token=token)
    assert r.status_code == 200, r.text[:300]


def search_by_name(stack, name):
    assert call(stack, "GET", f"/artifact/byName/{name}").status_code == 200


def upstream_figure(repo, upstream_server):
    """The fixture server's Hub downloads + likes of a model (what ingest stored)."""
    info = requests.get(f"{upstream_server.url}/api/models/{repo}", timeout=10).json()
    return info.get("downloads", 0) + info.get("likes", 0)


@pytest.fixture
def crafted(registry, upstream):
    """The crafted registry with its searches and downloads; returns {key: Artifact}."""
    repos = dict(ORIGINALS)
    repos.update({k: v[0] for k, v in LOOKALIKES.items()})
    repos.update(DECOYS)
    keys = list(repos)
    arts = dict(zip(keys, register_many(registry, [("model", HF + repos[k], None) for k in keys])))
    # Every look-alike is less popular upstream than its original (the fixture's figures).
    for key, (repo, original, _) in LOOKALIKES.items():
        assert upstream_figure(repo, upstream) < upstream_figure(ORIGINALS[original], upstream), key
    # Searches: four answers list each original (byName twice, enumerate, regex).
    for key in ORIGINALS:
        name = arts[key]["metadata"]["name"]
        search_by_name(registry, name)
        search_by_name(registry, name)
        r = call(registry, "POST", "/artifacts", json=[{"name": name, "types": ["model"]}])
        assert r.status_code == 200, r.text
        r = call(registry, "POST", "/artifact/byRegEx", json={"regex": f"^{name}$"})
        assert r.status_code == 200, r.text
    search_by_name(registry, "whisper-larg-v3")
    # People download each original once; the bot farm downloads its look-alike 30 times.
    people = [user_token(registry, p, permissions=["download", "search"]) for p in PEOPLE]
    for key in ORIGINALS:
        for token in people:
            download(registry, arts[key], token)
    bots = [user_token(registry, b, permissions=["download"]) for b in BOTS]
    for _ in range(BOT_DOWNLOADS):
        for token in bots:
            download(registry, arts["bots"], token)
    return arts


def by_suspect(findings):
    return {f["suspect"]["id"]: f for f in findings}


def test_findings(crafted, registry, upstream):
    findings = audit(registry)
    found = by_suspect(findings)
    ids = {key: art["metadata"]["id"] for key, art in crafted.items()}
    want = {ids[k] for k in LOOKALIKES}
    assert set(found) == want, [(f["suspect"]["name"], f["technique"], f["score"]) for f in findings]
    for key, (_, original, technique) in LOOKALIKES.items():
        f = found[ids[key]]
        assert f["suspect"] == crafted[key]["metadata"], f
        assert f["target"] == crafted[original]["metadata"], (key, f)
        assert f["technique"] == technique, (key, f)
        assert f["score"] >= 0.5, f
    # Same original, same figures: the closer the look-alike, the higher it ranks.
    assert (found[ids["homoglyph"]]["score"] > found[ids["delimiter"]]["score"]
            > found[ids["typo"]]["score"]), findings
    typo = found[ids["typo"]]["signals"]
    assert typo["edit_distance"] == 1
    assert typo["search_hits"] == 0 and typo["target_search_hits"] == 4, typo
    assert typo["downloads"] == 0 and typo["target_downloads"] == len(PEOPLE), typo
    # Upstream popularity is the stored metadata's Hub downloads + likes.
    assert typo["upstream_popularity"] == upstream_figure(LOOKALIKES["typo"][0], upstream), typo
    assert typo["target_upstream_popularity"] == upstream_figure(ORIGINALS["uncased"], upstream)
    assert typo["traffic_anomaly"] == 0 and typo["interval_cv"] is None, typo
    assert typo["popularity_gap"] > 0.7, typo
    # The bot farm: thirty downloads from two accounts in a burst, one search.
    bots = found[ids["bots"]]["signals"]
    assert bots["downloads"] == len(BOTS) * BOT_DOWNLOADS, bots
    assert bots["download_accounts"] == len(BOTS), bots
    assert bots["top_accounts_share"] == 1, bots
    assert bots["search_hits"] == 1, bots
    assert bots["downloads_per_search"] == len(BOTS) * BOT_DOWNLOADS / 2, bots
    assert bots["burst_share"] > 0.5, bots
    assert bots["traffic_anomaly"] >= 0.8, bots
    # Scope: every search lists both namesakes, so hits are equal and do not count.
    scope = found[ids["scope"]]["signals"]
    assert scope["search_hits"] == scope["target_search_hits"] == 4, scope


def test_threshold_type_and_alias(crafted, registry):
    default = audit(registry)
    ids = {key: art["metadata"]["id"] for key, art in crafted.items()}
    # Without a threshold, the namesake is there, below the default bar; the originals and the
    # unrelated names never are.
    everything = by_suspect(audit(registry, min_score="0"))
    namesake = everything[ids["namesake"]]
    assert namesake["technique"] == "namesake", namesake
    assert namesake["target"]["id"] == ids["uncased"], namesake
    assert namesake["score"] < 0.5, namesake
    for key in ("uncased", "llama", "whisper", "opt", "short", "unrelated"):
        assert ids[key] not in everything, (key, everything.get(ids[key]))
    # The popular look-alike of a popular original stays far below the bar.
    if ids["cased"] in everything:
        assert everything[ids["cased"]]["score"] < 0.3, everything[ids["cased"]]
    assert audit(registry, min_score="1") == []
    assert audit(registry, type="dataset") == []
    assert by_suspect(audit(registry, type="model")).keys() == by_suspect(default).keys()
    alias = audit(registry, path="/package-confusion-audit")
    assert [f["suspect"]["id"] for f in alias] == [f["suspect"]["id"] for f in default]


def test_empty_registry(registry):
    assert audit(registry) == []


@pytest.mark.parametrize("params", [
    {"min_score": "abc"}, {"min_score": "1.5"}, {"min_score": "-0.1"}, {"min_score": ""},
    {"min_score": "0x1"}, {"min_score": "nan"}, {"type": "artifact"}, {"type": ""},
])
def test_bad_parameters(registry, params):
    r = call(registry, "GET", "/PackageConfusionAudit", params=params)
    assert_error(r, "bad_request", 400)


def test_access(registry):
    r = call(registry, "GET", "/PackageConfusionAudit", token=None)
    assert_error(r, "authentication_failed", 403)
    r = call(registry, "GET", "/PackageConfusionAudit", token="bearer not-a-token")
    assert_error(r, "authentication_failed", 403)
    searcher = user_token(registry, "conf-searcher", permissions=["search", "download", "upload"])
    r = call(registry, "GET", "/PackageConfusionAudit", token=searcher)
    assert_error(r, "not_permitted", 401)
    r = call(registry, "POST", "/PackageConfusionAudit")
    assert r.status_code == 405, r.text
    admin = user_token(registry, "conf-admin", is_admin=True)
    assert audit(registry, token=admin) == []
