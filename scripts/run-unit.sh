#!/usr/bin/env bash
# Runs every cmocka unit-test binary given as an argument; fails if any fails.
# Prints one closing line "unit: N passed, N failed".
#
# The DynamoDB store's tests (tests/unit/store/test_store_dynamodb.c) need a DynamoDB: for the
# duration of the run this script starts one in-memory dynalite (tests/dynamodb, installed by
# scripts/deps.sh) on a free loopback port and exports
# REGISTRY_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:<port> to every test; each test works on a
# table of its own.
#
# The S3 client's tests (tests/unit/aws/test_s3.c) need an S3: the script starts s3rver
# (tests/s3, installed by scripts/deps.sh) on a free loopback port, storing in a temp directory
# of its own that is removed when the run ends, and exports
# REGISTRY_TEST_S3_ENDPOINT=http://127.0.0.1:<port>; each test works in a bucket of its own.
#
# The upstream HTTP client's tests (tests/unit/upstream/test_http_client.c) need the Hugging
# Face / GitHub fixture server (tests/fixtures/upstream_server.py): the script starts it with
# --port 0 --ready-file and exports REGISTRY_TEST_UPSTREAM_URL=http://127.0.0.1:<port>.
#
# All servers are stopped when the run ends, also on failure or Ctrl-C. If one cannot start,
# the run fails before any test, saying why.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
dynalite=$root/tests/dynamodb/node_modules/.bin/dynalite
s3rver=$root/tests/s3/node_modules/.bin/s3rver
python=/usr/bin/python3
dyn_pid=""
dyn_log=""
up_pid=""
up_dir=""
s3_pid=""
s3_dir=""

# shellcheck disable=SC2317  # invoked by stop_servers
stop_upstream() {
    if [ -n "$up_pid" ]; then
        kill -TERM "$up_pid" 2>/dev/null || true
        wait "$up_pid" 2>/dev/null || true
        up_pid=""
    fi
    if [ -n "$up_dir" ]; then
        rm -rf "$up_dir"
        up_dir=""
    fi
}

# shellcheck disable=SC2317  # invoked by stop_servers
stop_dynalite() {
    if [ -n "$dyn_pid" ]; then
        kill -TERM "$dyn_pid" 2>/dev/null || true
        wait "$dyn_pid" 2>/dev/null || true
        dyn_pid=""
    fi
    if [ -n "$dyn_log" ]; then
        rm -f "$dyn_log"
    fi
}
# shellcheck disable=SC2317  # invoked by stop_servers
stop_s3rver() {
    if [ -n "$s3_pid" ]; then
        kill -TERM "$s3_pid" 2>/dev/null || true
        wait "$s3_pid" 2>/dev/null || true
        s3_pid=""
    fi
    if [ -n "$s3_dir" ]; then
        rm -rf "$s3_dir"
        s3_dir=""
    fi
}
# shellcheck disable=SC2317  # invoked by the EXIT trap
stop_servers() {
    stop_upstream
    stop_dynalite
    stop_s3rver
}
trap stop_servers EXIT
trap 'exit 130' INT TERM

free_port() {
    "$python" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Starts dynalite on a free port and waits (up to 20 s) until it answers HTTP; sets
# REGISTRY_TEST_DYNAMODB_ENDPOINT. Returns 1 with a message on stderr if it cannot.
start_dynalite() {
    local port endpoint attempt
    if [ ! -x "$dynalite" ]; then
        echo "unit: cannot start dynalite for the DynamoDB store tests: $dynalite is missing;" \
            "run scripts/deps.sh (npm ci in tests/dynamodb)" >&2
        return 1
    fi
    dyn_log=$(mktemp "${TMPDIR:-/tmp}/unit-dynalite.XXXXXX")
    # A port taken between free_port and dynalite's bind: try another, three times.
    for attempt in 1 2 3; do
        port=$(free_port) || {
            echo "unit: cannot find a free loopback port for dynalite" >&2
            return 1
        }
        endpoint=http://127.0.0.1:$port
        "$dynalite" --host 127.0.0.1 --port "$port" --createTableMs 0 --deleteTableMs 0 \
            --updateTableMs 0 </dev/null >"$dyn_log" 2>&1 &
        dyn_pid=$!
        for _ in $(seq 200); do
            if ! kill -0 "$dyn_pid" 2>/dev/null; then
                break
            fi
            # Any HTTP answer (dynalite answers 400 to a bare GET) means it is serving.
            if curl -s -o /dev/null -m 2 "$endpoint/"; then
                export REGISTRY_TEST_DYNAMODB_ENDPOINT=$endpoint
                echo "unit: dynalite (in-memory DynamoDB) serving $endpoint for the unit tests"
                return 0
            fi
            sleep 0.1
        done
        kill -TERM "$dyn_pid" 2>/dev/null || true
        wait "$dyn_pid" 2>/dev/null || true
        dyn_pid=""
        grep -q EADDRINUSE "$dyn_log" || break
        echo "unit: port $port was taken before dynalite could bind it (attempt $attempt)" >&2
    done
    echo "unit: cannot start dynalite on 127.0.0.1:$port for the DynamoDB store tests;" \
        "its output:" >&2
    tail -n 20 "$dyn_log" >&2
    return 1
}

# Starts s3rver on a free port, storing under a temp directory of its own, and waits (up to
# 20 s) until it answers HTTP; sets REGISTRY_TEST_S3_ENDPOINT. Returns 1 with a message on
# stderr if it cannot.
start_s3rver() {
    local port endpoint attempt
    local node_flags=()
    if [ ! -x "$s3rver" ]; then
        echo "unit: cannot start s3rver for the S3 client tests: $s3rver is missing;" \
            "run scripts/deps.sh (npm ci in tests/s3)" >&2
        return 1
    fi
    # s3rver's ListObjectsV2 continuation tokens are DES-encrypted, which OpenSSL 3 (Node 17+)
    # only has in its legacy provider; older Node has neither the need nor the flag.
    if node --openssl-legacy-provider -e 0 2>/dev/null; then
        node_flags=(--openssl-legacy-provider)
    fi
    s3_dir=$(mktemp -d "${TMPDIR:-/tmp}/unit-s3rver.XXXXXX")
    # A port taken between free_port and s3rver's bind: try another, three times.
    for attempt in 1 2 3; do
        port=$(free_port) || {
            echo "unit: cannot find a free loopback port for s3rver" >&2
            return 1
        }
        endpoint=http://127.0.0.1:$port
        node "${node_flags[@]}" "$s3rver" --directory "$s3_dir/data" --address 127.0.0.1 \
            --port "$port" --silent </dev/null >"$s3_dir/log" 2>&1 &
        s3_pid=$!
        for _ in $(seq 200); do
            if ! kill -0 "$s3_pid" 2>/dev/null; then
                break
            fi
            # s3rver answers GET / (ListBuckets) once it is serving.
            if curl -s -o /dev/null -m 2 "$endpoint/"; then
                export REGISTRY_TEST_S3_ENDPOINT=$endpoint
                echo "unit: s3rver (local S3) serving $endpoint for the unit tests"
                return 0
            fi
            sleep 0.1
        done
        kill -TERM "$s3_pid" 2>/dev/null || true
        wait "$s3_pid" 2>/dev/null || true
        s3_pid=""
        grep -q EADDRINUSE "$s3_dir/log" || break
        echo "unit: port $port was taken before s3rver could bind it (attempt $attempt)" >&2
    done
    echo "unit: cannot start s3rver on 127.0.0.1:$port for the S3 client tests; its output:" >&2
    tail -n 20 "$s3_dir/log" >&2
    return 1
}

# Starts the upstream fixture server on a port of its own choosing (--port 0) and waits (up to
# 20 s) for its ready file; sets REGISTRY_TEST_UPSTREAM_URL. Returns 1 with a message if it
# cannot.
start_upstream() {
    local port=""
    up_dir=$(mktemp -d "${TMPDIR:-/tmp}/unit-upstream.XXXXXX")
    "$python" "$root/tests/fixtures/upstream_server.py" --host 127.0.0.1 --port 0 \
        --ready-file "$up_dir/port" </dev/null >"$up_dir/log" 2>&1 &
    up_pid=$!
    for _ in $(seq 200); do
        if [ -s "$up_dir/port" ]; then
            port=$(head -n 1 "$up_dir/port")
            break
        fi
        if ! kill -0 "$up_pid" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    if [ -n "$port" ] && kill -0 "$up_pid" 2>/dev/null; then
        export REGISTRY_TEST_UPSTREAM_URL=http://127.0.0.1:$port
        echo "unit: upstream fixture server serving $REGISTRY_TEST_UPSTREAM_URL for the unit tests"
        return 0
    fi
    echo "unit: cannot start the upstream fixture server (tests/fixtures/upstream_server.py);" \
        "its output:" >&2
    tail -n 20 "$up_dir/log" >&2
    return 1
}

if ! start_dynalite || ! start_upstream || ! start_s3rver; then
    echo "unit: 0 passed, $# failed"
    exit 1
fi

passed=0
failed=0
for t in "$@"; do
    if "$t"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "unit: FAILED $t" >&2
    fi
done
stop_servers
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
