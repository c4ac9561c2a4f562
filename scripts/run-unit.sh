#!/usr/bin/env bash
# Runs every cmocka unit-test binary given as an argument; fails if any fails.
# Prints one closing line "unit: N passed, N failed".
set -u
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
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
