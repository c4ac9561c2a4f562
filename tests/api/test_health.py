"""GET /health, GET /health/components and GET /tracks: public, so every call here goes without
an X-Authorization header (token=None)."""

import calendar
import time

import pytest

from apiutil import ISO_RE, assert_error, assert_json_status, call

CONTRACT_TRACKS = {
    "Performance track",
    "Access control track",
    "High assurance track",
    "Other Security track",
}
HEALTH_STATUSES = {"ok", "degraded", "critical", "unknown"}


def iso_to_epoch(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def components_by_id(body):
    return {c["id"]: c for c in body["components"]}


def test_health_ok(stack):
    r = call(stack, "GET", "/health", token=None)
    body = assert_json_status(r, 200)
    assert body == {"status": "ok"}


def test_tracks_lists_every_contract_track(stack):
    body = assert_json_status(call(stack, "GET", "/tracks", token=None), 200)
    assert isinstance(body.get("plannedTracks"), list)
    tracks = body["plannedTracks"]
    assert set(tracks) == CONTRACT_TRACKS
    assert len(tracks) == len(set(tracks))
    assert "Access control track" in tracks


def test_components_shape(stack):
    body = assert_json_status(call(stack, "GET", "/health/components", token=None), 200)
    assert isinstance(body["components"], list) and body["components"]
    assert ISO_RE.match(body["generated_at"]), body["generated_at"]
    assert body["window_minutes"] == 60
    for c in body["components"]:
        assert isinstance(c["id"], str) and c["id"]
        assert c["status"] in HEALTH_STATUSES
        assert ISO_RE.match(c["observed_at"]), c
        assert isinstance(c.get("metrics", {}), dict)
        for issue in c.get("issues", []):
            assert {"code", "severity", "summary"} <= set(issue)
            assert issue["severity"] in {"info", "warning", "error"}
        assert "timeline" not in c
    comps = components_by_id(body)
    assert comps["store"]["status"] == "ok"
    assert comps["worker-pool"]["status"] == "ok"
    metrics = comps["worker-pool"]["metrics"]
    assert metrics["workers_configured"] == stack.workers
    assert metrics["workers_alive"] == stack.workers


def test_components_store_counts_artifacts(registry):
    call(registry, "POST", "/artifact/model", json={"url": "https://huggingface.co/h/one"})
    body = assert_json_status(call(registry, "GET", "/health/components", token=None), 200)
    assert components_by_id(body)["store"]["metrics"]["artifacts"] == 1


@pytest.mark.parametrize("window", [5, 60, 1440])
def test_components_timeline(stack, window):
    call(stack, "GET", "/health", token=None)  # counted in the current minute's bucket
    r = call(
        stack,
        "GET",
        "/health/components",
        token=None,
        params={"includeTimeline": "true", "windowMinutes": str(window)},
    )
    body = assert_json_status(r, 200)
    assert body["window_minutes"] == window
    pool = components_by_id(body)["worker-pool"]
    timeline = pool["timeline"]
    assert len(timeline) == window
    buckets = []
    for entry in timeline:
        assert ISO_RE.match(entry["bucket"]), entry
        assert isinstance(entry["value"], (int, float)) and entry["value"] >= 0
        buckets.append(iso_to_epoch(entry["bucket"]))
    assert all(b - a == 60 for a, b in zip(buckets, buckets[1:])), "one bucket per minute"
    # This very session has sent requests, within the last couple of minutes.
    assert sum(e["value"] for e in timeline[-3:]) > 0


def test_components_timeline_false(stack):
    r = call(stack, "GET", "/health/components", token=None, params={"includeTimeline": "false"})
    body = assert_json_status(r, 200)
    assert all("timeline" not in c for c in body["components"])


@pytest.mark.parametrize(
    "query",
    [
        "windowMinutes=3",
        "windowMinutes=4",
        "windowMinutes=1441",
        "windowMinutes=abc",
        "windowMinutes=",
        "windowMinutes=10.5",
        "includeTimeline=maybe",
        "includeTimeline=1",
        "includeTimeline=true&windowMinutes=-5",
    ],
)
def test_components_bad_query(stack, query):
    assert_error(call(stack, "GET", f"/health/components?{query}", token=None), "bad_request")
