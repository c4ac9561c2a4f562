#!/usr/bin/env bash
# Runs every cmocka unit-test binary given as an argument, several at a time; fails if any
# fails. Prints one closing line "unit: N passed, N failed".
#
# Servers the tests need, started for the duration of the run on free loopback ports:
#   - dynalite (tests/dynamodb, in-memory DynamoDB) for the DynamoDB store's tests:
#     REGISTRY_TEST_DYNAMODB_ENDPOINT; each test works on a table of its own.
#   - s3rver (tests/s3, storing in a temp directory) for the S3 client's tests:
#     REGISTRY_TEST_S3_ENDPOINT; each test works in a bucket of its own.
#   - the Hugging Face / GitHub fixture server (tests/fixtures/upstream_server.py) for the
#     upstream clients' tests: REGISTRY_TEST_UPSTREAM_URL. Those tests configure its faults and
#     read its request log, so every binary running at the same time gets a server of its own
#     (one per job slot).
# dynalite and s3rver are installed by scripts/deps.sh. All servers are stopped and their temp
# directories removed when the run ends, also on failure or Ctrl-C. If one cannot start, the run
# fails before any test, saying why.
#
# The binaries run UNIT_JOBS at a time (default: two per core: most of a unit run is waiting on
# a server or on a timeout under test, not computing), in the order given (the Makefile puts the
# longest first). Each one's output is kept and printed whole when it ends, so parallel output
# never interleaves.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
dynalite=$root/tests/dynamodb/node_modules/.bin/dynalite
s3rver=$root/tests/s3/node_modules/.bin/s3rver
python=/usr/bin/python3
jobs=${UNIT_JOBS:-$(($(nproc) * 2))}
work=$(mktemp -d "${TMPDIR:-/tmp}/unit-run.XXXXXX")
server_pids=()
server_url=""

# shellcheck disable=SC2317  # invoked by the EXIT trap
stop_servers() {
    local pid
    for pid in "${server_pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${server_pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    server_pids=()
    rm -rf "$work"
}
trap stop_servers EXIT
trap 'exit 130' INT TERM

free_port() {
    "$python" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# start_server NAME CMD...: runs CMD in the background with every "{port}" in its arguments
# replaced by a free loopback port, and waits (up to 20 s) until it answers HTTP there (any
# status); sets server_url. A port taken between free_port and the server's bind: tries another,
# three times. Returns 1 with the server's output on stderr if it cannot start.
start_server() {
    local name=$1 attempt port pid log=$work/$1.log
    shift
    for attempt in 1 2 3; do
        port=$(free_port) || {
            echo "unit: cannot find a free loopback port for $name" >&2
            return 1
        }
        "${@//\{port\}/$port}" </dev/null >"$log" 2>&1 &
        pid=$!
        server_pids+=("$pid")
        for _ in $(seq 200); do
            kill -0 "$pid" 2>/dev/null || break
            if curl -s -o /dev/null -m 2 "http://127.0.0.1:$port/"; then
                server_url=http://127.0.0.1:$port
                return 0
            fi
            sleep 0.1
        done
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        grep -q "EADDRINUSE\|Address already in use" "$log" || break
        echo "unit: port $port was taken before $name could bind it (attempt $attempt)" >&2
    done
    echo "unit: cannot start $name on 127.0.0.1:$port; its output:" >&2
    tail -n 20 "$log" >&2
    return 1
}

start_dynalite() {
    if [ ! -x "$dynalite" ]; then
        echo "unit: $dynalite is missing; run scripts/deps.sh (npm ci in tests/dynamodb)" >&2
        return 1
    fi
    start_server dynalite "$dynalite" --host 127.0.0.1 --port "{port}" --createTableMs 0 \
        --deleteTableMs 0 --updateTableMs 0 || return 1
    export REGISTRY_TEST_DYNAMODB_ENDPOINT=$server_url
    echo "unit: dynalite (in-memory DynamoDB) serving $server_url"
}

start_s3rver() {
    local node_flags=()
    if [ ! -x "$s3rver" ]; then
        echo "unit: $s3rver is missing; run scripts/deps.sh (npm ci in tests/s3)" >&2
        return 1
    fi
    # s3rver's ListObjectsV2 continuation tokens are DES-encrypted, which OpenSSL 3 (Node 17+)
    # only has in its legacy provider; older Node has neither the need nor the flag.
    if node --openssl-legacy-provider -e 0 2>/dev/null; then
        node_flags=(--openssl-legacy-provider)
    fi
    start_server s3rver node "${node_flags[@]}" "$s3rver" --directory "$work/s3rver-data" \
        --address 127.0.0.1 --port "{port}" --silent || return 1
    export REGISTRY_TEST_S3_ENDPOINT=$server_url
    echo "unit: s3rver (local S3) serving $server_url"
}

# One fixture server per job slot: upstream_urls[slot].
upstream_urls=()
start_upstreams() {
    local slot
    for ((slot = 0; slot < jobs; slot++)); do
        start_server "upstream-$slot" "$python" "$root/tests/fixtures/upstream_server.py" \
            --host 127.0.0.1 --port "{port}" || return 1
        upstream_urls[slot]=$server_url
    done
    echo "unit: $jobs upstream fixture servers serving ${upstream_urls[*]}"
}

if ! start_dynalite || ! start_s3rver || ! start_upstreams; then
    echo "unit: 0 passed, $# failed"
    exit 1
fi

passed=0
failed=0
declare -A running=() # pid -> binary
declare -A output=()  # pid -> its output file
declare -A slot_of=() # pid -> its job slot
free_slots=()
for ((slot = 0; slot < jobs; slot++)); do
    free_slots+=("$slot")
done

# Waits for one running binary to end, prints its output, counts it and frees its slot.
reap_one() {
    local pid rc
    wait -n -p pid "${!running[@]}"
    rc=$?
    cat "${output[$pid]}"
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "unit: FAILED ${running[$pid]} (exit $rc)" >&2
    fi
    free_slots+=("${slot_of[$pid]}")
    unset "running[$pid]" "output[$pid]" "slot_of[$pid]"
}

n=0
for t in "$@"; do
    while [ "${#running[@]}" -ge "$jobs" ]; do
        reap_one
    done
    slot=${free_slots[0]}
    free_slots=("${free_slots[@]:1}")
    n=$((n + 1))
    REGISTRY_TEST_UPSTREAM_URL=${upstream_urls[slot]} "$t" >"$work/out.$n" 2>&1 &
    running[$!]=$t
    output[$!]=$work/out.$n
    slot_of[$!]=$slot
done
while [ "${#running[@]}" -gt 0 ]; do
    reap_one
done
stop_servers
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
