/*
 * test_stats.c - the shared request statistics (lib/http/stats.c): counts per route and
 * type, percentiles from the latency histogram, the window, slot recycling, upstream outcomes.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/stats.h"

static struct reg_stats *
new_stats(void)
{
    struct reg_stats *s = calloc(1, sizeof(*s));

    assert_non_null(s);
    return s;
}

static void
test_counts_and_percentiles(void **state)
{
    struct reg_stats *s = new_stats();
    struct reg_route_summary r;
    int64_t now = (int64_t)(time(NULL) / 60);

    (void)state;
    for (int i = 0; i < 90; i++)
        reg_stats_record(s, 3, REG_TYPE_MODEL, 200, 0.05); /* bucket 0: <= 0.1 ms */
    for (int i = 0; i < 9; i++)
        reg_stats_record(s, 3, REG_TYPE_DATASET, 404, 3.0); /* <= 3.2 ms */
    reg_stats_record(s, 3, -1, 503, 900.0);                 /* <= 1638.4 ms */
    reg_stats_route(s, 3, now, 60, &r);
    assert_int_equal(r.requests, 100);
    assert_int_equal(r.errors, 1);
    assert_int_equal(r.client_errors, 9);
    assert_true(r.p50_ms == 0.1);
    assert_true(r.p95_ms == 3.2);
    assert_true(r.p99_ms == 3.2);
    reg_stats_route(s, 4, now, 60, &r);
    assert_int_equal(r.requests, 0);
    assert_true(r.p99_ms == 0.0);
    free(s);
}

static void
test_types_and_unrouted(void **state)
{
    struct reg_stats *s = new_stats();
    struct reg_route_summary r;
    uint64_t types[REG_TYPE_COUNT];
    int64_t now = (int64_t)(time(NULL) / 60);

    (void)state;
    reg_stats_record(s, -1, REG_TYPE_CODE, 404, 1.0);
    reg_stats_record(s, 9999, REG_TYPE_CODE, 404, 1.0);
    reg_stats_record(s, 1, 7, 200, 1.0); /* not a type: not counted by type */
    reg_stats_route(s, REG_STATS_UNROUTED, now, 60, &r);
    assert_int_equal(r.requests, 2);
    reg_stats_types(s, now, 60, types);
    assert_int_equal(types[REG_TYPE_CODE], 2);
    assert_int_equal(types[REG_TYPE_MODEL] + types[REG_TYPE_DATASET], 0);
    free(s);
}

/* A slot left from an hour ago is not counted, and is reset when its minute comes again. */
static void
test_window_and_recycling(void **state)
{
    struct reg_stats *s = new_stats();
    struct reg_route_summary r;
    int64_t now = (int64_t)(time(NULL) / 60);
    struct reg_route_minute *slot = &s->routes[2][now % REG_STATS_MINUTES];

    (void)state;
    slot->minute = now - REG_STATS_MINUTES; /* an hour old */
    slot->requests = 50;
    reg_stats_route(s, 2, now, 60, &r);
    assert_int_equal(r.requests, 0);
    reg_stats_record(s, 2, -1, 200, 1.0);
    reg_stats_route(s, 2, now, 60, &r);
    assert_int_equal(r.requests, 1);
    assert_false(reg_stats_claim(&slot->minute, now));
    assert_true(reg_stats_claim(&slot->minute, now + 1));
    free(s);
}

static void
test_upstream(void **state)
{
    struct reg_stats *s = new_stats();
    char long_detail[400];

    (void)state;
    reg_stats_upstream(s, REG_UPSTREAM_GITHUB, true, NULL);
    memset(long_detail, 'x', sizeof(long_detail) - 1);
    long_detail[sizeof(long_detail) - 1] = '\0';
    reg_stats_upstream(s, REG_UPSTREAM_GITHUB, false, long_detail);
    assert_int_equal(s->upstream[REG_UPSTREAM_GITHUB].ok, 1);
    assert_int_equal(s->upstream[REG_UPSTREAM_GITHUB].errors, 1);
    assert_int_equal(strlen(s->upstream[REG_UPSTREAM_GITHUB].detail), REG_STATS_DETAIL_MAX - 1);
    assert_true(s->upstream[REG_UPSTREAM_GITHUB].last_error > 0);
    /* within one second, the order of outcomes still tells which came last */
    assert_true(s->upstream[REG_UPSTREAM_GITHUB].last_error_seq >
                s->upstream[REG_UPSTREAM_GITHUB].last_ok_seq);
    reg_stats_upstream(s, REG_UPSTREAM_GITHUB, true, NULL);
    assert_true(s->upstream[REG_UPSTREAM_GITHUB].last_ok_seq >
                s->upstream[REG_UPSTREAM_GITHUB].last_error_seq);
    assert_int_equal(s->upstream[REG_UPSTREAM_HUGGINGFACE].ok, 0);
    free(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_percentiles),
        cmocka_unit_test(test_types_and_unrouted),
        cmocka_unit_test(test_window_and_recycling),
        cmocka_unit_test(test_upstream),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
