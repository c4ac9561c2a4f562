"""Sensitive models: the mark, the monitor program (a JavaScript file run under Node.js 24 before
every download with MODEL_NAME UPLOADER_USERNAME DOWNLOADER_USERNAME ZIP_FILE_PATH), monitored
downloads and their refusals, the download history, and the Hub API's refusal of a sensitive
model's files.

The stack runs with a short REGISTRY_MONITOR_TIMEOUT_MS so that the hanging program's test ends
soon; nothing here asserts a duration. alice registers the models (their uploader), bob
downloads, carol may only search.
"""

import io
import os
import zipfile

import pytest
from apiutil import (
    assert_error,
    assert_json_status,
    call,
    register,
    user_token,
)

HF = "https://huggingface.co/"
MONITOR_TIMEOUT_MS = 2500

# Exits 0 only when it was given exactly the expected arguments and a readable zip; prints what
# it saw either way.
CHECK_ARGS = r"""
const fs = require('fs');
const [model, uploader, downloader, zip] = process.argv.slice(2);
const head = fs.readFileSync(zip).subarray(0, 2).toString('latin1');
console.log(JSON.stringify({n: process.argv.length - 2, model, uploader, downloader,
                            zip_ok: head === 'PK', zip_size: fs.statSync(zip).size}));
process.exit(process.argv.length === 6 && head === 'PK' && model === '%MODEL%' &&
             uploader === 'alice' && downloader === 'bob' ? 0 : 1);
"""
REFUSE = "console.log('ACME audit: ' + process.argv[4] + ' is not cleared for ' + " \
         "process.argv[2]); process.exit(3);"
HANG = "console.log('calling the audit server'); setInterval(() => {}, 1000);"


@pytest.fixture(scope="module")
def sens(module_stack_factory):
    s = module_stack_factory(workers=4, REGISTRY_MONITOR_TIMEOUT_MS=str(MONITOR_TIMEOUT_MS))
    s.alice = user_token(s, "alice", permissions=("upload", "search", "download"))
    s.bob = user_token(s, "bob", permissions=("search", "download"))
    s.carol = user_token(s, "carol", permissions=("search",))
    s.models = 0
    return s


def new_model(s, name=None):
    """A model registered by alice; returns (id, name)."""
    s.models += 1
    name = name or f"secret-model-{s.models}"
    art = register(s, "model", HF + f"sens-lab/{name}", token=s.alice)
    return art["metadata"]["id"], art["metadata"]["name"]


ALICE = object()  # the helpers' default token: alice's


def as_(s, token):
    return s.alice if token is ALICE else token


def mark(s, id_, token=ALICE, method="PUT"):
    return call(s, method, f"/artifact/model/{id_}/sensitive", token=as_(s, token))


def put_program(s, id_, text, token=ALICE):
    data = text.encode() if isinstance(text, str) else text
    return call(s, "PUT", f"/artifact/model/{id_}/monitor", token=as_(s, token), data=data,
                headers={"Content-Type": "application/javascript"})


def download(s, id_, token):
    return call(s, "GET", f"/download/model/{id_}", token=token)


def history(s, id_, token, offset=None):
    path = f"/artifact/model/{id_}/download-history" + (f"?offset={offset}" if offset else "")
    return call(s, "GET", path, token=token)


def monitor_dir_files(s):
    found = []
    for d, _, files in os.walk(os.path.join(s.data_dir, "monitor")):
        found += [os.path.join(d, f) for f in files]
    return found


def zip_names(r):
    assert r.status_code == 200, r.text[:500]
    assert r.headers["Content-Type"] == "application/zip"
    assert int(r.headers["Content-Length"]) == len(r.content)
    return zipfile.ZipFile(io.BytesIO(r.content)).namelist()


# -- the mark -----------------------------------------------------------------------------------


def test_mark_get_unmark(sens):
    id_, name = new_model(sens)
    assert_error(call(sens, "GET", f"/artifact/model/{id_}/sensitive", token=sens.carol),
                 "not_found")
    body = assert_json_status(mark(sens, id_), 200)
    assert body["artifact"] == {"name": name, "id": id_, "type": "model"}
    assert body["sensitive"] is True and body["has_program"] is False
    assert body["uploader"] == "alice"
    assert body["marked_at"].endswith("Z")
    again = assert_json_status(call(sens, "GET", f"/artifact/model/{id_}/sensitive",
                                    token=sens.carol), 200)
    assert again == body
    # Marking again changes nothing.
    assert assert_json_status(mark(sens, id_), 200) == body
    gone = assert_json_status(mark(sens, id_, method="DELETE"), 200)
    assert gone == {"artifact": body["artifact"], "sensitive": False}
    assert_error(mark(sens, id_, method="DELETE"), "not_found")
    assert_error(call(sens, "GET", f"/artifact/model/{id_}/sensitive"), "not_found")


def test_mark_errors(sens):
    id_, _ = new_model(sens)
    dataset = register(sens, "dataset", HF + "datasets/sens-lab/some-data", token=sens.alice)
    for method in ("PUT", "DELETE"):
        assert_error(mark(sens, id_, token=sens.bob, method=method), "not_permitted", 401)
        assert_error(mark(sens, id_, token=None, method=method), "authentication_failed", 403)
        assert_error(mark(sens, id_, token="bearer not-a-token", method=method),
                     "authentication_failed", 403)
        assert_error(mark(sens, "bad*id", method=method), "bad_request")
        assert_error(mark(sens, "9999999999", method=method), "not_found")
        # Only models can be sensitive: a dataset's id is no model's.
        assert_error(mark(sens, dataset["metadata"]["id"], method=method), "not_found")
    assert_error(call(sens, "GET", f"/artifact/model/{id_}/sensitive", token=None),
                 "authentication_failed", 403)
    assert_error(call(sens, "PUT", f"/artifact/dataset/{id_}/sensitive"), "no_such_route")


# -- the monitor program ------------------------------------------------------------------------


def test_program_attach_replace_get_remove(sens):
    id_, _ = new_model(sens)
    prog = "// ACME \u00e9 monitor\nprocess.exit(0);\n"
    body = assert_json_status(put_program(sens, id_, prog), 200)
    # Attaching marks the model sensitive.
    assert body["sensitive"] is True and body["has_program"] is True
    r = call(sens, "GET", f"/artifact/model/{id_}/monitor", token=sens.carol)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/javascript")
    assert r.content.decode() == prog
    assert_json_status(put_program(sens, id_, "process.exit(1);"), 200)
    assert call(sens, "GET", f"/artifact/model/{id_}/monitor").text == "process.exit(1);"
    # Marking again keeps the program.
    assert assert_json_status(mark(sens, id_), 200)["has_program"] is True
    removed = assert_json_status(call(sens, "DELETE", f"/artifact/model/{id_}/monitor",
                                      token=sens.alice), 200)
    assert removed["sensitive"] is True and removed["has_program"] is False
    assert_error(call(sens, "GET", f"/artifact/model/{id_}/monitor"), "not_found")
    assert_error(call(sens, "DELETE", f"/artifact/model/{id_}/monitor"), "not_found")
    # Unmarking removes the program with the mark.
    assert_json_status(put_program(sens, id_, "process.exit(0);"), 200)
    assert_json_status(mark(sens, id_, method="DELETE"), 200)
    assert_error(call(sens, "GET", f"/artifact/model/{id_}/monitor"), "not_found")
    assert_error(call(sens, "DELETE", f"/artifact/model/{id_}/monitor"), "not_found")


def test_program_errors(sens):
    id_, _ = new_model(sens)
    assert_error(put_program(sens, id_, ""), "bad_request")
    assert_error(put_program(sens, id_, b"process.exit(0);\x00"), "bad_request")
    assert_error(put_program(sens, id_, b"console.log('\xff');"), "bad_request")
    assert_error(put_program(sens, id_, "x" * (64 * 1024 + 1)), "too_large")
    # Exactly the cap is accepted.
    assert_json_status(put_program(sens, id_, "/" * (64 * 1024)), 200)
    assert_error(put_program(sens, id_, "process.exit(0);", token=sens.bob), "not_permitted", 401)
    assert_error(put_program(sens, id_, "process.exit(0);", token=None),
                 "authentication_failed", 403)
    assert_error(call(sens, "DELETE", f"/artifact/model/{id_}/monitor", token=sens.carol),
                 "not_permitted", 401)
    assert_error(call(sens, "GET", f"/artifact/model/{id_}/monitor", token=None),
                 "authentication_failed", 403)
    assert_error(put_program(sens, "9999999999", "process.exit(0);"), "not_found")
    assert_error(put_program(sens, "no/such", "process.exit(0);"), "no_such_route")
    assert_error(call(sens, "GET", "/artifact/model/bad*id/monitor"), "bad_request")


# -- downloads ----------------------------------------------------------------------------------


def test_download_allowed_with_exact_arguments(sens):
    id_, name = new_model(sens)
    assert_json_status(put_program(sens, id_, CHECK_ARGS.replace("%MODEL%", name)), 200)
    # The first download pulls the bundle through into the zip file, the second copies the
    # stored one: both are the same bytes, served after the program passed.
    first = download(sens, id_, sens.bob)
    names = zip_names(first)
    assert first.headers["X-Registry-Copy"] == "monitored"
    assert first.headers["Content-Disposition"] == f'attachment; filename="{name}-full.zip"'
    assert "README.md" in names
    second = download(sens, id_, sens.bob)
    assert second.content == first.content
    # Not sensitive any more: the ordinary download, the same zip.
    assert_json_status(mark(sens, id_, method="DELETE"), 200)
    plain = download(sens, id_, sens.bob)
    assert plain.status_code == 200 and plain.headers["X-Registry-Copy"] != "monitored"
    assert plain.content == first.content
    assert monitor_dir_files(sens) == []
    events = assert_json_status(history(sens, id_, sens.alice), 200)
    assert [(e["user"], e["outcome"]) for e in events] == [("bob", "downloaded")] * 2
    for e in events:
        assert e["monitor"]["exit_code"] == 0 and e["monitor"]["timed_out"] is False
        assert "output" not in e["monitor"]  # kept for refusals only
        assert e["date"].endswith("Z")
    trail = assert_json_status(call(sens, "GET", f"/artifact/model/{id_}/audit"), 200)
    assert [e["action"] for e in trail].count("DOWNLOAD") == 3


def test_wrong_downloader_is_refused_by_the_argument_check(sens):
    """The same argument-checking program refuses alice (DOWNLOADER_USERNAME is not bob): the
    arguments are the caller's, not fixed."""
    id_, name = new_model(sens)
    assert_json_status(put_program(sens, id_, CHECK_ARGS.replace("%MODEL%", name)), 200)
    body = assert_error(download(sens, id_, sens.alice), "forbidden", 403)
    assert '"downloader":"alice"' in body["detail"]
    assert '"uploader":"alice"' in body["detail"]
    assert f'"model":"{name}"' in body["detail"]
    assert '"n":4' in body["detail"]
    assert "exit code 1" in body["detail"]


def test_download_refused_with_the_programs_output(sens):
    id_, name = new_model(sens)
    assert_json_status(put_program(sens, id_, REFUSE), 200)
    body = assert_error(download(sens, id_, sens.bob), "forbidden", 403)
    assert f"ACME audit: bob is not cleared for {name}" in body["detail"]
    assert "exit code 3" in body["detail"]
    assert monitor_dir_files(sens) == []
    events = assert_json_status(history(sens, id_, sens.alice), 200)
    assert len(events) == 1
    e = events[0]
    assert e["user"] == "bob" and e["outcome"] == "refused"
    assert e["monitor"]["exit_code"] == 3
    assert e["monitor"]["output"] == f"ACME audit: bob is not cleared for {name}\n"
    # A refused download is not a DOWNLOAD in the audit trail.
    trail = assert_json_status(call(sens, "GET", f"/artifact/model/{id_}/audit"), 200)
    assert "DOWNLOAD" not in [e["action"] for e in trail]


def test_hanging_program_is_killed_and_refused(sens):
    id_, _ = new_model(sens)
    assert_json_status(put_program(sens, id_, HANG), 200)
    body = assert_error(download(sens, id_, sens.bob), "forbidden", 403)
    assert "REGISTRY_MONITOR_TIMEOUT_MS" in body["detail"]
    assert "calling the audit server" in body["detail"]
    e = assert_json_status(history(sens, id_, sens.alice), 200)[0]
    assert e["outcome"] == "refused" and e["monitor"]["timed_out"] is True
    assert e["monitor"]["exit_code"] is None and e["monitor"]["signal"] == 9
    assert call(sens, "GET", "/health").status_code == 200


def test_chatty_program_is_capped(sens):
    id_, _ = new_model(sens)
    assert_json_status(put_program(sens, id_, "for (let i = 0; i < 64; i++) "
                                   "process.stdout.write('y'.repeat(65536)); process.exitCode = 2;"),
                       200)
    body = assert_error(download(sens, id_, sens.bob), "forbidden", 403)
    assert "truncated" in body["detail"]
    assert body["detail"].count("y") == 64 * 1024
    e = assert_json_status(history(sens, id_, sens.alice), 200)[0]
    assert e["monitor"]["truncated"] is True and len(e["monitor"]["output"]) == 64 * 1024


def test_sensitive_model_without_program(sens):
    id_, _ = new_model(sens)
    assert_json_status(mark(sens, id_), 200)
    r = download(sens, id_, sens.bob)
    zip_names(r)
    assert r.headers["X-Registry-Copy"] in ("pull-through", "stored")
    events = assert_json_status(history(sens, id_, sens.alice), 200)
    assert [(e["user"], e["outcome"], e["monitor"]) for e in events] == [("bob", "downloaded",
                                                                            None)]


# -- the history --------------------------------------------------------------------------------


def test_history_access(sens):
    id_, _ = new_model(sens)
    assert_json_status(mark(sens, id_), 200)
    assert assert_json_status(history(sens, id_, sens.alice), 200) == []
    zip_names(download(sens, id_, sens.bob))
    assert len(assert_json_status(history(sens, id_, sens.token), 200)) == 1
    assert len(assert_json_status(history(sens, id_, sens.alice), 200)) == 1
    assert_error(history(sens, id_, sens.bob), "forbidden", 403)
    # carol may search but is not the uploader.
    assert_error(history(sens, id_, sens.carol), "forbidden", 403)
    assert_error(history(sens, id_, None), "authentication_failed", 403)
    assert_error(history(sens, id_, sens.alice, offset="abc"), "bad_request")
    assert_error(history(sens, "9999999999", sens.alice), "not_found")
    assert_error(history(sens, "bad*id", sens.alice), "bad_request")
    # Unmarked, the history stays readable; deleted, the model (and it) are gone.
    assert_json_status(mark(sens, id_, method="DELETE"), 200)
    assert len(assert_json_status(history(sens, id_, sens.alice), 200)) == 1
    assert call(sens, "DELETE", f"/artifacts/model/{id_}", token=sens.alice).status_code == 200
    assert_error(history(sens, id_, sens.alice), "not_found")


def test_history_pages(sens):
    id_, _ = new_model(sens)
    assert_json_status(mark(sens, id_), 200)
    for _ in range(3):
        zip_names(download(sens, id_, sens.bob))
    r = history(sens, id_, sens.alice)
    events = assert_json_status(r, 200)
    assert len(events) == 3 and "offset" not in r.headers


# -- the Hub-compatible API ---------------------------------------------------------------------


def test_hub_refuses_a_sensitive_models_files(sens):
    id_, name = new_model(sens)
    repo = f"sens-lab/{name}"
    hub = {"Authorization": "Bearer " + sens.bob.split(" ", 1)[1]}
    ok = call(sens, "GET", f"/{repo}/resolve/main/README.md", token=None, headers=hub)
    assert ok.status_code == 200, ok.text[:300]
    assert_json_status(put_program(sens, id_, "process.exit(0);"), 200)
    for method in ("GET", "HEAD"):
        r = call(sens, method, f"/{repo}/resolve/main/README.md", token=None, headers=hub)
        assert r.status_code == 403
        assert r.headers["X-Error-Code"] == "GatedRepo"
    body = call(sens, "GET", f"/{repo}/resolve/main/README.md", token=None, headers=hub).json()
    assert f"/download/model/{id_}" in body["error"]
    # The info stays readable.
    info = call(sens, "GET", f"/api/models/{repo}", token=None, headers=hub)
    assert info.status_code == 200


# -- the runtime --------------------------------------------------------------------------------


def test_health_reports_a_missing_runtime(stack_factory):
    s = stack_factory(REGISTRY_NODE="/nonexistent/node")
    comps = {c["id"]: c for c in assert_json_status(call(s, "GET", "/health/components"),
                                                    200)["components"]}
    c = comps["monitor-runtime"]
    assert c["status"] == "degraded"
    assert [i["code"] for i in c["issues"]] == ["monitor_runtime_missing"]
    # Without the runtime, a monitored download fails on the server's side, not as a refusal.
    art = register(s, "model", HF + "sens-lab/no-runtime")
    id_ = art["metadata"]["id"]
    assert_json_status(put_program(s, id_, "process.exit(0);", token=s.token), 200)
    assert_error(download(s, id_, s.token), "internal_error", 500)
