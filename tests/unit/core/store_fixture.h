/*
 * store_fixture.h - what the core tests over a store share: an in-memory SQLite store, a
 * catalog and an arena, and artifacts inserted under increasing numeric ids.
 * Included after unit.h by one test file per binary; every helper is static.
 *
 * Ownership: store_fixture_init() opens what store_fixture_cleanup() closes; ids and the
 * strings tests build live in the fixture's arena.
 */
#ifndef REG_TEST_CORE_STORE_FIXTURE_H
#define REG_TEST_CORE_STORE_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "core/artifact.h"
#include "core/catalog.h"
#include "store/store.h"

struct store_fixture {
    struct reg_store *store;
    struct reg_catalog *catalog;
    struct reg_arena arena;
    int next_id; /* the id store_fixture_artifact() gives next */
};

/* Opens an empty ":memory:" store, a catalog and an arena; ids start at first_id. */
static void
store_fixture_init(struct store_fixture *f, int first_id)
{
    assert_int_equal(reg_store_sqlite_open(":memory:", &f->store), REG_OK);
    assert_int_equal(reg_catalog_new(&f->catalog), REG_OK);
    reg_arena_init(&f->arena);
    f->next_id = first_id;
}

static void
store_fixture_cleanup(struct store_fixture *f)
{
    reg_catalog_free(f->catalog);
    reg_store_close(f->store);
    reg_arena_cleanup(&f->arena);
}

/* Starts *art: zeroed, with the next id, type t and name (borrowed). */
static void
store_fixture_artifact(struct store_fixture *f, struct reg_artifact *art, enum reg_artifact_type t,
                       const char *name)
{
    memset(art, 0, sizeof(*art));
    snprintf(art->id, sizeof(art->id), "%d", f->next_id++);
    art->type = t;
    art->name = name;
}

/* Inserts art, which must be stored; returns its id (arena). */
static const char *
store_fixture_insert(struct store_fixture *f, struct reg_artifact *art)
{
    bool taken;

    assert_int_equal(reg_store_insert(f->store, art, &taken), REG_OK);
    return reg_arena_strdup(&f->arena, art->id);
}

/* Inserts an artifact of type t named name with readme (both borrowed), its url
 * https://example/<id>; returns its id (arena). */
static inline const char *
store_fixture_add(struct store_fixture *f, enum reg_artifact_type t, const char *name,
                  const char *readme)
{
    struct reg_artifact art;

    store_fixture_artifact(f, &art, t, name);
    art.url = reg_arena_sprintf(&f->arena, "https://example/%s", art.id);
    art.readme = readme;
    return store_fixture_insert(f, &art);
}

/* The store's generation (the count of its changes). */
static inline uint64_t
store_fixture_generation(struct reg_store *store)
{
    uint64_t gen;

    assert_int_equal(reg_store_generation(store, &gen), REG_OK);
    return gen;
}

#endif
