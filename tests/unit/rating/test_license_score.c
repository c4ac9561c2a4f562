/*
 * test_license_score.c - the LGPL-2.1 compatibility table of license_score.c, id by id,
 * with the normalisation of case, prefix and SPDX suffixes.
 */
#include "unit.h"

#include <math.h>
#include <string.h>

#include "rating/rating.h"

#define NEAR(a, b) (fabs((a) - (b)) <= 1e-12)

static void
test_table(void **state)
{
    static const struct {
        const char *id;
        double want;
    } cases[] = {
        /* permissive, LGPL-2.x */
        {"mit", 1.0},
        {"MIT", 1.0},
        {"apache-2.0", 1.0},
        {"Apache-2.0", 1.0},
        {"bsd-3-clause", 1.0},
        {"BSD-2-Clause", 1.0},
        {"isc", 1.0},
        {"cc0-1.0", 1.0},
        {"cc-by-4.0", 1.0},
        {"unlicense", 1.0},
        {"LGPL-2.1-only", 1.0},
        {"lgpl-2.1-or-later", 1.0},
        {"lgpl-2.1+", 1.0},
        {"license:mit", 1.0},
        {"  mit  ", 1.0},
        /* near-LGPL and weak copyleft */
        {"lgpl-lr", 0.9},
        {"lgpl-3.0", 0.8},
        {"mpl-2.0", 0.8},
        /* responsible-AI and community licences */
        {"openrail", 0.7},
        {"creativeml-openrail-m", 0.7},
        {"bigscience-openrail-m", 0.7},
        {"bigscience-bloom-rail-1.0", 0.7},
        {"gemma", 0.7},
        {"llama2", 0.6},
        {"llama3.1", 0.6},
        {"cc-by-sa-4.0", 0.6},
        {"epl-2.0", 0.6},
        {"eupl-1.1", 0.5},
        /* incompatible but usable, stated but not analysed */
        {"mpl-1.1", 0.3},
        {"epl-1.0", 0.3},
        {"other", 0.3},
        {"some-new-license", 0.3},
        /* strong copyleft */
        {"gpl-2.0", 0.2},
        {"GPL-3.0-only", 0.1},
        {"gpl-3.0-or-later", 0.1},
        {"gpl", 0.1},
        {"agpl-3.0", 0.0},
        {"AGPL-3.0-only", 0.0},
        /* non-commercial, no derivatives, unknown */
        {"cc-by-nc-4.0", 0.0},
        {"cc-by-nc-sa-4.0", 0.0},
        {"cc-by-nd-4.0", 0.0},
        {"deepfloyd-if-license", 0.0},
        {"acme-noncommercial-v1", 0.0},
        {"acme-research-only", 0.0},
        {"intel-research", 0.0},
        {"unknown", 0.0},
        {"", 0.0},
        {"   ", 0.0},
        {"license:", 0.0},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        double got = reg_rating_license_compat(cases[i].id);

        CHECK(&bad, NEAR(got, cases[i].want), "'%s': %.2f, want %.2f", cases[i].id, got,
              cases[i].want);
    }
    assert_int_equal(bad, 0);
    assert_true(reg_rating_license_compat(NULL) == 0.0);
}

static void
test_long_id(void **state)
{
    char id[400];

    (void)state;
    memset(id, 'x', sizeof(id) - 1);
    id[sizeof(id) - 1] = '\0';
    assert_true(NEAR(reg_rating_license_compat(id), 0.3)); /* stated, not listed */
    memcpy(id, "noncommercial", 13);
    assert_true(reg_rating_license_compat(id) == 0.0);
}

static void
test_from_signals(void **state)
{
    struct reg_model_signals s = {0};

    (void)state;
    assert_true(reg_rating_license_score(&s) == 0.0); /* no licence */
    s.license = "apache-2.0";
    assert_true(reg_rating_license_score(&s) == 1.0);
    s.license = "gpl-3.0";
    assert_true(NEAR(reg_rating_license_score(&s), 0.1));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_long_id),
        cmocka_unit_test(test_from_signals),
    };

    return cmocka_run_group_tests_name("rating/license_score", tests, NULL, NULL);
}
