/*
 * test_store_sqlite_faults.c - the SQLite store (lib/store/store_sqlite.c, store.c) when SQLite
 * fails, through the fault shim (tests/unit/fault.h; sqlite3_* calls match on their SQL text or
 * file name, and fail with the SQLite result code given). Token use counts: each statement of
 * taking, taking the rest and giving back uses fails in turn: REG_ESTORE naming the step, and
 * the count exactly as before (no use lost or spent twice). Opening: the counter connection and
 * its statements, and the data directory: REG_ESTORE naming what failed, nothing leaked (ASan).
 */
#include "unit.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/user.h"
#include "base/config.h"
#include "fault.h"
#include "store/store.h"
#include "tmpdir_fixture.h"

#define USER "alice"
#define TOKEN "0123456789abcdef0123456789abcdef"
#define MAX_USES 10

struct ctx {
    char root[256], db[300];
    struct reg_store *store;
    int64_t spent; /* uses spent on TOKEN so far */
    int64_t want;  /* what the next take asks for */
};

/* The uses TOKEN has spent, read through the store: a take of every remaining use, given back
 * at once. */
static int64_t
uses_now(struct ctx *c)
{
    int64_t granted = 0, uses = 0;
    enum reg_status st =
        reg_store_token_take(c->store, USER, TOKEN, MAX_USES, MAX_USES, &granted, &uses);

    if (st == REG_EAUTH)
        return MAX_USES; /* exhausted */
    assert_int_equal(st, REG_OK);
    assert_int_equal(reg_store_token_give_back(c->store, USER, TOKEN, granted), REG_OK);
    return MAX_USES - granted;
}

static enum reg_status
op_take(void *p)
{
    struct ctx *c = p;
    int64_t granted = 0, uses = 0;
    enum reg_status st =
        reg_store_token_take(c->store, USER, TOKEN, MAX_USES, c->want, &granted, &uses);

    if (st == REG_OK) {
        assert_true(granted > 0 && granted <= c->want);
        c->spent += granted;
    }
    return st;
}

/* Gives back what the take that worked spent. */
static void
untake(void *p)
{
    struct ctx *c = p;

    assert_int_equal(reg_store_token_give_back(c->store, USER, TOKEN, c->spent - 7), REG_OK);
    c->spent = 7;
    assert_int_equal(uses_now(c), 7);
}

/* The count is what it was: 7 uses spent. */
static void
check_count(void *p)
{
    struct ctx *c = p;

    assert_int_equal(uses_now(c), 7);
}

static enum reg_status
op_give_back(void *p)
{
    struct ctx *c = p;
    enum reg_status st = reg_store_token_give_back(c->store, USER, TOKEN, 2);

    if (st == REG_OK)
        c->spent -= 2;
    return st;
}

/* Spends again the two uses a give back that worked returned. */
static void
retake(void *p)
{
    struct ctx *c = p;

    c->want = 2;
    assert_int_equal(op_take(c), REG_OK);
    assert_int_equal(uses_now(c), 7);
}

static void
test_token_count_faults(void **state)
{
    /* Only the first step of each statement fails: it is the one that runs the UPDATE ... 
     * RETURNING (later steps hand out its rows, and a failure there would not leave the changes
     * made by the first, as the shim would: SQLite rolls a statement back when it fails). */
    /* A take of 2 fits (7 + 2 <= 10): one UPDATE. */
    static const struct fault_case take = {
        "sqlite3_step", "uses + ?3",
        SQLITE_IOERR,   1,
        REG_ESTORE,     "store failure while counting a token use"};
    /* A take of 5 does not (7 + 5 > 10): the UPDATE changes nothing, then the count is read
     * and the rest (3) taken by compare-and-set. */
    static const struct fault_case rest[] = {
        {"sqlite3_step", "SELECT uses FROM tokens", SQLITE_IOERR, 1, REG_ESTORE,
         "store failure while counting a token use"},
        {"sqlite3_step", "uses = ?3 RETURNING", SQLITE_BUSY, 1, REG_ESTORE,
         "store failure while counting a token use"},
    };
    static const struct fault_case give = {
        "sqlite3_step", "MAX(0, uses - ?2)",
        SQLITE_IOERR,   1,
        REG_ESTORE,     "store failure while returning unspent token uses"};
    static const struct fault_op take_op = {op_take, untake, check_count};
    static const struct fault_op give_op = {op_give_back, retake, check_count};
    struct ctx *c = *state;
    struct reg_user u = {USER, false, REG_PERM_SEARCH, "pbkdf2-sha256$1$00$00"};

    assert_int_equal(reg_store_user_insert(c->store, &u), REG_OK);
    assert_int_equal(reg_store_token_insert(c->store, TOKEN, USER), REG_OK);
    c->want = 7;
    assert_int_equal(op_take(c), REG_OK);
    c->want = 2;
    fault_sweep(&take, &take_op, c);
    c->want = 5;
    for (int i = 0; i < NELEMS(rest); i++)
        fault_sweep(&rest[i], &take_op, c);
    fault_sweep(&give, &give_op, c);
    /* The count moves under every compare-and-set (another host spending uses each time): the
     * statement runs to SQLITE_DONE having matched no row, attempt after attempt. Simulated by
     * answering SQLITE_DONE without running it, so the connection's change count stays the
     * failed UPDATE's 0. */
    c->want = 5;
    fault_fail_mode("sqlite3_step", "uses = ?3 RETURNING", 1, SQLITE_DONE, FAULT_FROM);
    assert_int_equal(op_take(c), REG_ESTORE);
    assert_true(fault_calls() > 1);
    fault_off();
    assert_non_null(strstr(reg_error_detail(), "a token's count kept changing; try again"));
    check_count(c);
}

static enum reg_status
op_open(void *p)
{
    struct ctx *c = p;
    struct reg_store *s = NULL;
    enum reg_status st = reg_store_sqlite_open(c->db, &s);

    if (st == REG_OK)
        reg_store_close(s);
    else
        assert_null(s);
    return st;
}

/* Opening when the second connection (token counts) or its statements fail; the first
 * connection's failures are the store's own tests'. */
static void
test_open_faults(void **state)
{
    static const struct fault_case cases[] = {
        {"sqlite3_open_v2", "/registry.db", SQLITE_CANTOPEN, 2, REG_ESTORE,
         "cannot open the counter connection"},
        {"sqlite3_exec", "PRAGMA synchronous = NORMAL", SQLITE_IOERR, 1, REG_ESTORE,
         "cannot open the counter connection"},
        {"sqlite3_prepare_v3", "MAX(0, uses - ?2)", SQLITE_NOMEM, 0, REG_ESTORE,
         "cannot prepare the token counters"},
    };
    static const struct fault_op op = {op_open, NULL, NULL};
    struct ctx *c = *state;

    for (int i = 0; i < NELEMS(cases); i++)
        fault_sweep(&cases[i], &op, c);
    assert_int_equal(op_open(c), REG_OK);
}

/* reg_store_open's data directory cannot be made. */
static void
test_data_dir_fault(void **state)
{
    struct ctx *c = *state;
    struct reg_config cfg;
    struct reg_store *s = NULL;
    char dir[300];

    memset(&cfg, 0, sizeof(cfg));
    snprintf(dir, sizeof(dir), "%s/data", c->root);
    cfg.store = "sqlite";
    cfg.data_dir = dir;
    fault_fail("mkdir", "/data", 1, EACCES);
    assert_int_equal(reg_store_open(&cfg, &s), REG_ESTORE);
    assert_true(fault_fired());
    fault_off();
    assert_null(s);
    assert_non_null(strstr(reg_error_detail(), "cannot create"));
    assert_int_equal(reg_store_open(&cfg, &s), REG_OK);
    reg_store_close(s);
}

static int
setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));

    assert_non_null(c);
    tmpdir_make(c->root, sizeof(c->root), NULL, "sqlitefaults");
    snprintf(c->db, sizeof(c->db), "%s/registry.db", c->root);
    assert_int_equal(reg_store_sqlite_open(c->db, &c->store), REG_OK);
    *state = c;
    return 0;
}

static int
teardown(void **state)
{
    struct ctx *c = *state;

    reg_store_close(c->store);
    tmpdir_remove(c->root);
    free(c);
    return 0;
}

int
main(void)
{
#define TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
    const struct CMUnitTest tests[] = {
        TEST(test_token_count_faults),
        TEST(test_open_faults),
        TEST(test_data_dir_fault),
    };
#undef TEST

    return cmocka_run_group_tests_name("store/store_sqlite_faults", tests, NULL, NULL);
}
