/*
 * test_users.c - the access-control rules (auth/users.h) on a struct reg_users made by
 * reg_users_init() from a ":memory:" store alone (config from the environment, the token secret
 * from the store, the default admin), without an app; and once through reg_app_new() on a
 * temporary data directory, where two apps share one file (secret and use counts).
 *
 * REGISTRY_PBKDF2_ITERATIONS is 1000 here, so every password record is cheap.
 */
#include "unit.h"

#include <json-c/json.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth/token.h"
#include "auth/users.h"
#include "base/json.h"
#include "core/registry.h"
#include "reg.h"
#include "store/store.h"

#define ADMIN REG_DEFAULT_ADMIN
#define ADMIN_PASSWORD "correcthorsebatterystaple123(!__+@**(A'\"`;DROP TABLE artifacts;"

struct fixture {
    struct reg_config config;
    struct reg_store *store;
    struct reg_users users;
    struct reg_arena arena;
};

static void
load_config(struct reg_config *cfg)
{
    static const char *const unset[] = {
        "REGISTRY_ADMIN_PASSWORD", "REGISTRY_TOKEN_MAX_USES", "REGISTRY_TOKEN_TTL_SECONDS",
        "REGISTRY_DATA_DIR",       "REGISTRY_STORE",
    };

    for (int i = 0; i < NELEMS(unset); i++)
        assert_int_equal(unsetenv(unset[i]), 0);
    assert_int_equal(setenv("REGISTRY_PBKDF2_ITERATIONS", "1000", 1), 0);
    memset(cfg, 0, sizeof(*cfg));
    assert_int_equal(reg_config_load(cfg), REG_OK);
}

/* What reg_app_new() does for access control, on ":memory:"; the default admin only when
 * with_admin. */
static struct fixture *
fixture_new(bool with_admin)
{
    struct fixture *f = calloc(1, sizeof(*f));
    unsigned char candidate[REG_SECRET_BYTES], stored[REG_SECRET_BYTES];

    assert_non_null(f);
    reg_arena_init(&f->arena);
    load_config(&f->config);
    assert_int_equal(reg_store_sqlite_open(":memory:", &f->store), REG_OK);
    assert_int_equal(reg_users_init(&f->users, f->store, &f->config), REG_OK);
    /* The secret is the one the store keeps: a later candidate does not replace it. */
    memset(candidate, 0x5a, sizeof(candidate));
    assert_int_equal(reg_store_secret(f->store, candidate, stored), REG_OK);
    assert_memory_equal(f->users.secret, stored, REG_SECRET_BYTES);
    assert_memory_not_equal(f->users.secret, candidate, REG_SECRET_BYTES);
    if (with_admin)
        assert_int_equal(reg_users_ensure_admin(&f->users), REG_OK);
    return f;
}

static int
setup(void **state)
{
    *state = fixture_new(true);
    return 0;
}

static int
setup_bare(void **state)
{
    *state = fixture_new(false);
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    reg_users_cleanup(&f->users);
    reg_store_close(f->store);
    reg_arena_cleanup(&f->arena);
    free(f);
    return 0;
}

/* Logs in and returns "bearer <token>"; fails the test unless that works. */
static const char *
login(struct fixture *f, const char *name, const char *password)
{
    const char *token = NULL;
    enum reg_status st = reg_users_login(&f->users, &f->arena, name, password, &token);

    if (st != REG_OK)
        fail_msg("login of '%s': status %d (%s)", name, st, reg_error_detail());
    assert_non_null(token);
    return token;
}

static enum reg_status
authorize(struct fixture *f, const char *header, struct reg_caller *caller)
{
    struct reg_caller ignored;

    return reg_users_authorize(&f->users, &f->arena, header, caller ? caller : &ignored);
}

static void
create(struct fixture *f, const char *name, const char *password, unsigned perms)
{
    struct reg_user u;
    enum reg_status st = reg_users_create(&f->users, name, password, perms, &u);

    if (st != REG_OK)
        fail_msg("create '%s': status %d (%s)", name, st, reg_error_detail());
}

static int
user_count(struct fixture *f)
{
    struct reg_user *all;
    int n = -1;

    assert_int_equal(reg_users_list(&f->users, &f->arena, &all, &n), REG_OK);
    return n;
}

static void
test_config(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(f->users.pbkdf2_iterations, 1000);
    assert_int_equal(f->users.token_max_uses, 1000);
    assert_int_equal(f->users.token_ttl_seconds, 10 * 3600);
    assert_string_equal(f->users.admin_password, ADMIN_PASSWORD);
    /* Out-of-range values are refused. */
    {
        struct reg_config cfg;
        assert_int_equal(setenv("REGISTRY_TOKEN_MAX_USES", "0", 1), 0);
        assert_int_equal(reg_config_load(&cfg), REG_EINVAL);
        assert_int_equal(setenv("REGISTRY_TOKEN_MAX_USES", "1000000000", 1), 0);
        assert_int_equal(reg_config_load(&cfg), REG_OK);
        assert_int_equal(cfg.token_max_uses, 1000000000);
        assert_int_equal(unsetenv("REGISTRY_TOKEN_MAX_USES"), 0);
        assert_int_equal(setenv("REGISTRY_PBKDF2_ITERATIONS", "0", 1), 0);
        assert_int_equal(reg_config_load(&cfg), REG_EINVAL);
        assert_int_equal(setenv("REGISTRY_PBKDF2_ITERATIONS", "1000", 1), 0);
    }
}

static void
test_ensure_admin(void **state)
{
    struct fixture *f = *state;
    struct reg_user u;
    const char *record, *token;

    assert_int_equal(user_count(f), 0);
    assert_int_equal(reg_users_ensure_admin(&f->users), REG_OK);
    assert_int_equal(user_count(f), 1);
    assert_int_equal(reg_users_get(&f->users, &f->arena, ADMIN, &u), REG_OK);
    assert_string_equal(u.name, ADMIN);
    assert_true(u.is_admin);
    assert_int_equal(u.perms, REG_PERM_ALL);
    /* The record is PBKDF2 with the configured iterations, of the default password. */
    assert_int_equal(strncmp(u.password, "pbkdf2-sha256$1000$", 19), 0);
    assert_true(reg_password_verify(ADMIN_PASSWORD, u.password));
    record = u.password;

    /* Once: a second call changes nothing. */
    assert_int_equal(reg_users_ensure_admin(&f->users), REG_OK);
    assert_int_equal(user_count(f), 1);
    assert_int_equal(reg_users_get(&f->users, &f->arena, ADMIN, &u), REG_OK);
    assert_string_equal(u.password, record);

    /* After a reset the admin is gone, with every token; ensure_admin brings them back (with
     * the record derived once per process) and the old token stays revoked. */
    token = login(f, ADMIN, ADMIN_PASSWORD);
    assert_int_equal(authorize(f, token, NULL), REG_OK);
    assert_int_equal(reg_store_reset(f->store), REG_OK);
    assert_int_equal(user_count(f), 0);
    assert_int_equal(authorize(f, token, NULL), REG_EAUTH);
    assert_int_equal(reg_users_ensure_admin(&f->users), REG_OK);
    assert_int_equal(user_count(f), 1);
    assert_int_equal(reg_users_get(&f->users, &f->arena, ADMIN, &u), REG_OK);
    assert_string_equal(u.password, record);
    assert_int_equal(authorize(f, token, NULL), REG_EAUTH);
    assert_int_equal(authorize(f, login(f, ADMIN, ADMIN_PASSWORD), NULL), REG_OK);
}

static void
test_ensure_admin_other_password(void **state)
{
    struct fixture *f = *state;
    const char *token;

    /* REGISTRY_ADMIN_PASSWORD decides the default admin's password. */
    f->users.admin_password = "another secret";
    assert_int_equal(reg_users_ensure_admin(&f->users), REG_OK);
    assert_int_equal(reg_users_login(&f->users, &f->arena, ADMIN, ADMIN_PASSWORD, &token),
                     REG_EDENIED);
    login(f, ADMIN, "another secret");
}

static void
test_login(void **state)
{
    struct fixture *f = *state;
    struct reg_token_claims claims;
    const char *token, *token2, *detail_wrong;
    int64_t now = (int64_t)time(NULL);

    token = login(f, ADMIN, ADMIN_PASSWORD);
    assert_int_equal(strncmp(token, "bearer ", 7), 0);
    /* The token proper is signed with the stored secret, for the admin, valid for the TTL. */
    assert_int_equal(reg_token_verify(f->users.secret, token + 7, now, &claims), REG_OK);
    assert_string_equal(claims.user, ADMIN);
    assert_true(claims.expires_at >= now + f->users.token_ttl_seconds);
    assert_true(claims.expires_at <= now + f->users.token_ttl_seconds + 5);
    /* Every login issues another token. */
    token2 = login(f, ADMIN, ADMIN_PASSWORD);
    assert_string_not_equal(token, token2);

    /* Wrong password and unknown user: REG_EDENIED, indistinguishable by their detail. */
    token = "untouched";
    assert_int_equal(reg_users_login(&f->users, &f->arena, ADMIN, "wrong", &token), REG_EDENIED);
    assert_null(token);
    detail_wrong = reg_arena_strdup(&f->arena, reg_error_detail());
    token = "untouched";
    assert_int_equal(reg_users_login(&f->users, &f->arena, "nobody", ADMIN_PASSWORD, &token),
                     REG_EDENIED);
    assert_null(token);
    assert_string_equal(reg_error_detail(), detail_wrong);
    /* Near misses. */
    assert_int_equal(reg_users_login(&f->users, &f->arena, ADMIN, "", &token), REG_EDENIED);
    assert_int_equal(reg_users_login(&f->users, &f->arena, ADMIN, ADMIN_PASSWORD " ", &token),
                     REG_EDENIED);
    assert_int_equal(
        reg_users_login(&f->users, &f->arena, "ECE30861DEFAULTADMINUSER", ADMIN_PASSWORD, &token),
        REG_EDENIED);
    assert_int_equal(reg_users_login(&f->users, &f->arena, ADMIN " ", ADMIN_PASSWORD, &token),
                     REG_EDENIED);
    assert_int_equal(reg_users_login(&f->users, &f->arena, "", ADMIN_PASSWORD, &token),
                     REG_EDENIED);
    assert_int_equal(reg_users_login(&f->users, &f->arena, "' OR '1'='1", "' OR '1'='1", &token),
                     REG_EDENIED);
    /* The record is not the password. */
    {
        struct reg_user u;
        assert_int_equal(reg_users_get(&f->users, &f->arena, ADMIN, &u), REG_OK);
        assert_int_equal(reg_users_login(&f->users, &f->arena, ADMIN, u.password, &token),
                         REG_EDENIED);
    }
}

static void
test_authorize_forms(void **state)
{
    struct fixture *f = *state;
    const char *token = login(f, ADMIN, ADMIN_PASSWORD);
    const char *bare = token + 7;
    struct reg_caller caller;
    int bad = 0;
    const char *accepted[] = {
        token,
        bare,
        reg_arena_sprintf(&f->arena, "Bearer %s", bare),
        reg_arena_sprintf(&f->arena, "BEARER %s", bare),
        reg_arena_sprintf(&f->arena, "  bearer   %s", bare),
        reg_arena_sprintf(&f->arena, " %s", bare),
    };
    const char *refused[] = {
        "",
        " ",
        "bearer",
        "bearer ",
        "bearer  ",
        "garbage",
        "bearer garbage",
        "bearer null",
        "bearer bearer",
        reg_arena_sprintf(&f->arena, "bearer bearer %s", bare),
        reg_arena_sprintf(&f->arena, "basic %s", bare),
        reg_arena_sprintf(&f->arena, "bearer:%s", bare),
        reg_arena_sprintf(&f->arena, "bearer\t%s", bare),
        reg_arena_sprintf(&f->arena, "bearer%s", bare),
        reg_arena_sprintf(&f->arena, "%s ", token),
        reg_arena_sprintf(&f->arena, "%sx", token),
        reg_arena_sprintf(&f->arena, "%.*s", (int)strlen(token) - 1, token),
        reg_arena_sprintf(&f->arena, "\"%s\"", token),
    };

    for (int i = 0; i < NELEMS(accepted); i++) {
        enum reg_status st;
        memset(&caller, 0x5a, sizeof(caller));
        st = authorize(f, accepted[i], &caller);
        CHECK(&bad, st == REG_OK, "'%.60s': status %d (%s)", accepted[i], st, reg_error_detail());
        if (st == REG_OK)
            CHECK(&bad,
                  strcmp(caller.name, ADMIN) == 0 && caller.is_admin &&
                      caller.perms == REG_PERM_ALL,
                  "'%.60s': caller %s, admin %d, perms %u", accepted[i], caller.name,
                  caller.is_admin, caller.perms);
    }
    for (int i = 0; i < NELEMS(refused); i++) {
        enum reg_status st = authorize(f, refused[i], &caller);
        CHECK(&bad, st == REG_EAUTH, "'%.60s': status %d, want REG_EAUTH", refused[i], st);
        CHECK(&bad, caller.name == NULL && !caller.is_admin && caller.perms == 0,
              "'%.60s': a refused caller has fields set", refused[i]);
    }
    /* Missing header. */
    CHECK(&bad, authorize(f, NULL, &caller) == REG_EAUTH, "NULL header accepted");
    CHECK(&bad, strstr(reg_error_detail(), "X-Authorization") != NULL, "detail: %s",
          reg_error_detail());
    assert_int_equal(bad, 0);
}

static void
test_authorize_forged_and_expired(void **state)
{
    struct fixture *f = *state;
    struct reg_token_claims claims;
    unsigned char other[REG_SECRET_BYTES];
    const char *token;

    /* A well-formed token for the admin, signed with another secret. */
    memset(other, 0x42, sizeof(other));
    assert_int_equal(reg_token_new_id(&claims), REG_OK);
    claims.expires_at = (int64_t)time(NULL) + 3600;
    snprintf(claims.user, sizeof(claims.user), "%s", ADMIN);
    token = reg_token_sign(&f->arena, other, &claims);
    assert_int_equal(authorize(f, token, NULL), REG_EAUTH);
    /* Signed with the right secret but never issued (no row in the store): revoked. */
    token = reg_token_sign(&f->arena, f->users.secret, &claims);
    assert_int_equal(authorize(f, token, NULL), REG_EAUTH);
    assert_non_null(strstr(reg_error_detail(), "revoked"));
    /* Signed and stored, but for a user who does not exist. */
    assert_int_equal(reg_token_new_id(&claims), REG_OK);
    assert_int_equal(reg_store_token_insert(f->store, claims.id, ADMIN), REG_OK);
    snprintf(claims.user, sizeof(claims.user), "%s", "ghost");
    assert_int_equal(authorize(f, reg_token_sign(&f->arena, f->users.secret, &claims), NULL),
                     REG_EAUTH);

    /* A TTL of 0: expired as soon as issued. */
    f->users.token_ttl_seconds = 0;
    token = login(f, ADMIN, ADMIN_PASSWORD);
    assert_int_equal(authorize(f, token, NULL), REG_EAUTH);
    assert_non_null(strstr(reg_error_detail(), "expired"));
    f->users.token_ttl_seconds = 3600;
    assert_int_equal(authorize(f, login(f, ADMIN, ADMIN_PASSWORD), NULL), REG_OK);
}

static void
test_use_counting(void **state)
{
    struct fixture *f = *state;
    const char *token, *token2, *forged;
    int bad = 0;

    f->users.token_max_uses = 5;
    token = login(f, ADMIN, ADMIN_PASSWORD);
    /* Refused attempts with this token's id but a bad signature spend nothing. */
    forged = reg_arena_sprintf(&f->arena, "%.*s%c", (int)strlen(token) - 1, token,
                               token[strlen(token) - 1] == '0' ? '1' : '0');
    for (int i = 0; i < 10; i++)
        assert_int_equal(authorize(f, forged, NULL), REG_EAUTH);
    for (int i = 1; i <= 5; i++)
        CHECK(&bad, authorize(f, token, NULL) == REG_OK, "use %d refused: %s", i,
              reg_error_detail());
    assert_int_equal(bad, 0);
    assert_int_equal(authorize(f, token, NULL), REG_EAUTH);
    assert_non_null(strstr(reg_error_detail(), "limit"));
    assert_int_equal(authorize(f, token + 7, NULL), REG_EAUTH);
    /* A new login has uses of its own. */
    token2 = login(f, ADMIN, ADMIN_PASSWORD);
    for (int i = 1; i <= 5; i++)
        CHECK(&bad, authorize(f, token2, NULL) == REG_OK, "new token, use %d refused", i);
    assert_int_equal(authorize(f, token2, NULL), REG_EAUTH);
    assert_int_equal(bad, 0);
    /* The limit is read at each use: raising it revives an exhausted token up to the new one. */
    f->users.token_max_uses = 6;
    assert_int_equal(authorize(f, token, NULL), REG_OK);
    assert_int_equal(authorize(f, token, NULL), REG_EAUTH);
    /* A limit of 1. */
    f->users.token_max_uses = 1;
    token = login(f, ADMIN, ADMIN_PASSWORD);
    assert_int_equal(authorize(f, token, NULL), REG_OK);
    assert_int_equal(authorize(f, token, NULL), REG_EAUTH);
}

/* A token issued without a password (the download workload's): valid for its user, for at
 * most the configured lifetime, with uses of its own. */
static void
test_issue_token(void **state)
{
    struct fixture *f = *state;
    struct reg_token_claims claims;
    struct reg_caller caller;
    const char *mine, *issued, *other;
    int64_t now = (int64_t)time(NULL);

    f->users.token_max_uses = 2;
    mine = login(f, ADMIN, ADMIN_PASSWORD);
    assert_int_equal(reg_users_issue_token(&f->users, &f->arena, ADMIN, 60, &issued), REG_OK);
    assert_true(strncmp(issued, "bearer ", 7) == 0);
    assert_int_equal(reg_token_verify(f->users.secret, issued + 7, now, &claims), REG_OK);
    assert_string_equal(claims.user, ADMIN);
    assert_true(claims.expires_at >= now + 60 && claims.expires_at <= now + 61);
    assert_int_equal(authorize(f, issued, &caller), REG_OK);
    assert_string_equal(caller.name, ADMIN);
    assert_true(caller.is_admin);
    assert_int_equal(authorize(f, issued, NULL), REG_OK);
    assert_int_equal(authorize(f, issued, NULL), REG_EAUTH); /* its own two uses are spent */
    assert_int_equal(authorize(f, mine, NULL), REG_OK);      /* the login's are not */
    assert_int_equal(authorize(f, mine, NULL), REG_OK);
    /* 0, or more than the configured lifetime, is the configured lifetime. */
    f->users.token_ttl_seconds = 100;
    assert_int_equal(reg_users_issue_token(&f->users, &f->arena, ADMIN, 0, &other), REG_OK);
    assert_int_equal(reg_token_verify(f->users.secret, other + 7, now, &claims), REG_OK);
    assert_true(claims.expires_at >= now + 100 && claims.expires_at <= now + 101);
    assert_int_equal(reg_users_issue_token(&f->users, &f->arena, ADMIN, 1000, &other), REG_OK);
    assert_int_equal(reg_token_verify(f->users.secret, other + 7, now, &claims), REG_OK);
    assert_true(claims.expires_at <= now + 101);
}

/* reg_users_check accepts what reg_users_authorize would, spending nothing. */
static void
test_check_spends_nothing(void **state)
{
    struct fixture *f = *state;
    struct reg_caller caller;
    const char *token, *alice;

    f->users.token_max_uses = 2;
    token = login(f, ADMIN, ADMIN_PASSWORD);
    for (int i = 0; i < 10; i++)
        assert_int_equal(reg_users_check(&f->users, &f->arena, token, &caller), REG_OK);
    assert_string_equal(caller.name, ADMIN);
    assert_int_equal(caller.perms, REG_PERM_ALL);
    assert_int_equal(authorize(f, token, NULL), REG_OK);
    assert_int_equal(reg_users_check(&f->users, &f->arena, token, &caller), REG_OK);
    assert_int_equal(authorize(f, token, NULL), REG_OK);
    /* Used up: the check refuses it as the next use would be. */
    assert_int_equal(reg_users_check(&f->users, &f->arena, token, &caller), REG_EAUTH);
    assert_non_null(strstr(reg_error_detail(), "limit"));
    assert_int_equal(reg_users_check(&f->users, &f->arena, NULL, &caller), REG_EAUTH);
    assert_int_equal(reg_users_check(&f->users, &f->arena, "bearer x.y.z", &caller), REG_EAUTH);
    /* A deleted user's token is refused. */
    f->users.token_max_uses = 100;
    create(f, "alice", "alice's password", REG_PERM_SEARCH);
    alice = login(f, "alice", "alice's password");
    assert_int_equal(reg_users_check(&f->users, &f->arena, alice, &caller), REG_OK);
    assert_int_equal(caller.perms, REG_PERM_SEARCH);
    assert_int_equal(reg_users_delete(&f->users, "alice"), REG_OK);
    assert_int_equal(reg_users_check(&f->users, &f->arena, alice, &caller), REG_EAUTH);
}

static void
test_delete_revokes(void **state)
{
    struct fixture *f = *state;
    const char *alice, *bob, *alice2;
    struct reg_caller caller;

    create(f, "alice", "alice's password", REG_PERM_SEARCH);
    create(f, "bob", "bob's password", REG_PERM_SEARCH | REG_PERM_DOWNLOAD);
    alice = login(f, "alice", "alice's password");
    alice2 = login(f, "alice", "alice's password");
    bob = login(f, "bob", "bob's password");
    assert_int_equal(authorize(f, alice, &caller), REG_OK);
    assert_string_equal(caller.name, "alice");
    assert_false(caller.is_admin);
    assert_int_equal(caller.perms, REG_PERM_SEARCH);

    assert_int_equal(reg_users_delete(&f->users, "alice"), REG_OK);
    /* Every token of hers is revoked; bob's is not. */
    assert_int_equal(authorize(f, alice, NULL), REG_EAUTH);
    assert_int_equal(authorize(f, alice2, NULL), REG_EAUTH);
    assert_int_equal(authorize(f, bob, &caller), REG_OK);
    assert_string_equal(caller.name, "bob");
    assert_int_equal(reg_users_login(&f->users, &f->arena, "alice", "alice's password", &alice2),
                     REG_EDENIED);
    /* A new user of the same name does not inherit the old tokens. */
    create(f, "alice", "alice's password", REG_PERM_ALL);
    assert_int_equal(authorize(f, alice, NULL), REG_EAUTH);
    assert_int_equal(authorize(f, login(f, "alice", "alice's password"), &caller), REG_OK);
    assert_true(caller.is_admin);
    /* Deleting twice, or someone unknown. */
    assert_int_equal(reg_users_delete(&f->users, "bob"), REG_OK);
    assert_int_equal(reg_users_delete(&f->users, "bob"), REG_ENOTFOUND);
    assert_int_equal(reg_users_delete(&f->users, "nobody"), REG_ENOTFOUND);
}

static void
test_create_get_list(void **state)
{
    struct fixture *f = *state;
    struct reg_user u, *all;
    int n, bad = 0;
    static const struct {
        const char *name;
        unsigned perms, want;
    } users[] = {
        {"none", 0, 0},
        {"uploader", REG_PERM_UPLOAD, REG_PERM_UPLOAD},
        {"reader", REG_PERM_SEARCH | REG_PERM_DOWNLOAD, REG_PERM_SEARCH | REG_PERM_DOWNLOAD},
        /* Admin implies every permission. */
        {"boss", REG_PERM_ADMIN, REG_PERM_ALL},
        {"boss2", REG_PERM_ADMIN | REG_PERM_UPLOAD, REG_PERM_ALL},
        {"dotted.name with space", REG_PERM_SEARCH, REG_PERM_SEARCH},
        {"\xc3\xa9l\xc3\xa8ve 'q' \"d\" `b`", REG_PERM_SEARCH, REG_PERM_SEARCH},
    };

    for (int i = 0; i < NELEMS(users); i++) {
        memset(&u, 0, sizeof(u));
        u.password = "sentinel";
        assert_int_equal(reg_users_create(&f->users, users[i].name, "password", users[i].perms, &u),
                         REG_OK);
        CHECK(&bad,
              strcmp(u.name, users[i].name) == 0 && u.perms == users[i].want &&
                  u.is_admin == ((users[i].want & REG_PERM_ADMIN) != 0) && !u.password,
              "create %s: perms %u (want %u), admin %d, password %s", users[i].name, u.perms,
              users[i].want, u.is_admin, u.password ? u.password : "(null)");
        assert_int_equal(reg_users_get(&f->users, &f->arena, users[i].name, &u), REG_OK);
        CHECK(&bad,
              strcmp(u.name, users[i].name) == 0 && u.perms == users[i].want &&
                  u.is_admin == ((users[i].want & REG_PERM_ADMIN) != 0),
              "get %s: perms %u (want %u)", users[i].name, u.perms, users[i].want);
        CHECK(&bad, u.password && reg_password_verify("password", u.password),
              "get %s: the stored record does not verify", users[i].name);
        /* And each can log in. */
        CHECK(&bad, authorize(f, login(f, users[i].name, "password"), NULL) == REG_OK,
              "%s cannot use a token", users[i].name);
    }
    assert_int_equal(bad, 0);

    /* The list holds the admin and every user, once each. */
    assert_int_equal(reg_users_list(&f->users, &f->arena, &all, &n), REG_OK);
    assert_int_equal(n, NELEMS(users) + 1);
    for (int i = 0; i < NELEMS(users); i++) {
        int seen = 0;
        for (int j = 0; j < n; j++)
            if (strcmp(all[j].name, users[i].name) == 0) {
                seen++;
                CHECK(&bad, all[j].perms == users[i].want, "list %s: perms %u", all[j].name,
                      all[j].perms);
            }
        CHECK(&bad, seen == 1, "list: %s seen %d times", users[i].name, seen);
    }
    assert_int_equal(bad, 0);

    /* A name taken: REG_ECONFLICT, the first user untouched. */
    assert_int_equal(reg_users_create(&f->users, "reader", "other password", REG_PERM_ALL, &u),
                     REG_ECONFLICT);
    assert_int_equal(reg_users_create(&f->users, ADMIN, "other password", REG_PERM_ALL, &u),
                     REG_ECONFLICT);
    assert_int_equal(reg_users_get(&f->users, &f->arena, "reader", &u), REG_OK);
    assert_int_equal(u.perms, REG_PERM_SEARCH | REG_PERM_DOWNLOAD);
    assert_true(reg_password_verify("password", u.password));
    assert_int_equal(reg_users_get(&f->users, &f->arena, "Reader", &u), REG_ENOTFOUND);
    assert_int_equal(reg_users_get(&f->users, &f->arena, "nobody", &u), REG_ENOTFOUND);
    assert_int_equal(user_count(f), NELEMS(users) + 1);
}

static void
test_list_many(void **state)
{
    struct fixture *f = *state;
    struct reg_user *all;
    int n;
    bool seen[40] = {false};

    /* More than the store's first allocation (16 rows). */
    for (int i = 0; i < 40; i++)
        create(f, reg_arena_sprintf(&f->arena, "user-%02d", i), "password", REG_PERM_SEARCH);
    assert_int_equal(reg_users_list(&f->users, &f->arena, &all, &n), REG_OK);
    assert_int_equal(n, 41);
    for (int j = 0; j < n; j++) {
        int i;
        if (strcmp(all[j].name, ADMIN) == 0)
            continue;
        assert_int_equal(sscanf(all[j].name, "user-%d", &i), 1);
        assert_in_range(i, 0, 39);
        assert_false(seen[i]);
        seen[i] = true;
        assert_int_equal(all[j].perms, REG_PERM_SEARCH);
    }
}

static void
test_create_invalid(void **state)
{
    struct fixture *f = *state;
    struct reg_user u;
    char long_name[REG_NAME_MAX + 2], long_pw[REG_PASSWORD_MAX + 2];
    int bad = 0;
    const char *bad_names[] = {"",     "*",    "tab\there", "new\nline",
                               "\x7f", "\xc3", "\xff\xfe",  long_name};
    /* Too short (fewer than 8 characters, however many bytes), not UTF-8, or too long. */
    const char *bad_passwords[] = {"",
                                   "1234567",
                                   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
                                   "\xc3",
                                   "\xff",
                                   "a\xc0\xaf",
                                   "12345678\xc3",
                                   long_pw};

    memset(long_name, 'n', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    memset(long_pw, 'p', sizeof(long_pw) - 1);
    long_pw[sizeof(long_pw) - 1] = '\0';
    for (int i = 0; i < NELEMS(bad_names); i++)
        CHECK(&bad, reg_users_create(&f->users, bad_names[i], "password", 0, &u) == REG_EINVAL,
              "name %d accepted", i);
    for (int i = 0; i < NELEMS(bad_passwords); i++)
        CHECK(&bad, reg_users_create(&f->users, "someone", bad_passwords[i], 0, &u) == REG_EINVAL,
              "password %d accepted", i);
    assert_int_equal(bad, 0);
    assert_int_equal(user_count(f), 1);
    /* The longest name and password are fine. */
    long_name[REG_NAME_MAX] = '\0';
    long_pw[REG_PASSWORD_MAX] = '\0';
    assert_int_equal(reg_users_create(&f->users, long_name, long_pw, REG_PERM_SEARCH, &u), REG_OK);
    assert_int_equal(authorize(f, login(f, long_name, long_pw), NULL), REG_OK);
    assert_int_equal(reg_users_check_name("ok name"), REG_OK);
    assert_int_equal(reg_users_check_password("ok"), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "at least 8 characters"));
    /* Eight characters are enough, whatever their bytes. */
    assert_int_equal(reg_users_check_password("12345678"), REG_OK);
    assert_int_equal(
        reg_users_check_password("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xe5\xaf\x86\xe7\xa0\x81"
                                 "\xf0\x9f\x94\x91 "),
        REG_OK);
}

static void
test_set_perms(void **state)
{
    struct fixture *f = *state;
    struct reg_user u;
    struct reg_caller caller;
    const char *token;

    create(f, "alice", "password", REG_PERM_SEARCH);
    token = login(f, "alice", "password");
    assert_int_equal(
        reg_users_set_perms(&f->users, &f->arena, "alice", REG_PERM_UPLOAD | REG_PERM_DOWNLOAD, &u),
        REG_OK);
    assert_string_equal(u.name, "alice");
    assert_int_equal(u.perms, REG_PERM_UPLOAD | REG_PERM_DOWNLOAD);
    assert_false(u.is_admin);
    assert_int_equal(reg_users_get(&f->users, &f->arena, "alice", &u), REG_OK);
    assert_int_equal(u.perms, REG_PERM_UPLOAD | REG_PERM_DOWNLOAD);
    /* The next request of an existing token sees the new permissions. */
    assert_int_equal(authorize(f, token, &caller), REG_OK);
    assert_int_equal(caller.perms, REG_PERM_UPLOAD | REG_PERM_DOWNLOAD);
    /* Promotion: admin implies all; and back. */
    assert_int_equal(reg_users_set_perms(&f->users, &f->arena, "alice", REG_PERM_ADMIN, &u),
                     REG_OK);
    assert_true(u.is_admin);
    assert_int_equal(u.perms, REG_PERM_ALL);
    assert_int_equal(authorize(f, token, &caller), REG_OK);
    assert_true(caller.is_admin);
    assert_int_equal(reg_users_set_perms(&f->users, &f->arena, "alice", 0, &u), REG_OK);
    assert_false(u.is_admin);
    assert_int_equal(u.perms, 0);
    assert_int_equal(authorize(f, token, &caller), REG_OK);
    assert_int_equal(caller.perms, 0);
    assert_false(caller.is_admin);
    /* The password is untouched. */
    login(f, "alice", "password");
    assert_int_equal(reg_users_set_perms(&f->users, &f->arena, "nobody", REG_PERM_SEARCH, &u),
                     REG_ENOTFOUND);
}

static void
test_last_admin(void **state)
{
    struct fixture *f = *state;
    struct reg_user u;

    /* The default admin alone can be neither deleted nor demoted. */
    assert_int_equal(reg_users_delete(&f->users, ADMIN), REG_ECONFLICT);
    assert_int_equal(reg_users_set_perms(&f->users, &f->arena, ADMIN, REG_PERM_SEARCH, &u),
                     REG_ECONFLICT);
    assert_int_equal(reg_users_set_perms(&f->users, &f->arena, ADMIN, 0, &u), REG_ECONFLICT);
    assert_int_equal(reg_users_get(&f->users, &f->arena, ADMIN, &u), REG_OK);
    assert_true(u.is_admin);
    assert_int_equal(u.perms, REG_PERM_ALL);
    /* Keeping admin is fine. */
    assert_int_equal(reg_users_set_perms(&f->users, &f->arena, ADMIN, REG_PERM_ADMIN, &u), REG_OK);
    /* Non-admins do not count. */
    create(f, "user", "password", REG_PERM_ALL & ~REG_PERM_ADMIN);
    assert_int_equal(reg_users_delete(&f->users, ADMIN), REG_ECONFLICT);
    /* With a second admin, either may go, but not both. */
    create(f, "root2", "password", REG_PERM_ADMIN);
    assert_int_equal(reg_users_set_perms(&f->users, &f->arena, ADMIN, REG_PERM_SEARCH, &u), REG_OK);
    assert_false(u.is_admin);
    assert_int_equal(reg_users_delete(&f->users, "root2"), REG_ECONFLICT);
    assert_int_equal(reg_users_set_perms(&f->users, &f->arena, "root2", 0, &u), REG_ECONFLICT);
    assert_int_equal(reg_users_set_perms(&f->users, &f->arena, ADMIN, REG_PERM_ADMIN, &u), REG_OK);
    assert_int_equal(reg_users_delete(&f->users, ADMIN), REG_OK);
    assert_int_equal(reg_users_delete(&f->users, "root2"), REG_ECONFLICT);
    assert_int_equal(reg_users_delete(&f->users, "user"), REG_OK);
    assert_int_equal(user_count(f), 1);
    /* ensure_admin brings the default admin back. */
    assert_int_equal(reg_users_ensure_admin(&f->users), REG_OK);
    assert_int_equal(user_count(f), 2);
}

static struct json_object *
parse(struct fixture *f, const char *text)
{
    struct json_object *v = NULL;

    assert_int_equal(reg_json_parse(&f->arena, text, strlen(text), &v), REG_OK);
    return v;
}

static void
test_perms_parse(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *json;
        enum reg_status st;
        unsigned want;
    } cases[] = {
        {"[]", REG_OK, 0},
        {"[\"upload\"]", REG_OK, REG_PERM_UPLOAD},
        {"[\"search\"]", REG_OK, REG_PERM_SEARCH},
        {"[\"download\"]", REG_OK, REG_PERM_DOWNLOAD},
        {"[\"admin\"]", REG_OK, REG_PERM_ADMIN},
        {"[\"upload\",\"search\",\"download\"]", REG_OK,
         REG_PERM_UPLOAD | REG_PERM_SEARCH | REG_PERM_DOWNLOAD},
        {"[\"download\",\"upload\",\"download\"]", REG_OK, REG_PERM_UPLOAD | REG_PERM_DOWNLOAD},
        {"[\"admin\",\"upload\",\"search\",\"download\"]", REG_OK, REG_PERM_ALL},
        {"[\"Upload\"]", REG_EINVAL, 0},
        {"[\"root\"]", REG_EINVAL, 0},
        {"[\"\"]", REG_EINVAL, 0},
        {"[\"upload \"]", REG_EINVAL, 0},
        {"[\"upload\",\"nope\"]", REG_EINVAL, 0},
        {"[1]", REG_EINVAL, 0},
        {"[true]", REG_EINVAL, 0},
        {"[null]", REG_EINVAL, 0},
        {"[{}]", REG_EINVAL, 0},
        {"[[\"upload\"]]", REG_EINVAL, 0},
    };
    int bad = 0;

    for (int i = 0; i < NELEMS(cases); i++) {
        unsigned got = 12345;
        enum reg_status st = reg_perms_parse(parse(f, cases[i].json), &got);
        CHECK(&bad, st == cases[i].st && (st != REG_OK || got == cases[i].want),
              "%s: status %d perms %u, want %d %u", cases[i].json, st, got, cases[i].st,
              cases[i].want);
    }
    assert_int_equal(bad, 0);
    assert_string_equal(reg_perms_name(REG_PERM_ADMIN), "admin");
    assert_string_equal(reg_perms_name(REG_PERM_UPLOAD | REG_PERM_SEARCH), "upload");
    assert_string_equal(reg_perms_name(REG_PERM_DOWNLOAD), "download");
    assert_string_equal(reg_perms_name(0), "none");
}

static void
test_user_json(void **state)
{
    struct fixture *f = *state;
    struct reg_user u;
    struct json_object *obj, *v;

    assert_int_equal(reg_users_get(&f->users, &f->arena, ADMIN, &u), REG_OK);
    obj = reg_arena_own_json(&f->arena, reg_user_json(&u));
    assert_true(json_object_object_get_ex(obj, "name", &v));
    assert_string_equal(json_object_get_string(v), ADMIN);
    assert_true(json_object_object_get_ex(obj, "is_admin", &v));
    assert_true(json_object_get_boolean(v));
    assert_true(json_object_object_get_ex(obj, "permissions", &v));
    assert_int_equal(json_object_array_length(v), 4);
    /* The password record is never rendered. */
    assert_null(strstr(json_object_to_json_string(obj), "pbkdf2"));
    assert_int_equal(json_object_object_length(obj), 3);
    /* The rendered list parses back to the same bits. */
    {
        unsigned perms;
        assert_int_equal(reg_perms_parse(v, &perms), REG_OK);
        assert_int_equal(perms, REG_PERM_ALL);
    }
}

/* Removes the store files of a data directory, its (empty) blob store and the directory. */
static void
remove_data_dir(const char *dir)
{
    static const char *const files[] = {"registry.db", "registry.db-wal", "registry.db-shm",
                                        "registry.db-journal"};
    char path[160];

    for (int i = 0; i < NELEMS(files); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/blobs", dir);
    rmdir(path);
    assert_int_equal(rmdir(dir), 0);
}

/* Through reg_app_new(): a file store in a temporary data directory, with its second (counter)
 * connection. Two apps on one directory, as two workers: the secret is the same, a token from
 * one works on the other, and its uses are counted in one place. */
static void
test_app_new_on_file(void **state)
{
    struct reg_config cfg;
    struct reg_app *app1 = NULL, *app2 = NULL;
    struct reg_arena a;
    struct reg_caller caller;
    char dir[] = "/tmp/reg-test-users-XXXXXX";
    const char *token;
    int bad = 0;

    (void)state;
    load_config(&cfg);
    assert_non_null(mkdtemp(dir));
    cfg.data_dir = dir;
    cfg.token_max_uses = 5;
    reg_arena_init(&a);
    assert_int_equal(reg_app_new(&cfg, NULL, &app1), REG_OK);
    assert_int_equal(reg_app_new(&cfg, NULL, &app2), REG_OK);
    assert_memory_equal(app1->users.secret, app2->users.secret, REG_SECRET_BYTES);
    /* The default admin exists once. */
    {
        struct reg_user *all;
        int n;
        assert_int_equal(reg_users_list(&app2->users, &a, &all, &n), REG_OK);
        assert_int_equal(n, 1);
        assert_string_equal(all[0].name, ADMIN);
    }
    assert_int_equal(reg_users_login(&app1->users, &a, ADMIN, ADMIN_PASSWORD, &token), REG_OK);
    for (int i = 0; i < 5; i++)
        CHECK(&bad,
              reg_users_authorize(i % 2 ? &app1->users : &app2->users, &a, token, &caller) ==
                  REG_OK,
              "use %d refused: %s", i + 1, reg_error_detail());
    assert_int_equal(bad, 0);
    assert_string_equal(caller.name, ADMIN);
    assert_int_equal(reg_users_authorize(&app1->users, &a, token, &caller), REG_EAUTH);
    assert_int_equal(reg_users_authorize(&app2->users, &a, token, &caller), REG_EAUTH);
    /* A user created through one app is seen (and revoked) through the other. */
    {
        struct reg_user u;
        assert_int_equal(reg_users_create(&app1->users, "alice", "password", REG_PERM_SEARCH, &u),
                         REG_OK);
        assert_int_equal(reg_users_login(&app2->users, &a, "alice", "password", &token), REG_OK);
        assert_int_equal(reg_users_authorize(&app1->users, &a, token, &caller), REG_OK);
        assert_int_equal(reg_users_delete(&app2->users, "alice"), REG_OK);
        assert_int_equal(reg_users_authorize(&app1->users, &a, token, &caller), REG_EAUTH);
    }
    reg_app_free(app1);
    reg_app_free(app2);
    /* A restart keeps the secret: a token issued before still verifies after. */
    assert_int_equal(reg_app_new(&cfg, NULL, &app1), REG_OK);
    cfg.token_max_uses = 100;
    assert_int_equal(reg_users_login(&app1->users, &a, ADMIN, ADMIN_PASSWORD, &token), REG_OK);
    reg_app_free(app1);
    assert_int_equal(reg_app_new(&cfg, NULL, &app1), REG_OK);
    assert_int_equal(reg_users_authorize(&app1->users, &a, token, &caller), REG_OK);
    reg_app_free(app1);

    reg_arena_cleanup(&a);
    remove_data_dir(dir);
}

/* What each of the two racing workers does to its admin. */
enum race_op { RACE_DELETE, RACE_DEMOTE };

/* Two workers at once, each removing a different one of the two admins (by deleting it or by
 * taking admin away): the last-admin rule must hold, so exactly one of them is refused. To make
 * both checks happen before either write (deterministically), the test holds the store's write
 * lock while the two workers start: their reads go through (WAL), their writes wait for the
 * lock, which the test releases after 500 ms. Any writer holding the lock at that moment (a
 * token use, an upload) has the same effect in a running registry. */
static void
race_two_admins(enum race_op op0, enum race_op op1)
{
    struct reg_config cfg;
    struct reg_app *app;
    struct reg_user u, *all;
    struct reg_arena a;
    char dir[] = "/tmp/reg-test-admins-XXXXXX";
    char path[128], c;
    const char *victims[2] = {ADMIN, "root2"};
    const enum race_op ops[2] = {op0, op1};
    int ready[2], go[2], status[2], admins = 0, n;
    pid_t pids[2];
    sqlite3 *db;
    const struct timespec hold = {0, 500 * 1000 * 1000};

    load_config(&cfg);
    assert_non_null(mkdtemp(dir));
    cfg.data_dir = dir;
    reg_arena_init(&a);
    assert_int_equal(reg_app_new(&cfg, NULL, &app), REG_OK);
    assert_int_equal(reg_users_create(&app->users, "root2", "password", REG_PERM_ADMIN, &u),
                     REG_OK);
    reg_app_free(app);

    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    for (int p = 0; p < 2; p++) {
        pids[p] = fork();
        assert_true(pids[p] >= 0);
        if (pids[p] == 0) {
            struct reg_app *worker;
            enum reg_status st;
            if (!freopen("/dev/null", "w", stderr))
                _exit(250);
            close(ready[0]);
            close(go[1]);
            if (reg_app_new(&cfg, NULL, &worker) != REG_OK)
                _exit(251);
            if (write(ready[1], "x", 1) != 1)
                _exit(252);
            /* Starts when the parent closes the pipe. */
            if (read(go[0], &c, 1) != 0)
                _exit(253);
            if (ops[p] == RACE_DELETE)
                st = reg_users_delete(&worker->users, victims[p]);
            else
                st = reg_users_set_perms(&worker->users, &a, victims[p], REG_PERM_SEARCH, &u);
            _exit((int)st);
        }
    }
    close(ready[1]);
    close(go[0]);
    for (int p = 0; p < 2; p++)
        assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    snprintf(path, sizeof(path), "%s/registry.db", dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    close(go[1]);
    nanosleep(&hold, NULL);
    assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    for (int p = 0; p < 2; p++) {
        int ws;
        assert_int_equal(waitpid(pids[p], &ws, 0), pids[p]);
        assert_true(WIFEXITED(ws));
        status[p] = WEXITSTATUS(ws);
        assert_true(status[p] < 250);
    }

    /* Counted on the store itself: reg_app_new() would re-create the default admin. */
    {
        struct reg_store *store;
        assert_int_equal(reg_store_sqlite_open(path, &store), REG_OK);
        assert_int_equal(reg_store_user_list(store, &a, &all, &n), REG_OK);
        for (int i = 0; i < n; i++)
            admins += all[i].is_admin;
        reg_store_close(store);
    }
    reg_arena_cleanup(&a);
    remove_data_dir(dir);
    if (admins < 1 || (status[0] == REG_ECONFLICT) == (status[1] == REG_ECONFLICT))
        fail_msg("two workers at once, %s '%s' and %s '%s': statuses %d and %d (want one REG_OK "
                 "and one REG_ECONFLICT = %d), %d admin(s) left (want 1)",
                 op0 == RACE_DELETE ? "deleting" : "demoting", victims[0],
                 op1 == RACE_DELETE ? "deleting" : "demoting", victims[1], status[0], status[1],
                 REG_ECONFLICT, admins);
}

static void
test_last_admin_concurrent_delete(void **state)
{
    (void)state;
    race_two_admins(RACE_DELETE, RACE_DELETE);
}

static void
test_last_admin_concurrent_demote(void **state)
{
    (void)state;
    race_two_admins(RACE_DEMOTE, RACE_DELETE);
}

/* The default admin's status in the store of app: REG_OK if it exists, else REG_ENOTFOUND. */
static enum reg_status
admin_status(struct reg_app *app, struct reg_arena *a)
{
    struct reg_user u;

    return reg_users_get(&app->users, a, ADMIN, &u);
}

/* The default admin exists after the first start only: an admin who deleted it (keeping
 * another) does not get it back from a restart; DELETE /reset brings it back; a store left
 * without any admin (a first start or reset that died half-way) gets it at the next start. */
static void
test_default_admin_not_recreated(void **state)
{
    struct reg_config cfg;
    struct reg_app *app;
    struct reg_arena a;
    struct reg_user u;
    char dir[] = "/tmp/reg-test-bootstrap-XXXXXX";
    const char *token;

    (void)state;
    load_config(&cfg);
    assert_non_null(mkdtemp(dir));
    cfg.data_dir = dir;
    reg_arena_init(&a);
    assert_int_equal(reg_app_new(&cfg, NULL, &app), REG_OK);
    assert_true(app->users.first_start);
    assert_int_equal(admin_status(app, &a), REG_OK);
    assert_int_equal(reg_users_create(&app->users, "root2", "root2's password", REG_PERM_ADMIN, &u),
                     REG_OK);
    assert_int_equal(reg_users_delete(&app->users, ADMIN), REG_OK);
    reg_app_free(app);

    /* A restart (every worker, every respawn): still gone. */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(reg_app_new(&cfg, NULL, &app), REG_OK);
        assert_false(app->users.first_start);
        assert_int_equal(admin_status(app, &a), REG_ENOTFOUND);
        assert_int_equal(reg_users_login(&app->users, &a, ADMIN, ADMIN_PASSWORD, &token),
                         REG_EDENIED);
        assert_int_equal(reg_users_login(&app->users, &a, "root2", "root2's password", &token),
                         REG_OK);
        reg_app_free(app);
    }

    /* What DELETE /reset does: the default admin is back, root2 gone. */
    assert_int_equal(reg_app_new(&cfg, NULL, &app), REG_OK);
    assert_int_equal(reg_registry_reset(app->store), REG_OK);
    assert_int_equal(reg_users_ensure_admin(&app->users), REG_OK);
    assert_int_equal(admin_status(app, &a), REG_OK);
    assert_int_equal(reg_users_get(&app->users, &a, "root2", &u), REG_ENOTFOUND);
    /* A reset that stopped before re-creating the admin: the next start does it. */
    assert_int_equal(reg_registry_reset(app->store), REG_OK);
    assert_int_equal(reg_users_create(&app->users, "plain", "plain password", REG_PERM_SEARCH, &u),
                     REG_OK);
    reg_app_free(app);
    assert_int_equal(reg_app_new(&cfg, NULL, &app), REG_OK);
    assert_false(app->users.first_start);
    assert_int_equal(admin_status(app, &a), REG_OK);
    assert_int_equal(reg_users_login(&app->users, &a, ADMIN, ADMIN_PASSWORD, &token), REG_OK);
    reg_app_free(app);
    reg_arena_cleanup(&a);
    remove_data_dir(dir);
}

/* Several processes starting at once on a fresh store (the master, workers, another host):
 * exactly one of them is the first start, and the default admin exists once. */
static void
test_first_start_race(void **state)
{
    enum { PROCESSES = 6 };
    struct reg_config cfg;
    struct reg_app *app;
    struct reg_user *all;
    struct reg_arena a;
    char dir[] = "/tmp/reg-test-first-XXXXXX";
    int go[2], firsts = 0, n;
    pid_t pids[PROCESSES];
    char c;

    (void)state;
    load_config(&cfg);
    assert_non_null(mkdtemp(dir));
    cfg.data_dir = dir;
    assert_int_equal(pipe(go), 0);
    for (int p = 0; p < PROCESSES; p++) {
        pids[p] = fork();
        assert_true(pids[p] >= 0);
        if (pids[p] == 0) {
            struct reg_app *mine;
            close(go[1]);
            /* All start when the parent closes the pipe. */
            if (read(go[0], &c, 1) != 0)
                _exit(250);
            if (reg_app_new(&cfg, NULL, &mine) != REG_OK)
                _exit(251);
            _exit(mine->users.first_start ? 1 : 0);
        }
    }
    close(go[0]);
    close(go[1]);
    for (int p = 0; p < PROCESSES; p++) {
        int ws;
        assert_int_equal(waitpid(pids[p], &ws, 0), pids[p]);
        assert_true(WIFEXITED(ws));
        assert_in_range(WEXITSTATUS(ws), 0, 1);
        firsts += WEXITSTATUS(ws);
    }
    assert_int_equal(firsts, 1);
    reg_arena_init(&a);
    assert_int_equal(reg_app_new(&cfg, NULL, &app), REG_OK);
    assert_false(app->users.first_start);
    assert_int_equal(reg_users_list(&app->users, &a, &all, &n), REG_OK);
    assert_int_equal(n, 1);
    assert_string_equal(all[0].name, ADMIN);
    reg_app_free(app);
    reg_arena_cleanup(&a);
    remove_data_dir(dir);
}

/* Logins as the API sees them, with a backoff table: the sixth consecutive failure of a name
 * is refused without a password check, right password or not, known name or not; another name
 * is unaffected; a success starts the count over; a base of 0 turns refusals off. */
static void
test_login_backoff(void **state)
{
    struct fixture *f = *state;
    struct reg_backoff *table = calloc(1, sizeof(*table));
    const char *token;
    int bad = 0;

    assert_non_null(table);
    assert_int_equal(reg_backoff_init(table), REG_OK);
    f->users.backoff = table;
    f->users.login_backoff_ms = 60000;
    create(f, "alice", "alice's password", REG_PERM_SEARCH);
    create(f, "bob", "bob's password", REG_PERM_SEARCH);
    create(f, "carol", "carol's password", REG_PERM_SEARCH);

    for (const char *const *name = (const char *const[]){"alice", "nobody", NULL}; *name; name++) {
        for (int i = 0; i < REG_BACKOFF_FREE_FAILURES; i++)
            CHECK(&bad,
                  reg_users_login(&f->users, &f->arena, *name, "wrong guess", &token) ==
                      REG_EDENIED,
                  "%s: failure %d not denied", *name, i + 1);
        reg_error_clear();
        CHECK(&bad,
              reg_users_login(&f->users, &f->arena, *name, "wrong guess", &token) == REG_ETOOMANY,
              "%s: sixth failure not refused", *name);
        CHECK(&bad, reg_error_retry_after_seconds() >= 1 && reg_error_retry_after_seconds() <= 60,
              "%s: Retry-After %d", *name, reg_error_retry_after_seconds());
        CHECK(&bad, strstr(reg_error_detail(), "too many failed logins") != NULL, "%s: %s", *name,
              reg_error_detail());
    }
    assert_int_equal(bad, 0);
    assert_int_equal(reg_users_login(&f->users, &f->arena, "alice", "alice's password", &token),
                     REG_ETOOMANY);
    assert_null(token);
    login(f, "bob", "bob's password");

    /* Failures must be consecutive: a success in between starts over. */
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < REG_BACKOFF_FREE_FAILURES - 1; i++)
            assert_int_equal(reg_users_login(&f->users, &f->arena, "carol", "wrong guess", &token),
                             REG_EDENIED);
        login(f, "carol", "carol's password");
    }

    /* REGISTRY_LOGIN_BACKOFF_MS=0: nobody is refused. */
    f->users.login_backoff_ms = 0;
    login(f, "alice", "alice's password");
    f->users.backoff = NULL;
    free(table);
}

/* The minimum length is a rule for new passwords: an old record of a short one still logs in. */
static void
test_old_short_password_logs_in(void **state)
{
    struct fixture *f = *state;
    char record[REG_PASSWORD_RECORD_MAX];
    struct reg_user u = {.name = "old-timer", .perms = REG_PERM_SEARCH, .password = record};

    assert_int_equal(reg_password_hash("pw", 1000, record), REG_OK);
    assert_int_equal(reg_store_user_insert(f->store, &u), REG_OK);
    assert_int_equal(authorize(f, login(f, "old-timer", "pw"), NULL), REG_OK);
    assert_int_equal(reg_users_create(&f->users, "new-timer", "pw", REG_PERM_SEARCH, &u),
                     REG_EINVAL);
}

/* REGISTRY_ADMIN_PASSWORD becomes the default admin's password: the rules for new passwords
 * apply, and a registry with a short one does not start. */
static void
test_admin_password_rules(void **state)
{
    struct reg_config cfg;
    struct reg_store *store;
    struct reg_users users;

    (void)state;
    load_config(&cfg);
    cfg.admin_password = "short";
    assert_int_equal(reg_store_sqlite_open(":memory:", &store), REG_OK);
    assert_int_equal(reg_users_init(&users, store, &cfg), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "REGISTRY_ADMIN_PASSWORD"));
    assert_non_null(strstr(reg_error_detail(), "at least 8 characters"));
    reg_users_cleanup(&users);
    reg_store_close(store);
}

#define WITH_ADMIN(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define BARE(fn) cmocka_unit_test_setup_teardown(fn, setup_bare, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        WITH_ADMIN(test_config),
        BARE(test_ensure_admin),
        BARE(test_ensure_admin_other_password),
        WITH_ADMIN(test_login),
        WITH_ADMIN(test_authorize_forms),
        WITH_ADMIN(test_authorize_forged_and_expired),
        WITH_ADMIN(test_use_counting),
        WITH_ADMIN(test_issue_token),
        WITH_ADMIN(test_check_spends_nothing),
        WITH_ADMIN(test_delete_revokes),
        WITH_ADMIN(test_create_get_list),
        WITH_ADMIN(test_list_many),
        WITH_ADMIN(test_create_invalid),
        WITH_ADMIN(test_set_perms),
        WITH_ADMIN(test_last_admin),
        WITH_ADMIN(test_perms_parse),
        WITH_ADMIN(test_user_json),
        cmocka_unit_test(test_app_new_on_file),
        cmocka_unit_test(test_last_admin_concurrent_delete),
        cmocka_unit_test(test_last_admin_concurrent_demote),
        cmocka_unit_test(test_default_admin_not_recreated),
        cmocka_unit_test(test_first_start_race),
        WITH_ADMIN(test_login_backoff),
        WITH_ADMIN(test_old_short_password_logs_in),
        cmocka_unit_test(test_admin_password_rules),
    };

    return cmocka_run_group_tests_name("auth/users", tests, NULL, NULL);
}
