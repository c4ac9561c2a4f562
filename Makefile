# Trustworthy Model Registry: build, run and test.
#
#   make            lib/ as a static library, fcgi/registryd and the unit tests (build/)
#   make run        installs what is missing, builds, serves http://127.0.0.1:$(PORT)
#   make check      installs what is missing, format check, unit + API + browser tests, then
#                   unit + API again on the AddressSanitizer+UBSan build (build/asan/)
#   make asan       only the sanitizer pass
#   make bench      wrk, latency, ingest and download benchmarks (print ratios, never assert)
#
# VARIANT=asan selects the sanitizer build directory and flags; the asan target sets it.

VARIANT ?= release
ifeq ($(VARIANT),asan)
B := build/asan
OPT := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDSAN := -fsanitize=address,undefined
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
UNIT_SRC := $(sort $(shell find tests/unit -name 'test_*.c'))
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:%.c=$(B)/%)
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
FCGI_OBJ := $(FCGI_SRC:%.c=$(B)/%.o)
UNIT_BIN := $(UNIT_SRC:%.c=$(B)/%)
C_FILES := $(shell find lib fcgi tests/unit bench -name '*.[ch]')

.PHONY: all deps run check unit api fixtures ui asan asan-tests format format-check tidy bench clean

all: $(B)/registryd $(UNIT_BIN) $(BENCH_BIN)

deps:
	@scripts/deps.sh

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/libreg.a: $(LIB_OBJ)
	ar rcs $@ $^

$(B)/registryd: $(FCGI_OBJ) $(B)/libreg.a
	$(CC) $(LDSAN) -o $@ $(FCGI_OBJ) $(B)/libreg.a $(LDLIBS)

# -MMD: a test that includes shared test code (store/store_contract.c, ...) is rebuilt when it
# changes.
$(B)/tests/unit/%: tests/unit/%.c $(B)/libreg.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -Itests/unit -o $@ $< $(B)/libreg.a $(LDLIBS) $(LDSAN) -lcmocka

$(B)/bench/%: bench/%.c $(B)/libreg.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(B)/libreg.a $(LDLIBS) $(LDSAN)

run: deps
	@$(MAKE) --no-print-directory all
	@REGISTRYD=$(B)/registryd scripts/serve.sh

unit: all
	@scripts/run-unit.sh $(UNIT_BIN)

# The API suite runs twice: on the SQLite store, then on the DynamoDB store (a local dynalite
# from tests/dynamodb, started by tests/api/conftest.py); it fails if either run fails.
api: all
	@rc=0; \
	echo "REGISTRY_TEST_STORE=sqlite REGISTRYD=$(CURDIR)/$(B)/registryd $(PYTHON) -m pytest -q tests/api"; \
	REGISTRY_TEST_STORE=sqlite REGISTRYD=$(CURDIR)/$(B)/registryd $(PYTHON) -m pytest -q tests/api || rc=1; \
	echo "REGISTRY_TEST_STORE=dynamodb REGISTRYD=$(CURDIR)/$(B)/registryd $(PYTHON) -m pytest -q tests/api"; \
	REGISTRY_TEST_STORE=dynamodb REGISTRYD=$(CURDIR)/$(B)/registryd $(PYTHON) -m pytest -q tests/api || rc=1; \
	exit $$rc

# The upstream fixture server's own tests (it replays recorded Hugging Face and GitHub data).
fixtures:
	$(PYTHON) -m pytest -q tests/fixtures

# The web interface in headless Chromium (Playwright), with axe-core and Lighthouse audits,
# against a stack of its own; screenshots go to tests/ui/output/ and docs/screenshots/.
ui: all
	REGISTRYD=$(CURDIR)/$(B)/registryd tests/ui/run.sh

asan-tests: all unit api

# Only registryd and the unit tests are instrumented; a sanitizer report in a worker's log fails
# the API suite (tests/api/conftest.py scans it).
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp

asan:
	@$(SAN_ENV) $(MAKE) --no-print-directory VARIANT=asan asan-tests

check: deps
	@$(MAKE) --no-print-directory format-check
	@$(MAKE) --no-print-directory unit api fixtures ui
	@$(MAKE) --no-print-directory asan

format:
	clang-format -i $(C_FILES)

format-check:
	clang-format --dry-run -Werror $(C_FILES)

tidy:
	clang-tidy $(LIB_SRC) $(FCGI_SRC) -- $(CFLAGS)

bench: deps
	@$(MAKE) --no-print-directory all
	REGISTRYD=$(CURDIR)/$(B)/registryd BENCH_BIN=$(CURDIR)/$(B)/bench bench/run.sh
	REGISTRYD=$(CURDIR)/$(B)/registryd $(PYTHON) bench/ingest.py
	REGISTRYD=$(CURDIR)/$(B)/registryd $(PYTHON) bench/download.py

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(FCGI_OBJ:.o=.d) $(UNIT_BIN:=.d)
