#!/usr/bin/env bash
# The benchmarks (`make bench`): seeds a fresh data directory with generated artifacts, starts
# the stack through scripts/serve.sh on a free loopback port, then
#   1. wrk: GET /artifacts/{type}/{id} against a static JSON file of the same size served by
#      the same nginx, requests/s of both and their ratio;
#   2. bench/latency.py: median and p99 latency of enumerate and regex search.
# Every endpoint but /health, /health/components and /tracks needs a token: the script logs in
# once as the default admin (PUT /authenticate) and sends `X-Authorization: bearer <token>` with
# every request, wrk's included. Each authenticated request spends one use of the token, so the
# stack runs with REGISTRY_TOKEN_MAX_USES=1000000000.
# Prints figures and ratios against the targets; never asserts. Exits 0 unless the stack
# cannot be seeded or started, or the login fails. See bench/README.md.
#   env: REGISTRYD (binary), BENCH_BIN (directory holding the built bench/*.c programs),
#        BENCH_ARTIFACTS (default 10000), BENCH_WRK_DURATION (default 10s), BENCH_REPS (50),
#        REGISTRY_ADMIN_PASSWORD (the default admin's password, if the stack is to use another)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export REGISTRYD=${REGISTRYD:-$root/build/registryd}
bench_bin=${BENCH_BIN:-$root/build/bench}
artifacts=${BENCH_ARTIFACTS:-10000}
duration=${BENCH_WRK_DURATION:-10s}
reps=${BENCH_REPS:-50}
python=/usr/bin/python3

# /dev/shm keeps SQLite's fsyncs (synchronous=FULL) out of the seeding time; the benchmarks
# themselves only read, from the page cache either way.
tmp_parent=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && tmp_parent=/dev/shm
work=$(mktemp -d "$tmp_parent/registry-bench.XXXXXX")
data=$work/data
serve_pid=""
wrk_pid=""

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    if [ -n "$wrk_pid" ]; then
        kill -TERM "$wrk_pid" 2>/dev/null || true
    fi
    if [ -n "$serve_pid" ] && kill -0 "$serve_pid" 2>/dev/null; then
        kill -TERM "$serve_pid" 2>/dev/null || true
        wait "$serve_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    "$python" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# One wrk run into file $2; its Requests/sec goes to $2.rps ("" if wrk printed none). wrk runs
# in the background so that a signal to this script ends it at once (wait is interruptible).
# Both runs send the same X-Authorization header (nginx ignores it for the static file), so the
# requests are the same size.
run_wrk() {
    wrk -t2 -c32 -d"$duration" --latency -H "X-Authorization: $auth" "$1" >"$2" 2>&1 &
    wrk_pid=$!
    wait "$wrk_pid" || true
    wrk_pid=""
    awk '/^Requests\/sec:/ { print $2 }' "$2" >"$2.rps"
}

mkdir -p "$data"
echo "== seeding $artifacts artifacts into $data"
"$bench_bin/seed" "$data" "$artifacts"

port=$(free_port)
base=http://127.0.0.1:$port
echo "== starting the stack on $base (REGISTRY_WORKERS=8, REGISTRY_TOKEN_MAX_USES=1000000000)"
PORT=$port REGISTRY_DATA_DIR=$data REGISTRY_WORKERS=8 REGISTRY_TOKEN_MAX_USES=1000000000 \
    "$root/scripts/serve.sh" >"$work/serve.out" 2>&1 &
serve_pid=$!
up=""
for _ in $(seq 150); do
    if curl -fs "$base/health" >/dev/null 2>&1; then
        up=1
        break
    fi
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$up" ]; then
    echo "bench: the stack did not start; serve.sh said:" >&2
    cat "$work/serve.out" >&2
    tail -n 20 "$data/log/registryd.log" "$data/log/nginx-error.log" 2>/dev/null >&2 || true
    exit 1
fi

# One login as the default admin. Its password (REGISTRY_ADMIN_PASSWORD's default) holds a
# single quote, a double quote and a backtick, so the body is built by json.dumps, not by hand.
default_password=$(
    cat <<'EOF'
correcthorsebatterystaple123(!__+@**(A'"`;DROP TABLE artifacts;
EOF
)
login_body=$(BENCH_PASSWORD=${REGISTRY_ADMIN_PASSWORD:-$default_password} "$python" -c '
import json, os
print(json.dumps({"user": {"name": "ece30861defaultadminuser", "is_admin": True},
                  "secret": {"password": os.environ["BENCH_PASSWORD"]}}))')
# The answer is a JSON string, "bearer <token>": the whole X-Authorization value.
auth=$(curl -fs -X PUT -H 'Content-Type: application/json' --data-binary "$login_body" \
    "$base/authenticate" | "$python" -c 'import json, sys; print(json.load(sys.stdin))') || auth=""
if [ -z "$auth" ]; then
    echo "bench: PUT /authenticate as the default admin failed" >&2
    exit 1
fi
export BENCH_AUTHORIZATION=$auth

# One artifact to fetch: the first of the enumeration.
read -r art_type art_id < <(curl -fs -X POST -H 'Content-Type: application/json' \
    -H "X-Authorization: $auth" --data '[{"name":"*"}]' "$base/artifacts" |
    "$python" -c 'import json, sys; a = json.load(sys.stdin)[0]; print(a["type"], a["id"])')
get_url=$base/artifacts/$art_type/$art_id
static_url=$base/static/bench.json

# The static reference: a file of exactly the same bytes (hence size) as the artifact's JSON.
curl -fs -H "X-Authorization: $auth" -o "$data/static/bench.json" "$get_url"
size=$(wc -c <"$data/static/bench.json")
echo "== wrk -t2 -c32 -d$duration, with X-Authorization:" \
    "GET $art_type/$art_id ($size bytes) vs a static $size-byte file"

run_wrk "$static_url" "$work/wrk-static.txt"
run_wrk "$get_url" "$work/wrk-get.txt"
static_rps=$(cat "$work/wrk-static.txt.rps")
get_rps=$(cat "$work/wrk-get.txt.rps")
for f in static get; do
    # A benchmark of error responses would be meaningless: say so, do not fail.
    grep -h -E 'Non-2xx|Socket errors' "$work/wrk-$f.txt" | sed "s/^/  note ($f): /" || true
done
# "p50 X, p99 Y" from the --latency distribution of a wrk output file.
latency_of() {
    awk '/^  Latency Distribution/ { d = 1 }
         d && $1 == "50%" { p50 = $2 }
         d && $1 == "99%" { p99 = $2 }
         END { printf "p50 %s, p99 %s", p50, p99 }' "$1"
}
printf '  %-30s %12s requests/s   (%s)\n' "static /static/bench.json" "${static_rps:-n/a}" \
    "$(latency_of "$work/wrk-static.txt")"
printf '  %-30s %12s requests/s   (%s)\n' "GET /artifacts/{type}/{id}" "${get_rps:-n/a}" \
    "$(latency_of "$work/wrk-get.txt")"
if [ -n "$static_rps" ] && [ -n "$get_rps" ]; then
    printf '  %-30s %12s   (target: >= 0.50)\n' "ratio GET / static" \
        "$(awk -v g="$get_rps" -v s="$static_rps" 'BEGIN { printf "%.2f", g / s }')"
else
    echo "  ratio GET / static: n/a (wrk printed no Requests/sec)"
fi

echo "== latency (bench/latency.py, X-Authorization from BENCH_AUTHORIZATION)"
"$python" "$root/bench/latency.py" "$base" "$art_type" "$art_id" "$reps" ||
    echo "bench: latency.py failed (exit $?); see above"
exit 0
