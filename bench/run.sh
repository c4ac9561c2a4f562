#!/usr/bin/env bash
# The benchmarks (`make bench`), run twice in one go: once on the SQLite store and once on the
# DynamoDB store, with dynalite (an in-memory DynamoDB emulator, tests/dynamodb) standing in for
# DynamoDB. For each backend: seed a fresh store with generated artifacts, start the stack
# through scripts/serve.sh on a free loopback port, log in, then
#   1. wrk: GET /artifacts/{type}/{id} against a static JSON file of the same size served by
#      the same nginx, requests/s of both and their ratio;
#   2. bench/latency.py: median and p99 latency of GET, enumerate and regex search.
# Finally every figure side by side with the ratio DynamoDB / SQLite (bench/compare.py).
# dynalite is not DynamoDB: its figures say how this registry behaves against a local
# DynamoDB-compatible server on this machine, nothing about AWS DynamoDB's latency or throughput.
# Every endpoint but /health, /health/components and /tracks needs a token: each run logs in
# once as the default admin (PUT /authenticate) and sends `X-Authorization: bearer <token>` with
# every request, wrk's included. Each authenticated request spends one use of the token, so the
# stack runs with REGISTRY_TOKEN_MAX_USES=1000000000.
# Prints figures and ratios; never asserts. Exits 0 unless a store cannot be seeded, a stack or
# dynalite cannot be started, or a login fails. See bench/README.md.
#   env: REGISTRYD (binary), BENCH_BIN (directory holding the built bench/*.c programs),
#        BENCH_ARTIFACTS (default 10000), BENCH_DYNAMODB_ARTIFACTS (default: BENCH_ARTIFACTS),
#        BENCH_SEED_WORKERS (processes seeding DynamoDB, default 2), BENCH_WRK_DURATION
#        (default 10s), BENCH_REPS (50), BENCH_BACKENDS ("sqlite dynamodb"),
#        REGISTRY_ADMIN_PASSWORD (the default admin's password, if the stack is to use another)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export REGISTRYD=${REGISTRYD:-$root/build/registryd}
bench_bin=${BENCH_BIN:-$root/build/bench}
artifacts=${BENCH_ARTIFACTS:-10000}
dynamo_artifacts=${BENCH_DYNAMODB_ARTIFACTS:-$artifacts}
seed_workers=${BENCH_SEED_WORKERS:-2}
duration=${BENCH_WRK_DURATION:-10s}
reps=${BENCH_REPS:-50}
backends=${BENCH_BACKENDS:-sqlite dynamodb}
python=/usr/bin/python3
dynalite=$root/tests/dynamodb/node_modules/.bin/dynalite

# /dev/shm keeps SQLite's fsyncs (synchronous=FULL) out of the seeding time; the benchmarks
# themselves only read, from the page cache either way.
tmp_parent=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && tmp_parent=/dev/shm
work=$(mktemp -d "$tmp_parent/registry-bench.XXXXXX")
# Started as root, nginx's workers run unprivileged (conf/render.sh): they traverse this
# directory to reach the data directories under it (they cannot list it).
chmod 711 "$work"
serve_pid=""
wrk_pid=""
dyn_pid=""

stop_stack() {
    if [ -n "$serve_pid" ] && kill -0 "$serve_pid" 2>/dev/null; then
        kill -TERM "$serve_pid" 2>/dev/null || true
        wait "$serve_pid" 2>/dev/null || true
    fi
    serve_pid=""
}

stop_dynalite() {
    if [ -n "$dyn_pid" ]; then
        kill -TERM "$dyn_pid" 2>/dev/null || true
        wait "$dyn_pid" 2>/dev/null || true
    fi
    dyn_pid=""
}

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    if [ -n "$wrk_pid" ]; then
        kill -TERM "$wrk_pid" 2>/dev/null || true
    fi
    stop_stack
    stop_dynalite
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

# "p50 X, p99 Y" from the --latency distribution of a wrk output file.
latency_of() {
    awk '/^  Latency Distribution/ { d = 1 }
         d && $1 == "50%" { p50 = $2 }
         d && $1 == "99%" { p99 = $2 }
         END { printf "p50 %s, p99 %s", p50, p99 }' "$1"
}

# One in-memory dynalite on a free loopback port (retried if the port is taken meanwhile);
# sets dyn_endpoint.
start_dynalite() {
    local port log=$work/dynalite.log
    if [ ! -x "$dynalite" ]; then
        echo "bench: $dynalite is missing: run scripts/deps.sh (npm ci in tests/dynamodb)" >&2
        exit 1
    fi
    for _ in 1 2 3; do
        port=$(free_port)
        dyn_endpoint=http://127.0.0.1:$port
        "$dynalite" --host 127.0.0.1 --port "$port" --createTableMs 0 --deleteTableMs 0 \
            --updateTableMs 0 </dev/null >"$log" 2>&1 &
        dyn_pid=$!
        for _ in $(seq 200); do
            kill -0 "$dyn_pid" 2>/dev/null || break
            if curl -s -o /dev/null -m 2 "$dyn_endpoint/"; then
                return 0
            fi
            sleep 0.1
        done
        stop_dynalite
        grep -q EADDRINUSE "$log" || break
    done
    echo "bench: dynalite did not start on 127.0.0.1:$port; its output:" >&2
    tail -n 20 "$log" >&2
    exit 1
}

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

# run_backend NAME COUNT: the whole benchmark on one store; figures go to $work/NAME/.
run_backend() {
    local name=$1 count=$2 out=$work/$1 data port base up get_url static_url size
    local -a store_env
    local art_type art_id static_rps get_rps
    mkdir -p "$out/data"
    data=$out/data
    if [ "$name" = dynamodb ]; then
        start_dynalite
        echo "== DynamoDB store on dynalite $dyn_endpoint (in-memory, a stand-in for DynamoDB:" \
            "its figures say nothing about AWS DynamoDB)"
        store_env=(REGISTRY_STORE=dynamodb AWS_ENDPOINT_URL_DYNAMODB="$dyn_endpoint"
            DYNAMODB_TABLE=registry-bench AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=bench
            AWS_SECRET_ACCESS_KEY=bench-secret)
        if [ "$count" != "$artifacts" ]; then
            echo "   (BENCH_DYNAMODB_ARTIFACTS: $count artifacts here, $artifacts on SQLite)"
        fi
        echo "== seeding $count artifacts through the store API ($seed_workers processes)"
        env "${store_env[@]}" "$bench_bin/seed" "$data" "$count" "$seed_workers"
    else
        echo "== SQLite store"
        store_env=(REGISTRY_STORE=sqlite)
        echo "== seeding $count artifacts into $data"
        env "${store_env[@]}" "$bench_bin/seed" "$data" "$count"
    fi

    port=$(free_port)
    base=http://127.0.0.1:$port
    echo "== starting the stack on $base (REGISTRY_WORKERS=8, REGISTRY_TOKEN_MAX_USES=1000000000)"
    # wrk hammers from one address on purpose: no per-address limits (conf/render.sh).
    env "${store_env[@]}" PORT="$port" REGISTRY_DATA_DIR="$data" REGISTRY_WORKERS=8 \
        REGISTRY_TOKEN_MAX_USES=1000000000 REGISTRY_CONN_PER_ADDRESS=0 REGISTRY_REQ_PER_SECOND=0 REGISTRY_LOGINS_PER_SECOND=0 \
        "$root/scripts/serve.sh" >"$out/serve.out" 2>&1 &
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
        echo "bench: the $name stack did not start; serve.sh said:" >&2
        cat "$out/serve.out" >&2
        tail -n 20 "$data/log/registryd.log" "$data/log/nginx-error.log" 2>/dev/null >&2 || true
        exit 1
    fi

    # The answer is a JSON string, "bearer <token>": the whole X-Authorization value.
    auth=$(curl -fs -X PUT -H 'Content-Type: application/json' --data-binary "$login_body" \
        "$base/authenticate" | "$python" -c 'import json, sys; print(json.load(sys.stdin))') ||
        auth=""
    if [ -z "$auth" ]; then
        echo "bench: PUT /authenticate as the default admin failed ($name store)" >&2
        tail -n 20 "$data/log/registryd.log" >&2 || true
        exit 1
    fi

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

    run_wrk "$static_url" "$out/wrk-static.txt"
    run_wrk "$get_url" "$out/wrk-get.txt"
    static_rps=$(cat "$out/wrk-static.txt.rps")
    get_rps=$(cat "$out/wrk-get.txt.rps")
    for f in static get; do
        # A benchmark of error responses would be meaningless: say so, do not fail.
        grep -h -E 'Non-2xx|Socket errors' "$out/wrk-$f.txt" | sed "s/^/  note ($f): /" || true
    done
    printf '  %-30s %12s requests/s   (%s)\n' "static /static/bench.json" "${static_rps:-n/a}" \
        "$(latency_of "$out/wrk-static.txt")"
    printf '  %-30s %12s requests/s   (%s)\n' "GET /artifacts/{type}/{id}" "${get_rps:-n/a}" \
        "$(latency_of "$out/wrk-get.txt")"
    if [ -n "$static_rps" ] && [ -n "$get_rps" ]; then
        printf '  %-30s %12s   (target: >= 0.50)\n' "ratio GET / static" \
            "$(awk -v g="$get_rps" -v s="$static_rps" 'BEGIN { printf "%.2f", g / s }')"
    else
        echo "  ratio GET / static: n/a (wrk printed no Requests/sec)"
    fi
    {
        echo "artifacts=$count"
        echo "static_rps=$static_rps"
        echo "get_rps=$get_rps"
        echo "static_latency=$(latency_of "$out/wrk-static.txt")"
        echo "get_latency=$(latency_of "$out/wrk-get.txt")"
        echo "get_non2xx=$(awk '/Non-2xx/ { print $NF }' "$out/wrk-get.txt")"
    } >"$out/wrk.env"

    echo "== latency (bench/latency.py, X-Authorization from BENCH_AUTHORIZATION)"
    BENCH_AUTHORIZATION=$auth BENCH_RESULTS=$out/latency.json \
        "$python" "$root/bench/latency.py" "$base" "$art_type" "$art_id" "$reps" ||
        echo "bench: latency.py failed (exit $?); see above"
    # Errors registryd logged during the run (a store failing shows up here), most frequent first.
    if grep -q ' ERROR ' "$data/log/registryd.log" 2>/dev/null; then
        echo "  registryd logged errors during the $name run (count, message):"
        grep -h ' ERROR ' "$data/log/registryd.log" | sed -E 's/^[^ ]+ pid=[0-9]+ ERROR //' |
            cut -c1-150 | sort | uniq -c | sort -rn | head -n 5 | sed 's/^/   /'
    fi
    stop_stack
    stop_dynalite
}

read -ra backend_list <<<"$backends"
for backend in "${backend_list[@]}"; do
    case $backend in
    sqlite) run_backend sqlite "$artifacts" ;;
    dynamodb) run_backend dynamodb "$dynamo_artifacts" ;;
    *)
        echo "bench: unknown backend '$backend' in BENCH_BACKENDS (sqlite, dynamodb)" >&2
        exit 1
        ;;
    esac
    echo
done

"$python" "$root/bench/compare.py" "$work" "${backend_list[@]}" ||
    echo "bench: compare.py failed (exit $?); see the figures above"
exit 0
