/*
 * test_handler_faults.c - handlers through reg_http_dispatch, in process, when the file system
 * fails, through the fault shim (tests/unit/fault.h):
 *   - GET /health/logs (lib/handlers/health.c): 404 "no log file" when it is missing, 500 when
 *     it exists but cannot be opened, or seeking or telling fails, each with the project's JSON
 *     error body, and 200 with the log's lines again once the fault is gone;
 *   - nginx's upload check (lib/handlers/upload.c, GET /_internal/upload-check): statvfs of
 *     the data directory failing refuses the upload with the store error nginx passes on (a 403
 *     carrying X-Registry-Status 500 and the JSON error), and an upload to an internal route is
 *     refused as no route.
 */
#include "unit.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fault.h"
#include "reg.h"
#include "tmpdir_fixture.h"

/* The default admin's login (README, "Conventions"). */
#define ADMIN_BODY                                                                                 \
    "{\"user\":{\"name\":\"ece30861defaultadminuser\",\"is_admin\":true},"                         \
    "\"secret\":{\"password\":\"correcthorsebatterystaple123(!__+@**(A'\\\"`;DROP TABLE "          \
    "artifacts;\"}}"
#define LOG_LINE "2026-01-01T00:00:00Z pid=1 INFO started"

struct world {
    char root[256];
    struct reg_config cfg;
    struct reg_app *app;
    char token[256];
    int status;        /* of the last answer */
    char body[8192];   /* of the last answer */
    char header[8192]; /* the header the last call asked for */
};

/* nginx's upload check subrequest: the client's method, URI and Content-Length. */
struct original {
    const char *method, *uri, *length;
};

/* The answer's header name, or "" (copied into the world, before the response goes). */
static void
keep_header(struct world *w, const struct reg_response *resp, const char *name)
{
    w->header[0] = '\0';
    for (int i = 0; i < resp->nheaders; i++)
        if (strcmp(resp->headers[i].name, name) == 0)
            snprintf(w->header, sizeof(w->header), "%s", resp->headers[i].value);
}

static void call_original(struct world *w, const char *method, const char *path, const char *body,
                          bool with_token, const struct original *orig, const char *header);

static void
call(struct world *w, const char *method, const char *path, const char *body, bool with_token)
{
    call_original(w, method, path, body, with_token, NULL, NULL);
}

static void
call_original(struct world *w, const char *method, const char *path, const char *body,
              bool with_token, const struct original *orig, const char *header)
{
    struct reg_request req;
    struct reg_response resp;
    size_t n;

    reg_request_init(&req);
    reg_response_init(&resp);
    if (orig) {
        req.internal = true;
        req.original_method = orig->method;
        req.original_uri = orig->uri;
        req.original_length = orig->length;
    }
    req.method = method;
    req.path = path;
    req.query = "";
    req.authorization = with_token && w->token[0] ? w->token : NULL;
    req.content_type = body ? "application/json" : NULL;
    req.remote_addr = "127.0.0.1";
    req.host = "127.0.0.1";
    req.scheme = "http";
    req.body = body ? body : "";
    req.body_len = strlen(req.body);
    reg_http_dispatch(w->app, &req, &resp);
    w->status = resp.status;
    n = resp.body.len < sizeof(w->body) - 1 ? resp.body.len : sizeof(w->body) - 1;
    if (n)
        memcpy(w->body, resp.body.data, n);
    w->body[n] = '\0';
    if (header)
        keep_header(w, &resp, header);
    reg_response_cleanup(&resp);
    reg_request_cleanup(&req);
}

/* A world on SQLite in a temp directory, with the log GET /health/logs reads, logged in as the
 * default admin. */
static int
setup(void **state)
{
    struct world *w = calloc(1, sizeof(*w));
    static const char *const dirs[] = {"run", "log", "tmp"};
    char path[400];
    struct json_object *tok;
    FILE *log;

    assert_non_null(w);
    tmpdir_make(w->root, sizeof(w->root), NULL, "handlerfaults");
    for (int i = 0; i < NELEMS(dirs); i++) {
        snprintf(path, sizeof(path), "%s/%s", w->root, dirs[i]);
        assert_int_equal(mkdir(path, 0700), 0);
    }
    snprintf(path, sizeof(path), "%s/log/registryd.log", w->root);
    log = fopen(path, "w");
    assert_non_null(log);
    fputs(LOG_LINE "\n", log);
    assert_int_equal(fclose(log), 0);
    setenv("REGISTRY_DATA_DIR", w->root, 1);
    setenv("REGISTRY_STORE", "sqlite", 1);
    setenv("REGISTRY_BLOBS", "disk", 1);
    setenv("REGISTRY_PBKDF2_ITERATIONS", "1000", 1);
    unsetenv("REGISTRY_ADMIN_PASSWORD");
    assert_int_equal(reg_config_load(&w->cfg), REG_OK);
    assert_int_equal(reg_app_new(&w->cfg, NULL, &w->app), REG_OK);
    call(w, "PUT", "/authenticate", ADMIN_BODY, false);
    assert_int_equal(w->status, 200);
    tok = json_tokener_parse(w->body);
    assert_non_null(tok);
    snprintf(w->token, sizeof(w->token), "%s", json_object_get_string(tok));
    json_object_put(tok);
    *state = w;
    return 0;
}

static int
teardown(void **state)
{
    struct world *w = *state;

    reg_app_free(w->app);
    tmpdir_remove(w->root);
    free(w);
    return 0;
}

/* The answer's JSON error body: its "error" name and a part of its "detail". */
static void
expect_error(struct world *w, int status, const char *error, const char *detail)
{
    struct json_object *body = json_tokener_parse(w->body), *v;

    if (w->status != status)
        fail_msg("got %d %s, want %d", w->status, w->body, status);
    assert_non_null(body);
    assert_true(json_object_object_get_ex(body, "error", &v));
    assert_string_equal(json_object_get_string(v), error);
    assert_true(json_object_object_get_ex(body, "detail", &v));
    if (!strstr(json_object_get_string(v), detail))
        fail_msg("detail '%s', want '%s' in it", json_object_get_string(v), detail);
    json_object_put(body);
}

static void
test_log_faults(void **state)
{
    static const struct {
        const char *fn;
        long nth;
        int err, status;
        const char *error, *detail;
    } cases[] = {
        {"fopen", 1, ENOENT, 404, "not_found", "no log file at"},
        {"fopen", 1, EACCES, 500, "internal_error", "cannot open the log file"},
        {"fseeko", 1, EIO, 500, "internal_error", "cannot read the log file"},
        {"ftello", 1, EIO, 500, "internal_error", "cannot read the log file"},
        {"fseeko", 2, EIO, 500, "internal_error", "cannot read the log file"},
    };
    struct world *w = *state;

    for (int i = 0; i < NELEMS(cases); i++) {
        fault_fail(cases[i].fn, "/log/registryd.log", cases[i].nth, cases[i].err);
        call(w, "GET", "/health/logs", NULL, true);
        assert_true(fault_fired());
        fault_off();
        expect_error(w, cases[i].status, cases[i].error, cases[i].detail);
        /* Unarmed, the log reads again. */
        call(w, "GET", "/health/logs", NULL, true);
        assert_int_equal(w->status, 200);
        assert_non_null(strstr(w->body, "INFO started"));
    }
}

/* The upload check when the data directory's free space cannot be read, and for a route
 * nginx should never ask about. */
static void
test_upload_check_faults(void **state)
{
    static const struct original upload = {"POST", "/artifact/dataset/upload?name=d", "1000"};
    static const struct original internal = {"GET", "/_internal/upload-check", ""};
    struct world *w = *state;

    call_original(w, "GET", "/_internal/upload-check", NULL, true, &upload, "X-Registry-Status");
    assert_int_equal(w->status, 204);
    fault_fail("statvfs", w->root, 1, EIO);
    call_original(w, "GET", "/_internal/upload-check", NULL, true, &upload, "X-Registry-Status");
    assert_true(fault_fired());
    fault_off();
    assert_int_equal(w->status, 403);
    assert_string_equal(w->header, "500");
    call_original(w, "GET", "/_internal/upload-check", NULL, true, &upload, "X-Registry-Error");
    assert_int_equal(w->status, 204);
    fault_fail("statvfs", w->root, 1, EIO);
    call_original(w, "GET", "/_internal/upload-check", NULL, true, &upload, "X-Registry-Error");
    fault_off();
    assert_non_null(strstr(w->header, "statvfs"));
    assert_non_null(strstr(w->header, "Input/output error"));
    /* nginx never asks about an internal route; if it did, there is no such route for it. */
    call_original(w, "GET", "/_internal/upload-check", NULL, true, &internal, "X-Registry-Error");
    assert_int_equal(w->status, 403);
    assert_non_null(strstr(w->header, "no route for GET /_internal/upload-check"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_log_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upload_check_faults, setup, teardown),
    };

    return cmocka_run_group_tests_name("handlers/handler_faults", tests, NULL, NULL);
}
