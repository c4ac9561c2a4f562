/*
 * download.c - GET /download/{artifact_type}/{id}[?aspect=full|weights|card|datasets], the
 * target of every download_url.
 *
 * The worker checks the token and the download permission (route table), the artifact and the
 * aspect, then serves one of two ways:
 *   - stored copy: nginx streams the blob itself (X-Accel-Redirect to the blob store's
 *     internal location: sendfile or the S3 proxy, Content-Length, Range, an ETag that is the
 *     sha256), so a download holds no worker while its bytes flow;
 *   - pull-through (bundle/fill.h): no copy is stored yet, so the bundle is fetched from
 *     upstream (once, however many download it at the same time) and this worker streams it
 *     as it arrives; the copy is stored for the next caller. At most
 *     workers - REG_STREAM_WORKERS_KEPT workers stream at once, so the API keeps answering.
 * Both answers are audited (DOWNLOAD) and say which they were in X-Registry-Copy.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/str.h"
#include "bundle/fill.h"
#include "bundle/index.h"
#include "bundle/plan.h"
#include "core/audit.h"
#include "core/registry.h"
#include "handlers/handlers.h"

/* The aspect query parameter; an unknown aspect is a resource that does not exist (404). */
static enum reg_status
parse_aspect(struct reg_request *req, enum reg_artifact_type type, enum reg_bundle_aspect *out)
{
    char *raw;
    enum reg_status st = reg_str_query_param(&req->arena, req->query, "aspect", &raw);

    *out = REG_BUNDLE_FULL;
    if (st != REG_OK || !raw || !*raw)
        return st;
    if (reg_bundle_aspect_parse(raw, out) != REG_OK)
        return reg_errorf(REG_ENOTFOUND, "no aspect '%.32s': full, weights, card or datasets", raw);
    if (*out != REG_BUNDLE_FULL && type != REG_TYPE_MODEL)
        return reg_errorf(REG_ENOTFOUND, "a %s has only the full aspect",
                          reg_artifact_type_name(type));
    return REG_OK;
}

/* A file name for Content-Disposition: the artifact's name with anything but [A-Za-z0-9._-]
 * replaced, then the aspect. */
static const char *
file_name(struct reg_arena *a, const char *name, enum reg_bundle_aspect aspect)
{
    char *safe = reg_arena_strdup(a, name);

    for (char *p = safe; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            *p = '_';
    return reg_arena_sprintf(a, "%.100s-%s.zip", safe, reg_bundle_aspect_name(aspect));
}

/* The headers both kinds of answer carry. */
static void
zip_headers(struct reg_request *req, struct reg_response *resp, const struct reg_artifact *art,
            enum reg_bundle_aspect aspect, const char *copy)
{
    resp->content_type = "application/zip";
    reg_response_header(resp, "Content-Disposition",
                        reg_arena_sprintf(&req->arena, "attachment; filename=\"%s\"",
                                          file_name(&req->arena, art->name, aspect)));
    reg_response_header(resp, "X-Registry-Copy", copy);
}

/* The stored copy, sent by nginx. */
static enum reg_status
send_stored(struct reg_app *app, struct reg_request *req, struct reg_response *resp,
            const struct reg_artifact *art, enum reg_bundle_aspect aspect,
            const struct reg_bundle_record *rec)
{
    const char *uri;
    enum reg_status st = reg_blobs_accel_uri(app->blobs, &req->arena, rec->sha256, &uri);

    if (st != REG_OK)
        return st;
    reg_handler_audit(app, req, art, REG_AUDIT_DOWNLOAD);
    reg_response_empty(resp, 200);
    reg_response_header(resp, "X-Accel-Redirect", uri);
    zip_headers(req, resp, art, aspect, "stored");
    return REG_OK;
}

/* Whether the stored record is the current bundle of art's aspect and its blob is there. */
static bool
current_copy(struct reg_app *app, struct reg_arena *a, const struct reg_artifact *art,
             enum reg_bundle_aspect aspect, struct reg_bundle_record *rec)
{
    int64_t size;

    return reg_bundle_index_get(app->blobs, art->id, aspect, rec) == REG_OK &&
           strcmp(rec->url, art->url) == 0 &&
           strcmp(rec->sources, reg_bundle_plan_sources(app, a, art, aspect)) == 0 &&
           reg_blobs_stat(app->blobs, rec->sha256, &size) == REG_OK;
}

enum reg_status
reg_download_bundle_size(struct reg_app *app, struct reg_arena *a, const struct reg_artifact *art,
                         int64_t *size, bool *stored)
{
    struct reg_bundle_record rec;
    struct reg_bundle_plan plan;
    enum reg_status st;

    *stored = current_copy(app, a, art, REG_BUNDLE_FULL, &rec);
    if (*stored) {
        *size = rec.size;
        return REG_OK;
    }
    st = reg_bundle_plan_make(app, a, art, REG_BUNDLE_FULL, &plan);
    return st == REG_OK ? reg_bundle_zip_size(plan.files, plan.nfiles, size) : st;
}

/* ---------------------------------------------------------------- streaming slots */

bool
reg_download_take_slot(struct reg_app *app)
{
    int limit, self = (int)getpid();

    if (!app->pool)
        return true;
    limit = app->config.workers - REG_STREAM_WORKERS_KEPT;
    limit = limit < 1 ? 1 : limit > REG_STREAM_SLOTS_MAX ? REG_STREAM_SLOTS_MAX : limit;
    for (int i = 0; i < limit; i++) {
        int *slot = &app->pool->streaming[i];
        int holder = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
        if ((holder == 0 || kill(holder, 0) != 0) &&
            __atomic_compare_exchange_n(slot, &holder, self, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            return true;
    }
    return false;
}

void
reg_download_give_slot(struct reg_app *app)
{
    int self = (int)getpid();

    for (int i = 0; app->pool && i < REG_STREAM_SLOTS_MAX; i++) {
        int expected = self;
        if (__atomic_compare_exchange_n(&app->pool->streaming[i], &expected, 0, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return;
    }
}

/* ---------------------------------------------------------------- pull-through */

struct streamed {
    struct reg_app *app;
    struct reg_fill fill;
};

static enum reg_status
produce(void *ctx, reg_response_write_fn write, void *wctx)
{
    struct streamed *s = ctx;

    return reg_fill_read(&s->fill, 0, -1, write, wctx);
}

static void
release(void *ctx)
{
    struct streamed *s = ctx;

    reg_fill_close(&s->fill);
    reg_download_give_slot(s->app);
}

/* Serves the bundle being fetched (or stored meanwhile). */
static enum reg_status
pull_through(struct reg_app *app, struct reg_request *req, struct reg_response *resp,
             const struct reg_artifact *art, enum reg_bundle_aspect aspect)
{
    const struct reg_fill_env env = {
        &app->config, reg_arena_sprintf(&req->arena, "%s/fills", app->config.data_dir),
        app->config.blob_reserve_bytes, app->config.bundle_max_bytes};
    struct streamed *s = reg_arena_alloc(&req->arena, sizeof(*s));
    struct reg_response_stream stream = {produce, release, s, 0};
    struct reg_bundle_plan plan;
    struct reg_bundle_record rec;
    enum reg_fill_how how;
    enum reg_status st = reg_bundle_plan_make(app, &req->arena, art, aspect, &plan);

    if (st != REG_OK)
        return st;
    if (!reg_download_take_slot(app))
        return reg_errorf(REG_EUNAVAILABLE,
                          "no stored copy yet, and every worker that may stream one being "
                          "fetched is busy: try again shortly");
    s->app = app;
    st = reg_fill_open(&env, app->blobs, &plan, &how, &rec, &s->fill);
    if (st == REG_OK && how == REG_FILL_STORED) {
        release(s);
        return send_stored(app, req, resp, art, aspect, &rec);
    }
    if (st == REG_OK)
        st = reg_fill_wait_first(&s->fill);
    if (st != REG_OK) {
        release(s);
        return st;
    }
    reg_handler_audit(app, req, art, REG_AUDIT_DOWNLOAD);
    stream.length = s->fill.total;
    reg_response_stream(resp, 200, &stream);
    zip_headers(req, resp, art, aspect, "pull-through");
    return REG_OK;
}

enum reg_status
reg_handle_download(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    enum reg_artifact_type type;
    enum reg_bundle_aspect aspect = REG_BUNDLE_FULL;
    struct reg_bundle_record rec;
    struct reg_artifact art;
    const char *id;
    enum reg_status st;

    st = reg_handler_type_param(req, &type);
    if (st == REG_OK)
        st = reg_handler_id_param(req, &id);
    if (st == REG_OK)
        st = reg_registry_get(app->store, &req->arena, type, id, &art);
    if (st == REG_OK)
        st = parse_aspect(req, type, &aspect);
    if (st != REG_OK)
        return st;
    if (current_copy(app, &req->arena, &art, aspect, &rec))
        return send_stored(app, req, resp, &art, aspect, &rec);
    return pull_through(app, req, resp, &art, aspect);
}
