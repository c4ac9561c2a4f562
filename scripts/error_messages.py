#!/usr/bin/env python3
"""The error-message census (issue 18, item 2): every error message the C code can produce,
and which of them a test run produced.

Messages, read from the sources of lib/, fcgi/ and tools/ (comments stripped, strings kept):
  - each reg_errorf call site: its format string (adjacent literals joined, a macro between
    them such as PRIu64 shown as <PRIu64>); when the format is only "%s" and the argument is a
    literal or a choice of literals (c ? "a" : "b"), the literals are the message;
  - a "%s" whose argument is a parameter of the enclosing function makes that function a
    wrapper (ingest.c's `refuse(detail)`, ...): each call of it in the same file with a literal
    in that position is a message of its own, at the caller.
A call site whose "%s" relays a detail recorded elsewhere (reg_errorf(st, "%s", j->detail)) is a
message too ("relayed"): the line that re-raises it can be reached or not like any other.

Produced: the coverage build (make coverage, -DREG_ERROR_TRACE) appends "file:line" of each
reg_errorf it runs to the trace file (lib/base/status.h). A reg_errorf site is produced when its
line is in the trace; a wrapper's literal is produced when the wrapper's reg_errorf is in the
trace and the caller's line ran (gcov's line count, from gcovr's JSON given with --gcov-json;
without it, the wrapper's own site decides).

  scripts/error_messages.py                      every message, one a line
  scripts/error_messages.py --trace FILE --never the percentage produced and the never list
  scripts/error_messages.py --trace FILE --percent-only
"""
import argparse
import gzip
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_DIRS = ("lib", "fcgi", "tools")
# The definition and declarations of reg_errorf itself.
SKIP = {"lib/base/status.c", "lib/base/status.h"}
CALL = re.compile(r"\breg_errorf\s*\(")
FUNC_DEF = re.compile(r"^([A-Za-z_]\w*)\(([^)]*)\)?", re.M)


def strip_comments(text):
    """The text with comments blanked (newlines kept, so offsets and lines stay)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def call_args(text, open_paren):
    """The top-level arguments of the call whose '(' is at open_paren, and the offset after
    its ')'."""
    args, depth, start, i = [], 0, open_paren + 1, open_paren
    while i < len(text):
        c = text[i]
        if c in "\"'":
            j = i + 1
            while text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append(text[start:i].strip())
                return args, i + 1
        elif c == "," and depth == 1:
            args.append(text[start:i].strip())
            start = i + 1
        i += 1
    raise ValueError("unbalanced call")


STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def literal(expr):
    """The string an expression of adjacent literals (and macros such as PRIu64) spells, or
    None when it is something else."""
    parts, pos = [], 0
    expr = expr.strip()
    if not expr.startswith('"'):
        return None
    for m in re.finditer(r'"((?:[^"\\]|\\.)*)"|([A-Za-z_]\w*)|(\S)', expr):
        if m.group(3):
            return None
        parts.append(m.group(1) if m.group(1) is not None else "<%s>" % m.group(2))
        pos = m.end()
    return "".join(parts) if pos else None


def literal_choices(expr):
    """The literals of `c ? "a" : "b"` (nested choices too), or None."""
    one = literal(expr)
    if one is not None:
        return [one]
    depth = 0
    for i, c in enumerate(expr):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "?" and depth == 0:
            rest = expr[i + 1 :]
            colon = split_colon(rest)
            if colon is None:
                return None
            a, b = literal_choices(rest[:colon]), literal_choices(rest[colon + 1 :])
            return a + b if a is not None and b is not None else None
    return None


def split_colon(expr):
    depth, nested = 0, 0
    for i, c in enumerate(expr):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "?" and depth == 0:
            nested += 1
        elif c == ":" and depth == 0:
            if nested == 0:
                return i
            nested -= 1
    return None


def enclosing_function(text, offset):
    """(name, parameter names) of the function definition the offset is in: the project's
    style puts a definition's name at the start of its line (STYLE.md)."""
    best = None
    for m in FUNC_DEF.finditer(text, 0, offset):
        best = m
    if best is None:
        return None, []
    args, _ = call_args(text, best.start(2) - 1)
    names = []
    for a in args:
        m = re.search(r"(\w+)\s*(\[[^\]]*\])?$", a)
        if m:
            names.append(m.group(1))
    return best.group(1), names


def line_of(text, offset):
    return text.count("\n", 0, offset) + 1


def messages():
    """Every message: dicts with file, line, status, text, kind, and for a wrapper's literal
    the wrapper's site ("via")."""
    found = []
    for top in SOURCE_DIRS:
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for f in sorted(files):
                if not f.endswith((".c", ".h")):
                    continue
                path = os.path.relpath(os.path.join(dirpath, f), ROOT)
                if path in SKIP:
                    continue
                with open(os.path.join(ROOT, path), encoding="utf-8") as fh:
                    text = strip_comments(fh.read())
                found.extend(file_messages(path, text))
    found.sort(key=lambda m: (m["file"], m["line"]))
    return found


def file_messages(path, text):
    out = []
    for m in CALL.finditer(text):
        args, _ = call_args(text, m.end() - 1)
        if len(args) < 2:
            continue
        site = {"file": path, "line": line_of(text, m.start()), "status": args[0]}
        choices = literal_choices(args[1])
        if choices is None:
            out.append(dict(site, kind="dynamic", text=args[1]))
            continue
        fmt = " | ".join(choices)
        if fmt == "%s" and len(args) == 3:
            choices = literal_choices(args[2])
            if choices is not None:
                out.append(dict(site, kind="literal", text=" | ".join(choices)))
                continue
            func, params = enclosing_function(text, m.start())
            if args[2] in params:
                wrapped = wrapper_calls(path, text, func, params.index(args[2]), site)
                if wrapped:
                    out.extend(wrapped)
                    continue
            out.append(dict(site, kind="relayed", text="%s <- " + args[2]))
            continue
        out.append(dict(site, kind="format", text=fmt))
    return out


def wrapper_calls(path, text, func, index, site):
    """The messages passed as literals to func (argument index) in this file."""
    out = []
    for m in re.finditer(r"\b%s\s*\(" % re.escape(func), text):
        line = line_of(text, m.start())
        before = text[max(0, m.start() - 200) : m.start()]
        if re.search(r"^\s*$", before.split("\n")[-1]) and text[m.start() - 1] == "\n":
            continue  # the definition itself
        args, _ = call_args(text, m.end() - 1)
        if index < len(args):
            choices = literal_choices(args[index])
            if choices is not None:
                out.append({"file": path, "line": line, "status": site["status"],
                            "kind": "wrapped", "text": " | ".join(choices),
                            "via": "%s:%d" % (site["file"], site["line"])})
    return out


def read_trace(path):
    sites = set()
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            line = line.strip()
            if line:
                file, _, num = line.rpartition(":")
                sites.add("%s:%s" % (os.path.normpath(file), num))
    return sites


def read_lines_run(path):
    """{"file:line"} of the lines gcov saw run, from gcovr's --json (detailed) output."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as fh:
        data = json.load(fh)
    run = set()
    for f in data.get("files", []):
        for ln in f.get("lines", []):
            if ln.get("count", 0) > 0:
                run.add("%s:%d" % (os.path.normpath(f["file"]), ln["line_number"]))
    return run


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trace", help="the coverage build's REG_ERROR_TRACE_FILE")
    ap.add_argument("--gcov-json", help="gcovr --json output of the same run (wrappers)")
    ap.add_argument("--never", action="store_true", help="the percentage and the never list")
    ap.add_argument("--percent-only", action="store_true")
    ap.add_argument("--json", action="store_true", help="every message as JSON")
    opts = ap.parse_args()

    msgs = messages()
    if opts.trace:
        seen = read_trace(opts.trace)
        ran = read_lines_run(opts.gcov_json) if opts.gcov_json else None
        for m in msgs:
            if m["kind"] == "wrapped":
                caller = "%s:%d" % (m["file"], m["line"])
                m["produced"] = m["via"] in seen and (ran is None or caller in ran)
            else:
                m["produced"] = "%s:%d" % (m["file"], m["line"]) in seen
    produced = sum(1 for m in msgs if m.get("produced"))
    percent = 100.0 * produced / len(msgs) if msgs else 100.0

    if opts.json:
        json.dump(msgs, sys.stdout, indent=1)
        print()
    elif opts.percent_only:
        if not opts.trace:
            ap.error("--percent-only needs --trace")
        print("%.1f" % percent)
    elif opts.never:
        if not opts.trace:
            ap.error("--never needs --trace")
        never = [m for m in msgs if not m["produced"]]
        print("error messages never produced (%d of %d):" % (len(never), len(msgs)))
        for m in never:
            print("  %s:%d  %s  %s" % (m["file"], m["line"], m["status"], json.dumps(m["text"])))
        print("error messages produced: %d of %d (%.1f %%)" % (produced, len(msgs), percent))
    else:
        for m in msgs:
            mark = "" if "produced" not in m else ("produced " if m["produced"] else "never    ")
            print("%s%s:%d  %s  %-8s %s" % (mark, m["file"], m["line"], m["status"], m["kind"],
                                            json.dumps(m["text"])))
        print("%d messages" % len(msgs), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
