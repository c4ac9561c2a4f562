/*
 * loadstats.c - latency statistics and the log-spaced histogram of a load run (see
 * loadstats.h for the definitions).
 */
#include "perf/loadstats.h"

#include <math.h>
#include <stdlib.h>

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

double
reg_loadstats_percentile(const double *sorted, size_t n, double p)
{
    double rank;
    size_t i;

    if (n == 0)
        return 0;
    rank = ceil(p / 100.0 * (double)n);
    i = rank < 1 ? 0 : (size_t)rank - 1;
    return sorted[i < n ? i : n - 1];
}

void
reg_loadstats_summarize(double *ms, size_t n, struct reg_loadstats *out)
{
    double sum = 0;

    *out = (struct reg_loadstats){0};
    out->count = n;
    if (n == 0)
        return;
    qsort(ms, n, sizeof(*ms), cmp_double);
    for (size_t i = 0; i < n; i++)
        sum += ms[i];
    out->mean = sum / (double)n;
    out->median = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2.0;
    out->p90 = reg_loadstats_percentile(ms, n, 90);
    out->p99 = reg_loadstats_percentile(ms, n, 99);
    out->min = ms[0];
    out->max = ms[n - 1];
}

int
reg_loadstats_histogram(const double *sorted, size_t n, int nbuckets,
                        struct reg_loadstats_bucket *out)
{
    double lo, hi, ratio;
    int b = 0;

    if (n == 0 || nbuckets < 1)
        return 0;
    hi = sorted[n - 1];
    lo = sorted[0] > REG_LOADSTATS_FLOOR_MS ? sorted[0] : REG_LOADSTATS_FLOOR_MS;
    if (hi <= lo) { /* all alike: one bucket holds them */
        out[0] = (struct reg_loadstats_bucket){hi, (uint64_t)n};
        return 1;
    }
    ratio = hi / lo;
    /* Bounds in whole microseconds, the latencies' own resolution: a latency that lies on a
     * bound (10 ms of 1..1000 in decades) counts in its bucket, whatever pow rounded to. */
    for (int i = 0; i < nbuckets; i++)
        out[i] = (struct reg_loadstats_bucket){
            round(lo * pow(ratio, (double)(i + 1) / nbuckets) * 1000.0) / 1000.0, 0};
    out[nbuckets - 1].le_ms = hi; /* exactly, whatever pow rounded to */
    /* Sorted input: one pass, the bucket only ever moves up. */
    for (size_t i = 0; i < n; i++) {
        while (b < nbuckets - 1 && sorted[i] > out[b].le_ms)
            b++;
        out[b].count++;
    }
    return nbuckets;
}
