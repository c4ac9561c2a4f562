"""The model scan of uploads (lib/scan, core/security.h) through the real stack, on both stores:
every file of an uploaded zip is scanned as it is decompressed; under REGISTRY_SCAN_POLICY=block
(the default) a model with a dangerous or unknown file is refused with 424 naming the file and
its imports, and nothing is stored; flag keeps it with its report; off scans nothing. The report
is served by GET /artifact/{type}/{id}/security. Pickles are built here, byte by byte, never
loaded."""
import collections
import io
import pickle
import urllib.parse
import zipfile

import pytest

from apiutil import (MODEL_CARD, assert_error, assert_json_status, call, make_zip, register,
                     safetensors_bytes, user_token)

HF = "https://huggingface.co/"
# Protocol 0: os.system("id") - the classic.
EVIL = b"cos\nsystem\n(S'id'\ntR."
# Protocol 2 importing a class nobody vetted: suspicious, not dangerous.
ODD = b"\x80\x02cmylib.models\nThing\nq\x00)\x81q\x01."


def torch_zip(data_pkl, stored=True):
    """A PyTorch checkpoint (a zip whose archive/data.pkl is the pickle)."""
    buf = io.BytesIO()
    mode = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buf, "w", mode) as zf:
        zf.writestr("archive/data.pkl", data_pkl)
        zf.writestr("archive/version", "3\n")
        zf.writestr("archive/data/0", b"\0" * 64)
    return buf.getvalue()


def model_zip(*files, config='{"model_type": "bert"}'):
    """A model zip the rating accepts (its card, config.json and 200 kB of safetensors weights:
    the size score needs them) with files added."""
    return make_zip([("README.md", MODEL_CARD), ("config.json", config),
                     ("model.safetensors", safetensors_bytes(200000)), *files])


# The card's usage example names acme-sentiment (the rating's ramp-up reads it), so every model
# here is uploaded under that name; each zip differs (random weights), so none conflicts.
MODEL = "acme-sentiment"


def upload(stack, type_, data, name=MODEL, **kw):
    path = f"/artifact/{type_}/upload?name={urllib.parse.quote(name, safe='')}"
    return call(stack, "POST", path, data=data, headers={"Content-Type": "application/zip"}, **kw)


def security(stack, type_, id_, **kw):
    return call(stack, "GET", f"/artifact/{type_}/{id_}/security", **kw)


def report_of(stack, type_, created):
    return assert_json_status(security(stack, type_, created["metadata"]["id"]), 200)


def by_path(report):
    return {f["path"]: f for f in report["files"]}


def test_a_clean_model_is_accepted_with_its_report(registry):
    benign = pickle.dumps(collections.OrderedDict(a=1), protocol=2)
    data = model_zip(("state.pkl", benign))
    created = assert_json_status(upload(registry, "model", data), 201)
    report = report_of(registry, "model", created)
    assert report["scanned"] is True and report["policy"] == "block"
    assert report["verdict"] == "safe", report
    files = by_path(report)
    assert files["model.safetensors"]["format"] == "safetensors"
    assert files["model.safetensors"]["parameters"] == 200000
    assert files["state.pkl"]["imports"] == ["collections.OrderedDict"]
    assert files["config.json"]["verdict"] == "safe"
    assert "README.md" not in files  # text is not scanned
    assert report["counts"]["safe"] == len(report["files"])


@pytest.mark.parametrize("entry,why", [
    (("pytorch_model.bin", torch_zip(EVIL)), "system"),  # a PyTorch zip with a malicious pickle
    (("pytorch_model.bin", torch_zip(EVIL, stored=False)), "system"),
    (("weights.pkl", EVIL), "system"),
    (("weights.pkl", pickle.dumps(collections.OrderedDict(a=1), protocol=2)[:-3]),
     "unknown"),  # truncated: never clean
], ids=["torch-zip", "torch-zip-deflated", "raw-pickle", "truncated"])
def test_block_refuses_a_dangerous_or_unknown_model_and_stores_nothing(registry, entry, why):
    data = model_zip(entry)
    body = assert_error(upload(registry, "model", data), "disqualified", 424)
    assert entry[0] in body["detail"] and why in body["detail"], body
    assert "REGISTRY_SCAN_POLICY=block" in body["detail"]
    assert_error(call(registry, "GET", f"/artifact/byName/{MODEL}"), "not_found")


def test_block_keeps_a_suspicious_model_flagged(registry):
    created = assert_json_status(upload(registry, "model", model_zip(("odd.pkl", ODD))),
                                 201)
    report = report_of(registry, "model", created)
    assert report["verdict"] == "suspicious"
    assert by_path(report)["odd.pkl"]["imports"] == ["mylib.models.Thing"]


def test_config_auto_map_is_custom_code(registry):
    data = model_zip(config='{"model_type": "x", "auto_map": {"AutoModel": "modeling_x.XModel"}}')
    created = assert_json_status(upload(registry, "model", data), 201)
    cfg = by_path(report_of(registry, "model", created))["config.json"]
    assert cfg["custom_code"] is True and cfg["verdict"] == "suspicious"


def test_a_dataset_is_scanned_but_not_refused(registry):
    data = make_zip([("README.md", "# Tickets\n\nSupport tickets.\n"), ("rows.pkl", EVIL)])
    created = assert_json_status(upload(registry, "dataset", data, "pickled-rows"), 201)
    report = report_of(registry, "dataset", created)
    assert report["verdict"] == "dangerous"
    assert "posix.system" in by_path(report)["rows.pkl"]["imports"] or \
        "os.system" in by_path(report)["rows.pkl"]["imports"]


def test_an_artifact_registered_from_a_url_has_the_upstream_scan(registry):
    """Scanned where its files lie (tests/api/test_ingest_scan.py has the cases)."""
    m = register(registry, "model", HF + "openai/whisper-tiny")
    report = report_of(registry, "model", m)
    assert report["scanned"] is True and report["verdict"] == "safe", report
    assert by_path(report)["model.safetensors"]["read_bytes"] > 0


def test_security_errors(registry):
    created = assert_json_status(upload(registry, "model", model_zip()), 201)
    id_ = created["metadata"]["id"]
    assert_error(security(registry, "widget", id_), "bad_request")
    assert_error(security(registry, "model", "bad_id!"), "bad_request")
    assert_error(security(registry, "model", "1234567890"), "not_found")
    assert_error(security(registry, "dataset", id_), "not_found")
    assert_error(security(registry, "model", id_, token=None), "authentication_failed", 403)
    uploader = user_token(registry, "only-upload", permissions=("upload",))
    assert_error(security(registry, "model", id_, token=uploader), "not_permitted", 401)


def test_flag_and_off_keep_a_dangerous_model(scan_policy_stack):
    policy, s = scan_policy_stack
    data = model_zip(("pytorch_model.bin", torch_zip(EVIL)))
    created = assert_json_status(upload(s, "model", data), 201)
    report = report_of(s, "model", created)
    assert report["policy"] == policy
    if policy == "flag":
        assert report["scanned"] is True and report["verdict"] == "dangerous"
        assert by_path(report)["pytorch_model.bin"]["verdict"] == "dangerous"
    else:
        assert report["scanned"] is False and "files" not in report


def test_the_activity_counts_scanned_files_and_refusals(registry):
    def tally():
        a = assert_json_status(call(registry, "GET", "/health/activity", token=None), 200)
        return a["scans"]

    before = tally()
    data = model_zip(("w.pkl", EVIL))
    assert_error(upload(registry, "model", data), "disqualified", 424)
    after = tally()
    assert after["refused"] == before["refused"] + 1
    # config.json and model.safetensors safe, w.pkl dangerous
    assert after["files"]["safe"] == before["files"]["safe"] + 2
    assert after["files"]["dangerous"] == before["files"]["dangerous"] + 1
