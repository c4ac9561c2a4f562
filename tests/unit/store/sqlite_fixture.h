/*
 * sqlite_fixture.h - what the SQLite store tests (test_store_sqlite.c, test_store_auth.c)
 * share: a fresh store on ":memory:" or on a file in a temp directory of its own, closed and
 * removed after the test, and the file read or changed behind the store's back with a
 * connection of the test's own.
 * Included after unit.h and store/store_helpers.h; the helpers are static inline, so that a
 * test file that uses only some of them does not warn about the others.
 *
 * Usage: cmocka_unit_test_setup_teardown(test_x, setup_file, teardown); the test's *state is
 * its struct fixture, which the contract cases (store_contract.c) can run on too.
 */
#ifndef REG_TEST_STORE_SQLITE_FIXTURE_H
#define REG_TEST_STORE_SQLITE_FIXTURE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_helpers.h"
#include "tmpdir_fixture.h"

struct fixture {
    struct contract c; /* first: the contract cases find the store at the start */
    char dir[64];      /* "" for ":memory:" */
    char path[96];     /* the database file, or ":memory:" */
};

static inline struct fixture *
fixture_new(bool on_file)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    reg_arena_init(&f->c.arena);
    if (on_file) {
        tmpdir_make(f->dir, sizeof(f->dir), "/tmp", "reg-test-store");
        snprintf(f->path, sizeof(f->path), "%s/registry.db", f->dir);
    } else {
        strcpy(f->path, ":memory:");
    }
    assert_int_equal(reg_store_sqlite_open(f->path, &f->c.store), REG_OK);
    assert_non_null(f->c.store);
    return f;
}

/* Removes the database file with its companions, then the directory, which must be empty by
 * then (the assert catches a file that a test or the store left behind). */
static inline void
remove_files(const struct fixture *f)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char p[128];

    if (!f->dir[0])
        return;
    for (int i = 0; i < NELEMS(suffixes); i++) {
        snprintf(p, sizeof(p), "%s%s", f->path, suffixes[i]);
        unlink(p);
    }
    assert_int_equal(rmdir(f->dir), 0);
}

static inline int
setup_memory(void **state)
{
    *state = fixture_new(false);
    return 0;
}

static inline int
setup_file(void **state)
{
    *state = fixture_new(true);
    return 0;
}

static inline int
teardown(void **state)
{
    struct fixture *f = *state;

    reg_store_close(f->c.store);
    reg_arena_cleanup(&f->c.arena);
    remove_files(f);
    free(f);
    return 0;
}

/* Closes the store and opens the file again, as a restarted worker does. */
static inline void
reopen(struct fixture *f)
{
    reg_store_close(f->c.store);
    f->c.store = NULL;
    assert_int_equal(reg_store_sqlite_open(f->path, &f->c.store), REG_OK);
}

/* PRAGMA user_version of the file, read with a connection of the test's own. */
static inline int
user_version(const char *path)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int v = -1;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* Runs sql on the file with a connection of the test's own. */
static inline void
exec_sql(const char *path, const char *sql)
{
    sqlite3 *db;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_close(db);
}

#endif
