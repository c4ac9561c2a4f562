#!/usr/bin/env python3
"""The performance-track workload (`make bench` runs it last; `make bench-workload` alone).

    usage: workload.py
    env:   REGISTRYD (default build/registryd), BENCH_COMPONENTS (configurations, default
           "sqlite-disk dynamodb-disk dynamodb-s3"; BENCH_QUICK=1: "sqlite-disk" only),
           BENCH_WORKLOAD_MODELS (models registered besides Tiny-LLM, default 500),
           BENCH_WORKLOAD_CLIENTS (default 100), BENCH_WORKLOAD_REQUESTS (measured downloads per
           client, default 5), BENCH_WORKLOAD_WARMUP (unmeasured downloads per client first,
           default 1), BENCH_WORKLOAD_WORKERS (registryd workers, default 8),
           BENCH_WORKLOAD_JSON (a file to write every figure to), BENCH_LOAD (the load client,
           default build/registry-load; wrk when it is missing)

"100 clients all trying to download a copy of the Tiny-LLM model from a registry containing 500
distinct models": for each configuration (store + blob store) in BENCH_COMPONENTS,

  sqlite-disk     SQLite store, bundles on local disk (the default configuration)
  dynamodb-disk   DynamoDB store (dynalite stands in), bundles on local disk
  dynamodb-s3     DynamoDB store (dynalite), bundles in S3 (s3rver stands in)

it starts a registry stack (scripts/serve.sh through bench/stack.py) against the upstream
fixture server (tests/fixtures, --synthesize; one server for the whole run), registers
BENCH_WORKLOAD_MODELS distinct synthesized Hugging Face models (each is fetched, rated and must be
accepted: 201) plus https://huggingface.co/arnir0/Tiny-LLM (served by the fixture server at its
real sizes, tests/fixtures/tiny_llm.py), downloads Tiny-LLM's bundle once (the first download:
pulled through from upstream while it streams, then stored), and then runs the load:
BENCH_WORKLOAD_CLIENTS concurrent clients, each downloading GET /download/model/{id} WARMUP
times unmeasured and then REQUESTS times measured, one after the other on its connection. The
reference, in the same stack and run: the same bytes (the stored blob copied to /static/) from
plain nginx, with the same client, clients and rounds. Per configuration it prints both and
the ratios, the CPU seconds each process group used during each load, then one table of every
configuration. Prints only; never asserts (exits non-zero when a stack cannot be set up: a
registration refused, a download failing before the load).
"""

import concurrent.futures
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

from download import curl_seconds, wait_for_stored, wrk
from stack import ROOT, login, request, start_stack, start_upstream, stop

sys.path.insert(0, str(ROOT / "tests" / "api"))
import faulty_dynamo  # noqa: E402  (dynalite, as the API tests start it)
import s3server  # noqa: E402  (s3rver, as the API tests start it)

TINY_LLM = "arnir0/Tiny-LLM"
MODELS = int(os.environ.get("BENCH_WORKLOAD_MODELS", "500"))
CLIENTS = int(os.environ.get("BENCH_WORKLOAD_CLIENTS", "100"))
REQUESTS = int(os.environ.get("BENCH_WORKLOAD_REQUESTS", "5"))
WARMUP = int(os.environ.get("BENCH_WORKLOAD_WARMUP", "1"))
WORKERS = int(os.environ.get("BENCH_WORKLOAD_WORKERS", "8"))
SEED_CLIENTS = 8
TIMEOUT_MS = 600_000
LOAD = os.environ.get("BENCH_LOAD", str(ROOT / "build" / "registry-load"))
WRK_DURATION = os.environ.get("BENCH_WORKLOAD_WRK_DURATION", "20s")

COMPONENTS = {
    "sqlite-disk": "SQLite store + local-disk blobs",
    "dynamodb-disk": "DynamoDB* store + local-disk blobs",
    "dynamodb-s3": "DynamoDB* store + S3* blobs",
}
# What one download of a stored copy costs in each configuration (lib/handlers/download.c).
PER_REQUEST = {
    "sqlite-disk": "worker: token HMAC (uses leased in blocks), user and artifact reads, bundle "
                   "record (a file) and blob stat, DOWNLOAD audit (one SQLite commit); nginx "
                   "sends the blob (X-Accel-Redirect, sendfile)",
    "dynamodb-disk": "worker: the same, the store calls being signed HTTP round trips to "
                     "dynalite (GetItem user, Query artifact, UpdateItem + PutItem audit); "
                     "nginx sends the blob (sendfile)",
    "dynamodb-s3": "worker: the same DynamoDB calls, plus the bundle record (GetObject) and blob "
                   "stat (HeadObject) on S3 and a presigned GET; nginx proxies the blob from S3",
}


def components():
    if os.environ.get("BENCH_COMPONENTS"):
        names = os.environ["BENCH_COMPONENTS"].replace(",", " ").split()
    elif os.environ.get("BENCH_QUICK") == "1":
        names = ["sqlite-disk"]
    else:
        names = list(COMPONENTS)
    bad = [n for n in names if n not in COMPONENTS]
    if bad:
        sys.exit(f"bench: unknown BENCH_COMPONENTS {bad}: choose from {' '.join(COMPONENTS)}")
    return names


# ---------------------------------------------------------------- the load client


def loader():
    """("registry-load", path) when the C load client is built, else ("wrk", "wrk")."""
    if os.access(LOAD, os.X_OK):
        return "registry-load", LOAD
    if shutil.which("wrk"):
        return "wrk", "wrk"
    sys.exit(f"bench: neither {LOAD} nor wrk is available (make all; make deps)")


def run_load(kind, path, url, token, expect=None):
    """The load client's figures for url, in registry-load's JSON shape, plus "cpu_s": its
    own CPU seconds. expect: a header line every answer should carry (registry-load counts
    those that lack it in "expect_header_missing")."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    if kind == "registry-load":
        out = subprocess.run(
            [path, "--url", url, "--header", f"X-Authorization: {token}", "--clients",
             str(CLIENTS), "--requests", str(REQUESTS), "--warmup", str(WARMUP), "--timeout-ms",
             str(TIMEOUT_MS)] + (["--expect-header", expect] if expect else []),
            capture_output=True, text=True, check=False)
        try:
            figures = json.loads(out.stdout)
        except ValueError:
            sys.exit(f"bench: {path} printed no JSON (exit {out.returncode}): {out.stderr[-500:]}")
    else:
        figures = from_wrk(wrk(url, token, CLIENTS, WRK_DURATION, f"{TIMEOUT_MS // 1000}s"))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return figures


def from_wrk(f):
    """wrk's figures (bench/download.py) in registry-load's shape; wrk runs for a duration,
    so "requests" is whatever it completed, and it has no warm-up."""
    seconds = float(WRK_DURATION.rstrip("s"))
    return {"clients": CLIENTS, "requests": f["requests"], "ok": f["requests"] - f["non2xx"],
            "errors": {"status_4xx": 0, "status_5xx": f["non2xx"],
                       "transport": f["socket_errors"]},
            "bytes": f["bytes"], "seconds": seconds, "throughput_rps": f["rps"],
            "throughput_mib_s": f["mbps"],
            "latency_ms": {"mean": f["mean"], "median": f["p50"], "p90": f["p90"],
                           "p99": f["p99"], "max": f["max"]}}


# ---------------------------------------------------------------- CPU time per process group


def _sessions_cpu(sids):
    """{process name: CPU seconds} of every process in the given sessions (/proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) in sids:  # field 6 of stat: the session id
            name = "dynalite/s3rver" if name == "node" else name
            out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def cpu_delta(before, after):
    return {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after
            if after.get(k, 0.0) - before.get(k, 0.0) >= 0.005}


# ---------------------------------------------------------------- one configuration


def seed(base, token):
    """Registers MODELS distinct synthesized models from SEED_CLIENTS clients; exits unless
    every one is accepted (201). Returns the seconds it took."""
    def one(i):
        url = f"https://huggingface.co/bench-workload/model-{i:04d}"
        status, body, _ = request("POST", base + "/artifact/model", {"url": url}, token)
        return url, status, body

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(SEED_CLIENTS) as pool:
        refused = [(u, s, b) for u, s, b in pool.map(one, range(MODELS)) if s != 201]
    if refused:
        u, s, b = refused[0]
        sys.exit(f"bench: {len(refused)} of {MODELS} models not accepted; {u} answered {s}: {b}")
    return time.perf_counter() - start


def enumerate_models(base, token):
    """The number of models the registry lists, walking every page (the offset header)."""
    import urllib.request
    n, offset = 0, None
    while True:
        url = base + "/artifacts" + (f"?offset={offset}" if offset else "")
        req = urllib.request.Request(url, data=json.dumps([{"name": "*", "types": ["model"]}])
                                     .encode(), method="POST")
        req.add_header("X-Authorization", token)
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=60) as r:
            items = json.loads(r.read())
            offset = r.headers.get("offset")
        n += len(items)
        if not items or not offset:
            return n


def store_copy(base, token, id_, data, blobs, static):
    """Waits for Tiny-LLM's stored bundle and puts the same bytes at static; returns its size."""
    sha, size = wait_for_stored(base, token, id_)
    if blobs == "disk":
        shutil.copyfile(os.path.join(data, "blobs", sha[:2], sha + ".zip"), static)
    else:  # in S3: the registry's download is the stored object
        subprocess.run(["curl", "-sf", "-o", static, "-H", f"X-Authorization: {token}",
                        f"{base}/download/model/{id_}"], check=True)
    h = hashlib.sha256()
    with open(static, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    if h.hexdigest() != sha or os.path.getsize(static) != size:
        sys.exit("bench: the static copy is not the stored bundle")
    return size


def run_component(name, work, upstream, load):
    """Sets up one configuration, runs the load on the registry and on plain nginx; returns
    its figures."""
    sub = os.path.join(work, name)
    os.makedirs(sub)
    store, blobs = name.split("-")
    env, servers, sids = {}, [], set()
    stack_proc = None
    try:
        try:
            if store == "dynamodb":
                dyn = faulty_dynamo.Dynalite(log_dir=sub)
                servers.append(dyn)
                dyn.start()
                sids.add(dyn.proc.pid)
                env.update(faulty_dynamo.store_env(dyn.endpoint, "registry-workload"))
            if blobs == "s3":
                s3 = s3server.S3rver()
                servers.append(s3)
                s3.start()
                sids.add(s3.proc.pid)
                env.update(s3.env("registry-workload"))
        except (faulty_dynamo.DynaliteError, s3server.S3rverError) as e:
            sys.exit(f"bench: {name}: {e}")
        env = {k: v for k, v in env.items() if v is not None}
        stack_proc, base, data = start_stack(sub, upstream, workers=WORKERS, **env)
        sids.add(stack_proc.pid)
        token = login(base)
        r = {"name": name, "label": COMPONENTS[name], "per_request": PER_REQUEST[name]}
        print(f"\n== {name}: {COMPONENTS[name]}", flush=True)
        r["seed_s"] = seed(base, token)
        status, model, _ = request("POST", base + "/artifact/model",
                                   {"url": f"https://huggingface.co/{TINY_LLM}"}, token)
        if status != 201:
            sys.exit(f"bench: registering {TINY_LLM} answered {status}: {model}")
        id_ = model["metadata"]["id"]
        r["models"] = enumerate_models(base, token)
        print(f"  {MODELS} synthesized models registered and accepted in {r['seed_s']:.1f} s "
              f"({MODELS / r['seed_s']:.0f}/s, {SEED_CLIENTS} clients); the registry lists "
              f"{r['models']} models with {TINY_LLM}", flush=True)
        r["first_s"] = curl_seconds([f"{base}/download/model/{id_}"], token)
        static = os.path.join(data, "static", "tiny-llm.zip")
        r["bundle_bytes"] = store_copy(base, token, id_, data, blobs, static)
        print(f"  first download (pull-through) {r['first_s']:.2f} s, bundle "
              f"{r['bundle_bytes'] / 2**20:.1f} MiB ({r['bundle_bytes']:,} bytes)", flush=True)
        # Every measured registry download must come from the stored copy, not a pull-through.
        for key, url, expect in (
                ("registry", f"{base}/download/model/{id_}", "X-Registry-Copy: stored"),
                ("nginx", f"{base}/static/tiny-llm.zip", None)):
            before, loadavg = _sessions_cpu(sids), os.getloadavg()[0]
            r[key] = run_load(load[0], load[1], url, token, expect)
            r[key]["loadavg_before"] = loadavg
            r[key]["server_cpu_s"] = cpu_delta(before, _sessions_cpu(sids))
            print_load(key, r[key])
        print_ratios(r)
        return r
    finally:
        stop(stack_proc)
        for s in servers:
            s.cleanup()


# ---------------------------------------------------------------- output


def errors_of(f):
    return sum(f["errors"].values()) if isinstance(f.get("errors"), dict) else 0


def print_load(key, f):
    lat = f["latency_ms"]
    label = "registry /download" if key == "registry" else "plain nginx /static"
    print(f"  {label:<20} {f['ok']:>4}/{f['requests']:<4} ok  {f['throughput_rps']:7.1f} req/s "
          f"{f['throughput_mib_s']:8.1f} MiB/s   mean {lat['mean']:8.1f}  median "
          f"{lat['median']:8.1f}  p99 {lat['p99']:8.1f} ms  errors {errors_of(f)}", flush=True)
    if f.get("expect_header_missing"):
        print(f"  {'':<20} {f['expect_header_missing']} answers did not come from the stored "
              "copy", flush=True)
    cpu = ", ".join(f"{k} {v:.1f}" for k, v in sorted(f["server_cpu_s"].items()))
    print(f"  {'':<20} CPU s during the load: client {f['cpu_s']:.1f}, {cpu} (1-min load "
          f"average before it {f['loadavg_before']:.1f})", flush=True)


def ratio(a, b):
    return a / b if b else float("nan")


def print_ratios(r):
    reg, ngx = r["registry"], r["nginx"]
    print(f"  registry / nginx: throughput {ratio(reg['throughput_rps'], ngx['throughput_rps']):.2f}"
          f", median {ratio(reg['latency_ms']['median'], ngx['latency_ms']['median']):.2f}"
          f", p99 {ratio(reg['latency_ms']['p99'], ngx['latency_ms']['p99']):.2f}", flush=True)


def print_table(results, load):
    what = (f"{CLIENTS} clients x {REQUESTS} downloads (+{WARMUP} warm-up each)"
            if load[0] == "registry-load" else f"{CLIENTS} connections for {WRK_DURATION}")
    print(f"\nperformance-track workload: {what} of {TINY_LLM}, {MODELS} + 1 models; load "
          f"client {load[0]}")
    print("* dynalite stands in for DynamoDB and s3rver for S3, on this machine's 2 shared "
          "vCPUs: not AWS figures")
    head = (f"  {'configuration':<40} {'req/s':>7} {'MiB/s':>8} {'mean ms':>9} {'median':>9} "
            f"{'p99':>9} {'errors':>6} {'first dl':>8} {'x nginx':>7} {'seed s':>6}")
    print(head)
    for r in results:
        reg = r["registry"]
        lat = reg["latency_ms"]
        print(f"  {r['label']:<40} {reg['throughput_rps']:7.1f} {reg['throughput_mib_s']:8.1f} "
              f"{lat['mean']:9.1f} {lat['median']:9.1f} {lat['p99']:9.1f} {errors_of(reg):6d} "
              f"{r['first_s']:7.2f}s "
              f"{ratio(reg['throughput_rps'], r['nginx']['throughput_rps']):7.2f} "
              f"{r['seed_s']:6.1f}")
    for r in results:
        ngx = r["nginx"]
        lat = ngx["latency_ms"]
        print(f"  {'  plain nginx (' + r['name'] + ')':<40} "
              f"{ngx['throughput_rps']:7.1f} {ngx['throughput_mib_s']:8.1f} {lat['mean']:9.1f} "
              f"{lat['median']:9.1f} {lat['p99']:9.1f} {errors_of(ngx):6d}")
    print("  x nginx = registry throughput / plain nginx throughput in the same stack")
    for r in results:
        print(f"  per request, {r['name']}: {r['per_request']}")


def main():
    names = components()
    load = loader()
    if load[0] == "wrk":
        print(f"bench: {LOAD} is missing: measuring with wrk instead (-t2 -c{CLIENTS} "
              f"-d{WRK_DURATION}, no warm-up, as many downloads as fit in the duration)")
    work = tempfile.mkdtemp(prefix="registry-workload-bench.")
    os.chmod(work, 0o711)  # nginx's workers (unprivileged) traverse it to the data directories
    upstream_proc = None
    results = []
    start = time.time()
    try:
        upstream_proc, upstream = start_upstream(work)
        for name in names:
            results.append(run_component(name, work, upstream, load))
        print_table(results, load)
        print(f"  ({time.time() - start:.0f} s in all)")
        if os.environ.get("BENCH_WORKLOAD_JSON"):
            with open(os.environ["BENCH_WORKLOAD_JSON"], "w") as f:
                json.dump({"date": time.strftime("%Y-%m-%d %H:%M"), "load_client": load[0],
                           "clients": CLIENTS, "requests": REQUESTS, "warmup": WARMUP,
                           "models": MODELS, "results": results}, f, indent=1)
    finally:
        stop(upstream_proc)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
