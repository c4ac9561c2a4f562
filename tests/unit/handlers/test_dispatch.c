/*
 * test_dispatch.c - the handlers through reg_http_dispatch, in process, on a SQLite store in a
 * temp directory: what a worker does with a request once FastCGI has parsed it, without nginx
 * or a socket. The API suite drives the same handlers end to end; this test gives the unit
 * tests' coverage figure (make coverage) the routing, authorization, error answers and the
 * handlers' argument checks. Ingest cases run when run-unit.sh provides an upstream fixture
 * server (REGISTRY_TEST_UPSTREAM_URL), and are skipped otherwise.
 */
#include "unit.h"

#include "dispatch_fixture.h"

#include <stdio.h>
#include <string.h>

/* Routes everyone may call, and the router's own answers. */
static void
test_public_routes(void **state)
{
    struct world *w = *state;
    struct answer a;
    int bad = 0;

    expect(w, &bad, 200, "GET", "/health", NULL, NULL, &a);
    expect(w, &bad, 200, "GET", "/health/components", NULL, NULL, &a);
    expect(w, &bad, 200, "GET", "/health/components", "windowMinutes=5&includeTimeline=true", NULL,
           &a);
    expect(w, &bad, 400, "GET", "/health/components", "windowMinutes=x", NULL, &a);
    expect(w, &bad, 200, "GET", "/health/activity", NULL, NULL, &a);
    expect(w, &bad, 200, "GET", "/tracks", NULL, NULL, &a);
    expect(w, &bad, 404, "GET", "/no/such/route", NULL, NULL, &a);
    expect(w, &bad, 405, "DELETE", "/tracks", NULL, NULL, &a);
    /* No token where one is needed. */
    expect(w, &bad, 403, "POST", "/artifacts", NULL, "[{\"name\":\"*\"}]", &a);
    expect(w, &bad, 403, "GET", "/health/logs", NULL, NULL, &a);
    assert_int_equal(bad, 0);
}

static void
test_authenticate(void **state)
{
    struct world *w = *state;
    struct answer a;
    int bad = 0;

    expect(w, &bad, 400, "PUT", "/authenticate", NULL, "{", &a);
    expect(w, &bad, 400, "PUT", "/authenticate", NULL, "{\"user\":{}}", &a);
    expect(w, &bad, 401, "PUT", "/authenticate", NULL,
           "{\"user\":{\"name\":\"ece30861defaultadminuser\",\"is_admin\":true},"
           "\"secret\":{\"password\":\"wrong\"}}",
           &a);
    login(w);
    w->token[0] = '\0';
    call(w, "GET", "/health/logs", NULL, NULL, true, &a);
    CHECK(&bad, a.status == 403, "no token: %d", a.status);
    login(w);
    call(w, "GET", "/health/logs", NULL, NULL, true, &a);
    CHECK(&bad, a.status == 200, "admin token: %d %s", a.status, a.body);
    assert_int_equal(bad, 0);
}

/* An empty registry: lists, searches and lookups, and their argument checks. */
static void
test_empty_registry(void **state)
{
    struct world *w = *state;
    struct answer a;
    int bad = 0;

    login(w);
    expect(w, &bad, 200, "POST", "/artifacts", NULL, "[{\"name\":\"*\"}]", &a);
    expect(w, &bad, 200, "POST", "/artifacts", "offset=0",
           "[{\"name\":\"*\",\"types\":[\"model\"]}]", &a);
    expect(w, &bad, 400, "POST", "/artifacts", NULL, "{}", &a);
    expect(w, &bad, 400, "POST", "/artifacts", NULL, "[{\"types\":[\"spaceship\"]}]", &a);
    expect(w, &bad, 400, "POST", "/artifacts", "offset=-1", "[{\"name\":\"*\"}]", &a);
    expect(w, &bad, 404, "POST", "/artifact/byRegEx", NULL, "{\"regex\":\"bert\"}", &a);
    expect(w, &bad, 400, "POST", "/artifact/byRegEx", NULL, "{\"regex\":\"(\"}", &a);
    expect(w, &bad, 400, "POST", "/artifact/byRegEx", NULL, "[]", &a);
    {
        static char long_regex[REG_REGEX_MAX_LEN + 32];
        char body[sizeof(long_regex) + 16];

        memset(long_regex, 'a', sizeof(long_regex) - 1);
        snprintf(body, sizeof(body), "{\"regex\":\"%s\"}", long_regex);
        expect(w, &bad, 400, "POST", "/artifact/byRegEx", NULL, body, &a);
    }
    expect(w, &bad, 404, "GET", "/artifact/byName/nothing", NULL, NULL, &a);
    expect(w, &bad, 404, "GET", "/artifacts/model/123", NULL, NULL, &a);
    expect(w, &bad, 400, "GET", "/artifacts/spaceship/123", NULL, NULL, &a);
    expect(w, &bad, 404, "GET", "/artifact/model/123/rate", NULL, NULL, &a);
    expect(w, &bad, 404, "GET", "/artifact/model/123/lineage", NULL, NULL, &a);
    expect(w, &bad, 404, "GET", "/artifact/model/123/cost", NULL, NULL, &a);
    expect_error(w, &bad, 400, "bad_request", "dependency must be 'true' or 'false'", "GET",
                 "/artifact/model/123/cost", "dependency=maybe", NULL, &a);
    expect(w, &bad, 404, "GET", "/artifact/model/123/audit", NULL, NULL, &a);
    expect(w, &bad, 404, "GET", "/artifact/model/123/security", NULL, NULL, &a);
    expect(w, &bad, 404, "GET", "/artifact/model/123/sensitive", NULL, NULL, &a);
    expect(w, &bad, 404, "GET", "/artifact/model/123/download-history", NULL, NULL, &a);
    expect(w, &bad, 400, "POST", "/artifact/model/123/license-check", NULL, "{}", &a);
    expect(w, &bad, 400, "POST", "/artifact/model", NULL, "{}", &a);
    expect(w, &bad, 400, "POST", "/artifact/model", NULL, "{\"url\":\"ftp://example.com/x\"}", &a);
    expect(w, &bad, 200, "GET", "/PackageConfusionAudit", NULL, NULL, &a);
    expect(w, &bad, 200, "GET", "/health/workloads", NULL, NULL, &a);
    expect(w, &bad, 404, "GET", "/health/workloads/nope", NULL, NULL, &a);
    expect(w, &bad, 200, "DELETE", "/reset", NULL, NULL, &a);
    assert_int_equal(bad, 0);
}

static void
test_users(void **state)
{
    struct world *w = *state;
    struct answer a;
    int bad = 0;

    login(w);
    expect(w, &bad, 201, "POST", "/users", NULL,
           "{\"user\":{\"name\":\"alice\"},\"secret\":{\"password\":\"a long enough password 1\"},"
           "\"permissions\":[\"search\"]}",
           &a);
    expect(w, &bad, 409, "POST", "/users", NULL,
           "{\"user\":{\"name\":\"alice\"},\"secret\":{\"password\":\"a long enough password 1\"}}",
           &a);
    expect(w, &bad, 400, "POST", "/users", NULL, "{\"user\":{}}", &a);
    expect(w, &bad, 200, "GET", "/users", NULL, NULL, &a);
    expect(w, &bad, 200, "GET", "/users/alice", NULL, NULL, &a);
    expect(w, &bad, 404, "GET", "/users/bob", NULL, NULL, &a);
    expect(w, &bad, 200, "PUT", "/users/alice/permissions", NULL,
           "{\"permissions\":[\"search\",\"download\"]}", &a);
    expect(w, &bad, 400, "PUT", "/users/alice/permissions", NULL, "{\"permissions\":[\"fly\"]}",
           &a);
    expect(w, &bad, 400, "PUT", "/users/alice/permissions", NULL, "{}", &a);
    expect(w, &bad, 200, "DELETE", "/users/alice", NULL, NULL, &a);
    expect(w, &bad, 404, "DELETE", "/users/alice", NULL, NULL, &a);
    /* Someone else's record is for that user or an admin only. */
    login_new_user(w, "carol", "[\"search\"]");
    expect(w, &bad, 200, "GET", "/users/carol", NULL, NULL, &a);
    expect_error(w, &bad, 401, "not_permitted", "only 'ece30861defaultadminuser' or an admin",
                 "GET", "/users/ece30861defaultadminuser", NULL, NULL, &a);
    expect_error(w, &bad, 401, "not_permitted", NULL, "DELETE", "/users/ece30861defaultadminuser",
                 NULL, NULL, &a);
    assert_int_equal(bad, 0);
}

/* A model registered from the fixture upstream, then every read of it. */
static void
test_ingested_model(void **state)
{
    struct world *w = *state;
    struct answer a;
    struct json_object *doc, *meta, *id;
    char path[256], idtext[64];
    int bad = 0;

    if (!w || !w->upstream)
        skip();
    login(w);
    expect(w, &bad, 201, "POST", "/artifact/model", NULL,
           "{\"url\":\"https://huggingface.co/google-bert/bert-base-uncased\"}", &a);
    assert_int_equal(bad, 0);
    doc = json_tokener_parse(a.body);
    assert_non_null(doc);
    assert_true(json_object_object_get_ex(doc, "metadata", &meta));
    assert_true(json_object_object_get_ex(meta, "id", &id));
    snprintf(idtext, sizeof(idtext), "%s", json_object_get_string(id));
    json_object_put(doc);

    snprintf(path, sizeof(path), "/artifacts/model/%s", idtext);
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    snprintf(path, sizeof(path), "/artifact/model/%s/rate", idtext);
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    snprintf(path, sizeof(path), "/artifact/model/%s/lineage", idtext);
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    snprintf(path, sizeof(path), "/artifact/model/%s/cost", idtext);
    expect(w, &bad, 200, "GET", path, "dependency=true", NULL, &a);
    snprintf(path, sizeof(path), "/artifact/model/%s/audit", idtext);
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    snprintf(path, sizeof(path), "/artifact/model/%s/security", idtext);
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    snprintf(path, sizeof(path), "/artifact/model/%s/sensitive", idtext);
    expect(w, &bad, 404, "GET", path, NULL, NULL, &a);
    snprintf(path, sizeof(path), "/artifact/model/%s/download-history", idtext);
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    snprintf(path, sizeof(path), "/artifact/model/%s/license-check", idtext);
    expect(w, &bad, 200, "POST", path, NULL,
           "{\"github_url\":\"https://github.com/google-research/bert\"}", &a);
    expect(w, &bad, 200, "GET", "/artifact/byName/bert-base-uncased", NULL, NULL, &a);
    expect(w, &bad, 200, "POST", "/artifact/byRegEx", NULL, "{\"regex\":\"bert\"}", &a);
    expect(w, &bad, 200, "POST", "/artifacts", NULL, "[{\"name\":\"bert-base-uncased\"}]", &a);
    expect(w, &bad, 200, "GET", "/api/models/google-bert/bert-base-uncased", NULL, NULL, &a);
    expect(w, &bad, 400, "POST", "/api/models/google-bert/bert-base-uncased/paths-info/main", NULL,
           "{}", &a);
    expect(w, &bad, 200, "POST", "/api/models/google-bert/bert-base-uncased/paths-info/main", NULL,
           "{\"paths\":[\"config.json\"]}", &a);
    snprintf(path, sizeof(path), "/download/model/%s", idtext);
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    CHECK(&bad, a.streamed > 0, "download: %lld bytes", (long long)a.streamed);
    expect(w, &bad, 404, "GET", path, "aspect=nonsense", NULL, &a);
    expect(w, &bad, 200, "GET", "/google-bert/bert-base-uncased/resolve/main/config.json", NULL,
           NULL, &a);
    CHECK(&bad, a.streamed > 0, "resolve: %lld bytes", (long long)a.streamed);
    expect(w, &bad, 200, "HEAD", "/google-bert/bert-base-uncased/resolve/main/config.json", NULL,
           NULL, &a);
    expect(w, &bad, 404, "GET", "/google-bert/bert-base-uncased/resolve/main/no-such-file", NULL,
           NULL, &a);
    snprintf(path, sizeof(path), "/artifact/model/%s/sensitive", idtext);
    expect(w, &bad, 200, "PUT", path, NULL, NULL, &a);
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    snprintf(path, sizeof(path), "/artifact/model/%s/monitor", idtext);
    expect(w, &bad, 404, "GET", path, NULL, NULL, &a);
    expect(w, &bad, 200, "PUT", path, NULL, "process.exit(0);\n", &a);
    expect(w, &bad, 200, "GET", path, NULL, NULL, &a);
    expect(w, &bad, 200, "DELETE", path, NULL, NULL, &a);
    snprintf(path, sizeof(path), "/artifact/model/%s/sensitive", idtext);
    expect(w, &bad, 200, "DELETE", path, NULL, NULL, &a);
    snprintf(path, sizeof(path), "/artifacts/model/%s", idtext);
    expect(w, &bad, 200, "DELETE", path, NULL, NULL, &a);
    expect(w, &bad, 404, "GET", path, NULL, NULL, &a);
    assert_int_equal(bad, 0);
}

/* POSTs a zip body named tiny-upload; returns the status. */
static int
upload(struct world *w, const char *path, const char *zip, size_t len)
{
    struct reg_request req;
    struct reg_response resp;
    int status;

    reg_request_init(&req);
    reg_response_init(&resp);
    req.method = "POST";
    req.path = path;
    req.query = "name=tiny-upload";
    req.authorization = w->token;
    req.content_type = "application/zip";
    req.remote_addr = "127.0.0.1";
    req.host = "127.0.0.1";
    req.scheme = "http";
    req.body = zip;
    req.body_len = len;
    reg_http_dispatch(w->app, &req, &resp);
    status = resp.status;
    if (status >= 300)
        print_error("%s: %d %.*s\n", path, status, (int)resp.body.len,
                    resp.body.data ? resp.body.data : "");
    reg_response_cleanup(&resp);
    reg_request_cleanup(&req);
    return status;
}

/* Uploads: the zip body in memory (nginx hands over a file; the handler reads either). */
static void
test_upload(void **state)
{
    static const char *const files[][2] = {
        {"README.md", "# tiny\nA model uploaded by the dispatch test.\n"},
        {"config.json", "{\"model_type\": \"bert\"}\n"},
    };
    static char zip[16384];
    struct world *w = *state;
    struct answer a;
    size_t len = make_zip(zip, sizeof(zip), files, NELEMS(files));
    int bad = 0;

    if (!w)
        skip();
    login(w);
    expect(w, &bad, 400, "POST", "/artifact/model/upload", NULL, "not a zip", &a);
    expect(w, &bad, 400, "POST", "/artifact/model/upload", "name=tiny", "not a zip", &a);
    expect(w, &bad, 400, "POST", "/artifact/model/upload", "name=tiny", "", &a);

    /* A model must pass the trust gate: a README and a config are not enough (424). */
    CHECK(&bad, upload(w, "/artifact/model/upload", zip, len) == 424, "model upload");
    CHECK(&bad, upload(w, "/artifact/dataset/upload", zip, len) == 201, "dataset upload");
    expect(w, &bad, 200, "GET", "/artifact/byName/tiny-upload", NULL, NULL, &a);
    assert_int_equal(bad, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_public_routes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authenticate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_registry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_users, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingested_model, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingested_model, setup_aws, teardown),
        cmocka_unit_test_setup_teardown(test_upload, setup_aws, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
