/*
 * test_performance_claims.c - performance_claims = 0.15 P + 0.20 S + R with
 * R = n > 0 ? 0.35 + 0.30 min(1, n / 12) : 0; expected values worked out by hand
 * (performance_claims.c).
 */
#include "unit.h"

#include <math.h>

#include "rating/rating.h"

#define NEAR(a, b) (fabs((a) - (b)) <= 1e-9)

static const char *const arxiv_tags[] = {"transformers", "arxiv:1810.04805"};
static const char *const plain_tags[] = {"transformers", "license:mit"};

struct perf_case {
    const char *name;
    bool arxiv;
    const char *readme;
    const char *card;
    double want;
};

static void
test_table(void **state)
{
    static const struct perf_case cases[] = {
        {"nothing", false, NULL, NULL, 0.0},
        {"paper tag only", true, NULL, NULL, 0.15},
        {"arxiv link", false, "See [the paper](https://arxiv.org/abs/1234.5678).\n", NULL, 0.15},
        {"bibtex", false, "```bibtex\n@inproceedings{x,\n title={y}\n}\n```\n", NULL, 0.15},
        {"evaluation section, no numbers", false, "## Evaluation\nWe evaluated it on GLUE.\n", NULL,
         0.20},
        {"only placeholders", false,
         "## Evaluation\n[More Information Needed]\n### Results\n"
         "[More Information Needed]\n",
         NULL, 0.0},
        /* .20 + .35 + .30 * 2/12 */
        {"table, two results", false,
         "## Results\n| Task | A | B |\n|---|:---:|---|\n"
         "| x | 84.6 | **90.1** |\n",
         NULL, 0.60},
        /* numbers in a table of another section do not count */
        {"table outside evaluation", false, "## Model variations\n| bert | 110 | 12 |\n", NULL,
         0.0},
        /* .20 + .35 + .30 * 2/12: 86.9 and 91% count, "v1.1" is a version */
        {"results in prose", false,
         "## Evaluation\nIt reaches an F1 score of 86.9 and 91% "
         "accuracy on SQuAD v1.1.\n",
         NULL, 0.60},
        /* a number in prose without a metric name is not a result: only S */
        {"prose without metric", false, "## Evaluation\nWe used 1836.5 tasks.\n", NULL, 0.20},
        /* .35 + .30 * 3/12 */
        {"model-index", false, NULL,
         "{\"model-index\":[{\"name\":\"m\",\"results\":[{\"metrics\":[{\"type\":\"wer\","
         "\"value\":7.54},{\"type\":\"wer\",\"value\":17}]},{\"metrics\":[{\"value\":\"141\"},"
         "{\"value\":\"n/a\"},{\"name\":\"no value\"}]}]}]}",
         0.425},
        {"model-index not a list", false, NULL, "{\"model-index\":{\"results\":[]}}", 0.0},
        {"invalid card JSON", false, NULL, "{\"model-index\":[", 0.0},
        /* .15 + .20 + .35 + .30 (13 results, capped at 12) */
        {"everything", true,
         "## Evaluation results\n| a | 1.0 | 2.0 | 3.0 | 4.0 | 5.0 | 6.0 |\n"
         "| b | 1.5 | 2.5 | 3.5 | 4.5 | 5.5 | 6.5 | 7.5 |\n",
         NULL, 1.0},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_model_signals s = {0};
        double got;

        s.tags = cases[i].arxiv ? arxiv_tags : plain_tags;
        s.ntags = 2;
        s.readme = cases[i].readme;
        s.card_json = cases[i].card;
        got = reg_rating_performance_claims(&s);
        CHECK(&bad, NEAR(got, cases[i].want), "%s: %.10f, want %.10f", cases[i].name, got,
              cases[i].want);
    }
    assert_int_equal(bad, 0);
}

/* An evaluation heading's section ends at the next heading of its level or above. */
static void
test_section_scope(void **state)
{
    struct reg_model_signals s = {0};

    (void)state;
    s.readme = "## Evaluation\n### Data\nSome text.\n## Training\n| x | 1.5 | 2.5 |\n";
    /* S only: the table is under "Training" */
    assert_true(NEAR(reg_rating_performance_claims(&s), 0.20));
    s.readme = "## Evaluation\n### Data\n| x | 1.5 | 2.5 |\n";
    /* .20 + .35 + .30 * 2/12: the sub-section belongs to Evaluation */
    assert_true(NEAR(reg_rating_performance_claims(&s), 0.60));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_section_scope),
    };

    return cmocka_run_group_tests_name("rating/performance_claims", tests, NULL, NULL);
}
