/*
 * test_semver.c - versions and ranges (lib/core/semver.c) against npm semver's definitions:
 * each range form is checked through the comparators it expands to (as npm's documentation
 * writes them) and through versions on both sides of every boundary; prerelease precedence
 * follows semver 2.0.0's own example list; malformed versions and ranges are refused with a
 * reason.
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "base/status.h"
#include "core/semver.h"

/* The comparators of a range, written as npm writes them (">=1.2.3 <1.3.0-0"). */
static void
render(const struct reg_semver_range *r, char *buf, size_t size)
{
    static const char *const ops[] = {"", ">=", ">", "<", "<="};
    char v[128];
    size_t used = 0;

    buf[0] = '\0';
    if (r->n == 0)
        snprintf(buf, size, "*");
    for (int i = 0; i < r->n; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s%s", i ? " " : "", ops[r->c[i].op],
                                 reg_semver_format(&r->c[i].v, v, sizeof(v)));
}

static void
test_expansions(void **state)
{
    static const struct {
        const char *range, *want;
    } cases[] = {
        /* exact, and npm's X-ranges for partial versions */
        {"1.2.3", "1.2.3"},
        {"=1.2.3", "1.2.3"},
        {"v1.2.3", "1.2.3"},
        {" 1.2.3 ", "1.2.3"},
        {"1.2.3-rc.1", "1.2.3-rc.1"},
        {"1.2.3+build.7", "1.2.3"},
        {"1.2", ">=1.2.0 <1.3.0-0"},
        {"1", ">=1.0.0 <2.0.0-0"},
        {"1.x", ">=1.0.0 <2.0.0-0"},
        {"1.2.*", ">=1.2.0 <1.3.0-0"},
        {"*", "*"},
        {"=1.0.0-2.0.0", "1.0.0-2.0.0"},
        /* bounded: npm's hyphen ranges, spaced and as the course writes them */
        {"1.2.3 - 2.3.4", ">=1.2.3 <=2.3.4"},
        {"1.2.3-2.1.0", ">=1.2.3 <=2.1.0"},
        {"v1.2.3-v2.1.0", ">=1.2.3 <=2.1.0"},
        {"1.2 - 2.3.4", ">=1.2.0 <=2.3.4"},
        {"1.2.3 - 2.3", ">=1.2.3 <2.4.0-0"},
        {"1.2.3 - 2", ">=1.2.3 <3.0.0-0"},
        {"1.2-2.3.4", ">=1.2.0 <=2.3.4"},
        {"1.2.3-alpha-2.0.0", ">=1.2.3-alpha <=2.0.0"},
        {"1.0.0-rc.1 - 2.0.0-beta", ">=1.0.0-rc.1 <=2.0.0-beta"},
        {"* - 2.0.0", "<=2.0.0"},
        {"1.2.3 - *", ">=1.2.3"},
        /* tilde */
        {"~1.2.3", ">=1.2.3 <1.3.0-0"},
        {"~1.2", ">=1.2.0 <1.3.0-0"},
        {"~1", ">=1.0.0 <2.0.0-0"},
        {"~0.2.3", ">=0.2.3 <0.3.0-0"},
        {"~0.2", ">=0.2.0 <0.3.0-0"},
        {"~0", ">=0.0.0 <1.0.0-0"},
        {"~1.2.3-beta.2", ">=1.2.3-beta.2 <1.3.0-0"},
        {"~ 1.2.0", ">=1.2.0 <1.3.0-0"},
        {"~v1.2.0", ">=1.2.0 <1.3.0-0"},
        /* caret */
        {"^1.2.3", ">=1.2.3 <2.0.0-0"},
        {"^0.2.3", ">=0.2.3 <0.3.0-0"},
        {"^0.0.3", ">=0.0.3 <0.0.4-0"},
        {"^1.2.3-beta.2", ">=1.2.3-beta.2 <2.0.0-0"},
        {"^0.0.3-beta", ">=0.0.3-beta <0.0.4-0"},
        {"^1.2.x", ">=1.2.0 <2.0.0-0"},
        {"^1.2", ">=1.2.0 <2.0.0-0"},
        {"^0.0.x", ">=0.0.0 <0.1.0-0"},
        {"^0.0", ">=0.0.0 <0.1.0-0"},
        {"^0.2", ">=0.2.0 <0.3.0-0"},
        {"^1.x", ">=1.0.0 <2.0.0-0"},
        {"^1", ">=1.0.0 <2.0.0-0"},
        {"^0.x", ">=0.0.0 <1.0.0-0"},
        {"^0", ">=0.0.0 <1.0.0-0"},
        {"^*", "*"},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_semver_range r;
        char got[512] = "";
        enum reg_status st = reg_semver_range_parse(cases[i].range, &r);

        if (st == REG_OK)
            render(&r, got, sizeof(got));
        CHECK(&bad, st == REG_OK && strcmp(got, cases[i].want) == 0,
              "'%s': got '%s' (%s), want '%s'", cases[i].range, got,
              st == REG_OK ? "ok" : reg_error_detail(), cases[i].want);
    }
    assert_int_equal(bad, 0);
}

static void
test_satisfies(void **state)
{
    static const struct {
        const char *range, *version;
        bool want;
    } cases[] = {
        /* exact */
        {"1.2.3", "1.2.3", true},
        {"1.2.3", "v1.2.3", true},
        {"1.2.3", "1.2.4", false},
        {"1.2.3", "1.2.3-rc.1", false},
        {"1.2.3", "1.2.3+build", true},
        {"1.2.3-rc.1", "1.2.3-rc.1", true},
        {"1.2.3-rc.1", "1.2.3", false},
        {"1", "v1", true}, /* the tag "v1" is 1.0.0 */
        {"1", "1.9.9", true},
        {"1", "2.0.0", false},
        {"1", "2.0.0-alpha", false},
        {"1.2", "1.2.0", true},
        {"1.2", "1.3.0", false},
        {"*", "0.0.0", true},
        {"*", "1.0.0-rc.1", false},
        /* bounded, inclusive at both ends */
        {"1.2.3-2.1.0", "1.2.2", false},
        {"1.2.3-2.1.0", "1.2.3", true},
        {"1.2.3-2.1.0", "1.9.0", true},
        {"1.2.3-2.1.0", "2.1.0", true},
        {"1.2.3-2.1.0", "2.1.1", false},
        {"1.2.3-2.1.0", "2.1.0-rc.1", false}, /* no prerelease on 2.1.0 in the range */
        {"1.2.3-2.1.0", "1.5.0-beta", false},
        {"1.2.3 - 2.3", "2.3.9", true},
        {"1.2.3 - 2.3", "2.4.0", false},
        {"1.2.3 - 2.3", "2.4.0-0", false},
        {"1.2.3-alpha-2.0.0", "1.2.3-beta", true},
        {"1.2.3-alpha-2.0.0", "1.2.3-0", false}, /* 0 < alpha */
        {"1.2.3-alpha-2.0.0", "1.2.4-beta", false},
        {"1.0.0-rc.1 - 2.0.0-beta", "2.0.0-alpha", true},
        {"1.0.0-rc.1 - 2.0.0-beta", "2.0.0-beta.1", false},
        /* tilde */
        {"~1.2.0", "1.2.0", true},
        {"~1.2.0", "1.2.99", true},
        {"~1.2.0", "1.3.0", false},
        {"~1.2.0", "1.1.9", false},
        {"~1.2.3", "1.2.2", false},
        {"~1.2.3", "1.3.0-0", false},
        {"~1", "1.99.0", true},
        {"~1", "2.0.0", false},
        {"~1.2.3-beta.2", "1.2.3-beta.4", true},
        {"~1.2.3-beta.2", "1.2.3-beta.1", false},
        {"~1.2.3-beta.2", "1.2.4-beta.2", false},
        {"~1.2.3-beta.2", "1.2.5", true},
        /* caret */
        {"^1.2.0", "1.2.0", true},
        {"^1.2.0", "1.99.99", true},
        {"^1.2.0", "2.0.0", false},
        {"^1.2.0", "2.0.0-rc.1", false},
        {"^1.2.0", "1.1.9", false},
        {"^0.2.3", "0.2.3", true},
        {"^0.2.3", "0.2.9", true},
        {"^0.2.3", "0.3.0", false},
        {"^0.0.3", "0.0.3", true},
        {"^0.0.3", "0.0.4", false},
        {"^0.0", "0.0.9", true},
        {"^0.0", "0.1.0", false},
        {"^0", "0.9.0", true},
        {"^0", "1.0.0", false},
        {"^1.2.3-beta.2", "1.2.3-beta.4", true},
        {"^1.2.3-beta.2", "1.2.4-beta.2", false},
        {"^1.2.3-beta.2", "1.5.0", true},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_semver_range r;
        struct reg_semver v;
        bool ok = reg_semver_range_parse(cases[i].range, &r) == REG_OK &&
                  reg_semver_parse(cases[i].version, &v) == REG_OK;

        CHECK(&bad, ok && reg_semver_satisfies(&r, &v) == cases[i].want, "'%s' on %s: want %s",
              cases[i].range, cases[i].version, cases[i].want ? "a match" : "no match");
    }
    assert_int_equal(bad, 0);
}

/* semver 2.0.0 item 11's example, in increasing order, plus numbers and builds. */
static void
test_precedence(void **state)
{
    static const char *const order[] = {
        "0.9.99",       "1.0.0-0",       "1.0.0-9",          "1.0.0-10",
        "1.0.0-alpha",  "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
        "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",       "1.0.0",
        "1.0.1",        "1.1.0",         "1.10.0",           "2.0.0",
        "10.0.0",
    };
    struct reg_semver a, b;
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(order); i++)
        for (int j = 0; j < NELEMS(order); j++) {
            int want = (i > j) - (i < j);
            assert_int_equal(reg_semver_parse(order[i], &a), REG_OK);
            assert_int_equal(reg_semver_parse(order[j], &b), REG_OK);
            CHECK(&bad, reg_semver_compare(&a, &b) == want, "%s vs %s: want %d", order[i], order[j],
                  want);
        }
    assert_int_equal(reg_semver_parse("1.0.0+build.1", &a), REG_OK);
    assert_int_equal(reg_semver_parse("1.0.0+build.2", &b), REG_OK);
    assert_int_equal(reg_semver_compare(&a, &b), 0);
    assert_int_equal(bad, 0);
}

static void
test_versions(void **state)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"1.2.3", "1.2.3"},
        {"v1.2.3", "1.2.3"},
        {"v1", "1.0.0"},
        {"2", "2.0.0"},
        {"v2.1", "2.1.0"},
        {"0.0.0", "0.0.0"},
        {"1.0.0-rc.1+build.5", "1.0.0-rc.1"},
        {"1.0.0-x-y.0.z", "1.0.0-x-y.0.z"},
        {"9007199254740991.0.0", "9007199254740991.0.0"},
    };
    char buf[128];
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_semver v;
        enum reg_status st = reg_semver_parse(cases[i].text, &v);

        CHECK(&bad,
              st == REG_OK && strcmp(reg_semver_format(&v, buf, sizeof(buf)), cases[i].want) == 0,
              "'%s': want %s", cases[i].text, cases[i].want);
    }
    assert_int_equal(bad, 0);
}

/* Not versions (git tags that are ignored at ingest), each with the reason given. */
static void
test_bad_versions(void **state)
{
    static const struct {
        const char *text, *why;
    } cases[] = {
        {"", "a version was expected"},
        {"v", "a version was expected"},
        {"main", "a number was expected"},
        {"release-1.0", "a number was expected"},
        {"V1.0.0", "a number was expected"},
        {"x", "a number was expected"},
        {"1.x", "a number was expected"},
        {"01.2.3", "leading zero"},
        {"1.02.3", "leading zero"},
        {"1.2.3.4", "MAJOR.MINOR.PATCH was expected"},
        {"1.2.", "a number was expected"},
        {"1..3", "a number was expected"},
        {"1-rc", "needs all of MAJOR.MINOR.PATCH"},
        {"1.2.3-", "empty identifier"},
        {"1.2.3-a..b", "empty identifier"},
        {"1.2.3-01", "leading zero"},
        {"1.2.3-a_b", "other than [0-9A-Za-z-]"},
        {"1.2.3+", "empty identifier"},
        {"1.2.3+a+b", "other than [0-9A-Za-z-]"},
        {"9007199254740992.0.0", "too large"},
        {"99999999999999999999.0.0", "too large"},
        {"1.2.3 ", "MAJOR.MINOR.PATCH was expected"},
        {"1.2.3-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "too long"},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_semver v;
        enum reg_status st = reg_semver_parse(cases[i].text, &v);

        CHECK(&bad, st == REG_EINVAL && strstr(reg_error_detail(), cases[i].why),
              "'%s': got %d '%s', want REG_EINVAL naming '%s'", cases[i].text, st,
              reg_error_detail(), cases[i].why);
    }
    assert_int_equal(reg_semver_parse(NULL, &(struct reg_semver){0}), REG_EINVAL);
    {
        char longer[REG_SEMVER_TEXT_MAX + 8];
        memset(longer, '1', sizeof(longer) - 1);
        longer[sizeof(longer) - 1] = '\0';
        assert_int_equal(reg_semver_parse(longer, &(struct reg_semver){0}), REG_EINVAL);
        assert_non_null(strstr(reg_error_detail(), "a version is at most"));
    }
    assert_int_equal(bad, 0);
}

static void
test_bad_ranges(void **state)
{
    static const struct {
        const char *text, *why;
    } cases[] = {
        {"", "it is empty"},
        {"   ", "it is empty"},
        {"~", "a version was expected"},
        {"^", "a version was expected"},
        {"=", "a version was expected"},
        {">=1.2.3", "comparison operators"},
        {"<2", "comparison operators"},
        {"1.2.3 || 2.0.0", "comparison operators and unions"},
        {"abc", "a number was expected"},
        {"~1.2.3.4", "MAJOR.MINOR.PATCH was expected"},
        {"^01.2.3", "leading zero"},
        {"1.x.3", "a number follows a wildcard"},
        {"1.2-beta", "needs all of MAJOR.MINOR.PATCH"},
        {"1.2.3 - ", "MAJOR.MINOR.PATCH was expected"},
        {" - 2.0.0", "a number was expected"},
        {"1.2.3 - 2.0.0 - 3.0.0", "MAJOR.MINOR.PATCH was expected"},
        {"1.2.3 2.0.0", "MAJOR.MINOR.PATCH was expected"},
        {"~~1.2.3", "a number was expected"},
        {"1-2", "needs all of MAJOR.MINOR.PATCH"},
        {"=1.0.0 - 2.0.0", "MAJOR.MINOR.PATCH was expected"},
    };
    char longtext[REG_SEMVER_TEXT_MAX + 2];
    struct reg_semver_range r;
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        enum reg_status st = reg_semver_range_parse(cases[i].text, &r);

        CHECK(&bad,
              st == REG_EINVAL && strstr(reg_error_detail(), cases[i].why) &&
                  strstr(reg_error_detail(), "is not a version range"),
              "'%s': got %d '%s', want REG_EINVAL naming '%s'", cases[i].text, st,
              reg_error_detail(), cases[i].why);
    }
    memset(longtext, '1', sizeof(longtext) - 1);
    longtext[sizeof(longtext) - 1] = '\0';
    assert_int_equal(reg_semver_range_parse(longtext, &r), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "at most"));
    assert_int_equal(reg_semver_range_parse(NULL, &r), REG_EINVAL);
    assert_int_equal(bad, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expansions),   cmocka_unit_test(test_satisfies),
        cmocka_unit_test(test_precedence),   cmocka_unit_test(test_versions),
        cmocka_unit_test(test_bad_versions), cmocka_unit_test(test_bad_ranges),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
