# Trustworthy Model Registry: build, run and test.
#
#   make            lib/ as a static library, fcgi/registryd, tools/registry-load (the load
#                   client the download workload runs, next to registryd) and the unit tests
#                   (build/)
#   make run        installs what is missing, builds, serves http://127.0.0.1:$(PORT)
#   make check      installs what is missing, format and layer checks, then every suite at once
#                   (each one's output printed whole when it ends): unit + API on SQLite on the
#                   release build, unit + API on SQLite and DynamoDB on the AddressSanitizer+UBSan
#                   build (build/asan/), the fixture server's tests and the browser tests
#   make unit | api | api-sqlite | api-dynamodb | fixtures | ui   one suite
#   make asan       only the sanitizer pass (asan-unit, asan-api-sqlite, asan-api-dynamodb,
#                   asan-fuzz-replay: the fuzz corpora through their harnesses)
#   make coverage   line coverage of lib/ and fcgi/ (unit tests alone, then every suite) and the
#                   error census on the coverage build (build/cov/); README, "Coverage"
#   make fuzz       libFuzzer on each harness of tests/fuzz/ for FUZZ_SECONDS (default 60);
#                   FUZZ=name: that harness only
#   make layers     the header edges: who may include app.h, FastCGI, SQLite, libcurl
#   make lint       clang with extra warnings (-Weverything minus the noise) and clang-tidy on
#                   lib/, fcgi/, the unit tests and the fuzz harnesses, one job per core (make
#                   tidy: clang-tidy only)
#   make bench      wrk, latency, ingest and download benchmarks, then the performance-track
#                   workload (print ratios, never assert; BENCH_QUICK=1: the workload on the
#                   default configuration only)
#   make bench-workload  only the workload: 100 clients downloading Tiny-LLM from 500 models,
#                   per store/blob configuration (BENCH_COMPONENTS; bench/README.md)
#
# VARIANT=asan selects the sanitizer build directory and flags; the asan targets set it.

VARIANT ?= release
ifeq ($(VARIANT),asan)
B := build/asan
OPT := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDSAN := -fsanitize=address,undefined
else ifeq ($(VARIANT),cov)
# make coverage: gcov counters, no optimisation (lines map to code), and the error census's
# call-site trace (status.h). _exit is wrapped so that forked children that end with it (the
# bundler, lib/base/proc.c) write their counters too (tests/coverage/gcov_exit.c).
B := build/cov
OPT := -O0 -g --coverage -DREG_ERROR_TRACE
LDSAN := --coverage -Wl,--wrap=_exit build/cov/gcov_exit.o
else
B := build
OPT := -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong
LDSAN :=
endif

CC ?= cc
PYTHON := /usr/bin/python3
PKGS := fcgi libcurl openssl json-c libpcre2-8 sqlite3 zlib libarchive libdeflate

WARN := -Wall -Wextra -Werror -Wpedantic -Wstrict-prototypes -Wmissing-prototypes \
	-Wmissing-declarations -Wshadow -Wpointer-arith -Wcast-qual -Wcast-align \
	-Wwrite-strings -Wformat=2 -Wundef -Wvla -Wimplicit-fallthrough -Wnull-dereference \
	-Wdouble-promotion -Wsign-compare -Wtype-limits -fno-common

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) $(OPT) -Ilib $(PKG_CFLAGS)
LDLIBS = $(PKG_LIBS) -lm

LIB_SRC := $(sort $(shell find lib -name '*.c'))
FCGI_SRC := $(sort $(wildcard fcgi/*.c))
# Programs of their own that ship with registryd, each one .c file over libreg.a, built next to
# it (registryd finds registry-load in its own directory).
TOOLS_SRC := $(sort $(wildcard tools/*.c))
TOOLS_BIN := $(TOOLS_SRC:tools/%.c=$(B)/%)
UNIT_SRC := $(sort $(shell find tests/unit -name 'test_*.c'))
# libFuzzer harnesses (tests/fuzz/fuzz_<name>.c), each with a seed corpus tests/fuzz/corpus/<name>/.
# make check replays every corpus through its harness without libFuzzer (replay_<name>, built
# with the build's flags: the sanitizers on the asan build); make fuzz runs libFuzzer itself.
FUZZ_NAMES := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/*.c))
FUZZ_REPLAY_BIN := $(FUZZ_NAMES:%=$(B)/tests/fuzz/replay_%)
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:%.c=$(B)/%)
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
FCGI_OBJ := $(FCGI_SRC:%.c=$(B)/%.o)
# The slowest unit binaries first, so that a parallel run (scripts/run-unit.sh) ends sooner.
UNIT_SLOW := tests/unit/store/test_store_dynamodb tests/unit/bundle/test_zipstream \
	tests/unit/upstream/test_http_client tests/unit/store/test_store_sqlite
UNIT_BIN := $(UNIT_SLOW:%=$(B)/%) $(filter-out $(UNIT_SLOW:%=$(B)/%),$(UNIT_SRC:%.c=$(B)/%))
C_FILES := $(shell find lib fcgi tools tests/unit tests/fuzz bench -name '*.[ch]')

API_SUITES := api-sqlite api-dynamodb
ASAN_SUITES := asan-unit asan-api-sqlite asan-api-dynamodb asan-fuzz-replay
# make check runs these concurrently, longest first (make -j starts them in this order). Every
# test runs: the API suite on both stores on the sanitizer build (the same tests, and memory
# errors too), and on SQLite on the release build too (the binary that ships, which the browser
# tests also drive). `make api-dynamodb` runs the release build on DynamoDB; leaving it out of
# make check keeps it under 5 minutes on 2 cores.
CHECK_SUITES := asan-api-dynamodb asan-api-sqlite api-sqlite ui asan-unit unit fixtures \
	asan-fuzz-replay coverage-floor
CHECK_JOBS ?= $(shell echo $$(( $$(nproc) + 2 )))

# make lint: each file of lib/, fcgi/, the unit tests and the fuzz harnesses through clang with
# -Weverything minus the warnings below (syntax only), and through clang-tidy (.clang-tidy,
# tests/unit/.clang-tidy, tests/fuzz/.clang-tidy),
# both with every finding an error. One stamp per file and tool under build/lint/, so the files
# are checked in parallel and a second run checks again only what changed.
LINT_CC := clang
LINT_TIDY := clang-tidy
LINT_JOBS ?= $(shell nproc)
LINT_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -Ilib $(PKG_CFLAGS)
LINT_WARN := -Weverything -Werror
# Struct members are ordered by meaning, not packed: padding is not a defect (170 reports).
LINT_WARN += -Wno-padded
# Self-referential by design in system headers: curl_easy_setopt, PCRE2_SPTR, sa_handler, ...
LINT_WARN += -Wno-disabled-macro-expansion
# C11 allows it, and json-c's json_object_object_foreach declares its variables mid-block.
LINT_WARN += -Wno-declaration-after-statement
# C, not C++ (and clang 14 even calls C11's alignof incompatible with C++98).
LINT_WARN += -Wno-c++98-compat
# clang 14 knows _GNU_SOURCE but not _DEFAULT_SOURCE (fcgi/main.c) as a feature-test macro.
LINT_WARN += -Wno-reserved-macro-identifier
# Exact on purpose: the -1.0 "no repository" sentinel, and tests that recompute a score.
LINT_WARN += -Wno-float-equal
LINT_SRC := $(LIB_SRC) $(FCGI_SRC) $(TOOLS_SRC) $(UNIT_SRC) $(FUZZ_SRC)
LINT_WARN_OK := $(LINT_SRC:%.c=build/lint/%.warn)
LINT_TIDY_OK := $(LINT_SRC:%.c=build/lint/%.tidy)
LINT_UNIT_OK := $(UNIT_SRC:%.c=build/lint/%.warn) $(UNIT_SRC:%.c=build/lint/%.tidy)

.PHONY: all deps run check unit api $(API_SUITES) fixtures ui asan $(ASAN_SUITES) asan-build \
	fuzz fuzz-replay \
	format format-check layers lint tidy lint-warn lint-tidy bench bench-workload clean

all: $(B)/registryd $(TOOLS_BIN) $(UNIT_BIN) $(BENCH_BIN) $(FUZZ_REPLAY_BIN)

deps:
	@scripts/deps.sh

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/libreg.a: $(LIB_OBJ)
	ar rcs $@ $^

$(B)/registryd: $(FCGI_OBJ) $(B)/libreg.a
	$(CC) $(LDSAN) -o $@ $(FCGI_OBJ) $(B)/libreg.a $(LDLIBS)

$(TOOLS_BIN): $(B)/%: tools/%.c $(B)/libreg.a
	$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(B)/libreg.a $(LDLIBS) $(LDSAN)

# -MMD: a test that includes shared test code (store/store_contract.c, ...) is rebuilt when it
# changes.
$(B)/tests/unit/%: tests/unit/%.c $(B)/libreg.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -Itests/unit -o $@ $< $(B)/libreg.a $(LDLIBS) $(LDSAN) -lcmocka \
		$(UNIT_LDFLAGS)

# A test that counts calls between library modules wraps the callee (ld --wrap).
$(B)/tests/unit/core/test_graph: UNIT_LDFLAGS := -Wl,--wrap=reg_catalog_find_repo

# Fault injection: the tests named test_*_faults link the shim tests/unit/fault.c, whose
# definitions of open, write, fsync, RAND_bytes, sqlite3_step, ... stand in for libc's,
# OpenSSL's and SQLite's in libreg.a's calls and fail the call a test arms (tests/unit/fault.h).
# The shim comes before libreg.a; -ldl for dlsym(RTLD_NEXT). --no-as-needed: a library whose
# only functions the test calls are the shim's (libcrypto's RAND_bytes in a test of
# perf/workload.c) must still be loaded, for the shim to pass the call on to it.
FAULT_BIN := $(filter %_faults,$(UNIT_BIN))
$(FAULT_BIN): $(B)/tests/unit/%: tests/unit/%.c $(B)/tests/unit/fault.o $(B)/libreg.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -Itests/unit -o $@ $< $(B)/tests/unit/fault.o $(B)/libreg.a \
		-Wl,--no-as-needed $(LDLIBS) $(LDSAN) -lcmocka -ldl
# make lint checks the shim as unit-test code (-Itests/unit, tests/unit/.clang-tidy).
FAULT_LINT := build/lint/tests/unit/fault.warn build/lint/tests/unit/fault.tidy
LINT_WARN_OK += build/lint/tests/unit/fault.warn
LINT_TIDY_OK += build/lint/tests/unit/fault.tidy
LINT_UNIT_OK += $(FAULT_LINT)

# The FastCGI tests (tests/unit/fcgi/) link fcgi/'s objects but main.o (the test has its own
# main) ahead of the library, and run registryd itself for main.c.
FCGI_TEST_OBJ := $(filter-out $(B)/fcgi/main.o,$(FCGI_OBJ))
$(B)/tests/unit/fcgi/%: tests/unit/fcgi/%.c $(FCGI_TEST_OBJ) $(B)/libreg.a $(B)/registryd
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -Itests/unit -Ifcgi -o $@ $< $(FCGI_TEST_OBJ) $(B)/libreg.a \
		$(LDLIBS) $(LDSAN) -lcmocka
$(filter build/lint/tests/unit/fcgi/%,$(LINT_UNIT_OK)): LINT_CFLAGS += -Ifcgi

$(B)/tests/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(B)/libreg.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ tests/fuzz/replay.c $< $(B)/libreg.a $(LDLIBS) $(LDSAN)

$(B)/bench/%: bench/%.c $(B)/libreg.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(B)/libreg.a $(LDLIBS) $(LDSAN)

run: deps
	@$(MAKE) --no-print-directory all
	@REGISTRYD=$(B)/registryd scripts/serve.sh

# $(call timed,command): runs command and prints how long the target took and how it ended.
timed = start=$$(date +%s); $(1); rc=$$?; \
	echo "== $(SUITE_PREFIX)$@: $$([ $$rc -eq 0 ] && echo passed || echo FAILED) in $$(($$(date +%s) - start)) s"; \
	exit $$rc

unit: all
	@$(call timed,scripts/run-unit.sh $(UNIT_BIN))

# The API suite on one store: SQLite, or DynamoDB (a local dynalite from tests/dynamodb,
# started by tests/api/conftest.py). `make api` runs both.
api: $(API_SUITES)

$(API_SUITES): api-%: all
	@echo "REGISTRY_TEST_STORE=$* REGISTRYD=$(CURDIR)/$(B)/registryd $(PYTHON) -m pytest -q tests/api"
	@$(call timed,REGISTRY_TEST_STORE=$* REGISTRYD=$(CURDIR)/$(B)/registryd \
		$(PYTHON) -m pytest -q -p no:cacheprovider tests/api)

# The upstream fixture server's own tests (it replays recorded Hugging Face and GitHub data).
fixtures:
	@$(call timed,$(PYTHON) -m pytest -q -p no:cacheprovider tests/fixtures)

# The web interface in headless Chromium (Playwright), with axe-core and Lighthouse audits,
# against a stack of its own; screenshots go to tests/ui/output/ and docs/screenshots/.
ui: all
	@$(call timed,REGISTRYD=$(CURDIR)/$(B)/registryd tests/ui/run.sh)

# Every harness over its seed corpus (and the inputs libFuzzer found, committed there).
fuzz-replay: $(FUZZ_REPLAY_BIN)
	@$(call timed,for h in $(FUZZ_NAMES); do $(B)/tests/fuzz/replay_$$h tests/fuzz/corpus/$$h || exit 1; done)

# libFuzzer, each harness for FUZZ_SECONDS, one process (no -jobs: the machine is shared);
# FUZZ=name runs that harness only. Each harness is linked with only the library sources it needs
# (FUZZ_SRC_<name>, plus FUZZ_LIB_SRC), compiled by clang with coverage; new inputs go to
# build/fuzz/corpus/<name>/ (copy the few worth keeping into tests/fuzz/corpus/<name>/).
FUZZ_SECONDS ?= 60
FUZZ ?= $(FUZZ_NAMES)
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-std=c11 -D_POSIX_C_SOURCE=200809L -Ilib $(PKG_CFLAGS)
FUZZ_LIB_SRC := lib/base/arena.c lib/base/buf.c lib/base/status.c lib/base/str.c
FUZZ_SRC_scan := $(sort $(wildcard lib/scan/*.c)) lib/base/json.c
# The router runs against the registry's own route table (lib/handlers/routes.c), which names
# every handler: the rest of the library comes from the release build's archive, not
# instrumented (the archive's members only fill what the sources compiled here do not define).
FUZZ_SRC_router := lib/http/router.c lib/http/request.c
FUZZ_ARCHIVE_router := build/libreg.a
FUZZ_SRC_json := lib/base/json.c
FUZZ_SRC_zipcheck := lib/bundle/zipcheck.c
FUZZ_SRC_urls := lib/upstream/allowlist.c lib/core/artifact.c
FUZZ_SRC_sigv4 := lib/aws/sigv4.c
# fuzz_dynamodb.c includes lib/aws/dynamodb.c itself (its response reader is static).
FUZZ_SRC_dynamodb := lib/aws/endpoint.c lib/aws/sigv4.c lib/base/json.c lib/base/log.c
FUZZ_INCLUDED_dynamodb := lib/aws/dynamodb.c

define FUZZ_RULE
build/fuzz/fuzz_$(1): tests/fuzz/fuzz_$(1).c $$(FUZZ_SRC_$(1)) $$(FUZZ_LIB_SRC) $$(FUZZ_ARCHIVE_$(1)) \
		$$(FUZZ_INCLUDED_$(1)) $$(wildcard lib/*/*.h)
	@mkdir -p $$(dir $$@)
	clang $$(FUZZ_FLAGS) -o $$@ $$< $$(FUZZ_SRC_$(1)) $$(FUZZ_LIB_SRC) $$(FUZZ_ARCHIVE_$(1)) \
		$$(LDLIBS)
endef
$(foreach h,$(FUZZ_NAMES),$(eval $(call FUZZ_RULE,$(h))))

fuzz: $(FUZZ:%=build/fuzz/fuzz_%)
	@for h in $(FUZZ); do mkdir -p build/fuzz/corpus/$$h; \
		build/fuzz/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
			-artifact_prefix=build/fuzz/$$h- build/fuzz/corpus/$$h tests/fuzz/corpus/$$h || exit 1; \
	done

# Only registryd and the unit tests are instrumented; a sanitizer report in a worker's log fails
# the API suite (tests/api/conftest.py scans it).
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp

# make coverage: the coverage build (build/cov/), the unit tests alone and then every suite
# that runs C code, line coverage of lib/ and fcgi/ after each (gcovr), the error census
# (scripts/error_messages.py) and an HTML report in build/cov/html/; fails below the floors of
# tests/coverage-floor.txt. make check runs coverage-floor (README, "Coverage").
.PHONY: coverage coverage-floor
coverage: deps
	@$(call timed,scripts/coverage.sh all)

coverage-floor:
	@$(call timed,scripts/coverage.sh unit)

build/cov/gcov_exit.o: tests/coverage/gcov_exit.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O0 -g -Wall -Wextra -Werror -c $< -o $@

ifeq ($(VARIANT),cov)
$(B)/registryd $(TOOLS_BIN) $(UNIT_BIN) $(FUZZ_REPLAY_BIN) $(BENCH_BIN): build/cov/gcov_exit.o
endif

asan-build:
	@$(MAKE) --no-print-directory VARIANT=asan all

# asan-unit, asan-api-sqlite, asan-api-dynamodb: the suite on the sanitizer build.
$(ASAN_SUITES): asan-%: asan-build
	@$(SAN_ENV) $(MAKE) --no-print-directory VARIANT=asan SUITE_PREFIX=asan- $*

asan: asan-build
	@$(MAKE) --no-print-directory $(ASAN_SUITES)

# Both builds first (in parallel), then every suite at once: they are independent (each starts
# its own servers on free ports, in temp directories) and mostly wait on I/O, so CHECK_JOBS
# (cores + 2) of them share the cores. --output-sync keeps each suite's output together.
check: deps
	@$(MAKE) --no-print-directory format-check layers
	@$(MAKE) --no-print-directory -j$(CHECK_JOBS) all asan-build
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory -j$(CHECK_JOBS) --output-sync=target -k $(CHECK_SUITES); \
	rc=$$?; echo "== check: $$([ $$rc -eq 0 ] && echo passed || echo FAILED) (suites in $$(($$(date +%s) - start)) s)"; \
	exit $$rc

format:
	clang-format -i $(C_FILES)

# Which files may see lib/app.h, FastCGI, SQLite or libcurl (README, "Conventions").
layers:
	@scripts/check-layers.sh $(PKG_CFLAGS)

format-check:
	clang-format --dry-run -Werror $(C_FILES)

lint:
	@$(call timed,$(MAKE) --no-print-directory -j$(LINT_JOBS) lint-warn lint-tidy)

tidy:
	@$(call timed,$(MAKE) --no-print-directory -j$(LINT_JOBS) lint-tidy)

lint-warn: $(LINT_WARN_OK)
	@:

lint-tidy: $(LINT_TIDY_OK)
	@:

# Each stamp also depends on the headers its file includes (the .d files below). clang-tidy's
# output is held until the file is done (no interleaving), without its count of the warnings
# it suppressed (those in system headers).
build/lint/%.warn: %.c Makefile
	@mkdir -p $(dir $@)
	@echo "$(LINT_CC) -Weverything $<"
	@$(LINT_CC) $(LINT_CFLAGS) $(LINT_WARN) -fsyntax-only -MMD -MP -MF $@.d -MT $@ $<
	@touch $@

build/lint/%.tidy: %.c .clang-tidy Makefile
	@mkdir -p $(dir $@)
	@echo "$(LINT_TIDY) $<"
	@$(LINT_CC) $(LINT_CFLAGS) -MM -MP -MF $@.d -MT $@ $<
	@$(LINT_TIDY) --quiet $< -- $(LINT_CFLAGS) >$@.log 2>&1; rc=$$?; \
		grep -v '^[0-9]* warnings\{0,1\} generated\.$$' $@.log; rm -f $@.log; exit $$rc
	@touch $@

$(LINT_UNIT_OK): LINT_CFLAGS += -Itests/unit
$(UNIT_SRC:%.c=build/lint/%.tidy): tests/unit/.clang-tidy
$(FUZZ_SRC:%.c=build/lint/%.tidy): tests/fuzz/.clang-tidy

bench: deps
	@$(MAKE) --no-print-directory all
	REGISTRYD=$(CURDIR)/$(B)/registryd BENCH_BIN=$(CURDIR)/$(B)/bench bench/run.sh
	REGISTRYD=$(CURDIR)/$(B)/registryd $(PYTHON) bench/ingest.py
	REGISTRYD=$(CURDIR)/$(B)/registryd $(PYTHON) bench/download.py
	$(BENCH_WORKLOAD)

# The performance-track workload alone (bench/workload.py; it uses the C load client
# $(B)/registry-load, or wrk while that is missing).
BENCH_LOAD ?= $(CURDIR)/$(B)/registry-load
BENCH_WORKLOAD = REGISTRYD=$(CURDIR)/$(B)/registryd BENCH_LOAD=$(BENCH_LOAD) \
	$(PYTHON) bench/workload.py

bench-workload: deps
	@$(MAKE) --no-print-directory all
	$(BENCH_WORKLOAD)

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(FCGI_OBJ:.o=.d) $(TOOLS_BIN:=.d) $(UNIT_BIN:=.d) $(LINT_WARN_OK:=.d) $(LINT_TIDY_OK:=.d)
