#!/usr/bin/env python3
"""Side by side: the figures of one bench/run.sh run on each backend, with the ratio
DynamoDB / SQLite for every figure (bench/run.sh runs this last).

    usage: compare.py WORK_DIR BACKEND...

WORK_DIR/<backend>/ holds what run.sh wrote for that backend: wrk.env (wrk's requests/s and
latency) and latency.json (latency.py's cases). A ratio is printed only where both backends
answered as expected; otherwise the cell says why not. Prints only; never asserts.
"""

import json
import os
import sys

NAMES = {"sqlite": "SQLite", "dynamodb": "DynamoDB*"}


def load(work, backend):
    d = os.path.join(work, backend)
    wrk = {}
    try:
        with open(os.path.join(d, "wrk.env")) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("=")
                wrk[k] = v
    except OSError:
        pass
    try:
        with open(os.path.join(d, "latency.json")) as f:
            lat = json.load(f)
    except (OSError, ValueError):
        lat = {"cases": []}
    return wrk, lat


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def fmt(v, unit):
    if v is None:
        return "n/a"
    if unit == "req/s":
        return f"{v:,.0f}"
    return f"{v:.2f}"


def failed(result):
    return result is None or "expected" in result


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[3].strip(), file=sys.stderr)
        return 2
    work, backends = sys.argv[1], sys.argv[2:]
    data = {b: load(work, b) for b in backends}
    if "sqlite" not in data or "dynamodb" not in data:
        print("compare: both sqlite and dynamodb runs are needed for the ratios; skipped")
        return 0
    (sw, sl), (dw, dl) = data["sqlite"], data["dynamodb"]
    print("== DynamoDB* / SQLite: every figure of this run, side by side")
    print("   * DynamoDB here is dynalite, an in-memory DynamoDB emulator (Node.js) on this "
          "machine: a stand-in")
    print("     for DynamoDB. Its figures say how the registry behaves over the DynamoDB store "
          "code and")
    print("     protocol against a local server; they say nothing about AWS DynamoDB's latency "
          "or throughput.")
    if sw.get("artifacts") != dw.get("artifacts"):
        print(f"   artifacts: {sw.get('artifacts')} on SQLite, {dw.get('artifacts')} on "
              "DynamoDB* (BENCH_DYNAMODB_ARTIFACTS)")
    else:
        print(f"   artifacts: {sw.get('artifacts')} on each")
    print("   D*/S = DynamoDB* / SQLite: below 1 for req/s, or above 1 for ms, means DynamoDB* "
          "is slower.")
    print(f"  {'figure':<54} {'SQLite':>10} {'DynamoDB*':>10} {'D*/S':>7}  note")
    rows = []

    def row(label, unit, s, d, note="", comparable=None):
        """comparable: whether the two figures measure the same thing (default: no note)."""
        if comparable is None:
            comparable = not note
        ratio = f"{d / s:.2f}" if s and d is not None and comparable else "n/a"
        rows.append(label)
        print(f"  {label + ' (' + unit + ')':<54} {fmt(s, unit):>10} {fmt(d, unit):>10} "
              f"{ratio:>7}  {note}")

    for key, label in (("static_rps", "wrk static file"), ("get_rps", "wrk GET /artifacts/{t}/{id}")):
        note = ""
        if key == "get_rps" and (sw.get("get_non2xx") or dw.get("get_non2xx")):
            note = f"non-2xx answers: SQLite {sw.get('get_non2xx') or 0}, " \
                   f"DynamoDB* {dw.get('get_non2xx') or 0}"
        row(label, "req/s", num(sw.get(key)), num(dw.get(key)), note)
    s_ratio = (num(sw.get("get_rps")) or 0) / (num(sw.get("static_rps")) or 1)
    d_ratio = (num(dw.get("get_rps")) or 0) / (num(dw.get("static_rps")) or 1)
    row("wrk GET / static", "ratio", s_ratio or None, d_ratio or None)

    scases = {c["case"]: c for c in sl.get("cases", [])}
    for i, d in enumerate(dl.get("cases", [])):
        # The GET's label names the type of the artifact fetched; match it by position.
        s = scases.get(d["case"])
        if s is None and i < len(sl.get("cases", [])):
            s = sl["cases"][i]
        if s is None:
            continue
        note = ""
        if failed(s["result"]) or failed(d["result"]):
            note = f"SQLite {s['result']}; DynamoDB* {d['result']}"
        elif s["result"] != d["result"]:
            # Same status, other item counts: a ratio, but of different work; say so.
            note = f"answers differ: SQLite {s['result']}; DynamoDB* {d['result']}"
            row(d["case"], "median ms", s["median_ms"], d["median_ms"], note, comparable=True)
            continue
        row(d["case"], "median ms", s["median_ms"], d["median_ms"], note)
    sc, dc = num(sl.get("cold_regex_ms")), num(dl.get("cold_regex_ms"))
    note = ""
    if sl.get("cold_regex_status") != 200 or dl.get("cold_regex_status") != 200:
        note = f"answered: SQLite {sl.get('cold_regex_status')}, " \
               f"DynamoDB* {dl.get('cold_regex_status')}"
    row("first regex search, cold worker cache", "ms", sc, dc, note)
    print("   n/a: a backend did not answer as the case expects (see its result, and the errors "
          "registryd logged, above).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
