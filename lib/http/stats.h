/*
 * stats.h - the request statistics the health dashboard reads: per route and per minute,
 * requests, errors and a latency histogram; requests per artifact type; the outcomes of
 * upstream calls. They live in the shared memory the master maps before forking
 * (struct reg_pool_status), so every worker counts into the same place; all updates are atomic
 * and lock-free.
 *
 * A minute's slot is recycled by the first worker that reaches a newer minute; a count made by
 * another worker in the instant between that worker's claim and its reset may be lost. These
 * are monitoring figures, not accounts.
 */
#ifndef REG_HTTP_STATS_H
#define REG_HTTP_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/artifact.h"
#include "upstream/upstream.h"

/* Route slots (the route table's index; the last slot counts requests no route matched). */
#define REG_STATS_ROUTES 64
#define REG_STATS_UNROUTED (REG_STATS_ROUTES - 1)
/* Minutes kept per route. */
#define REG_STATS_MINUTES 60
/* Latency histogram: bucket i holds latencies up to REG_STATS_BUCKET0_US << i microseconds;
 * the last bucket holds everything longer. */
#define REG_STATS_BUCKETS 20
#define REG_STATS_BUCKET0_US 100
/* Longest upstream failure detail kept. */
#define REG_STATS_DETAIL_MAX 160

struct reg_route_minute {
    int64_t minute; /* minutes since the epoch this slot counts */
    uint64_t requests;
    uint64_t errors;        /* answers >= 500 */
    uint64_t client_errors; /* answers 400..499 */
    uint64_t latency[REG_STATS_BUCKETS];
};

struct reg_type_minute {
    int64_t minute;
    uint64_t requests[REG_TYPE_COUNT];
};

struct reg_upstream_health {
    int64_t last_ok, last_error; /* Unix times, 0 when never */
    uint64_t ok, errors;
    uint64_t events;                      /* outcomes so far: orders them within a second */
    uint64_t last_ok_seq, last_error_seq; /* events value of the newest success / failure */
    char detail[REG_STATS_DETAIL_MAX];    /* the last failure's detail (best effort under races) */
};

/* The model scan on this host since it started (core/security.h): files scanned by verdict, in
 * scan/scan.h's order (safe, suspicious, dangerous, unknown), and uploads it refused. */
#define REG_STATS_VERDICTS 4
struct reg_scan_tally {
    uint64_t files[REG_STATS_VERDICTS];
    uint64_t refused;
};

struct reg_stats {
    struct reg_route_minute routes[REG_STATS_ROUTES][REG_STATS_MINUTES];
    struct reg_type_minute types[REG_STATS_MINUTES];
    struct reg_upstream_health upstream[REG_UPSTREAM_COUNT];
    struct reg_scan_tally scans;
};

/* Counts one answer: route slot, artifact type (-1 when none), HTTP status, handling time. */
void reg_stats_record(struct reg_stats *s, int route, int type, int status, double ms);

/* Counts one scanned upload: its files by verdict, and whether the scan refused it. */
void reg_stats_scan(struct reg_stats *s, const int files[REG_STATS_VERDICTS], bool refused);

/* Counts one upstream call's outcome; detail (failures) may be NULL. */
void reg_stats_upstream(struct reg_stats *s, enum reg_upstream u, bool ok, const char *detail);

struct reg_route_summary {
    uint64_t requests, errors, client_errors;
    double p50_ms, p95_ms, p99_ms; /* bucket upper bounds; 0 without requests */
};

/* A route's figures over the `window` minutes up to and including minute `now`. */
void reg_stats_route(const struct reg_stats *s, int route, int64_t now, int window,
                     struct reg_route_summary *out);

/* Requests per artifact type over the window. */
void reg_stats_types(const struct reg_stats *s, int64_t now, int window,
                     uint64_t out[REG_TYPE_COUNT]);

/* If the slot stamped *stamp is not yet counting minute, claims it for minute; true when the
 * caller claimed it and must reset its counts. */
bool reg_stats_claim(int64_t *stamp, int64_t minute);

#endif
