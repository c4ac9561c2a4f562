/*
 * test_huggingface.c - the Hugging Face fetcher (lib/upstream/huggingface.c) against the
 * fixture server (REGISTRY_TEST_UPSTREAM_URL, started by scripts/run-unit.sh): the signals of
 * corpus models and datasets, compared with what tests/unit/rating/corpus_loader.h reads from
 * the recorded files; gated files; renamed datasets (307), and their new names remembered;
 * unknown ids; injected failures.
 * Finally the rating on signals fetched live (models, their first linked repository and their
 * datasets) against the course sample, as tests/unit/rating/test_calibration.c does on the
 * corpus.
 */
#include "unit.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/limits.h"
#include "base/status.h"
#include "rating/rating.h"
#include "upstream/github.h"
#include "upstream/hf_aliases.h"
#include "upstream/huggingface.h"
/* The loader's static functions this file does not call are no error. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "rating/corpus_loader.h"
#include "upstream/fixture_control.h"
#pragma GCC diagnostic pop

#define UPSTREAM_ENV "REGISTRY_TEST_UPSTREAM_URL"
#define TOLERANCE 0.05
#define MAX_DATASETS 16

static void
fixture_config(const char *json)
{
    json_object_put(control("POST", "/__fixture/config", json));
}

static enum reg_status
fetch_model(struct reg_arena *a, const char *id, const char *token, struct reg_model_signals *out)
{
    struct reg_http_config cfg = fixture_http_config();

    return reg_hf_fetch_model(&cfg, upstream, token, a, id, out);
}

static enum reg_status
fetch_dataset(struct reg_arena *a, const char *id, struct reg_dataset_signals *out)
{
    struct reg_http_config cfg = fixture_http_config();

    return reg_hf_fetch_dataset(&cfg, upstream, NULL, a, id, out);
}

/* The paths the fixture server was asked since its last reset, in one string ("a b c"), and
 * how many were redirects. */
static const char *
paths_asked(struct reg_arena *a, int *redirects)
{
    struct json_object *log = control("GET", "/__fixture/log", NULL), *reqs, *v;
    const char *out = "";

    *redirects = 0;
    assert_true(json_object_object_get_ex(log, "requests", &reqs));
    for (size_t i = 0; i < json_object_array_length(reqs); i++) {
        struct json_object *e = json_object_array_get_idx(reqs, i);

        assert_true(json_object_object_get_ex(e, "path", &v));
        out = reg_arena_sprintf(a, "%s%s%s", out, i ? " " : "", json_object_get_string(v));
        assert_true(json_object_object_get_ex(e, "route", &v));
        *redirects += strcmp(json_object_get_string(v), "hf.redirect") == 0;
    }
    json_object_put(log);
    return out;
}

static bool
same_str(const char *x, const char *y)
{
    return (!x && !y) || (x && y && strcmp(x, y) == 0);
}

/* The size of the file at path, -1 when not listed. */
static int64_t
file_size(const struct reg_file_info *files, int n, const char *path)
{
    for (int i = 0; i < n; i++)
        if (strcmp(files[i].path, path) == 0)
            return files[i].size;
    return -1;
}

/* ---------------------------------------------------------------- against the corpus */

/* Every fact the loader reads equals the live answer's. code_urls: the loader reads the
 * README only; the fetcher reads the README, then the card, so the loader's list is a
 * prefix of the fetcher's. */
static int
compare_model(const char *id, const struct reg_model_signals *got)
{
    struct corpus_model m;
    const struct reg_model_signals *w = &m.s;
    int bad = 0;

    assert_true(corpus_model_load(&m, id));
    CHECK(&bad, same_str(got->repo_id, w->repo_id), "%s: repo_id %s", id, got->repo_id);
    CHECK(&bad, same_str(got->readme, w->readme), "%s: README differs", id);
    CHECK(&bad, same_str(got->config_json, w->config_json), "%s: config.json differs", id);
    CHECK(&bad, (got->card_json == NULL) == (w->card_json == NULL), "%s: card_json presence", id);
    CHECK(&bad, same_str(got->license, w->license), "%s: license %s", id,
          got->license ? got->license : "NULL");
    CHECK(&bad, got->downloads == w->downloads && got->likes == w->likes,
          "%s: downloads/likes %lld/%lld", id, (long long)got->downloads, (long long)got->likes);
    CHECK(&bad, got->last_modified == w->last_modified, "%s: last_modified %lld", id,
          (long long)got->last_modified);
    CHECK(&bad, same_str(got->pipeline_tag, w->pipeline_tag), "%s: pipeline_tag", id);
    CHECK(&bad, same_str(got->library_name, w->library_name), "%s: library_name", id);
    CHECK(&bad, got->ntags == w->ntags, "%s: %d tags, corpus %d", id, got->ntags, w->ntags);
    for (int i = 0; i < got->ntags && i < w->ntags; i++)
        CHECK(&bad, strcmp(got->tags[i], w->tags[i]) == 0, "%s: tag %s", id, got->tags[i]);
    CHECK(&bad, got->nfiles == w->nfiles, "%s: %d files, corpus %d", id, got->nfiles, w->nfiles);
    for (int i = 0; i < got->nfiles && i < w->nfiles; i++)
        CHECK(&bad,
              strcmp(got->files[i].path, w->files[i].path) == 0 &&
                  got->files[i].size == w->files[i].size,
              "%s: file %s %lld", id, got->files[i].path, (long long)got->files[i].size);
    CHECK(&bad, got->ndatasets == w->ndatasets, "%s: %d datasets", id, got->ndatasets);
    for (int i = 0; i < got->ndatasets && i < w->ndatasets; i++)
        CHECK(&bad, strcmp(got->datasets[i], w->datasets[i]) == 0, "%s: dataset %s", id,
              got->datasets[i]);
    CHECK(&bad, got->ncode_urls >= w->ncode_urls, "%s: %d code urls, corpus %d", id,
          got->ncode_urls, w->ncode_urls);
    for (int i = 0; i < got->ncode_urls && i < w->ncode_urls; i++)
        CHECK(&bad, strcmp(got->code_urls[i], w->code_urls[i]) == 0, "%s: code url %s", id,
              got->code_urls[i]);
    corpus_model_free(&m);
    return bad;
}

static void
test_models_match_corpus(void **state)
{
    static const char *const ids[] = {
        "bert-base-uncased",
        "google-bert/bert-base-uncased",
        "openai/whisper-tiny",
        "parvk11/audience_classifier_model",
        "fixture-lab/bert-base-uncased-squad",
        "fixture-lab/distilbert-student-imdb",
        "fixture-lab/poor-metadata-model",
        "google/flan-t5-small",
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(ids); i++) {
        struct reg_arena a;
        struct reg_model_signals s;
        enum reg_status st;

        reg_arena_init(&a);
        st = fetch_model(&a, ids[i], NULL, &s);
        CHECK(&bad, st == REG_OK, "%s: status %d (%s)", ids[i], st, reg_error_detail());
        if (st == REG_OK) {
            bad += compare_model(ids[i], &s);
            printf("%-38s %2d files %2d datasets %2d code urls  %.3f s\n", ids[i], s.nfiles,
                   s.ndatasets, s.ncode_urls, s.hub_seconds);
        }
        reg_arena_cleanup(&a);
    }
    assert_int_equal(bad, 0);
}

static void
test_spot_values(void **state)
{
    struct reg_arena a;
    struct reg_model_signals s;

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(fetch_model(&a, "bert-base-uncased", NULL, &s), REG_OK);
    assert_string_equal(s.repo_id, "bert-base-uncased");
    assert_string_equal(s.license, "apache-2.0");
    assert_int_equal(s.downloads, 55476414);
    assert_int_equal(s.nfiles, 16);
    assert_int_equal(file_size(s.files, s.nfiles, "model.safetensors"), 440449768);
    assert_int_equal(file_size(s.files, s.nfiles, "config.json"), 570);
    assert_int_equal(s.ndatasets, 2);
    assert_string_equal(s.datasets[0], "bookcorpus");
    assert_string_equal(s.datasets[1], "wikipedia");
    assert_string_equal(s.code_urls[0], "https://github.com/google-research/bert");
    assert_non_null(s.config_json);
    assert_non_null(strstr(s.card_json, "\"license\":\"apache-2.0\""));
    assert_true(s.hub_seconds > 0.0);

    assert_int_equal(fetch_model(&a, "google-bert/bert-base-uncased", NULL, &s), REG_OK);
    assert_string_equal(s.repo_id, "google-bert/bert-base-uncased");
    assert_int_equal(s.downloads, 60478923);

    assert_int_equal(fetch_model(&a, "openai/whisper-tiny", NULL, &s), REG_OK);
    assert_string_equal(s.license, "apache-2.0");
    assert_string_equal(s.library_name, "transformers");
    assert_int_equal(s.downloads, 611131);
    assert_int_equal(s.nfiles, 16);
    assert_int_equal(s.ndatasets, 0);
    assert_string_equal(s.code_urls[0], "https://github.com/openai/whisper");
    assert_int_equal(s.last_modified, 1709204253);
    assert_int_equal(reg_rating_weight_bytes(s.files, s.nfiles), 151061672);

    assert_int_equal(fetch_model(&a, "parvk11/audience_classifier_model", NULL, &s), REG_OK);
    assert_null(s.license);
    assert_int_equal(s.ncode_urls, 0);
    assert_int_equal(reg_rating_weight_bytes(s.files, s.nfiles), 267857642);

    /* The fine-tuned model: base_model in the card, its code and dataset named. */
    assert_int_equal(fetch_model(&a, "fixture-lab/bert-base-uncased-squad", NULL, &s), REG_OK);
    assert_non_null(strstr(s.card_json, "\"base_model\":\"google-bert/bert-base-uncased\""));
    assert_int_equal(s.ndatasets, 1);
    assert_string_equal(s.datasets[0], "rajpurkar/squad");
    assert_string_equal(s.code_urls[0], "https://github.com/fixture-lab/bert-squad-finetune");
    assert_non_null(strstr(s.card_json, "model-index"));
    reg_arena_cleanup(&a);
}

/* config.json of a gated model is 401 without a token: absent, not an error. */
static void
test_gated_model(void **state)
{
    struct reg_arena a;
    struct reg_model_signals s;

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(fetch_model(&a, "google/gemma-2-2b", NULL, &s), REG_OK);
    assert_string_equal(s.license, "gemma");
    assert_non_null(s.readme); /* README.md is not gated */
    assert_null(s.config_json);
    assert_int_equal(s.nfiles, 12);

    assert_int_equal(fetch_model(&a, "google/gemma-2-2b", "hf_test_token", &s), REG_OK);
    assert_non_null(s.config_json);
    reg_arena_cleanup(&a);
}

static void
test_datasets(void **state)
{
    struct reg_arena a;
    struct reg_dataset_signals d;
    struct corpus_model m;

    (void)state;
    reg_arena_init(&a);
    /* Renamed: the Hub answers 307 to rajpurkar/squad for both calls. */
    assert_int_equal(fetch_dataset(&a, "squad", &d), REG_OK);
    assert_string_equal(d.repo_id, "rajpurkar/squad");
    assert_string_equal(d.license, "cc-by-sa-4.0");
    assert_int_equal(d.nfiles, 4);
    assert_non_null(d.readme);
    assert_true(d.fetch_seconds > 0.0);

    /* The same signals as the loader's, through the alias. */
    assert_true(corpus_model_load(&m, "bert-base-uncased"));
    assert_int_equal(fetch_dataset(&a, "bookcorpus", &d), REG_OK);
    assert_string_equal(d.repo_id, m.s.dataset_info[0].repo_id);
    assert_string_equal(d.license, m.s.dataset_info[0].license);
    assert_string_equal(d.readme, m.s.dataset_info[0].readme);
    assert_int_equal(d.downloads, m.s.dataset_info[0].downloads);
    assert_int_equal(d.nfiles, m.s.dataset_info[0].nfiles);
    assert_int_equal(d.ntags, m.s.dataset_info[0].ntags);
    corpus_model_free(&m);

    /* Gated "auto": the card is readable without a token. */
    assert_int_equal(fetch_dataset(&a, "LanguageShades/BiasShades", &d), REG_OK);
    assert_int_equal(d.nfiles, 44);
    assert_non_null(d.readme);

    assert_int_equal(fetch_dataset(&a, "wikipedia", &d), REG_ENOTFOUND);
    assert_string_equal(reg_error_detail(), "dataset wikipedia does not exist on Hugging Face");
    reg_arena_cleanup(&a);
}

/* ---------------------------------------------------------------- failures */

static void
test_unknown_model(void **state)
{
    struct reg_arena a;
    struct reg_model_signals s;

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(fetch_model(&a, "no-such-org/no-such-model", NULL, &s), REG_ENOTFOUND);
    assert_string_equal(reg_error_detail(),
                        "model no-such-org/no-such-model does not exist on Hugging Face");
    /* The Hub's answer to anonymous callers: 401 "Repository not found". */
    fixture_config("{\"hf_not_found_status\": 401}");
    assert_int_equal(fetch_model(&a, "no-such-org/no-such-model", NULL, &s), REG_ENOTFOUND);
    reg_arena_cleanup(&a);
}

static void
test_invalid_ids(void **state)
{
    static const char *const ids[] = {"",    "a/b/c", "../x", "org/..", "org/", "/x",
                                      "a b", "x?y=1", "x#y",  "x%2f..", "a//b"};
    struct reg_arena a;
    struct reg_model_signals s;
    struct reg_dataset_signals d;
    int bad = 0;

    (void)state;
    reg_arena_init(&a);
    for (int i = 0; i < NELEMS(ids); i++) {
        CHECK(&bad, fetch_model(&a, ids[i], NULL, &s) == REG_EINVAL, "model '%s' accepted", ids[i]);
        CHECK(&bad, fetch_dataset(&a, ids[i], &d) == REG_EINVAL, "dataset '%s' accepted", ids[i]);
    }
    CHECK(&bad, fetch_model(&a, NULL, NULL, &s) == REG_EINVAL, "NULL accepted");
    reg_arena_cleanup(&a);
    assert_int_equal(bad, 0);
}

/* Names longer than the Hub's 96 for new repositories (a public model's has 98) are asked of
 * the Hub (the fixture has none: 404), up to REG_REPO_SEGMENT_MAX; past it the id is refused. */
static void
test_long_names(void **state)
{
    char id[2 * REG_REPO_SEGMENT_MAX + 8];
    struct reg_arena a;
    struct reg_model_signals s;

    (void)state;
    reg_arena_init(&a);
    snprintf(id, sizeof(id), "parthvpatil18/%0*d", 98, 0);
    assert_true(reg_hf_repo_id_ok(id));
    assert_int_equal(fetch_model(&a, id, NULL, &s), REG_ENOTFOUND);
    snprintf(id, sizeof(id), "%0*d/%0*d", REG_REPO_SEGMENT_MAX, 1, REG_REPO_SEGMENT_MAX, 2);
    assert_true(reg_hf_repo_id_ok(id));
    assert_int_equal(fetch_model(&a, id, NULL, &s), REG_ENOTFOUND);
    snprintf(id, sizeof(id), "org/%0*d", REG_REPO_SEGMENT_MAX + 1, 3);
    assert_false(reg_hf_repo_id_ok(id));
    assert_int_equal(fetch_model(&a, id, NULL, &s), REG_EINVAL);
    snprintf(id, sizeof(id), "%0*d/name", REG_REPO_SEGMENT_MAX + 1, 4);
    assert_false(reg_hf_repo_id_ok(id));
    reg_arena_cleanup(&a);
}

static void
expect_upstream(const char *fail_paths, const char *fail)
{
    struct reg_arena a;
    struct reg_model_signals s;
    char cfg[256];

    snprintf(cfg, sizeof(cfg), "{\"fail\": \"%s\", \"fail_paths\": \"%s\"}", fail, fail_paths);
    fixture_config(cfg);
    reg_arena_init(&a);
    assert_int_equal(fetch_model(&a, "openai/whisper-tiny", NULL, &s), REG_EUPSTREAM);
    printf("fail %s %s: %s\n", fail, fail_paths, reg_error_detail());
    assert_non_null(strstr(reg_error_detail(), "openai/whisper-tiny"));
    reg_arena_cleanup(&a);
    reset_fixture(NULL);
}

static void
test_upstream_failures(void **state)
{
    (void)state;
    expect_upstream("^/api/models/", "500");
    expect_upstream("^/api/models/", "reset");
    expect_upstream("README.md", "500");
    expect_upstream("config.json", "500");
    expect_upstream("/refs$", "500");
}

/* The refs API's tags, every one as listed (which are versions is core/'s business); a
 * repository the refs route is missing for (404) or that has no tags has none, and is fetched
 * all the same. */
static void
test_refs_tags(void **state)
{
    struct reg_arena a;
    struct reg_model_signals s;
    struct reg_dataset_signals d;

    (void)state;
    reg_arena_init(&a);
    reset_fixture(NULL);
    assert_int_equal(fetch_model(&a, "google-bert/bert-base-uncased", NULL, &s), REG_OK);
    assert_int_equal(s.git_tags.n, 5); /* tests/fixtures/tags.json */
    assert_string_equal(s.git_tags.names[0], "v1");
    assert_string_equal(s.git_tags.names[4], "release-candidate");
    assert_int_equal(fetch_dataset(&a, "rajpurkar/squad", &d), REG_OK);
    assert_int_equal(d.git_tags.n, 3);
    assert_string_equal(d.git_tags.names[2], "2.0.0");
    assert_int_equal(fetch_model(&a, "distilbert-base-uncased", NULL, &s), REG_OK);
    assert_int_equal(s.git_tags.n, 0);
    fixture_config("{\"fail\": \"404\", \"fail_paths\": \"/refs$\"}");
    assert_int_equal(fetch_model(&a, "google-bert/bert-base-uncased", NULL, &s), REG_OK);
    assert_int_equal(s.git_tags.n, 0);
    assert_non_null(s.readme);
    reset_fixture(NULL);
    reg_arena_cleanup(&a);
}

/* One round of exactly the four documented calls. */
static void
test_requests_made(void **state)
{
    struct reg_arena a;
    struct reg_model_signals s;
    struct json_object *log, *reqs;
    int bad = 0;

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(fetch_model(&a, "openai/whisper-tiny", NULL, &s), REG_OK);
    log = control("GET", "/__fixture/log", NULL);
    assert_true(json_object_object_get_ex(log, "requests", &reqs));
    assert_int_equal(json_object_array_length(reqs), 4);
    for (size_t i = 0; i < 4; i++) {
        struct json_object *e = json_object_array_get_idx(reqs, i), *p;
        const char *path;

        assert_true(json_object_object_get_ex(e, "path", &p));
        path = json_object_get_string(p);
        CHECK(&bad,
              strcmp(path, "/api/models/openai/whisper-tiny?blobs=true") == 0 ||
                  strcmp(path, "/openai/whisper-tiny/resolve/main/README.md") == 0 ||
                  strcmp(path, "/openai/whisper-tiny/resolve/main/config.json") == 0 ||
                  strcmp(path, "/api/models/openai/whisper-tiny/refs") == 0,
              "unexpected request %s", path);
    }
    json_object_put(log);
    reg_arena_cleanup(&a);
    assert_int_equal(bad, 0);
}

/* A renamed dataset's new name is remembered: the next fetch asks it at once, without the
 * redirect; a remembered name that is no longer found is forgotten and the old one asked. */
static void
test_renamed_remembered(void **state)
{
    struct reg_arena a;
    struct reg_dataset_signals d;
    const char *paths;
    int redirects;

    (void)state;
    reg_arena_init(&a);
    reg_hf_alias_clear();
    assert_int_equal(fetch_dataset(&a, "squad", &d), REG_OK);
    paths = paths_asked(&a, &redirects);
    printf("first:  %s\n", paths);
    assert_int_equal(redirects, 3); /* info, card and refs */
    assert_string_equal(reg_hf_alias_lookup(&a, "dataset", "squad"), "rajpurkar/squad");
    assert_null(reg_hf_alias_lookup(&a, "model", "squad"));

    reset_fixture(NULL);
    assert_int_equal(fetch_dataset(&a, "squad", &d), REG_OK);
    assert_string_equal(d.repo_id, "rajpurkar/squad");
    assert_int_equal(d.nfiles, 4);
    paths = paths_asked(&a, &redirects);
    printf("second: %s\n", paths);
    assert_int_equal(redirects, 0);
    assert_non_null(strstr(paths, "/api/datasets/rajpurkar/squad?blobs=true"));
    assert_non_null(strstr(paths, "/datasets/rajpurkar/squad/resolve/main/README.md"));

    reset_fixture(NULL);
    reg_hf_alias_learn("dataset", "squad", "rajpurkar/missing-squad");
    assert_int_equal(fetch_dataset(&a, "squad", &d), REG_OK);
    assert_string_equal(d.repo_id, "rajpurkar/squad");
    paths = paths_asked(&a, &redirects);
    printf("stale:  %s\n", paths);
    assert_non_null(strstr(paths, "/api/datasets/rajpurkar/missing-squad?blobs=true"));
    assert_int_equal(redirects, 3);
    assert_string_equal(reg_hf_alias_lookup(&a, "dataset", "squad"), "rajpurkar/squad");

    /* Not renamed: nothing learned. */
    assert_int_equal(fetch_dataset(&a, "rajpurkar/squad", &d), REG_OK);
    assert_null(reg_hf_alias_lookup(&a, "dataset", "rajpurkar/squad"));
    reg_hf_alias_clear();
    reg_arena_cleanup(&a);
}

/* ---------------------------------------------------------------- live calibration */

/* What ingest will do: the model, its first fetchable linked repository, its datasets. */
static void
fetch_all_signals(struct reg_arena *a, const char *id, struct reg_model_signals *s)
{
    struct reg_http_config cfg = fixture_http_config();
    struct reg_code_signals *code = reg_arena_alloc(a, sizeof(*code));
    struct reg_dataset_signals *ds = reg_arena_alloc(a, MAX_DATASETS * sizeof(*ds));
    const char *slash = strrchr(id, '/');

    assert_int_equal(reg_hf_fetch_model(&cfg, upstream, NULL, a, id, s), REG_OK);
    s->name = slash ? slash + 1 : id;
    for (int i = 0; i < s->ncode_urls && !s->code; i++)
        if (reg_gh_fetch_repo(&cfg, upstream, NULL, a,
                              s->code_urls[i] + strlen("https://github.com/"), code) == REG_OK)
            s->code = code;
    for (int i = 0; i < s->ndatasets && s->ndataset_info < MAX_DATASETS; i++)
        if (reg_hf_fetch_dataset(&cfg, upstream, NULL, a, s->datasets[i], &ds[s->ndataset_info]) ==
            REG_OK)
            s->ndataset_info++;
    s->dataset_info = ds;
}

/* The calibrated attributes, in the sample's order. */
static void
calibrated(const struct reg_rating *r, double v[8])
{
    v[0] = r->ramp_up_time;
    v[1] = r->bus_factor;
    v[2] = r->performance_claims;
    v[3] = r->license;
    v[4] = r->size_score.raspberry_pi;
    v[5] = r->size_score.jetson_nano;
    v[6] = r->size_score.desktop_pc;
    v[7] = r->size_score.aws_server;
}

/* Live signals rate like the sample (within TOLERANCE) and exactly like the corpus's. */
static void
test_live_calibration(void **state)
{
    static const struct {
        const char *id;
        double want[8];
    } samples[] = {
        {"bert-base-uncased", {0.90, 0.95, 0.92, 1.00, 0.20, 0.40, 0.95, 1.00}},
        {"google-bert/bert-base-uncased", {0.90, 0.95, 0.92, 1.00, 0.20, 0.40, 0.95, 1.00}},
        {"openai/whisper-tiny", {0.85, 0.90, 0.80, 1.00, 0.90, 0.95, 1.00, 1.00}},
        {"parvk11/audience_classifier_model", {0.25, 0.33, 0.15, 0.00, 0.75, 0.80, 1.00, 1.00}},
    };
    static const char *const names[8] = {
        "ramp_up_time",      "bus_factor",       "performance_claims", "license",
        "size.raspberry_pi", "size.jetson_nano", "size.desktop_pc",    "size.aws_server"};
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(samples); i++) {
        struct reg_arena a;
        struct reg_model_signals s;
        struct corpus_model m;
        struct reg_rating live, rec;
        double got[8], corp[8];

        reg_arena_init(&a);
        fetch_all_signals(&a, samples[i].id, &s);
        reg_rating_compute(&s, &live);
        assert_true(corpus_model_load(&m, samples[i].id));
        reg_rating_compute(&m.s, &rec);
        calibrated(&live, got);
        calibrated(&rec, corp);
        printf("\n%-22s %6s %6s %6s\n", samples[i].id, "live", "corpus", "sample");
        for (int k = 0; k < 8; k++) {
            printf("  %-20s %6.3f %6.3f %6.2f\n", names[k], got[k], corp[k], samples[i].want[k]);
            CHECK(&bad, fabs(got[k] - samples[i].want[k]) <= TOLERANCE, "%s %s: %.3f, sample %.2f",
                  samples[i].id, names[k], got[k], samples[i].want[k]);
            CHECK(&bad, fabs(got[k] - corp[k]) < 1e-9, "%s %s: live %.3f, corpus %.3f",
                  samples[i].id, names[k], got[k], corp[k]);
        }
        printf("  %-20s %6.3f %6.3f   (history: %d of %d commits reviewed)\n", "reviewedness",
               live.reviewedness, rec.reviewedness, s.code ? s.code->commits_reviewed : 0,
               s.code ? s.code->commits_seen : 0);
        printf("  %-20s %6.3f %6.3f\n  %-20s %6.3f %6.3f\n  %-20s %6.3f %6.3f\n", "net_score",
               live.net_score, rec.net_score, "dataset_quality", live.dataset_quality,
               rec.dataset_quality, "code_quality", live.code_quality, rec.code_quality);
        corpus_model_free(&m);
        reg_arena_cleanup(&a);
    }
    assert_int_equal(bad, 0);
}

#define TEST(f) cmocka_unit_test_setup(f, reset_fixture)

int
main(void)
{
    const struct CMUnitTest online[] = {
        TEST(test_models_match_corpus), TEST(test_spot_values),
        TEST(test_gated_model),         TEST(test_datasets),
        TEST(test_unknown_model),       TEST(test_invalid_ids),
        TEST(test_long_names),          TEST(test_upstream_failures),
        TEST(test_requests_made),       TEST(test_renamed_remembered),
        TEST(test_refs_tags),           TEST(test_live_calibration),
    };
    const char *env = getenv(UPSTREAM_ENV);

    if (!env || !*env) {
        fprintf(stderr, "test_huggingface: %s is not set; run through scripts/run-unit.sh.\n",
                UPSTREAM_ENV);
        return 1;
    }
    snprintf(upstream, sizeof(upstream), "%s", env);
    while (strlen(upstream) > 0 && upstream[strlen(upstream) - 1] == '/')
        upstream[strlen(upstream) - 1] = '\0';
    return cmocka_run_group_tests_name("upstream/huggingface", online, NULL, NULL);
}
