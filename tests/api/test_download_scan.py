"""The pull-through download scans what it hands out (issue 17).

A model registered from a URL is fetched from upstream by its first download (a filler streams
the files into a zip while the download streams that zip). Every file is scanned as its bytes
pass; under REGISTRY_SCAN_POLICY=block a download hands out no byte of a file before its
verdict, and a refused file stops the fill: nothing is stored, the download answers 424 with
the files, verdicts and imports, and so does every later download of the same source (without
fetching again). Under flag the same model downloads.

The fixture upstream synthesizes the models (tests/fixtures/README.md):
  "<org>/<name>-scan-corrupt-<N>mb"  pytorch_model.bin is a torch zip whose FIRST entry has a
                                     bad CRC: only a full walk of the file sees it (ingest reads
                                     the central directory and data.pkl, and accepts it)
  "<org>/<name>-scan-clean-300mb"    a 300 MiB pytorch_model.bin that scans safe
  "<org>/<name>-scan-dangerous"      data.pkl REDUCEs posix.system (the ingest scan refuses it
                                     under block, so it is downloaded under flag only)
These tests do not depend on whether ingest scans: the models the block tests download are
registered under flag, and the stack then restarted under block.
"""

import hashlib
import io
import os
import time
import uuid
import zipfile

import pytest
import requests
from apiutil import assert_error, assert_json_status, call, register

HF = "https://huggingface.co/"
# A filler still storing the bundle it streamed finishes within this (s).
SETTLE = 60


# The models the block tests download, registered before the stack goes to block (see below).
BLOCK_MODELS = {"corrupt": "corrupt-4mb", "hub": "corrupt-3mb", "clean": "clean-300mb"}


@pytest.fixture(scope="module")
def block(module_stack_factory):
    """A stack under the default policy, block, with BLOCK_MODELS registered (block.repos and
    block.ids by key). They are registered under flag and the stack then restarted under
    block, on the same data: an ingest that scans may refuse -scan-corrupt itself (it reads the
    checkpoint's first entry), and these tests are about what the download does."""
    s = module_stack_factory(workers=4, REGISTRY_SCAN_POLICY="flag")
    s.repos = {k: fresh(case) for k, case in BLOCK_MODELS.items()}
    s.ids = {k: register(s, "model", HF + repo)["metadata"]["id"] for k, repo in s.repos.items()}
    s.restart({"REGISTRY_SCAN_POLICY": "block"})
    return s


@pytest.fixture(scope="module")
def flag(module_stack_factory):
    return module_stack_factory(workers=4, REGISTRY_SCAN_POLICY="flag")


def fresh(case):
    """A model id no test has fetched yet (each fill is keyed by its source)."""
    return f"scan-dl/m{uuid.uuid4().hex[:10]}-scan-{case}"


def download(stack, id_, **kw):
    return call(stack, "GET", f"/download/model/{id_}", **kw)


def resolves(upstream, since):
    """The file fetches (GET .../resolve/...) the fixture served since the mark."""
    return [e for e in upstream.log(since) if "/resolve/" in e.get("path", "")
            and e.get("method", "GET") == "GET"]


def fills_dir(stack):
    return os.path.join(stack.data_dir, "fills")


def leftovers(stack, suffix):
    d = fills_dir(stack)
    return [n for n in os.listdir(d) if n.endswith(suffix)] if os.path.isdir(d) else []


def scan_tally(stack):
    return assert_json_status(call(stack, "GET", "/health/activity", token=None), 200)["scans"]


def test_block_refuses_a_corrupt_model_at_its_first_download(block, upstream):
    id_ = block.ids["corrupt"]
    before = scan_tally(block)

    r = download(block, id_)
    body = assert_error(r, "disqualified", 424)
    # The filler's scan counts on the dashboard's tally (it shares the pool's memory).
    after = scan_tally(block)
    assert after["refused"] == before["refused"] + 1, (before, after)
    assert after["files"]["unknown"] == before["files"]["unknown"] + 1
    assert "pytorch_model.bin" in body["detail"], body
    assert "unknown" in body["detail"], body
    assert "REGISTRY_SCAN_POLICY=block" in body["detail"], body
    assert not leftovers(block, ".part")

    # The refusal stands: the same 424 from the filler's record, without fetching again.
    mark = upstream.mark()
    again = assert_error(download(block, id_), "disqualified", 424)
    assert again["detail"] == body["detail"]
    assert resolves(upstream, mark) == []
    # Nothing was stored: a stored copy would be answered by nginx (X-Registry-Copy: stored).
    assert "X-Registry-Copy" not in download(block, id_).headers


def test_flag_downloads_the_corrupt_model(flag):
    repo = fresh("corrupt-4mb")
    id_ = register(flag, "model", HF + repo)["metadata"]["id"]

    r = download(flag, id_)
    assert r.status_code == 200, r.text[:300]
    assert r.headers.get("X-Registry-Copy") == "pull-through"
    assert int(r.headers["Content-Length"]) == len(r.content)
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        assert "pytorch_model.bin" in z.namelist()
        # The zip the registry writes is sound; the corrupt CRC is inside the torch file.
        assert z.testzip() is None


def test_flag_downloads_a_dangerous_model(flag):
    id_ = register(flag, "model", HF + fresh("dangerous"))["metadata"]["id"]

    r = download(flag, id_)
    assert r.status_code == 200, r.text[:300]
    assert int(r.headers["Content-Length"]) == len(r.content)
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        assert "pytorch_model.bin" in z.namelist()


def sha256_stream(chunks):
    h = hashlib.sha256()
    n = 0
    for c in chunks:
        h.update(c)
        n += len(c)
    return h.hexdigest(), n


def test_block_downloads_a_clean_300mb_model_with_upstreams_bytes(block, upstream, tmp_path):
    repo, id_ = block.repos["clean"], block.ids["clean"]

    path = tmp_path / "bundle.zip"
    with download(block, id_, stream=True) as r:
        assert r.status_code == 200, r.text[:300]
        assert r.headers.get("X-Registry-Copy") == "pull-through"
        length = int(r.headers["Content-Length"])
        with open(path, "wb") as f:
            for chunk in r.iter_content(1 << 20):
                f.write(chunk)
    assert path.stat().st_size == length
    assert length > 300 * 1024 * 1024

    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert "pytorch_model.bin" in names
        assert z.getinfo("pytorch_model.bin").file_size == 300 * 1024 * 1024
        for name in names:
            with z.open(name) as member:
                got = sha256_stream(iter(lambda: member.read(1 << 20), b""))
            with requests.get(f"{upstream.url}/{repo}/resolve/main/{name}", stream=True,
                              timeout=120) as u:
                assert u.status_code == 200, name
                want = sha256_stream(u.iter_content(1 << 20))
            assert got == want, name
    # Once the bundle is stored, its watermark is gone with its part file.
    deadline = time.monotonic() + SETTLE
    while time.monotonic() < deadline:
        with download(block, id_, stream=True) as again:
            if again.headers.get("X-Registry-Copy") == "stored":
                break
        time.sleep(0.2)
    assert again.headers.get("X-Registry-Copy") == "stored"
    assert not [n for n in leftovers(block, ".vetted") + leftovers(block, ".part")
                if n.startswith(id_ + ".")]



def test_the_hub_api_refuses_the_files_of_a_refused_model(block):
    """GET /{repo}/resolve/{rev}/{path} reads the same pull-through fill: even config.json, which
    comes before the refused file in the zip, is not served while the model's fill may still
    be refused, and then answers the scan's 424."""
    repo = block.repos["hub"]
    hf = "hf_" + block.token.split(" ", 1)[1]
    r = call(block, "GET", f"/{repo}/resolve/main/config.json", token=None,
             headers={"Authorization": "Bearer " + hf})
    assert r.status_code == 424, r.text[:300]
    assert r.json()["error"] == "disqualified"
    assert "pytorch_model.bin" in r.json()["detail"]
