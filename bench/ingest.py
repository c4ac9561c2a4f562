#!/usr/bin/env python3
"""Ingest latency against a slow upstream (`make bench` runs this after bench/run.sh).

    usage: ingest.py
    env:   REGISTRYD (the binary, default build/registryd), BENCH_INGEST_DELAY_MS (default 50),
           BENCH_INGEST_MODELS (synthetic models registered one by one, default 30),
           BENCH_INGEST_CONCURRENT (models registered by 8 clients at once, default 48)

Starts the upstream fixture server (tests/fixtures/upstream_server.py --synthesize) with
delay_ms added to every upstream answer, and a registry stack (scripts/serve.sh, SQLite, 4
workers) whose HF_ENDPOINT and GITHUB_API_URL point at it. The reference is one upstream round
trip measured in the same run: the median of GET /api/models/{id}?blobs=true sent straight to
the fixture server (the first call of every model ingest). Then, one registration at a time:

  synthetic models   cards that link no repository or dataset: one concurrent round to the Hub
  recorded models    the corpus models: a round to the Hub, then the linked GitHub repository
                     and named datasets together (one thread each), then the repository's pull
                     request reviews: three dependent rounds when a repository is linked
  datasets, code     one round (datasets), two rounds (code: repository, then reviews)

and finally BENCH_INGEST_CONCURRENT synthetic models from 8 clients at once (registrations per
second). Each line prints the median and p90 in ms and the median as a multiple of one round
trip (target for a model ingest: under 3x). Prints only; never asserts.
"""

import concurrent.futures
import json
import os
import statistics
import subprocess
import tempfile
import time

from stack import ROOT, login, request, start_stack, start_upstream, stop

DELAY_MS = int(os.environ.get("BENCH_INGEST_DELAY_MS", "50"))
MODELS = int(os.environ.get("BENCH_INGEST_MODELS", "30"))
CONCURRENT = int(os.environ.get("BENCH_INGEST_CONCURRENT", "48"))
TARGET = 3.0


def corpus():
    with open(ROOT / "tests/fixtures/corpus/index.json") as f:
        index = json.load(f)
    return index["hf_models"], index["hf_datasets"], index["github_repos"]


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def line(label, times, statuses, round_trip):
    if not times:
        print(f"  {label:<34} (none)")
        return
    med = statistics.median(times)
    other = {s: statuses.count(s) for s in set(statuses) if s != 201}
    note = f"  statuses other than 201: {other}" if other else ""
    print(f"  {label:<34} n={len(times):<3} median {med:7.1f} ms   p90 {percentile(times, 90):7.1f}"
          f" ms   {med / round_trip:4.2f} x round trip{note}")


def register_all(base, token, type_, urls):
    times, statuses = [], []
    for url in urls:
        status, _, ms = request("POST", f"{base}/artifact/{type_}", {"url": url}, token)
        times.append(ms)
        statuses.append(status)
    return times, statuses


def main():
    models, datasets, repos = corpus()
    work = tempfile.mkdtemp(prefix="registry-ingest-bench.")
    upstream_proc = stack_proc = None
    try:
        upstream_proc, upstream = start_upstream(work)
        request("POST", upstream + "/__fixture/config", {"delay_ms": DELAY_MS})
        stack_proc, base, _ = start_stack(work, upstream)
        token = login(base)

        trips = [request("GET", f"{upstream}/api/models/bench-ref/m-{i}?blobs=true")[2]
                 for i in range(20)]
        round_trip = statistics.median(trips)
        print(f"\ningest latency (fixture upstream adds {DELAY_MS} ms to every answer; SQLite, "
              f"4 workers)")
        print(f"  {'one upstream round trip':<34} n={len(trips):<3} median {round_trip:7.1f} ms"
              "   (the reference)")
        line("synthetic models (no links)",
             *register_all(base, token, "model",
                           [f"https://huggingface.co/bench-org/model-{i:04d}" for i in range(MODELS)]),
             round_trip)
        line("recorded models (links, datasets)",
             *register_all(base, token, "model",
                           [f"https://huggingface.co/{m}" for m in models]), round_trip)
        line("datasets (recorded)",
             *register_all(base, token, "dataset",
                           [f"https://huggingface.co/datasets/{d}" for d in datasets]), round_trip)
        line("code (recorded)",
             *register_all(base, token, "code", [f"https://github.com/{r}" for r in repos]),
             round_trip)

        urls = [f"https://huggingface.co/bench-burst/model-{i:04d}" for i in range(CONCURRENT)]
        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(
                lambda u: request("POST", f"{base}/artifact/model", {"url": u}, token), urls))
        wall = time.perf_counter() - start
        line("synthetic models, 8 clients at once", [r[2] for r in results],
             [r[0] for r in results], round_trip)
        print(f"  {'':<34} {len(urls) / wall:.1f} registrations/s over {wall:.1f} s "
              f"(4 workers)")
        print(f"  target: a model ingest under {TARGET:.0f} x one round trip (median)")
    finally:
        stop(stack_proc)
        stop(upstream_proc)
        subprocess.run(["rm", "-rf", work], check=False)


if __name__ == "__main__":
    main()
