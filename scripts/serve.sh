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
port=${PORT:-8080}
log=$REGISTRY_DATA_DIR/log

conf=$("$root/conf/render.sh")
rpid=""
npid=""
stop() {
    [ -n "$npid" ] && kill -TERM "$npid" 2>/dev/null
    [ -n "$rpid" ] && kill -TERM "$rpid" 2>/dev/null
    wait 2>/dev/null
    exit 0
}
trap stop INT TERM

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

# Whichever of the two ends first takes the other down with it.
wait -n "$rpid" "$npid" || true
stop
