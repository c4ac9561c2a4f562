#!/usr/bin/env python3
"""The pull-through download's model scan (issue 17): cost of scanning while streaming.

    usage: scan_download.py
    env:   REGISTRYD (default build/registryd), BENCH_SCAN_MB (the pytorch_model.bin's size,
           default 300), BENCH_SCAN_RUNS (default 3)

Starts the upstream fixture server and three registry stacks (SQLite), with
REGISTRY_SCAN_POLICY=off, flag (scanned, nothing held) and block (the default: bytes held for
verdicts), and times curl's first download of a
fresh "-scan-clean-<N>mb" model on each (a safe torch zip of N MiB plus a safetensors file and a
config: every byte of the .bin is walked by the scanner, and under block the download answers
once the weights' verdicts are in). Prints the best of BENCH_SCAN_RUNS for each and the ratios
flag / off (the scan's own cost) and block / off. Prints only; never asserts.
"""

import os
import shutil
import sys
import tempfile

from download import curl_seconds, register_model
from stack import login, start_stack, start_upstream, stop

SIZE_MB = int(os.environ.get("BENCH_SCAN_MB", "300"))
RUNS = int(os.environ.get("BENCH_SCAN_RUNS", "3"))


def best_first_download(base, token, policy):
    best = float("inf")
    for run in range(RUNS):
        id_ = register_model(base, token, f"bench-lab/scan-{policy}-{run}-scan-clean-{SIZE_MB}mb")
        best = min(best, curl_seconds([f"{base}/download/model/{id_}"], token))
    return best


def main():
    work = tempfile.mkdtemp(prefix="registry-scan-bench.")
    os.chmod(work, 0o711)  # nginx's unprivileged workers traverse it to each stack's data
    procs = []
    try:
        upstream_proc, upstream = start_upstream(work)
        procs.append(upstream_proc)
        seconds = {}
        for policy in ("off", "flag", "block"):
            sub = os.path.join(work, policy)
            os.mkdir(sub)
            proc, base, _ = start_stack(sub, upstream, workers=4, REGISTRY_SCAN_POLICY=policy)
            procs.append(proc)
            seconds[policy] = best_first_download(base, login(base), policy)
        print(f"\nfirst download (pull-through) of a {SIZE_MB} MiB torch checkpoint, best of {RUNS}:")
        for policy, s in seconds.items():
            print(f"  REGISTRY_SCAN_POLICY={policy:<6} {s:7.2f} s {SIZE_MB / s:8.1f} MiB/s")
        for policy in ("flag", "block"):
            print(f"  {policy} / off time: {seconds[policy] / seconds['off']:.2f}")
    finally:
        for p in reversed(procs):
            stop(p)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
