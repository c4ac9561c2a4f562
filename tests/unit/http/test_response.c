/*
 * test_response.c - building answers (lib/http/response.c): bodies (JSON, text, empty), the
 * header limit, a streamed body released exactly once (replaced, replaced by an error, or
 * cleaned up), every reg_status mapped to its HTTP status and {"error", "detail"} body (the one
 * place it happens), Retry-After on 429 and 503, a monitor's output attached after the detail,
 * and the reason phrases.
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "base/limits.h"
#include "http/response.h"

/* A stream that counts its releases and writes "abc" when produced. */
static enum reg_status
produce_abc(void *ctx, reg_response_write_fn write, void *wctx)
{
    (void)ctx;
    return write(wctx, "abc", 3);
}

static void
count_release(void *ctx)
{
    (*(int *)ctx)++;
}

static enum reg_status
keep_bytes(void *wctx, const void *data, size_t len)
{
    strncat(wctx, data, len);
    return REG_OK;
}

static void
test_bodies_and_headers(void **state)
{
    struct reg_response resp;
    struct json_object *obj = json_object_new_object();
    char name[REG_RESPONSE_MAX_HEADERS][16];

    (void)state;
    reg_response_init(&resp);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "application/json");
    json_object_object_add(obj, "a", json_object_new_int(1));
    assert_int_equal(reg_response_json(&resp, 201, obj), REG_OK);
    json_object_put(obj);
    assert_int_equal(resp.status, 201);
    assert_int_equal(resp.body.len, 7);
    assert_memory_equal(resp.body.data, "{\"a\":1}", 7);
    assert_int_equal(reg_response_text(&resp, 200, "text/plain", "hello", 5), REG_OK);
    assert_string_equal(resp.content_type, "text/plain");
    assert_memory_equal(resp.body.data, "hello", 5);
    reg_response_empty(&resp, 204);
    assert_int_equal(resp.status, 204);
    assert_int_equal(resp.body.len, 0);

    for (int i = 0; i < REG_RESPONSE_MAX_HEADERS; i++) {
        snprintf(name[i], sizeof(name[i]), "X-H%d", i);
        assert_int_equal(reg_response_header(&resp, name[i], "v"), REG_OK);
    }
    assert_int_equal(reg_response_header(&resp, "X-One-Too-Many", "v"), REG_EINTERNAL);
    assert_string_equal(reg_error_detail(), "too many response headers");
    assert_int_equal(resp.nheaders, REG_RESPONSE_MAX_HEADERS);
    assert_string_equal(resp.headers[REG_RESPONSE_MAX_HEADERS - 1].name, "X-H11");
    reg_response_cleanup(&resp);
    reg_response_cleanup(NULL); /* NULL-safe */
}

static void
test_stream_released_once(void **state)
{
    struct reg_response resp;
    int first = 0, second = 0;
    struct reg_response_stream a = {produce_abc, count_release, &first, 3};
    struct reg_response_stream b = {produce_abc, count_release, &second, 3};
    char got[16] = "";

    (void)state;
    reg_response_init(&resp);
    assert_int_equal(reg_response_text(&resp, 200, "text/plain", "old", 3), REG_OK);
    reg_response_stream(&resp, 206, &a);
    assert_int_equal(resp.status, 206);
    assert_int_equal(resp.body.len, 0);
    assert_int_equal(resp.stream.length, 3);
    assert_int_equal(resp.stream.produce(resp.stream.ctx, keep_bytes, got), REG_OK);
    assert_string_equal(got, "abc");
    /* Replaced: the first is released now, the second when the answer is cleaned up. */
    reg_response_stream(&resp, 200, &b);
    assert_int_equal(first, 1);
    assert_int_equal(second, 0);
    reg_response_cleanup(&resp);
    assert_int_equal(first, 1);
    assert_int_equal(second, 1);

    /* An error replacing a streamed answer releases the stream and drops its headers. */
    first = 0;
    reg_response_init(&resp);
    reg_response_stream(&resp, 200, &a);
    assert_int_equal(reg_response_header(&resp, "Content-Disposition", "attachment"), REG_OK);
    reg_errorf(REG_ESTORE, "the blob store failed");
    reg_response_error(&resp, REG_ESTORE);
    assert_int_equal(first, 1);
    assert_null(resp.stream.produce);
    assert_int_equal(resp.nheaders, 0);
    assert_int_equal(resp.status, 500);
    reg_response_cleanup(&resp);
    assert_int_equal(first, 1);
}

/* The error body of st after reg_errorf(st, "detail of <name>"), and its headers. */
static void
check_error(int *bad, enum reg_status st, int http, const char *name)
{
    struct reg_response resp;
    char want[256];

    reg_error_clear();
    reg_errorf(st, "detail of %s", name);
    reg_response_init(&resp);
    reg_response_error(&resp, st);
    snprintf(want, sizeof(want), "{\"error\":\"%s\",\"detail\":\"detail of %s\"}", name, name);
    CHECK(bad, resp.status == http, "%s: status %d, want %d", name, resp.status, http);
    CHECK(bad, resp.body.len == strlen(want) && memcmp(resp.body.data, want, resp.body.len) == 0,
          "%s: body %.*s", name, (int)resp.body.len, resp.body.data);
    CHECK(bad, strcmp(resp.content_type, "application/json") == 0, "%s: type", name);
    if (st == REG_EUNAVAILABLE)
        CHECK(bad,
              resp.nheaders == 1 && strcmp(resp.headers[0].name, "Retry-After") == 0 &&
                  strcmp(resp.headers[0].value, REG_RETRY_AFTER_SECONDS_TEXT) == 0,
              "503 Retry-After");
    else if (st == REG_ETOOMANY)
        CHECK(bad, resp.nheaders == 1 && strcmp(resp.headers[0].value, "1") == 0,
              "429 Retry-After without a recorded wait: at least a second");
    else
        CHECK(bad, resp.nheaders == 0, "%s: %d headers", name, resp.nheaders);
    reg_response_cleanup(&resp);
}

static void
test_every_status(void **state)
{
    int bad = 0;

    (void)state;
#define CHECK_STATUS(st, http, name)                                                               \
    if ((st) != REG_OK)                                                                            \
        check_error(&bad, (st), (http), (name));
    REG_STATUS_TABLE(CHECK_STATUS)
#undef CHECK_STATUS
    assert_int_equal(bad, 0);
}

static void
test_retry_after_and_attachment(void **state)
{
    static char output[REG_MONITOR_OUTPUT_MAX + 1];
    struct reg_response resp;
    struct json_object *doc;
    const char *detail;

    (void)state;
    reg_error_clear();
    reg_errorf(REG_ETOOMANY, "slow down");
    reg_error_retry_after(7);
    reg_response_init(&resp);
    reg_response_error(&resp, REG_ETOOMANY);
    assert_int_equal(resp.status, 429);
    assert_string_equal(resp.headers[0].name, "Retry-After");
    assert_string_equal(resp.headers[0].value, "7");
    assert_ptr_equal(resp.headers[0].value, resp.retry_after); /* it outlives the call */
    reg_response_cleanup(&resp);

    /* A refused download: the program's whole output after the detail, however long. */
    reg_error_clear();
    memset(output, 'o', sizeof(output) - 2);
    output[sizeof(output) - 2] = '\n';
    reg_errorf(REG_EFORBIDDEN, "the monitor refused; its output: ");
    reg_error_attach(output);
    reg_response_init(&resp);
    reg_response_error(&resp, REG_EFORBIDDEN);
    doc = json_tokener_parse(resp.body.data);
    assert_non_null(doc);
    detail = json_object_get_string(json_object_object_get(doc, "detail"));
    assert_int_equal(strlen(detail), strlen("the monitor refused; its output: ") + strlen(output));
    assert_int_equal(strncmp(detail, "the monitor refused; its output: oooo", 37), 0);
    json_object_put(doc);
    reg_response_cleanup(&resp);
    reg_error_attach(NULL);
    reg_error_clear();
}

static void
test_reasons(void **state)
{
    static const struct {
        int status;
        const char *reason;
    } cases[] = {
        {200, "OK"},
        {201, "Created"},
        {202, "Accepted"},
        {204, "No Content"},
        {206, "Partial Content"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {409, "Conflict"},
        {413, "Payload Too Large"},
        {416, "Range Not Satisfiable"},
        {424, "Failed Dependency"},
        {429, "Too Many Requests"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {507, "Insufficient Storage"},
        {599, "Internal Server Error"},
        {418, "Unknown"},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++)
        CHECK(&bad, strcmp(reg_http_reason(cases[i].status), cases[i].reason) == 0, "%d: %s",
              cases[i].status, reg_http_reason(cases[i].status));
    assert_int_equal(bad, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bodies_and_headers),
        cmocka_unit_test(test_stream_released_once),
        cmocka_unit_test(test_every_status),
        cmocka_unit_test(test_retry_after_and_attachment),
        cmocka_unit_test(test_reasons),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
