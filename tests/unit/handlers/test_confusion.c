/*
 * test_confusion.c - GET /PackageConfusionAudit (and /package-confusion-audit) through
 * reg_http_dispatch: admins only, its query checks, an empty registry, and a look-alike of a
 * popular model (fixture upstream figures, searches counted in the pool) listed with its
 * target, technique, score and every signal, filtered by min_score and type.
 */
#include "unit.h"

#include "dispatch_fixture.h"

#include <stdio.h>
#include <string.h>

#define HF "https://huggingface.co/"

static const char *const signals[] = {
    "name_similarity", "edit_distance",        "search_hits",         "target_search_hits",
    "downloads",       "target_downloads",     "upstream_popularity", "target_upstream_popularity",
    "popularity_gap",  "download_accounts",    "top_accounts_share",  "interval_cv",
    "burst_share",     "downloads_per_search", "traffic_anomaly",
};

static void
test_checks_and_empty(void **state)
{
    static const char *const bad_queries[] = {
        "min_score=-0.1", "min_score=1.5", "min_score=abc",  "min_score=1e-1",
        "min_score=",     "min_score=nan", "type=spaceship",
    };
    struct world *w = *state;
    struct answer a;
    int bad = 0;

    call(w, "GET", "/PackageConfusionAudit", NULL, NULL, false, &a);
    CHECK(&bad, a.status == 403 && is_error(&a, "authentication_failed", NULL), "no token: %d",
          a.status);
    login(w);
    expect(w, &bad, 200, "GET", "/PackageConfusionAudit", NULL, NULL, &a);
    CHECK(&bad, strcmp(a.body, "[]") == 0, "empty: %s", a.body);
    expect(w, &bad, 200, "GET", "/package-confusion-audit", "min_score=0.5&type=model", NULL, &a);
    CHECK(&bad, strcmp(a.body, "[]") == 0, "alias: %s", a.body);
    for (int i = 0; i < NELEMS(bad_queries); i++)
        expect_error(w, &bad, 400, "bad_request", NULL, "GET", "/PackageConfusionAudit",
                     bad_queries[i], NULL, &a);
    login_new_user(w, "searcher", "[\"search\",\"download\",\"upload\"]");
    expect_error(w, &bad, 401, "not_permitted", NULL, "GET", "/PackageConfusionAudit", NULL, NULL,
                 &a);
    assert_int_equal(bad, 0);
}

/* The first finding of an audit answer, as its own JSON text ("" if none). */
static const char *
first_finding(const char *body, char *out, size_t cap)
{
    struct json_object *doc = json_tokener_parse(body);

    out[0] = '\0';
    if (doc && json_object_is_type(doc, json_type_array) && json_object_array_length(doc) > 0)
        snprintf(out, cap, "%s",
                 json_object_to_json_string_ext(json_object_array_get_idx(doc, 0),
                                                JSON_C_TO_STRING_PLAIN));
    json_object_put(doc);
    return out;
}

static void
test_lookalike(void **state)
{
    struct world *w = *state;
    struct answer a;
    char id[64], f[4096], part[1024], text[128];
    int bad = 0;

    if (!w || !w->upstream)
        skip();
    login(w);
    register_url(w, "model", BERT_URL, id, sizeof(id));
    register_url(w, "model", HF "fixture-lab/bert-base-uncased-squad", id, sizeof(id));
    /* Searches by name make the original popular here too. */
    for (int i = 0; i < 3; i++)
        expect(w, &bad, 200, "GET", "/artifact/byName/bert-base-uncased", NULL, NULL, &a);
    expect(w, &bad, 200, "GET", "/PackageConfusionAudit", "min_score=0", NULL, &a);
    first_finding(a.body, f, sizeof(f));
    CHECK(&bad, f[0] != '\0', "a finding: %s", a.body);
    body_field(f, "suspect", part, sizeof(part));
    CHECK(&bad,
          strcmp(body_field(part, "name", text, sizeof(text)), "bert-base-uncased-squad") == 0,
          "suspect: %s", part);
    body_field(f, "target", part, sizeof(part));
    CHECK(&bad, strcmp(body_field(part, "name", text, sizeof(text)), "bert-base-uncased") == 0,
          "target: %s", part);
    CHECK(&bad, strcmp(body_field(f, "technique", text, sizeof(text)), "combo") == 0,
          "technique: %s", f);
    body_field(f, "signals", part, sizeof(part));
    for (int i = 0; i < NELEMS(signals); i++) {
        char key[64];
        snprintf(key, sizeof(key), "\"%s\":", signals[i]);
        CHECK(&bad, strstr(part, key) != NULL, "signal %s: %s", signals[i], part);
    }
    expect(w, &bad, 200, "GET", "/PackageConfusionAudit", "min_score=0&type=dataset", NULL, &a);
    CHECK(&bad, strcmp(a.body, "[]") == 0, "no datasets: %s", a.body);
    /* The searches were counted in the pool; unknown traffic figures are null. */
    CHECK(&bad, strstr(part, "\"target_search_hits\":3,") && strstr(part, "\"interval_cv\":null"),
          "signals: %s", part);
    /* Its score is below one half: a higher bar leaves it out. */
    CHECK(&bad, strstr(f, "\"score\":0.4") != NULL, "score: %s", f);
    expect(w, &bad, 200, "GET", "/PackageConfusionAudit", "min_score=0.5", NULL, &a);
    CHECK(&bad, strcmp(a.body, "[]") == 0, "above one half: %s", a.body);
    assert_int_equal(bad, 0);
}

static int
setup_pooled(void **state)
{
    return open_world(state, false, true);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_checks_and_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lookalike, setup_pooled, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
