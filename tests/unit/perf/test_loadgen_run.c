/*
 * test_loadgen_run.c - the load generator's run (reg_loadgen_run) against a stub server on
 * loopback (stub_server.h): every answer counted where it belongs (2xx, 4xx, 5xx, other,
 * transport), the body bytes, the warm-up left out of the figures, the expected header, each
 * client's own header line, and a request timing out.
 */
#include "unit.h"

#include "loopback_fixture.h"
#include "perf/stub_server.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "perf/loadgen.h"

/* Options for clients x requests GETs of the stub's path. */
static struct reg_loadgen_options
options(const struct stub_server *s, const char *path, char *url, size_t cap, int clients,
        int requests)
{
    struct reg_loadgen_options o = {0};

    snprintf(url, cap, "%s%s", s->base, path);
    o.url = url;
    o.clients = clients;
    o.requests = requests;
    o.timeout_ms = 10000;
    o.buckets = 5;
    return o;
}

static void
test_answers_by_kind(void **state)
{
    static const struct {
        const char *path;
        uint64_t ok, s4, s5, other, transport;
    } cases[] = {
        {"/plain", 6, 0, 0, 0, 0}, {"/gone", 0, 6, 0, 0, 0}, {"/broken", 0, 0, 6, 0, 0},
        {"/moved", 0, 0, 0, 6, 0}, {"/cut", 0, 0, 0, 0, 6},
    };
    struct stub_server s;
    char url[128];
    int bad = 0;

    (void)state;
    stub_start(&s, true, 1000, NULL);
    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_loadgen_options o = options(&s, cases[i].path, url, sizeof(url), 3, 2);
        struct reg_loadgen_result r;

        assert_int_equal(reg_loadgen_run(&o, &r), REG_OK);
        CHECK(&bad,
              r.clients == 3 && r.requests == 6 && r.ok == cases[i].ok &&
                  r.status_4xx == cases[i].s4 && r.status_5xx == cases[i].s5 &&
                  r.status_other == cases[i].other && r.transport == cases[i].transport,
              "%s: ok %llu 4xx %llu 5xx %llu other %llu transport %llu", cases[i].path,
              (unsigned long long)r.ok, (unsigned long long)r.status_4xx,
              (unsigned long long)r.status_5xx, (unsigned long long)r.status_other,
              (unsigned long long)r.transport);
        CHECK(&bad, r.bytes == cases[i].ok * 1000, "%s: %llu bytes", cases[i].path,
              (unsigned long long)r.bytes);
        /* Only the requests that got an answer have a latency. */
        CHECK(&bad, r.nlatencies == 6 - cases[i].transport, "%s: %zu latencies", cases[i].path,
              r.nlatencies);
        CHECK(&bad, !r.expecting && r.unexpected == 0, "%s: nothing expected", cases[i].path);
        reg_loadgen_result_cleanup(&r);
    }
    stub_stop(&s);
    assert_int_equal(bad, 0);
}

/* The warm-up's GETs are made but not measured; answers without the expected header are
 * counted; the figures say so. */
static void
test_warmup_and_expected_header(void **state)
{
    struct stub_server s;
    struct reg_loadgen_result r;
    struct reg_loadgen_options o;
    struct json_object *figures;
    char url[128];

    (void)state;
    stub_start(&s, true, 4096, NULL);
    o = options(&s, "/stored", url, sizeof(url), 2, 3);
    o.warmup = 2;
    o.expect_header = "X-Registry-Copy: stored";
    assert_int_equal(reg_loadgen_run(&o, &r), REG_OK);
    assert_int_equal(stub_requests(&s), 2 * (2 + 3));
    assert_int_equal(r.requests, 6);
    assert_int_equal(r.ok, 6);
    assert_int_equal(r.bytes, 6 * 4096);
    assert_true(r.expecting);
    assert_int_equal(r.unexpected, 0);
    figures = reg_loadgen_json(&r, 5);
    assert_int_equal(reg_json_int(figures, "ok"), 6);
    assert_int_equal(reg_json_int(figures, "expect_header_missing"), 0);
    assert_int_equal(json_object_array_length(json_object_object_get(figures, "histogram")), 5);
    json_object_put(figures);
    reg_loadgen_result_cleanup(&r);

    o = options(&s, "/plain", url, sizeof(url), 2, 2);
    o.expect_header = "X-Registry-Copy: stored";
    assert_int_equal(reg_loadgen_run(&o, &r), REG_OK);
    assert_int_equal(r.ok, 4);
    assert_int_equal(r.unexpected, 4);
    reg_loadgen_result_cleanup(&r);
    reg_loadgen_result_cleanup(&r); /* twice is harmless */
    stub_stop(&s);
}

/* Every client sends the common headers and its own line of the client headers. */
static void
test_headers_sent(void **state)
{
    static const char *mine[] = {"X-Who: first", "X-Who: second"};
    struct stub_server s;
    struct reg_loadgen_result r;
    struct reg_loadgen_options o;
    char url[128];

    (void)state;
    stub_start(&s, true, 10, "X-Who");
    o = options(&s, "/plain", url, sizeof(url), 4, 1);
    o.headers[o.nheaders++] = "X-Common: yes";
    o.client_headers = mine;
    o.nclient_headers = NELEMS(mine);
    assert_int_equal(reg_loadgen_run(&o, &r), REG_OK);
    stub_stop(&s); /* its counts are read once its thread is gone */
    assert_int_equal(r.ok, 4);
    assert_int_equal(s.with_header, 4);
    assert_true(strcmp(s.last_value, " first") == 0 || strcmp(s.last_value, " second") == 0);
    reg_loadgen_result_cleanup(&r);
}

/* A server that never answers: each request ends at its own limit, as a transport error. */
static void
test_timeout(void **state)
{
    struct stub_server s;
    struct reg_loadgen_result r;
    struct reg_loadgen_options o;
    char url[128];

    (void)state;
    stub_start(&s, false, 10, NULL);
    o = options(&s, "/stored", url, sizeof(url), 2, 1);
    o.timeout_ms = 300;
    assert_int_equal(reg_loadgen_run(&o, &r), REG_OK);
    assert_int_equal(r.requests, 2);
    assert_int_equal(r.ok, 0);
    assert_int_equal(r.transport, 2);
    assert_int_equal(r.nlatencies, 0);
    reg_loadgen_result_cleanup(&r);
    stub_stop(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answers_by_kind),
        cmocka_unit_test(test_warmup_and_expected_header),
        cmocka_unit_test(test_headers_sent),
        cmocka_unit_test(test_timeout),
    };
    int failed;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
