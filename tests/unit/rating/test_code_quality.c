/*
 * test_code_quality.c - code_quality = 0.25 D + 0.15 L + 0.20 T + 0.15 P + 0.10 C + 0.15 S;
 * expected values worked out by hand (code_quality.c).
 */
#include "unit.h"

#include <math.h>
#include <stdio.h>

#include "rating/rating.h"

#define NEAR(a, b) (fabs((a) - (b)) <= 1e-9)

static double
rate(const struct reg_code_signals *c)
{
    struct reg_model_signals s = {0};

    s.code = c;
    return reg_rating_code_quality(&s);
}

static void
test_complete(void **state)
{
    static char readme[800 * 5 + 1];
    static const struct reg_file_info files[] = {{"tests/test_model.py", 100, NULL, NULL},
                                                 {"requirements.txt", 10, NULL, NULL},
                                                 {".github/workflows/ci.yml", 10, NULL, NULL}};
    struct reg_code_signals c = {0};
    size_t used = 0;

    (void)state;
    for (int i = 0; i < 800; i++)
        used += (size_t)snprintf(readme + used, sizeof(readme) - used, "word ");
    c.readme = readme;
    c.license_spdx = "MIT";
    c.files = files;
    c.nfiles = NELEMS(files);
    c.stars = 99999; /* log10(10^5) / 5 = 1 */
    assert_true(NEAR(rate(&c), 1.0));
    readme[400 * 5] = '\0'; /* 400 words: D = .5, minus .125 */
    assert_true(NEAR(rate(&c), 0.875));
}

static void
test_parts(void **state)
{
    struct reg_code_signals c = {0};
    struct reg_model_signals none = {0};

    (void)state;
    assert_true(reg_rating_code_quality(&none) == 0.0); /* no repository */
    assert_true(rate(&c) == 0.0);
    c.license_spdx = "NOASSERTION";
    assert_true(rate(&c) == 0.0);
    c.license_spdx = "Apache-2.0";
    assert_true(NEAR(rate(&c), 0.15));
    c.license_spdx = NULL;
    c.stars = 999; /* .15 * 3/5 */
    assert_true(NEAR(rate(&c), 0.09));
    c.stars = INT64_MAX;
    assert_true(NEAR(rate(&c), 0.15));
}

static void
test_files(void **state)
{
    static const struct {
        const char *path;
        double want;
    } cases[] = {
        {"tests/test_model.py", 0.20},
        {"test/a.c", 0.20},
        {"pkg/tests/a.py", 0.20},
        {"src/foo_test.go", 0.20},
        {"web/app.spec.ts", 0.20},
        {"src/x.test.js", 0.20},
        {"contest.py", 0.0},
        {"latest/x.py", 0.0},
        {"requirements.txt", 0.15},
        {"requirements-dev.txt", 0.15},
        {"sub/pyproject.toml", 0.15},
        {"setup.py", 0.15},
        {"Cargo.toml", 0.15},
        {".github/workflows/ci.yml", 0.10},
        {".pre-commit-config.yaml", 0.10},
        {".circleci/config.yml", 0.10},
        {".flake8", 0.10},
        {"docs/.travis.yml", 0.0},
        {"README.md", 0.0},
        {"model.py", 0.0},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_file_info f = {cases[i].path, 1, NULL, NULL};
        struct reg_code_signals c = {0};
        double got;

        c.files = &f;
        c.nfiles = 1;
        got = rate(&c);
        CHECK(&bad, NEAR(got, cases[i].want), "%s: %.3f, want %.3f", cases[i].path, got,
              cases[i].want);
    }
    assert_int_equal(bad, 0);
}

static void
test_null_paths(void **state)
{
    static const struct reg_file_info files[] = {{NULL, 1, NULL, NULL},
                                                 {"setup.py", 1, NULL, NULL}};
    struct reg_code_signals c = {0};

    (void)state;
    c.files = files;
    c.nfiles = NELEMS(files);
    assert_true(NEAR(rate(&c), 0.15));
    c.files = NULL; /* a count without data */
    assert_true(rate(&c) == 0.0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete),
        cmocka_unit_test(test_parts),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_null_paths),
    };

    return cmocka_run_group_tests_name("rating/code_quality", tests, NULL, NULL);
}
