/*
 * loadstats.h - the figures of a load run (tools/registry-load, perf/loadgen.h): latency
 * statistics and a histogram with log-spaced buckets, from the latencies of the requests that
 * completed. Arithmetic only, no I/O, so that the unit tests check it on known arrays.
 *
 * Definitions (n latencies, sorted ascending as s[0..n)):
 *   mean       the arithmetic mean
 *   median     the middle value, s[(n-1)/2], or the mean of the two middle values for an even n
 *   pXX        nearest rank: the smallest latency with at least XX % of all at or below it,
 *              s[ceil(XX/100 * n) - 1] (so p99 of 100 values is the 99th, of 10 values the 10th)
 *   min, max   s[0], s[n-1]
 *   histogram  B buckets whose upper bounds grow geometrically from the smallest latency to
 *              the largest: le_i = lo * (max/lo)^(i/B) for i = 1..B, where lo is the smallest
 *              latency (at least REG_LOADSTATS_FLOOR_MS), rounded to whole microseconds (the
 *              latencies' resolution), and le_B is max exactly. A latency counts in the first
 *              bucket whose bound it does not exceed; counts are per bucket, not cumulative,
 *              and add up to n. When every latency is the same there is one bucket; with none
 *              there are none.
 * With n = 0 every statistic is 0.
 *
 * Ownership: the caller owns every array; nothing is allocated.
 */
#ifndef REG_PERF_LOADSTATS_H
#define REG_PERF_LOADSTATS_H

#include <stddef.h>
#include <stdint.h>

/* The smallest histogram bound (ms): a latency of 0 (a clock's resolution) would make the
 * geometric spacing degenerate. */
#define REG_LOADSTATS_FLOOR_MS 0.001
/* Histogram buckets: the default and the most accepted. */
#define REG_LOADSTATS_BUCKETS_DEFAULT 20
#define REG_LOADSTATS_BUCKETS_MAX 200

struct reg_loadstats {
    size_t count;
    double mean, median, p90, p99, min, max; /* ms */
};

struct reg_loadstats_bucket {
    double le_ms;   /* upper bound (inclusive) */
    uint64_t count; /* latencies in (previous bound, le_ms] */
};

/* Sorts ms[0..n) ascending, in place, and fills *out. */
void reg_loadstats_summarize(double *ms, size_t n, struct reg_loadstats *out);

/* The pth percentile (0 < p <= 100) of sorted[0..n) by nearest rank; 0 when n is 0. */
double reg_loadstats_percentile(const double *sorted, size_t n, double p);

/* Fills out[0..nbuckets) with the histogram of sorted[0..n) (ascending) and returns how many
 * buckets it has (at most nbuckets; nbuckets is 1..REG_LOADSTATS_BUCKETS_MAX). */
int reg_loadstats_histogram(const double *sorted, size_t n, int nbuckets,
                            struct reg_loadstats_bucket *out);

#endif
