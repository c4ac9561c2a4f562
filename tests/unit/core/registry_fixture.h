/*
 * registry_fixture.h - a registry for core's unit tests: an in-memory SQLite store, a catalog
 * and an ingest pointed at the fixture upstream (upstream/fixture_control.h, started by
 * scripts/run-unit.sh), with quick retries. registry_setup and registry_teardown are cmocka
 * setup/teardown functions; *state is the struct registry_fixture, which they allocate and
 * free. The HF token lets ingest read a gated repository's files (the fixture's gemma).
 */
#ifndef REG_TEST_REGISTRY_FIXTURE_H
#define REG_TEST_REGISTRY_FIXTURE_H

#include <stdlib.h>

#include "base/arena.h"
#include "base/config.h"
#include "core/registry.h"
#include "store/store.h"
#include "upstream/fixture_control.h"

struct registry_fixture {
    struct reg_store *store;
    struct reg_catalog *catalog;
    struct reg_ingest ingest;
    struct reg_registry registry;
    struct reg_arena arena;
};

static int
registry_setup(void **state)
{
    struct registry_fixture *f = calloc(1, sizeof(*f));
    struct reg_config cfg = {0};

    assert_non_null(f);
    reset_fixture(state);
    cfg.hf_endpoint = upstream;
    cfg.github_api_url = upstream;
    cfg.hf_token = "test-token";
    cfg.upstream_timeout_ms = 10000;
    cfg.ingest_gate = "net";
    reg_ingest_init(&f->ingest, &cfg);
    f->ingest.http.max_attempts = 2;
    f->ingest.http.max_retry_after_ms = 200;
    assert_int_equal(reg_store_sqlite_open(":memory:", &f->store), REG_OK);
    assert_int_equal(reg_catalog_new(&f->catalog), REG_OK);
    f->registry = (struct reg_registry){f->store, f->catalog, &f->ingest};
    reg_arena_init(&f->arena);
    *state = f;
    return 0;
}

static int
registry_teardown(void **state)
{
    struct registry_fixture *f = *state;

    reg_catalog_free(f->catalog);
    reg_store_close(f->store);
    reg_arena_cleanup(&f->arena);
    free(f);
    return reset_fixture(NULL);
}

#endif
