/*
 * test_auth_faults.c - access control when randomness, PBKDF2 or the shared lock cannot be had
 * (lib/auth/backoff.c, password.c, token.c, users.c, lib/base/shm_mutex.c), through the fault
 * shim (tests/unit/fault.h): each answers REG_EINTERNAL naming what was missing, creates no
 * user and issues no token, and works again once the fault is gone.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */

#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "auth/backoff.h"
#include "auth/password.h"
#include "auth/users.h"
#include "base/arena.h"
#include "base/config.h"
#include "fault.h"
#include "store/store.h"

#define NAME "faultuser"
#define PASSWORD "correct horse battery"

struct fixture {
    struct reg_config config;
    struct reg_store *store;
    struct reg_users users;
    bool users_open;
    struct reg_arena arena;
    struct reg_backoff *backoff; /* in shared memory, as registryd maps it */
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

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    void *p = mmap(NULL, sizeof(struct reg_backoff), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    assert_non_null(f);
    assert_true(p != MAP_FAILED);
    f->backoff = p;
    reg_arena_init(&f->arena);
    load_config(&f->config);
    assert_int_equal(reg_store_sqlite_open(":memory:", &f->store), REG_OK);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    if (f->users_open)
        reg_users_cleanup(&f->users);
    reg_store_close(f->store);
    reg_arena_cleanup(&f->arena);
    munmap(f->backoff, sizeof(*f->backoff));
    free(f);
    return 0;
}

static enum reg_status
op_backoff_init(void *p)
{
    struct fixture *f = p;

    return reg_backoff_init(f->backoff);
}

/* The login backoff table without its random hash key or its process-shared lock. */
static void
test_backoff_faults(void **state)
{
    static const struct fault_case cases[] = {
        {"RAND_bytes", NULL, 0, 0, REG_EINTERNAL, "no randomness for the login backoff table"},
        {"pthread_mutex_init", NULL, EAGAIN, 0, REG_EINTERNAL, "login backoff lock"},
    };
    static const struct fault_op op = {op_backoff_init, NULL, NULL};
    struct fixture *f = *state;
    int64_t wait = -1;

    for (int i = 0; i < NELEMS(cases); i++)
        fault_sweep(&cases[i], &op, f);
    /* Initialised again, unarmed: the table works. */
    assert_int_equal(reg_backoff_init(f->backoff), REG_OK);
    assert_int_equal(reg_backoff_check(f->backoff, reg_backoff_key(f->backoff, NAME), 1000, &wait),
                     REG_OK);
    assert_int_equal(wait, 0);
}

static enum reg_status
op_hash(void *p)
{
    char *record = p;

    return reg_password_hash(PASSWORD, 1000, record);
}

/* A password record without salt or when PBKDF2 fails: no record. */
static void
test_password_faults(void **state)
{
    static const struct fault_case cases[] = {
        {"RAND_bytes", NULL, 0, 0, REG_EINTERNAL, "no randomness for a salt"},
        {"PKCS5_PBKDF2_HMAC", NULL, 0, 0, REG_EINTERNAL, "PBKDF2 failed"},
    };
    static const struct fault_op op = {op_hash, NULL, NULL};
    char record[REG_PASSWORD_RECORD_MAX];

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++)
        fault_sweep(&cases[i], &op, record);
    assert_int_equal(reg_password_hash(PASSWORD, 1000, record), REG_OK);
    assert_true(reg_password_verify(PASSWORD, record));
}

static enum reg_status
op_users_init(void *p)
{
    struct fixture *f = p;
    enum reg_status st = reg_users_init(&f->users, f->store, &f->config);

    if (st == REG_OK)
        reg_users_cleanup(&f->users);
    return st;
}

/* Opening access control without randomness for the token secret candidate. */
static void
test_users_init_faults(void **state)
{
    static const struct fault_case c = {
        "RAND_bytes", NULL, 0, 0, REG_EINTERNAL, "no randomness for the token secret"};
    static const struct fault_op op = {op_users_init, NULL, NULL};
    struct fixture *f = *state;

    fault_sweep(&c, &op, f);
    assert_int_equal(reg_users_init(&f->users, f->store, &f->config), REG_OK);
    f->users_open = true;
}

static enum reg_status
op_create(void *p)
{
    struct fixture *f = p;
    struct reg_user u;

    return reg_users_create(&f->users, NAME, PASSWORD, REG_PERM_SEARCH, &u);
}

static void
delete_user(void *p)
{
    struct fixture *f = p;

    assert_int_equal(reg_users_delete(&f->users, NAME), REG_OK);
}

/* After a failed create: the name is free. */
static void
check_no_user(void *p)
{
    struct fixture *f = p;
    struct reg_user u;

    assert_int_equal(reg_users_get(&f->users, &f->arena, NAME, &u), REG_ENOTFOUND);
}

static enum reg_status
op_login(void *p)
{
    struct fixture *f = p;
    const char *token = "unset";
    enum reg_status st = reg_users_login(&f->users, &f->arena, NAME, PASSWORD, &token);

    if (st == REG_OK) {
        struct reg_caller caller;
        assert_int_equal(reg_users_authorize(&f->users, &f->arena, token, &caller), REG_OK);
    } else {
        assert_null(token);
    }
    return st;
}

/* Creating a user without salt or PBKDF2, and logging in without a token id. */
static void
test_users_faults(void **state)
{
    static const struct fault_case create[] = {
        {"RAND_bytes", NULL, 0, 0, REG_EINTERNAL, "no randomness for a salt"},
        {"PKCS5_PBKDF2_HMAC", NULL, 0, 0, REG_EINTERNAL, "PBKDF2 failed"},
    };
    static const struct fault_case login = {
        "RAND_bytes", NULL, 0, 0, REG_EINTERNAL, "no randomness for a token id"};
    static const struct fault_op create_op = {op_create, delete_user, check_no_user};
    static const struct fault_op login_op = {op_login, NULL, NULL};
    struct fixture *f = *state;

    assert_int_equal(reg_users_init(&f->users, f->store, &f->config), REG_OK);
    f->users_open = true;
    assert_int_equal(reg_users_ensure_admin(&f->users), REG_OK);
    for (int i = 0; i < NELEMS(create); i++)
        fault_sweep(&create[i], &create_op, f);
    assert_int_equal(op_create(f), REG_OK);
    fault_sweep(&login, &login_op, f);
    assert_int_equal(op_login(f), REG_OK);
}

int
main(void)
{
#define TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
    const struct CMUnitTest tests[] = {
        TEST(test_backoff_faults),
        TEST(test_password_faults),
        TEST(test_users_init_faults),
        TEST(test_users_faults),
    };
#undef TEST

    return cmocka_run_group_tests_name("auth/auth_faults", tests, NULL, NULL);
}
