"""The Hugging Face Hub-compatible read API (/api/models/..., /{repo}/resolve/{rev}/{path}, and the
same for datasets) through the real stack: Hugging Face's own JS client (@huggingface/hub,
pinned in tests/hfhub) lists, downloads one file and downloads a snapshot from the registry,
byte-equal to upstream; and the API's answers, headers and errors directly.
"""

import hashlib
import json
import os
import shutil
import subprocess
import tempfile

import pytest
import requests
from apiutil import assert_json_status, call, register, user_token

HF = "https://huggingface.co/"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HARNESS = os.path.join(ROOT, "tests", "hfhub", "hub_client.mjs")
CLIENT = os.path.join(ROOT, "tests", "hfhub", "node_modules", "@huggingface", "hub")


def hf_token(stack, token=None):
    """The registry token as Hugging Face's clients take it ("hf_" + the token)."""
    return "hf_" + (token or stack.token).split(" ", 1)[1]


def hub(stack, method, path, token=None, **kw):
    """A request as a Hub client sends it: Authorization: Bearer hf_<token>."""
    headers = dict(kw.pop("headers", None) or {})
    if token is not False:
        headers["Authorization"] = "Bearer " + hf_token(stack, token)
    return call(stack, method, path, token=None, headers=headers, **kw)


def upstream_bytes(upstream, repo_path):
    r = requests.get(f"{upstream.url}/{repo_path}", timeout=60)
    assert r.status_code == 200, (repo_path, r.status_code)
    return r.content


def hub_error(r, status, code):
    assert r.status_code == status, r.text[:300]
    assert r.headers.get("X-Error-Code") == code, r.headers
    assert isinstance(r.json()["error"], str)


@pytest.fixture(scope="module")
def model(module_stack_factory):
    s = module_stack_factory(workers=6)
    repo = "hub-lab/encoder-12mb"
    register(s, "model", HF + repo)
    return s, repo


def run_client(stack, repo, out, *args):
    if not os.path.isdir(CLIENT):
        pytest.fail("@huggingface/hub is missing: run scripts/deps.sh (npm ci in tests/hfhub)")
    done = subprocess.run(
        ["node", HARNESS, "--hub-url", stack.url(""), "--token", hf_token(stack), "--repo", repo,
         "--out", out, *args], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_official_client_lists_downloads_and_snapshots(model, upstream):
    s, repo = model
    out = tempfile.mkdtemp(prefix="hub-client-")
    try:
        result = run_client(s, repo, out, "--file", "config.json")
        listing = requests.get(f"{upstream.url}/api/models/{repo}?blobs=true", timeout=30).json()
        want = {x["rfilename"]: x for x in listing["siblings"]}
        assert {f["path"]: f["size"] for f in result["files"]} == \
            {p: x["size"] for p, x in want.items()}
        for f in result["files"]:  # the upstream ids, kept at ingest
            assert f["oid"] == want[f["path"]]["blobId"]
            if "lfs" in want[f["path"]]:
                assert f["lfs_oid"] == want[f["path"]]["lfs"]["sha256"]
        with open(result["single"], "rb") as fh:
            assert fh.read() == upstream_bytes(upstream, f"{repo}/resolve/main/config.json")
        snap = result["snapshot"]
        assert snap.endswith("/snapshots/" + listing["sha"])
        for path in want:
            with open(os.path.join(snap, path), "rb") as fh:
                got = hashlib.sha256(fh.read()).hexdigest()
            assert got == hashlib.sha256(
                upstream_bytes(upstream, f"{repo}/resolve/main/{path}")).hexdigest(), path
    finally:
        shutil.rmtree(out, ignore_errors=True)


def s_id(stack, repo):
    r = assert_json_status(call(stack, "GET", "/artifact/byName/" + repo.split("/")[1]), 200)
    return r[0]["id"]


def test_dataset_through_the_client(model, upstream):
    s, _ = model
    repo = "hub-lab/corpus"
    register(s, "dataset", HF + "datasets/" + repo)
    out = tempfile.mkdtemp(prefix="hub-client-")
    try:
        result = run_client(s, repo, out, "--type", "dataset", "--steps", "list,snapshot")
        assert result["files"]
        for f in result["files"]:
            if f["type"] != "file":
                continue
            with open(os.path.join(result["snapshot"], f["path"]), "rb") as fh:
                assert fh.read() == upstream_bytes(
                    upstream, f"datasets/{repo}/resolve/main/{f['path']}"), f["path"]
    finally:
        shutil.rmtree(out, ignore_errors=True)


def test_info_tree_and_paths_info(model, upstream):
    s, repo = model
    info = assert_json_status(hub(s, "GET", f"/api/models/{repo}"), 200)
    up = requests.get(f"{upstream.url}/api/models/{repo}?blobs=true", timeout=30).json()
    assert info["id"] == repo and info["sha"] == up["sha"]
    assert {x["rfilename"] for x in info["siblings"]} == {x["rfilename"] for x in up["siblings"]}
    assert assert_json_status(hub(s, "GET", f"/api/models/{repo}/revision/main"), 200)["sha"] \
        == up["sha"]
    tree = assert_json_status(hub(s, "GET", f"/api/models/{repo}/tree/{up['sha']}?recursive=true"),
                              200)
    assert [e["path"] for e in tree] == sorted(e["path"] for e in tree)
    files = {e["path"]: e for e in tree if e["type"] == "file"}
    weights = files["model.safetensors"]
    assert weights["lfs"]["oid"] == next(x["lfs"]["sha256"] for x in up["siblings"]
                                         if x["rfilename"] == "model.safetensors")
    got = assert_json_status(hub(s, "POST", f"/api/models/{repo}/paths-info/main",
                                 json={"paths": ["config.json", "nope.bin"], "expand": True}), 200)
    assert [e["path"] for e in got] == ["config.json"]


def test_resolve_headers_range_and_head(model, upstream):
    s, repo = model
    path = f"/{repo}/resolve/main/model.safetensors"
    whole = upstream_bytes(upstream, f"{repo}/resolve/main/model.safetensors")
    sha = hashlib.sha256(whole).hexdigest()
    up = requests.get(f"{upstream.url}/api/models/{repo}?blobs=true", timeout=30).json()
    lfs = next(x["lfs"]["sha256"] for x in up["siblings"] if x["rfilename"] == "model.safetensors")
    r = hub(s, "GET", path, headers={"Range": "bytes=0-0"})
    assert r.status_code == 206 and r.content == whole[:1]
    assert r.headers["Content-Range"] == f"bytes 0-0/{len(whole)}"
    # the ids upstream gave (the fixture's are generated, not the hash of its bytes)
    assert r.headers["X-Linked-Etag"] == f'"{lfs}"' and r.headers["ETag"] == f'"{lfs}"'
    assert r.headers["X-Linked-Size"] == str(len(whole))
    assert len(r.headers["X-Repo-Commit"]) == 40
    r = hub(s, "GET", path, headers={"Range": "bytes=1000-"})
    assert r.status_code == 206 and r.content == whole[1000:]
    r = hub(s, "GET", path)
    assert r.status_code == 200 and hashlib.sha256(r.content).hexdigest() == sha
    head = hub(s, "HEAD", path)
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(whole))
    r = hub(s, "GET", path, headers={"Range": f"bytes={len(whole)}-"})
    assert r.status_code == 416 and r.headers["Content-Range"] == f"bytes */{len(whole)}"
    trail = assert_json_status(call(s, "GET", f"/artifact/model/{s_id(s, repo)}/audit"), 200)
    assert "DOWNLOAD" in [e["action"] for e in trail]


def test_only_vetted_repositories(model):
    s, repo = model
    hub_error(hub(s, "GET", "/api/models/hub-lab/never-registered"), 404, "RepoNotFound")
    hub_error(hub(s, "GET", "/hub-lab/never-registered/resolve/main/config.json"), 404,
              "RepoNotFound")
    # the gate refuses this one (424), so the Hub API does not have it either
    assert register(s, "model", HF + "fixture-lab/poor-metadata-model", expect=None).status_code \
        == 424
    hub_error(hub(s, "GET", "/api/models/fixture-lab/poor-metadata-model"), 404, "RepoNotFound")
    hub_error(hub(s, "GET", f"/{repo}/resolve/main/nope.bin"), 404, "EntryNotFound")
    hub_error(hub(s, "GET", f"/{repo}/resolve/{'0' * 40}/config.json"), 404, "RevisionNotFound")
    hub_error(hub(s, "GET", f"/api/models/{repo}/tree/main/nodir"), 404, "EntryNotFound")
    r = hub(s, "POST", f"/api/models/{repo}/paths-info/main", json=["config.json"])
    assert r.status_code == 400 and r.json()["error"] == "bad_request", r.text[:200]


def test_file_without_a_copy_and_upstream_down_is_503(model, upstream):
    s, _ = model
    repo = "hub-lab/down-3mb"
    register(s, "model", HF + repo)
    upstream.config(fail="500", fail_paths="/resolve/")
    r = hub(s, "GET", f"/{repo}/resolve/main/config.json")
    upstream.reset()
    assert r.status_code == 503 and r.json()["error"] == "unavailable", r.text[:200]
    assert int(r.headers["Retry-After"]) > 0
    assert hub(s, "GET", f"/{repo}/resolve/main/config.json").status_code == 200


def test_hub_api_needs_a_token_and_the_download_permission(model):
    s, repo = model
    r = hub(s, "GET", f"/api/models/{repo}", token=False)
    assert r.status_code == 403
    searcher = user_token(s, "hub-searcher", permissions=["search"])
    assert hub(s, "GET", f"/{repo}/resolve/main/config.json", token=searcher).status_code == 401
    downloader = user_token(s, "hub-downloader", permissions=["download"])
    assert hub(s, "GET", f"/{repo}/resolve/main/config.json", token=downloader).status_code == 200
    # the registry's own header works too
    assert call(s, "GET", f"/api/models/{repo}").status_code == 200
