/*
 * test_tree_score.c - tree_score = mean of the parents' net scores, 1 without parents
 * (tree_score.c).
 */
#include "unit.h"

#include <math.h>

#include "rating/rating.h"

#define MAXP 4

static void
test_table(void **state)
{
    static const struct {
        const char *name;
        double scores[MAXP];
        int n;
        double want;
    } cases[] = {
        {"no parents", {0.0}, 0, 1.0},
        {"one parent", {0.8}, 1, 0.8},
        {"three parents", {0.2, 0.6, 1.0}, 3, 0.6},
        {"out-of-range scores are clamped", {1.5, -0.5}, 2, 0.5},
        {"a NaN is ignored", {(double)NAN, 0.4}, 2, 0.4},
        {"infinities are ignored", {(double)INFINITY, 0.2, -(double)INFINITY}, 3, 0.2},
        {"only NaN: as no parents", {(double)NAN}, 1, 1.0},
        {"a zero parent", {0.0}, 1, 0.0},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_model_signals s = {0};
        double got;

        s.parent_scores = cases[i].scores;
        s.nparents = cases[i].n;
        got = reg_rating_tree_score(&s);
        CHECK(&bad, fabs(got - cases[i].want) < 1e-12, "%s: %.3f, want %.3f", cases[i].name, got,
              cases[i].want);
    }
    assert_int_equal(bad, 0);
}

static void
test_count_without_scores(void **state)
{
    struct reg_model_signals s = {0};

    (void)state;
    s.nparents = 3;
    assert_true(reg_rating_tree_score(&s) == 1.0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_count_without_scores),
    };

    return cmocka_run_group_tests_name("rating/tree_score", tests, NULL, NULL);
}
