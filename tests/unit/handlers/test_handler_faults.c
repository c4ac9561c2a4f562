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

#include "dispatch_fixture.h"
#include "fault.h"

/* nginx's upload check subrequest about the client's method, URI and Content-Length. */
static void
check_upload(struct world *w, const char *method, const char *uri, const char *length,
             struct answer *a)
{
    const struct call_spec c = {.internal = true,
                                .original_method = method,
                                .original_uri = uri,
                                .original_length = length};

    dispatch(w, "GET", "/_internal/upload-check", &c, a);
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
    struct answer a;
    int bad = 0;

    login(w);
    for (int i = 0; i < NELEMS(cases); i++) {
        fault_fail(cases[i].fn, "/log/registryd.log", cases[i].nth, cases[i].err);
        call(w, "GET", "/health/logs", NULL, NULL, true, &a);
        assert_true(fault_fired());
        fault_off();
        CHECK(&bad, a.status == cases[i].status && is_error(&a, cases[i].error, cases[i].detail),
              "%s #%ld failing: got %d %s", cases[i].fn, cases[i].nth, a.status, a.body);
        /* Unarmed, the log reads again. */
        expect(w, &bad, 200, "GET", "/health/logs", NULL, NULL, &a);
        CHECK(&bad, strstr(a.body, "INFO started") != NULL, "log lines: %s", a.body);
    }
    assert_int_equal(bad, 0);
}

/* The upload check when the data directory's free space cannot be read, and for a route
 * nginx should never ask about. */
static void
test_upload_check_faults(void **state)
{
    static const char *const upload = "/artifact/dataset/upload?name=d";
    struct world *w = *state;
    struct answer a;

    login(w);
    check_upload(w, "POST", upload, "1000", &a);
    assert_int_equal(a.status, 204);
    fault_fail("statvfs", w->root, 1, EIO);
    check_upload(w, "POST", upload, "1000", &a);
    assert_true(fault_fired());
    fault_off();
    assert_int_equal(a.status, 403);
    assert_string_equal(header_of(&a, "X-Registry-Status"), "500");
    assert_non_null(strstr(header_of(&a, "X-Registry-Error"), "statvfs"));
    assert_non_null(strstr(header_of(&a, "X-Registry-Error"), "Input/output error"));
    check_upload(w, "POST", upload, "1000", &a);
    assert_int_equal(a.status, 204);
    /* nginx never asks about an internal route; if it did, there is no such route for it. */
    check_upload(w, "GET", "/_internal/upload-check", "", &a);
    assert_int_equal(a.status, 403);
    assert_non_null(
        strstr(header_of(&a, "X-Registry-Error"), "no route for GET /_internal/upload-check"));
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
