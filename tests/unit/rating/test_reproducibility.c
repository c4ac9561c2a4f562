/*
 * test_reproducibility.c - reproducibility is 1, 0.5 or 0 by the best code example of the card
 * (reproducibility.c; the block classification itself is tested in test_card.c).
 */
#include "unit.h"

#include "rating/rating.h"

struct repro_case {
    const char *name;
    const char *repo_id;
    const char *library;
    const char *readme;
    double want;
};

static void
test_table(void **state)
{
    static const struct repro_case cases[] = {
        {"no card", "acme/m", "transformers", NULL, 0.0},
        {"card without code", "acme/m", "transformers", "# M\n\nA model.\n", 0.0},
        {"a pipeline that runs as written (bert-base-uncased's card)", "bert-base-uncased",
         "transformers",
         "### How to use\n\n```python\n>>> from transformers import pipeline\n"
         ">>> unmasker = pipeline('fill-mask', model='bert-base-uncased')\n"
         ">>> unmasker(\"Hello I'm a [MASK] model.\")\n```\n",
         1.0},
        {"org id in the example", "openai/whisper-tiny", "transformers",
         "```python\n>>> from transformers import WhisperProcessor\n"
         ">>> processor = WhisperProcessor.from_pretrained(\"openai/whisper-tiny\")\n```\n",
         1.0},
        {"another checkpoint: needs adapting", "acme/m", "transformers",
         "```python\nfrom transformers import AutoModel\n"
         "m = AutoModel.from_pretrained('bert-base-uncased')\n```\n",
         0.5},
        {"placeholder path: needs adapting", "acme/m", "transformers",
         "```python\nfrom transformers import AutoModel\n"
         "m = AutoModel.from_pretrained('path/to/acme/m')\n```\n",
         0.5},
        {"a snippet without the loader: needs adapting", "openai/whisper-tiny", "transformers",
         "```python\nmodel.config.forced_decoder_ids = None\n```\n", 0.5},
        {"only data blocks", "acme/m", "transformers",
         "```bibtex\n@misc{m, url={https://huggingface.co/acme/m}}\n```\n"
         "```json\n{\"model\": \"acme/m\"}\n```\n",
         0.0},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_model_signals s = {0};
        double got;

        s.repo_id = cases[i].repo_id;
        s.library_name = cases[i].library;
        s.readme = cases[i].readme;
        got = reg_rating_reproducibility(&s);
        CHECK(&bad, got == cases[i].want, "%s: %.1f, want %.1f", cases[i].name, got, cases[i].want);
    }
    assert_int_equal(bad, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
    };

    return cmocka_run_group_tests_name("rating/reproducibility", tests, NULL, NULL);
}
