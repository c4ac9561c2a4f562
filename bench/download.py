#!/usr/bin/env python3
"""Download throughput through the registry against plain nginx (`make bench` runs this).

    usage: download.py
    env:   REGISTRYD (default build/registryd), BENCH_DOWNLOAD_MB (size of the model's weights,
           default 40), BENCH_DOWNLOAD_CLIENTS (default 100), BENCH_WRK_DURATION (default 10s),
           BENCH_DOWNLOAD_ARTIFACTS (artifacts registered first, default 500)

Starts the upstream fixture server (--synthesize) and a registry stack (SQLite, 8 workers, the
bundler on). Registers BENCH_DOWNLOAD_ARTIFACTS artifacts: one synthetic model whose weights
are BENCH_DOWNLOAD_MB MiB (its bundle is the file downloaded), a tenth as small synthetic code
repositories (bundled too) and the rest as Kaggle datasets, which need no upstream call and
have no bundle, so that the registry is populated without hours of bundling. Once the model's
full bundle exists, its blob is copied to the stack's /static/ directory, which the same nginx
serves as a plain static file. Then wrk, with BENCH_DOWNLOAD_CLIENTS connections, downloads
  1. GET /download/model/{id} through the registry: the FastCGI worker checks the token
     (HMAC + a counted use in SQLite), the permission and the artifact, records a DOWNLOAD audit
     entry, and answers X-Accel-Redirect; nginx then streams the blob with sendfile;
  2. GET /static/bundle.zip, the same bytes from plain nginx;
and prints requests/s, transfer/s, mean, median and p99 latency of each and the ratios
(target: registry throughput >= 0.9 x plain nginx). Prints only; never asserts.
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


def wait_for_bundle(base, token, id_, timeout=300):
    """The X-Accel target's blob, once the bundle exists: (sha256, size). Asks for one byte."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        req = urllib.request.Request(f"{base}/download/model/{id_}")
        req.add_header("X-Authorization", token)
        req.add_header("Range", "bytes=0-0")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                total = int(r.headers["Content-Range"].rsplit("/", 1)[1])
                return r.headers["ETag"].strip('"'), total
        except urllib.error.HTTPError as e:
            if e.code != 404:
                sys.exit(f"bench: download answered {e.code}")
        time.sleep(0.5)
    sys.exit("bench: the model's bundle was not built in time")


def wrk(url, token):
    """wrk's figures for url: dict of rps, transfer, mean/p50/p99 ms."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CLIENTS}", f"-d{DURATION}", "--timeout", "30s", "--latency", "-H",
         f"X-Authorization: {token}", url], capture_output=True, text=True, check=False).stdout
    figures = {"raw": out}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    figures["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out)
    unit = {"B": 1 / 2**20, "KB": 1 / 1024, "MB": 1.0, "GB": 1024.0}
    figures["mbps"] = float(m.group(1)) * unit.get(m.group(2), 1.0) if m else 0.0
    for key, pattern in (("mean", r"Latency\s+([\d.]+)(\w+)"), ("p50", r"50%\s+([\d.]+)(\w+)"),
                         ("p99", r"99%\s+([\d.]+)(\w+)")):
        m = re.search(pattern, out)
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
        figures[key] = float(m.group(1)) * scale.get(m.group(2), 1.0) if m else 0.0
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["non2xx"] = int(errors.group(1)) if errors else 0
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
        sha, size = wait_for_bundle(base, token, id_)
        print(f"\ndownloads: {ARTIFACTS} artifacts registered and the model's bundle built in "
              f"{time.time() - start:.1f} s; bundle {size / 2**20:.1f} MiB, sha256 {sha[:12]}")
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
