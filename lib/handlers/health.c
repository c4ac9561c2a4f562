/*
 * health.c - GET /health (liveness, with warnings about a dangerous configuration), GET
 * /tracks, GET /health/components (the store, the worker pool, the upstreams and the disk, read
 * live), GET /health/activity (per-route and per-type figures the workers count in shared
 * memory) and GET /health/logs (the service log, for admins).
 *
 * /health/components is public, but only an admin's token sees its details: descriptions (the
 * upstream base URLs among them), metrics (store backend, counts, disk sizes) and each issue's
 * details (the failure's own text: an upstream's error, a store error). Anyone else gets each
 * component's id, display name, status and observation time (the contract's required fields),
 * its issues by code, severity and fixed summary (a store that is down cannot check an admin's
 * token, and "store_unreachable" must still be seen), and the pool's per-minute request and
 * error counts when asked (includeTimeline: the traffic GET /health/activity publishes too).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "base/json.h"
#include "base/str.h"
#include "core/monitor.h"
#include "handlers/handlers.h"
#include "scan/scan.h"

enum reg_status
reg_handle_health(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct json_object *body = reg_arena_own_json(&req->arena, json_object_new_object());
    const char *warnings[REG_CONFIG_WARNINGS_MAX];
    int n = reg_config_warnings(&app->config, warnings);

    json_object_object_add(body, "status", json_object_new_string("ok"));
    /* Dangerous configuration is shown wherever someone looks at the service's health; a
     * sound one leaves the liveness answer as small as ever. */
    if (n > 0) {
        struct json_object *list = json_object_new_array();
        for (int i = 0; i < n; i++)
            json_object_array_add(list, json_object_new_string(warnings[i]));
        json_object_object_add(body, "warnings", list);
    }
    return reg_response_json(resp, 200, body);
}

enum reg_status
reg_handle_tracks(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    static const char *const tracks[] = {"Performance track", "Access control track",
                                         "High assurance track", "Other Security track"};
    struct json_object *body = reg_arena_own_json(&req->arena, json_object_new_object());
    struct json_object *list = json_object_new_array();

    (void)app;
    for (size_t i = 0; i < sizeof(tracks) / sizeof(tracks[0]); i++)
        json_object_array_add(list, json_object_new_string(tracks[i]));
    json_object_object_add(body, "plannedTracks", list);
    return reg_response_json(resp, 200, body);
}

static struct json_object *
iso_time(time_t t)
{
    char buf[32];

    reg_str_iso8601((int64_t)t, buf);
    return json_object_new_string(buf);
}

/* An issue: a fixed summary anyone may read, and the failure's own text (an error message,
 * which may name hosts, paths or endpoints) as details, NULL when there is none. */
static void
add_issue(struct json_object *component, const char *code, const char *severity,
          const char *summary, const char *details)
{
    struct json_object *issues, *issue = json_object_new_object();

    json_object_object_get_ex(component, "issues", &issues);
    json_object_object_add(issue, "code", json_object_new_string(code));
    json_object_object_add(issue, "severity", json_object_new_string(severity));
    json_object_object_add(issue, "summary", json_object_new_string(summary));
    if (details)
        json_object_object_add(issue, "details", json_object_new_string(details));
    json_object_array_add(issues, issue);
}

static struct json_object *
new_component(const char *id, const char *display, const char *description, time_t now)
{
    struct json_object *c = json_object_new_object();

    json_object_object_add(c, "id", json_object_new_string(id));
    json_object_object_add(c, "display_name", json_object_new_string(display));
    json_object_object_add(c, "observed_at", iso_time(now));
    json_object_object_add(c, "description", json_object_new_string(description));
    json_object_object_add(c, "metrics", json_object_new_object());
    json_object_object_add(c, "issues", json_object_new_array());
    return c;
}

static void
set_metric(struct json_object *component, const char *key, struct json_object *value)
{
    struct json_object *metrics;

    json_object_object_get_ex(component, "metrics", &metrics);
    json_object_object_add(metrics, key, value);
}

static struct json_object *
store_component(struct reg_app *app, time_t now)
{
    struct json_object *c = new_component("store", "Artifact store",
                                          "Persistent artifact storage (REGISTRY_STORE)", now);
    int64_t count = 0;
    uint64_t generation = 0;
    enum reg_status st = reg_store_count(app->store, &count);

    if (st == REG_OK)
        st = reg_store_generation(app->store, &generation);
    set_metric(c, "backend", json_object_new_string(app->store->ops->name));
    if (st != REG_OK) {
        json_object_object_add(c, "status", json_object_new_string("critical"));
        add_issue(c, "store_unreachable", "error", "the store cannot be reached",
                  reg_error_detail());
        return c;
    }
    json_object_object_add(c, "status", json_object_new_string("ok"));
    set_metric(c, "artifacts", json_object_new_int64(count));
    set_metric(c, "generation", json_object_new_int64((int64_t)generation));
    return c;
}

/* One series of the pool's timeline: for each minute of the window, oldest first, the
 * requests (errors false) or the answers >= 500 (errors true) of that minute. */
static void
add_series(struct json_object *timeline, const struct reg_pool_status *pool, time_t now, int window,
           bool errors)
{
    int64_t current = (int64_t)now / 60;

    for (int64_t m = current - window + 1; m <= current; m++) {
        const struct reg_minute_bucket *b = &pool->minutes[m % REG_POOL_MINUTES];
        struct json_object *entry = json_object_new_object();
        uint64_t v = errors ? __atomic_load_n(&b->errors, __ATOMIC_RELAXED)
                            : __atomic_load_n(&b->requests, __ATOMIC_RELAXED);
        bool fresh = __atomic_load_n(&b->minute, __ATOMIC_RELAXED) == m;
        json_object_object_add(entry, "bucket", iso_time((time_t)(m * 60)));
        json_object_object_add(entry, "value", json_object_new_int64(fresh ? (int64_t)v : 0));
        json_object_object_add(entry, "unit",
                               json_object_new_string(errors ? "errors/min" : "requests/min"));
        json_object_array_add(timeline, entry);
    }
}

/* Requests per minute, then server errors (5xx) per minute, over the window. */
static struct json_object *
pool_timeline(const struct reg_pool_status *pool, time_t now, int window)
{
    struct json_object *timeline = json_object_new_array();

    add_series(timeline, pool, now, window, false);
    add_series(timeline, pool, now, window, true);
    return timeline;
}

static struct json_object *
pool_component(struct reg_app *app, time_t now, int window, bool timeline)
{
    struct json_object *c = new_component("worker-pool", "FastCGI worker pool",
                                          "Pre-forked registryd workers behind nginx", now);
    const struct reg_pool_status *pool = app->pool;
    int alive, configured;

    if (!pool) {
        json_object_object_add(c, "status", json_object_new_string("unknown"));
        return c;
    }
    alive = __atomic_load_n(&pool->workers_alive, __ATOMIC_RELAXED);
    configured = pool->workers_configured;
    set_metric(c, "workers_configured", json_object_new_int(configured));
    set_metric(c, "workers_alive", json_object_new_int(alive));
    set_metric(c, "restarts", json_object_new_int64((int64_t)pool->restarts));
    set_metric(c, "requests_total",
               json_object_new_int64((int64_t)__atomic_load_n(&pool->requests, __ATOMIC_RELAXED)));
    set_metric(c, "uptime_seconds", json_object_new_int64((int64_t)now - pool->started_at));
    if (alive >= configured) {
        json_object_object_add(c, "status", json_object_new_string("ok"));
    } else {
        json_object_object_add(c, "status",
                               json_object_new_string(alive > 0 ? "degraded" : "critical"));
        add_issue(c, "workers_missing", "warning", "fewer workers alive than configured", NULL);
    }
    if (timeline)
        json_object_object_add(c, "timeline", pool_timeline(pool, now, window));
    return c;
}

/* What the workers saw of an upstream service in their recent fetches. */
static struct json_object *
upstream_component(struct reg_app *app, enum reg_upstream u, time_t now)
{
    static const char *const ids[] = {"upstream-huggingface", "upstream-github"};
    static const char *const names[] = {"Hugging Face Hub", "GitHub API"};
    const char *base =
        u == REG_UPSTREAM_GITHUB ? app->config.github_api_url : app->config.hf_endpoint;
    struct json_object *c = new_component(ids[u], names[u], base, now);
    const struct reg_upstream_health *h;
    int64_t last_ok, last_error;

    if (!app->pool) {
        json_object_object_add(c, "status", json_object_new_string("unknown"));
        return c;
    }
    h = &app->pool->stats.upstream[u];
    last_ok = __atomic_load_n(&h->last_ok, __ATOMIC_RELAXED);
    last_error = __atomic_load_n(&h->last_error, __ATOMIC_RELAXED);
    set_metric(c, "calls_ok",
               json_object_new_int64((int64_t)__atomic_load_n(&h->ok, __ATOMIC_RELAXED)));
    set_metric(c, "calls_failed",
               json_object_new_int64((int64_t)__atomic_load_n(&h->errors, __ATOMIC_RELAXED)));
    if (last_ok)
        set_metric(c, "last_ok", iso_time((time_t)last_ok));
    if (last_error)
        set_metric(c, "last_failure", iso_time((time_t)last_error));
    if (!last_ok && !last_error) {
        json_object_object_add(c, "status", json_object_new_string("unknown"));
        add_issue(c, "not_contacted", "info", "not contacted since the service started", NULL);
    } else if (__atomic_load_n(&h->last_error_seq, __ATOMIC_RELAXED) >
               __atomic_load_n(&h->last_ok_seq, __ATOMIC_RELAXED)) {
        json_object_object_add(c, "status", json_object_new_string("degraded"));
        add_issue(c, "last_call_failed", "warning", "the last call failed", h->detail);
    } else {
        json_object_object_add(c, "status", json_object_new_string("ok"));
    }
    return c;
}

/* Room left on the file system of the data directory (store, logs, bundles). */
static struct json_object *
disk_component(struct reg_app *app, time_t now)
{
    struct json_object *c =
        new_component("disk", "Data directory disk", "File system holding REGISTRY_DATA_DIR", now);
    struct statvfs fs;
    double free_share;

    if (statvfs(app->config.data_dir, &fs) != 0 || fs.f_blocks == 0) {
        json_object_object_add(c, "status", json_object_new_string("unknown"));
        add_issue(c, "statvfs_failed", "warning", "the free space cannot be read", strerror(errno));
        return c;
    }
    free_share = (double)fs.f_bavail / (double)fs.f_blocks;
    set_metric(c, "free_bytes", json_object_new_int64((int64_t)fs.f_bavail * (int64_t)fs.f_frsize));
    set_metric(c, "total_bytes",
               json_object_new_int64((int64_t)fs.f_blocks * (int64_t)fs.f_frsize));
    set_metric(c, "free_ratio", reg_json_decimal(free_share, 3));
    if (free_share < 0.02) {
        json_object_object_add(c, "status", json_object_new_string("critical"));
        add_issue(c, "disk_full", "error", "less than 2 % of the disk is free", NULL);
    } else if (free_share < 0.10) {
        json_object_object_add(c, "status", json_object_new_string("degraded"));
        add_issue(c, "disk_low", "warning", "less than 10 % of the disk is free", NULL);
    } else {
        json_object_object_add(c, "status", json_object_new_string("ok"));
    }
    return c;
}

/* How long a worker trusts its last check of the monitor runtime: the check starts a process,
 * and the page is public. */
#define MONITOR_CHECK_SECONDS 60

static struct json_object *
monitor_component(struct reg_app *app, time_t now)
{
    static time_t checked_at;
    static bool usable;
    struct json_object *c = new_component(
        "monitor-runtime", "Monitor runtime (Node.js 24)",
        "Runs sensitive models' monitor programs before their downloads (REGISTRY_NODE)", now);
    const struct reg_monitor_env env = {app->config.node, app->config.data_dir,
                                        app->config.monitor_timeout_ms};

    if (checked_at == 0 || now - checked_at >= MONITOR_CHECK_SECONDS || now < checked_at) {
        usable = reg_monitor_node_ok(&env);
        checked_at = now;
    }
    set_metric(c, "node", json_object_new_string(app->config.node));
    set_metric(c, "timeout_ms", json_object_new_int(app->config.monitor_timeout_ms));
    set_metric(c, "checked_at", iso_time(checked_at));
    if (usable) {
        json_object_object_add(c, "status", json_object_new_string("ok"));
        return c;
    }
    json_object_object_add(c, "status", json_object_new_string("degraded"));
    add_issue(c, "monitor_runtime_missing", "warning",
              "Node.js 24 cannot be run: downloads of sensitive models with a monitor program fail",
              app->config.node);
    return c;
}

/* What anyone may see of the components: the parts only admins get are removed (each issue
 * keeps its code, severity and fixed summary). */
static void
public_view(struct json_object *components)
{
    static const char *const admin_only[] = {"description", "metrics", "logs"};

    for (size_t i = 0; i < json_object_array_length(components); i++) {
        struct json_object *c = json_object_array_get_idx(components, i), *issues;
        for (size_t k = 0; k < sizeof(admin_only) / sizeof(admin_only[0]); k++)
            json_object_object_del(c, admin_only[k]);
        json_object_object_get_ex(c, "issues", &issues);
        for (size_t k = 0; k < json_object_array_length(issues); k++)
            json_object_object_del(json_object_array_get_idx(issues, k), "details");
    }
}

static enum reg_status
parse_health_query(struct reg_request *req, int *window, bool *timeline)
{
    char *w, *t = NULL;
    int64_t v;
    enum reg_status st = reg_str_query_param(&req->arena, req->query, "windowMinutes", &w);

    if (st == REG_OK)
        st = reg_str_query_param(&req->arena, req->query, "includeTimeline", &t);
    if (st != REG_OK)
        return st;
    *window = 60;
    *timeline = false;
    if (w) {
        st = reg_str_to_int64(w, 5, 1440, "windowMinutes", &v);
        if (st != REG_OK)
            return st;
        *window = (int)v;
    }
    if (t) {
        if (strcmp(t, "true") != 0 && strcmp(t, "false") != 0)
            return reg_errorf(REG_EINVAL, "includeTimeline must be true or false");
        *timeline = strcmp(t, "true") == 0;
    }
    return REG_OK;
}

enum reg_status
reg_handle_health_components(struct reg_app *app, struct reg_request *req,
                             struct reg_response *resp)
{
    struct json_object *body, *components;
    time_t now = time(NULL);
    int window;
    bool timeline;
    enum reg_status st = parse_health_query(req, &window, &timeline);

    if (st != REG_OK)
        return st;
    body = reg_arena_own_json(&req->arena, json_object_new_object());
    components = json_object_new_array();
    json_object_array_add(components, store_component(app, now));
    json_object_array_add(components, pool_component(app, now, window, timeline));
    json_object_array_add(components, upstream_component(app, REG_UPSTREAM_HUGGINGFACE, now));
    json_object_array_add(components, upstream_component(app, REG_UPSTREAM_GITHUB, now));
    json_object_array_add(components, disk_component(app, now));
    json_object_array_add(components, monitor_component(app, now));
    if (!req->caller || !req->caller->is_admin)
        public_view(components);
    json_object_object_add(body, "components", components);
    json_object_object_add(body, "generated_at", iso_time(now));
    json_object_object_add(body, "window_minutes", json_object_new_int(window));
    return reg_response_json(resp, 200, body);
}

/* ---------------------------------------------------------------- activity */

static struct json_object *
route_json(const char *label, const struct reg_route_summary *r)
{
    struct json_object *o = json_object_new_object(), *lat = json_object_new_object();

    json_object_object_add(o, "route", json_object_new_string(label));
    json_object_object_add(o, "requests", json_object_new_int64((int64_t)r->requests));
    json_object_object_add(o, "errors", json_object_new_int64((int64_t)r->errors));
    json_object_object_add(o, "client_errors", json_object_new_int64((int64_t)r->client_errors));
    json_object_object_add(o, "error_rate",
                           reg_json_decimal((double)r->errors / (double)r->requests, 3));
    json_object_object_add(lat, "p50", reg_json_decimal(r->p50_ms, 1));
    json_object_object_add(lat, "p95", reg_json_decimal(r->p95_ms, 1));
    json_object_object_add(lat, "p99", reg_json_decimal(r->p99_ms, 1));
    json_object_object_add(o, "latency_ms", lat);
    return o;
}

/* The model scan's figures on this host since it started: files by verdict, uploads refused. */
static struct json_object *
scans_json(const struct reg_scan_tally *t)
{
    struct json_object *o = json_object_new_object(), *files = json_object_new_object();

    for (int v = 0; v < REG_STATS_VERDICTS; v++)
        json_object_object_add(
            files, reg_scan_verdict_name((enum reg_scan_verdict)v),
            json_object_new_int64((int64_t)__atomic_load_n(&t->files[v], __ATOMIC_RELAXED)));
    json_object_object_add(o, "files", files);
    json_object_object_add(
        o, "refused",
        json_object_new_int64((int64_t)__atomic_load_n(&t->refused, __ATOMIC_RELAXED)));
    return o;
}

enum reg_status
reg_handle_health_activity(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct json_object *body, *routes, *types;
    struct reg_route_summary r;
    uint64_t per_type[REG_TYPE_COUNT];
    time_t now = time(NULL);
    int64_t minute = (int64_t)now / 60;
    int window;
    bool unused;
    enum reg_status st = parse_health_query(req, &window, &unused);

    if (st != REG_OK)
        return st;
    if (window > REG_STATS_MINUTES)
        window = REG_STATS_MINUTES;
    body = reg_arena_own_json(&req->arena, json_object_new_object());
    routes = json_object_new_array();
    types = json_object_new_array();
    for (int i = 0; app->pool && i < REG_STATS_ROUTES; i++) {
        const char *label;
        if (i >= reg_nroutes && i != REG_STATS_UNROUTED)
            continue;
        reg_stats_route(&app->pool->stats, i, minute, window, &r);
        if (r.requests == 0)
            continue;
        label = i == REG_STATS_UNROUTED
                    ? "(no route)"
                    : reg_arena_sprintf(&req->arena, "%s %s", reg_routes[i].method,
                                        reg_routes[i].pattern);
        json_object_array_add(routes, route_json(label, &r));
    }
    if (app->pool)
        reg_stats_types(&app->pool->stats, minute, window, per_type);
    for (int t = 0; app->pool && t < REG_TYPE_COUNT; t++) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(
            o, "type", json_object_new_string(reg_artifact_type_name((enum reg_artifact_type)t)));
        json_object_object_add(o, "requests", json_object_new_int64((int64_t)per_type[t]));
        json_object_array_add(types, o);
    }
    json_object_object_add(body, "window_minutes", json_object_new_int(window));
    json_object_object_add(body, "generated_at", iso_time(now));
    json_object_object_add(body, "routes", routes);
    json_object_object_add(body, "artifact_types", types);
    if (app->pool)
        json_object_object_add(body, "scans", scans_json(&app->pool->stats.scans));
    return reg_response_json(resp, 200, body);
}

/* ---------------------------------------------------------------- logs */

/* Lines returned per call at most, and bytes read back per call at most. */
#define LOG_LINES_MAX 1000
#define LOG_READ_MAX (256 * 1024)

static enum reg_status
parse_log_query(struct reg_request *req, int64_t *lines, int64_t *before)
{
    char *l, *b = NULL;
    enum reg_status st = reg_str_query_param(&req->arena, req->query, "lines", &l);

    if (st == REG_OK)
        st = reg_str_query_param(&req->arena, req->query, "before", &b);
    *lines = 100;
    *before = -1;
    if (st == REG_OK && l)
        st = reg_str_to_int64(l, 1, LOG_LINES_MAX, "lines", lines);
    if (st == REG_OK && b)
        st = reg_str_to_int64(b, 0, INT64_MAX, "before", before);
    return st;
}

/* Reads the bytes of the log that end at offset `end` (at most LOG_READ_MAX); *start is where
 * they begin in the file. */
static enum reg_status
read_tail(struct reg_arena *a, const char *path, int64_t *end, char **text, int64_t *start)
{
    FILE *f = fopen(path, "rb");
    int64_t size;
    size_t got;

    /* Only a missing log is "not found": one that exists but cannot be opened is a fault of
     * this host (permissions, descriptors), not of the request. */
    if (!f)
        return errno == ENOENT ? reg_errorf(REG_ENOTFOUND, "no log file at %s", path)
                               : reg_errorf(REG_EINTERNAL, "cannot open the log file %s: %s", path,
                                            strerror(errno));
    if (fseeko(f, 0, SEEK_END) != 0 || (size = (int64_t)ftello(f)) < 0) {
        fclose(f);
        return reg_errorf(REG_EINTERNAL, "cannot read the log file");
    }
    if (*end < 0 || *end > size)
        *end = size;
    *start = *end > LOG_READ_MAX ? *end - LOG_READ_MAX : 0;
    *text = reg_arena_alloc(a, (size_t)(*end - *start) + 1);
    if (fseeko(f, (off_t)*start, SEEK_SET) != 0) {
        fclose(f);
        return reg_errorf(REG_EINTERNAL, "cannot read the log file");
    }
    got = fread(*text, 1, (size_t)(*end - *start), f);
    (*text)[got] = '\0';
    *end = *start + (int64_t)got;
    fclose(f);
    return REG_OK;
}

enum reg_status
reg_handle_health_logs(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct json_object *body, *list;
    int64_t want, end, start = 0, offset;
    ptrdiff_t *offsets;
    char *text = NULL, *p;
    int nlines = 0, first;
    const char *path = reg_arena_sprintf(&req->arena, "%s/log/registryd.log", app->config.data_dir);
    enum reg_status st = parse_log_query(req, &want, &end);

    if (st == REG_OK)
        st = read_tail(&req->arena, path, &end, &text, &start);
    if (st != REG_OK)
        return st;
    if (!text)
        return reg_errorf(REG_EINTERNAL, "cannot read the log file");
    /* Whole lines only: a first line cut by the read window is skipped, unless the window
     * starts at the beginning of the file. */
    p = text;
    if (start > 0) {
        while (*p && *p != '\n')
            p++;
        if (*p)
            p++;
    }
    offsets = reg_arena_alloc(&req->arena, sizeof(*offsets) * (size_t)(end - start + 1));
    while (*p) {
        char *nl = strchr(p, '\n');
        offsets[nlines++] = p - text;
        p = nl ? nl + 1 : p + strlen(p);
    }
    list = json_object_new_array();
    first = nlines > want ? nlines - (int)want : 0;
    for (int i = first; i < nlines; i++) {
        const char *line = text + offsets[i];
        size_t len = strcspn(line, "\n");
        json_object_array_add(list, json_object_new_string_len(line, (int)len));
    }
    body = reg_arena_own_json(&req->arena, json_object_new_object());
    json_object_object_add(body, "lines", list);
    offset = nlines ? start + offsets[first] : start;
    json_object_object_add(body, "before", offset > 0 ? json_object_new_int64(offset) : NULL);
    return reg_response_json(resp, 200, body);
}
