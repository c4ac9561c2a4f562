#!/usr/bin/env python3
"""Downloads through the registry against plain references (`make bench` runs this).

    usage: download.py
    env:   REGISTRYD (default build/registryd), BENCH_DOWNLOAD_MB (size of the stored model's
           weights, default 40), BENCH_FIRST_MB (size of the pulled-through model's weights,
           default 300), BENCH_DOWNLOAD_CLIENTS (default 100), BENCH_WRK_DURATION (default
           10s), BENCH_DOWNLOAD_ARTIFACTS (artifacts registered first, default 500)

Starts the upstream fixture server (--synthesize) and a registry stack (SQLite, 8 workers).
Registers BENCH_DOWNLOAD_ARTIFACTS artifacts: two synthetic models whose weights are
BENCH_FIRST_MB and BENCH_DOWNLOAD_MB MiB, a tenth as small synthetic code repositories and the
rest as Kaggle datasets (no upstream call), so that the registry is populated.

1. First download (pull-through): curl downloads the BENCH_FIRST_MB model right after its
   registration, while the registry fetches it from the fixture server; the reference is curl
   fetching the same files straight from the fixture server, one after the other on one
   connection (what the registry's filler does). Prints both times and the ratio
   registry / plain fetch (target <= 1.2), best of three runs each (a new model each run).
2. Stored copy: once the BENCH_DOWNLOAD_MB model's bundle is stored, its blob is copied to the
   stack's /static/ directory, and wrk, with BENCH_DOWNLOAD_CLIENTS connections, downloads
     a. GET /download/model/{id} through the registry: the FastCGI worker checks the token
        (HMAC + a counted use in SQLite), the permission and the artifact, records a DOWNLOAD
        audit entry, and answers X-Accel-Redirect; nginx then streams the blob with sendfile;
     b. GET /static/bundle.zip, the same bytes from plain nginx;
   and prints requests/s, transfer/s, mean, median and p99 latency of each and the ratio
   (target: registry throughput >= 0.9 x plain nginx).
Prints only; never asserts.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from stack import login, request, start_stack, start_upstream, stop

SIZE_MB = int(os.environ.get("BENCH_DOWNLOAD_MB", "40"))
FIRST_MB = int(os.environ.get("BENCH_FIRST_MB", "300"))
FIRST_RUNS = 3
FIRST_TARGET = 1.2
CLIENTS = int(os.environ.get("BENCH_DOWNLOAD_CLIENTS", "100"))
DURATION = os.environ.get("BENCH_WRK_DURATION", "10s")
ARTIFACTS = int(os.environ.get("BENCH_DOWNLOAD_ARTIFACTS", "500"))
TARGET = 0.9


def populate(base, token):
    """Registers the artifacts; returns the model's id."""
    status, model, _ = request("POST", base + "/artifact/model",
                               {"url": f"https://huggingface.co/bench-lab/model-{SIZE_MB}mb"},
                               token)
    if status != 201:
        sys.exit(f"bench: registering the model answered {status}: {model}")
    for i in range(1, ARTIFACTS):
        if i % 10 == 0:
            url, type_ = f"https://github.com/bench-lab/code-{i:04d}", "code"
        else:
            url, type_ = f"https://www.kaggle.com/datasets/bench-lab/data-{i:04d}", "dataset"
        status, body, _ = request("POST", f"{base}/artifact/{type_}", {"url": url}, token)
        if status != 201:
            sys.exit(f"bench: registering {url} answered {status}: {body}")
    return model["metadata"]["id"]


def register_model(base, token, repo):
    status, model, _ = request("POST", base + "/artifact/model",
                               {"url": f"https://huggingface.co/{repo}"}, token)
    if status != 201:
        sys.exit(f"bench: registering {repo} answered {status}: {model}")
    return model["metadata"]["id"]


def curl_seconds(urls, token=None):
    """Wall time of one curl fetching urls in turn on one connection; exits on a failure."""
    cmd = ["curl", "-sf", "--max-time", "600"]
    if token:
        cmd += ["-H", f"X-Authorization: {token}"]
    for u in urls:
        cmd += ["-o", "/dev/null", u]
    start = time.perf_counter()
    done = subprocess.run(cmd, check=False)
    if done.returncode != 0:
        sys.exit(f"bench: curl {urls[0]} ... failed ({done.returncode})")
    return time.perf_counter() - start


def first_download(base, upstream, token):
    """(registry seconds, plain seconds, bytes) of pulling a FIRST_MB model through: best of
    FIRST_RUNS, a new model each run."""
    best_reg = best_plain = float("inf")
    size = 0
    for run in range(FIRST_RUNS):
        repo = f"bench-lab/first-{run}-{FIRST_MB}mb"
        id_ = register_model(base, token, repo)
        best_reg = min(best_reg, curl_seconds([f"{base}/download/model/{id_}"], token))
        _, info, _ = request("GET", f"{upstream}/api/models/{repo}?blobs=true")
        files = sorted(s["rfilename"] for s in info["siblings"])
        size = sum(s["size"] for s in info["siblings"])
        best_plain = min(best_plain, curl_seconds(
            [f"{upstream}/{repo}/resolve/main/{f}" for f in files]))
    return best_reg, best_plain, size


def wait_for_bundle(base, token, id_, timeout=300):
    """Downloads the model once (pulling it through), then returns the stored blob's
    (sha256, size), asking for one byte until the stored copy answers."""
    curl_seconds([f"{base}/download/model/{id_}"], token)
    return wait_for_stored(base, token, id_, timeout)


def wait_for_stored(base, token, id_, timeout=300):
    """The stored blob's (sha256, size) once the model's bundle is stored, asking for one byte
    until the stored copy answers (bench/workload.py too)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        req = urllib.request.Request(f"{base}/download/model/{id_}")
        req.add_header("X-Authorization", token)
        req.add_header("Range", "bytes=0-0")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                if r.status == 206:
                    total = int(r.headers["Content-Range"].rsplit("/", 1)[1])
                    return r.headers["ETag"].strip('"'), total
        except urllib.error.HTTPError as e:
            sys.exit(f"bench: download answered {e.code}")
        time.sleep(0.2)
    sys.exit("bench: the model's bundle was not stored in time")


def wrk(url, token, clients=CLIENTS, duration=DURATION, timeout="30s"):
    """wrk's figures for url: dict of rps, transfer, mean/p50/p99 ms (and the raw output)."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{clients}", f"-d{duration}", "--timeout", timeout, "--latency", "-H",
         f"X-Authorization: {token}", url], capture_output=True, text=True, check=False).stdout
    figures = {"raw": out}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    figures["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out)
    unit = {"B": 1 / 2**20, "KB": 1 / 1024, "MB": 1.0, "GB": 1024.0}
    figures["mbps"] = float(m.group(1)) * unit.get(m.group(2), 1.0) if m else 0.0
    for key, pattern in (("mean", r"Latency\s+([\d.]+)(\w+)"), ("p50", r"50%\s+([\d.]+)(\w+)"),
                         ("p90", r"90%\s+([\d.]+)(\w+)"), ("p99", r"99%\s+([\d.]+)(\w+)"),
                         ("max", r"Latency\s+\S+\s+\S+\s+([\d.]+)(\w+)")):
        m = re.search(pattern, out)
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
        figures[key] = float(m.group(1)) * scale.get(m.group(2), 1.0) if m else 0.0
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["non2xx"] = int(errors.group(1)) if errors else 0
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+), ([\d.]+)(\w+) read", out)
    figures["requests"] = int(m.group(1)) if m else 0
    figures["bytes"] = int(float(m.group(4)) * {"B": 1, "KB": 2**10, "MB": 2**20, "GB": 2**30,
                                                "TB": 2**40}.get(m.group(5), 1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    figures["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    return figures


def main():
    if not shutil.which("wrk"):
        sys.exit("bench: wrk is not installed (make deps)")
    work = tempfile.mkdtemp(prefix="registry-download-bench.")
    upstream_proc = stack_proc = None
    try:
        upstream_proc, upstream = start_upstream(work)
        stack_proc, base, data = start_stack(work, upstream, workers=8)
        token = login(base)
        start = time.time()
        id_ = populate(base, token)
        print(f"\ndownloads: {ARTIFACTS} artifacts registered in {time.time() - start:.1f} s")
        reg_s, plain_s, first_size = first_download(base, upstream, token)
        print(f"first download (pull-through) of {first_size / 2**20:.0f} MiB, best of "
              f"{FIRST_RUNS}:")
        print(f"  registry /download (fetched while streamed) {reg_s:7.2f} s "
              f"{first_size / 2**20 / reg_s:8.1f} MiB/s")
        print(f"  plain fetch from upstream                   {plain_s:7.2f} s "
              f"{first_size / 2**20 / plain_s:8.1f} MiB/s")
        print(f"  registry / plain time: {reg_s / plain_s:.2f} (target <= {FIRST_TARGET})")
        sha, size = wait_for_bundle(base, token, id_)
        print(f"stored copy: bundle {size / 2**20:.1f} MiB, sha256 {sha[:12]}")
        shutil.copyfile(os.path.join(data, "blobs", sha[:2], sha + ".zip"),
                        os.path.join(data, "static", "bundle.zip"))
        registry = wrk(f"{base}/download/model/{id_}", token)
        static = wrk(f"{base}/static/bundle.zip", token)
        print(f"wrk -t2 -c{CLIENTS} -d{DURATION} (2 vCPUs; client and server share them)")
        print(f"  {'':<26} {'req/s':>8} {'MiB/s':>9} {'mean ms':>9} {'p50 ms':>9} {'p99 ms':>9}")
        for label, f in (("registry /download", registry), ("plain nginx /static", static)):
            print(f"  {label:<26} {f['rps']:8.1f} {f['mbps']:9.1f} {f['mean']:9.1f} "
                  f"{f['p50']:9.1f} {f['p99']:9.1f}"
                  + (f"   ({f['non2xx']} non-2xx answers)" if f["non2xx"] else ""))
        ratio = registry["rps"] / static["rps"] if static["rps"] else 0.0
        print(f"  registry / nginx throughput: {ratio:.2f} (target >= {TARGET})")
        if os.environ.get("BENCH_VERBOSE"):
            print(registry["raw"], static["raw"])
    finally:
        stop(stack_proc)
        stop(upstream_proc)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
