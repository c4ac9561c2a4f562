"""Atomic package groups (core/groups.h): POST /groups, POST /groups/{id}/commands,
POST /groups/{id}/uploads, POST /groups/{id}/execute, GET /groups/{id}.

Runs on the store REGISTRY_TEST_STORE names: the happy path, every error status, a reader
polling enumerate and byName while a group of several artifacts executes (it sees all of them or
none), an upstream failing for the third ingest (nothing visible), expiry, and, on DynamoDB
behind the fault-injecting proxy (whatever the store, like test_dynamodb_faults.py), the store
failing after the first artifact was written and a commit that dies before its flip, cleaned up
by the sweep. Upload commands go through nginx as artifact uploads do (the body stored to a file,
the upload check first): staged at append, visible and downloadable only after the execute, and
their staged zips released when the group fails or expires.
"""

import concurrent.futures
import io
import os
import threading
import time
import urllib.parse
import zipfile

import pytest

import faulty_dynamo
from apiutil import (
    MODEL_CARD,
    assert_error,
    assert_json_status,
    call,
    enumerate_all,
    make_zip,
    register,
    safetensors_bytes,
    user_token,
)

HF = "https://huggingface.co/"


def model_url(tag, i):
    return f"{HF}groups-{tag}/model-{i}"


def new_group(s, **body):
    kw = {k: body.pop(k) for k in list(body) if k == "token"}
    if body:
        kw["json"] = body
    return call(s, "POST", "/groups", **kw)


def make_group(s, **body):
    g = assert_json_status(new_group(s, **body), 201)
    assert g["state"] == "open" and g["commands"] == [] and g["result"] is None
    return g["id"]


def append(s, gid, cmd, **kw):
    return call(s, "POST", f"/groups/{gid}/commands", json=cmd, **kw)


def ingest(type_, url, name=None):
    cmd = {"op": "ingest", "type": type_, "url": url}
    if name:
        cmd["name"] = name
    return cmd


def execute(s, gid, **kw):
    return call(s, "POST", f"/groups/{gid}/execute", **kw)


def upload(s, gid, type_, data, name, **kw):
    query = urllib.parse.urlencode({k: v for k, v in (("type", type_), ("name", name)) if v})
    return call(s, "POST", f"/groups/{gid}/uploads?{query}", data=data,
                headers={"Content-Type": "application/zip"}, **kw)


def model_zip():
    """A model zip the rating accepts (random weights: each call gives another zip); the card
    names acme-sentiment, so it is uploaded under that name."""
    return make_zip([("README.md", MODEL_CARD), ("config.json", '{"model_type": "bert"}'),
                     ("model.safetensors", safetensors_bytes(200000))])


def dataset_zip(tag):
    return make_zip([("README.md", f"# {tag}\nRows for the group tests.\n"),
                     ("train.csv", f"text,label\n{tag},1\n")])


def blob_files(s):
    """Files under the data directory's blobs/ (the disk blob store: zips, records, markers)."""
    root = os.path.join(s.data_dir, "blobs")
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, files in os.walk(root) for f in files)


def names(s):
    items, _ = enumerate_all(s, [{"name": "*"}])
    return sorted(i["name"] for i in items)


def test_group_happy_path(registry):
    s = registry
    base = register(s, "model", model_url("happy", 0))
    gid = make_group(s)
    for i in (1, 2):
        g = assert_json_status(append(s, gid, ingest("model", model_url("happy", i))), 201)
        assert len(g["commands"]) == i
    assert_json_status(append(s, gid, ingest("dataset", HF + "datasets/squad", "squad-set")), 201)
    upd = {"op": "update", "type": "model", "id": base["metadata"]["id"],
           "url": model_url("happy", 9)}
    assert_json_status(append(s, gid, upd), 201)
    # appended, not executed: nothing new is visible
    assert names(s) == ["model-0"]
    arts = assert_json_status(execute(s, gid), 200)
    assert [a["metadata"]["name"] for a in arts] == ["model-1", "model-2", "squad-set", "model-0"]
    assert sorted(names(s)) == ["model-0", "model-1", "model-2", "squad-set"]
    got = assert_json_status(call(s, "GET", f"/artifacts/model/{base['metadata']['id']}"), 200)
    assert got["data"]["url"] == model_url("happy", 9)
    g = assert_json_status(call(s, "GET", f"/groups/{gid}"), 200)
    assert g["state"] == "committed"
    assert [a["id"] for a in g["result"]["artifacts"]] == [a["metadata"]["id"] for a in arts]
    # each command leaves its audit entry, as the single-artifact calls do
    trail = assert_json_status(call(s, "GET", f"/artifact/model/{arts[0]['metadata']['id']}/audit"),
                               200)
    assert trail[0]["action"] == "CREATE"


@pytest.mark.parametrize("cmd, words", [
    ({"op": "delete", "type": "model", "url": HF + "a/b"}, "op 'delete'"),
    ({"op": "ingest", "type": "film", "url": HF + "a/b"}, "command 1 (ingest)"),
    ({"op": "ingest", "type": "model"}, "url"),
    ({"op": "ingest", "type": "model", "url": "ftp://huggingface.co/a/b"}, "command 1"),
    ({"op": "ingest", "type": "model", "url": HF + "a/b", "name": "*"}, "command 1"),
    ({"op": "ingest", "type": "model", "url": HF + "a/b", "id": "123"}, "takes no id"),
    ({"op": "update", "type": "model", "url": HF + "a/b"}, "names the artifact's id"),
    ({"op": "update", "type": "model", "url": HF + "a/b", "id": "999999999999"}, "to update"),
    ({"type": "model", "url": HF + "a/b"}, "op"),
    ([1, 2], ""),
])
def test_bad_command_is_400_naming_it(registry, cmd, words):
    gid = make_group(registry)
    r = append(registry, gid, cmd)
    body = assert_error(r, "bad_request", 400)
    assert words in body["detail"], body
    g = assert_json_status(call(registry, "GET", f"/groups/{gid}"), 200)
    assert g["commands"] == []


def test_overlapping_commands_and_limits(registry):
    s = registry
    gid = make_group(s)
    assert_json_status(append(s, gid, ingest("model", model_url("dup", 1))), 201)
    body = assert_error(append(s, gid, ingest("model", model_url("dup", 1), "other")),
                        "bad_request", 400)
    assert "command 2" in body["detail"] and "already names" in body["detail"]
    for i in range(2, 17):
        assert_json_status(append(s, gid, ingest("model", model_url("dup", i))), 201)
    body = assert_error(append(s, gid, ingest("model", model_url("dup", 17))), "bad_request", 400)
    assert "16 commands" in body["detail"]
    empty = make_group(s)
    assert "no commands" in assert_error(execute(s, empty), "bad_request", 400)["detail"]
    assert_error(new_group(s, ttl=0), "bad_request", 400)
    assert_error(new_group(s, ttl="1"), "bad_request", 400)
    assert_error(new_group(s, ttl=86401), "bad_request", 400)


def test_unknown_group_is_404(registry):
    s = registry
    assert_error(call(s, "GET", "/groups/not%20an%20id"), "bad_request", 400)
    assert_error(call(s, "POST", "/groups", data="[1]"), "bad_request", 400)
    assert_error(call(s, "GET", "/groups/12345678901"), "not_found", 404)
    assert_error(append(s, "12345678901", ingest("model", model_url("x", 1))), "not_found", 404)
    assert_error(execute(s, "12345678901"), "not_found", 404)


def test_execute_twice_and_append_after_are_409(registry):
    s = registry
    gid = make_group(s)
    assert_json_status(append(s, gid, ingest("model", model_url("twice", 1))), 201)
    assert_json_status(execute(s, gid), 200)
    assert "a group executes once" in assert_error(execute(s, gid), "conflict", 409)["detail"]
    assert "takes no more" in assert_error(append(s, gid, ingest("model", model_url("twice", 2))),
                                           "conflict", 409)["detail"]


def test_concurrent_executes_one_wins(registry):
    s = registry
    gid = make_group(s)
    for i in range(3):
        assert_json_status(append(s, gid, ingest("model", model_url("race2", i))), 201)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(lambda _: execute(s, gid).status_code, range(2)))
    assert codes == [200, 409], codes
    assert names(s) == ["model-0", "model-1", "model-2"]


def test_refused_model_fails_the_group_424(registry):
    s = registry
    gid = make_group(s)
    assert_json_status(append(s, gid, ingest("model", model_url("gate", 1))), 201)
    assert_json_status(append(s, gid, ingest("model", HF + "fixture-lab/poor-metadata-model")),
                       201)
    body = assert_error(execute(s, gid), "disqualified", 424)
    assert "command 2" in body["detail"], body
    assert names(s) == []
    g = assert_json_status(call(s, "GET", f"/groups/{gid}"), 200)
    assert g["state"] == "failed" and g["result"]["error"] == "disqualified"
    assert_error(execute(s, gid), "conflict", 409)


def test_url_registered_meanwhile_fails_the_group(registry):
    s = registry
    gid = make_group(s)
    assert_json_status(append(s, gid, ingest("model", model_url("taken", 1))), 201)
    assert_json_status(append(s, gid, ingest("model", model_url("taken", 2))), 201)
    register(s, "model", model_url("taken", 2))
    assert_error(execute(s, gid), "conflict", 409)
    assert names(s) == ["model-2"]


def test_artifact_deleted_after_its_update_was_appended_fails_the_group(registry):
    s = registry
    base = register(s, "model", model_url("gone", 0))
    gid = make_group(s)
    assert_json_status(append(s, gid, ingest("model", model_url("gone", 1))), 201)
    upd = {"op": "update", "type": "model", "id": base["metadata"]["id"],
           "url": model_url("gone", 9)}
    assert_json_status(append(s, gid, upd), 201)
    assert_json_status(call(s, "DELETE", f"/artifacts/model/{base['metadata']['id']}"), 200)
    body = assert_error(execute(s, gid), "conflict", 409)
    assert "command 2" in body["detail"] and "deleted meanwhile" in body["detail"], body
    assert names(s) == []


def test_auth(registry):
    s = registry
    assert new_group(s, token=None).status_code == 403
    reader = user_token(s, "grp-reader", ["search"])
    assert new_group(s, token=reader).status_code == 401
    gid0 = make_group(s)
    for method, path in (("GET", ""), ("POST", "/commands"), ("POST", "/execute")):
        assert call(s, method, f"/groups/{gid0}{path}", token=None).status_code == 403
        assert call(s, method, f"/groups/{gid0}{path}", token=reader).status_code == 401
    alice = user_token(s, "grp-alice", ["upload", "search"])
    bob = user_token(s, "grp-bob", ["upload", "search"])
    gid = assert_json_status(new_group(s, token=alice), 201)["id"]
    assert_error(call(s, "GET", f"/groups/{gid}", token=bob), "forbidden", 403)
    assert_error(append(s, gid, ingest("model", model_url("auth", 1)), token=bob), "forbidden",
                 403)
    assert_error(execute(s, gid, token=bob), "forbidden", 403)
    # the owner and an admin may
    assert_json_status(append(s, gid, ingest("model", model_url("auth", 1)), token=alice), 201)
    assert_json_status(call(s, "GET", f"/groups/{gid}"), 200)


def test_upstream_failing_for_third_ingest_leaves_nothing(registry, upstream):
    s = registry
    gid = make_group(s)
    for i in range(4):
        assert_json_status(append(s, gid, ingest("model", model_url("fail3", i))), 201)
    upstream.config(fail="500", fail_paths="groups-fail3/model-2")
    body = assert_error(execute(s, gid), "upstream_error", 502)
    assert "command 3" in body["detail"], body
    assert names(s) == []
    assert assert_json_status(call(s, "GET", f"/groups/{gid}"), 200)["state"] == "failed"


def test_reader_racing_the_execute_sees_all_or_none(registry, upstream):
    s = registry
    n = 6
    gid = make_group(s)
    for i in range(n):
        assert_json_status(append(s, gid, ingest("model", model_url("race", i), f"race-{i}")), 201)
    # slow upstream answers stretch the execute, so the readers poll many times across it
    upstream.config(delay_ms=40)
    seen, done = [], threading.Event()

    def poll():
        while not done.is_set():
            items, _ = enumerate_all(s, [{"name": "*"}])
            seen.append(len(items))
            r = call(s, "GET", "/artifact/byName/race-3")
            seen.append(n if r.status_code == 200 else 0)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        readers = [pool.submit(poll) for _ in range(2)]
        try:
            arts = assert_json_status(execute(s, gid), 200)
        finally:
            done.set()
        for f in readers:
            f.result()
    assert len(arts) == n
    assert seen and set(seen) <= {0, n}, sorted(set(seen))
    assert len(names(s)) == n


def test_expired_group_is_swept(registry):
    s = registry
    gid = make_group(s, ttl=1)
    assert_json_status(append(s, gid, ingest("model", model_url("ttl", 1))), 201)
    time.sleep(2.1)
    make_group(s)  # creating a group sweeps the expired ones
    assert_error(call(s, "GET", f"/groups/{gid}"), "not_found", 404)
    assert_error(execute(s, gid), "not_found", 404)


def test_upload_commands_commit_with_the_group(registry):
    s = registry
    gid = make_group(s)
    model, data = model_zip(), dataset_zip("grp-up")
    g = assert_json_status(upload(s, gid, "model", model, "acme-sentiment"), 201)
    assert g["commands"][0]["op"] == "upload" and g["commands"][0]["size"] == len(model)
    assert g["commands"][0]["url"].startswith("upload://")
    assert_json_status(upload(s, gid, "dataset", data, "grp-rows"), 201)
    assert_json_status(append(s, gid, ingest("model", model_url("up", 1))), 201)
    # staged, not executed: nothing is visible
    assert names(s) == []
    arts = assert_json_status(execute(s, gid), 200)
    assert [a["metadata"]["name"] for a in arts] == ["acme-sentiment", "grp-rows", "model-1"]
    assert names(s) == ["acme-sentiment", "grp-rows", "model-1"]
    # the uploads download as the zips sent; each rated and scanned like a single upload
    for art, sent in ((arts[0], model), (arts[1], data)):
        meta = art["metadata"]
        r = call(s, "GET", f"/download/{meta['type']}/{meta['id']}")
        assert r.status_code == 200 and r.content == sent
    rating = assert_json_status(call(s, "GET", f"/artifact/model/{arts[0]['metadata']['id']}/rate"),
                                200)
    assert rating["net_score"] > 0
    report = assert_json_status(
        call(s, "GET", f"/artifact/model/{arts[0]['metadata']['id']}/security"), 200)
    assert report["scanned"] is True
    trail = assert_json_status(call(s, "GET", f"/artifact/dataset/{arts[1]['metadata']['id']}/audit"),
                               200)
    assert trail[0]["action"] == "CREATE"


def test_upload_command_errors(registry):
    s = registry
    gid = make_group(s)
    data = dataset_zip("grp-err")
    slip = make_zip([("README.md", "# x\n"), ("../evil.txt", "x")])
    for args, words in (((b"not a zip", "n1"), "command 1 (upload)"),
                        ((slip, "n2"), "command 1 (upload)"),
                        ((data, None), "name"),
                        ((b"", "n3"), "zip")):
        body = assert_error(upload(s, gid, "dataset", *args), "bad_request", 400)
        assert words in body["detail"], body
    assert_error(upload(s, gid, "film", data, "n4"), "bad_request", 400)
    assert_json_status(upload(s, gid, "dataset", data, "rows"), 201)
    body = assert_error(upload(s, gid, "dataset", data, "rows-again"), "bad_request", 400)
    assert "already names" in body["detail"], body
    # a client cannot name a staged zip in a JSON command
    forged = {"op": "upload", "type": "dataset", "url": "upload://" + "0" * 64, "name": "x"}
    body = assert_error(append(s, gid, forged), "bad_request", 400)
    assert "/uploads" in body["detail"], body
    assert_error(upload(s, "424242424242", "dataset", data, "rows"), "not_found", 404)
    assert upload(s, gid, "dataset", data, "rows", token=None).status_code == 403
    reader = user_token(s, "grp-up-reader", ["search"])
    assert upload(s, gid, "dataset", data, "rows", token=reader).status_code == 401
    bob = user_token(s, "grp-up-bob", ["upload", "search"])
    assert_error(upload(s, gid, "dataset", dataset_zip("bob"), "rows", token=bob), "forbidden",
                 403)
    assert len(assert_json_status(call(s, "GET", f"/groups/{gid}"), 200)["commands"]) == 1
    assert_json_status(execute(s, gid), 200)
    assert_error(upload(s, gid, "dataset", dataset_zip("late"), "late"), "conflict", 409)


def test_upload_command_too_large_or_no_room(stack_factory):
    """nginx's limits apply to a group's upload as to an artifact's: a body over
    REGISTRY_UPLOAD_MAX_BYTES is 413, and one that would eat into the disk's reserve is 507 (the
    upload check, before the body is read); the group takes neither."""
    small = stack_factory(REGISTRY_UPLOAD_MAX_BYTES=str(1024 * 1024))
    gid = make_group(small)
    big = dataset_zip("grp-big") + os.urandom(2 * 1024 * 1024)
    assert_error(upload(small, gid, "dataset", big, "big"), "too_large", 413)
    full = stack_factory(REGISTRY_BLOB_RESERVE_BYTES=str(2**62))
    gid2 = make_group(full)
    body = assert_error(upload(full, gid2, "dataset", dataset_zip("grp-full"), "rows"),
                        "insufficient_storage", 507)
    assert "REGISTRY_BLOB_RESERVE_BYTES" in body["detail"], body
    for s, g in ((small, gid), (full, gid2)):
        assert assert_json_status(call(s, "GET", f"/groups/{g}"), 200)["commands"] == []


def test_upload_refused_at_execute_leaves_nothing(registry):
    s = registry
    before = blob_files(s)
    gid = make_group(s)
    assert_json_status(upload(s, gid, "dataset", dataset_zip("grp-refused"), "rows"), 201)
    weak = make_zip([("README.md", "# tiny\n"), ("config.json", '{"model_type": "bert"}')])
    assert_json_status(upload(s, gid, "model", weak, "tiny"), 201)
    assert len(blob_files(s)) > len(before)  # staged
    body = assert_error(execute(s, gid), "disqualified", 424)
    assert "command 2 (upload)" in body["detail"], body
    assert names(s) == []
    assert assert_json_status(call(s, "GET", f"/groups/{gid}"), 200)["state"] == "failed"
    assert blob_files(s) == before  # the staged zips, and the records of the new ids, released


def test_upload_commands_on_the_s3_blob_store(stack_factory, s3_server):
    """The staged record, the artifact's record and their release, on S3 (a bucket listing
    finds the staged records by prefix)."""
    env = s3_server.env()
    s = stack_factory(**env)
    before = s3_server.keys(env["S3_BUCKET"])
    failing = make_group(s)
    assert_json_status(upload(s, failing, "dataset", dataset_zip("grp-s3-a"), "rows-a"), 201)
    weak = make_zip([("README.md", "# tiny\n"), ("config.json", '{"model_type": "bert"}')])
    assert_json_status(upload(s, failing, "model", weak, "tiny"), 201)
    assert any("/g-" in k for k in s3_server.keys(env["S3_BUCKET"]))
    assert_error(execute(s, failing), "disqualified", 424)
    assert s3_server.keys(env["S3_BUCKET"]) == before
    gid = make_group(s)
    data = dataset_zip("grp-s3-b")
    assert_json_status(upload(s, gid, "dataset", data, "rows-b"), 201)
    art = assert_json_status(execute(s, gid), 200)[0]["metadata"]
    keys = s3_server.keys(env["S3_BUCKET"])
    assert not any("/g-" in k for k in keys) and any(art["id"] in k for k in keys), keys
    r = call(s, "GET", f"/download/dataset/{art['id']}")
    assert r.status_code == 200 and r.content == data


def test_expired_group_releases_its_staged_zips(registry):
    s = registry
    before = blob_files(s)
    gid = make_group(s, ttl=1)
    assert_json_status(upload(s, gid, "dataset", dataset_zip("grp-ttl"), "rows"), 201)
    assert len(blob_files(s)) > len(before)
    time.sleep(2.1)
    make_group(s)  # creating a group sweeps expired groups and their staged zips
    assert blob_files(s) == before


# -- DynamoDB faults (behind faulty_dynamo's proxy, whatever REGISTRY_TEST_STORE says) ---------


@pytest.fixture
def faulty(dynalite, stack_factory):
    s = faulty_dynamo.faulty_stack(dynalite, stack_factory, "groups")
    yield s
    s.proxy.stop()


def test_dynamodb_store_failing_after_first_write_leaves_nothing(faulty):
    s = faulty
    gid = make_group(s)
    for i in range(3):
        assert_json_status(append(s, gid, ingest("model", model_url("ddbfail", i))), 201)
    # every attempt at claiming the second artifact's URL fails: the first is written by then
    s.proxy.fail("PutItem", 8, match="groups-ddbfail/model-1")
    r = execute(s, gid)
    assert r.status_code >= 500, r.text
    assert names(s) == []
    # undone, not just hidden: the first URL is free again
    register(s, "model", model_url("ddbfail", 0))


def test_dynamodb_commit_dying_before_its_flip_is_swept(faulty):
    s = faulty
    gid = make_group(s, ttl=2)
    for i in range(3):
        assert_json_status(append(s, gid, ingest("model", model_url("ddbcrash", i))), 201)
    # the flip fails, and so does every undo (as if the worker had died): the marked items stay
    s.proxy.fail("UpdateItem", 8, match=":committed")
    s.proxy.fail("DeleteItem", 50, match="grp = :v")
    r = execute(s, gid)
    assert r.status_code >= 500, r.text
    assert names(s) == []
    assert_error(call(s, "GET", "/artifact/byName/model-0"), "not_found", 404)
    # the URL is still held by the invisible item until the sweep
    assert register(s, "model", model_url("ddbcrash", 0), expect=None).status_code == 409
    s.proxy.clear()
    time.sleep(3.1)
    make_group(s)  # sweeps: the expired group's marked items are removed
    assert names(s) == []
    register(s, "model", model_url("ddbcrash", 0))
