/*
 * test_dataset_quality.c - dataset_quality = mean over found datasets of
 * 0.35 D + 0.20 L + 0.25 A + 0.20 M; expected values worked out by hand (dataset_quality.c).
 */
#include "unit.h"

#include <math.h>
#include <stdio.h>

#include "rating/rating.h"

#define NEAR(a, b) (fabs((a) - (b)) <= 1e-9)

static const char *const all_tags[] = {"task_categories:question-answering",
                                       "size_categories:10K<n<100K", "language:en",
                                       "annotations_creators:crowdsourced", "license:cc-by-4.0"};
static const char *const two_tags[] = {"task_categories:text-generation", "language:en",
                                       "language:fr", "region:us"};
static const char *const language_tags[] = {"language:en", "language:fr"};

static char *
words(char *buf, size_t cap, int n)
{
    size_t used = 0;

    buf[0] = '\0';
    for (int i = 0; i < n; i++)
        used += (size_t)snprintf(buf + used, cap - used, "word ");
    return buf;
}

static double
rate(const struct reg_dataset_signals *d, int n)
{
    struct reg_model_signals s = {0};

    s.dataset_info = d;
    s.ndataset_info = n;
    return reg_rating_dataset_quality(&s);
}

static void
test_table(void **state)
{
    static char full[2000], half[1000];
    struct reg_dataset_signals d[2] = {{0}};
    int bad = 0;

    (void)state;
    /* .35 * 1 + .20 * 1 + .25 * log10(10^6)/6 + .20 * 4/4 */
    d[0].readme = words(full, sizeof(full), 300);
    d[0].license = "cc-by-4.0";
    d[0].downloads = 999999;
    d[0].tags = all_tags;
    d[0].ntags = NELEMS(all_tags);
    CHECK(&bad, NEAR(rate(&d[0], 1), 1.0), "complete dataset: %.6f", rate(&d[0], 1));
    /* .35 * 150/300 + .20 * 0 + .25 * 3/6 + .20 * 2/4 = .175 + .125 + .10 */
    d[1].readme = words(half, sizeof(half), 150);
    d[1].license = "unknown";
    d[1].downloads = 999;
    d[1].tags = two_tags;
    d[1].ntags = NELEMS(two_tags);
    CHECK(&bad, NEAR(rate(&d[1], 1), 0.40), "half dataset: %.6f", rate(&d[1], 1));
    /* the mean of both */
    CHECK(&bad, NEAR(rate(d, 2), 0.70), "mean: %.6f", rate(d, 2));
    assert_int_equal(bad, 0);
}

static void
test_parts(void **state)
{
    struct reg_dataset_signals d = {0};

    (void)state;
    assert_true(rate(&d, 1) == 0.0); /* found, but nothing known */
    d.license = "other";
    assert_true(NEAR(rate(&d, 1), 0.10));
    d.license = "";
    assert_true(rate(&d, 1) == 0.0);
    d.license = NULL;
    d.tags = language_tags; /* the same fact twice counts once: 1/4 */
    d.ntags = NELEMS(language_tags);
    assert_true(NEAR(rate(&d, 1), 0.05));
    d.tags = NULL;
    d.downloads = INT64_MAX;
    assert_true(NEAR(rate(&d, 1), 0.25));
    d.downloads = -3;
    assert_true(rate(&d, 1) == 0.0);
    d.readme = "---\nlicense: mit\n---\n[More Information Needed]\n";
    assert_true(rate(&d, 1) == 0.0);
}

static void
test_no_dataset(void **state)
{
    struct reg_model_signals s = {0};
    struct reg_dataset_signals d = {0};

    (void)state;
    assert_true(reg_rating_dataset_quality(&s) == 0.0);
    s.ndataset_info = 2; /* a count without data */
    assert_true(reg_rating_dataset_quality(&s) == 0.0);
    s.dataset_info = &d;
    s.ndataset_info = 0;
    assert_true(reg_rating_dataset_quality(&s) == 0.0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_parts),
        cmocka_unit_test(test_no_dataset),
    };

    return cmocka_run_group_tests_name("rating/dataset_quality", tests, NULL, NULL);
}
