/*
 * test_store_auth.c - the access-control operations of the SQLite store (schema migration 2):
 * users, tokens with their use counts, audit entries, the token secret, and what reset does to
 * them; each on ":memory:" and on a file. Then what only a file has: the secret kept across
 * reopening, a version-1 file migrated in place, and exact use counting by 8 processes at once.
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
setup_memory(void **state)
{
    *state = fixture_new(false);
    return 0;
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

static struct reg_user
user(const char *name, bool is_admin, unsigned perms, const char *password)
{
    struct reg_user u = {name, is_admin, perms, password};

    return u;
}

static void
add_user(struct fixture *f, const char *name, unsigned perms)
{
    struct reg_user u = user(name, (perms & REG_PERM_ADMIN) != 0, perms, "pbkdf2-sha256$1$x$y");

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

static int
user_count(struct fixture *f)
{
    struct reg_user *all;
    int n = -1;

    assert_int_equal(reg_store_user_list(f->store, &f->arena, &all, &n), REG_OK);
    return n;
}

/* -------------------------------------------------------------------------------- users */

static void
test_user_insert_get(void **state)
{
    struct fixture *f = *state;
    struct reg_user u = user("alice", false, REG_PERM_SEARCH | REG_PERM_DOWNLOAD,
                             "pbkdf2-sha256$1000$00$11"),
                    got;

    assert_int_equal(reg_store_user_insert(f->store, &u), REG_OK);
    memset(&got, 0x5a, sizeof(got));
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "alice", &got), REG_OK);
    assert_string_equal(got.name, "alice");
    assert_false(got.is_admin);
    assert_int_equal(got.perms, REG_PERM_SEARCH | REG_PERM_DOWNLOAD);
    assert_string_equal(got.password, "pbkdf2-sha256$1000$00$11");

    /* Names with quotes, SQL and UTF-8 are data. */
    u = user("x'); DROP TABLE users; --\" `\xc3\xa9`", true, REG_PERM_ALL, "rec'\"`");
    assert_int_equal(reg_store_user_insert(f->store, &u), REG_OK);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, u.name, &got), REG_OK);
    assert_string_equal(got.name, u.name);
    assert_true(got.is_admin);
    assert_int_equal(got.perms, REG_PERM_ALL);
    assert_string_equal(got.password, "rec'\"`");
    assert_int_equal(user_count(f), 2);

    /* A taken name: REG_ECONFLICT, the first row kept. */
    u = user("alice", true, REG_PERM_ALL, "other");
    assert_int_equal(reg_store_user_insert(f->store, &u), REG_ECONFLICT);
    assert_non_null(strstr(reg_error_detail(), "alice"));
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "alice", &got), REG_OK);
    assert_false(got.is_admin);
    assert_string_equal(got.password, "pbkdf2-sha256$1000$00$11");

    /* Unknown names, including near misses. */
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "Alice", &got), REG_ENOTFOUND);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "alic", &got), REG_ENOTFOUND);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "alice ", &got), REG_ENOTFOUND);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "", &got), REG_ENOTFOUND);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "' OR '1'='1", &got), REG_ENOTFOUND);
    assert_int_equal(user_count(f), 2);
}

static void
test_user_list(void **state)
{
    struct fixture *f = *state;
    struct reg_user *all;
    int n = -1;
    bool seen[40] = {false};

    assert_int_equal(reg_store_user_list(f->store, &f->arena, &all, &n), REG_OK);
    assert_int_equal(n, 0);
    /* More rows than the first allocation (16). */
    for (int i = 0; i < 40; i++)
        add_user(f, reg_arena_sprintf(&f->arena, "u%02d", i),
                 i % 10 == 0 ? REG_PERM_ALL : REG_PERM_SEARCH);
    assert_int_equal(reg_store_user_list(f->store, &f->arena, &all, &n), REG_OK);
    assert_int_equal(n, 40);
    for (int j = 0; j < n; j++) {
        int i = atoi(all[j].name + 1);
        assert_in_range(i, 0, 39);
        assert_false(seen[i]);
        seen[i] = true;
        assert_int_equal(all[j].perms, i % 10 == 0 ? REG_PERM_ALL : REG_PERM_SEARCH);
        assert_int_equal(all[j].is_admin, i % 10 == 0);
        assert_non_null(all[j].password);
        /* By creation time, then name: here both agree with the insertion order. */
        assert_int_equal(i, j);
    }
}

static void
test_user_update(void **state)
{
    struct fixture *f = *state;
    struct reg_user u, got;

    add_user(f, "bob", REG_PERM_SEARCH);
    u = user("bob", true, REG_PERM_ALL, "ignored by update");
    assert_int_equal(reg_store_user_update(f->store, &u), REG_OK);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "bob", &got), REG_OK);
    assert_true(got.is_admin);
    assert_int_equal(got.perms, REG_PERM_ALL);
    /* The password stays. */
    assert_string_equal(got.password, "pbkdf2-sha256$1$x$y");
    /* With another admin, bob can lose admin. */
    add_user(f, "root", REG_PERM_ALL);
    u = user("bob", false, 0, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_OK);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "bob", &got), REG_OK);
    assert_false(got.is_admin);
    assert_int_equal(got.perms, 0);
    assert_string_equal(got.password, "pbkdf2-sha256$1$x$y");
    /* A non-admin's permissions change freely. */
    u = user("bob", false, REG_PERM_UPLOAD | REG_PERM_DOWNLOAD, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_OK);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "bob", &got), REG_OK);
    assert_int_equal(got.perms, REG_PERM_UPLOAD | REG_PERM_DOWNLOAD);
    /* Unknown user: REG_ENOTFOUND, whatever the update would do. */
    u = user("nobody", true, REG_PERM_ALL, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_ENOTFOUND);
    u = user("nobody", false, 0, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_ENOTFOUND);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "nobody", &got), REG_ENOTFOUND);
    assert_int_equal(user_count(f), 2);
}

static int
admin_count(struct fixture *f)
{
    struct reg_user *all;
    int n = -1, admins = 0;

    assert_int_equal(reg_store_user_list(f->store, &f->arena, &all, &n), REG_OK);
    for (int i = 0; i < n; i++)
        admins += all[i].is_admin;
    return admins;
}

/* The store refuses to remove the last admin, by removal or by update, in the same statement
 * as the change (REG_ECONFLICT); everything else about admins is allowed. */
static void
test_last_admin(void **state)
{
    struct fixture *f = *state;
    struct reg_user u, got;

    add_user(f, "root", REG_PERM_ALL);
    add_user(f, "user", REG_PERM_SEARCH);
    assert_int_equal(reg_store_user_remove(f->store, "root"), REG_ECONFLICT);
    assert_non_null(strstr(reg_error_detail(), "root"));
    u = user("root", false, REG_PERM_SEARCH, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_ECONFLICT);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "root", &got), REG_OK);
    assert_true(got.is_admin);
    assert_int_equal(got.perms, REG_PERM_ALL);
    /* Staying admin is an update like any other. */
    u = user("root", true, REG_PERM_ADMIN | REG_PERM_SEARCH, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_OK);
    u = user("root", true, REG_PERM_ALL, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_OK);
    /* Non-admins come and go; unknown names are not found, not conflicts. */
    assert_int_equal(reg_store_user_remove(f->store, "user"), REG_OK);
    assert_int_equal(reg_store_user_remove(f->store, "nobody"), REG_ENOTFOUND);
    /* With a second admin, either one may go, but not both. */
    add_user(f, "root2", REG_PERM_ALL);
    assert_int_equal(reg_store_user_remove(f->store, "root"), REG_OK);
    assert_int_equal(reg_store_user_remove(f->store, "root2"), REG_ECONFLICT);
    u = user("root2", false, 0, NULL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_ECONFLICT);
    add_user(f, "root3", REG_PERM_ALL);
    assert_int_equal(reg_store_user_update(f->store, &u), REG_OK);
    assert_int_equal(reg_store_user_remove(f->store, "root3"), REG_ECONFLICT);
    assert_int_equal(admin_count(f), 1);
    /* A store without any admin (users written without one) lets non-admins go. */
    assert_int_equal(reg_store_reset(f->store), REG_OK);
    add_user(f, "plain", REG_PERM_SEARCH);
    assert_int_equal(reg_store_user_remove(f->store, "plain"), REG_OK);
}

static void
test_user_remove_cascades(void **state)
{
    struct fixture *f = *state;
    struct reg_user got;
    int64_t uses;

    add_user(f, "alice", REG_PERM_SEARCH);
    add_user(f, "bob", REG_PERM_SEARCH);
    add_token(f, "alice-1", "alice");
    add_token(f, "alice-2", "alice");
    add_token(f, "bob-1", "bob");
    assert_int_equal(use(f, "alice", "alice-1", 10, &uses), REG_OK);
    assert_int_equal(use(f, "alice", "alice-2", 10, &uses), REG_OK);

    assert_int_equal(reg_store_user_remove(f->store, "alice"), REG_OK);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "alice", &got), REG_ENOTFOUND);
    /* Her tokens are gone with her: revoked. Bob's are not. */
    assert_int_equal(use(f, "alice", "alice-1", 10, &uses), REG_EAUTH);
    assert_non_null(strstr(reg_error_detail(), "revoked"));
    assert_int_equal(use(f, "alice", "alice-2", 10, &uses), REG_EAUTH);
    assert_int_equal(use(f, "bob", "bob-1", 10, &uses), REG_OK);
    assert_true(uses == 1);
    /* A new alice does not get the old tokens back. */
    add_user(f, "alice", REG_PERM_SEARCH);
    assert_int_equal(use(f, "alice", "alice-1", 10, &uses), REG_EAUTH);
    /* Removing twice, or someone unknown. */
    assert_int_equal(reg_store_user_remove(f->store, "bob"), REG_OK);
    assert_int_equal(reg_store_user_remove(f->store, "bob"), REG_ENOTFOUND);
    assert_int_equal(reg_store_user_remove(f->store, "nobody"), REG_ENOTFOUND);
    assert_int_equal(use(f, "bob", "bob-1", 10, &uses), REG_EAUTH);
    assert_int_equal(user_count(f), 1);
}

/* ------------------------------------------------------------------------------- tokens */

static void
test_token_use_counts(void **state)
{
    struct fixture *f = *state;
    int64_t uses = -1;
    int bad = 0;

    add_user(f, "alice", REG_PERM_SEARCH);
    add_token(f, "t1", "alice");
    add_token(f, "t2", "alice");
    /* Exact counting: 1, 2, ..., 5, then the limit. */
    for (int64_t i = 1; i <= 5; i++) {
        enum reg_status st = use(f, "alice", "t1", 5, &uses);
        CHECK(&bad, st == REG_OK && uses == i, "use %lld: status %d, uses %lld", (long long)i, st,
              (long long)uses);
    }
    assert_int_equal(bad, 0);
    assert_int_equal(use(f, "alice", "t1", 5, &uses), REG_EAUTH);
    assert_non_null(strstr(reg_error_detail(), "limit"));
    assert_int_equal(use(f, "alice", "t1", 5, &uses), REG_EAUTH);
    /* The refused uses were not counted: a higher limit continues from 5. */
    assert_int_equal(use(f, "alice", "t1", 7, &uses), REG_OK);
    assert_true(uses == 6);
    assert_int_equal(use(f, "alice", "t1", 7, &uses), REG_OK);
    assert_true(uses == 7);
    assert_int_equal(use(f, "alice", "t1", 7, &uses), REG_EAUTH);
    /* Another token of the same user counts on its own. */
    assert_int_equal(use(f, "alice", "t2", 5, &uses), REG_OK);
    assert_true(uses == 1);
    /* A limit of 0 (or less) allows nothing. */
    add_token(f, "t3", "alice");
    assert_int_equal(use(f, "alice", "t3", 0, &uses), REG_EAUTH);
    assert_int_equal(use(f, "alice", "t3", -1, &uses), REG_EAUTH);
    assert_int_equal(use(f, "alice", "t3", 1, &uses), REG_OK);
    assert_true(uses == 1);
    assert_int_equal(use(f, "alice", "t3", 1, &uses), REG_EAUTH);
    /* A large limit. */
    add_token(f, "t4", "alice");
    for (int i = 0; i < 1000; i++)
        assert_int_equal(use(f, "alice", "t4", 1000000000, &uses), REG_OK);
    assert_true(uses == 1000);
}

static void
test_token_unknown(void **state)
{
    struct fixture *f = *state;
    int64_t uses;

    add_user(f, "alice", REG_PERM_SEARCH);
    add_token(f, "t1", "alice");
    assert_int_equal(use(f, "alice", "nope", 100, &uses), REG_EAUTH);
    assert_non_null(strstr(reg_error_detail(), "revoked"));
    assert_int_equal(use(f, "alice", "", 100, &uses), REG_EAUTH);
    assert_int_equal(use(f, "alice", "T1", 100, &uses), REG_EAUTH);
    assert_int_equal(use(f, "alice", "t1 ", 100, &uses), REG_EAUTH);
    assert_int_equal(use(f, "alice", "' OR '1'='1", 100, &uses), REG_EAUTH);
    /* None of that touched t1. */
    assert_int_equal(use(f, "alice", "t1", 100, &uses), REG_OK);
    assert_true(uses == 1);
    /* A token must belong to an existing user, and ids are unique. */
    assert_int_equal(reg_store_token_insert(f->store, "t9", "nobody"), REG_ECONFLICT);
    assert_int_equal(use(f, "nobody", "t9", 100, &uses), REG_EAUTH);
    assert_int_equal(reg_store_token_insert(f->store, "t1", "alice"), REG_ECONFLICT);
    /* The refused duplicate left the count alone. */
    assert_int_equal(use(f, "alice", "t1", 100, &uses), REG_OK);
    assert_true(uses == 2);
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

static void
test_audit_append_list(void **state)
{
    struct fixture *f = *state;
    struct reg_audit_entry *e;
    int n = -1;

    put_artifact(f, "111", REG_TYPE_MODEL, "bert");
    put_artifact(f, "222", REG_TYPE_DATASET, "squad");
    assert_int_equal(reg_store_audit_list(f->store, &f->arena, "111", &e, &n), REG_OK);
    assert_int_equal(n, 0);

    /* Dates deliberately out of order: the list is in append order, not by date. */
    append(f, "111", REG_TYPE_MODEL, "bert", "alice", false, REG_AUDIT_CREATE, 2000);
    append(f, "222", REG_TYPE_DATASET, "squad", "bob", true, REG_AUDIT_CREATE, 1500);
    append(f, "111", REG_TYPE_MODEL, "bert", "bob", true, REG_AUDIT_DOWNLOAD, 1000);
    append(f, "111", REG_TYPE_MODEL, "bert v2", "x'\"` \xc3\xa9", false, REG_AUDIT_UPDATE, 3000);
    append(f, "111", REG_TYPE_MODEL, "bert v2", "alice", false, REG_AUDIT_RATE, 3000);
    append(f, "111", REG_TYPE_MODEL, "bert v2", "alice", false, REG_AUDIT_AUDIT, 3001);

    assert_int_equal(reg_store_audit_list(f->store, &f->arena, "111", &e, &n), REG_OK);
    assert_int_equal(n, 5);
    assert_string_equal(e[0].user, "alice");
    assert_false(e[0].is_admin);
    assert_true(e[0].date == 2000);
    assert_int_equal(e[0].action, REG_AUDIT_CREATE);
    assert_string_equal(e[0].artifact.id, "111");
    assert_string_equal(e[0].artifact.name, "bert");
    assert_int_equal(e[0].artifact.type, REG_TYPE_MODEL);
    assert_string_equal(e[1].user, "bob");
    assert_true(e[1].is_admin);
    assert_true(e[1].date == 1000);
    assert_int_equal(e[1].action, REG_AUDIT_DOWNLOAD);
    assert_string_equal(e[2].user, "x'\"` \xc3\xa9");
    assert_string_equal(e[2].artifact.name, "bert v2");
    assert_int_equal(e[2].action, REG_AUDIT_UPDATE);
    assert_int_equal(e[3].action, REG_AUDIT_RATE);
    assert_int_equal(e[4].action, REG_AUDIT_AUDIT);
    assert_true(e[4].date == 3001);

    assert_int_equal(reg_store_audit_list(f->store, &f->arena, "222", &e, &n), REG_OK);
    assert_int_equal(n, 1);
    assert_string_equal(e[0].artifact.name, "squad");
    assert_int_equal(e[0].artifact.type, REG_TYPE_DATASET);
    /* Other ids: nothing, not even by prefix. */
    assert_int_equal(audit_count(f, "11"), 0);
    assert_int_equal(audit_count(f, "1111"), 0);
    assert_int_equal(audit_count(f, ""), 0);
    assert_int_equal(audit_count(f, "' OR '1'='1"), 0);
}

static void
test_audit_many(void **state)
{
    struct fixture *f = *state;
    struct reg_audit_entry *e;
    int n = -1;

    put_artifact(f, "7", REG_TYPE_CODE, "c");
    /* More than the first allocation (16). */
    for (int i = 0; i < 100; i++)
        append(f, "7", REG_TYPE_CODE, "c", reg_arena_sprintf(&f->arena, "user-%d", i), i % 2,
               (enum reg_audit_action)(i % 5), 1000 - i);
    assert_int_equal(reg_store_audit_list(f->store, &f->arena, "7", &e, &n), REG_OK);
    assert_int_equal(n, 100);
    for (int i = 0; i < 100; i++) {
        char want[32];
        snprintf(want, sizeof(want), "user-%d", i);
        assert_string_equal(e[i].user, want);
        assert_int_equal(e[i].is_admin, i % 2);
        assert_int_equal(e[i].action, i % 5);
        assert_true(e[i].date == 1000 - i);
    }
}

static void
test_audit_goes_with_artifact(void **state)
{
    struct fixture *f = *state;
    struct reg_artifact art;

    put_artifact(f, "1", REG_TYPE_MODEL, "a");
    put_artifact(f, "2", REG_TYPE_MODEL, "b");
    for (int i = 0; i < 3; i++) {
        append(f, "1", REG_TYPE_MODEL, "a", "alice", false, REG_AUDIT_DOWNLOAD, 1000 + i);
        append(f, "2", REG_TYPE_MODEL, "b", "alice", false, REG_AUDIT_DOWNLOAD, 1000 + i);
    }
    /* Entries of an id that never was an artifact are kept as they are. */
    append(f, "ghost", REG_TYPE_MODEL, "g", "alice", false, REG_AUDIT_CREATE, 1);
    /* An update keeps them. */
    art = artifact("1", REG_TYPE_MODEL, "a2");
    art.url = "https://example/1";
    assert_int_equal(reg_store_update(f->store, &art), REG_OK);
    assert_int_equal(audit_count(f, "1"), 3);
    /* Deleting the artifact deletes its entries (trigger), only its own. */
    assert_int_equal(reg_store_remove(f->store, "1"), REG_OK);
    assert_int_equal(audit_count(f, "1"), 0);
    assert_int_equal(audit_count(f, "2"), 3);
    assert_int_equal(audit_count(f, "ghost"), 1);
    /* A new artifact under the old id starts with an empty trail. */
    put_artifact(f, "1", REG_TYPE_MODEL, "a");
    assert_int_equal(audit_count(f, "1"), 0);
    /* A failed removal (unknown id) deletes nothing. */
    assert_int_equal(reg_store_remove(f->store, "ghost"), REG_ENOTFOUND);
    assert_int_equal(audit_count(f, "ghost"), 1);
}

/* ------------------------------------------------------------------------------- secret */

static void
fill(unsigned char out[32], unsigned char v)
{
    for (int i = 0; i < 32; i++)
        out[i] = (unsigned char)(v + i);
}

static void
test_secret(void **state)
{
    struct fixture *f = *state;
    unsigned char a[32], b[32], out[32];

    fill(a, 1);
    fill(b, 100);
    /* The first candidate is stored and returned. */
    memset(out, 0, sizeof(out));
    assert_int_equal(reg_store_secret(f->store, a, out), REG_OK);
    assert_memory_equal(out, a, 32);
    /* Later candidates are ignored. */
    memset(out, 0, sizeof(out));
    assert_int_equal(reg_store_secret(f->store, b, out), REG_OK);
    assert_memory_equal(out, a, 32);
    assert_int_equal(reg_store_secret(f->store, b, out), REG_OK);
    assert_memory_equal(out, a, 32);
    /* Any byte value, NULs included, survives. */
    {
        struct reg_store *other;
        unsigned char zeros[32] = {0}, ff[32];
        memset(ff, 0xff, sizeof(ff));
        assert_int_equal(reg_store_sqlite_open(":memory:", &other), REG_OK);
        assert_int_equal(reg_store_secret(other, zeros, out), REG_OK);
        assert_memory_equal(out, zeros, 32);
        assert_int_equal(reg_store_secret(other, ff, out), REG_OK);
        assert_memory_equal(out, zeros, 32);
        reg_store_close(other);
    }
}

static void
test_reset_keeps_secret(void **state)
{
    struct fixture *f = *state;
    unsigned char a[32], b[32], out[32];
    struct reg_user got;
    int64_t uses;

    fill(a, 7);
    fill(b, 77);
    assert_int_equal(reg_store_secret(f->store, a, out), REG_OK);
    add_user(f, "alice", REG_PERM_ALL);
    add_token(f, "t1", "alice");
    put_artifact(f, "1", REG_TYPE_MODEL, "a");
    append(f, "1", REG_TYPE_MODEL, "a", "alice", true, REG_AUDIT_CREATE, 1);
    append(f, "ghost", REG_TYPE_MODEL, "g", "alice", true, REG_AUDIT_CREATE, 1);

    assert_int_equal(reg_store_reset(f->store), REG_OK);
    assert_int_equal(user_count(f), 0);
    assert_int_equal(reg_store_user_get(f->store, &f->arena, "alice", &got), REG_ENOTFOUND);
    assert_int_equal(use(f, "alice", "t1", 100, &uses), REG_EAUTH);
    assert_int_equal(audit_count(f, "1"), 0);
    assert_int_equal(audit_count(f, "ghost"), 0);
    memset(out, 0, sizeof(out));
    assert_int_equal(reg_store_secret(f->store, b, out), REG_OK);
    assert_memory_equal(out, a, 32);
    /* Names and ids are free again. */
    add_user(f, "alice", REG_PERM_ALL);
    add_token(f, "t1", "alice");
    assert_int_equal(use(f, "alice", "t1", 100, &uses), REG_OK);
    assert_true(uses == 1);
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

#define ON_MEMORY(fn) cmocka_unit_test_setup_teardown(fn, setup_memory, teardown)
#define ON_FILE(fn) cmocka_unit_test_setup_teardown(fn, setup_file, teardown)

int
main(void)
{
    const struct CMUnitTest memory_tests[] = {
        ON_MEMORY(test_user_insert_get),
        ON_MEMORY(test_user_list),
        ON_MEMORY(test_user_update),
        ON_MEMORY(test_last_admin),
        ON_MEMORY(test_user_remove_cascades),
        ON_MEMORY(test_token_use_counts),
        ON_MEMORY(test_token_unknown),
        ON_MEMORY(test_audit_append_list),
        ON_MEMORY(test_audit_many),
        ON_MEMORY(test_audit_goes_with_artifact),
        ON_MEMORY(test_secret),
        ON_MEMORY(test_reset_keeps_secret),
    };
    const struct CMUnitTest file_tests[] = {
        ON_FILE(test_user_insert_get),
        ON_FILE(test_user_list),
        ON_FILE(test_user_update),
        ON_FILE(test_last_admin),
        ON_FILE(test_user_remove_cascades),
        ON_FILE(test_token_use_counts),
        ON_FILE(test_token_unknown),
        ON_FILE(test_audit_append_list),
        ON_FILE(test_audit_many),
        ON_FILE(test_audit_goes_with_artifact),
        ON_FILE(test_secret),
        ON_FILE(test_reset_keeps_secret),
        ON_FILE(test_schema_version),
        ON_FILE(test_secret_survives_reopen),
        ON_FILE(test_secret_wrong_size),
        ON_FILE(test_auth_data_survives_reopen),
        ON_FILE(test_migration_from_v1),
        ON_FILE(test_token_use_across_processes),
    };
    int failed =
        cmocka_run_group_tests_name("store/sqlite auth :memory:", memory_tests, NULL, NULL);

    failed += cmocka_run_group_tests_name("store/sqlite auth file", file_tests, NULL, NULL);
    return failed;
}
