/*
 * test_ramp_up_time.c - ramp_up_time = 0.25 L + 0.40 E + 0.15 D + 0.20 A on hand-made
 * signals; expected values worked out by hand from that formula (ramp_up_time.c).
 *
 * Constants used below: 1 - exp(-1500 / 1500) = 0.6321205588; A(99999) = (5 - 3) / 5 = 0.4,
 * A(999) = (3 - 3) / 5 = 0, A(99999999) = (8 - 3) / 5 = 1.
 */
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rating/rating.h"

#define NEAR(a, b) (fabs((a) - (b)) <= 1e-9)
#define WORDS 1500

static const char runnable[] = "```python\nfrom transformers import AutoModel\n"
                               "m = AutoModel.from_pretrained('acme/tiny-bert')\n```\n";
static const char adapting[] = "```python\nfrom transformers import AutoModel\n"
                               "m = AutoModel.from_pretrained('other/model')\n```\n";

/* WORDS words on one prose line, then `extra` (appended as is). */
static char *
prose(char *buf, size_t cap, const char *extra)
{
    size_t n = 0;

    for (int i = 0; i < WORDS; i++)
        n += (size_t)snprintf(buf + n, cap - n, "word ");
    snprintf(buf + n, cap - n, "\n%s", extra);
    return buf;
}

struct ramp_case {
    const char *name;
    const char *library;
    const char *config;
    int readme; /* 0 none, 1 runnable, 2 adapting, 3 prose, 4 prose + placeholder,
                   5 runnable + prose */
    int64_t downloads;
    double want;
};

static void
test_table(void **state)
{
    static const struct ramp_case cases[] = {
        {"nothing", NULL, NULL, 0, 0, 0.0},
        {"library only", "transformers", NULL, 0, 999, 0.25},
        {"config only", NULL, "{}", 0, 0, 0.125},
        {"empty library name", "", "{}", 0, 0, 0.125},
        /* .25 + .40 + 0 + .20 * .4 */
        {"runnable example", "transformers", NULL, 1, 99999, 0.73},
        /* .25 + .40 * .5 + .20 * .4 */
        {"example to adapt", "transformers", NULL, 2, 99999, 0.53},
        /* .25 + .15 * .6321205588 + .20 */
        {"documented, popular", "transformers", NULL, 3, 99999999, 0.5448180838},
        /* .25 + .15 * .6321205588 * 1/2 (one content line, one placeholder line) */
        {"half placeholders", "transformers", NULL, 4, 0, 0.2974090419},
        /* .25 + .40 + .15 * .6321205588 + .20 (downloads clamp at 1) */
        {"everything, huge downloads", "transformers", NULL, 5, INT64_MAX, 0.9448180838},
        {"negative downloads", NULL, NULL, 0, -5, 0.0},
    };
    static char buf[WORDS * 6 + 512];
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_model_signals s = {0};
        double got;

        s.repo_id = "acme/tiny-bert";
        s.library_name = cases[i].library;
        s.config_json = cases[i].config;
        s.downloads = cases[i].downloads;
        switch (cases[i].readme) {
        case 1:
            s.readme = runnable;
            break;
        case 2:
            s.readme = adapting;
            break;
        case 3:
            s.readme = prose(buf, sizeof(buf), "");
            break;
        case 4:
            s.readme = prose(buf, sizeof(buf), "[More Information Needed]\n");
            break;
        case 5:
            s.readme = prose(buf, sizeof(buf), runnable);
            break;
        default:
            break;
        }
        got = reg_rating_ramp_up_time(&s);
        CHECK(&bad, NEAR(got, cases[i].want), "%s: %.10f, want %.10f", cases[i].name, got,
              cases[i].want);
    }
    assert_int_equal(bad, 0);
}

/* More documentation, examples or downloads never lower the score. */
static void
test_monotone(void **state)
{
    struct reg_model_signals s = {0};
    double last = -1.0;

    (void)state;
    s.repo_id = "acme/tiny-bert";
    s.library_name = "transformers";
    for (int64_t d = 0; d < INT64_MAX / 100; d = d * 10 + 9) {
        double got;

        s.downloads = d;
        got = reg_rating_ramp_up_time(&s);

        assert_true(got >= last);
        assert_true(got >= 0.0 && got <= 1.0);
        last = got;
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_monotone),
    };

    return cmocka_run_group_tests_name("rating/ramp_up_time", tests, NULL, NULL);
}
