/*
 * health.c - GET /health (liveness), GET /health/components (the store and the worker pool,
 * read live) and GET /tracks.
 */
#include <string.h>
#include <time.h>

#include "base/str.h"
#include "handlers/handlers.h"

enum reg_status
reg_handle_health(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct json_object *body = reg_arena_own_json(&req->arena, json_object_new_object());

    (void)app;
    json_object_object_add(body, "status", json_object_new_string("ok"));
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

static void
add_issue(struct json_object *component, const char *code, const char *severity,
          const char *summary)
{
    struct json_object *issues, *issue = json_object_new_object();

    json_object_object_get_ex(component, "issues", &issues);
    json_object_object_add(issue, "code", json_object_new_string(code));
    json_object_object_add(issue, "severity", json_object_new_string(severity));
    json_object_object_add(issue, "summary", json_object_new_string(summary));
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
        add_issue(c, "store_unreachable", "error", reg_error_detail());
        return c;
    }
    json_object_object_add(c, "status", json_object_new_string("ok"));
    set_metric(c, "artifacts", json_object_new_int64(count));
    set_metric(c, "generation", json_object_new_int64((int64_t)generation));
    return c;
}

/* Requests per minute for each minute of the window, oldest first. */
static struct json_object *
pool_timeline(const struct reg_pool_status *pool, time_t now, int window)
{
    struct json_object *timeline = json_object_new_array();
    int64_t current = (int64_t)now / 60;

    for (int64_t m = current - window + 1; m <= current; m++) {
        const struct reg_minute_bucket *b = &pool->minutes[m % REG_POOL_MINUTES];
        struct json_object *entry = json_object_new_object();
        uint64_t requests = __atomic_load_n(&b->requests, __ATOMIC_RELAXED);
        bool fresh = __atomic_load_n(&b->minute, __ATOMIC_RELAXED) == m;
        json_object_object_add(entry, "bucket", iso_time((time_t)(m * 60)));
        json_object_object_add(entry, "value",
                               json_object_new_int64(fresh ? (int64_t)requests : 0));
        json_object_object_add(entry, "unit", json_object_new_string("requests/min"));
        json_object_array_add(timeline, entry);
    }
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
        add_issue(c, "workers_missing", "warning", "fewer workers alive than configured");
    }
    if (timeline)
        json_object_object_add(c, "timeline", pool_timeline(pool, now, window));
    return c;
}

static enum reg_status
parse_health_query(struct reg_request *req, int *window, bool *timeline)
{
    char *w, *t;
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
    json_object_object_add(body, "components", components);
    json_object_object_add(body, "generated_at", iso_time(now));
    json_object_object_add(body, "window_minutes", json_object_new_int(window));
    return reg_response_json(resp, 200, body);
}
