/*
 * test_card.c - the model-card reading the metrics share (lib/rating/card.c): the line
 * scanner, placeholders, word counts, card statistics, the code-example level, the numeric
 * helpers and the bounded card JSON parse.
 */
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rating/rating.h"

#define NEAR(a, b) (fabs((a) - (b)) <= 1e-9)

static void
test_clamp_and_log_scale(void **state)
{
    static const struct {
        int64_t n;
        double from, decades, want;
    } cases[] = {
        {0, 0.0, 9.0, 0.0},     {999, 0.0, 9.0, 3.0 / 9.0}, {999, 3.0, 5.0, 0.0},
        {99999, 3.0, 5.0, 0.4}, {99999999, 3.0, 5.0, 1.0},  {INT64_MAX, 0.0, 9.0, 1.0},
        {-5, 0.0, 9.0, 0.0},    {9, 0.0, 1.0, 1.0},         {99, 0.0, 4.0, 0.5},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        double got = reg_rating_log_scale(cases[i].n, cases[i].from, cases[i].decades);

        CHECK(&bad, NEAR(got, cases[i].want), "log_scale(%lld, %g, %g) = %g, want %g",
              (long long)cases[i].n, cases[i].from, cases[i].decades, got, cases[i].want);
    }
    assert_int_equal(bad, 0);
    assert_true(reg_rating_clamp(-0.5) == 0.0);
    assert_true(reg_rating_clamp(0.25) == 0.25);
    assert_true(reg_rating_clamp(7.0) == 1.0);
    assert_true(reg_rating_clamp((double)NAN) == 0.0);
    assert_true(reg_rating_clamp((double)INFINITY) == 1.0);
}

static void
test_has_ci(void **state)
{
    static const char text[] = "The WER is 7.5; see Answer.";

    (void)state;
    assert_true(reg_rating_has_ci(text, strlen(text), "wer"));
    assert_true(reg_rating_has_ci(text, strlen(text), "answer."));
    assert_false(reg_rating_has_ci(text, strlen(text), "bleu"));
    assert_false(reg_rating_has_ci(text, 3, "WER")); /* bounded by len */
    assert_false(reg_rating_has_ci(text, strlen(text), ""));
    assert_false(reg_rating_has_ci(text, strlen(text), NULL));
    assert_false(reg_rating_has_ci(NULL, 0, "x"));
    assert_true(reg_rating_has_word_ci(text, strlen(text), "wer"));
    assert_false(reg_rating_has_word_ci("answer", 6, "wer")); /* inside a word */
    assert_true(reg_rating_has_word_ci("f1-score", 8, "f1"));
    assert_false(reg_rating_has_word_ci("xf1", 3, "f1"));
    assert_true(reg_rating_has_word_ci("answer, wer", 11, "wer")); /* second occurrence */
}

struct line_case {
    enum reg_card_kind kind;
    const char *text;
    int level;
};

static void
test_scanner(void **state)
{
    static const char card[] = "---\n"
                               "license: mit\n"
                               "---\n"
                               "# Title\n"
                               "Some prose.\r\n"
                               "\n"
                               "<!-- a comment\n"
                               "still comment -->\n"
                               "| a | 1 |\n"
                               "```python\n"
                               "# not a heading\n"
                               "```\n"
                               "####### seven\n"
                               "~~~~\n"
                               "```\n"
                               "~~~~\n"
                               "<!-- one line -->\n"
                               "### Sub";
    static const struct line_case want[] = {
        {REG_CARD_HEADING, "Title", 1},
        {REG_CARD_PROSE, "Some prose.", 0},
        {REG_CARD_BLANK, NULL, 0},
        {REG_CARD_COMMENT, NULL, 0},
        {REG_CARD_COMMENT, NULL, 0},
        {REG_CARD_TABLE, "| a | 1 |", 0},
        {REG_CARD_FENCE_OPEN, "python", 0},
        {REG_CARD_CODE, NULL, 0},
        {REG_CARD_FENCE_CLOSE, NULL, 0},
        {REG_CARD_PROSE, "####### seven", 0}, /* seven '#' is not a heading */
        {REG_CARD_FENCE_OPEN, "", 0},
        {REG_CARD_CODE, NULL, 0}, /* ``` does not close a ~~~~ fence */
        {REG_CARD_FENCE_CLOSE, NULL, 0},
        {REG_CARD_COMMENT, NULL, 0},
        {REG_CARD_HEADING, "Sub", 3},
    };
    struct reg_card_iter it;
    struct reg_card_line ln;
    int n = 0, bad = 0;

    (void)state;
    reg_rating_card_begin(&it, card);
    while (reg_rating_card_next(&it, &ln)) {
        if (n >= NELEMS(want)) {
            n++;
            continue;
        }
        CHECK(&bad, ln.kind == want[n].kind, "line %d: kind %d, want %d", n, ln.kind, want[n].kind);
        if (want[n].text)
            CHECK(&bad, ln.len == strlen(want[n].text) && !memcmp(ln.text, want[n].text, ln.len),
                  "line %d: text '%.*s', want '%s'", n, (int)ln.len, ln.text, want[n].text);
        CHECK(&bad, ln.level == want[n].level, "line %d: level %d, want %d", n, ln.level,
              want[n].level);
        n++;
    }
    assert_int_equal(bad, 0);
    assert_int_equal(n, NELEMS(want));
}

static void
test_scanner_edges(void **state)
{
    struct reg_card_iter it;
    struct reg_card_line ln;

    (void)state;
    reg_rating_card_begin(&it, NULL);
    assert_false(reg_rating_card_next(&it, &ln));
    reg_rating_card_begin(&it, "");
    assert_false(reg_rating_card_next(&it, &ln));
    /* An unterminated front matter is not skipped. */
    reg_rating_card_begin(&it, "---\nlicense: mit\n");
    assert_true(reg_rating_card_next(&it, &ln));
    assert_int_equal(ln.kind, REG_CARD_PROSE);
    /* Only front matter. */
    reg_rating_card_begin(&it, "---\na: b\n---\n");
    assert_false(reg_rating_card_next(&it, &ln));
    /* "#" alone is a level-1 heading with an empty title; "#tag" is prose. */
    reg_rating_card_begin(&it, "#\n#tag\n");
    assert_true(reg_rating_card_next(&it, &ln));
    assert_int_equal(ln.kind, REG_CARD_HEADING);
    assert_int_equal(ln.len, 0);
    assert_true(reg_rating_card_next(&it, &ln));
    assert_int_equal(ln.kind, REG_CARD_PROSE);
}

static void
test_placeholder_and_words(void **state)
{
    static const struct {
        const char *text;
        bool placeholder;
        int words;
    } cases[] = {
        {"[More Information Needed]", true, 3},
        {"- **License:** [More Information Needed]", true, 4},
        {"more information needed", true, 3},
        {"[TODO] write this", true, 3},
        {"[TBD]", true, 1},
        {"This is a card.", false, 3}, /* "a" is one letter */
        {"x y z", false, 0},
        {"Model 110M params, F1=86.9", false, 2}, /* Model, params ("M", "F": one letter) */
        {"", false, 0},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        size_t len = strlen(cases[i].text);

        CHECK(&bad, reg_rating_card_placeholder(cases[i].text, len) == cases[i].placeholder,
              "placeholder('%s')", cases[i].text);
        CHECK(&bad, reg_rating_card_words(cases[i].text, len) == cases[i].words,
              "words('%s') = %d, want %d", cases[i].text, reg_rating_card_words(cases[i].text, len),
              cases[i].words);
    }
    assert_int_equal(bad, 0);
}

static void
test_stats(void **state)
{
    static const char card[] = "---\ntitle: words in front matter do not count\n---\n"
                               "# Heading words do not count\n"
                               "One two three.\n"
                               "| table | words | no |\n"
                               "<!-- comment words no -->\n"
                               "[More Information Needed]\n"
                               "```python\nimport x\nnot prose words\n```\n"
                               "```bibtex\n@article{a}\n```\n"
                               "```\nplain output\n```\n"
                               "Four five six seven.\n";
    struct reg_card_stats st;

    (void)state;
    reg_rating_card_stats(card, &st);
    assert_int_equal(st.words, 7);
    assert_int_equal(st.content_lines, 2);
    assert_int_equal(st.placeholder_lines, 1);
    assert_int_equal(st.code_blocks, 1); /* bibtex is data, "plain output" has no code */
    reg_rating_card_stats("Text.\n```python\nimport x\n", &st); /* left open */
    assert_int_equal(st.code_blocks, 1);
    reg_rating_card_stats(NULL, &st);
    assert_int_equal(st.words + st.content_lines + st.placeholder_lines + st.code_blocks, 0);
}

struct level_case {
    const char *name;
    const char *readme;
    const char *library;
    const char *pipeline;
    int want;
};

static void
test_example_level(void **state)
{
    static const struct level_case cases[] = {
        {"no readme", NULL, "transformers", NULL, 0},
        {"no code", "# M\nJust words.\n", "transformers", NULL, 0},
        {"bibtex only", "```bibtex\n@article{acme/tiny-bert, title=(x)}\n```\n", "transformers",
         NULL, 0},
        {"output only", "```\n[CLS] acme/tiny-bert [SEP]\n```\n", "transformers", NULL, 0},
        {"runs",
         "```python\nfrom transformers import AutoModel\n"
         "m = AutoModel.from_pretrained('acme/tiny-bert')\n```\n",
         "transformers", NULL, 2},
        {"last part of the id",
         "```py\nfrom transformers import pipeline\n"
         "p = pipeline('fill-mask', model='tiny-bert')\n```\n",
         "transformers", NULL, 2},
        {"other model",
         "```python\nfrom transformers import AutoModel\n"
         "m = AutoModel.from_pretrained('other/model')\n```\n",
         "transformers", NULL, 1},
        {"a longer id is another model",
         "```python\nimport transformers\n"
         "m = transformers.AutoModel.from_pretrained('acme/tiny-bert-large')\n```\n",
         "transformers", NULL, 1},
        {"placeholder",
         "```python\nfrom transformers import AutoModel\n"
         "m = AutoModel.from_pretrained('path/to/acme/tiny-bert')\n```\n",
         "transformers", NULL, 1},
        {"your_ placeholder",
         "```python\nimport transformers\nt = YOUR_TOKEN\n"
         "m = transformers.load('acme/tiny-bert', t)\n```\n",
         "transformers", NULL, 1},
        {"other library", "```python\nimport torch\nm = torch.load('acme/tiny-bert')\n```\n",
         "transformers", NULL, 1},
        {"module name of a dashed library",
         "```python\nfrom sentence_transformers import SentenceTransformer\n"
         "m = SentenceTransformer('acme/tiny-bert')\n```\n",
         "sentence-transformers", NULL, 2},
        {"no library declared: any import",
         "```python\nimport torch\n"
         "m = torch.hub.load('acme/tiny-bert')\n```\n",
         NULL, NULL, 2},
        {"no library declared, no import", "```python\nm = load('acme/tiny-bert')\n```\n", NULL,
         NULL, 1},
        {"pipeline of the model's task",
         "```python\np = pipeline('image-classification', model='acme/tiny-bert')\n```\n", "timm",
         "image-classification", 2},
        {"best block wins",
         "```python\nx = 1\n```\n```python\nimport transformers\n"
         "m = transformers.AutoModel.from_pretrained('acme/tiny-bert')\n```\n",
         "transformers", NULL, 2},
        {"unterminated fence",
         "```python\nimport transformers\n"
         "m = transformers.AutoModel.from_pretrained('acme/tiny-bert')\n",
         "transformers", NULL, 2},
        {"tilde fence",
         "~~~python\nimport transformers\n"
         "m = transformers.AutoModel.from_pretrained('acme/tiny-bert')\n~~~\n",
         "transformers", NULL, 2},
        {"code in front matter is not code",
         "---\nx: \"import transformers('acme/tiny-bert')\"\n---\nText.\n", "transformers", NULL,
         0},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_model_signals s = {0};
        int got;

        s.repo_id = "acme/tiny-bert";
        s.readme = cases[i].readme;
        s.library_name = cases[i].library;
        s.pipeline_tag = cases[i].pipeline;
        got = reg_rating_card_example_level(&s);
        CHECK(&bad, got == cases[i].want, "%s: level %d, want %d", cases[i].name, got,
              cases[i].want);
    }
    assert_int_equal(bad, 0);
}

static void
test_example_level_by_name(void **state)
{
    struct reg_model_signals s = {0};

    (void)state;
    s.name = "tiny-bert";
    s.library_name = "transformers";
    s.readme = "```python\nimport transformers\nm = transformers.load('tiny-bert')\n```\n";
    assert_int_equal(reg_rating_card_example_level(&s), 2);
}

static void
test_card_json(void **state)
{
    struct json_object *o;
    char deep[200];

    (void)state;
    assert_null(reg_rating_card_json(NULL));
    assert_null(reg_rating_card_json(""));
    assert_null(reg_rating_card_json("{"));
    assert_null(reg_rating_card_json("{\"a\": 1} trailing"));
    o = reg_rating_card_json("{\"license\": \"mit\"}");
    assert_non_null(o);
    json_object_put(o);
    /* Deeper than REG_RATING_CARD_JSON_DEPTH: refused, not a crash. */
    memset(deep, '[', sizeof(deep) - 1);
    deep[sizeof(deep) - 1] = '\0';
    assert_null(reg_rating_card_json(deep));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clamp_and_log_scale),
        cmocka_unit_test(test_has_ci),
        cmocka_unit_test(test_scanner),
        cmocka_unit_test(test_scanner_edges),
        cmocka_unit_test(test_placeholder_and_words),
        cmocka_unit_test(test_stats),
        cmocka_unit_test(test_example_level),
        cmocka_unit_test(test_example_level_by_name),
        cmocka_unit_test(test_card_json),
    };

    return cmocka_run_group_tests_name("rating/card", tests, NULL, NULL);
}
