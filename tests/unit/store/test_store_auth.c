/*
 * test_store_auth.c - what only a SQLite file has of the access-control tables (schema
 * migration 2): the schema version, the secret kept across reopening and refused at the wrong
 * size, users, tokens and audit entries kept across reopening and shared by two connections, a
 * version-1 file migrated in place, and exact use counting by 8 processes at once, straight in
 * the store and through a shared lease table with one process killed midway. Users,
 * tokens, audit entries and the secret as every backend must keep them are contract cases
 * (store_contract.c), which test_store_sqlite.c runs on ":memory:" and on a file.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */

#include "unit.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth/token_uses.h"
#include "auth/users.h"
#include "core/audit.h"
#include "core/groups.h"
#include "store/sqlite_fixture.h"
#include "store/store.h"
#include "store/store_helpers.h"

#define SCHEMA_VERSION 5

/* The uses column of token id, read with a connection of the test's own (-1 if no row). */
static int64_t
stored_uses(const char *path, const char *id)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int64_t v = -1;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT uses FROM tokens WHERE id = ?1", -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void
test_schema_version(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(user_version(f->path), SCHEMA_VERSION);
    reopen(f);
    assert_int_equal(user_version(f->path), SCHEMA_VERSION);
}

static void
test_secret_survives_reopen(void **state)
{
    struct fixture *f = *state;
    unsigned char a[32], b[32], out[32];
    struct reg_store *other;

    sc_fill(a, 3);
    sc_fill(b, 33);
    assert_int_equal(reg_store_secret(f->c.store, a, out), REG_OK);
    reopen(f);
    memset(out, 0, sizeof(out));
    assert_int_equal(reg_store_secret(f->c.store, b, out), REG_OK);
    assert_memory_equal(out, a, 32);
    /* Another connection (another worker) gets the same. */
    assert_int_equal(reg_store_sqlite_open(f->path, &other), REG_OK);
    memset(out, 0, sizeof(out));
    assert_int_equal(reg_store_secret(other, b, out), REG_OK);
    assert_memory_equal(out, a, 32);
    reg_store_close(other);
    /* And after a reset and a reopen. */
    assert_int_equal(reg_store_reset(f->c.store), REG_OK);
    reopen(f);
    assert_int_equal(reg_store_secret(f->c.store, b, out), REG_OK);
    assert_memory_equal(out, a, 32);
}

/* A stored secret of the wrong size (a damaged or foreign row) cannot be the 32-byte key:
 * secret must fail rather than report success with *out never written, which would leave the
 * caller signing tokens with whatever its buffer held (zeros, in reg_app_new's calloc'ed app). */
static void
test_secret_wrong_size(void **state)
{
    struct fixture *f = *state;
    unsigned char candidate[32], out[32], sentinel[32];
    enum reg_status st;

    reg_store_close(f->c.store);
    f->c.store = NULL;
    exec_sql(
        f->path,
        "INSERT INTO secrets(name, value) VALUES ('token', x'00112233445566778899aabbccddeeff')");
    assert_int_equal(reg_store_sqlite_open(f->path, &f->c.store), REG_OK);
    sc_fill(candidate, 9);
    memset(sentinel, 0, sizeof(sentinel));
    memcpy(out, sentinel, sizeof(out));
    st = reg_store_secret(f->c.store, candidate, out);
    if (st == REG_OK)
        fail_msg("a 16-byte stored secret: status REG_OK with *out %s",
                 memcmp(out, sentinel, 32) == 0 ? "never written (all zeros)" : "written");
}

/* Users, tokens and counts persist, and two connections share the counts. */
static void
test_auth_data_survives_reopen(void **state)
{
    struct fixture *f = *state;
    struct reg_store *other;
    struct reg_user got;
    int64_t uses;

    sc_add_user(&f->c, "alice", REG_PERM_SEARCH);
    sc_add_token(&f->c, "t1", "alice");
    sc_put_artifact(&f->c, "1", REG_TYPE_MODEL, "a");
    sc_append(&f->c, "1", REG_TYPE_MODEL, "a", "alice", false, REG_AUDIT_CREATE, 5);
    assert_int_equal(sc_use(&f->c, "alice", "t1", 10, &uses), REG_OK);
    assert_int_equal(sc_use(&f->c, "alice", "t1", 10, &uses), REG_OK);
    reopen(f);
    assert_int_equal(reg_store_user_get(f->c.store, &f->c.arena, "alice", &got), REG_OK);
    assert_int_equal(sc_audit_count(&f->c, "1"), 1);
    assert_int_equal(sc_use(&f->c, "alice", "t1", 10, &uses), REG_OK);
    assert_true(uses == 3);
    /* Two connections count on one row. */
    assert_int_equal(reg_store_sqlite_open(f->path, &other), REG_OK);
    assert_int_equal(reg_store_token_use(other, "alice", "t1", 5, &uses), REG_OK);
    assert_true(uses == 4);
    assert_int_equal(sc_use(&f->c, "alice", "t1", 5, &uses), REG_OK);
    assert_true(uses == 5);
    assert_int_equal(reg_store_token_use(other, "alice", "t1", 5, &uses), REG_EAUTH);
    assert_int_equal(sc_use(&f->c, "alice", "t1", 5, &uses), REG_EAUTH);
    /* A removal through one connection revokes for the other. */
    sc_add_token(&f->c, "t2", "alice");
    assert_int_equal(reg_store_token_use(other, "alice", "t2", 5, &uses), REG_OK);
    assert_int_equal(reg_store_user_remove(other, "alice"), REG_OK);
    assert_int_equal(sc_use(&f->c, "alice", "t2", 5, &uses), REG_EAUTH);
    reg_store_close(other);
    assert_true(stored_uses(f->path, "t1") == -1);
}

/* A file at schema version 1 (artifacts only) is migrated to version 2 in place. */
static void
test_migration_from_v1(void **state)
{
    struct fixture *f = *state;
    struct reg_artifact art;
    int64_t n = -1, uses;

    reg_store_close(f->c.store);
    f->c.store = NULL;
    unlink(f->path);
    exec_sql(f->path,
             "CREATE TABLE artifacts ("
             "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
             "  id TEXT NOT NULL UNIQUE,"
             "  type INTEGER NOT NULL,"
             "  name TEXT NOT NULL,"
             "  url TEXT NOT NULL,"
             "  readme TEXT,"
             "  metadata TEXT,"
             "  created_at INTEGER NOT NULL,"
             "  updated_at INTEGER NOT NULL,"
             "  UNIQUE (type, url));"
             "CREATE INDEX artifacts_name ON artifacts(name);"
             "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
             "INSERT INTO meta VALUES ('generation', 0);"
             "CREATE TRIGGER artifacts_ins AFTER INSERT ON artifacts BEGIN"
             "  UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;"
             "CREATE TRIGGER artifacts_upd AFTER UPDATE ON artifacts BEGIN"
             "  UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;"
             "CREATE TRIGGER artifacts_del AFTER DELETE ON artifacts BEGIN"
             "  UPDATE meta SET value = value + 1 WHERE key = 'generation'; END;"
             "INSERT INTO artifacts(id, type, name, url, readme, metadata, created_at, "
             "  updated_at) VALUES ('old-1', 0, 'old', 'https://example/old', NULL, NULL, 1, 1);"
             "PRAGMA user_version = 1;");
    assert_int_equal(user_version(f->path), 1);
    assert_int_equal(reg_store_sqlite_open(f->path, &f->c.store), REG_OK);
    assert_int_equal(user_version(f->path), SCHEMA_VERSION);
    /* The old data is there; the new tables work, the trigger included. */
    assert_int_equal(reg_store_count(f->c.store, &n), REG_OK);
    assert_true(n == 1);
    assert_int_equal(reg_store_get(f->c.store, &f->c.arena, "old-1", &art), REG_OK);
    assert_string_equal(art.name, "old");
    sc_add_user(&f->c, "alice", REG_PERM_SEARCH);
    sc_add_token(&f->c, "t1", "alice");
    assert_int_equal(sc_use(&f->c, "alice", "t1", 10, &uses), REG_OK);
    sc_append(&f->c, "old-1", REG_TYPE_MODEL, "old", "alice", false, REG_AUDIT_DOWNLOAD, 9);
    assert_int_equal(sc_audit_count(&f->c, "old-1"), 1);
    /* version 4: the sensitive-model table */
    assert_int_equal(reg_store_sensitive_put(f->c.store, "old-1", "process.exit(0)", true, 1),
                     REG_OK);
    /* version 5: package groups */
    {
        struct reg_group g = {
            .id = "55", .owner = "alice", .expires = 9, .version = 1, .commands = "[]"};
        assert_int_equal(reg_store_group_put(f->c.store, &g, -1), REG_OK);
    }
    assert_int_equal(reg_store_remove(f->c.store, "old-1"), REG_OK);
    assert_int_equal(sc_audit_count(&f->c, "old-1"), 0);
    assert_int_equal(reg_store_user_remove(f->c.store, "alice"), REG_OK);
    assert_int_equal(sc_use(&f->c, "alice", "t1", 10, &uses), REG_EAUTH);
}

#define PROCS 8
#define USES_EACH 100
#define MAX_USES 500

/* One of the processes below: opens its own connection, waits for the start, spends up to
 * USES_EACH uses of token "shared" (through leases when not NULL, else straight in the store)
 * and exits with how many succeeded. With die_after >= 0 it exits after that many attempts
 * without releasing anything, as a killed worker would. */
static _Noreturn void
spend_in_child(const char *path, int go, struct reg_leases *leases, int die_after)
{
    struct reg_token_claims claims = {.id = "shared", .user = "alice"};
    struct reg_store *s;
    int ok = 0;
    char c;

    /* The store logs its errors; the exit status says enough here. */
    if (!freopen("/dev/null", "w", stderr))
        _exit(250);
    if (reg_store_sqlite_open(path, &s) != REG_OK)
        _exit(251);
    /* Everyone starts when the parent closes the pipe. */
    if (read(go, &c, 1) != 0)
        _exit(252);
    for (int i = 0; i < USES_EACH; i++) {
        int64_t n = 1;
        struct reg_token_use use;
        enum reg_status st = leases ? reg_token_uses_spend(s, leases, &claims, MAX_USES, &use)
                                    : reg_store_token_use(s, "alice", "shared", MAX_USES, &n);
        if (st == REG_OK && (n < 1 || n > MAX_USES))
            _exit(253);
        if (st != REG_OK && st != REG_EAUTH)
            _exit(254);
        ok += st == REG_OK;
        if (i == die_after)
            _exit(ok);
    }
    reg_token_uses_release(s, leases);
    reg_store_close(s);
    _exit(ok);
}

/* PROCS processes spend USES_EACH uses of one token whose limit is MAX_USES, all at once; the
 * first dies after die_after + 1 attempts when die_after >= 0. Returns the uses that succeeded. */
static int
spend_in_processes(struct fixture *f, struct reg_leases *leases, int die_after)
{
    int go[2];
    pid_t pids[PROCS];
    int total = 0, bad = 0;

    sc_add_user(&f->c, "alice", REG_PERM_SEARCH);
    sc_add_token(&f->c, "shared", "alice");
    /* No connection may cross a fork. */
    reg_store_close(f->c.store);
    f->c.store = NULL;
    assert_int_equal(pipe(go), 0);
    for (int p = 0; p < PROCS; p++) {
        pids[p] = fork();
        assert_true(pids[p] >= 0);
        if (pids[p] == 0) {
            close(go[1]);
            spend_in_child(f->path, go[0], leases, p == 0 ? die_after : -1);
        }
    }
    close(go[0]);
    close(go[1]);
    for (int p = 0; p < PROCS; p++) {
        int status;
        assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
        CHECK(&bad, WIFEXITED(status) && WEXITSTATUS(status) <= USES_EACH, "process %d: %s %d", p,
              WIFEXITED(status) ? "exit" : "signal",
              WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        if (WIFEXITED(status) && WEXITSTATUS(status) <= USES_EACH)
            total += WEXITSTATUS(status);
    }
    assert_int_equal(bad, 0);
    return total;
}

/* Straight in the store, each process with its own connection: exactly MAX_USES succeed, and
 * the stored count is MAX_USES. */
static void
test_token_use_across_processes(void **state)
{
    struct fixture *f = *state;
    int64_t uses;

    assert_int_equal(spend_in_processes(f, NULL, -1), MAX_USES);
    assert_true(stored_uses(f->path, "shared") == MAX_USES);
    assert_int_equal(reg_store_sqlite_open(f->path, &f->c.store), REG_OK);
    assert_int_equal(sc_use(&f->c, "alice", "shared", MAX_USES, &uses), REG_EAUTH);
    assert_int_equal(sc_use(&f->c, "alice", "shared", MAX_USES + 1, &uses), REG_OK);
    assert_true(uses == MAX_USES + 1);
}

/* Through the host's lease table (auth/leases.h), as registryd's workers spend uses: exactly
 * MAX_USES succeed, though one process dies between two uses without giving anything back (a
 * killed worker), and once the others have given their rests back the stored count is exactly
 * the uses spent. */
static void
test_leased_uses_across_processes(void **state)
{
    struct fixture *f = *state;
    struct reg_leases *leases =
        mmap(NULL, sizeof(*leases), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    assert_true(leases != MAP_FAILED);
    assert_int_equal(reg_leases_init(leases), REG_OK);
    assert_int_equal(spend_in_processes(f, leases, 6), MAX_USES);
    assert_true(stored_uses(f->path, "shared") == MAX_USES);
    munmap(leases, sizeof(*leases));
}

#define ON_FILE(fn) cmocka_unit_test_setup_teardown(fn, setup_file, teardown)

int
main(void)
{
    const struct CMUnitTest file_tests[] = {
        ON_FILE(test_schema_version),
        ON_FILE(test_secret_survives_reopen),
        ON_FILE(test_secret_wrong_size),
        ON_FILE(test_auth_data_survives_reopen),
        ON_FILE(test_migration_from_v1),
        ON_FILE(test_token_use_across_processes),
        ON_FILE(test_leased_uses_across_processes),
    };

    return cmocka_run_group_tests_name("store/sqlite auth file", file_tests, NULL, NULL);
}
