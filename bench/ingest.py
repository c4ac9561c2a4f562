#!/usr/bin/env python3
"""Ingest latency against a slow upstream (`make bench` runs this after bench/run.sh).

    usage: ingest.py
    env:   REGISTRYD (the binary, default build/registryd), BENCH_INGEST_DELAY_MS (default 50),
           BENCH_INGEST_MODELS (synthetic models registered one by one, default 30),
           BENCH_INGEST_CONCURRENT (models registered by 8 clients at once, default 48)

Starts the upstream fixture server (tests/fixtures/upstream_server.py --synthesize) with
delay_ms added to every upstream answer, and two registry stacks (scripts/serve.sh, SQLite, 4
workers each) whose HF_ENDPOINT and GITHUB_API_URL point at it: one with GITHUB_TOKEN set, one
without. The reference is one upstream round trip measured in the same run: the median of
GET /api/models/{id}?blobs=true sent straight to the fixture server (the first call of every
model ingest). Before anything is measured, the fixture server is asked once (without delay)
for every repository and dataset the corpus models link, so that generating them
(--synthesize) is not counted. Then, one registration at a time:

  synthetic models   cards that link no repository or dataset: one round to the Hub
  recorded models    the corpus models. Those whose card links a GitHub repository: a round to
                     the Hub, then the repository and the named datasets together; with the
                     token the repository's pull request reviews come in that round (GraphQL),
                     without it in a third round (REST). Registered on both stacks, in the same
                     order. Those that link none: the Hub, then their datasets, if any.
  datasets, code     one round (datasets); code: one round with the token, two without

and finally BENCH_INGEST_CONCURRENT synthetic models from 8 clients at once (registrations per
second). Each line prints the median and p90 in ms, the median as a multiple of one round trip,
and the median time the upstream spent on one registration: from the fixture server's log,
the first request's arrival to the end of the last answer (the rest is the registry's own
work, and the trip to the registry). Targets: a model ingest under 3 x one round trip (median);
one that links a GitHub repository at most 2 x (median, with the token). Prints only; never
asserts.
"""

import concurrent.futures
import json
import os
import statistics
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

from stack import ROOT, login, request, start_stack, start_upstream, stop

DELAY_MS = int(os.environ.get("BENCH_INGEST_DELAY_MS", "50"))
MODELS = int(os.environ.get("BENCH_INGEST_MODELS", "30"))
CONCURRENT = int(os.environ.get("BENCH_INGEST_CONCURRENT", "48"))
TARGET = 3.0
TARGET_LINKED = 2.0
TOKEN = "bench-github-token"  # the fixture server takes any token, as it takes any bearer


def corpus():
    with open(ROOT / "tests/fixtures/corpus/index.json") as f:
        index = json.load(f)
    return index["hf_models"], index["hf_datasets"], index["github_repos"]


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def line(label, result, round_trip):
    """Prints result = (times, statuses[, upstream spans]); returns the median time."""
    times, statuses, spans = (tuple(result) + ([],))[:3]
    if not times:
        print(f"  {label:<46} (none)")
        return None
    med = statistics.median(times)
    other = {s: statuses.count(s) for s in set(statuses) if s != 201}
    note = f"  statuses other than 201: {other}" if other else ""
    span = f"   upstream {statistics.median(spans):6.1f} ms" if spans else ""
    print(f"  {label:<46} n={len(times):<3} median {med:6.1f} ms  p90 {percentile(times, 90):6.1f}"
          f" ms  {med / round_trip:4.2f} x{span}{note}")
    return med


class Upstream:
    def __init__(self, url):
        self.url = url

    def mark(self):
        log = request("GET", self.url + "/__fixture/log")[1]["requests"]
        return log[-1]["seq"] if log else 0

    def span_ms(self, since):
        """The first request's arrival to the end of the last answer, since the mark (the
        server logs an answer's duration just after sending it: a moment is waited for it)."""
        for _ in range(50):
            log = request("GET", f"{self.url}/__fixture/log?since={since}")[1]["requests"]
            if all(e["duration_ms"] is not None for e in log):
                break
            time.sleep(0.002)
        done = [e for e in log if e["duration_ms"] is not None]
        if not done:
            return None
        return max(e["time"] * 1000 + e["duration_ms"] for e in done) - min(e["time"] * 1000
                                                                           for e in done)


def register_all(base, token, type_, urls, upstream=None):
    """(times, statuses, upstream spans) of registering urls one at a time."""
    times, statuses, spans = [], [], []
    for url in urls:
        since = upstream.mark() if upstream else None
        status, _, ms = request("POST", f"{base}/artifact/{type_}", {"url": url}, token)
        times.append(ms)
        statuses.append(status)
        if upstream:
            spans.append(upstream.span_ms(since))
    return times, statuses, [s for s in spans if s is not None]


def warm_up(upstream, models):
    """Asks the fixture server, without delay, for everything the corpus models link, so that
    synthesizing it is not measured, and for the last byte of every large checkpoint the model
    scan reads by its central directory (the fixture computes a generated zip's CRC-32 on its
    first tail read: its cost, not the registry's)."""
    paths = set()
    for m in models.values():
        for link in m["github_links"]:
            owner, repo = link.split("github.com/")[1].split("/")[:2]
            paths.add(f"/repos/{owner}/{repo}")
        paths.update(f"/api/datasets/{d}?blobs=true" for d in m["datasets"][:4])
    for p in sorted(paths):
        request("GET", upstream + p)
    for model in models:
        status, info, _ = request("GET", f"{upstream}/api/models/{model}?blobs=true")
        for sib in (info or {}).get("siblings", []) if status == 200 else []:
            if sib["rfilename"].endswith((".bin", ".pt", ".pth", ".ckpt")) and \
                    sib.get("size", 0) > 64 * 1024 * 1024:
                path = urllib.parse.quote(sib["rfilename"])
                req = urllib.request.Request(f"{upstream}/{model}/resolve/main/{path}",
                                             headers={"Range": "bytes=-1"})
                with urllib.request.urlopen(req, timeout=60) as r:
                    r.read()


def main():
    models, datasets, repos = corpus()
    linked = [f"https://huggingface.co/{m}" for m, e in models.items() if e["github_links"]]
    unlinked = [f"https://huggingface.co/{m}" for m, e in models.items() if not e["github_links"]]
    code = [f"https://github.com/{r}" for r in repos]
    work = tempfile.mkdtemp(prefix="registry-ingest-bench.")
    os.chmod(work, 0o711)  # the stacks' data directories lie below it (see start_stack)
    procs = []
    try:
        upstream_proc, upstream = start_upstream(work)
        procs.append(upstream_proc)
        warm_up(upstream, models)
        request("POST", upstream + "/__fixture/config", {"delay_ms": DELAY_MS})
        up = Upstream(upstream)
        stacks = {}
        for name, env in (("token", {"GITHUB_TOKEN": TOKEN}), ("none", {"GITHUB_TOKEN": ""})):
            os.makedirs(os.path.join(work, name))
            proc, base, _ = start_stack(os.path.join(work, name), upstream, **env)
            procs.append(proc)
            stacks[name] = (base, login(base))
        (base, token), (base_none, token_none) = stacks["token"], stacks["none"]

        trips = [request("GET", f"{upstream}/api/models/bench-ref/m-{i}?blobs=true")[2]
                 for i in range(20)]
        round_trip = statistics.median(trips)
        print(f"\ningest latency (fixture upstream adds {DELAY_MS} ms to every answer; SQLite, "
              f"4 workers; two stacks, with and without GITHUB_TOKEN)")
        print(f"  {'one upstream round trip':<46} n={len(trips):<3} median {round_trip:6.1f} ms"
              "   (the reference)")
        line("synthetic models (no links)",
             register_all(base, token, "model",
                           [f"https://huggingface.co/bench-org/model-{i:04d}"
                            for i in range(MODELS)], up), round_trip)
        with_token = line("models linking GitHub, GITHUB_TOKEN (GraphQL)",
                          register_all(base, token, "model", linked, up), round_trip)
        line("models linking GitHub, no token (REST)",
             register_all(base_none, token_none, "model", linked, up), round_trip)
        line("models linking no repository",
             register_all(base, token, "model", unlinked, up), round_trip)
        line("datasets (recorded)",
             register_all(base, token, "dataset",
                           [f"https://huggingface.co/datasets/{d}" for d in datasets], up),
             round_trip)
        line("code (recorded), GITHUB_TOKEN", register_all(base, token, "code", code, up),
             round_trip)
        line("code (recorded), no token",
             register_all(base_none, token_none, "code", code, up), round_trip)

        urls = [f"https://huggingface.co/bench-burst/model-{i:04d}" for i in range(CONCURRENT)]
        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(
                lambda u: request("POST", f"{base}/artifact/model", {"url": u}, token), urls))
        wall = time.perf_counter() - start
        line("synthetic models, 8 clients at once", ([r[2] for r in results],
                                                     [r[0] for r in results]), round_trip)
        print(f"  {'':<46} {len(urls) / wall:.1f} registrations/s over {wall:.1f} s "
              f"(4 workers)")
        print(f"  targets: a model ingest under {TARGET:.0f} x one round trip (median); one that "
              f"links a GitHub repository at most {TARGET_LINKED:.0f} x (median, with the token):"
              f" {with_token / round_trip:.2f} x")
    finally:
        for proc in reversed(procs):
            stop(proc)
        subprocess.run(["rm", "-rf", work], check=False)


if __name__ == "__main__":
    main()
