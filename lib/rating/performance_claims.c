/*
 * performance_claims.c - how well the card backs its performance claims with evidence.
 *
 * Reads: tags (arxiv:*), readme (paper links and citations, evaluation sections), card_json
 * ("model-index" results).
 *
 *   performance_claims = 0.15 P + 0.20 S + R                                range [0, 1]
 *
 *   P  paper:    a paper is cited: an "arxiv:" tag, an arxiv.org or doi.org link, or a BibTeX
 *                entry (@article{, @inproceedings{, @misc{, @techreport{)
 *   S  section:  a section whose heading names evaluation ("eval", "result", "benchmark",
 *                "performance", "metric") holds real content (not only placeholders)
 *   R  results:  0 when the card reports no quantitative result, else 0.35 + 0.30 min(1, n/12)
 *                where n counts the results: metrics with a numeric value in model-index,
 *                numeric cells of tables in evaluation sections, and decimals or percentages
 *                next to a metric name (accuracy, F1, WER, BLEU, ...) in their prose
 *
 * Calibrated on the course sample: bert-base-uncased (9 GLUE cells) 0.93, whisper-tiny
 * (3 model-index WERs) 0.78, audience_classifier_model (a paper tag, placeholder sections)
 * 0.15 (sample 0.92, 0.80, 0.15).
 */
#include <json-c/json.h>
#include <string.h>

#include "rating/rating.h"

#define RESULTS_FULL 12.0

struct scan {
    bool in_eval;
    int eval_level;
    bool eval_content;
    int results;
};

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
cites_paper(const struct reg_model_signals *s)
{
    static const char *const marks[] = {"arxiv.org/",      "doi.org/", "@article{",
                                        "@inproceedings{", "@misc{",   "@techreport{"};
    size_t len = s->readme ? strlen(s->readme) : 0;

    for (int i = 0; i < s->ntags; i++)
        if (s->tags && s->tags[i] && strncmp(s->tags[i], "arxiv:", 6) == 0)
            return true;
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
        if (reg_rating_has_ci(s->readme, len, marks[i]))
            return true;
    return false;
}

static bool
eval_heading(const char *t, size_t len)
{
    static const char *const keys[] = {"eval", "result", "benchmark", "performance", "metric"};

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (reg_rating_has_ci(t, len, keys[i]))
            return true;
    return false;
}

/* A table cell that is a number: "84.6", "84.6/83.4", "-1.5", "93 %", "7.5M". */
static bool
numeric_cell(const char *c, size_t len)
{
    size_t i = 0, letters = 0;

    while (len > 0 && (c[0] == ' ' || c[0] == '*' || c[0] == '`')) {
        c++;
        len--;
    }
    while (len > 0 && (c[len - 1] == ' ' || c[len - 1] == '*' || c[len - 1] == '`'))
        len--;
    if (len > 0 && (c[0] == '-' || c[0] == '+'))
        i = 1;
    if (i >= len || !is_digit(c[i]))
        return false;
    for (; i < len; i++) {
        unsigned char u = (unsigned char)c[i];

        if (is_letter(c[i]) && ++letters <= 3)
            continue;
        if (letters > 0 || !(is_digit(c[i]) || strchr(".,/%+- ", c[i]) || u == 0xC2 || u == 0xB1))
            return false; /* 0xC2 0xB1 is U+00B1, the plus-minus sign */
    }
    return true;
}

static int
table_results(const char *t, size_t len)
{
    int n = 0;
    size_t start = 0;

    if (len > 0 && t[0] == '|')
        start = 1;
    for (size_t i = start; i <= len; i++) {
        if (i == len || t[i] == '|') {
            n += numeric_cell(t + start, i - start);
            start = i + 1;
        }
    }
    return n;
}

static bool
names_metric(const char *t, size_t len)
{
    static const char *const words[] = {"accuracy", "f1",    "wer",         "cer",
                                        "bleu",     "rouge", "perplexity",  "precision",
                                        "recall",   "auc",   "exact match", "score"};

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (reg_rating_has_word_ci(t, len, words[i]))
            return true;
    return false;
}

/* Decimals ("86.9") and percentages ("93%") not glued to a word ("v1.1" is a version). */
static int
prose_results(const char *t, size_t len)
{
    int n = 0;

    if (!names_metric(t, len))
        return 0;
    for (size_t i = 0; i < len;) {
        size_t j = i, dot = 0;

        if (!is_digit(t[i]) ||
            (i > 0 && (is_letter(t[i - 1]) || is_digit(t[i - 1]) || t[i - 1] == '.'))) {
            i++;
            continue;
        }
        while (j < len && (is_digit(t[j]) || (t[j] == '.' && j + 1 < len && is_digit(t[j + 1]))))
            dot += t[j++] == '.';
        n += dot == 1 || (j < len && t[j] == '%');
        i = j;
    }
    return n;
}

static void
scan_line(struct scan *sc, const struct reg_card_line *ln)
{
    if (ln->kind == REG_CARD_HEADING) {
        if (eval_heading(ln->text, ln->len)) {
            if (!sc->in_eval || ln->level <= sc->eval_level)
                sc->eval_level = ln->level;
            sc->in_eval = true;
        } else if (sc->in_eval && ln->level <= sc->eval_level) {
            sc->in_eval = false;
        }
        return;
    }
    if (!sc->in_eval)
        return;
    if (ln->kind == REG_CARD_TABLE) {
        sc->eval_content = true;
        sc->results += table_results(ln->text, ln->len);
    } else if (ln->kind == REG_CARD_PROSE && !reg_rating_card_placeholder(ln->text, ln->len)) {
        sc->eval_content = true;
        sc->results += prose_results(ln->text, ln->len);
    } else if (ln->kind == REG_CARD_CODE) {
        sc->eval_content = true;
    }
}

static bool
numeric_value(struct json_object *v)
{
    if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int))
        return true;
    if (json_object_is_type(v, json_type_string)) {
        const char *t = json_object_get_string(v);

        return numeric_cell(t, strlen(t));
    }
    return false;
}

/* Metrics with a numeric value in cardData["model-index"][*].results[*].metrics[*]. */
static int
model_index_results(const char *card_json)
{
    struct json_object *card = reg_rating_card_json(card_json), *index, *results, *metrics, *v;
    int n = 0;

    if (!card || !json_object_object_get_ex(card, "model-index", &index) ||
        !json_object_is_type(index, json_type_array)) {
        json_object_put(card);
        return 0;
    }
    for (size_t i = 0; i < json_object_array_length(index); i++) {
        struct json_object *model = json_object_array_get_idx(index, i);

        if (!json_object_object_get_ex(model, "results", &results) ||
            !json_object_is_type(results, json_type_array))
            continue;
        for (size_t j = 0; j < json_object_array_length(results); j++) {
            struct json_object *r = json_object_array_get_idx(results, j);

            if (!json_object_object_get_ex(r, "metrics", &metrics) ||
                !json_object_is_type(metrics, json_type_array))
                continue;
            for (size_t k = 0; k < json_object_array_length(metrics); k++)
                if (json_object_object_get_ex(json_object_array_get_idx(metrics, k), "value", &v) &&
                    numeric_value(v))
                    n++;
        }
    }
    json_object_put(card);
    return n;
}

double
reg_rating_performance_claims(const struct reg_model_signals *s)
{
    struct scan sc = {0};
    struct reg_card_iter it;
    struct reg_card_line ln;
    double score;
    int n;

    reg_rating_card_begin(&it, s->readme);
    while (reg_rating_card_next(&it, &ln))
        scan_line(&sc, &ln);
    n = sc.results + model_index_results(s->card_json);
    score = (cites_paper(s) ? 0.15 : 0.0) + (sc.eval_content ? 0.20 : 0.0);
    if (n > 0)
        score += 0.35 + 0.30 * reg_rating_clamp((double)n / RESULTS_FULL);
    return reg_rating_clamp(score);
}
