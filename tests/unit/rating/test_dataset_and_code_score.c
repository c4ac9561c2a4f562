/*
 * test_dataset_and_code_score.c - dataset_and_code_score = 0.5 D + 0.5 C, each 1 when found,
 * 0.5 when only named, 0 when absent (dataset_and_code_score.c).
 */
#include "unit.h"

#include <math.h>

#include "rating/rating.h"

#define NEAR(a, b) (fabs((a) - (b)) <= 1e-12)

static void
test_table(void **state)
{
    static const char *const named[] = {"rajpurkar/squad"};
    static const char *const urls[] = {"https://github.com/acme/code"};
    static const struct reg_dataset_signals found = {.repo_id = "rajpurkar/squad"};
    static const struct reg_code_signals code = {.repo_id = "acme/code"};
    static const struct {
        const char *name;
        int ndatasets, ndataset_info, ncode_urls;
        bool fetched;
        double want;
    } cases[] = {
        {"nothing", 0, 0, 0, false, 0.0},
        {"dataset named, not found", 1, 0, 0, false, 0.25},
        {"dataset found", 1, 1, 0, false, 0.5},
        {"code linked, not fetched", 0, 0, 1, false, 0.25},
        {"code fetched", 0, 0, 1, true, 0.5},
        {"both named only", 1, 0, 1, false, 0.5},
        {"dataset found, code named", 1, 1, 1, false, 0.75},
        {"both found", 1, 1, 1, true, 1.0},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_model_signals s = {0};
        double got;

        s.datasets = named;
        s.ndatasets = cases[i].ndatasets;
        s.dataset_info = &found;
        s.ndataset_info = cases[i].ndataset_info;
        s.code_urls = urls;
        s.ncode_urls = cases[i].ncode_urls;
        s.code = cases[i].fetched ? &code : NULL;
        got = reg_rating_dataset_and_code_score(&s);
        CHECK(&bad, NEAR(got, cases[i].want), "%s: %.3f, want %.3f", cases[i].name, got,
              cases[i].want);
    }
    assert_int_equal(bad, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
    };

    return cmocka_run_group_tests_name("rating/dataset_and_code_score", tests, NULL, NULL);
}
