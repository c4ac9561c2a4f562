/*
 * test_status.c - the status table: every status has an HTTP code and a unique name, and the
 * per-thread error detail is recorded, bounded and cleared.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "base/limits.h"
#include "base/status.h"

struct status_case {
    enum reg_status st;
    int http;
    const char *name;
};

/* Written out by hand, not from REG_STATUS_TABLE, so a change to the table shows up here. */
static const struct status_case status_cases[] = {
    {REG_OK, 200, "ok"},
    {REG_EINVAL, 400, "bad_request"},
    {REG_EDENIED, 401, "not_permitted"},
    {REG_EAUTH, 403, "authentication_failed"},
    {REG_EFORBIDDEN, 403, "forbidden"},
    {REG_ENOTFOUND, 404, "not_found"},
    {REG_ENOROUTE, 404, "no_such_route"},
    {REG_EMETHOD, 405, "method_not_allowed"},
    {REG_ECONFLICT, 409, "conflict"},
    {REG_ETOOLARGE, 413, "too_large"},
    {REG_EDISQUALIFIED, 424, "disqualified"},
    {REG_ETOOMANY, 429, "too_many_requests"},
    {REG_ESTORE, 500, "store_error"},
    {REG_ENOMEM, 500, "out_of_memory"},
    {REG_EINTERNAL, 500, "internal_error"},
    {REG_ENOTIMPL, 501, "not_implemented"},
    {REG_EUPSTREAM, 502, "upstream_error"},
    {REG_EUNAVAILABLE, 503, "unavailable"},
    {REG_ENOSPACE, 507, "insufficient_storage"},
};
#define NCASES ((int)(sizeof(status_cases) / sizeof(status_cases[0])))

/* Every enumerator of the table, generated from it. */
static const enum reg_status all_statuses[] = {
#define AS_VALUE(name, http, text) name,
    REG_STATUS_TABLE(AS_VALUE)
#undef AS_VALUE
};
#define NALL ((int)(sizeof(all_statuses) / sizeof(all_statuses[0])))

static void
test_expected_mapping(void **state)
{
    (void)state;
    for (int i = 0; i < NCASES; i++) {
        const struct status_case *c = &status_cases[i];
        if (reg_status_http(c->st) != c->http || strcmp(reg_status_name(c->st), c->name) != 0)
            fail_msg("status %d: got %d %s, want %d %s", (int)c->st, reg_status_http(c->st),
                     reg_status_name(c->st), c->http, c->name);
    }
}

static void
test_table_is_covered(void **state)
{
    (void)state;
    /* The hand-written cases cover every enumerator, and the enumerators are 0..n-1. */
    assert_int_equal(NALL, NCASES);
    for (int i = 0; i < NALL; i++)
        assert_int_equal((int)all_statuses[i], i);
}

static void
test_every_status_maps(void **state)
{
    (void)state;
    for (int i = 0; i < NALL; i++) {
        int http = reg_status_http(all_statuses[i]);
        const char *name = reg_status_name(all_statuses[i]);
        assert_in_range(http, 200, 599);
        assert_non_null(name);
        assert_true(strlen(name) > 0);
        assert_int_equal(strspn(name, "abcdefghijklmnopqrstuvwxyz_"), strlen(name));
        /* Only REG_OK is a success. */
        if (all_statuses[i] != REG_OK)
            assert_true(http >= 400);
        for (int j = 0; j < i; j++)
            if (strcmp(name, reg_status_name(all_statuses[j])) == 0)
                fail_msg("statuses %d and %d share the name %s", i, j, name);
    }
}

static void
test_unknown_status(void **state)
{
    enum reg_status bogus = (enum reg_status)NALL;

    (void)state;
    assert_int_equal(reg_status_http(bogus), 500);
    assert_string_equal(reg_status_name(bogus), "internal_error");
}

static void
test_errorf_records_detail(void **state)
{
    (void)state;
    reg_error_clear();
    assert_string_equal(reg_error_detail(), "");
    assert_int_equal(reg_errorf(REG_ENOTFOUND, "artifact %s", "123"), REG_ENOTFOUND);
    assert_string_equal(reg_error_detail(), "artifact 123");
    assert_int_equal(reg_errorf(REG_EINVAL, "field '%s' %d", "x", 7), REG_EINVAL);
    assert_string_equal(reg_error_detail(), "field 'x' 7");
    reg_error_clear();
    assert_string_equal(reg_error_detail(), "");
}

/* A detail may quote the one before it: "user name: {the name check's detail}". */
static void
test_errorf_quotes_the_current_detail(void **state)
{
    (void)state;
    reg_errorf(REG_EINVAL, "is not a name");
    reg_errorf(REG_EINVAL, "user name: %s", reg_error_detail());
    assert_string_equal(reg_error_detail(), "user name: is not a name");
    reg_errorf(REG_EINVAL, "query %d: %s", 3, reg_error_detail());
    assert_string_equal(reg_error_detail(), "query 3: user name: is not a name");
}

static void
test_errorf_truncates(void **state)
{
    char long_text[REG_ERROR_DETAIL_MAX * 2];

    (void)state;
    memset(long_text, 'x', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    assert_int_equal(reg_errorf(REG_EINVAL, "%s", long_text), REG_EINVAL);
    assert_int_equal(strlen(reg_error_detail()), REG_ERROR_DETAIL_MAX - 1);
    reg_error_clear();
}

static void
test_retry_after_recorded_and_cleared(void **state)
{
    (void)state;
    reg_error_clear();
    assert_int_equal(reg_error_retry_after_seconds(), 0);
    reg_error_retry_after(7);
    assert_int_equal(reg_errorf(REG_ETOOMANY, "wait"), REG_ETOOMANY);
    assert_int_equal(reg_error_retry_after_seconds(), 7);
    /* Nonsense is no Retry-After at all. */
    reg_error_retry_after(-3);
    assert_int_equal(reg_error_retry_after_seconds(), 0);
    reg_error_retry_after(2);
    reg_error_clear();
    assert_int_equal(reg_error_retry_after_seconds(), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expected_mapping),
        cmocka_unit_test(test_table_is_covered),
        cmocka_unit_test(test_every_status_maps),
        cmocka_unit_test(test_unknown_status),
        cmocka_unit_test(test_errorf_records_detail),
        cmocka_unit_test(test_errorf_quotes_the_current_detail),
        cmocka_unit_test(test_errorf_truncates),
        cmocka_unit_test(test_retry_after_recorded_and_cleared),
    };
    return cmocka_run_group_tests_name("base/status", tests, NULL, NULL);
}
