/*
 * test_loadgen.c - registry-load's command line (accepted and refused forms, as a table; the
 * header files) and the shape of its JSON figures on a known result. The load itself runs in
 * the API tests (tests/api/test_workloads.py), against the real stack.
 */
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "arena_fixture.h"
#include "base/json.h"
#include "perf/loadgen.h"
#include "tmpdir_fixture.h"

struct args_case {
    const char *what;
    const char *argv[12];
    enum reg_status want;
};

static const struct args_case args_cases[] = {
    {"minimal", {"--url", "http://h/x", "--clients", "1", "--requests", "1"}, REG_OK},
    {"everything",
     {"--url=https://h/x", "--header", "X-A: b", "--clients", "1000", "--requests", "100000",
      "--warmup", "3", "--timeout-ms=5", "--histogram-buckets", "200"},
     REG_OK},
    {"expected header",
     {"--url", "http://h/", "--clients", "1", "--requests", "1", "--expect-header",
      "X-Registry-Copy: stored"},
     REG_OK},
    {"expected header without a colon",
     {"--url", "http://h/", "--clients", "1", "--requests", "1", "--expect-header", "stored"},
     REG_EINVAL},
    {"no url", {"--clients", "1", "--requests", "1"}, REG_EINVAL},
    {"no clients", {"--url", "http://h/", "--requests", "1"}, REG_EINVAL},
    {"no requests", {"--url", "http://h/", "--clients", "1"}, REG_EINVAL},
    {"clients 0", {"--url", "http://h/", "--clients", "0", "--requests", "1"}, REG_EINVAL},
    {"clients 1001", {"--url", "http://h/", "--clients", "1001", "--requests", "1"}, REG_EINVAL},
    {"requests 100001",
     {"--url", "http://h/", "--clients", "1", "--requests", "100001"},
     REG_EINVAL},
    {"negative", {"--url", "http://h/", "--clients", "-1", "--requests", "1"}, REG_EINVAL},
    {"not a number", {"--url", "http://h/", "--clients", "2x", "--requests", "1"}, REG_EINVAL},
    {"buckets 0",
     {"--url", "http://h/", "--clients", "1", "--requests", "1", "--histogram-buckets", "0"},
     REG_EINVAL},
    {"ftp", {"--url", "ftp://h/", "--clients", "1", "--requests", "1"}, REG_EINVAL},
    {"url with a space", {"--url", "http://h/ x", "--clients", "1", "--requests", "1"}, REG_EINVAL},
    {"header without a colon",
     {"--url", "http://h/", "--header", "X-A b", "--clients", "1", "--requests", "1"},
     REG_EINVAL},
    {"header with a newline",
     {"--url", "http://h/", "--header", "X-A: b\r\nX-B: c", "--clients", "1", "--requests", "1"},
     REG_EINVAL},
    {"unknown option",
     {"--url", "http://h/", "--clients", "1", "--requests", "1", "--x", "1"},
     REG_EINVAL},
    {"value missing", {"--url", "http://h/", "--clients", "1", "--requests"}, REG_EINVAL},
    {"header file missing",
     {"--url", "http://h/", "--clients", "1", "--requests", "1", "--header-file", "/nonexistent"},
     REG_EINVAL},
};

/* argv for a case: the program, then the case's arguments, as writable copies in a. */
static int
argv_of(struct reg_arena *a, const char *const args[], char *argv[13])
{
    int n = 0;

    argv[n++] = reg_arena_strdup(a, "registry-load");
    for (; n < 13 && args[n - 1]; n++)
        argv[n] = reg_arena_strdup(a, args[n - 1]);
    return n;
}

static void
test_args(void **state)
{
    struct reg_arena *a = *state;
    int bad = 0;

    for (int i = 0; i < NELEMS(args_cases); i++) {
        const struct args_case *c = &args_cases[i];
        struct reg_loadgen_options o;
        char *argv[13];
        int argc = argv_of(a, c->argv, argv);
        bool help;
        enum reg_status st = reg_loadgen_parse_args(a, argc, argv, &o, &help);
        CHECK(&bad, st == c->want && !help, "%s: got %s (%s)", c->what, reg_status_name(st),
              reg_error_detail());
    }
    assert_int_equal(bad, 0);
}

static void
test_defaults_and_values(void **state)
{
    struct reg_arena *a = *state;
    static const char *const args[] = {"--url",
                                       "http://127.0.0.1:1/download/model/1",
                                       "--header",
                                       "X-Authorization: bearer t",
                                       "--clients=100",
                                       "--requests",
                                       "2",
                                       NULL};
    char *argv[13];
    struct reg_loadgen_options o;
    bool help;

    assert_int_equal(reg_loadgen_parse_args(a, argv_of(a, args, argv), argv, &o, &help), REG_OK);
    assert_false(help);
    assert_string_equal(o.url, "http://127.0.0.1:1/download/model/1");
    assert_int_equal(o.nheaders, 1);
    assert_string_equal(o.headers[0], "X-Authorization: bearer t");
    assert_int_equal(o.clients, 100);
    assert_int_equal(o.requests, 2);
    assert_int_equal(o.warmup, 0);
    assert_int_equal(o.timeout_ms, REG_LOADGEN_TIMEOUT_MS_DEFAULT);
    assert_int_equal(o.buckets, 20);
    assert_int_equal(o.nclient_headers, 0);
    argv[1] = reg_arena_strdup(a, "--help");
    assert_int_equal(reg_loadgen_parse_args(a, 2, argv, &o, &help), REG_OK);
    assert_true(help);
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Header files: CR LF or LF, empty lines skipped; client lines kept in order. */
static void
test_header_files(void **state)
{
    struct reg_arena *a = *state;
    char dir[256], common[300], clients[300], bad[300];
    struct reg_loadgen_options o;
    bool help;

    tmpdir_make(dir, sizeof(dir), NULL, "loadgen");
    snprintf(common, sizeof(common), "%s/common", dir);
    snprintf(clients, sizeof(clients), "%s/clients", dir);
    snprintf(bad, sizeof(bad), "%s/bad", dir);
    write_file(common, "X-Registry-Workload: k\r\n\r\n");
    write_file(clients, "X-Authorization: bearer a\nX-Authorization: bearer b\n\n"
                        "X-Authorization: bearer c");
    write_file(bad, "X-Authorization: bearer a\nnot a header\n");
    {
        const char *const args[] = {"--url=http://h/", "--clients=5", "--requests=1",
                                    "--header-file",   common,        "--client-header-file",
                                    clients,           NULL};
        char *argv[13];
        assert_int_equal(reg_loadgen_parse_args(a, argv_of(a, args, argv), argv, &o, &help),
                         REG_OK);
        assert_int_equal(o.nheaders, 1);
        assert_string_equal(o.headers[0], "X-Registry-Workload: k");
        assert_int_equal(o.nclient_headers, 3);
        assert_string_equal(o.client_headers[0], "X-Authorization: bearer a");
        assert_string_equal(o.client_headers[2], "X-Authorization: bearer c");
        argv[7] = bad;
        assert_int_equal(reg_loadgen_parse_args(a, 8, argv, &o, &help), REG_EINVAL);
    }
    tmpdir_remove(dir);
}

/* The figures of a known result: counts, throughput and the latency statistics. */
static void
test_json(void **state)
{
    double lat[] = {40, 10, 30, 20};
    struct reg_loadgen_result r = {.clients = 2,
                                   .requests = 5,
                                   .ok = 3,
                                   .status_4xx = 1,
                                   .transport = 1,
                                   .bytes = 3 * 1048576,
                                   .seconds = 2.0,
                                   .latencies_ms = lat,
                                   .nlatencies = 4};
    struct json_object *o = reg_loadgen_json(&r, 4), *lat_o, *err, *hist;
    const char *text = reg_json_text(o, NULL);

    (void)state;
    assert_non_null(strstr(text, "{\"clients\":2,\"requests\":5,\"ok\":3,\"errors\":{\"status_4xx\""
                                 ":1,\"status_5xx\":0,\"status_other\":0,\"transport\":1},"
                                 "\"bytes\":3145728,\"seconds\":2.000,\"throughput_rps\":1.50,"
                                 "\"throughput_mib_s\":1.500,"));
    assert_true(json_object_object_get_ex(o, "latency_ms", &lat_o));
    assert_true(fabs(json_object_get_double(json_object_object_get(lat_o, "mean")) - 25) < 1e-9);
    assert_true(fabs(json_object_get_double(json_object_object_get(lat_o, "median")) - 25) < 1e-9);
    assert_true(fabs(json_object_get_double(json_object_object_get(lat_o, "p99")) - 40) < 1e-9);
    assert_true(json_object_object_get_ex(o, "errors", &err));
    assert_true(json_object_object_get_ex(o, "histogram", &hist));
    assert_int_equal(json_object_array_length(hist), 4);
    /* Answers without the expected header are counted only when one was expected. */
    assert_false(json_object_object_get_ex(o, "expect_header_missing", NULL));
    json_object_put(o);
    r.expecting = true;
    r.unexpected = 2;
    o = reg_loadgen_json(&r, 4);
    assert_int_equal(reg_json_int(o, "expect_header_missing"), 2);
    json_object_put(o);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_args, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_defaults_and_values, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_header_files, arena_setup, arena_teardown),
        cmocka_unit_test(test_json),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
