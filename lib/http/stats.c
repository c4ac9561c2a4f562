/*
 * stats.c - shared, lock-free request statistics (see stats.h).
 */
#include "http/stats.h"

#include <string.h>
#include <time.h>

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

bool
reg_stats_claim(int64_t *stamp, int64_t minute)
{
    int64_t seen = LOAD(stamp);

    return seen != minute && __atomic_compare_exchange_n(stamp, &seen, minute, false,
                                                         __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static int
bucket_of(double ms)
{
    double us = ms * 1000.0, bound = REG_STATS_BUCKET0_US;
    int i = 0;

    while (i < REG_STATS_BUCKETS - 1 && us > bound) {
        bound *= 2.0;
        i++;
    }
    return i;
}

static double
bucket_bound_ms(int i)
{
    return (double)((int64_t)REG_STATS_BUCKET0_US << i) / 1000.0;
}

void
reg_stats_record(struct reg_stats *s, int route, int type, int status, double ms)
{
    int64_t minute = (int64_t)(time(NULL) / 60);
    struct reg_route_minute *r;
    struct reg_type_minute *t = &s->types[minute % REG_STATS_MINUTES];

    if (route < 0 || route >= REG_STATS_ROUTES)
        route = REG_STATS_UNROUTED;
    r = &s->routes[route][minute % REG_STATS_MINUTES];
    if (reg_stats_claim(&r->minute, minute)) {
        STORE(&r->requests, 0);
        STORE(&r->errors, 0);
        STORE(&r->client_errors, 0);
        for (int i = 0; i < REG_STATS_BUCKETS; i++)
            STORE(&r->latency[i], 0);
    }
    ADD(&r->requests, 1);
    if (status >= 500)
        ADD(&r->errors, 1);
    else if (status >= 400)
        ADD(&r->client_errors, 1);
    ADD(&r->latency[bucket_of(ms)], 1);
    if (type < 0 || type >= REG_TYPE_COUNT)
        return;
    if (reg_stats_claim(&t->minute, minute))
        for (int i = 0; i < REG_TYPE_COUNT; i++)
            STORE(&t->requests[i], 0);
    ADD(&t->requests[type], 1);
}

void
reg_stats_scan(struct reg_stats *s, const int files[REG_STATS_VERDICTS], bool refused)
{
    for (int v = 0; v < REG_STATS_VERDICTS; v++)
        if (files[v] > 0)
            ADD(&s->scans.files[v], (uint64_t)files[v]);
    if (refused)
        ADD(&s->scans.refused, 1);
}

void
reg_stats_upstream(struct reg_stats *s, enum reg_upstream u, bool ok, const char *detail)
{
    struct reg_upstream_health *h = &s->upstream[u];
    int64_t now = (int64_t)time(NULL);
    uint64_t seq = ADD(&h->events, 1) + 1;

    if (ok) {
        ADD(&h->ok, 1);
        STORE(&h->last_ok, now);
        STORE(&h->last_ok_seq, seq);
        return;
    }
    ADD(&h->errors, 1);
    STORE(&h->last_error, now);
    STORE(&h->last_error_seq, seq);
    /* Racing writers may interleave their texts; the last byte is always a terminator. */
    strncpy(h->detail, detail ? detail : "", sizeof(h->detail) - 1);
    h->detail[sizeof(h->detail) - 1] = '\0';
}

/* The latency below which a share q of the counted requests fall (a bucket's upper bound). */
static double
percentile(const uint64_t *hist, uint64_t total, double q)
{
    uint64_t need = (uint64_t)((double)total * q + 0.999999), seen = 0;

    for (int i = 0; i < REG_STATS_BUCKETS; i++) {
        seen += hist[i];
        if (seen >= need && seen > 0)
            return bucket_bound_ms(i);
    }
    return total ? bucket_bound_ms(REG_STATS_BUCKETS - 1) : 0.0;
}

void
reg_stats_route(const struct reg_stats *s, int route, int64_t now, int window,
                struct reg_route_summary *out)
{
    uint64_t hist[REG_STATS_BUCKETS] = {0};

    memset(out, 0, sizeof(*out));
    if (route < 0 || route >= REG_STATS_ROUTES)
        return;
    if (window > REG_STATS_MINUTES)
        window = REG_STATS_MINUTES;
    for (int64_t m = now - window + 1; m <= now; m++) {
        const struct reg_route_minute *r = &s->routes[route][m % REG_STATS_MINUTES];
        if (LOAD(&r->minute) != m)
            continue;
        out->requests += LOAD(&r->requests);
        out->errors += LOAD(&r->errors);
        out->client_errors += LOAD(&r->client_errors);
        for (int i = 0; i < REG_STATS_BUCKETS; i++)
            hist[i] += LOAD(&r->latency[i]);
    }
    out->p50_ms = percentile(hist, out->requests, 0.50);
    out->p95_ms = percentile(hist, out->requests, 0.95);
    out->p99_ms = percentile(hist, out->requests, 0.99);
}

void
reg_stats_types(const struct reg_stats *s, int64_t now, int window, uint64_t out[REG_TYPE_COUNT])
{
    memset(out, 0, sizeof(uint64_t) * REG_TYPE_COUNT);
    if (window > REG_STATS_MINUTES)
        window = REG_STATS_MINUTES;
    for (int64_t m = now - window + 1; m <= now; m++) {
        const struct reg_type_minute *t = &s->types[m % REG_STATS_MINUTES];
        if (LOAD(&t->minute) != m)
            continue;
        for (int i = 0; i < REG_TYPE_COUNT; i++)
            out[i] += LOAD(&t->requests[i]);
    }
}
