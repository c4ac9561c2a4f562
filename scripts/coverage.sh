#!/usr/bin/env bash
# Measured line coverage of lib/ and fcgi/ and the error-message census (issue 18, items 1-2).
#
#   scripts/coverage.sh all    (make coverage) the coverage build (build/cov/: --coverage -O0
#                              -DREG_ERROR_TRACE), the unit tests alone -> first figure; then the
#                              API suite on SQLite and on DynamoDB, the fuzz corpora replay and
#                              the browser tests (COVERAGE_UI=0 leaves them out) -> second
#                              figure, the HTML report build/cov/html/index.html and the census
#                              of error messages (scripts/error_messages.py)
#   scripts/coverage.sh unit   (make coverage-floor, run by make check) the build and the unit
#                              tests alone: the first figure, and the census after them
#
# Each figure is compared with its floor in tests/coverage-floor.txt ("unit N.N", "all N.N",
# "errors N.N": percentages); the run fails if one falls below it, or if a suite fails. Raise
# the floors when the figures rise, never lower them to make a change pass.
#
# Counters: every process of the coverage build adds its counts to build/cov/**/*.gcda when it
# exits (exit, or _exit through tests/coverage/gcov_exit.c); registryd's workers and master exit
# on SIGTERM, which the suites send. A process killed with SIGKILL (the API suite's kill -9
# drills) loses the counts of its life. Every reg_errorf call site reached appends "file:line"
# to build/cov/errors.trace (REG_ERROR_TRACE_FILE).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
mode=${1:-all}
case $mode in unit | all) ;; *)
    echo "usage: $0 [unit|all]" >&2
    exit 2
    ;;
esac
cov=build/cov
python=/usr/bin/python3
floors=tests/coverage-floor.txt
failed=()

make --no-print-directory -j"${COVERAGE_JOBS:-2}" VARIANT=cov all >"$cov.build.log" 2>&1 || {
    cat "$cov.build.log"
    echo "coverage: the coverage build failed" >&2
    exit 1
}
# Counts from an earlier run would be added to this one's.
find "$cov" -name '*.gcda' -delete
export REG_ERROR_TRACE_FILE=$root/$cov/errors.trace
rm -f "$REG_ERROR_TRACE_FILE"
: >"$REG_ERROR_TRACE_FILE"

# $1: a label; the rest: a command. Runs it, keeps going when it fails (the figures still say
# something), remembers the failure.
suite() {
    local label=$1
    shift
    echo "== coverage: $label"
    "$@" || failed+=("$label")
}

# gcovr over the counters so far: prints the summary, writes $cov/<name>.json. Only lib/ and
# fcgi/ are measured (not the tests, tools or benchmarks themselves). Lines of a header's
# inline function count once however many objects include it.
measure() {
    local name=$1
    shift
    gcovr --root . --filter 'lib/' --filter 'fcgi/' --object-directory "$cov" \
        --gcov-ignore-parse-errors --print-summary --json-summary "$cov/$name.json" \
        --json-summary-pretty "$@" "$cov" >"$cov/$name.gcovr.log" 2>&1 ||
        { cat "$cov/$name.gcovr.log"; echo "coverage: gcovr failed" >&2; exit 1; }
    "$python" -c 'import json,sys; print("%.1f" % json.load(open(sys.argv[1]))["line_percent"])' \
        "$cov/$name.json"
}

# $1: the floor's name, $2: the figure. Fails the run below the committed floor.
check_floor() {
    local floor
    floor=$(awk -v k="$1" '$1 == k { print $2 }' "$floors")
    if [ -z "$floor" ]; then
        echo "coverage: no floor '$1' in $floors" >&2
        failed+=("floor $1 missing")
    elif awk -v f="$2" -v m="$floor" 'BEGIN { exit !(f + 0 < m + 0) }'; then
        echo "coverage: $1 = $2 % is below the floor $floor % ($floors)" >&2
        failed+=("floor $1")
    else
        echo "coverage: $1 = $2 % (floor $floor %)"
    fi
}

suite "unit tests" make --no-print-directory VARIANT=cov unit
unit=$(measure unit)
cp "$REG_ERROR_TRACE_FILE" "$cov/errors-unit.trace"
echo "== line coverage of lib/ and fcgi/, unit tests alone: $unit %"

if [ "$mode" = all ]; then
    registryd=$root/$cov/registryd
    for store in sqlite dynamodb; do
        suite "API on $store" env REGISTRY_TEST_STORE=$store REGISTRYD="$registryd" \
            "$python" -m pytest -q -p no:cacheprovider tests/api
    done
    suite "fuzz corpora replay" make --no-print-directory VARIANT=cov fuzz-replay
    if [ "${COVERAGE_UI:-1}" != 0 ]; then
        suite "browser tests" env REGISTRYD="$registryd" tests/ui/run.sh
    fi
    mkdir -p "$cov/html"
    all=$(measure all --html-details "$cov/html/index.html")
    echo "== line coverage of lib/ and fcgi/, unit tests alone: $unit %"
    echo "== line coverage of lib/ and fcgi/, all tests: $all % (report: $cov/html/index.html)"
fi

census=$("$python" scripts/error_messages.py --trace "$REG_ERROR_TRACE_FILE" --percent-only)
# The never-produced list after the whole run only (make check's unit-only run would print
# most of the messages).
[ "$mode" = all ] && "$python" scripts/error_messages.py --trace "$REG_ERROR_TRACE_FILE" --never
echo "== error messages produced ($mode): $census %"

check_floor unit "$unit"
if [ "$mode" = all ]; then
    check_floor all "$all"
    check_floor errors "$census"
fi
if [ ${#failed[@]} -gt 0 ]; then
    echo "coverage: FAILED: ${failed[*]}" >&2
    exit 1
fi
