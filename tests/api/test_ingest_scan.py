"""The model scan at ingest by URL (core/security.h, scan.h's reg_scan_remote) through the real
stack, on both stores: every file of a Hugging Face model whose name is a format the scanner reads
is scanned where it lies on the upstream fixture, reading only what the verdict needs (HTTP Range:
a safetensors header, a large checkpoint's central directory and pickle). Under
REGISTRY_SCAN_POLICY=block (the default) a model with a dangerous or unknown file is refused with
424 naming the file and its imports, and nothing is stored; flag keeps it with its report; off
scans nothing. The fixture synthesizes the models: a name holding "-scan-<case>" has weight files
the scanner judges as the case says (tests/fixtures/README.md, "Scan-test models")."""
import pytest

from apiutil import assert_error, assert_json_status, call, register

HF = "https://huggingface.co/"


def security(stack, type_, created):
    path = f"/artifact/{type_}/{created['metadata']['id']}/security"
    return assert_json_status(call(stack, "GET", path), 200)


def by_path(report):
    return {f["path"]: f for f in report["files"]}


def tally(stack):
    return assert_json_status(call(stack, "GET", "/health/activity", token=None), 200)["scans"]


def test_a_clean_model_is_registered_with_its_report(registry):
    created = register(registry, "model", HF + "scanlab/sentiment-scan-clean")
    report = security(registry, "model", created)
    assert report["scanned"] is True and report["policy"] == "block"
    assert report["verdict"] == "safe", report
    files = by_path(report)
    assert set(files) == {"config.json", "model.safetensors", "pytorch_model.bin"}, files
    st = files["model.safetensors"]
    assert st["format"] == "safetensors" and st["parameters"] > 0
    # the header only: a few kB of a file of megabytes
    assert 0 < st["read_bytes"] < 64 * 1024 and st["by_directory"] is False
    pt = files["pytorch_model.bin"]
    assert "torch._utils._rebuild_tensor_v2" in pt["imports"], pt
    assert "collections.OrderedDict" in pt["imports"]


def test_a_large_checkpoint_is_read_by_its_central_directory(registry):
    """300 MiB of tensor data: the verdict reads its tail, its directory and data.pkl."""
    created = register(registry, "model", HF + "scanlab/sentiment-scan-clean-300mb")
    pt = by_path(security(registry, "model", created))["pytorch_model.bin"]
    assert pt["verdict"] == "safe" and pt["by_directory"] is True, pt
    assert pt["read_bytes"] < 1024 * 1024, pt
    assert "read by its central directory" in pt["detail"]


@pytest.mark.parametrize("case,path,why", [
    ("dangerous", "pytorch_model.bin", "system"),
    ("dangerous-300mb", "pytorch_model.bin", "system"),
    ("rawpickle", "pytorch_model.bin", "system"),
    ("truncated", "pytorch_model.bin", "unknown"),
    ("overlap", "model.safetensors", "unknown"),
])
def test_block_refuses_a_dangerous_or_unknown_model_and_stores_nothing(registry, case, path, why):
    name = f"refused-{case}"
    before = tally(registry)
    r = call(registry, "POST", "/artifact/model",
             json={"url": HF + f"scanlab/sentiment-scan-{case}", "name": name})
    body = assert_error(r, "disqualified", 424)
    assert path in body["detail"] and why in body["detail"], body
    assert "REGISTRY_SCAN_POLICY=block" in body["detail"]
    assert_error(call(registry, "GET", f"/artifact/byName/{name}"), "not_found")
    after = tally(registry)
    assert after["refused"] == before["refused"] + 1


def test_block_keeps_suspicious_and_custom_code_flagged(registry):
    created = register(registry, "model", HF + "scanlab/sentiment-scan-suspicious")
    report = security(registry, "model", created)
    assert report["verdict"] == "suspicious"
    assert "transformers.training_args.TrainingArguments" in \
        by_path(report)["pytorch_model.bin"]["imports"]
    created = register(registry, "model", HF + "scanlab/sentiment-scan-automap")
    cfg = by_path(security(registry, "model", created))["config.json"]
    assert cfg["custom_code"] is True and cfg["verdict"] == "suspicious"


def test_a_recorded_model_scans_clean(registry):
    """bert-base-uncased as the Hub lists it: safetensors, a PyTorch zip of 440 MB read by its
    directory, and a CoreML weight.bin that is no pickle."""
    created = register(registry, "model", HF + "google-bert/bert-base-uncased")
    report = security(registry, "model", created)
    assert report["verdict"] == "safe", report
    files = by_path(report)
    assert files["pytorch_model.bin"]["by_directory"] is True
    coreml = [p for p in files if p.endswith("weight.bin")]
    assert coreml and "not a pickle" in files[coreml[0]]["detail"]


def test_an_unreachable_file_fails_the_ingest_without_a_verdict(registry, upstream):
    """A file the scan cannot read is no verdict to make up: 502, nothing stored."""
    upstream.config(fail="500", fail_paths="/resolve/main/model\\.safetensors")
    r = call(registry, "POST", "/artifact/model",
             json={"url": HF + "scanlab/sentiment-scan-clean", "name": "unreadable"})
    body = assert_error(r, "upstream_error", 502)
    assert "model.safetensors" in body["detail"], body
    assert_error(call(registry, "GET", "/artifact/byName/unreadable"), "not_found")


def test_flag_and_off_register_a_dangerous_model(scan_policy_stack):
    policy, s = scan_policy_stack
    created = register(s, "model", HF + "scanlab/sentiment-scan-dangerous")
    report = security(s, "model", created)
    assert report["policy"] == policy
    if policy == "flag":
        assert report["scanned"] is True and report["verdict"] == "dangerous"
        assert by_path(report)["pytorch_model.bin"]["verdict"] == "dangerous"
    else:
        assert report["scanned"] is False and "files" not in report


def test_a_gated_model_lists_the_files_it_could_not_read(registry):
    """google/gemma-3-270m is gated and the registry has no token: its weights cannot be read,
    so they are skipped (the registry could not hand them out either), not judged."""
    created = register(registry, "model", HF + "google/gemma-3-270m")
    report = security(registry, "model", created)
    skipped = {k["path"]: k["reason"] for k in report["skipped"]}
    assert "model.safetensors" in skipped and "HTTP 401" in skipped["model.safetensors"], report
    assert "model.safetensors" not in by_path(report)
