#!/usr/bin/env bash
# Checks the header edges of the C code (README, "Conventions"): which files may see the whole
# application (lib/app.h) and which may see a third-party library's header. Every .c file under
# lib/, fcgi/ and tools/ is run through the preprocessor's dependency listing (cc -M), so an edge made
# through another header counts too. Prints each file that breaks a rule; exits 1 if any does.
#   usage: scripts/check-layers.sh [CFLAGS...]   (make check passes the build's -I flags)
set -euo pipefail
cd "$(dirname "$0")/.."

# rule HEADER ALLOWED: a file whose dependencies include HEADER must match the extended regular
# expression ALLOWED.
rules=(
    # The application layer puts the modules together; nothing below it sees the whole app.
    "lib/app.h|^(fcgi/|lib/reg\.c$|lib/handlers/|lib/bundle/(fill|plan|hubrepo)\.c$)"
    # FastCGI is registryd's business; SQLite is one store backend; libcurl is behind the
    # upstream HTTP client and the AWS clients.
    "fcgiapp.h|^fcgi/"
    "sqlite3.h|^lib/store/store_sqlite\.c$"
    # The load client (tools/registry-load.c over perf/loadgen.c) drives libcurl itself: it
    # keeps one connection per client and times each request, which the upstream client's
    # allow-list, retries and redirects are not for.
    "curl/curl.h|^(fcgi/main\.c|lib/upstream/(http_client|allowlist)\.c|lib/aws/(dynamodb|s3)\.c|lib/perf/loadgen\.c|tools/registry-load\.c)$"
)

broken=0
for f in $(find lib fcgi tools -name '*.c' | sort); do
    deps=$(cc -M -Ilib "$@" "$f" | tr -s ' \\' '\n\n')
    for rule in "${rules[@]}"; do
        header=${rule%%|*}
        allowed=${rule#*|}
        if grep -qE "(^|/)${header//./\\.}$" <<<"$deps" && ! grep -qE "$allowed" <<<"$f"; then
            echo "layers: $f includes $header (directly or through another header)" >&2
            broken=1
        fi
    done
done
# The model-file scanner (lib/scan/) stands on lib/base/ alone (and zlib, json-c), so that any
# layer that fetches or stores a file can call it.
for f in $(find lib/scan -name '*.c' | sort); do
    for dep in $(cc -M -Ilib "$@" "$f" | tr -s ' \\' '\n\n' | grep -E '^lib/' || true); do
        if ! grep -qE '^lib/(base|scan)/' <<<"$dep"; then
            echo "layers: $f includes $dep (lib/scan may include only lib/base and lib/scan)" >&2
            broken=1
        fi
    done
done

[ "$broken" -eq 0 ] && echo "layers: every header edge follows the rules"
exit "$broken"
