/*
 * test_dispatch.c - the handlers through reg_http_dispatch, in process, on a SQLite store in a
 * temp directory: what a worker does with a request once FastCGI has parsed it, without nginx
 * or a socket. The API suite drives the same handlers end to end; this test gives the unit
 * tests' coverage figure (make coverage) the routing, authorization, error answers and the
 * handlers' argument checks. Ingest cases run when run-unit.sh provides an upstream fixture
 * server (REGISTRY_TEST_UPSTREAM_URL), and are skipped otherwise.
 */
#include "unit.h"

#include "tmpdir_fixture.h"

#include <archive.h>
#include <archive_entry.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/limits.h"
#include "reg.h"

#define ADMIN_BODY                                                                                 \
    "{\"user\":{\"name\":\"ece30861defaultadminuser\",\"is_admin\":true},"                         \
    "\"secret\":{\"password\":\"correcthorsebatterystaple123(!__+@**(A'\\\"`;DROP TABLE "          \
    "artifacts;\"}}"

struct world {
    char root[256];
    struct reg_config cfg;
    struct reg_app *app;
    char token[256];
    bool upstream;
};

/* One answer: its status and a copy of its body. */
struct answer {
    int status;
    char body[8192];
    int64_t streamed; /* bytes a streamed body produced (downloads), -1 if it failed */
};

/* A streamed body's sink: counts the bytes, as the front end would send them. */
static enum reg_status
count_bytes(void *wctx, const void *data, size_t len)
{
    (void)data;
    *(int64_t *)wctx += (int64_t)len;
    return REG_OK;
}

static void
call(struct world *w, const char *method, const char *path, const char *query, const char *body,
     bool with_token, struct answer *out)
{
    struct reg_request req;
    struct reg_response resp;
    size_t n;

    reg_request_init(&req);
    reg_response_init(&resp);
    req.method = method;
    req.path = path;
    req.query = query ? query : "";
    req.authorization = with_token && w->token[0] ? w->token : NULL;
    req.content_type = body ? "application/json" : NULL;
    req.remote_addr = "127.0.0.1";
    req.host = "127.0.0.1";
    req.scheme = "http";
    req.body = body ? body : "";
    req.body_len = strlen(req.body);
    reg_http_dispatch(w->app, &req, &resp);
    out->status = resp.status;
    n = resp.body.len < sizeof(out->body) - 1 ? resp.body.len : sizeof(out->body) - 1;
    if (n)
        memcpy(out->body, resp.body.data, n);
    out->body[n] = '\0';
    out->streamed = 0;
    if (resp.stream.produce && strcmp(method, "HEAD") != 0 &&
        resp.stream.produce(resp.stream.ctx, count_bytes, &out->streamed) != REG_OK)
        out->streamed = -1;
    reg_response_cleanup(&resp);
    reg_request_cleanup(&req);
}

/* Calls and checks the status; returns the answer for a closer look. */
static void
expect(struct world *w, int *bad, int want, const char *method, const char *path, const char *query,
       const char *body, struct answer *a)
{
    call(w, method, path, query, body, true, a);
    CHECK(bad, a->status == want, "%s %s: got %d, want %d: %s", method, path, a->status, want,
          a->body);
}

/* A world on SQLite and the disk blob store, or (aws) on DynamoDB and S3: run-unit.sh's
 * dynalite and s3rver, a table and a bucket named after the temp directory. */
static int
open_world(void **state, bool aws)
{
    struct world *w = calloc(1, sizeof(*w));
    const char *upstream = getenv("REGISTRY_TEST_UPSTREAM_URL");
    static const char *const dirs[] = {"run", "log", "tmp"};
    char data[300];
    FILE *log;

    assert_non_null(w);
    tmpdir_make(w->root, sizeof(w->root), NULL, "dispatch");
    /* What scripts/serve.sh makes before it starts registryd: the run, log and tmp directories, and
     * the log that GET /health/logs reads. */
    for (int i = 0; i < NELEMS(dirs); i++) {
        snprintf(data, sizeof(data), "%s/%s", w->root, dirs[i]);
        assert_int_equal(mkdir(data, 0755), 0);
    }
    snprintf(data, sizeof(data), "%s/log/registryd.log", w->root);
    log = fopen(data, "w");
    assert_non_null(log);
    fputs("2026-01-01T00:00:00Z pid=1 INFO started\n", log);
    fclose(log);
    snprintf(data, sizeof(data), "%s", w->root);
    setenv("REGISTRY_DATA_DIR", data, 1);
    setenv("REGISTRY_STORE", aws ? "dynamodb" : "sqlite", 1);
    setenv("REGISTRY_BLOBS", aws ? "s3" : "disk", 1);
    if (aws) {
        const char *tail = strrchr(w->root, '.') + 1;
        char name[64];

        /* s3rver knows this key; dynalite takes any. */
        setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
        setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
        setenv("AWS_REGION", "us-east-1", 1);
        setenv("AWS_ENDPOINT_URL_DYNAMODB", getenv("REGISTRY_TEST_DYNAMODB_ENDPOINT"), 1);
        setenv("AWS_ENDPOINT_URL_S3", getenv("REGISTRY_TEST_S3_ENDPOINT"), 1);
        snprintf(name, sizeof(name), "dispatch-%s", tail);
        for (char *c = name; *c; c++)
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
        setenv("DYNAMODB_TABLE", name, 1);
        setenv("S3_BUCKET", name, 1);
    }
    setenv("REGISTRY_PBKDF2_ITERATIONS", "1000", 1);
    unsetenv("REGISTRY_ADMIN_PASSWORD");
    w->upstream = upstream && upstream[0];
    if (w->upstream) {
        setenv("HF_ENDPOINT", upstream, 1);
        setenv("GITHUB_API_URL", upstream, 1);
    }
    assert_int_equal(reg_config_load(&w->cfg), REG_OK);
    assert_int_equal(reg_app_new(&w->cfg, NULL, &w->app), REG_OK);
    *state = w;
    return 0;
}

static int
setup(void **state)
{
    return open_world(state, false);
}

/* Skips (cmocka: the tests of a failed setup) when run-unit.sh's servers are not there. */
static int
setup_aws(void **state)
{
    const char *d = getenv("REGISTRY_TEST_DYNAMODB_ENDPOINT");
    const char *s3 = getenv("REGISTRY_TEST_S3_ENDPOINT");

    if (!d || !*d || !s3 || !*s3) {
        *state = NULL;
        return 0;
    }
    return open_world(state, true);
}

/* Waits (up to 30 s) for the pull-through fillers a download started: detached processes
 * that write the bundle into the data directory, each deleting its fills/<key>.part when it is
 * done. Removing the directory under them would only make them fail. */
static void
wait_fillers(const char *root)
{
    char dir[300];

    snprintf(dir, sizeof(dir), "%s/fills", root);
    for (int tries = 0; tries < 300; tries++) {
        DIR *d = opendir(dir);
        struct dirent *e;
        bool busy = false;

        while (d && (e = readdir(d)) != NULL) {
            size_t n = strlen(e->d_name);
            busy = busy || (n > 5 && strcmp(e->d_name + n - 5, ".part") == 0);
        }
        if (d)
            closedir(d);
        if (!busy)
            return;
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    }
}

static int
teardown(void **state)
{
    struct world *w = *state;

    if (!w)
        return 0;
    wait_fillers(w->root);
    reg_app_free(w->app);
    tmpdir_remove(w->root);
    free(w);
    return 0;
}

static void
login(struct world *w)
{
    struct answer a;
    struct json_object *tok;

    call(w, "PUT", "/authenticate", NULL, ADMIN_BODY, false, &a);
    assert_int_equal(a.status, 200);
    tok = json_tokener_parse(a.body);
    assert_non_null(tok);
    assert_true(json_object_is_type(tok, json_type_string));
    snprintf(w->token, sizeof(w->token), "%s", json_object_get_string(tok));
    json_object_put(tok);
}

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

/* A zip of the given files (name, text pairs) in memory, with libarchive. */
static size_t
make_zip(char *out, size_t cap, const char *const files[][2], int n)
{
    struct archive *ar = archive_write_new();
    size_t used = 0;

    assert_non_null(ar);
    assert_int_equal(archive_write_set_format_zip(ar), ARCHIVE_OK);
    assert_int_equal(archive_write_open_memory(ar, out, cap, &used), ARCHIVE_OK);
    for (int i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        size_t len = strlen(files[i][1]);

        archive_entry_set_pathname(e, files[i][0]);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)len);
        assert_int_equal(archive_write_header(ar, e), ARCHIVE_OK);
        assert_int_equal(archive_write_data(ar, files[i][1], len), (la_ssize_t)len);
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(ar), ARCHIVE_OK);
    archive_write_free(ar);
    return used;
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
