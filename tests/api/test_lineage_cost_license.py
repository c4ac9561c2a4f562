"""Lineage, download cost and license check through the real stack, on the fixture corpus.

The three-level chain: google-bert/bert-base-uncased <- fixture-lab/bert-base-uncased-squad
(its card's base_model) <- fixture-lab/bert-base-uncased-squad-onnx (its config.json
_name_or_path). Sizes are the corpus's file sizes (tests/fixtures/corpus); 1 MB = 1,048,576 bytes.
"""

import json
import pathlib

import pytest
from apiutil import assert_error, assert_json_status, call, register, user_token

HF = "https://huggingface.co/"
CORPUS = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "corpus"
BASE, TUNE, ONNX = ("google-bert/bert-base-uncased", "fixture-lab/bert-base-uncased-squad",
                    "fixture-lab/bert-base-uncased-squad-onnx")
MB = 1048576


def corpus_mb(kind, repo_id):
    """The size the registry must report: the sum of the repository's listed files."""
    with open(CORPUS / "hf" / kind / repo_id.replace("/", "--") / "info.json") as f:
        info = json.load(f)
    return sum(s.get("size") or s.get("lfs", {}).get("size", 0) for s in info["siblings"]) / MB


def rid(data):
    return data["metadata"]["id"]


def lineage(stack, id_, **kw):
    return call(stack, "GET", f"/artifact/model/{id_}/lineage", **kw)


def cost(stack, type_, id_, query="", **kw):
    return call(stack, "GET", f"/artifact/{type_}/{id_}/cost{query}", **kw)


def license_check(stack, id_, body, query="", **kw):
    return call(stack, "POST", f"/artifact/model/{id_}/license-check{query}", json=body, **kw)


def graph_of(stack, id_):
    g = assert_json_status(lineage(stack, id_), 200)
    assert set(g) == {"nodes", "edges"}
    for n in g["nodes"]:
        assert set(n) == {"artifact_id", "name", "source"}, n
    for e in g["edges"]:
        assert set(e) == {"from_node_artifact_id", "to_node_artifact_id", "relationship"}, e
        assert e["relationship"] == "base_model"
    nodes = {n["artifact_id"]: n for n in g["nodes"]}
    assert len(nodes) == len(g["nodes"]), "a node is listed twice"
    edges = {(e["from_node_artifact_id"], e["to_node_artifact_id"]) for e in g["edges"]}
    assert len(edges) == len(g["edges"]), "an edge is listed twice"
    return nodes, edges


@pytest.fixture
def chain(registry):
    """The chain registered child first: links appear when parents arrive, no re-ingest."""
    onnx = register(registry, "model", HF + ONNX)
    tune = register(registry, "model", HF + TUNE)
    base = register(registry, "model", HF + BASE)
    return rid(base), rid(tune), rid(onnx)


def test_three_level_chain_from_every_node(registry, chain):
    base, tune, onnx = chain
    for queried in chain:
        nodes, edges = graph_of(registry, queried)
        assert set(nodes) == {base, tune, onnx}, (queried, nodes)
        assert edges == {(base, tune), (tune, onnx)}, (queried, edges)
        assert nodes[queried]["source"] == "registry"
    nodes, _ = graph_of(registry, onnx)
    assert nodes[tune]["source"] == "config_json"  # onnx names tune in config.json
    assert nodes[base]["source"] == "model_card"  # tune names base in its card
    assert nodes[base]["name"] == "bert-base-uncased"


def test_lineage_of_a_model_without_relatives(registry):
    m = register(registry, "model", HF + "openai/whisper-tiny")
    nodes, edges = graph_of(registry, rid(m))
    assert list(nodes) == [rid(m)] and edges == set()


def test_lineage_skips_unregistered_parents_and_other_types(registry):
    tune = register(registry, "model", HF + TUNE)  # its parent is not registered
    register(registry, "dataset", HF + "datasets/rajpurkar/squad")  # named by the card
    nodes, edges = graph_of(registry, rid(tune))
    assert list(nodes) == [rid(tune)] and edges == set()


def test_lineage_errors(registry):
    m = register(registry, "model", HF + "openai/whisper-tiny")
    d = register(registry, "dataset", HF + "datasets/rajpurkar/squad")
    assert_error(lineage(registry, "bad_id!"), "bad_request")
    assert_error(lineage(registry, "1234567890"), "not_found")
    assert_error(lineage(registry, rid(d)), "not_found")  # datasets have no lineage
    assert_error(lineage(registry, rid(m), token=None), "authentication_failed", 403)
    uploader = user_token(registry, "lineage-uploader", permissions=["upload"])
    assert_error(lineage(registry, rid(m), token=uploader), "not_permitted", 401)


def test_cost_without_dependencies(registry, chain):
    base, tune, onnx = chain
    for id_, repo in ((base, BASE), (tune, TUNE), (onnx, ONNX)):
        for query in ("", "?dependency=false"):
            got = assert_json_status(cost(registry, "model", id_, query), 200)
            assert set(got) == {id_}
            assert set(got[id_]) == {"total_cost"}
            assert got[id_]["total_cost"] == pytest.approx(corpus_mb("models", repo), abs=0.001)


def test_cost_with_dependencies_adds_up(registry, chain):
    base, tune, onnx = chain
    squad = register(registry, "dataset", HF + "datasets/rajpurkar/squad")  # the tune's card
    got = assert_json_status(cost(registry, "model", onnx, "?dependency=true"), 200)
    # onnx -> tune -> base, and the squad dataset both fine-tune and export name
    assert set(got) == {onnx, tune, base, rid(squad)}
    sizes = {onnx: corpus_mb("models", ONNX), tune: corpus_mb("models", TUNE),
             base: corpus_mb("models", BASE), rid(squad): corpus_mb("datasets", "rajpurkar/squad")}
    for id_, entry in got.items():
        assert set(entry) == {"standalone_cost", "total_cost"}
        assert entry["standalone_cost"] == pytest.approx(sizes[id_], abs=0.001)
    # each artifact counted once, though squad is named twice
    assert got[onnx]["total_cost"] == pytest.approx(sum(sizes.values()), abs=0.01)
    assert got[tune]["total_cost"] == pytest.approx(sizes[tune] + sizes[base] + sizes[rid(squad)],
                                                    abs=0.01)
    assert got[base]["total_cost"] == pytest.approx(sizes[base], abs=0.001)


def test_cost_of_datasets_and_code(registry):
    d = register(registry, "dataset", HF + "datasets/rajpurkar/squad")
    c = register(registry, "code", "https://github.com/openai/whisper")
    got = assert_json_status(cost(registry, "dataset", rid(d), "?dependency=true"), 200)
    assert got[rid(d)]["standalone_cost"] == got[rid(d)]["total_cost"] > 0
    got = assert_json_status(cost(registry, "code", rid(c)), 200)
    assert got[rid(c)]["total_cost"] > 0


def test_cost_errors(registry):
    m = register(registry, "model", HF + "openai/whisper-tiny")
    k = register(registry, "dataset", "https://www.kaggle.com/datasets/zynicide/wine-reviews")
    assert_error(cost(registry, "model", rid(m), "?dependency=maybe"), "bad_request")
    assert_error(cost(registry, "widget", rid(m)), "bad_request")
    assert_error(cost(registry, "model", "bad_id!"), "bad_request")
    assert_error(cost(registry, "model", "1234567890"), "not_found")
    assert_error(cost(registry, "dataset", rid(m)), "not_found")  # a model, asked as a dataset
    assert_error(cost(registry, "model", rid(m), token=None), "authentication_failed", 403)
    # Kaggle publishes no sizes without credentials: no stored size, and the answer says so
    body = assert_error(cost(registry, "dataset", rid(k)), "internal_error", 500)
    assert "no download size" in body["detail"]


# Repositories named "...-lic-<SPDX>" are generated by the fixture server under that license.
@pytest.mark.parametrize("model,repo,allowed,says", [
    ("openai/whisper-tiny", "openai/whisper", True, "keep both copyright"),  # apache-2.0, MIT
    ("google/gemma-3-270m", "google-research/bert", True, "use restrictions"),  # gemma, Apache
    ("openai/whisper-tiny", "kabirraymalik/gello-bimanual-ur3", False, "code's license (none)"),
    # pairwise compatibility: Apache-2.0 joins GPL-3.0 but not GPL-2.0-only
    ("openai/whisper-tiny", "fixture-lab/tool-lic-GPL-3.0", True, "distributed under GPL-3.0"),
    ("openai/whisper-tiny", "fixture-lab/tool-lic-GPL-2.0", False, "cannot be relicensed"),
    ("openai/whisper-tiny", "fixture-lab/tool-lic-LGPL-3.0", True, "weak copyleft"),
    ("openai/whisper-tiny", "fixture-lab/tool-lic-AGPL-3.0", True, "AGPL-3.0"),
    ("google/gemma-3-270m", "fixture-lab/tool-lic-GPL-3.0", False, "further restrictions"),
])
def test_license_check(registry, model, repo, allowed, says):
    m = register(registry, "model", HF + model)
    r = license_check(registry, rid(m), {"github_url": f"https://github.com/{repo}"})
    assert assert_json_status(r, 200) is allowed
    assert says in r.headers.get("X-License-Reason", ""), r.headers.get("X-License-Reason")


@pytest.mark.parametrize("repo,product,allowed,says", [
    ("openai/whisper", "LGPL-2.1", True, "may ship in a commercial LGPL-2.1 product"),
    ("fixture-lab/tool-lic-GPL-3.0", "LGPL-2.1", False, "not LGPL-2.1"),
    ("fixture-lab/tool-lic-GPL-3.0", "GPL-3.0", True, "commercial GPL-3.0 product"),
    ("openai/whisper", "GPL-2.0", False, "cannot be distributed under the product's GPL-2.0"),
])
def test_license_check_product_view(registry, repo, product, allowed, says):
    m = register(registry, "model", HF + "openai/whisper-tiny")  # apache-2.0
    r = license_check(registry, rid(m), {"github_url": f"https://github.com/{repo}"},
                      f"?product_license={product}")
    assert assert_json_status(r, 200) is allowed
    assert says in r.headers.get("X-License-Reason", ""), r.headers.get("X-License-Reason")


def test_license_check_errors(registry, upstream):
    m = register(registry, "model", HF + "openai/whisper-tiny")
    d = register(registry, "dataset", HF + "datasets/rajpurkar/squad")
    ok = {"github_url": "https://github.com/openai/whisper"}
    assert_error(license_check(registry, rid(m), {}), "bad_request")
    assert_error(license_check(registry, rid(m), {"github_url": 7}), "bad_request")
    assert_error(license_check(registry, rid(m), {"github_url": "https://gitlab.com/o/r"}),
                 "bad_request")
    r = call(registry, "POST", f"/artifact/model/{rid(m)}/license-check", data="{not json")
    assert_error(r, "bad_request")
    assert_error(license_check(registry, "bad_id!", ok), "bad_request")
    assert_error(license_check(registry, "1234567890", ok), "not_found")
    assert_error(license_check(registry, rid(d), ok), "not_found")
    body = assert_error(license_check(registry, rid(m),
                                      {"github_url": "https://github.com/o/missing-repo"}),
                        "not_found")
    assert "does not exist on GitHub" in body["detail"]
    assert_error(license_check(registry, rid(m), ok, token=None), "authentication_failed", 403)
    for product in ("cc-by-nc-4.0", "NOASSERTION", "", "openrail"):
        body = assert_error(license_check(registry, rid(m), ok, f"?product_license={product}"),
                            "bad_request")
        assert "product_license" in body["detail"]
    upstream.config(fail="500", fail_paths="^/repos/")
    assert_error(license_check(registry, rid(m), ok), "upstream_error", 502)
