/*
 * test_reviewedness.c - reviewedness = commits_reviewed / commits_seen, -1 without a linked
 * repository (reviewedness.c).
 */
#include "unit.h"

#include <math.h>

#include "rating/rating.h"

static void
test_table(void **state)
{
    static const struct {
        const char *name;
        bool repo;
        int seen, reviewed;
        double want;
    } cases[] = {
        {"no repository", false, 0, 0, -1.0},
        {"no repository, stray counts", false, 10, 5, -1.0},
        {"nothing seen", true, 0, 0, 0.0},
        {"nothing reviewed", true, 12, 0, 0.0},
        {"four of ten", true, 10, 4, 0.4},
        {"all", true, 100, 100, 1.0},
        {"more reviewed than seen (bad data)", true, 3, 5, 1.0},
        {"negative counts", true, -4, -2, 0.0},
        {"reviewed without seen", true, 0, 7, 0.0},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_code_signals code = {0};
        struct reg_model_signals s = {0};
        double got;

        code.commits_seen = cases[i].seen;
        code.commits_reviewed = cases[i].reviewed;
        s.code = cases[i].repo ? &code : NULL;
        got = reg_rating_reviewedness(&s);
        CHECK(&bad, fabs(got - cases[i].want) < 1e-12, "%s: %.3f, want %.3f", cases[i].name, got,
              cases[i].want);
    }
    assert_int_equal(bad, 0);
    assert_true(REG_RATING_NO_REPO == -1.0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
    };

    return cmocka_run_group_tests_name("rating/reviewedness", tests, NULL, NULL);
}
