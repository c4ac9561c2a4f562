/*
 * dispatch_fixture.h - what the handler tests share: a world (a registry app on SQLite and the
 * disk blob store in a temp directory, or on run-unit.sh's dynalite and s3rver), requests
 * driven through reg_http_dispatch in process, as a worker runs them once FastCGI has parsed
 * them, and their answers copied out (status, headers, body, and the bytes a streamed body
 * produced). Ingest and pull-through cases need the upstream fixture server run-unit.sh
 * provides (REGISTRY_TEST_UPSTREAM_URL); w->upstream says whether it is there.
 *
 * Included after unit.h by one test file per binary; every helper is static inline, so a test
 * that uses only some of them does not warn about the others. setup, setup_aws and teardown
 * are cmocka setup/teardown functions; *state is the struct world, which they allocate and
 * free (setup_aws leaves it NULL when the AWS fixture servers are not there: such a test
 * skips).
 *
 * Usage:
 *     struct answer a;
 *     login(w);
 *     expect(w, &bad, 200, "GET", "/health", NULL, NULL, &a);
 *     expect_error(w, &bad, 404, "not_found", "no artifact", "GET", "/artifacts/model/1",
 *                  NULL, NULL, &a);
 */
#ifndef REG_TEST_DISPATCH_FIXTURE_H
#define REG_TEST_DISPATCH_FIXTURE_H

#include "tmpdir_fixture.h"
#include "zip_fixture.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "auth/backoff.h"
#include "auth/leases.h"
#include "base/limits.h"
#include "reg.h"
#include "upstream/fixture_control.h"

#define ADMIN_BODY                                                                                 \
    "{\"user\":{\"name\":\"ece30861defaultadminuser\",\"is_admin\":true},"                         \
    "\"secret\":{\"password\":\"correcthorsebatterystaple123(!__+@**(A'\\\"`;DROP TABLE "          \
    "artifacts;\"}}"

/* The model the upstream fixture serves that every download test registers. */
#define BERT_URL "https://huggingface.co/google-bert/bert-base-uncased"

struct world {
    char root[256];
    struct reg_config cfg;
    struct reg_app *app;
    char token[256];
    bool upstream;
    struct reg_pool_status *pool; /* shared memory as registryd's master maps it, or NULL */
};

/* What one request carries besides its method and path; zero fields are absent. */
struct call_spec {
    const char *query;
    const char *body; /* NUL-terminated unless body_len is set */
    size_t body_len;
    const char *content_type; /* default: application/json when there is a body */
    const char *range;
    bool anonymous;        /* send no token even when logged in */
    const char *body_file; /* an upload's body stored in a file, as nginx hands it over */
    /* nginx's auth_request subrequest (GET /_internal/upload-check) and what it is about. */
    bool internal;
    const char *original_method, *original_uri, *original_length;
};

/* One answer: its status, headers, a copy of its body and of what a streamed body produced. */
struct answer {
    int status;
    char content_type[64];
    struct {
        char name[64];
        char value[512];
    } headers[REG_RESPONSE_MAX_HEADERS];
    int nheaders;
    char body[8192];
    int64_t streamed; /* bytes a streamed body produced, -1 if producing it failed */
    int64_t length;   /* the stream's announced length (Content-Length), -1 if not streamed */
    char data[65536]; /* the first bytes it produced */
};

/* A streamed body's sink: keeps the first bytes and counts them all, as the front end sends
 * them. */
static inline enum reg_status
collect_stream(void *wctx, const void *data, size_t len)
{
    struct answer *a = wctx;
    size_t room =
        sizeof(a->data) -
        (size_t)(a->streamed < (int64_t)sizeof(a->data) ? a->streamed : (int64_t)sizeof(a->data));
    size_t n = len < room ? len : room;

    if (n)
        memcpy(a->data + a->streamed, data, n);
    a->streamed += (int64_t)len;
    return REG_OK;
}

static inline void
copy_answer(const char *method, struct reg_response *resp, struct answer *out)
{
    size_t n = resp->body.len < sizeof(out->body) - 1 ? resp->body.len : sizeof(out->body) - 1;

    out->status = resp->status;
    snprintf(out->content_type, sizeof(out->content_type), "%s",
             resp->content_type ? resp->content_type : "");
    out->nheaders = resp->nheaders;
    for (int i = 0; i < resp->nheaders; i++) {
        snprintf(out->headers[i].name, sizeof(out->headers[i].name), "%s", resp->headers[i].name);
        snprintf(out->headers[i].value, sizeof(out->headers[i].value), "%s",
                 resp->headers[i].value);
    }
    if (n)
        memcpy(out->body, resp->body.data, n);
    out->body[n] = '\0';
    out->streamed = 0;
    out->length = resp->stream.produce ? resp->stream.length : -1;
    if (resp->stream.produce && strcmp(method, "HEAD") != 0 &&
        resp->stream.produce(resp->stream.ctx, collect_stream, out) != REG_OK)
        out->streamed = -1;
}

/* Runs one request through the router and copies its answer into out. */
static inline void
dispatch(struct world *w, const char *method, const char *path, const struct call_spec *c,
         struct answer *out)
{
    struct reg_request req;
    struct reg_response resp;

    reg_request_init(&req);
    reg_response_init(&resp);
    req.method = method;
    req.path = path;
    req.query = c->query ? c->query : "";
    req.authorization = !c->anonymous && w->token[0] ? w->token : NULL;
    req.content_type = c->content_type ? c->content_type : c->body ? "application/json" : NULL;
    req.range = c->range;
    req.remote_addr = "127.0.0.1";
    req.host = "127.0.0.1";
    req.scheme = "http";
    req.body = c->body ? c->body : "";
    req.body_len = c->body_len ? c->body_len : strlen(req.body);
    req.body_file = c->body_file;
    req.internal = c->internal;
    req.original_method = c->original_method;
    req.original_uri = c->original_uri;
    req.original_length = c->original_length;
    reg_http_dispatch(w->app, &req, &resp);
    copy_answer(method, &resp, out);
    reg_response_cleanup(&resp);
    reg_request_cleanup(&req);
}

static inline void
call(struct world *w, const char *method, const char *path, const char *query, const char *body,
     bool with_token, struct answer *out)
{
    const struct call_spec c = {.query = query, .body = body, .anonymous = !with_token};

    dispatch(w, method, path, &c, out);
}

/* Calls and checks the status; returns the answer for a closer look. */
static inline void
expect(struct world *w, int *bad, int want, const char *method, const char *path, const char *query,
       const char *body, struct answer *a)
{
    call(w, method, path, query, body, true, a);
    CHECK(bad, a->status == want, "%s %s: got %d, want %d: %s", method, path, a->status, want,
          a->body);
}

/* The answer's header name (case-insensitive), or NULL. */
static inline const char *
header_of(const struct answer *a, const char *name)
{
    for (int i = 0; i < a->nheaders; i++)
        if (strcasecmp(a->headers[i].name, name) == 0)
            return a->headers[i].value;
    return NULL;
}

/* A field of a JSON body as text, copied into out (cap bytes): a string's value, an object or
 * array as compact JSON; "" when absent. */
static inline const char *
body_field(const char *body, const char *key, char *out, size_t cap)
{
    struct json_object *doc = json_tokener_parse(body), *v;

    out[0] = '\0';
    if (doc && json_object_object_get_ex(doc, key, &v))
        snprintf(out, cap, "%s",
                 json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array)
                     ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN)
                     : json_object_get_string(v));
    json_object_put(doc);
    return out;
}

/* Whether the answer is the project's JSON error body {"error": error, "detail": "...detail..."}
 * (detail: a part of it, or NULL for any). */
static inline bool
is_error(const struct answer *a, const char *error, const char *detail)
{
    char e[64], d[2048];

    body_field(a->body, "error", e, sizeof(e));
    body_field(a->body, "detail", d, sizeof(d));
    return strcmp(e, error) == 0 && d[0] && (!detail || strstr(d, detail));
}

/* expect, and that the answer is the error body is_error describes. */
static inline void
expect_error(struct world *w, int *bad, int want, const char *error, const char *detail,
             const char *method, const char *path, const char *query, const char *body,
             struct answer *a)
{
    expect(w, bad, want, method, path, query, body, a);
    CHECK(bad, is_error(a, error, detail), "%s %s: want error %s with '%s': %s", method, path,
          error, detail ? detail : "", a->body);
}

/* The worker pool's status as registryd's master sets it up (fcgi/main.c), for tests of what
 * the workers count: two workers configured and alive, started now. The master maps it shared
 * between its workers; one process needs only memory of its own. */
static inline struct reg_pool_status *
map_pool(void)
{
    struct reg_pool_status *p = calloc(1, sizeof(*p));

    assert_non_null(p);
    assert_int_equal(reg_backoff_init(&p->login_backoff), REG_OK);
    assert_int_equal(reg_leases_init(&p->token_leases), REG_OK);
    p->workers_configured = 2;
    p->workers_alive = 2;
    p->started_at = (int64_t)time(NULL);
    return p;
}

/* A world on SQLite and the disk blob store, or (aws) on DynamoDB and S3: run-unit.sh's
 * dynalite and s3rver, a table and a bucket named after the temp directory; pooled: with the
 * worker pool's shared status (map_pool), as in registryd, instead of none. */
static inline int
open_world(void **state, bool aws, bool pooled)
{
    struct world *w = calloc(1, sizeof(*w));
    const char *up = getenv(UPSTREAM_ENV);
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
    w->upstream = up && up[0];
    if (w->upstream) {
        setenv("HF_ENDPOINT", up, 1);
        setenv("GITHUB_API_URL", up, 1);
    }
    assert_int_equal(reg_config_load(&w->cfg), REG_OK);
    if (pooled)
        w->pool = map_pool();
    assert_int_equal(reg_app_new(&w->cfg, w->pool, &w->app), REG_OK);
    *state = w;
    return 0;
}

static inline int
setup(void **state)
{
    return open_world(state, false, false);
}

/* Points fixture_control.h's controls at run-unit.sh's upstream fixture, if there is one, and
 * forgets its faults, delays and request log: for tests that configure it
 * (control("POST", "/__fixture/config", ...)). */
static inline void
use_upstream(void)
{
    const char *url = getenv(UPSTREAM_ENV);

    snprintf(upstream, sizeof(upstream), "%s", url ? url : "");
    if (upstream[0])
        reset_fixture(NULL);
}

/* setup, after use_upstream. */
static inline int
setup_fetching(void **state)
{
    use_upstream();
    return open_world(state, false, false);
}

/* Skips (cmocka: the tests of a failed setup) when run-unit.sh's servers are not there. */
static inline int
setup_aws(void **state)
{
    const char *d = getenv("REGISTRY_TEST_DYNAMODB_ENDPOINT");
    const char *s3 = getenv("REGISTRY_TEST_S3_ENDPOINT");

    if (!d || !*d || !s3 || !*s3) {
        *state = NULL;
        return 0;
    }
    return open_world(state, true, false);
}

/* Waits (up to 30 s) for the pull-through fillers a download started: detached processes
 * that write the bundle into the data directory, each deleting its fills/<key>.part when it is
 * done. Removing the directory under them would only make them fail. */
static inline void
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

static inline int
teardown(void **state)
{
    struct world *w = *state;

    if (!w)
        return 0;
    wait_fillers(w->root);
    reg_app_free(w->app);
    free(w->pool);
    tmpdir_remove(w->root);
    free(w);
    return 0;
}

/* Authenticates with body (PUT /authenticate's) and keeps the token for the next calls. */
static inline void
login_as(struct world *w, const char *body)
{
    struct answer a;
    struct json_object *tok;

    call(w, "PUT", "/authenticate", NULL, body, false, &a);
    assert_int_equal(a.status, 200);
    tok = json_tokener_parse(a.body);
    assert_non_null(tok);
    assert_true(json_object_is_type(tok, json_type_string));
    snprintf(w->token, sizeof(w->token), "%s", json_object_get_string(tok));
    json_object_put(tok);
}

/* As the default admin. */
static inline void
login(struct world *w)
{
    login_as(w, ADMIN_BODY);
}

/* Creates user name (as the admin: the caller is logged in as one) with the permissions
 * (a JSON array's text) and logs in as that user. */
static inline void
login_new_user(struct world *w, const char *name, const char *permissions)
{
    struct answer a;
    char body[512];

    snprintf(body, sizeof(body),
             "{\"user\":{\"name\":\"%s\"},\"secret\":{\"password\":\"a long enough password 1\"},"
             "\"permissions\":%s}",
             name, permissions);
    call(w, "POST", "/users", NULL, body, true, &a);
    if (a.status != 201)
        print_error("POST /users %s: %d %s\n", name, a.status, a.body);
    assert_int_equal(a.status, 201);
    snprintf(body, sizeof(body),
             "{\"user\":{\"name\":\"%s\",\"is_admin\":false},"
             "\"secret\":{\"password\":\"a long enough password 1\"}}",
             name);
    login_as(w, body);
}

/* Registers url as an artifact of type ("model", "dataset", "code") and writes its id to id
 * (cap bytes). */
static inline void
register_url(struct world *w, const char *type, const char *url, char *id, size_t cap)
{
    struct answer a;
    struct json_object *doc, *meta, *v;
    char path[64], body[512];

    snprintf(path, sizeof(path), "/artifact/%s", type);
    snprintf(body, sizeof(body), "{\"url\":\"%s\"}", url);
    call(w, "POST", path, NULL, body, true, &a);
    if (a.status != 201)
        print_error("POST %s %s: %d %s\n", path, url, a.status, a.body);
    assert_int_equal(a.status, 201);
    doc = json_tokener_parse(a.body);
    assert_non_null(doc);
    assert_true(json_object_object_get_ex(doc, "metadata", &meta));
    assert_true(json_object_object_get_ex(meta, "id", &v));
    snprintf(id, cap, "%s", json_object_get_string(v));
    json_object_put(doc);
}

#endif
