"""GET /health, GET /health/components and GET /tracks: public, so most calls here go without an
X-Authorization header (token=None). /health/components shows its details (metrics, issue
details, endpoints) to admins only: the calls that read them send the admin's token
(tests/api/test_request_hardening.py checks both views)."""

import calendar
import time

import pytest

from apiutil import ISO_RE, assert_error, assert_json_status, call, user_token

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
    body = assert_json_status(call(stack, "GET", "/health/components"), 200)
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
    # Node.js 24 from npm (scripts/deps.sh) runs sensitive models' monitor programs.
    assert comps["monitor-runtime"]["status"] == "ok", comps["monitor-runtime"]


def test_components_store_counts_artifacts(registry):
    call(registry, "POST", "/artifact/model", json={"url": "https://huggingface.co/h/one"})
    body = assert_json_status(call(registry, "GET", "/health/components"), 200)
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
    # two series, one bucket per minute each: requests, then server errors (5xx)
    series = {}
    for entry in pool["timeline"]:
        assert ISO_RE.match(entry["bucket"]), entry
        assert isinstance(entry["value"], (int, float)) and entry["value"] >= 0
        series.setdefault(entry["unit"], []).append(entry)
    assert set(series) == {"requests/min", "errors/min"}
    for entries in series.values():
        assert len(entries) == window
        buckets = [iso_to_epoch(e["bucket"]) for e in entries]
        assert all(b - a == 60 for a, b in zip(buckets, buckets[1:])), "one bucket per minute"
    # This very session has sent requests, within the last couple of minutes.
    assert sum(e["value"] for e in series["requests/min"][-3:]) > 0


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


def test_components_include_upstreams_and_disk(registry, upstream):
    call(registry, "POST", "/artifact/model", json={"url": "https://huggingface.co/h/seen"})
    comps = components_by_id(
        assert_json_status(call(registry, "GET", "/health/components"), 200))
    assert comps["upstream-huggingface"]["status"] == "ok"
    assert comps["upstream-huggingface"]["metrics"]["calls_ok"] >= 1
    assert comps["disk"]["status"] in HEALTH_STATUSES
    assert comps["disk"]["metrics"]["free_bytes"] > 0
    upstream.config(fail="500")
    r = call(registry, "POST", "/artifact/code", json={"url": "https://github.com/h/down"})
    assert_error(r, "upstream_error", 502)
    comps = components_by_id(
        assert_json_status(call(registry, "GET", "/health/components"), 200))
    gh = comps["upstream-github"]
    assert gh["status"] == "degraded", gh
    assert gh["metrics"]["calls_failed"] >= 1
    assert gh["issues"] and "HTTP 500" in gh["issues"][0]["details"], gh


def test_activity_counts_routes_and_types(private_stack):
    s = private_stack
    for _ in range(3):
        call(s, "POST", "/artifacts", json=[{"name": "*"}])
    call(s, "GET", "/artifacts/model/1234567890")  # 404
    call(s, "GET", "/artifacts/dataset/1234567890")
    call(s, "GET", "/no/such/route")
    body = assert_json_status(call(s, "GET", "/health/activity", token=None), 200)
    assert body["window_minutes"] == 60 and ISO_RE.match(body["generated_at"])
    routes = {r["route"]: r for r in body["routes"]}
    listing = routes["POST /artifacts"]
    assert listing["requests"] == 3 and listing["errors"] == 0 and listing["error_rate"] == 0
    lat = listing["latency_ms"]
    assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"]
    get = routes["GET /artifacts/{artifact_type}/{id}"]
    assert get["requests"] == 2 and get["client_errors"] == 2
    assert routes["(no route)"]["requests"] == 1
    types = {t["type"]: t["requests"] for t in body["artifact_types"]}
    assert types == {"model": 1, "dataset": 1, "code": 0}
    assert_error(call(s, "GET", "/health/activity?windowMinutes=2", token=None), "bad_request")


def test_logs_for_admins(registry):
    body = assert_json_status(call(registry, "GET", "/health/logs?lines=5"), 200)
    assert isinstance(body["lines"], list) and 0 < len(body["lines"]) <= 5
    assert all(isinstance(line, str) and "\n" not in line for line in body["lines"])
    if body["before"] is not None:
        older = assert_json_status(
            call(registry, "GET", f"/health/logs?lines=5&before={body['before']}"), 200)
        assert older["lines"] and older["lines"] != body["lines"]
    assert_error(call(registry, "GET", "/health/logs?lines=0"), "bad_request")
    assert_error(call(registry, "GET", "/health/logs?lines=x"), "bad_request")
    assert_error(call(registry, "GET", "/health/logs", token=None), "authentication_failed", 403)
    searcher = user_token(registry, "log-reader", permissions=["search", "download", "upload"])
    assert_error(call(registry, "GET", "/health/logs", token=searcher), "not_permitted", 401)
