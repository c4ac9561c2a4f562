#!/usr/bin/env bash
# Browser tests of the web interface (www/): starts the upstream fixture server and a registry
# stack (scripts/serve.sh) on free ports with a fresh data directory, runs tests/ui/ui.test.mjs
# (Playwright driving Debian's /usr/bin/chromium, axe-core and Lighthouse), and stops both again,
# also on failure or Ctrl-C. Exits non-zero on any failure.
#   needs: /usr/bin/chromium (Debian package chromium), node, tests/ui/node_modules (npm ci),
#          build/registryd (make)
#   env:   REGISTRYD (default build/registryd), UI_KEEP=1 keeps the temporary directory,
#          UI_TIMEOUT (seconds for the whole test run, default 300)
#   output: tests/ui/output/ (screenshots, axe and Lighthouse results); the artifact page and
#           the dashboard are also copied to docs/screenshots/.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
ui=$root/tests/ui
cd "$root"

registryd=${REGISTRYD:-build/registryd}
case $registryd in /*) ;; *) registryd=$root/$registryd ;; esac
chromium=${CHROMIUM:-/usr/bin/chromium}
python=/usr/bin/python3
[ -x "$python" ] || python=$(command -v python3)

fail() { echo "tests/ui: $*" >&2; exit 1; }
[ -x "$registryd" ] || fail "REGISTRYD $registryd is not an executable; run make first"
[ -x "$chromium" ] || fail "$chromium is missing: apt-get install chromium"
command -v node >/dev/null || fail "node is missing: apt-get install nodejs npm"
[ -d "$ui/node_modules/playwright-core" ] && [ -d "$ui/node_modules/axe-core" ] && [ -d "$ui/node_modules/lighthouse" ] \
    || fail "tests/ui/node_modules is missing: (cd tests/ui && npm ci)"

work=$(mktemp -d "${TMPDIR:-/tmp}/registry-ui.XXXXXX")
# Started as root, nginx's workers run unprivileged (conf/render.sh): they traverse this
# directory to reach the data directory under it (they cannot list it).
chmod 711 "$work"
up_pid=""
stack_pid=""
node_pid=""
status=1

free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Stops a process group we started: SIGTERM to its leader, SIGKILL to the group after $2 s.
stop_group() {
    local pid=$1 grace=$2 i
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# The browser Playwright started (its pid, written by the test): normally closed by the test;
# stopped here when the test process was killed. Playwright starts it as a group leader.
stop_browser() {
    local pid
    pid=$(cat "$work/chromium.pid" 2>/dev/null) || return 0
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    if [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ]; then
        kill -TERM -- "-$pid" 2>/dev/null || true
        sleep 2
        kill -KILL -- "-$pid" 2>/dev/null || true
    else
        kill -KILL "$pid" 2>/dev/null || true
    fi
}

cleanup() {
    trap - EXIT INT TERM
    stop_group "$node_pid" 5
    stop_browser
    stop_group "$stack_pid" 25
    stop_group "$up_pid" 5
    if [ "$status" -eq 0 ] && [ -z "${UI_KEEP:-}" ]; then
        rm -rf "$work"
    else
        echo "tests/ui: logs and data kept in $work" >&2
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'status=130; exit 130' INT TERM

# -- the upstream fixture server (Hugging Face + GitHub APIs) -------------------------------------
setsid "$python" tests/fixtures/upstream_server.py --port 0 --ready-file "$work/upstream.port" --synthesize \
    >"$work/upstream.out" 2>&1 </dev/null &
up_pid=$!
for _ in $(seq 150); do
    [ -s "$work/upstream.port" ] && break
    kill -0 "$up_pid" 2>/dev/null || { cat "$work/upstream.out" >&2; fail "the upstream fixture server exited"; }
    sleep 0.1
done
[ -s "$work/upstream.port" ] || fail "the upstream fixture server did not start within 15 s"
upstream=http://127.0.0.1:$(cat "$work/upstream.port")

# -- the registry stack ---------------------------------------------------------------------------
data=$work/data
for attempt in 1 2 3; do
    port=$(free_port)
    PORT=$port REGISTRY_DATA_DIR=$data REGISTRY_WORKERS=3 REGISTRYD=$registryd \
        HF_ENDPOINT=$upstream GITHUB_API_URL=$upstream REGISTRY_PBKDF2_ITERATIONS=1000 \
        setsid scripts/serve.sh >"$work/serve.out" 2>&1 </dev/null &
    stack_pid=$!
    up=""
    for _ in $(seq 200); do
        if curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1; then up=1; break; fi
        kill -0 "$stack_pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$up" ] && break
    stop_group "$stack_pid" 10
    stack_pid=""
    if ! grep -q "Address already in use" "$work/serve.out" "$data/log/nginx-error.log" 2>/dev/null || [ "$attempt" = 3 ]; then
        tail -n 20 "$work/serve.out" "$data/log/registryd.log" "$data/log/nginx-error.log" >&2 2>/dev/null || true
        fail "the registry stack did not answer GET /health within 20 s"
    fi
done
base=http://127.0.0.1:$port
echo "tests/ui: registry at $base, upstream fixtures at $upstream"

# -- the tests ------------------------------------------------------------------------------------
rm -rf "$ui/output"
mkdir -p "$ui/output"
start=$(date +%s)
set +e
BASE_URL=$base UPSTREAM_URL=$upstream REGISTRY_DATA_DIR=$data UI_OUTPUT=$ui/output REPO_ROOT=$root CHROMIUM=$chromium UI_WORK=$work \
    setsid timeout --kill-after=10 "${UI_TIMEOUT:-300}" node --test --test-reporter=spec --test-concurrency=1 "$ui/ui.test.mjs" </dev/null &
node_pid=$!
wait "$node_pid"
rc=$?
set -e
node_pid=""
echo "tests/ui: finished in $(($(date +%s) - start)) s (exit status $rc)"
[ "$rc" -eq 124 ] && echo "tests/ui: the tests did not finish within ${UI_TIMEOUT:-300} s" >&2
status=$rc
