/*
 * test_workloads.c - the download workload's routes through reg_http_dispatch, with real runs:
 * the runner (perf/workload.h) and registry-load aim at a stub server on loopback standing in
 * for the service's public address (REGISTRY_PUBLIC_URL), whose gate holds the run while the
 * test looks at it. Covered: the body's checks, the artifact (Tiny-LLM missing, an unknown id),
 * the load client missing, a start (202, Location, the record), a second start while one runs
 * (409), the list, a stop (202, then failed "stopped on request", then 409), a run to its end
 * (done, with the figures, every client carrying a token and the limit key), tokens minted by
 * the use limit, and requests_per_client over it (400).
 *
 * registry-load is looked for next to the program (registryd in production): the run tests put
 * a link to the build's registry-load next to this binary for their duration.
 */
#include "unit.h"

#include "dispatch_fixture.h"
#include "loopback_fixture.h"
#include "perf/stub_server.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"

struct run_world {
    struct world *w;
    struct stub_server stub;
    char link[2200]; /* the registry-load link made next to this binary, "" if none */
};

/* Links ../../../registry-load (the build's, from build/tests/unit/handlers/) next to this
 * binary; false when the build has none. */
static bool
link_load_client(char *link, size_t cap)
{
    char exe[2048], target[2100];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash;

    link[0] = '\0';
    if (n <= 0)
        return false;
    exe[n] = '\0';
    slash = strrchr(exe, '/');
    assert_non_null(slash);
    *slash = '\0';
    snprintf(target, sizeof(target), "%s/../../../registry-load", exe);
    if (access(target, X_OK) != 0)
        return false;
    snprintf(link, cap, "%s/registry-load", exe);
    if (symlink("../../../registry-load", link) != 0 && errno != EEXIST) {
        link[0] = '\0';
        return false;
    }
    return true;
}

/* Uploads a small dataset (its stored copy is what the workload downloads); writes its id. */
static void
upload_dataset(struct world *w, char *id, size_t cap)
{
    static const char *const files[][2] = {{"README.md", "# load\nA dataset to download.\n"}};
    static char zip[4096];
    struct call_spec c = {
        .query = "name=load-data", .body = zip, .content_type = "application/zip"};
    struct answer a;
    char meta[512];

    c.body_len = make_zip(zip, sizeof(zip), files, NELEMS(files));
    dispatch(w, "POST", "/artifact/dataset/upload", &c, &a);
    assert_int_equal(a.status, 201);
    body_field(a.body, "metadata", meta, sizeof(meta));
    body_field(meta, "id", id, cap);
    assert_true(id[0] != '\0');
}

/* Waits (up to 60 s) until run id is no longer running; its record is in a. */
static void
wait_run(struct world *w, const char *id, struct answer *a)
{
    char path[128], status[32];

    snprintf(path, sizeof(path), "/health/workloads/%s", id);
    for (int tries = 0; tries < 1200; tries++) {
        call(w, "GET", path, NULL, NULL, true, a);
        assert_int_equal(a->status, 200);
        if (strcmp(body_field(a->body, "status", status, sizeof(status)), "running") != 0)
            return;
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    fail_msg("workload %s still running: %s", id, a->body);
}

/* The field path "a.b" of a JSON body as text ("" if absent). */
static const char *
field(const char *body, const char *outer, const char *inner, char *out, size_t cap)
{
    char obj[4096];

    return body_field(body_field(body, outer, obj, sizeof(obj)), inner, out, cap);
}

static void
test_start_errors(void **state)
{
    struct world *w = *state;
    struct answer a;
    char id[64], body[128];
    int bad = 0;

    call(w, "POST", "/health/workloads", NULL, "{}", false, &a);
    CHECK(&bad, a.status == 403 && is_error(&a, "authentication_failed", NULL), "no token: %d",
          a.status);
    login(w);
    expect_error(w, &bad, 400, "bad_request", NULL, "POST", "/health/workloads", NULL, "{", &a);
    expect_error(w, &bad, 400, "bad_request", "clients", "POST", "/health/workloads", NULL,
                 "{\"clients\":0}", &a);
    expect_error(w, &bad, 400, "bad_request", "clients", "POST", "/health/workloads", NULL,
                 "{\"clients\":101}", &a);
    expect_error(w, &bad, 400, "bad_request", "requests_per_client", "POST", "/health/workloads",
                 NULL, "{\"requests_per_client\":21}", &a);
    expect_error(w, &bad, 400, "bad_request", "artifact_id", "POST", "/health/workloads", NULL,
                 "{\"artifact_id\":7}", &a);
    expect_error(w, &bad, 400, "bad_request", NULL, "POST", "/health/workloads", NULL,
                 "{\"artifact_id\":\"not an id!\"}", &a);
    /* No body: every default, Tiny-LLM among them, which is not registered. */
    expect_error(w, &bad, 404, "not_found", "no Tiny-LLM model", "POST", "/health/workloads", NULL,
                 NULL, &a);
    expect_error(w, &bad, 404, "not_found", "no artifact has the id 123456", "POST",
                 "/health/workloads", NULL, "{\"artifact_id\":\"123456\"}", &a);
    /* No registry-load next to this program. */
    upload_dataset(w, id, sizeof(id));
    snprintf(body, sizeof(body), "{\"clients\":1,\"artifact_id\":\"%s\"}", id);
    expect_error(w, &bad, 500, "internal_error", "build it with make", "POST", "/health/workloads",
                 NULL, body, &a);

    expect(w, &bad, 200, "GET", "/health/workloads", NULL, NULL, &a);
    CHECK(&bad, strcmp(a.body, "{\"workloads\":[],\"kept\":20}") == 0, "no runs: %s", a.body);
    expect_error(w, &bad, 404, "not_found", NULL, "GET", "/health/workloads/nope", NULL, NULL, &a);
    expect_error(w, &bad, 404, "not_found", "the last 20 are kept", "GET",
                 "/health/workloads/1000000000000-00000001", NULL, NULL, &a);
    expect_error(w, &bad, 404, "not_found", NULL, "DELETE", "/health/workloads/nope", NULL, NULL,
                 &a);
    assert_int_equal(bad, 0);
}

static int
setup_runs(void **state)
{
    struct run_world *r = calloc(1, sizeof(*r));
    char key[300];
    FILE *f;

    assert_non_null(r);
    open_world((void **)&r->w, false, false);
    if (!link_load_client(r->link, sizeof(r->link))) {
        teardown((void **)&r->w);
        free(r);
        *state = NULL;
        return 0;
    }
    stub_start(&r->stub, false, 2048, "X-Registry-Workload");
    snprintf(r->w->app->config.public_url, sizeof(r->w->app->config.public_url), "%s",
             r->stub.base);
    /* The per-start key scripts/render.sh writes: the clients show it. */
    snprintf(key, sizeof(key), "%s/run/workload.key", r->w->root);
    f = fopen(key, "w");
    assert_non_null(f);
    fputs("0123456789abcdef\n", f);
    fclose(f);
    *state = r;
    return 0;
}

static int
teardown_runs(void **state)
{
    struct run_world *r = *state;

    if (!r)
        return 0;
    stub_stop(&r->stub);
    if (r->link[0])
        unlink(r->link);
    teardown((void **)&r->w);
    free(r);
    return 0;
}

static void
test_runs(void **state)
{
    struct run_world *r = *state;
    struct world *w;
    struct answer a;
    char id[64], body[160], run[64], text[256], path[512], loc[128];
    int bad = 0;

    if (!r)
        skip();
    w = r->w;
    login(w);
    upload_dataset(w, id, sizeof(id));
    snprintf(body, sizeof(body), "{\"clients\":3,\"requests_per_client\":2,\"artifact_id\":\"%s\"}",
             id);
    expect(w, &bad, 202, "POST", "/health/workloads", NULL, body, &a);
    assert_int_equal(bad, 0);
    body_field(a.body, "id", run, sizeof(run));
    snprintf(loc, sizeof(loc), "/health/workloads/%s", run);
    CHECK(&bad, header_of(&a, "Location") && strcmp(header_of(&a, "Location"), loc) == 0,
          "Location: %s", header_of(&a, "Location"));
    CHECK(&bad, strcmp(body_field(a.body, "status", text, sizeof(text)), "running") == 0,
          "running: %s", a.body);
    CHECK(&bad, strcmp(field(a.body, "parameters", "clients", text, sizeof(text)), "3") == 0,
          "clients: %s", a.body);
    CHECK(&bad, strcmp(field(a.body, "artifact", "stored_copy", text, sizeof(text)), "true") == 0,
          "the upload is a stored copy: %s", a.body);
    CHECK(&bad, strcmp(body_field(a.body, "limit_exempt", text, sizeof(text)), "true") == 0,
          "limit key: %s", a.body);
    CHECK(&bad, strcmp(body_field(a.body, "tokens", text, sizeof(text)), "1") == 0, "tokens: %s",
          a.body);
    CHECK(&bad, strstr(body_field(a.body, "target", text, sizeof(text)), r->stub.base) == text,
          "target: %s", text);

    /* The warm-up download is held at the stub's gate: the run is under way. */
    for (int tries = 0; tries < 600 && stub_requests(&r->stub) < 1; tries++)
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    expect_error(w, &bad, 409, "conflict", "already running", "POST", "/health/workloads", NULL,
                 body, &a);
    expect(w, &bad, 200, "GET", "/health/workloads", NULL, NULL, &a);
    CHECK(&bad, strstr(a.body, run) && strstr(a.body, "\"status\":\"running\""), "list: %s",
          a.body);
    expect(w, &bad, 202, "DELETE", loc, NULL, NULL, &a);
    wait_run(w, run, &a);
    CHECK(&bad,
          strcmp(body_field(a.body, "status", text, sizeof(text)), "failed") == 0 &&
              strcmp(body_field(a.body, "error", text, sizeof(text)), "stopped on request") == 0,
          "stopped: %s", a.body);
    expect_error(w, &bad, 409, "conflict", "not running", "DELETE", loc, NULL, NULL, &a);

    /* Through to the end; a use limit of 5 makes two tokens for three clients of two. */
    stub_open(&r->stub);
    w->app->users.token_max_uses = 5; /* read at every use: the caller's token needs a fresh one */
    login(w);
    expect(w, &bad, 202, "POST", "/health/workloads", NULL, body, &a);
    w->app->users.token_max_uses = 1000;
    CHECK(&bad, strcmp(body_field(a.body, "tokens", text, sizeof(text)), "2") == 0, "tokens: %s",
          a.body);
    body_field(a.body, "id", run, sizeof(run));
    wait_run(w, run, &a);
    CHECK(&bad, strcmp(body_field(a.body, "status", text, sizeof(text)), "done") == 0, "done: %s",
          a.body);
    CHECK(&bad, strcmp(field(a.body, "result", "ok", text, sizeof(text)), "6") == 0,
          "six downloads: %s", a.body);
    CHECK(&bad,
          strcmp(field(a.body, "result", "expect_header_missing", text, sizeof(text)), "0") == 0,
          "all from the stored copy: %s", a.body);
    CHECK(&bad, strcmp(field(a.body, "warmup", "ok", text, sizeof(text)), "1") == 0, "warm-up: %s",
          a.body);
    snprintf(path, sizeof(path), "%s/workloads/%s/client-headers", w->root, run);
    CHECK(&bad, access(path, F_OK) != 0, "the tokens' file is removed at the end");
    expect(w, &bad, 200, "GET", "/health/workloads", NULL, NULL, &a);
    CHECK(&bad, strstr(a.body, "\"status\":\"done\"") < strstr(a.body, "\"status\":\"failed\""),
          "newest first: %s", a.body);

    /* More downloads per client than one token may make. */
    snprintf(body, sizeof(body), "{\"requests_per_client\":10,\"artifact_id\":\"%s\"}", id);
    w->app->users.token_max_uses = 5;
    login(w);
    expect_error(w, &bad, 400, "bad_request", "REGISTRY_TOKEN_MAX_USES", "POST",
                 "/health/workloads", NULL, body, &a);
    assert_int_equal(bad, 0);
    stub_stop(&r->stub);
    /* Every download carried the limit key: the stopped warm-up, one, and six. */
    CHECK(&bad, r->stub.requests == 8 && r->stub.with_header == 8, "%d requests, %d with the key",
          r->stub.requests, r->stub.with_header);
    CHECK(&bad, strcmp(r->stub.last_value, " 0123456789abcdef") == 0, "key: %s",
          r->stub.last_value);
    stub_start(&r->stub, true, 1, NULL); /* for teardown_runs */
    assert_int_equal(bad, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_start_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runs, setup_runs, teardown_runs),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
