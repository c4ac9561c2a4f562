/*
 * test_store_auth.c - what only a SQLite file has of the access-control tables (schema
 * migration 2): the schema version, the secret kept across reopening and refused at the wrong
 * size, users, tokens and audit entries kept across reopening and shared by two connections, a
 * version-1 file migrated in place, and exact use counting by 8 processes at once. Users,
 * tokens, audit entries and the secret as every backend must keep them are contract cases
 * (store_contract.c), which test_store_sqlite.c runs on ":memory:" and on a file.
 */
#include "unit.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth/users.h"
#include "core/audit.h"
#include "store/store.h"

#define SCHEMA_VERSION 2

struct fixture {
    struct reg_store *store;
    struct reg_arena arena;
    char dir[64];  /* "" for ":memory:" */
    char path[96]; /* the database file, or ":memory:" */
};

static struct fixture *
fixture_new(bool on_file)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    reg_arena_init(&f->arena);
    if (on_file) {
        strcpy(f->dir, "/tmp/reg-test-auth-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->path, sizeof(f->path), "%s/registry.db", f->dir);
    } else {
        strcpy(f->path, ":memory:");
    }
    assert_int_equal(reg_store_sqlite_open(f->path, &f->store), REG_OK);
    return f;
}

static void
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

static int
setup_file(void **state)
{
    *state = fixture_new(true);
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    reg_store_close(f->store);
    reg_arena_cleanup(&f->arena);
    remove_files(f);
    free(f);
    return 0;
}

static void
reopen(struct fixture *f)
{
    reg_store_close(f->store);
    f->store = NULL;
    assert_int_equal(reg_store_sqlite_open(f->path, &f->store), REG_OK);
}

static void
add_user(struct fixture *f, const char *name, unsigned perms)
{
    struct reg_user u = {name, (perms & REG_PERM_ADMIN) != 0, perms, "pbkdf2-sha256$1$x$y"};

    assert_int_equal(reg_store_user_insert(f->store, &u), REG_OK);
}

static void
add_token(struct fixture *f, const char *id, const char *name)
{
    assert_int_equal(reg_store_token_insert(f->store, id, name), REG_OK);
}

/* token_use with the user a token row names is irrelevant to SQLite (the id is the key), but
 * the interface takes it; tests pass the right one. */
static enum reg_status
use(struct fixture *f, const char *name, const char *id, int64_t max, int64_t *uses)
{
    int64_t ignored;

    return reg_store_token_use(f->store, name, id, max, uses ? uses : &ignored);
}

/* -------------------------------------------------------------------------------- audit */

static struct reg_artifact
artifact(const char *id, enum reg_artifact_type t, const char *name)
{
    struct reg_artifact art;

    memset(&art, 0, sizeof(art));
    snprintf(art.id, sizeof(art.id), "%s", id);
    art.type = t;
    art.name = name;
    return art;
}

static void
put_artifact(struct fixture *f, const char *id, enum reg_artifact_type t, const char *name)
{
    struct reg_artifact art = artifact(id, t, name);
    bool taken;

    art.url = reg_arena_sprintf(&f->arena, "https://example/%s", id);
    assert_int_equal(reg_store_insert(f->store, &art, &taken), REG_OK);
}

static void
append(struct fixture *f, const char *id, enum reg_artifact_type t, const char *name,
       const char *who, bool is_admin, enum reg_audit_action action, int64_t date)
{
    struct reg_audit_entry e;

    memset(&e, 0, sizeof(e));
    e.user = who;
    e.is_admin = is_admin;
    e.date = date;
    e.artifact = artifact(id, t, name);
    e.action = action;
    assert_int_equal(reg_store_audit_append(f->store, &e), REG_OK);
}

static int
audit_count(struct fixture *f, const char *id)
{
    struct reg_audit_entry *entries;
    int n = -1;

    assert_int_equal(reg_store_audit_list(f->store, &f->arena, id, &entries, &n), REG_OK);
    return n;
}

/* ------------------------------------------------------------------------------- secret */

static void
fill(unsigned char out[32], unsigned char v)
{
    for (int i = 0; i < 32; i++)
        out[i] = (unsigned char)(v + i);
}

/* ------------------------------------------------------------------------ file only */

static int
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

static void
exec_sql(const char *path, const char *sql)
{
    sqlite3 *db;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_close(db);
}

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

    fill(a, 3);
    fill(b, 33);
    assert_int_equal(reg_store_secret(f->store, a, out), REG_OK);
    reopen(f);
    memset(out, 0, sizeof(out));
    assert_int_equal(reg_store_secret(f->store, b, out), REG_OK);
    assert_memory_equal(out, a, 32);
    /* Another connection (another worker) gets the same. */
    assert_int_equal(reg_store_sqlite_open(f->path, &other), REG_OK);
    memset(out, 0, sizeof(out));
    assert_int_equal(reg_store_secret(other, b, out), REG_OK);
    assert_memory_equal(out, a, 32);
    reg_store_close(other);
    /* And after a reset and a reopen. */
    assert_int_equal(reg_store_reset(f->store), REG_OK);
    reopen(f);
    assert_int_equal(reg_store_secret(f->store, b, out), REG_OK);
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

    reg_store_close(f->store);
    f->store = NULL;
    exec_sql(
        f->path,
        "INSERT INTO secrets(name, value) VALUES ('token', x'00112233445566778899aabbccddeeff')");
    assert_int_equal(reg_store_sqlite_open(f->path, &f->store), REG_OK);
    fill(candidate, 9);
    memset(sentinel, 0, sizeof(sentinel));
    memcpy(out, sentinel, sizeof(out));
    st = reg_store_secret(f->store, candidate, out);
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

    add_user(f, "alice", REG_PERM_SEARCH);
    add_token(f, "t1", "alice");
    put_artifact(f, "1", REG_TYPE_MODEL, "a");
    append(f, "1", REG_TYPE_MODEL, "a", "alice", false, REG_AUDIT_CREATE, 5);
    assert_int_equal(use(f, "alice", "t1", 10, &uses), REG_OK);
    assert_int_equal(use(f, "alice", "t1", 10, &uses), REG_OK);
    reopen(f);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "alice", &got), REG_OK);
    assert_int_equal(audit_count(f, "1"), 1);
    assert_int_equal(use(f, "alice", "t1", 10, &uses), REG_OK);
    assert_true(uses == 3);
    /* Two connections count on one row. */
    assert_int_equal(reg_store_sqlite_open(f->path, &other), REG_OK);
    assert_int_equal(reg_store_token_use(other, "alice", "t1", 5, &uses), REG_OK);
    assert_true(uses == 4);
    assert_int_equal(use(f, "alice", "t1", 5, &uses), REG_OK);
    assert_true(uses == 5);
    assert_int_equal(reg_store_token_use(other, "alice", "t1", 5, &uses), REG_EAUTH);
    assert_int_equal(use(f, "alice", "t1", 5, &uses), REG_EAUTH);
    /* A removal through one connection revokes for the other. */
    add_token(f, "t2", "alice");
    assert_int_equal(reg_store_token_use(other, "alice", "t2", 5, &uses), REG_OK);
    assert_int_equal(reg_store_user_remove(other, "alice"), REG_OK);
    assert_int_equal(use(f, "alice", "t2", 5, &uses), REG_EAUTH);
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

    reg_store_close(f->store);
    f->store = NULL;
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
    assert_int_equal(reg_store_sqlite_open(f->path, &f->store), REG_OK);
    assert_int_equal(user_version(f->path), SCHEMA_VERSION);
    /* The old data is there; the new tables work, the trigger included. */
    assert_int_equal(reg_store_count(f->store, &n), REG_OK);
    assert_true(n == 1);
    assert_int_equal(reg_store_get(f->store, &f->arena, "old-1", &art), REG_OK);
    assert_string_equal(art.name, "old");
    add_user(f, "alice", REG_PERM_SEARCH);
    add_token(f, "t1", "alice");
    assert_int_equal(use(f, "alice", "t1", 10, &uses), REG_OK);
    append(f, "old-1", REG_TYPE_MODEL, "old", "alice", false, REG_AUDIT_DOWNLOAD, 9);
    assert_int_equal(audit_count(f, "old-1"), 1);
    assert_int_equal(reg_store_remove(f->store, "old-1"), REG_OK);
    assert_int_equal(audit_count(f, "old-1"), 0);
    assert_int_equal(reg_store_user_remove(f->store, "alice"), REG_OK);
    assert_int_equal(use(f, "alice", "t1", 10, &uses), REG_EAUTH);
}

#define PROCS 8
#define USES_EACH 100
#define MAX_USES 500

/* PROCS processes, each with its own connection, spend USES_EACH uses of one token whose limit
 * is MAX_USES, all at once: exactly MAX_USES succeed, and the stored count is MAX_USES. */
static void
test_token_use_across_processes(void **state)
{
    struct fixture *f = *state;
    int go[2];
    pid_t pids[PROCS];
    int total = 0, bad = 0;
    int64_t uses;

    add_user(f, "alice", REG_PERM_SEARCH);
    add_token(f, "shared", "alice");
    /* No connection may cross a fork. */
    reg_store_close(f->store);
    f->store = NULL;
    assert_int_equal(pipe(go), 0);
    for (int p = 0; p < PROCS; p++) {
        pids[p] = fork();
        assert_true(pids[p] >= 0);
        if (pids[p] == 0) {
            struct reg_store *s;
            int ok = 0;
            char c;
            /* The store logs its errors; the exit status says enough here. */
            if (!freopen("/dev/null", "w", stderr))
                _exit(250);
            close(go[1]);
            if (reg_store_sqlite_open(f->path, &s) != REG_OK)
                _exit(251);
            /* Everyone starts when the parent closes the pipe. */
            if (read(go[0], &c, 1) != 0)
                _exit(252);
            for (int i = 0; i < USES_EACH; i++) {
                int64_t n = 0;
                enum reg_status st = reg_store_token_use(s, "alice", "shared", MAX_USES, &n);
                if (st == REG_OK && (n < 1 || n > MAX_USES))
                    _exit(253);
                if (st != REG_OK && st != REG_EAUTH)
                    _exit(254);
                ok += st == REG_OK;
            }
            reg_store_close(s);
            _exit(ok);
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
    assert_int_equal(total, MAX_USES);
    assert_true(stored_uses(f->path, "shared") == MAX_USES);
    assert_int_equal(reg_store_sqlite_open(f->path, &f->store), REG_OK);
    assert_int_equal(use(f, "alice", "shared", MAX_USES, &uses), REG_EAUTH);
    assert_int_equal(use(f, "alice", "shared", MAX_USES + 1, &uses), REG_OK);
    assert_true(uses == MAX_USES + 1);
}

#define ON_FILE(fn) cmocka_unit_test_setup_teardown(fn, setup_file, teardown)

int
main(void)
{
    const struct CMUnitTest file_tests[] = {
        ON_FILE(test_schema_version),    ON_FILE(test_secret_survives_reopen),
        ON_FILE(test_secret_wrong_size), ON_FILE(test_auth_data_survives_reopen),
        ON_FILE(test_migration_from_v1), ON_FILE(test_token_use_across_processes),
    };

    return cmocka_run_group_tests_name("store/sqlite auth file", file_tests, NULL, NULL);
}
