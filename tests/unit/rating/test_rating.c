/*
 * test_rating.c - the rating as a whole (rating.c): reg_rating_compute() fills every field
 * with what the metric functions say, latencies cover the fetch time of each metric's inputs,
 * net_score weights, the ingest gate, the ModelRating JSON (shape, rounding, round trip) and
 * reading a stored rating back.
 */
#include "unit.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/status.h"
#include "rating/rating.h"

#define NEAR(a, b) (fabs((a) - (b)) <= 1e-9)

static const char readme[] = "---\nlicense: mit\n---\n# Tiny\n\nA tiny model for tests.\n\n"
                             "## Evaluation\n| Task | F1 |\n|---|---|\n| squad | 88.5 |\n\n"
                             "```python\nfrom transformers import AutoModel\n"
                             "m = AutoModel.from_pretrained('acme/tiny-bert')\n```\n";
static const char *const tags[] = {"transformers", "arxiv:1810.04805", "license:mit"};
static const char *const dataset_ids[] = {"rajpurkar/squad", "acme/extra"};
static const char *const code_urls[] = {"https://github.com/acme/tiny"};
static const struct reg_file_info files[] = {{"model.safetensors", 250000000, NULL, NULL},
                                             {"config.json", 500, NULL, NULL}};
static const struct reg_file_info code_files[] = {{"tests/test_x.py", 10, NULL, NULL},
                                                  {"setup.py", 10, NULL, NULL}};
static const int64_t contributions[] = {30, 20, 10};
static const double parents[] = {0.6, 0.8};

/* A complete set of signals; fetch times hub 1.5 s, code 0.25 s, datasets 0.125 s each. */
static void
fill(struct reg_model_signals *s, struct reg_code_signals *code, struct reg_dataset_signals *ds)
{
    memset(s, 0, sizeof(*s));
    memset(code, 0, sizeof(*code));
    memset(ds, 0, 2 * sizeof(*ds));
    code->repo_id = "acme/tiny";
    code->license_spdx = "MIT";
    code->readme = "# tiny\nSource of the tiny model.\n";
    code->stars = 120;
    code->contributions = contributions;
    code->ncontributors = NELEMS(contributions);
    code->files = code_files;
    code->nfiles = NELEMS(code_files);
    code->commits_seen = 10;
    code->commits_reviewed = 7;
    code->fetch_seconds = 0.25;
    for (int i = 0; i < 2; i++) {
        ds[i].repo_id = dataset_ids[i];
        ds[i].license = "cc-by-4.0";
        ds[i].downloads = 5000;
        ds[i].fetch_seconds = 0.125;
    }
    s->repo_id = "acme/tiny-bert";
    s->name = "tiny-bert";
    s->readme = readme;
    s->card_json = "{\"license\":\"mit\"}";
    s->config_json = "{\"model_type\":\"bert\"}";
    s->license = "mit";
    s->downloads = 123456;
    s->likes = 7;
    s->tags = tags;
    s->ntags = NELEMS(tags);
    s->pipeline_tag = "fill-mask";
    s->library_name = "transformers";
    s->files = files;
    s->nfiles = NELEMS(files);
    s->datasets = dataset_ids;
    s->ndatasets = NELEMS(dataset_ids);
    s->code_urls = code_urls;
    s->ncode_urls = NELEMS(code_urls);
    s->code = code;
    s->dataset_info = ds;
    s->ndataset_info = 2;
    s->parent_scores = parents;
    s->nparents = NELEMS(parents);
    s->hub_seconds = 1.5;
}

static void
test_compute_matches_metrics(void **state)
{
    struct reg_model_signals s;
    struct reg_code_signals code;
    struct reg_dataset_signals ds[2];
    struct reg_rating r;
    struct reg_size_score z;

    (void)state;
    fill(&s, &code, ds);
    reg_rating_compute(&s, &r);
    assert_string_equal(r.name, "tiny-bert");
    assert_string_equal(r.category, "MODEL");
    assert_true(r.ramp_up_time == reg_rating_ramp_up_time(&s));
    assert_true(r.bus_factor == reg_rating_bus_factor(&s));
    assert_true(r.performance_claims == reg_rating_performance_claims(&s));
    assert_true(r.license == reg_rating_license_score(&s));
    assert_true(r.dataset_and_code_score == reg_rating_dataset_and_code_score(&s));
    assert_true(r.dataset_quality == reg_rating_dataset_quality(&s));
    assert_true(r.code_quality == reg_rating_code_quality(&s));
    assert_true(r.reproducibility == reg_rating_reproducibility(&s));
    assert_true(r.reviewedness == reg_rating_reviewedness(&s));
    assert_true(r.tree_score == reg_rating_tree_score(&s));
    reg_rating_size_score(&s, &z);
    assert_memory_equal(&r.size_score, &z, sizeof(z));
    assert_true(r.net_score == reg_rating_net_score(&r));
    /* spot values from the formulas */
    assert_true(r.license == 1.0);
    assert_true(NEAR(r.reviewedness, 0.7));
    assert_true(NEAR(r.tree_score, 0.7));
    assert_true(r.reproducibility == 1.0);
    assert_true(NEAR(r.size_score.raspberry_pi, 0.75));
    assert_true(r.dataset_and_code_score == 1.0);
}

static void
test_latency_covers_fetch(void **state)
{
    static const struct {
        const char *name;
        size_t off;
        double fetch;
    } cases[] = {
        {"ramp_up_time", offsetof(struct reg_rating, ramp_up_time_latency), 1.5},
        {"bus_factor", offsetof(struct reg_rating, bus_factor_latency), 1.75},
        {"performance_claims", offsetof(struct reg_rating, performance_claims_latency), 1.5},
        {"license", offsetof(struct reg_rating, license_latency), 1.5},
        {"size_score", offsetof(struct reg_rating, size_score_latency), 1.5},
        {"dataset_and_code_score", offsetof(struct reg_rating, dataset_and_code_score_latency),
         2.0},
        {"dataset_quality", offsetof(struct reg_rating, dataset_quality_latency), 0.25},
        {"code_quality", offsetof(struct reg_rating, code_quality_latency), 0.25},
        {"reproducibility", offsetof(struct reg_rating, reproducibility_latency), 1.5},
        {"reviewedness", offsetof(struct reg_rating, reviewedness_latency), 0.25},
        {"tree_score", offsetof(struct reg_rating, tree_score_latency), 0.0},
        {"net_score", offsetof(struct reg_rating, net_score_latency), 2.0},
    };
    struct reg_model_signals s;
    struct reg_code_signals code;
    struct reg_dataset_signals ds[2];
    struct reg_rating r;
    int bad = 0;

    (void)state;
    fill(&s, &code, ds);
    reg_rating_compute(&s, &r);
    for (int i = 0; i < NELEMS(cases); i++) {
        double got;

        memcpy(&got, (const char *)&r + cases[i].off, sizeof(got));
        /* at least the fetch time, and not another input's (compute takes far below 0.1 s) */
        CHECK(&bad, got >= cases[i].fetch && got < cases[i].fetch + 0.1,
              "%s_latency %.6f, fetch %.3f", cases[i].name, got, cases[i].fetch);
    }
    assert_int_equal(bad, 0);
}

static void
test_latency_bad_fetch_times(void **state)
{
    struct reg_model_signals s;
    struct reg_code_signals code;
    struct reg_dataset_signals ds[2];
    struct reg_rating r;

    (void)state;
    fill(&s, &code, ds);
    s.hub_seconds = -3.0;
    code.fetch_seconds = (double)NAN;
    ds[0].fetch_seconds = (double)INFINITY;
    reg_rating_compute(&s, &r);
    assert_true(r.ramp_up_time_latency >= 0.0 && r.ramp_up_time_latency < 0.1);
    assert_true(r.code_quality_latency >= 0.0 && r.code_quality_latency < 0.1);
    assert_true(r.dataset_quality_latency >= 0.125 && r.dataset_quality_latency < 0.2);
    assert_true(isfinite(r.net_score_latency) && r.net_score_latency >= 0.125);
}

static void
test_empty_signals(void **state)
{
    struct reg_model_signals s = {0};
    struct reg_rating r;
    char why[512];

    (void)state;
    reg_rating_compute(&s, &r);
    assert_string_equal(r.name, "");
    assert_string_equal(r.category, "MODEL");
    assert_true(r.reviewedness == -1.0);
    assert_true(r.tree_score == 1.0);
    assert_true(r.license == 0.0 && r.ramp_up_time == 0.0 && r.size_score.aws_server == 0.0);
    /* net = tree_score's weight alone (reviewedness -1 counts 0) */
    assert_true(NEAR(r.net_score, REG_RATING_W_TREE_SCORE));
    assert_false(reg_rating_gate(&r, REG_RATING_GATE_STRICT, why, sizeof(why)));
    assert_non_null(strstr(why, "size_score=0.00"));
    assert_null(strstr(why, "reviewedness"));
    assert_null(strstr(why, "tree_score"));
}

static void
test_name(void **state)
{
    struct reg_model_signals s = {0};
    struct reg_rating r;
    char long_name[400];

    (void)state;
    s.repo_id = "acme/tiny-bert";
    reg_rating_compute(&s, &r);
    assert_string_equal(r.name, "acme/tiny-bert"); /* no name: the id */
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    s.name = long_name;
    reg_rating_compute(&s, &r);
    assert_int_equal(strlen(r.name), REG_NAME_MAX);
    /* A two-byte character across the limit is dropped whole, not cut. */
    memcpy(long_name + REG_NAME_MAX - 1, "\xc3\xa9", 2);
    reg_rating_compute(&s, &r);
    assert_int_equal(strlen(r.name), REG_NAME_MAX - 1);
}

/* Many raters at once on the same signals agree (the metrics share nothing). */
struct parallel {
    const struct reg_model_signals *s;
    struct reg_rating r;
};

static void *
rate_one(void *arg)
{
    struct parallel *p = arg;

    reg_rating_compute(p->s, &p->r);
    return NULL;
}

static void
test_concurrent_raters(void **state)
{
    struct reg_model_signals s;
    struct reg_code_signals code;
    struct reg_dataset_signals ds[2];
    struct parallel p[8];
    pthread_t t[8];
    struct reg_rating want;

    (void)state;
    fill(&s, &code, ds);
    reg_rating_compute(&s, &want);
    for (int i = 0; i < 8; i++) {
        p[i].s = &s;
        assert_int_equal(pthread_create(&t[i], NULL, rate_one, &p[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_true(p[i].r.net_score == want.net_score);
        assert_true(p[i].r.ramp_up_time == want.ramp_up_time);
        assert_true(p[i].r.performance_claims == want.performance_claims);
        assert_memory_equal(&p[i].r.size_score, &want.size_score, sizeof(want.size_score));
    }
}

static void
set_all(struct reg_rating *r, double v)
{
    memset(r, 0, sizeof(*r));
    r->net_score = v;
    r->ramp_up_time = r->bus_factor = r->performance_claims = r->license = v;
    r->dataset_and_code_score = r->dataset_quality = r->code_quality = v;
    r->reproducibility = r->reviewedness = r->tree_score = v;
    r->size_score.raspberry_pi = r->size_score.jetson_nano = v;
    r->size_score.desktop_pc = r->size_score.aws_server = v;
}

static void
test_net_score(void **state)
{
    struct reg_rating r;
    double sum = REG_RATING_W_RAMP_UP_TIME + REG_RATING_W_BUS_FACTOR +
                 REG_RATING_W_PERFORMANCE_CLAIMS + REG_RATING_W_LICENSE + REG_RATING_W_SIZE_SCORE +
                 REG_RATING_W_DATASET_AND_CODE + REG_RATING_W_DATASET_QUALITY +
                 REG_RATING_W_CODE_QUALITY + REG_RATING_W_REPRODUCIBILITY +
                 REG_RATING_W_REVIEWEDNESS + REG_RATING_W_TREE_SCORE;

    (void)state;
    assert_true(NEAR(sum, 1.0));
    set_all(&r, 1.0);
    assert_true(NEAR(reg_rating_net_score(&r), 1.0));
    set_all(&r, 0.5);
    assert_true(NEAR(reg_rating_net_score(&r), 0.5));
    set_all(&r, 1.0);
    r.reviewedness = -1.0; /* counts 0: 1 - .05 */
    assert_true(NEAR(reg_rating_net_score(&r), 0.95));
    /* latencies take no part */
    r.ramp_up_time_latency = 1e9;
    r.net_score_latency = -1e9;
    assert_true(NEAR(reg_rating_net_score(&r), 0.95));
    /*
     * .10*.9 + .10*.8 + .10*.7 + .15*1 + .10*.5 + .05*.4 + .10*.6 + .10*1 + .05*.3 + .05*1
     * + .10 * mean(.2, .4, .9, 1) = .09+.08+.07+.15+.05+.02+.06+.10+.015+.05+.0625 = .7475
     */
    set_all(&r, 0.0);
    r.ramp_up_time = 0.9;
    r.bus_factor = 0.8;
    r.performance_claims = 0.7;
    r.license = 1.0;
    r.dataset_and_code_score = 0.5;
    r.dataset_quality = 0.4;
    r.code_quality = 0.6;
    r.reproducibility = 1.0;
    r.reviewedness = 0.3;
    r.tree_score = 1.0;
    r.size_score = (struct reg_size_score){0.2, 0.4, 0.9, 1.0};
    assert_true(NEAR(reg_rating_net_score(&r), 0.7475));
}

struct gate_case {
    const char *name;
    double value;
    size_t off; /* the field changed from an all-0.5 rating, or SIZE for all four devices */
    bool want;
    const char *why;
};

#define SIZE ((size_t)-1)
#define OFF(f) offsetof(struct reg_rating, f)

static void
test_gate(void **state)
{
    static const struct gate_case cases[] = {
        {"all at the minimum", 0.5, OFF(license), true, ""},
        {"licence just below", 0.49, OFF(license), false, "license=0.49"},
        {"net_score below", 0.4, OFF(net_score), false, "net_score=0.40"},
        {"no repository", -1.0, OFF(reviewedness), true, ""},
        {"little review", 0.3, OFF(reviewedness), false, "reviewedness=0.30"},
        {"tree_score below", 0.2, OFF(tree_score), false, "tree_score=0.20"},
        {"code_quality NaN", (double)NAN, OFF(code_quality), false, "code_quality=nan"},
        {"fits no device", 0.49, SIZE, false, "size_score=0.49"},
        {"a latency does not gate", 0.0, OFF(license_latency), true, ""},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_rating r;
        char why[256];
        bool ok;

        set_all(&r, 0.5);
        if (cases[i].off == SIZE)
            r.size_score = (struct reg_size_score){0.1, 0.2, 0.3, cases[i].value};
        else
            memcpy((char *)&r + cases[i].off, &cases[i].value, sizeof(double));
        ok = reg_rating_gate(&r, REG_RATING_GATE_STRICT, why, sizeof(why));
        CHECK(&bad, ok == cases[i].want && strcmp(why, cases[i].why) == 0,
              "%s: %d '%s', want %d '%s'", cases[i].name, ok, why, cases[i].want, cases[i].why);
    }
    assert_int_equal(bad, 0);
}

/* The default policy decides on net_score alone, and still names every weak metric. */
static void
test_gate_net_policy(void **state)
{
    struct reg_rating r;
    char why[256];

    (void)state;
    set_all(&r, 0.9);
    r.license = 0.0;
    assert_true(reg_rating_gate(&r, REG_RATING_GATE_NET, why, sizeof(why)));
    assert_string_equal(why, "");
    assert_false(reg_rating_gate(&r, REG_RATING_GATE_STRICT, why, sizeof(why)));
    assert_string_equal(why, "license=0.00");
    set_all(&r, 0.4);
    r.license = 0.9;
    assert_false(reg_rating_gate(&r, REG_RATING_GATE_NET, why, sizeof(why)));
    assert_true(strncmp(why, "net_score=0.40, ramp_up_time=0.40", 33) == 0);
    assert_null(strstr(why, "license"));
}

static void
test_gate_one_device_suffices(void **state)
{
    struct reg_rating r;
    char why[64];

    (void)state;
    set_all(&r, 0.9);
    r.size_score = (struct reg_size_score){0.0, 0.0, 0.1, 0.5};
    assert_true(reg_rating_gate(&r, REG_RATING_GATE_STRICT, why, sizeof(why)));
    assert_string_equal(why, "");
}

static void
test_gate_why_bounded(void **state)
{
    struct reg_rating r;
    char why[12];
    char full[512];

    (void)state;
    set_all(&r, 0.0);
    assert_false(reg_rating_gate(&r, REG_RATING_GATE_STRICT, full, sizeof(full)));
    assert_string_equal(full, "net_score=0.00, ramp_up_time=0.00, bus_factor=0.00, "
                              "performance_claims=0.00, license=0.00, "
                              "dataset_and_code_score=0.00, dataset_quality=0.00, "
                              "code_quality=0.00, reproducibility=0.00, reviewedness=0.00, "
                              "tree_score=0.00, size_score=0.00");
    memset(why, 'x', sizeof(why));
    assert_false(reg_rating_gate(&r, REG_RATING_GATE_STRICT, why, sizeof(why)));
    assert_int_equal(strlen(why), sizeof(why) - 1);
    assert_memory_equal(why, full, sizeof(why) - 1);
    assert_false(reg_rating_gate(&r, REG_RATING_GATE_STRICT, NULL, 0));
    assert_false(reg_rating_gate(&r, REG_RATING_GATE_STRICT, why, 0));
    set_all(&r, 1.0);
    assert_true(reg_rating_gate(&r, REG_RATING_GATE_STRICT, NULL, 0));
}

/* The contract's ModelRating keys, in its order. */
static const char *const keys[] = {
    "name",
    "category",
    "net_score",
    "net_score_latency",
    "ramp_up_time",
    "ramp_up_time_latency",
    "bus_factor",
    "bus_factor_latency",
    "performance_claims",
    "performance_claims_latency",
    "license",
    "license_latency",
    "dataset_and_code_score",
    "dataset_and_code_score_latency",
    "dataset_quality",
    "dataset_quality_latency",
    "code_quality",
    "code_quality_latency",
    "reproducibility",
    "reproducibility_latency",
    "reviewedness",
    "reviewedness_latency",
    "tree_score",
    "tree_score_latency",
    "size_score",
    "size_score_latency",
};

static void
sample_rating(struct reg_rating *r)
{
    set_all(r, 0.0);
    snprintf(r->name, sizeof(r->name), "whisper-tiny");
    snprintf(r->category, sizeof(r->category), "MODEL");
    r->net_score = 0.7049;
    r->net_score_latency = 1.23456;
    r->ramp_up_time = 0.857;
    r->ramp_up_time_latency = 0.0004;
    r->bus_factor = 0.93;
    r->performance_claims = 0.775; /* 2 decimals: 0.78 (or 0.77: binary 0.775 is below) */
    r->license = 1.0;
    r->reviewedness = -1.0;
    r->tree_score = 1.0;
    r->size_score = (struct reg_size_score){0.909, 0.931, 0.994, 1.0};
    r->size_score_latency = 0.0125;
}

static void
test_to_json(void **state)
{
    struct reg_rating r;
    struct json_object *o, *size, *v;
    const char *text;
    int i = 0;

    (void)state;
    sample_rating(&r);
    o = reg_rating_to_json(&r);
    json_object_object_foreach(o, key, val)
    {
        (void)val;
        assert_true(i < NELEMS(keys));
        assert_string_equal(key, keys[i]);
        i++;
    }
    assert_int_equal(i, NELEMS(keys));
    text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    assert_non_null(strstr(text, "\"name\":\"whisper-tiny\",\"category\":\"MODEL\","
                                 "\"net_score\":0.70,\"net_score_latency\":1.235,"
                                 "\"ramp_up_time\":0.86,\"ramp_up_time_latency\":0.000,"
                                 "\"bus_factor\":0.93,"));
    assert_non_null(strstr(text, "\"license\":1.00,"));
    assert_non_null(strstr(text, "\"reviewedness\":-1.00,"));
    assert_non_null(strstr(text, "\"size_score\":{\"raspberry_pi\":0.91,\"jetson_nano\":0.93,"
                                 "\"desktop_pc\":0.99,\"aws_server\":1.00},"
                                 "\"size_score_latency\":0.013}"));
    assert_true(json_object_object_get_ex(o, "size_score", &size));
    assert_true(json_object_object_get_ex(size, "jetson_nano", &v));
    assert_true(json_object_is_type(v, json_type_double));
    assert_true(NEAR(json_object_get_double(v), 0.93));
    json_object_put(o);
}

static void
test_json_no_negative_zero(void **state)
{
    struct reg_rating r;
    struct json_object *o;

    (void)state;
    set_all(&r, 0.0);
    r.bus_factor = -0.001;
    r.net_score_latency = (double)NAN;
    o = reg_rating_to_json(&r);
    assert_null(strstr(json_object_to_json_string(o), "-0.00"));
    assert_non_null(strstr(json_object_to_json_string(o), "\"net_score_latency\": 0.000"));
    json_object_put(o);
}

static void
test_round_trip(void **state)
{
    struct reg_model_signals s;
    struct reg_code_signals code;
    struct reg_dataset_signals ds[2];
    struct reg_rating r, back;
    struct json_object *o, *parsed;

    (void)state;
    fill(&s, &code, ds);
    reg_rating_compute(&s, &r);
    o = reg_rating_to_json(&r);
    parsed = json_tokener_parse(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    assert_non_null(parsed);
    assert_int_equal(reg_rating_from_json(parsed, &back), REG_OK);
    assert_string_equal(back.name, r.name);
    assert_string_equal(back.category, "MODEL");
    assert_true(fabs(back.net_score - r.net_score) <= 0.005 + 1e-12);
    assert_true(fabs(back.net_score_latency - r.net_score_latency) <= 0.0005 + 1e-12);
    assert_true(fabs(back.performance_claims - r.performance_claims) <= 0.005 + 1e-12);
    assert_true(fabs(back.reviewedness - r.reviewedness) <= 0.005 + 1e-12);
    assert_true(fabs(back.size_score.raspberry_pi - r.size_score.raspberry_pi) <= 0.005 + 1e-12);
    assert_true(fabs(back.size_score_latency - r.size_score_latency) <= 0.0005 + 1e-12);
    assert_true(fabs(back.tree_score_latency - r.tree_score_latency) <= 0.0005 + 1e-12);
    /* The stored form is a fixed point: out, in, out again gives the same text. */
    json_object_put(o);
    o = reg_rating_to_json(&back);
    assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
                        json_object_to_json_string_ext(parsed, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    json_object_put(parsed);
}

static void
expect_refused(const char *text, const char *detail)
{
    struct json_object *o = json_tokener_parse(text);
    struct reg_rating r;

    assert_non_null(o);
    assert_int_equal(reg_rating_from_json(o, &r), REG_EINVAL);
    if (!strstr(reg_error_detail(), detail))
        fail_msg("detail '%s' does not name '%s'", reg_error_detail(), detail);
    json_object_put(o);
}

static void
test_from_json_refuses(void **state)
{
    struct reg_rating good, r;
    struct json_object *o, *v;
    char name[REG_NAME_MAX + 2];

    (void)state;
    /* The Phase-1 sample line: integer latencies are fine, but the new metrics are missing. */
    expect_refused("{\"name\":\"bert-base-uncased\",\"category\":\"MODEL\",\"net_score\":0.95,"
                   "\"net_score_latency\":180,\"ramp_up_time\":0.90,\"ramp_up_time_latency\":45,"
                   "\"bus_factor\":0.95,\"bus_factor_latency\":25,\"performance_claims\":0.92,"
                   "\"performance_claims_latency\":35,\"license\":1.00,\"license_latency\":10,"
                   "\"size_score\":{\"raspberry_pi\":0.20,\"jetson_nano\":0.40,"
                   "\"desktop_pc\":0.95,\"aws_server\":1.00},\"size_score_latency\":50,"
                   "\"dataset_and_code_score\":1.00,\"dataset_and_code_score_latency\":15,"
                   "\"dataset_quality\":0.95,\"dataset_quality_latency\":20,"
                   "\"code_quality\":0.93,\"code_quality_latency\":22}",
                   "reproducibility");
    expect_refused("[1, 2]", "JSON object");
    expect_refused("{}", "name");
    expect_refused("{\"name\": 5}", "name");

    sample_rating(&good);
    o = reg_rating_to_json(&good);
    assert_int_equal(reg_rating_from_json(o, &r), REG_OK);
    assert_int_equal(reg_rating_from_json(NULL, &r), REG_EINVAL);

    json_object_object_add(o, "bus_factor", json_object_new_string("0.9"));
    assert_int_equal(reg_rating_from_json(o, &r), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "bus_factor"));
    json_object_object_add(o, "bus_factor", json_object_new_double((double)NAN));
    assert_int_equal(reg_rating_from_json(o, &r), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "bus_factor"));
    json_object_object_add(o, "bus_factor", json_object_new_int(1));
    assert_int_equal(reg_rating_from_json(o, &r), REG_OK);
    assert_true(r.bus_factor == 1.0);

    assert_true(json_object_object_get_ex(o, "size_score", &v));
    json_object_object_del(v, "aws_server");
    assert_int_equal(reg_rating_from_json(o, &r), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "aws_server"));
    json_object_object_add(o, "size_score", json_object_new_array());
    assert_int_equal(reg_rating_from_json(o, &r), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "size_score"));
    json_object_object_del(o, "size_score_latency");
    json_object_object_add(o, "size_score", reg_rating_to_json(&good));
    assert_int_equal(reg_rating_from_json(o, &r), REG_EINVAL); /* no devices in it */

    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    json_object_object_add(o, "name", json_object_new_string(name));
    assert_int_equal(reg_rating_from_json(o, &r), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "name"));
    json_object_put(o);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compute_matches_metrics),
        cmocka_unit_test(test_latency_covers_fetch),
        cmocka_unit_test(test_latency_bad_fetch_times),
        cmocka_unit_test(test_empty_signals),
        cmocka_unit_test(test_name),
        cmocka_unit_test(test_concurrent_raters),
        cmocka_unit_test(test_net_score),
        cmocka_unit_test(test_gate),
        cmocka_unit_test(test_gate_net_policy),
        cmocka_unit_test(test_gate_one_device_suffices),
        cmocka_unit_test(test_gate_why_bounded),
        cmocka_unit_test(test_to_json),
        cmocka_unit_test(test_json_no_negative_zero),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_from_json_refuses),
    };

    return cmocka_run_group_tests_name("rating/rating", tests, NULL, NULL);
}
