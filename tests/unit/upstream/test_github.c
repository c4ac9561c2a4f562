/*
 * test_github.c - the GitHub fetcher (lib/upstream/github.c) against the fixture server
 * (REGISTRY_TEST_UPSTREAM_URL, started by scripts/run-unit.sh): the signals of the corpus
 * repositories, compared with what tests/unit/rating/corpus_loader.h reads from the recorded
 * files; unknown repositories; injected failures; the requests made. Also, without network,
 * the shared helpers (link extraction, ISO time, UTF-8 truncation) as tables of cases.
 */
#include "unit.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/status.h"
/* The loader's static functions this file does not call are no error. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "rating/corpus_loader.h"
#pragma GCC diagnostic pop
#include "upstream/fixture_control.h"
#include "upstream/github.h"

static enum reg_status
fetch(struct reg_arena *a, const char *id, struct reg_code_signals *out)
{
    struct reg_http_config cfg = fixture_http_config();

    return reg_gh_fetch_repo(&cfg, upstream, NULL, a, id, out);
}

/* ---------------------------------------------------------------- against the corpus */

/* Every recorded fact of the corpus repository equals the live answer's. */
static int
compare_with_corpus(const char *id, const struct reg_code_signals *got)
{
    struct reg_arena a;
    struct reg_code_signals want = {0};
    int bad = 0;

    reg_arena_init(&a);
    assert_true(corpus_code(&a, reg_arena_sprintf(&a, "https://github.com/%s", id), &want));
    CHECK(&bad, strcmp(got->repo_id, want.repo_id) == 0, "%s: repo_id %s", id, got->repo_id);
    CHECK(&bad,
          (!got->license_spdx && !want.license_spdx) ||
              (got->license_spdx && want.license_spdx &&
               strcmp(got->license_spdx, want.license_spdx) == 0),
          "%s: license %s, corpus %s", id, got->license_spdx ? got->license_spdx : "NULL",
          want.license_spdx ? want.license_spdx : "NULL");
    CHECK(&bad,
          (!got->readme && !want.readme) ||
              (got->readme && want.readme && strcmp(got->readme, want.readme) == 0),
          "%s: README differs", id);
    CHECK(&bad,
          got->stars == want.stars && got->forks == want.forks &&
              got->open_issues == want.open_issues,
          "%s: stars/forks/issues %lld/%lld/%lld", id, (long long)got->stars, (long long)got->forks,
          (long long)got->open_issues);
    CHECK(&bad, got->pushed_at == want.pushed_at, "%s: pushed_at %lld, corpus %lld", id,
          (long long)got->pushed_at, (long long)want.pushed_at);
    CHECK(&bad, got->ncontributors == want.ncontributors, "%s: %d contributors, corpus %d", id,
          got->ncontributors, want.ncontributors);
    for (int i = 0; i < got->ncontributors && i < want.ncontributors; i++)
        CHECK(&bad, got->contributions[i] == want.contributions[i],
              "%s: contributions[%d] %lld, corpus %lld", id, i, (long long)got->contributions[i],
              (long long)want.contributions[i]);
    CHECK(&bad, got->nfiles == want.nfiles, "%s: %d files, corpus %d", id, got->nfiles,
          want.nfiles);
    for (int i = 0; i < got->nfiles && i < want.nfiles; i++)
        CHECK(&bad,
              strcmp(got->files[i].path, want.files[i].path) == 0 &&
                  got->files[i].size == want.files[i].size,
              "%s: file %d %s", id, i, got->files[i].path);
    reg_arena_cleanup(&a);
    return bad;
}

static void
test_corpus_repositories(void **state)
{
    static const char *const ids[] = {
        "google-research/bert",
        "openai/whisper",
        "google-research/big_vision",
        "google-deepmind/bbeh",
        "kabirraymalik/gello-bimanual-ur3",
        "fixture-lab/bert-squad-finetune",
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(ids); i++) {
        struct reg_arena a;
        struct reg_code_signals c;
        enum reg_status st;

        reg_arena_init(&a);
        st = fetch(&a, ids[i], &c);
        CHECK(&bad, st == REG_OK, "%s: status %d (%s)", ids[i], st, reg_error_detail());
        if (st == REG_OK) {
            bad += compare_with_corpus(ids[i], &c);
            CHECK(&bad, c.commits_reviewed >= 0 && c.commits_reviewed <= c.commits_seen,
                  "%s: %d of %d reviewed", ids[i], c.commits_reviewed, c.commits_seen);
            printf("%-34s %3d contributors %4d files  %3d commits, %3d reviewed  %.3f s\n", ids[i],
                   c.ncontributors, c.nfiles, c.commits_seen, c.commits_reviewed, c.fetch_seconds);
        }
        reg_arena_cleanup(&a);
    }
    assert_int_equal(bad, 0);
}

static void
test_spot_values(void **state)
{
    struct reg_arena a;
    struct reg_code_signals c;

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(fetch(&a, "openai/whisper", &c), REG_OK);
    assert_string_equal(c.repo_id, "openai/whisper");
    assert_string_equal(c.license_spdx, "MIT");
    assert_int_equal(c.stars, 89158);
    assert_int_equal(c.ncontributors, 78); /* 79 minus dependabot */
    assert_int_equal(c.contributions[0], 72);
    assert_int_equal(c.nfiles, 45);
    /* 166 commits, one page of 100 fetched; the 20 pull requests checked cover the newest 51,
     * so only those are judged */
    assert_int_equal(c.commits_seen, 51);
    assert_true(c.commits_reviewed > 0 && c.commits_reviewed < c.commits_seen);
    assert_true(c.fetch_seconds > 0.0);
    assert_non_null(c.readme);

    /* Mixed case resolves like GitHub; anonymous contributors are kept. */
    assert_int_equal(fetch(&a, "Google-Research/BERT", &c), REG_OK);
    assert_string_equal(c.repo_id, "google-research/bert");
    assert_string_equal(c.license_spdx, "Apache-2.0");
    assert_int_equal(c.ncontributors, 30);
    for (int i = 1; i < c.ncontributors; i++)
        assert_true(c.contributions[i - 1] >= c.contributions[i]);
    assert_int_equal(c.nfiles, 21);

    /* No licence, no README, one contributor, hence no pull requests. */
    assert_int_equal(fetch(&a, "kabirraymalik/gello-bimanual-ur3", &c), REG_OK);
    assert_null(c.license_spdx);
    assert_null(c.readme);
    assert_int_equal(c.ncontributors, 1);
    assert_int_equal(c.commits_seen, 9);
    assert_int_equal(c.commits_reviewed, 0);

    /* The bot is left out. */
    assert_int_equal(fetch(&a, "fixture-lab/bert-squad-finetune", &c), REG_OK);
    assert_int_equal(c.ncontributors, 4);
    reg_arena_cleanup(&a);
}

/* Round 1 is the six documented calls; round 2 only reviews, at most REG_GH_MAX_PULLS. */
static void
test_requests_made(void **state)
{
    struct reg_arena a;
    struct reg_code_signals c;
    struct json_object *log, *reqs;
    int reviews = 0, other = 0;

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(fetch(&a, "openai/whisper", &c), REG_OK);
    log = control("GET", "/__fixture/log", NULL);
    assert_true(json_object_object_get_ex(log, "requests", &reqs));
    for (size_t i = 0; i < json_object_array_length(reqs); i++) {
        struct json_object *e = json_object_array_get_idx(reqs, i), *v;
        const char *path = "", *route = "";

        if (json_object_object_get_ex(e, "path", &v))
            path = json_object_get_string(v);
        if (json_object_object_get_ex(e, "route", &v))
            route = json_object_get_string(v);
        assert_string_not_equal(route, "unknown");
        if (strstr(path, "/reviews"))
            reviews++;
        else
            other++;
    }
    printf("round 1: %d requests, round 2: %d review requests\n", other, reviews);
    assert_int_equal(other, 6);
    assert_true(reviews > 0 && reviews <= REG_GH_MAX_PULLS);
    json_object_put(log);
    reg_arena_cleanup(&a);
}

/* ---------------------------------------------------------------- failures */

static void
test_unknown_repository(void **state)
{
    struct reg_arena a;
    struct reg_code_signals c;

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(fetch(&a, "no-such-owner/no-such-repo", &c), REG_ENOTFOUND);
    assert_string_equal(reg_error_detail(),
                        "repository no-such-owner/no-such-repo does not exist on GitHub");
    reg_arena_cleanup(&a);
}

static void
test_invalid_ids(void **state)
{
    static const char *const ids[] = {"",      "openai",    "openai/", "/whisper", "../x",
                                      "a/b/c", "openai/..", "o/r?x=1", "o/r#f",    "o r/x"};
    struct reg_arena a;
    struct reg_code_signals c;
    int bad = 0;

    (void)state;
    reg_arena_init(&a);
    for (int i = 0; i < NELEMS(ids); i++)
        CHECK(&bad, fetch(&a, ids[i], &c) == REG_EINVAL, "'%s' accepted", ids[i]);
    CHECK(&bad, fetch(&a, NULL, &c) == REG_EINVAL, "NULL accepted");
    reg_arena_cleanup(&a);
    assert_int_equal(bad, 0);
}

static void
expect_upstream(const char *fail_paths)
{
    struct reg_arena a;
    struct reg_code_signals c;
    char cfg[256];

    snprintf(cfg, sizeof(cfg), "{\"fail\": \"500\", \"fail_paths\": \"%s\"}", fail_paths);
    json_object_put(control("POST", "/__fixture/config", cfg));
    reg_arena_init(&a);
    assert_int_equal(fetch(&a, "openai/whisper", &c), REG_EUPSTREAM);
    printf("fail %s: %s\n", fail_paths, reg_error_detail());
    assert_non_null(strstr(reg_error_detail(), "openai/whisper"));
    reg_arena_cleanup(&a);
    reset_fixture(NULL);
}

static void
test_upstream_failures(void **state)
{
    (void)state;
    expect_upstream("^/repos/openai/whisper$");
    expect_upstream("/contributors");
    expect_upstream("/commits");
    expect_upstream("/reviews");
}

/* A failure that recovers within the attempts is no failure. */
static void
test_transient_failure(void **state)
{
    struct reg_arena a;
    struct reg_code_signals c;

    (void)state;
    json_object_put(
        control("POST", "/__fixture/config",
                "{\"fail\": \"500\", \"fail_paths\": \"/git/trees\", \"fail_count\": 1}"));
    reg_arena_init(&a);
    assert_int_equal(fetch(&a, "openai/whisper", &c), REG_OK);
    assert_int_equal(c.nfiles, 45);
    reg_arena_cleanup(&a);
}

/* ---------------------------------------------------------------- helpers, no network */

static void
test_find_repo_urls(void **state)
{
    static const struct {
        const char *text;
        const char *want[4];
    } cases[] = {
        {"see https://github.com/openai/whisper.", {"https://github.com/openai/whisper"}},
        {"git clone https://github.com/google-research/bert.git && x",
         {"https://github.com/google-research/bert"}},
        {"[a](https://github.com/pytorch/fairseq/tree/main/examples/roberta) and "
         "http://github.com/PyTorch/Fairseq",
         {"https://github.com/pytorch/fairseq"}},
        {"github.com/a/b github.com/c/d www.github.com/a/b",
         {"https://github.com/a/b", "https://github.com/c/d"}},
        {"github.com/onlyowner and github.com/ and github.com//x", {NULL}},
        {"", {NULL}},
    };
    struct reg_arena a;
    int bad = 0;

    (void)state;
    reg_arena_init(&a);
    for (int i = 0; i < NELEMS(cases); i++) {
        const char *urls[8];
        int n = 0, want = 0;

        reg_gh_find_repo_urls(&a, cases[i].text, urls, &n, 8);
        while (want < 4 && cases[i].want[want])
            want++;
        CHECK(&bad, n == want, "case %d: %d urls, want %d", i, n, want);
        for (int k = 0; k < n && k < want; k++)
            CHECK(&bad, strcmp(urls[k], cases[i].want[k]) == 0, "case %d: %s", i, urls[k]);
    }
    reg_arena_cleanup(&a);
    assert_int_equal(bad, 0);
}

static void
test_iso_time(void **state)
{
    static const struct {
        const char *iso;
        int64_t want;
    } cases[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"2024-02-29T10:57:33.000Z", 1709204253},
        {"2024-02-29T10:57:33Z", 1709204253},
        {"2000-03-01T00:00:00+00:00", 951868800},
        {"not a date", 0},
        {"2024-13-01T00:00:00Z", 0},
        {NULL, 0},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++)
        CHECK(&bad, reg_gh_iso_time(cases[i].iso) == cases[i].want, "%s: %lld",
              cases[i].iso ? cases[i].iso : "NULL", (long long)reg_gh_iso_time(cases[i].iso));
    assert_int_equal(bad, 0);
}

static void
test_text_copy_utf8(void **state)
{
    struct reg_arena a;
    const char *s = "ab\xc3\xa9"
                    "cd\xe2\x82\xac"; /* ab é cd € */

    (void)state;
    reg_arena_init(&a);
    assert_string_equal(reg_gh_text_copy(&a, s, strlen(s), 100), s);
    assert_string_equal(reg_gh_text_copy(&a, s, strlen(s), 3), "ab");
    assert_string_equal(reg_gh_text_copy(&a, s, strlen(s), 4), "ab\xc3\xa9");
    assert_string_equal(reg_gh_text_copy(&a, s, strlen(s), 8), "ab\xc3\xa9"
                                                               "cd");
    assert_string_equal(reg_gh_text_copy(&a, s, strlen(s), 0), "");
    assert_null(reg_gh_text_copy(&a, NULL, 0, 10));
    reg_arena_cleanup(&a);
}

#define TEST(f) cmocka_unit_test_setup(f, reset_fixture)

int
main(void)
{
    const struct CMUnitTest offline[] = {
        cmocka_unit_test(test_find_repo_urls),
        cmocka_unit_test(test_iso_time),
        cmocka_unit_test(test_text_copy_utf8),
    };
    const struct CMUnitTest online[] = {
        TEST(test_corpus_repositories), TEST(test_spot_values), TEST(test_requests_made),
        TEST(test_unknown_repository),  TEST(test_invalid_ids), TEST(test_upstream_failures),
        TEST(test_transient_failure),
    };
    const char *env = getenv(UPSTREAM_ENV);
    int failed;

    failed = cmocka_run_group_tests_name("upstream/github offline", offline, NULL, NULL);
    if (!env || !*env) {
        fprintf(stderr, "test_github: %s is not set; run through scripts/run-unit.sh.\n",
                UPSTREAM_ENV);
        return 1;
    }
    snprintf(upstream, sizeof(upstream), "%s", env);
    while (strlen(upstream) > 0 && upstream[strlen(upstream) - 1] == '/')
        upstream[strlen(upstream) - 1] = '\0';
    failed += cmocka_run_group_tests_name("upstream/github", online, NULL, NULL);
    return failed;
}
