/*
 * test_bus_factor.c - bus_factor = 1 - (1 - C)(1 - U), C = 1 - sum(p_i^2) over the linked
 * repository's commit shares, U = clamp(log10(1 + downloads) / 9); expected values worked
 * out by hand (bus_factor.c).
 */
#include "unit.h"

#include <math.h>

#include "rating/rating.h"

#define NEAR(a, b) (fabs((a) - (b)) <= 1e-9)
#define MAXC 8

struct bus_case {
    const char *name;
    bool repo;
    int64_t commits[MAXC];
    int n;
    int64_t downloads;
    double want;
};

static void
test_table(void **state)
{
    static const struct bus_case cases[] = {
        {"nothing", false, {0}, 0, 0, 0.0},
        {"repository without contributors", true, {0}, 0, 0, 0.0},
        {"one author", true, {100}, 1, 0, 0.0},
        /* C = 1 - (.25 + .25) */
        {"two equal authors", true, {50, 50}, 2, 0, 0.5},
        /* C = 1 - 4 * .0625 */
        {"four equal authors", true, {10, 10, 10, 10}, 4, 0, 0.75},
        /* p = .75, .25: C = 1 - (.5625 + .0625) */
        {"three to one", true, {3, 1}, 2, 0, 0.375},
        /* zero and negative counts carry no share: as (10, 10) */
        {"zero and negative counts", true, {10, 0, -5, 10}, 4, 0, 0.5},
        /* U = log10(1000) / 9 = 1/3 */
        {"no repository, a thousand downloads", false, {0}, 0, 999, 1.0 / 3.0},
        /* 1 - .5 * (1 - 1/3) */
        {"both", true, {50, 50}, 2, 999, 2.0 / 3.0},
        {"a billion downloads", false, {0}, 0, 999999999, 1.0},
        {"huge downloads", true, {1}, 1, INT64_MAX, 1.0},
        {"negative downloads", false, {0}, 0, -1, 0.0},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_code_signals code = {0};
        struct reg_model_signals s = {0};
        double got;

        code.contributions = cases[i].commits;
        code.ncontributors = cases[i].n;
        s.code = cases[i].repo ? &code : NULL;
        s.downloads = cases[i].downloads;
        got = reg_rating_bus_factor(&s);
        CHECK(&bad, NEAR(got, cases[i].want), "%s: %.10f, want %.10f", cases[i].name, got,
              cases[i].want);
    }
    assert_int_equal(bad, 0);
}

static void
test_missing_contributions(void **state)
{
    struct reg_code_signals code = {0};
    struct reg_model_signals s = {0};

    (void)state;
    code.ncontributors = 3; /* count without array */
    s.code = &code;
    assert_true(reg_rating_bus_factor(&s) == 0.0);
}

/* Spreading the same commits over more people raises the score. */
static void
test_more_authors_score_higher(void **state)
{
    int64_t commits[MAXC];
    struct reg_code_signals code = {0};
    struct reg_model_signals s = {0};
    double last = -1.0;

    (void)state;
    s.code = &code;
    code.contributions = commits;
    for (int n = 1; n <= MAXC; n++) {
        double got;

        for (int i = 0; i < n; i++)
            commits[i] = 840 / n;
        code.ncontributors = n;
        got = reg_rating_bus_factor(&s);
        assert_true(NEAR(got, 1.0 - 1.0 / n));
        assert_true(got > last);
        last = got;
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_missing_contributions),
        cmocka_unit_test(test_more_authors_score_higher),
    };

    return cmocka_run_group_tests_name("rating/bus_factor", tests, NULL, NULL);
}
