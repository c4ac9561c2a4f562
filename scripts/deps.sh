#!/usr/bin/env bash
# Installs the Debian packages the build, the server and the tests need, and only those that are
# missing. Idempotent and quiet when everything is there; `make run`, `make check` and
# `make bench` call it first.
set -euo pipefail

packages=(
    build-essential pkg-config clang-format
    libfcgi-dev libcurl4-openssl-dev libssl-dev libjson-c-dev libpcre2-dev libsqlite3-dev zlib1g-dev libarchive-dev
    libcmocka-dev nginx
    python3 python3-pytest python3-requests python3-yaml
    wrk curl procps
)

# Node.js runs the test-only servers (dynalite); a machine that has node and npm already keeps
# its own, others get Debian's.
command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "deps: run as root or install: ${missing[*]}" >&2; exit 1; }
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -q
    "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Test-only npm packages, pinned by tests/dynamodb/package-lock.json.
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -x "$root/tests/dynamodb/node_modules/.bin/dynalite" ]; then
    echo "deps: npm ci in tests/dynamodb"
    (cd "$root/tests/dynamodb" && npm ci --no-audit --no-fund --loglevel=error)
fi
