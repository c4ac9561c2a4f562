/*
 * reg.c - the app's lifetime and the request dispatcher: route, run, map errors, count.
 */
#include "reg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/users.h"
#include "base/clock.h"
#include "base/log.h"
#include "handlers/handlers.h"

/* Upstream outcomes, from ingest, into the shared statistics. */
static void
observe_upstream(void *ctx, enum reg_upstream u, bool ok, const char *detail)
{
    struct reg_pool_status *pool = ctx;

    reg_stats_upstream(&pool->stats, u, ok, detail);
}

void
reg_app_count_scan(void *ctx, const int counts[REG_SECURITY_VERDICTS], bool refused)
{
    struct reg_pool_status *pool = ctx;

    if (pool)
        reg_stats_scan(&pool->stats, counts, refused);
}

/* The worker's handle on the host's README snapshots, kept in the run directory that registryd
 * creates (without it, search reads READMEs from the store). */
static enum reg_status
open_readme_snapshot(const struct reg_config *cfg, struct reg_readme_snapshot **out)
{
    char dir[4096];

    snprintf(dir, sizeof(dir), "%s/run", cfg->data_dir);
    return reg_readme_snapshot_new(dir, REG_README_SNAPSHOT_MAX, out);
}

enum reg_status
reg_app_new(const struct reg_config *cfg, struct reg_pool_status *pool, struct reg_app **out)
{
    struct reg_app *app = calloc(1, sizeof(*app));
    enum reg_status st;

    *out = NULL;
    if (!app)
        reg_oom();
    app->config = *cfg;
    reg_ingest_init(&app->ingest, &app->config);
    if (pool) {
        app->ingest.observe = observe_upstream;
        app->ingest.observe_scan = reg_app_count_scan;
        app->ingest.observe_ctx = pool;
    }
    app->pool = pool;
    app->started_at = time(NULL);
    st = reg_scan_policy_parse(cfg->scan_policy, &app->scan_policy);
    if (st == REG_OK)
        st = reg_store_open(cfg, &app->store);
    if (st == REG_OK)
        st = reg_blobs_open(cfg, &app->blobs);
    if (st == REG_OK)
        st = reg_catalog_new(&app->catalog);
    if (st == REG_OK)
        st = reg_search_new(&app->search);
    if (st == REG_OK)
        st = open_readme_snapshot(cfg, &app->readmes);
    if (st == REG_OK)
        st = reg_users_init(&app->users, app->store, &app->config);
    if (st == REG_OK)
        st = reg_users_bootstrap_admin(&app->users);
    /* Failed logins and token uses are counted per host, in the memory the master shares with
     * its workers. */
    if (pool) {
        app->users.backoff = &pool->login_backoff;
        app->users.leases = &pool->token_leases;
    }
    if (st != REG_OK) {
        reg_app_free(app);
        return st;
    }
    *out = app;
    return REG_OK;
}

void
reg_app_free(struct reg_app *app)
{
    if (!app)
        return;
    reg_users_cleanup(&app->users);
    reg_search_free(app->search);
    reg_readme_snapshot_free(app->readmes);
    reg_catalog_free(app->catalog);
    reg_blobs_free(app->blobs);
    reg_store_close(app->store);
    free(app);
}

/* The artifact type a request is about: its {artifact_type}, or the type its route names. */
static int
request_type(struct reg_request *req, const struct reg_route *route)
{
    enum reg_artifact_type t;
    const char *param = route ? reg_request_param(req, "artifact_type") : NULL;

    if (param && reg_artifact_type_parse(param, &t) == REG_OK)
        return (int)t;
    if (route && strncmp(route->pattern, "/artifact/model/", 16) == 0)
        return REG_TYPE_MODEL;
    return -1;
}

/* Adds the answer to the shared counters of the worker pool. */
static void
count_request(struct reg_pool_status *pool, struct reg_request *req, const struct reg_route *route,
              int status, double ms)
{
    int64_t minute = (int64_t)time(NULL) / 60;
    struct reg_minute_bucket *b = &pool->minutes[minute % REG_POOL_MINUTES];

    if (reg_stats_claim(&b->minute, minute)) {
        __atomic_store_n(&b->requests, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&b->errors, 0, __ATOMIC_RELAXED);
    }
    __atomic_fetch_add(&b->requests, 1, __ATOMIC_RELAXED);
    if (status >= 500)
        __atomic_fetch_add(&b->errors, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&pool->requests, 1, __ATOMIC_RELAXED);
    reg_stats_record(&pool->stats, route ? (int)(route - reg_routes) : REG_STATS_UNROUTED,
                     request_type(req, route), status, ms);
}

/* A public route's optional token (REG_TOKEN_OPTIONAL): req->caller when it is good; any
 * failure leaves the caller anonymous, so a stale token or a store that is down (when a health
 * report matters most) still gets the public answer. */
static void
identify(struct reg_app *app, struct reg_request *req)
{
    struct reg_caller *caller;

    if (!req->authorization)
        return;
    caller = reg_arena_alloc(&req->arena, sizeof(*caller));
    if (reg_users_authorize(&app->users, &req->arena, req->authorization, caller) == REG_OK)
        req->caller = caller;
    reg_error_clear();
}

/* Internal routes exist only for nginx's subrequests; a route with an optional token answers
 * anyone; every other route needs the access its table entry names, and spends one of the
 * token's uses. */
static enum reg_status
admit(struct reg_app *app, struct reg_request *req, const struct reg_route *route)
{
    if (route->access == REG_TOKEN_OPTIONAL) {
        identify(app, req);
        return REG_OK;
    }
    if (!(route->access & REG_INTERNAL))
        return reg_handler_authorize(app, req, route, true);
    if (!req->internal)
        return reg_errorf(REG_ENOROUTE, "no route for %s %.200s", req->method, req->path);
    return REG_OK;
}

/* Refuses a body over the route's cap before anything parses it. */
static enum reg_status
check_body(const struct reg_request *req, const struct reg_route *route)
{
    if (req->body_len <= route->max_body)
        return REG_OK;
    return reg_errorf(REG_ETOOLARGE, "request body of %zu bytes exceeds the %zu-byte cap of %s %s",
                      req->body_len, route->max_body, route->method, route->pattern);
}

void
reg_http_dispatch(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    const struct reg_route *route = NULL;
    const char *allow;
    double start = reg_clock_ms();
    enum reg_status st;

    reg_error_clear();
    req->base_url = reg_request_base_url(req, &app->config);
    st = reg_router_match(reg_routes, reg_nroutes, req, &route, &allow);
    if (st == REG_OK)
        st = check_body(req, route);
    if (st == REG_OK)
        st = admit(app, req, route);
    if (st == REG_OK)
        st = route->handler(app, req, resp);
    if (st != REG_OK) {
        reg_response_error(resp, st);
        if (allow)
            reg_response_header(resp, "Allow", allow);
        if (resp->status >= 500)
            reg_log(REG_LOG_ERROR, "%s %s -> %d %s", req->method, req->path, resp->status,
                    reg_error_detail());
    }
    /* nginx's checks are not requests of their own: the request they check is counted. */
    if (app->pool && !(route && (route->access & REG_INTERNAL)))
        count_request(app->pool, req, route, resp->status, reg_clock_ms() - start);
}
