/*
 * test_health.c - the health routes through reg_http_dispatch: GET /health (and its warning
 * about a public admin password on a public address), /tracks, /health/components (what
 * anyone sees and what only an admin sees; each component's status from the store, the worker
 * pool, the upstreams, the disk and the monitor runtime; the timeline; the query checks),
 * /health/activity (what the workers counted in the pool's shared memory) and /health/logs
 * (the tail, paging with before, a line cut by the read window, the query checks, no log).
 * The pooled tests map the pool's shared status as registryd's master does.
 */
#include "unit.h"

#include "dispatch_fixture.h"

#include <stdio.h>
#include <string.h>

/* The component id of a /health/components body, as its own JSON text in out ("" if absent). */
static const char *
component(const char *body, const char *id, char *out, size_t cap)
{
    struct json_object *doc = json_tokener_parse(body), *list;

    out[0] = '\0';
    if (doc && json_object_object_get_ex(doc, "components", &list))
        for (size_t i = 0; i < json_object_array_length(list); i++) {
            struct json_object *c = json_object_array_get_idx(list, i), *v;
            if (json_object_object_get_ex(c, "id", &v) &&
                strcmp(json_object_get_string(v), id) == 0)
                snprintf(out, cap, "%s", json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN));
        }
    json_object_put(doc);
    return out;
}

/* Whether component id of body has status status. */
static bool
status_is(const char *body, const char *id, const char *status)
{
    char c[4096], s[32];

    return strcmp(body_field(component(body, id, c, sizeof(c)), "status", s, sizeof(s)), status) ==
           0;
}

static void
test_health_and_tracks(void **state)
{
    struct world *w = *state;
    struct answer a;
    int bad = 0;

    expect(w, &bad, 200, "GET", "/health", NULL, NULL, &a);
    CHECK(&bad, strcmp(a.body, "{\"status\":\"ok\"}") == 0, "a sound configuration: %s", a.body);
    /* The contract's admin password on an address others can reach: said wherever health is
     * looked at. */
    w->app->config.listen = "0.0.0.0";
    expect(w, &bad, 200, "GET", "/health", NULL, NULL, &a);
    CHECK(&bad, strstr(a.body, "\"warnings\":[\"REGISTRY_ADMIN_PASSWORD is unset") != NULL,
          "warning: %s", a.body);
    w->app->config.listen = "127.0.0.1";
    expect(w, &bad, 200, "GET", "/tracks", NULL, NULL, &a);
    CHECK(&bad,
          strcmp(a.body, "{\"plannedTracks\":[\"Performance track\",\"Access control track\","
                         "\"High assurance track\",\"Other Security track\"]}") == 0,
          "tracks: %s", a.body);
    assert_int_equal(bad, 0);
}

/* Without a pool (a process outside registryd): its figures are unknown. Anyone sees ids and
 * statuses; an admin sees descriptions, metrics and issue details too. */
static void
test_components_views(void **state)
{
    struct world *w = *state;
    struct answer a;
    char c[4096];
    int bad = 0;

    expect(w, &bad, 200, "GET", "/health/components", NULL, NULL, &a);
    CHECK(&bad, status_is(a.body, "store", "ok"), "store: %s", a.body);
    CHECK(&bad, status_is(a.body, "worker-pool", "unknown"), "no pool: %s", a.body);
    CHECK(&bad, status_is(a.body, "upstream-huggingface", "unknown"), "hf: %s", a.body);
    CHECK(&bad, status_is(a.body, "disk", "ok") || status_is(a.body, "disk", "degraded"),
          "disk: %s", a.body);
    CHECK(&bad, component(a.body, "monitor-runtime", c, sizeof(c))[0] != '\0', "monitor runtime");
    CHECK(&bad, strstr(a.body, "\"metrics\"") == NULL && strstr(a.body, "description") == NULL,
          "the public view has no metrics or descriptions: %s", a.body);
    CHECK(&bad, strstr(a.body, "\"window_minutes\":60") != NULL, "default window: %s", a.body);

    login(w);
    expect(w, &bad, 200, "GET", "/health/components", "windowMinutes=5", NULL, &a);
    component(a.body, "store", c, sizeof(c));
    CHECK(&bad, strstr(c, "\"backend\":\"sqlite\"") && strstr(c, "\"artifacts\":0"),
          "an admin sees the store's metrics: %s", c);
    component(a.body, "upstream-github", c, sizeof(c));
    /* Without a pool nothing was counted: unknown, with no issue to guess at. */
    CHECK(&bad, strstr(c, "\"status\":\"unknown\"") && strstr(c, "\"issues\":[]"), "github: %s", c);
    component(a.body, "disk", c, sizeof(c));
    CHECK(&bad, strstr(c, "\"free_bytes\"") && strstr(c, "\"total_bytes\""), "disk: %s", c);
    component(a.body, "monitor-runtime", c, sizeof(c));
    CHECK(&bad, strstr(c, "\"node\"") && strstr(c, "\"timeout_ms\""), "monitor: %s", c);
    CHECK(&bad, strstr(a.body, "\"window_minutes\":5") != NULL, "window: %s", a.body);

    expect_error(w, &bad, 400, "bad_request", "windowMinutes", "GET", "/health/components",
                 "windowMinutes=4", NULL, &a);
    expect_error(w, &bad, 400, "bad_request", "windowMinutes", "GET", "/health/components",
                 "windowMinutes=1441", NULL, &a);
    expect_error(w, &bad, 400, "bad_request", "includeTimeline", "GET", "/health/components",
                 "includeTimeline=yes", NULL, &a);
    expect_error(w, &bad, 400, "bad_request", "windowMinutes", "GET", "/health/activity",
                 "windowMinutes=0", NULL, &a);
    assert_int_equal(bad, 0);
}

/* With the pool: its workers, its timeline and the activity the dispatches counted. */
static void
test_pool_and_activity(void **state)
{
    struct world *w = *state;
    struct answer a;
    char c[8192];
    int bad = 0;

    login(w);
    for (int i = 0; i < 3; i++)
        expect(w, &bad, 200, "GET", "/tracks", NULL, NULL, &a);
    expect(w, &bad, 404, "GET", "/no/such/route", NULL, NULL, &a);
    expect(w, &bad, 404, "GET", "/artifacts/model/123", NULL, NULL, &a);
    expect(w, &bad, 200, "GET", "/health/components", "windowMinutes=5&includeTimeline=true", NULL,
           &a);
    component(a.body, "worker-pool", c, sizeof(c));
    CHECK(&bad, status_is(a.body, "worker-pool", "ok"), "pool: %s", c);
    CHECK(&bad, strstr(c, "\"workers_configured\":2") && strstr(c, "\"workers_alive\":2"),
          "workers: %s", c);
    /* login, three tracks, two 404s: counted before this request. */
    CHECK(&bad, strstr(c, "\"requests_total\":6") != NULL, "requests_total: %s", c);
    {
        struct json_object *doc = json_tokener_parse(c), *tl;
        int n = 0, requests = 0;

        assert_true(json_object_object_get_ex(doc, "timeline", &tl));
        for (size_t i = 0; i < json_object_array_length(tl); i++) {
            struct json_object *e = json_object_array_get_idx(tl, i), *u, *v;
            json_object_object_get_ex(e, "unit", &u);
            json_object_object_get_ex(e, "value", &v);
            if (strcmp(json_object_get_string(u), "requests/min") == 0)
                requests += json_object_get_int(v);
            n++;
        }
        CHECK(&bad, n == 10, "two series of five minutes: %d", n);
        CHECK(&bad, requests == 6, "requests in the window: %d", requests);
        json_object_put(doc);
    }

    /* Workers lost: degraded, then critical. */
    w->pool->workers_alive = 1;
    expect(w, &bad, 200, "GET", "/health/components", NULL, NULL, &a);
    CHECK(&bad, status_is(a.body, "worker-pool", "degraded"), "one of two: %s", a.body);
    CHECK(&bad, strstr(a.body, "workers_missing") != NULL, "the issue: %s", a.body);
    w->pool->workers_alive = 0;
    expect(w, &bad, 200, "GET", "/health/components", NULL, NULL, &a);
    CHECK(&bad, status_is(a.body, "worker-pool", "critical"), "none: %s", a.body);
    w->pool->workers_alive = 2;

    expect(w, &bad, 200, "GET", "/health/activity", "windowMinutes=1440", NULL, &a);
    CHECK(&bad, strstr(a.body, "\"window_minutes\":60") != NULL, "clipped to the stats': %s",
          a.body);
    CHECK(&bad, strstr(a.body, "{\"route\":\"GET /tracks\",\"requests\":3,\"errors\":0") != NULL,
          "tracks counted: %s", a.body);
    CHECK(&bad, strstr(a.body, "{\"route\":\"(no route)\",\"requests\":1,") != NULL,
          "the unrouted one: %s", a.body);
    CHECK(&bad, strstr(a.body, "\"client_errors\":1") != NULL, "a 404 is a client error: %s",
          a.body);
    CHECK(&bad, strstr(a.body, "{\"type\":\"model\",\"requests\":1}") != NULL, "per type: %s",
          a.body);
    CHECK(&bad, strstr(a.body, "\"scans\":{\"files\":{") != NULL, "scans: %s", a.body);
    assert_int_equal(bad, 0);
}

/* An upstream's last call failed: degraded, its error only for an admin. */
static void
test_upstream_failure(void **state)
{
    struct world *w = *state;
    struct answer a;
    char c[4096];
    int bad = 0;

    if (!w || !w->upstream)
        skip();
    login(w);
    json_object_put(control("POST", "/__fixture/config", "{\"fail\":\"404\"}"));
    expect(w, &bad, 400, "POST", "/artifact/model", NULL,
           "{\"url\":\"https://huggingface.co/google-bert/bert-base-uncased\"}", &a);
    reset_fixture(NULL);
    expect(w, &bad, 200, "GET", "/health/components", NULL, NULL, &a);
    component(a.body, "upstream-huggingface", c, sizeof(c));
    CHECK(&bad,
          status_is(a.body, "upstream-huggingface", "degraded") ||
              status_is(a.body, "upstream-huggingface", "ok"),
          "hf after a 404: %s", c);
    CHECK(&bad, strstr(c, "\"calls_failed\"") != NULL, "an admin sees the counts: %s", c);

    register_url(w, "model", BERT_URL, c, sizeof(c));
    expect(w, &bad, 200, "GET", "/health/components", NULL, NULL, &a);
    component(a.body, "upstream-huggingface", c, sizeof(c));
    CHECK(&bad, status_is(a.body, "upstream-huggingface", "ok"), "hf after a success: %s", c);
    CHECK(&bad, strstr(c, "\"last_ok\"") != NULL, "last_ok: %s", c);

    json_object_put(control("POST", "/__fixture/config", "{\"fail\":\"500\"}"));
    expect(w, &bad, 502, "POST", "/artifact/model", NULL,
           "{\"url\":\"https://huggingface.co/openai/whisper-tiny\"}", &a);
    reset_fixture(NULL);
    expect(w, &bad, 200, "GET", "/health/components", NULL, NULL, &a);
    component(a.body, "upstream-huggingface", c, sizeof(c));
    CHECK(&bad, status_is(a.body, "upstream-huggingface", "degraded"), "hf failing: %s", c);
    CHECK(&bad, strstr(c, "last_call_failed") && strstr(c, "\"details\""), "admin details: %s", c);
    call(w, "GET", "/health/components", NULL, NULL, false, &a);
    component(a.body, "upstream-huggingface", c, sizeof(c));
    CHECK(&bad, strstr(c, "last_call_failed") && !strstr(c, "\"details\""),
          "anyone sees the code, not the details: %s", c);
    assert_int_equal(bad, 0);
}

/* Appends lines to the world's log. */
static void
append_log(struct world *w, const char *text)
{
    char path[300];
    FILE *f;

    snprintf(path, sizeof(path), "%s/log/registryd.log", w->root);
    f = fopen(path, "a");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The JSON "lines" of a /health/logs answer, and its "before" (-1 when null). */
static int
log_lines(const char *body, char first[128], int64_t *before)
{
    struct json_object *doc = json_tokener_parse(body), *lines, *b;
    int n = -1;

    first[0] = '\0';
    *before = -1;
    if (doc && json_object_object_get_ex(doc, "lines", &lines)) {
        n = (int)json_object_array_length(lines);
        if (n)
            snprintf(first, 128, "%s", json_object_get_string(json_object_array_get_idx(lines, 0)));
    }
    if (doc && json_object_object_get_ex(doc, "before", &b) && b)
        *before = json_object_get_int64(b);
    json_object_put(doc);
    return n;
}

static void
test_logs(void **state)
{
    struct world *w = *state;
    struct answer a;
    char first[128], path[300], query[64];
    int64_t before;
    int bad = 0;

    login(w);
    append_log(w, "line 2\nline 3\nline 4\n");
    expect(w, &bad, 200, "GET", "/health/logs", NULL, NULL, &a);
    CHECK(&bad, log_lines(a.body, first, &before) == 4 && before == -1, "the whole log: %s",
          a.body);
    expect(w, &bad, 200, "GET", "/health/logs", "lines=2", NULL, &a);
    CHECK(&bad, log_lines(a.body, first, &before) == 2 && strcmp(first, "line 3") == 0,
          "the last two: %s", a.body);
    /* The page before them. */
    snprintf(query, sizeof(query), "lines=2&before=%lld", (long long)before);
    expect(w, &bad, 200, "GET", "/health/logs", query, NULL, &a);
    CHECK(&bad,
          log_lines(a.body, first, &before) == 2 && before == -1 &&
              strncmp(first, "2026-01-01", 10) == 0,
          "the first two: %s", a.body);
    expect_error(w, &bad, 400, "bad_request", "lines", "GET", "/health/logs", "lines=0", NULL, &a);
    expect_error(w, &bad, 400, "bad_request", "lines", "GET", "/health/logs", "lines=1001", NULL,
                 &a);
    expect_error(w, &bad, 400, "bad_request", "before", "GET", "/health/logs", "before=-5", NULL,
                 &a);

    /* A log larger than one read: the line the read window cuts is not returned. */
    {
        static char big[300 * 1024];
        size_t used = 0;

        for (int i = 0; used + 64 < sizeof(big); i++)
            used += (size_t)snprintf(big + used, sizeof(big) - used, "filler line %06d\n", i);
        append_log(w, big);
        append_log(w, "the last line\n");
    }
    expect(w, &bad, 200, "GET", "/health/logs", "lines=300", NULL, &a);
    CHECK(&bad,
          log_lines(a.body, first, &before) == 300 && before > 0 &&
              strncmp(first, "filler line ", 12) == 0,
          "a page of the big log: %s", first);
    /* The oldest line a read returns starts a line of the file. */
    snprintf(query, sizeof(query), "lines=300&before=%lld", (long long)before);
    expect(w, &bad, 200, "GET", "/health/logs", query, NULL, &a);
    {
        struct json_object *doc = json_tokener_parse(a.body), *b;
        snprintf(path, sizeof(path), "%s/log/registryd.log", w->root);
        FILE *f = fopen(path, "rb");
        int64_t at = -1;

        assert_non_null(f);
        if (doc && json_object_object_get_ex(doc, "before", &b) && b)
            at = json_object_get_int64(b);
        CHECK(&bad, at > 0 && fseeko(f, (off_t)(at - 1), SEEK_SET) == 0 && fgetc(f) == '\n',
              "a whole first line, at %lld", (long long)at);
        fclose(f);
        json_object_put(doc);
    }
    expect(w, &bad, 200, "GET", "/health/logs", "lines=1", NULL, &a);
    CHECK(&bad, strstr(a.body, "the last line") != NULL, "the last line: %s", a.body);

    /* No log file at all. */
    snprintf(path, sizeof(path), "%s/log/registryd.log", w->root);
    assert_int_equal(unlink(path), 0);
    expect_error(w, &bad, 404, "not_found", "no log file", "GET", "/health/logs", NULL, NULL, &a);
    assert_int_equal(bad, 0);
}

static int
setup_pooled(void **state)
{
    use_upstream();
    return open_world(state, false, true);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_health_and_tracks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_components_views, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_and_activity, setup_pooled, teardown),
        cmocka_unit_test_setup_teardown(test_upstream_failure, setup_pooled, teardown),
        cmocka_unit_test_setup_teardown(test_logs, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
