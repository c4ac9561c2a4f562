/*
 * test_loadstats.c - the load run's figures on known arrays: mean, median (odd and even
 * counts), nearest-rank percentiles, extremes, and the log-spaced histogram (bounds, counts,
 * one bucket for equal values, none for no values, a latency of 0).
 */
#include "unit.h"

#include <math.h>
#include <string.h>

#include "perf/loadstats.h"

#define EPS 1e-9

struct summary_case {
    const char *what;
    double in[12];
    size_t n;
    struct reg_loadstats want;
};

/* Unsorted on purpose: summarize sorts. */
static const struct summary_case summary_cases[] = {
    {"none", {0}, 0, {0, 0, 0, 0, 0, 0, 0}},
    {"one", {7}, 1, {1, 7, 7, 7, 7, 7, 7}},
    {"odd count", {5, 1, 3}, 3, {3, 3, 3, 5, 5, 1, 5}},
    {"even count: median between the middle two", {4, 1, 3, 2}, 4, {4, 2.5, 2.5, 4, 4, 1, 4}},
    {"ten: p90 is the 9th, p99 the 10th",
     {10, 9, 8, 7, 6, 5, 4, 3, 2, 1},
     10,
     {10, 5.5, 5.5, 9, 10, 1, 10}},
    {"duplicates", {2, 2, 2, 9}, 4, {4, 3.75, 2, 9, 9, 2, 9}},
};

static bool
near(double a, double b)
{
    return fabs(a - b) < EPS;
}

static void
test_summarize(void **state)
{
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(summary_cases); i++) {
        const struct summary_case *c = &summary_cases[i];
        const struct reg_loadstats *w = &c->want;
        double v[12];
        struct reg_loadstats s;
        memcpy(v, c->in, sizeof(v));
        reg_loadstats_summarize(v, c->n, &s);
        CHECK(&bad,
              s.count == w->count && near(s.mean, w->mean) && near(s.median, w->median) &&
                  near(s.p90, w->p90) && near(s.p99, w->p99) && near(s.min, w->min) &&
                  near(s.max, w->max),
              "%s: got n=%zu mean=%g median=%g p90=%g p99=%g min=%g max=%g", c->what, s.count,
              s.mean, s.median, s.p90, s.p99, s.min, s.max);
    }
    assert_int_equal(bad, 0);
}

/* 1..1000 ms: p99 by nearest rank is the 990th value, p90 the 900th, the median 500.5. */
static void
test_percentiles_of_a_thousand(void **state)
{
    static double v[1000];
    struct reg_loadstats s;

    (void)state;
    for (int i = 0; i < 1000; i++)
        v[i] = (double)(1000 - i);
    reg_loadstats_summarize(v, 1000, &s);
    assert_true(near(s.median, 500.5));
    assert_true(near(s.p90, 900));
    assert_true(near(s.p99, 990));
    assert_true(near(s.mean, 500.5));
    assert_true(near(reg_loadstats_percentile(v, 1000, 100), 1000));
    assert_true(near(reg_loadstats_percentile(v, 1000, 0.1), 1));
    assert_true(near(reg_loadstats_percentile(v, 0, 50), 0));
}

/* 1, 10, 100, 1000 ms in 3 buckets: bounds 10, 100, 1000 (a decade each); 1 and 10 fall in
 * the first (a bound is inclusive), then one each. */
static void
test_histogram_decades(void **state)
{
    const double v[] = {1, 10, 100, 1000};
    struct reg_loadstats_bucket b[3];
    int n = reg_loadstats_histogram(v, 4, 3, b);

    (void)state;
    assert_int_equal(n, 3);
    assert_true(fabs(b[0].le_ms - 10) < 1e-6);
    assert_true(fabs(b[1].le_ms - 100) < 1e-6);
    assert_true(b[2].le_ms == 1000); /* exactly the largest */
    assert_int_equal(b[0].count, 2);
    assert_int_equal(b[1].count, 1);
    assert_int_equal(b[2].count, 1);
}

/* Counts add up to n, bounds grow geometrically (within their rounding to microseconds), and
 * every value is at most its bound and above the one before. */
static void
test_histogram_invariants(void **state)
{
    static double v[500];
    struct reg_loadstats_bucket b[REG_LOADSTATS_BUCKETS_MAX];
    uint64_t total = 0;
    int n, k = 0;

    (void)state;
    for (int i = 0; i < 500; i++)
        v[i] = 0.5 + (double)i * (double)i / 100.0; /* sorted, 0.5 .. 2490.5 */
    n = reg_loadstats_histogram(v, 500, 20, b);
    assert_int_equal(n, 20);
    for (int i = 0; i < n; i++) {
        total += b[i].count;
        if (i > 0)
            assert_true(fabs(b[i].le_ms / b[i - 1].le_ms - b[1].le_ms / b[0].le_ms) < 1e-2);
    }
    assert_int_equal(total, 500);
    for (int i = 0; i < n; i++)
        for (uint64_t c = 0; c < b[i].count; c++, k++)
            assert_true(v[k] <= b[i].le_ms && (i == 0 || v[k] > b[i - 1].le_ms));
}

static void
test_histogram_edge_cases(void **state)
{
    const double same[] = {3, 3, 3};
    const double zero[] = {0, 0, 1};
    struct reg_loadstats_bucket b[4];

    (void)state;
    assert_int_equal(reg_loadstats_histogram(same, 0, 4, b), 0);
    assert_int_equal(reg_loadstats_histogram(same, 3, 4, b), 1);
    assert_true(b[0].le_ms == 3);
    assert_int_equal(b[0].count, 3);
    /* A latency of 0 ms: the bounds start from the floor, and 0 counts in the first bucket. */
    assert_int_equal(reg_loadstats_histogram(zero, 3, 3, b), 3);
    assert_true(fabs(b[0].le_ms - 0.01) < 1e-9);
    assert_int_equal(b[0].count, 2);
    assert_int_equal(b[1].count, 0);
    assert_int_equal(b[2].count, 1);
    assert_true(b[2].le_ms == 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summarize),
        cmocka_unit_test(test_percentiles_of_a_thousand),
        cmocka_unit_test(test_histogram_decades),
        cmocka_unit_test(test_histogram_invariants),
        cmocka_unit_test(test_histogram_edge_cases),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
