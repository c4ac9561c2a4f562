"""Downloads and uploads through the real stack: the bundler builds each artifact's bundle from
the fixture server's files, GET /download answers through nginx (X-Accel-Redirect), and zip
uploads are checked before anything is stored.

Bundles are built in the background, so tests wait for a download to answer 200 (bounded by
BUNDLE_WAIT; a wait, not a timing assertion).
"""

import hashlib
import io
import os
import time
import zipfile

import pytest
import requests
from apiutil import (
    assert_error,
    assert_json_status,
    call,
    enumerate_all,
    register,
    user_token,
)

HF = "https://huggingface.co/"
BUNDLE_WAIT = 60
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".onnx", ".gguf", ".h5", ".msgpack",
                   ".ckpt")


def download(stack, type_, id_, aspect=None, **kw):
    path = f"/download/{type_}/{id_}" + (f"?aspect={aspect}" if aspect else "")
    return call(stack, "GET", path, **kw)


def wait_bundle(stack, type_, id_, aspect=None):
    """The 200 answer once the bundle exists; fails with the last answer after BUNDLE_WAIT."""
    deadline = time.time() + BUNDLE_WAIT
    while True:
        r = download(stack, type_, id_, aspect)
        if r.status_code == 200 or time.time() > deadline:
            assert r.status_code == 200, r.text[:300]
            return r
        assert r.status_code == 404, r.text[:300]
        time.sleep(0.2)


def wait_refusal(stack, type_, id_, aspect=None):
    """The 404 detail once the bundler has recorded why there is no bundle."""
    deadline = time.time() + BUNDLE_WAIT
    while True:
        body = assert_error(download(stack, type_, id_, aspect), "not_found")
        if "being built" not in body["detail"] or time.time() > deadline:
            return body["detail"]
        time.sleep(0.2)


def upstream_file(upstream, repo_path):
    r = requests.get(f"{upstream.url}/{repo_path}", timeout=30)
    assert r.status_code == 200, (repo_path, r.status_code)
    return r.content


def upstream_listing(upstream, api_path):
    r = requests.get(f"{upstream.url}{api_path}?blobs=true", timeout=30)
    assert r.status_code == 200
    return {s["rfilename"]: s.get("size") for s in r.json()["siblings"]}


def temp_files(stack):
    """Files in the blob store's temporary directory (bundles being written)."""
    root = os.path.join(stack.data_dir, "blobs", "tmp")
    return sorted(os.listdir(root)) if os.path.isdir(root) else []


def blob_files(stack):
    """Every file under the data directory's blob store (tmp/ included)."""
    root = os.path.join(stack.data_dir, "blobs")
    found = []
    for d, _, files in os.walk(root):
        found += [os.path.join(d, f) for f in files]
    return sorted(found)


def recorded_blobs(stack):
    """The sha256 of every bundle a record names."""
    import json
    found = set()
    for d, _, files in os.walk(os.path.join(stack.data_dir, "bundles")):
        for f in files:
            with open(os.path.join(d, f)) as fh:
                sha = json.load(fh).get("sha256")
            if sha:
                found.add(sha)
    return found


def assert_nothing_left(stack):
    """No temporary file and no blob that no record names. Builds still running (an earlier
    test's artifacts) pass through both states for an instant, so this waits for them to
    settle; a leak never does."""
    deadline = time.time() + BUNDLE_WAIT
    while True:
        temps = temp_files(stack)
        unnamed = {os.path.basename(f)[:-4] for f in blob_files(stack)
                   if "/tmp/" not in f[len(stack.data_dir):]} - recorded_blobs(stack)
        if (not temps and not unnamed) or time.time() > deadline:
            break
        time.sleep(0.2)
    assert temps == [] and not unnamed, (temps, unnamed)


def test_bundle_holds_the_upstream_files(registry, upstream):
    model = register(registry, "model", HF + "dl-lab/model-a")
    id_ = model["metadata"]["id"]
    r = wait_bundle(registry, "model", id_)
    assert r.headers["Content-Type"] == "application/zip"
    assert r.headers["Content-Disposition"] == 'attachment; filename="model-a-full.zip"'
    assert r.headers["ETag"] == '"%s"' % hashlib.sha256(r.content).hexdigest()
    assert int(r.headers["Content-Length"]) == len(r.content)
    zf = zipfile.ZipFile(io.BytesIO(r.content))
    listing = upstream_listing(upstream, "/api/models/dl-lab/model-a")
    assert sorted(zf.namelist()) == sorted(listing)
    for name in zf.namelist():
        data = zf.read(name)
        assert len(data) == listing[name], name
        want = upstream_file(upstream, f"dl-lab/model-a/resolve/main/{name}")
        assert hashlib.sha256(data).digest() == hashlib.sha256(want).digest(), name
    trail = assert_json_status(call(registry, "GET", f"/artifact/model/{id_}/audit"), 200)
    assert "DOWNLOAD" in [e["action"] for e in trail]


def test_aspects(registry):
    id_ = register(registry, "model", HF + "dl-lab/model-b")["metadata"]["id"]
    full = zipfile.ZipFile(io.BytesIO(wait_bundle(registry, "model", id_).content)).namelist()
    weights = zipfile.ZipFile(io.BytesIO(wait_bundle(registry, "model", id_, "weights").content))
    card = zipfile.ZipFile(io.BytesIO(wait_bundle(registry, "model", id_, "card").content))
    assert weights.namelist() and all(n.endswith(WEIGHT_SUFFIXES) for n in weights.namelist())
    assert set(weights.namelist()) == {n for n in full if n.endswith(WEIGHT_SUFFIXES)}
    assert "README.md" in card.namelist() and "config.json" in card.namelist()
    assert not any(n.endswith(WEIGHT_SUFFIXES) for n in card.namelist())
    # no dataset is named by a synthetic card: no datasets aspect
    assert "being built" in assert_error(download(registry, "model", id_, "datasets"),
                                         "not_found")["detail"]


def test_range_request(registry):
    id_ = register(registry, "model", HF + "dl-lab/model-c")["metadata"]["id"]
    whole = wait_bundle(registry, "model", id_).content
    r = call(registry, "GET", f"/download/model/{id_}", headers={"Range": "bytes=1000-1999"})
    assert r.status_code == 206
    assert r.headers["Content-Range"] == f"bytes 1000-1999/{len(whole)}"
    assert r.content == whole[1000:2000]


def test_dataset_and_code_bundles(registry):
    d = register(registry, "dataset", HF + "datasets/dl-lab/data-a")["metadata"]["id"]
    c = register(registry, "code", "https://github.com/dl-lab/code-a")["metadata"]["id"]
    assert zipfile.ZipFile(io.BytesIO(wait_bundle(registry, "dataset", d).content)).namelist()
    names = zipfile.ZipFile(io.BytesIO(wait_bundle(registry, "code", c).content)).namelist()
    assert "README.md" in names


def test_download_errors(registry):
    model = register(registry, "model", HF + "dl-lab/model-d")["metadata"]["id"]
    kaggle = register(registry, "dataset",
                      "https://www.kaggle.com/datasets/zynicide/wine-reviews")["metadata"]["id"]
    assert_error(download(registry, "model", "1234567890"), "not_found")
    assert_error(download(registry, "model", "bad_id!"), "bad_request")
    assert_error(download(registry, "widget", model), "bad_request")
    assert_error(download(registry, "dataset", model), "not_found")
    assert "no aspect" in assert_error(download(registry, "model", model, "nope"),
                                       "not_found")["detail"]
    assert_error(download(registry, "dataset", kaggle, "weights"), "not_found")
    assert "Kaggle" in wait_refusal(registry, "dataset", kaggle)
    assert_error(download(registry, "model", model, token=None), "authentication_failed", 403)
    searcher = user_token(registry, "dl-searcher", permissions=["search"])
    assert_error(download(registry, "model", model, token=searcher), "not_permitted", 401)
    downloader = user_token(registry, "dl-downloader", permissions=["download"])
    wait_bundle(registry, "model", model)
    assert download(registry, "model", model, token=downloader).status_code == 200


def test_failed_fetch_leaves_nothing(registry, upstream):
    upstream.config(fail="500", fail_paths="model\\.safetensors")
    id_ = register(registry, "model", HF + "dl-lab/model-broken")["metadata"]["id"]
    detail = wait_refusal(registry, "model", id_)
    assert "model.safetensors" in detail, detail
    upstream.reset()
    # the card aspect holds no weights, so it was built; the failed ones left nothing behind:
    # no temporary file, and every blob is one a record names
    wait_bundle(registry, "model", id_, "card")
    assert_nothing_left(registry)


def test_size_cap(stack_factory):
    s = stack_factory(REGISTRY_BUNDLE_MAX_BYTES=1000000)
    id_ = register(s, "model", HF + "dl-lab/model-large")["metadata"]["id"]
    assert "cap" in wait_refusal(s, "model", id_)
    assert_nothing_left(s)


def test_reingest_serves_the_new_source(registry):
    data = register(registry, "model", HF + "dl-lab/model-e")
    id_ = data["metadata"]["id"]
    first = wait_bundle(registry, "model", id_).headers["ETag"]
    body = {"metadata": data["metadata"], "data": {"url": HF + "dl-lab/model-f"}}
    assert_json_status(call(registry, "PUT", f"/artifacts/model/{id_}", json=body), 200)
    deadline = time.time() + BUNDLE_WAIT
    while True:
        r = download(registry, "model", id_)
        if r.status_code == 200 and r.headers["ETag"] != first:
            break
        assert time.time() < deadline, r.text[:200]
        time.sleep(0.2)


# -- uploads ---------------------------------------------------------------------------------

README = """---
license: mit
library_name: transformers
pipeline_tag: text-classification
---
# acme-sentiment

ACME's sentiment classifier for support tickets, fine-tuned on two years of labelled tickets.
It tells positive, neutral and negative messages apart so that urgent complaints reach a person
first. The word zebracorn appears only in this card.

## How to use

```python
from transformers import pipeline

classifier = pipeline("text-classification", model="acme-sentiment")
print(classifier("The update broke my login again."))
```

## Evaluation results

| split | accuracy | F1 |
|---|---|---|
| validation | 0.912 | 0.905 |
| test | 0.907 | 0.899 |

## Training

Three epochs, learning rate 2e-5, batch size 32, on 120,000 tickets written in English. The
tickets were de-identified before labelling; each was labelled by two annotators and any
disagreement was resolved by a third. The model is meant for routing, not for automated replies.
"""


def make_zip(entries):
    """A zip of [(name or ZipInfo, bytes)]."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


def good_zip(extra=b""):
    return make_zip([("README.md", README), ("config.json", '{"model_type": "bert"}'),
                     ("model.safetensors", os.urandom(200000) + extra)])


def upload(stack, type_, data, name="acme-sentiment", **kw):
    path = f"/artifact/{type_}/upload" + (f"?name={name}" if name else "")
    return call(stack, "POST", path, data=data, headers={"Content-Type": "application/zip"}, **kw)


@pytest.fixture(scope="module")
def upload_stack(module_stack_factory):
    return module_stack_factory(REGISTRY_BUNDLE_MAX_BYTES=50 * 1024 * 1024)


def test_upload_roundtrip(upload_stack):
    s = upload_stack
    data = good_zip()
    created = assert_json_status(upload(s, "model", data), 201)
    id_ = created["metadata"]["id"]
    assert created["metadata"]["name"] == "acme-sentiment"
    assert created["data"]["url"] == "upload://" + hashlib.sha256(data).hexdigest()
    found = assert_json_status(call(s, "POST", "/artifact/byRegEx", json={"regex": "zebracorn"}),
                               200)
    assert [m["id"] for m in found] == [id_]
    assert download(s, "model", id_).content == data
    rating = assert_json_status(call(s, "GET", f"/artifact/model/{id_}/rate"), 200)
    assert rating["license"] == 1 and rating["net_score"] >= 0.5
    cost = assert_json_status(call(s, "GET", f"/artifact/model/{id_}/cost"), 200)
    assert cost[id_]["total_cost"] > 0.19
    assert_error(upload(s, "model", data), "conflict")  # the same zip again
    assert "kept as uploaded" in assert_error(download(s, "model", id_, "weights"),
                                              "not_found")["detail"]


def symlink_entry():
    info = zipfile.ZipInfo("link")
    info.external_attr = (0o120777 << 16)
    info.create_system = 3
    return info


@pytest.mark.parametrize("entries,why", [
    ([("README.md", README), ("../evil", "x")], ".."),
    ([("README.md", README), ("/etc/x", "x")], "absolute"),
    ([("README.md", README), (symlink_entry(), "/etc/passwd")], "link"),
], ids=["zip-slip", "absolute", "symlink"])
def test_bad_zips_are_refused_and_leave_nothing(upload_stack, entries, why):
    s = upload_stack
    before = blob_files(s)
    body = assert_error(upload(s, "model", make_zip(entries), name="bad"), "bad_request")
    assert why in body["detail"], body
    assert blob_files(s) == before
    assert_error(call(s, "GET", "/artifact/byName/bad"), "not_found")


def test_zip_bomb_is_refused(upload_stack):
    s = upload_stack
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("README.md", README)
        with zf.open("bomb.bin", "w", force_zip64=True) as f:
            zero = bytes(1024 * 1024)
            for _ in range(200):
                f.write(zero)
    before = blob_files(s)
    assert len(buf.getvalue()) < 1024 * 1024
    assert_error(upload(s, "dataset", buf.getvalue(), name="bomb"), "bad_request")
    assert blob_files(s) == before


def test_upload_errors(upload_stack):
    s = upload_stack
    assert_error(upload(s, "model", good_zip(b"1"), name=None), "bad_request")
    assert_error(upload(s, "model", b"this is not a zip", name="junk"), "bad_request")
    assert_error(upload(s, "model", b"", name="empty"), "bad_request")
    assert_error(upload(s, "widget", good_zip(b"2")), "bad_request")
    assert_error(upload(s, "model", good_zip(b"3"), token=None), "authentication_failed", 403)
    searcher = user_token(s, "up-searcher", permissions=["search"])
    assert_error(upload(s, "model", good_zip(b"4"), token=searcher), "not_permitted", 401)
    thin = make_zip([("README.md", "# x\n"), ("model.safetensors", b"0" * 100)])
    assert_error(upload(s, "model", thin, name="thin"), "disqualified", 424)
    big = make_zip([("README.md", README)]) + os.urandom(51 * 1024 * 1024)
    assert_error(upload(s, "model", big, name="big"), "too_large", 413)
    names = {m["name"] for m in enumerate_all(s, [{"name": "*"}])[0]}
    assert not names & {"junk", "empty", "thin", "big"}
