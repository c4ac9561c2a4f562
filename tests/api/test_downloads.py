"""Downloads and uploads through the real stack.

A registered artifact is downloadable at once: the first GET /download pulls its bundle through
from the fixture server (a worker streams the zip while a filler process fetches it, once, into
the blob store), later ones are sent by nginx from the stored copy (X-Accel-Redirect). Zip
uploads are checked before anything is stored. Models named "-<N>mb" have N MiB of weights,
served by the fixture at their real size.
"""

import concurrent.futures
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
    MODEL_CARD,
    call,
    enumerate_all,
    make_zip,
    register,
    safetensors_bytes,
    user_token,
)

HF = "https://huggingface.co/"
# A filler still running when a test ends (an earlier test's) finishes within this.
SETTLE = 60
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".onnx", ".gguf", ".h5", ".msgpack",
                   ".ckpt")


@pytest.fixture(scope="module", params=["disk", "s3"])
def dl(request, module_stack_factory):
    """A stack per blob backend (6 workers: 4 may stream a bundle being fetched)."""
    env = request.getfixturevalue("s3_server").env() if request.param == "s3" else {}
    s = module_stack_factory(workers=6, **env)
    s.blobs = request.param
    s.bucket = env.get("S3_BUCKET")
    return s


def blob_stack(request, stack_factory, blobs, **env):
    """A private stack on the given blob backend."""
    if blobs == "s3":
        s3 = request.getfixturevalue("s3_server").env()
        env.update(s3)
    s = stack_factory(**env)
    s.blobs = blobs
    s.bucket = env.get("S3_BUCKET")
    return s


def stored_objects(request, stack):
    """What the blob store holds: files under the data directory's blobs/ (disk), or the
    bucket's keys (s3)."""
    if getattr(stack, "blobs", "disk") == "s3":
        return request.getfixturevalue("s3_server").keys(stack.bucket)
    return files_under(stack, "blobs")


def download(stack, type_, id_, aspect=None, **kw):
    path = f"/download/{type_}/{id_}" + (f"?aspect={aspect}" if aspect else "")
    return call(stack, "GET", path, **kw)


def ok_zip(r, copy=None):
    """The 200 answer's zip; copy: "pull-through" (streamed while fetched) or "stored"."""
    assert r.status_code == 200, r.text[:300]
    assert r.headers["Content-Type"] == "application/zip"
    assert int(r.headers["Content-Length"]) == len(r.content)
    if copy == "pull-through":
        assert r.headers.get("X-Registry-Copy") == "pull-through"
    elif copy == "stored":
        assert r.headers.get("X-Registry-Copy") == "stored"
        assert r.headers["ETag"] == '"%s"' % hashlib.sha256(r.content).hexdigest()
    return zipfile.ZipFile(io.BytesIO(r.content))


def upstream_sha256(upstream, repo_path):
    """The sha256 of a file as the fixture serves it (streamed: files are hundreds of MB)."""
    h = hashlib.sha256()
    with requests.get(f"{upstream.url}/{repo_path}", timeout=60, stream=True) as r:
        assert r.status_code == 200, (repo_path, r.status_code)
        for chunk in r.iter_content(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def upstream_listing(upstream, api_path):
    r = requests.get(f"{upstream.url}{api_path}?blobs=true", timeout=30)
    assert r.status_code == 200
    return {s["rfilename"]: s.get("size") for s in r.json()["siblings"]}


def assert_same_as_upstream(zf, upstream, repo):
    listing = upstream_listing(upstream, f"/api/models/{repo}")
    assert zf.namelist() == sorted(listing)  # sorted entries: a deterministic zip
    for info in zf.infolist():
        assert info.compress_type == zipfile.ZIP_STORED, info.filename
        assert info.file_size == listing[info.filename], info.filename
        h = hashlib.sha256()
        with zf.open(info) as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        assert h.hexdigest() == upstream_sha256(upstream, f"{repo}/resolve/main/{info.filename}")


def files_under(stack, *parts):
    root = os.path.join(stack.data_dir, *parts)
    found = []
    for d, _, files in os.walk(root):
        found += [os.path.relpath(os.path.join(d, f), root) for f in files]
    return sorted(found)


def assert_cut_short(fetch, *args):
    """fetch(*args) answers 200 and then ends the connection before Content-Length bytes (at
    once: the client is not left waiting for its own timeout)."""
    try:
        r = fetch(*args)
    except requests.exceptions.ChunkedEncodingError:
        return  # a urllib3 that checks Content-Length itself
    assert r.status_code == 200, r.text[:300]
    assert len(r.content) < int(r.headers["Content-Length"])


def settle(stack):
    """Waits until no filler runs (no part file is left), so the blob store stands still."""
    deadline = time.time() + SETTLE
    while any(f.endswith(".part") for f in files_under(stack, "fills")):
        assert time.time() < deadline, files_under(stack, "fills")
        time.sleep(0.1)


def resolve_fetches(upstream, since, repo):
    """{path: number of GETs} of the fixture's resolve URLs of repo since the mark."""
    counts = {}
    for e in upstream.log(since=since):
        if e["path"].startswith(f"/{repo}/resolve/") and e["method"] == "GET":
            counts[e["path"]] = counts.get(e["path"], 0) + 1
    return counts


def test_download_right_after_registration(dl, upstream):
    """Register, then download at once: the 300 MiB model is streamed while it is fetched,
    byte-equal to upstream; the next download is the stored copy, sent by nginx."""
    repo = f"dl-lab/first-{dl.blobs}-300mb"
    id_ = register(dl, "model", HF + repo)["metadata"]["id"]
    first = download(dl, "model", id_)
    zf = ok_zip(first, "pull-through")
    assert first.headers["Content-Disposition"] == \
        f'attachment; filename="first-{dl.blobs}-300mb-full.zip"'
    assert_same_as_upstream(zf, upstream, repo)
    assert sum(i.file_size for i in zf.infolist()) > 300 * 1024 * 1024
    settle(dl)
    second = download(dl, "model", id_)
    ok_zip(second, "stored")
    assert second.content == first.content
    trail = assert_json_status(call(dl, "GET", f"/artifact/model/{id_}/audit"), 200)
    assert [e["action"] for e in trail].count("DOWNLOAD") == 2


def test_concurrent_first_downloads_share_one_fetch(dl, upstream):
    s = dl  # 6 workers: 4 may stream, 2 keep answering the API
    repo = f"dl-lab/shared-{s.blobs}-100mb"
    id_ = register(s, "model", HF + repo)["metadata"]["id"]
    mark = upstream.mark()
    upstream.config(delay_ms=300)  # every file answers late: the four requests overlap the fetch
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: download(s, "model", id_), range(4)))
    fetches = resolve_fetches(upstream, mark, repo)
    upstream.reset()
    bodies = {r.content for r in answers}
    assert all(r.status_code == 200 for r in answers), [r.text[:200] for r in answers]
    assert len(bodies) == 1
    assert fetches and set(fetches.values()) == {1}, fetches
    assert call(s, "GET", "/health").status_code == 200


def test_stored_copy_range_and_etag(dl):
    id_ = register(dl, "model", HF + "dl-lab/model-c")["metadata"]["id"]
    whole = download(dl, "model", id_).content
    settle(dl)
    r = call(dl, "GET", f"/download/model/{id_}", headers={"Range": "bytes=1000-1999"})
    assert r.status_code == 206
    assert r.headers["Content-Range"] == f"bytes 1000-1999/{len(whole)}"
    assert r.content == whole[1000:2000]
    etag = call(dl, "GET", f"/download/model/{id_}").headers["ETag"]
    assert etag == '"%s"' % hashlib.sha256(whole).hexdigest()


def test_aspects(dl):
    id_ = register(dl, "model", HF + "dl-lab/model-b")["metadata"]["id"]
    full = ok_zip(download(dl, "model", id_)).namelist()
    weights = ok_zip(download(dl, "model", id_, "weights"))
    card = ok_zip(download(dl, "model", id_, "card"))
    assert weights.namelist() and all(n.endswith(WEIGHT_SUFFIXES) for n in weights.namelist())
    assert set(weights.namelist()) == {n for n in full if n.endswith(WEIGHT_SUFFIXES)}
    assert "README.md" in card.namelist() and "config.json" in card.namelist()
    assert not any(n.endswith(WEIGHT_SUFFIXES) for n in card.namelist())
    # no registered dataset is named by a synthetic card: that aspect has no file
    assert "datasets aspect" in assert_error(download(dl, "model", id_, "datasets"),
                                             "not_found")["detail"]


def test_dataset_and_code_bundles(dl):
    d = register(dl, "dataset", HF + "datasets/dl-lab/data-a")["metadata"]["id"]
    c = register(dl, "code", "https://github.com/dl-lab/code-a")["metadata"]["id"]
    assert ok_zip(download(dl, "dataset", d), "pull-through").namelist()
    assert "README.md" in ok_zip(download(dl, "code", c)).namelist()


def test_download_errors(dl):
    model = register(dl, "model", HF + "dl-lab/model-d")["metadata"]["id"]
    kaggle = register(dl, "dataset",
                      "https://www.kaggle.com/datasets/zynicide/wine-reviews")["metadata"]["id"]
    assert_error(download(dl, "model", "1234567890"), "not_found")
    assert_error(download(dl, "model", "bad_id!"), "bad_request")
    assert_error(download(dl, "widget", model), "bad_request")
    assert_error(download(dl, "dataset", model), "not_found")
    assert "no aspect" in assert_error(download(dl, "model", model, "nope"),
                                       "not_found")["detail"]
    assert_error(download(dl, "dataset", kaggle, "weights"), "not_found")
    assert "Kaggle" in assert_error(download(dl, "dataset", kaggle),
                                    "not_implemented", 501)["detail"]
    assert_error(download(dl, "model", model, token=None), "authentication_failed", 403)
    searcher = user_token(dl, "dl-searcher", permissions=["search"])
    assert_error(download(dl, "model", model, token=searcher), "not_permitted", 401)
    downloader = user_token(dl, "dl-downloader", permissions=["download"])
    assert download(dl, "model", model, token=downloader).status_code == 200


def test_upstream_down_is_503_with_retry_after(dl, upstream):
    id_ = register(dl, "model", HF + "dl-lab/model-down")["metadata"]["id"]
    upstream.config(fail="500", fail_paths="/resolve/")
    r = download(dl, "model", id_)
    upstream.reset()
    body = assert_error(r, "unavailable", 503)
    assert "upstream" in body["detail"], body
    assert int(r.headers["Retry-After"]) > 0
    trail = assert_json_status(call(dl, "GET", f"/artifact/model/{id_}/audit"), 200)
    assert "DOWNLOAD" not in [e["action"] for e in trail]  # nothing was handed out
    ok_zip(download(dl, "model", id_), "pull-through")  # upstream is back


def test_failure_midway_cuts_the_body_and_keeps_nothing(request, dl, upstream):
    """A file failing after the first ones were sent: the client sees a short body (fewer bytes
    than Content-Length), and neither a blob nor a part file is left."""
    id_ = register(dl, "model", HF + "dl-lab/model-midway-20mb")["metadata"]["id"]
    settle(dl)
    blobs_before = stored_objects(request, dl)
    # vocab.txt comes after the weights: under the default scan policy (block) a download
    # answers only once the weights' verdict is in (bundle/fill.h), so a failure before that is
    # a 503, not a cut body.
    upstream.config(fail="500", fail_paths="vocab\\.txt")
    assert_cut_short(download, dl, "model", id_)
    upstream.reset()
    settle(dl)
    assert stored_objects(request, dl) == blobs_before
    ok_zip(download(dl, "model", id_), "pull-through")


BACKENDS = pytest.mark.parametrize("blobs", ["disk", "s3"])


@BACKENDS
def test_bundle_cap(request, stack_factory, blobs):
    s = blob_stack(request, stack_factory, blobs, REGISTRY_BUNDLE_MAX_BYTES=1000000)
    id_ = register(s, "model", HF + "dl-lab/model-capped-5mb")["metadata"]["id"]
    body = assert_error(download(s, "model", id_), "insufficient_storage", 507)
    assert "REGISTRY_BUNDLE_MAX_BYTES" in body["detail"], body
    ok_zip(download(s, "model", id_, "card"))  # the card aspect is below the cap
    settle(s)
    assert not [f for f in files_under(s, "fills") if not f.startswith(".")]


@BACKENDS
def test_free_space_reserve(request, stack_factory, blobs):
    # more than any disk has
    s = blob_stack(request, stack_factory, blobs, REGISTRY_BLOB_RESERVE_BYTES=10**18)
    id_ = register(s, "model", HF + "dl-lab/model-reserve")["metadata"]["id"]
    body = assert_error(download(s, "model", id_), "insufficient_storage", 507)
    assert "REGISTRY_BLOB_RESERVE_BYTES" in body["detail"], body


def test_reingest_serves_the_new_source(dl):
    data = register(dl, "model", HF + "dl-lab/model-e")
    id_ = data["metadata"]["id"]
    first = download(dl, "model", id_).content
    settle(dl)
    body = {"metadata": data["metadata"], "data": {"url": HF + "dl-lab/model-f"}}
    assert_json_status(call(dl, "PUT", f"/artifacts/model/{id_}", json=body), 200)
    second = download(dl, "model", id_)
    ok_zip(second, "pull-through")
    assert second.content != first


@BACKENDS
def test_delete_and_reset_remove_the_blobs(request, stack_factory, blobs):
    """Blobs are shared and counted: the same zip uploaded as a model and as a dataset is one
    blob, kept while either artifact is; a reset takes the blob store back to empty."""
    s = blob_stack(request, stack_factory, blobs)
    data = good_zip()
    m = assert_json_status(upload(s, "model", data), 201)["metadata"]["id"]
    d = assert_json_status(upload(s, "dataset", data), 201)["metadata"]["id"]
    zips = [f for f in stored_objects(request, s) if f.endswith(".zip")]
    assert len(zips) == 1, zips
    assert_json_status(call(s, "DELETE", f"/artifacts/model/{m}"), 200)
    assert [f for f in stored_objects(request, s) if f.endswith(".zip")] == zips
    assert download(s, "dataset", d).content == data
    assert_json_status(call(s, "DELETE", f"/artifacts/dataset/{d}"), 200)
    assert stored_objects(request, s) == []
    for repo in ("dl-lab/gc-a", "dl-lab/gc-b-3mb"):
        id_ = register(s, "model", HF + repo)["metadata"]["id"]
        ok_zip(download(s, "model", id_))
        ok_zip(download(s, "model", id_, "card"))
    settle(s)
    assert stored_objects(request, s)
    assert_json_status(call(s, "DELETE", "/reset"), 200)
    assert stored_objects(request, s) == []
    assert [f for f in files_under(s, "fills") if not f.startswith(".")] == []


def test_two_hosts_share_one_table_and_bucket(backend, stack_factory, s3_server, upstream):
    """Two registry hosts on one DynamoDB table and one bucket: what host A registers, host B
    downloads, byte-equal to upstream; a copy one host stored, the other sends as stored."""
    if backend != "dynamodb":
        pytest.skip("hosts share a DynamoDB table; the SQLite store belongs to one host")
    s3 = s3_server.env()
    a = stack_factory(**s3)
    b = stack_factory(**s3, DYNAMODB_TABLE=a.env["DYNAMODB_TABLE"])
    repo = "dl-lab/two-hosts-30mb"
    id_ = register(a, "model", HF + repo)["metadata"]["id"]
    first = download(b, "model", id_)
    assert_same_as_upstream(ok_zip(first, "pull-through"), upstream, repo)
    settle(b)
    again = download(a, "model", id_)
    ok_zip(again, "stored")
    assert again.content == first.content
    trail = assert_json_status(call(a, "GET", f"/artifact/model/{id_}/audit"), 200)
    assert [e["action"] for e in trail].count("DOWNLOAD") == 2


# -- uploads ---------------------------------------------------------------------------------



def good_zip(extra=b""):
    """A model zip the registry accepts (random weights: every call gives another zip)."""
    return make_zip([("README.md", MODEL_CARD), ("config.json", '{"model_type": "bert"}'),
                     ("model.safetensors", safetensors_bytes(200000))]
                    + ([("extra.txt", extra)] if extra else []))


def upload(stack, type_, data, name="acme-sentiment", **kw):
    path = f"/artifact/{type_}/upload" + (f"?name={name}" if name else "")
    return call(stack, "POST", path, data=data, headers={"Content-Type": "application/zip"}, **kw)


@pytest.fixture(scope="module")
def upload_stack(module_stack_factory):
    return module_stack_factory(REGISTRY_UPLOAD_MAX_BYTES=50 * 1024 * 1024)


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
    ([("README.md", MODEL_CARD), ("../evil", "x")], ".."),
    ([("README.md", MODEL_CARD), ("/etc/x", "x")], "absolute"),
    ([("README.md", MODEL_CARD), (symlink_entry(), "/etc/passwd")], "link"),
], ids=["zip-slip", "absolute", "symlink"])
def test_bad_zips_are_refused_and_leave_nothing(upload_stack, entries, why):
    s = upload_stack
    before = files_under(s, "blobs")
    body = assert_error(upload(s, "model", make_zip(entries), name="bad"), "bad_request")
    assert why in body["detail"], body
    assert files_under(s, "blobs") == before
    assert_error(call(s, "GET", "/artifact/byName/bad"), "not_found")


def test_zip_bomb_is_refused(upload_stack):
    s = upload_stack
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("README.md", MODEL_CARD)
        with zf.open("bomb.bin", "w", force_zip64=True) as f:
            zero = bytes(1024 * 1024)
            for _ in range(200):
                f.write(zero)
    before = files_under(s, "blobs")
    assert len(buf.getvalue()) < 1024 * 1024
    assert_error(upload(s, "dataset", buf.getvalue(), name="bomb"), "bad_request")
    assert files_under(s, "blobs") == before


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
    big = make_zip([("README.md", MODEL_CARD)]) + os.urandom(51 * 1024 * 1024)
    assert_error(upload(s, "model", big, name="big"), "too_large", 413)
    names = {m["name"] for m in enumerate_all(s, [{"name": "*"}])[0]}
    assert not names & {"junk", "empty", "thin", "big"}
