/*
 * test_store_sqlite.c - the SQLite store: the store contract (store_contract.c: every operation
 * of lib/store/store.h, users, tokens, audit and secret included), once on ":memory:" and once
 * on a file in a temporary directory; then what only SQLite has: full pages, and on a file,
 * reopening keeps the data and the schema version, a newer schema is refused, two connections
 * see each other's writes, opens wait for another writer. test_store_auth.c has the SQLite-only
 * cases of the access-control tables.
 */
#include "unit.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/sqlite_fixture.h"
#include "store/store.h"
#include "store/store_contract.c"

/* SQLite answers full pages: a page with a cursor holds exactly limit items and its cursor is
 * its last item's seq. (The contract allows a short page with a cursor, which the DynamoDB store
 * answers when it runs out of index pages within one call.) */
static void
test_list_pages_full(void **state)
{
    static const int limits[] = {1, 2, 3, 7, 10, 49, 50, 100, 125, 249, 250, 251};
    struct fixture *f = *state;
    struct reg_store_filter all = {NULL, REG_TYPE_ALL};
    struct reg_store_filter models = {NULL, REG_TYPE_BIT(REG_TYPE_MODEL)};

    for (int i = 0; i < 250; i++) {
        char id[16];
        snprintf(id, sizeof(id), "id-%d", i);
        sc_put(&f->c, id, i % 5 == 4 ? REG_TYPE_CODE : REG_TYPE_MODEL, id);
    }
    for (int l = 0; l < NELEMS(limits); l++) {
        for (int pass = 0; pass < 2; pass++) {
            const struct reg_store_filter *filter = pass ? &models : &all;
            int64_t after = 0;
            int total = 0;

            do {
                struct reg_store_page page;
                assert_int_equal(
                    reg_store_list(f->c.store, &f->c.arena, filter, 1, after, limits[l], &page),
                    REG_OK);
                if (page.next_after) {
                    assert_int_equal(page.count, limits[l]);
                    assert_int_equal(page.next_after, page.items[page.count - 1].seq);
                } else {
                    assert_true(page.count <= limits[l]);
                }
                total += page.count;
                after = page.next_after;
            } while (after != 0);
            assert_int_equal(total, pass ? 200 : 250);
        }
    }
}

static void
test_reopen_keeps_data_and_schema(void **state)
{
    struct fixture *f = *state;
    struct reg_artifact art = sc_make(&f->c, "42", REG_TYPE_DATASET, "squad",
                                      "https://huggingface.co/datasets/rajpurkar/squad");
    struct reg_artifact got;
    bool taken;
    int version;
    uint64_t g;
    int64_t seq;

    art.readme = "persisted readme";
    assert_int_equal(reg_store_insert(f->c.store, &art, &taken), REG_OK);
    seq = sc_put(&f->c, "43", REG_TYPE_MODEL, "m");
    g = sc_generation(&f->c);
    version = user_version(f->path);
    assert_true(version >= 1);
    reopen(f);
    assert_int_equal(user_version(f->path), version);
    assert_int_equal(sc_count(&f->c), 2);
    assert_true(sc_generation(&f->c) == g);
    assert_int_equal(reg_store_get(f->c.store, &f->c.arena, "42", &got), REG_OK);
    assert_string_equal(got.name, "squad");
    assert_string_equal(got.readme, "persisted readme");
    assert_int_equal(got.type, REG_TYPE_DATASET);
    /* Constraints survive too, and seq keeps growing. */
    art = sc_make(&f->c, "44", REG_TYPE_DATASET, "dup",
                  "https://huggingface.co/datasets/rajpurkar/squad");
    assert_int_equal(reg_store_insert(f->c.store, &art, &taken), REG_ECONFLICT);
    assert_false(taken);
    assert_true(sc_put(&f->c, "45", REG_TYPE_MODEL, "n") > seq);
    /* And a third open, after a reset, still has the schema. */
    assert_int_equal(reg_store_reset(f->c.store), REG_OK);
    reopen(f);
    assert_int_equal(user_version(f->path), version);
    assert_int_equal(sc_count(&f->c), 0);
}

static void
test_newer_schema_refused(void **state)
{
    struct fixture *f = *state;
    static struct reg_store dummy;
    struct reg_store *s = &dummy;

    reg_store_close(f->c.store);
    f->c.store = NULL;
    exec_sql(f->path, "PRAGMA user_version = 999");
    assert_int_equal(reg_store_sqlite_open(f->path, &s), REG_ESTORE);
    assert_null(s);
    assert_non_null(strstr(reg_error_detail(), "999"));
    /* The file is left as it was. */
    assert_int_equal(user_version(f->path), 999);
}

/* A file that is not a SQLite database (a registry.db overwritten, or another file put in its
 * place): the open fails with SQLite's reason, and the file is left as it was. */
static void
test_not_a_database(void **state)
{
    struct fixture *f = *state;
    static struct reg_store dummy;
    struct reg_store *s = &dummy;
    char junk[4096], back[4096];
    FILE *fp;

    reg_store_close(f->c.store);
    f->c.store = NULL;
    memset(junk, 'x', sizeof(junk));
    fp = fopen(f->path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(junk, 1, sizeof(junk), fp), sizeof(junk));
    fclose(fp);
    assert_int_equal(reg_store_sqlite_open(f->path, &s), REG_ESTORE);
    assert_null(s);
    assert_non_null(strstr(reg_error_detail(), "file is not a database"));
    fp = fopen(f->path, "rb");
    assert_non_null(fp);
    assert_int_equal(fread(back, 1, sizeof(back), fp), sizeof(back));
    fclose(fp);
    assert_memory_equal(back, junk, sizeof(junk));
}

/* A database whose tables clash with the schema the migrations make: the migration fails
 * with the reason and is rolled back whole (the schema version stays 0). */
static void
test_migration_fails(void **state)
{
    struct fixture *f = *state;
    static struct reg_store dummy;
    struct reg_store *s = &dummy;

    reg_store_close(f->c.store);
    f->c.store = NULL;
    unlink(f->path);
    exec_sql(f->path, "CREATE TABLE artifacts(unrelated TEXT)");
    assert_int_equal(reg_store_sqlite_open(f->path, &s), REG_ESTORE);
    assert_null(s);
    assert_non_null(strstr(reg_error_detail(), "store failure during migration: "));
    assert_int_equal(user_version(f->path), 0);
}

static void
test_open_failure(void **state)
{
    static struct reg_store dummy;
    struct reg_store *s = &dummy;

    (void)state;
    assert_int_equal(reg_store_sqlite_open("/nonexistent-dir/sub/registry.db", &s), REG_ESTORE);
    assert_null(s);
    assert_true(strlen(reg_error_detail()) > 0);
}

static void
test_two_connections(void **state)
{
    struct fixture *f = *state;
    struct reg_store *other;
    struct reg_artifact got;
    uint64_t g_before, g_after;
    int64_t n = -1;

    assert_int_equal(reg_store_sqlite_open(f->path, &other), REG_OK);
    assert_int_equal(reg_store_generation(other, &g_before), REG_OK);
    sc_put(&f->c, "1", REG_TYPE_MODEL, "a");
    assert_int_equal(reg_store_generation(other, &g_after), REG_OK);
    assert_true(g_after != g_before);
    assert_int_equal(reg_store_get(other, &f->c.arena, "1", &got), REG_OK);
    assert_string_equal(got.name, "a");
    assert_int_equal(reg_store_remove(other, "1"), REG_OK);
    assert_int_equal(sc_count(&f->c), 0);
    assert_int_equal(reg_store_count(other, &n), REG_OK);
    assert_int_equal(n, 0);
    reg_store_close(other);
}

#define OPENERS 8
#define OPEN_ROUNDS 5

/* Forks OPENERS processes that each open path and insert one artifact; returns how many
 * failed (each reported). */
static int
open_together(const char *path)
{
    int bad = 0;

    for (int p = 0; p < OPENERS; p++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            struct reg_store *s;
            struct reg_artifact art;
            bool taken;
            char url[64];
            /* The store logs its errors; the status says enough here. */
            if (!freopen("/dev/null", "w", stderr))
                _exit(3);
            memset(&art, 0, sizeof(art));
            snprintf(art.id, sizeof(art.id), "w%d", p);
            snprintf(url, sizeof(url), "https://example/w%d", p);
            art.name = "worker";
            art.url = url;
            if (reg_store_sqlite_open(path, &s) != REG_OK)
                _exit(1);
            if (reg_store_insert(s, &art, &taken) != REG_OK)
                _exit(2);
            reg_store_close(s);
            _exit(0);
        }
    }
    for (int p = 0; p < OPENERS; p++) {
        int status;
        assert_true(wait(&status) > 0);
        CHECK(&bad, WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: an opener %s (exit %d)",
              path,
              WIFEXITED(status) && WEXITSTATUS(status) == 1 ? "could not open the store" : "failed",
              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    return bad;
}

/* Opens the store while another process holds a write transaction on the file for 300 ms,
 * well inside REG_SQLITE_BUSY_MS: the open must wait for the lock, not fail. The lock holder
 * is a child that opens its own connection (no connection crosses the fork). */
static enum reg_status
open_while_locked(struct fixture *f)
{
    int fds[2];
    pid_t pid;
    char c;
    int status;
    enum reg_status st;

    assert_null(f->c.store);
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        const struct timespec hold = {0, 300 * 1000 * 1000};
        sqlite3 *db;
        int rc = sqlite3_open(f->path, &db);
        /* A writer waits for readers as the store's connections do: on a new file (rollback
         * journal) COMMIT needs the parent's shared lock gone, and without a timeout it
         * failed at once when the parent's open held one (a flake under load). */
        if (rc == SQLITE_OK)
            rc = sqlite3_busy_timeout(db, 5000);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (write(fds[1], "x", 1) != 1 || rc != SQLITE_OK)
            _exit(1);
        nanosleep(&hold, NULL);
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        sqlite3_close(db);
        _exit(rc == SQLITE_OK ? 0 : 2);
    }
    /* The child holds the lock once it wrote. */
    assert_int_equal(read(fds[0], &c, 1), 1);
    st = reg_store_sqlite_open(f->path, &f->c.store);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(fds[0]);
    close(fds[1]);
    return st;
}

/* A store file already in WAL mode, locked by another writer (a worker inserting). */
static void
test_open_waits_for_writer_wal(void **state)
{
    struct fixture *f = *state;

    reg_store_close(f->c.store);
    f->c.store = NULL;
    assert_int_equal(open_while_locked(f), REG_OK);
    assert_int_equal(sc_count(&f->c), 0);
}

/* A new file, locked by another writer before any schema exists: what a worker meets when
 * another one, starting at the same moment, switches the file to WAL. */
static void
test_open_waits_for_writer_new_file(void **state)
{
    struct fixture *f = *state;
    enum reg_status st;

    reg_store_close(f->c.store);
    f->c.store = NULL;
    assert_int_equal(unlink(f->path), 0);
    st = open_while_locked(f);
    if (st != REG_OK)
        fail_msg("open of a new file during a 300 ms write lock: status %d (%s), want REG_OK "
                 "after waiting",
                 st, reg_error_detail());
    assert_int_equal(sc_count(&f->c), 0);
}

/* Workers starting together on an existing store file: each opens and inserts; none may
 * fail. */
static void
test_concurrent_open_existing(void **state)
{
    struct fixture *f = *state;
    int bad = 0;
    int64_t total = 0;

    for (int round = 0; round < OPEN_ROUNDS; round++) {
        assert_int_equal(reg_store_reset(f->c.store), REG_OK);
        /* No connection may cross a fork. */
        reg_store_close(f->c.store);
        f->c.store = NULL;
        bad += open_together(f->path);
        assert_int_equal(reg_store_sqlite_open(f->path, &f->c.store), REG_OK);
        total += sc_count(&f->c);
    }
    assert_int_equal(bad, 0);
    assert_int_equal(total, OPENERS * OPEN_ROUNDS);
}

static void
test_store_open_by_config(void **state)
{
    struct fixture *f = *state;
    struct reg_config cfg;
    struct reg_store *s = NULL;
    char data_dir[128], db[160];

    memset(&cfg, 0, sizeof(cfg));
    /* The data directory is created when missing; the file is registry.db inside it. */
    snprintf(data_dir, sizeof(data_dir), "%s/data", f->dir);
    cfg.data_dir = data_dir;
    cfg.store = "sqlite";
    assert_int_equal(reg_store_open(&cfg, &s), REG_OK);
    assert_non_null(s);
    assert_string_equal(s->ops->name, "sqlite");
    reg_store_close(s);
    snprintf(db, sizeof(db), "%s/registry.db", data_dir);
    assert_int_equal(access(db, F_OK), 0);
    assert_true(user_version(db) >= 1);
    /* An existing directory is fine. */
    assert_int_equal(reg_store_open(&cfg, &s), REG_OK);
    reg_store_close(s);
    unlink(db);
    snprintf(db, sizeof(db), "%s/registry.db-wal", data_dir);
    unlink(db);
    snprintf(db, sizeof(db), "%s/registry.db-shm", data_dir);
    unlink(db);
    assert_int_equal(rmdir(data_dir), 0);
    /* Unknown backends are refused. */
    cfg.store = "dynamo";
    s = f->c.store;
    assert_int_equal(reg_store_open(&cfg, &s), REG_EINVAL);
    assert_null(s);
}

#define ON_MEMORY(fn) cmocka_unit_test_setup_teardown(fn, setup_memory, teardown)
#define ON_FILE(fn) cmocka_unit_test_setup_teardown(fn, setup_file, teardown)

int
main(void)
{
    const struct CMUnitTest memory_tests[] = {
        STORE_CONTRACT_TESTS(setup_memory, teardown) /* every contract case */
        ON_MEMORY(test_list_pages_full),
        cmocka_unit_test(test_open_failure),
    };
    const struct CMUnitTest file_tests[] = {
        STORE_CONTRACT_TESTS(setup_file, teardown) /* every contract case */
        ON_FILE(test_list_pages_full),
        ON_FILE(test_reopen_keeps_data_and_schema),
        ON_FILE(test_newer_schema_refused),
        ON_FILE(test_not_a_database),
        ON_FILE(test_migration_fails),
        ON_FILE(test_two_connections),
        ON_FILE(test_open_waits_for_writer_wal),
        ON_FILE(test_open_waits_for_writer_new_file),
        ON_FILE(test_concurrent_open_existing),
        ON_FILE(test_store_open_by_config),
    };
    int failed = cmocka_run_group_tests_name("store/sqlite :memory:", memory_tests, NULL, NULL);

    failed += cmocka_run_group_tests_name("store/sqlite file", file_tests, NULL, NULL);
    return failed;
}
