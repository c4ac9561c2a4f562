/*
 * test_health_faults.c - GET /health/logs (lib/handlers/health.c) through reg_http_dispatch,
 * in process, when the log file cannot be opened or positioned, through the fault shim
 * (tests/unit/fault.h): 404 "no log file" when it is missing, 500 when it exists but cannot be
 * opened, or seeking or telling fails, each with the project's JSON error body, and 200 with the
 * log's lines again once the fault is gone.
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
    int status;      /* of the last answer */
    char body[8192]; /* of the last answer */
};

static void
call(struct world *w, const char *method, const char *path, const char *body, bool with_token)
{
    struct reg_request req;
    struct reg_response resp;
    size_t n;

    reg_request_init(&req);
    reg_response_init(&resp);
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
    tmpdir_make(w->root, sizeof(w->root), NULL, "healthfaults");
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_log_faults, setup, teardown),
    };

    return cmocka_run_group_tests_name("handlers/health_faults", tests, NULL, NULL);
}
