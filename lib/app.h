/*
 * app.h - the process-wide state a handler works with, and the worker-pool status that the
 * master shares with its workers.
 *
 * Ownership: reg_app_new() (reg.h) creates the app and everything it points to except pool,
 * which belongs to the caller (fcgi/master.c maps it before forking); reg_app_free() releases
 * what reg_app_new() created. users is embedded and borrows store; handlers pass &app->users
 * to auth/users.h, which never sees the app.
 */
#ifndef REG_APP_H
#define REG_APP_H

#include <stdint.h>
#include <time.h>

#include "auth/users.h"
#include "base/config.h"
#include "base/limits.h"
#include "blob/blobs.h"
#include "core/catalog.h"
#include "core/ingest.h"
#include "core/search.h"
#include "core/search_hits.h"
#include "http/stats.h"
#include "scan/scan.h"
#include "store/store.h"

/* Requests per minute over the last day, in a ring indexed by minute. */
#define REG_POOL_MINUTES 1440

struct reg_minute_bucket {
    int64_t minute; /* minutes since the epoch this bucket counts; older values are stale */
    uint64_t requests;
    uint64_t errors; /* answers with status >= 500 */
};

/* Shared memory: written by the master (workers, restarts) and by workers (counters, with
 * atomic operations). */
struct reg_pool_status {
    int workers_configured;
    int workers_alive;
    uint64_t restarts;
    int64_t started_at;
    uint64_t requests;
    struct reg_minute_bucket minutes[REG_POOL_MINUTES];
    struct reg_stats stats; /* per route, per type and upstream figures for the dashboard */
    /* Workers streaming a bundle that is being fetched (their pids; 0 = free slot). */
    int streaming[REG_STREAM_SLOTS_MAX];
    /* Failed logins per user name, for every worker of this host (auth/backoff.h); set up by
     * the master with reg_backoff_init() before it forks. */
    struct reg_backoff login_backoff;
    /* Token uses leased from the store in blocks and spent by every worker of this host
     * (auth/leases.h); set up by the master with reg_leases_init() before it forks. */
    struct reg_leases token_leases;
    /* Appearances of each artifact in search answers, counted by every worker of this host
     * (core/search_hits.h; zeroed by the mapping). */
    struct reg_search_hits search_hits;
};

struct reg_app {
    struct reg_config config;
    struct reg_store *store;
    struct reg_users users;      /* access control on store: token secret, policy, cached records */
    struct reg_blobs *blobs;     /* bundles and their index (bundle/index.h) */
    struct reg_catalog *catalog; /* this worker's snapshot of every artifact */
    struct reg_ingest ingest;    /* upstream hosts, tokens, timeouts and the ingest gate */
    struct reg_search *search;
    struct reg_readme_snapshot *readmes; /* this worker's mapping of the host's README snapshot */
    struct reg_pool_status *pool;        /* NULL outside registryd (unit tests) */
    enum reg_scan_policy scan_policy;    /* REGISTRY_SCAN_POLICY (core/security.h) */
    time_t started_at;
};

#endif
