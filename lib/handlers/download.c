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
 *
 * A sensitive model (core/sensitive.h) with a monitor program is served a third way, since the
 * program is handed the zip as a file: the bundle (stored copy or pull-through, as above) is
 * copied into a file under $REGISTRY_DATA_DIR/monitor/ (within REGISTRY_BUNDLE_MAX_BYTES and
 * the free-space reserve), the program runs (core/monitor.h), and then either the download is
 * refused (403, the program's stdout in the detail) or this worker streams that same file
 * (X-Registry-Copy: monitored; no Range), which is unlinked as soon as the program has run.
 * The worker holds a streaming slot meanwhile. Every download of a sensitive model, and every
 * refusal, goes into its download history.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/str.h"
#include "bundle/fill.h"
#include "bundle/index.h"
#include "bundle/plan.h"
#include "core/audit.h"
#include "core/monitor.h"
#include "core/registry.h"
#include "core/sensitive.h"
#include "handlers/handlers.h"
#include "reg.h"

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

/* REG_OK when the stored record is the current bundle of art's aspect and its blob is there;
 * REG_ENOTFOUND when there is none (no record, a record of another source, a missing blob);
 * the blob store's own failure otherwise (REG_EUNAVAILABLE when it cannot be reached): a store
 * that cannot be asked is not a copy that is missing (the blob-store-down drill). */
static enum reg_status
current_copy(struct reg_app *app, struct reg_arena *a, const struct reg_artifact *art,
             enum reg_bundle_aspect aspect, struct reg_bundle_record *rec)
{
    int64_t size;
    enum reg_status st = reg_bundle_index_get(app->blobs, art->id, aspect, rec);

    if (st != REG_OK)
        return st;
    if (strcmp(rec->url, art->url) != 0 ||
        strcmp(rec->sources, reg_bundle_plan_sources(app, a, art, aspect)) != 0)
        return REG_ENOTFOUND;
    return reg_blobs_stat(app->blobs, rec->sha256, &size);
}

enum reg_status
reg_download_bundle_size(struct reg_app *app, struct reg_arena *a, const struct reg_artifact *art,
                         int64_t *size, bool *stored)
{
    struct reg_bundle_record rec;
    struct reg_bundle_plan plan;
    enum reg_status st;

    st = current_copy(app, a, art, REG_BUNDLE_FULL, &rec);
    *stored = st == REG_OK;
    if (*stored) {
        *size = rec.size;
        return REG_OK;
    }
    if (st != REG_ENOTFOUND)
        return st;
    st = reg_bundle_plan_make(app, a, art, REG_BUNDLE_FULL, &plan);
    return st == REG_OK ? reg_bundle_zip_size(plan.files, plan.nfiles, size) : st;
}

/* ---------------------------------------------------------------- streaming slots */

/* The fills' settings (fill.h), for dir (the fills', or a monitored download's room). */
static struct reg_fill_env
fill_env(struct reg_app *app, const char *dir)
{
    return (struct reg_fill_env){
        .cfg = &app->config,
        .dir = dir,
        .reserve_bytes = app->config.blob_reserve_bytes,
        .max_bytes = app->config.bundle_max_bytes,
        .observe_scan = reg_app_count_scan,
        .observe_ctx = app->pool,
    };
}

struct reg_fill_env
reg_download_fill_env(struct reg_app *app, struct reg_arena *a)
{
    return fill_env(app, reg_arena_sprintf(a, "%s/fills", app->config.data_dir));
}

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
    const struct reg_fill_env env = reg_download_fill_env(app, &req->arena);
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

/* ---------------------------------------------------------------- sensitive models */

static enum reg_status
write_fd(void *ctx, const void *data, size_t len)
{
    const int *fd = ctx;
    const char *p = data;

    while (len > 0) {
        ssize_t n = write(*fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return reg_errorf(REG_ESTORE, "cannot write the zip for the monitor: %s",
                              strerror(errno));
        p += n;
        len -= (size_t)n;
    }
    return REG_OK;
}

/* Copies the stored blob rec into fd, if there is room for a second copy. */
static enum reg_status
stored_to_file(struct reg_app *app, const struct reg_fill_env *room,
               const struct reg_bundle_record *rec, int fd)
{
    enum reg_status st = reg_fill_check_room(room, rec->size);

    return st == REG_OK ? reg_blobs_read(app->blobs, rec->sha256, 0, -1, write_fd, &fd) : st;
}

/* Copies art's bundle of aspect into fd: the stored copy, or the one being pulled through
 * (started here when none is). room: the monitor directory's limits. */
static enum reg_status
bundle_to_file(struct reg_app *app, struct reg_request *req, const struct reg_artifact *art,
               enum reg_bundle_aspect aspect, const struct reg_fill_env *room, int fd)
{
    const struct reg_fill_env fills = reg_download_fill_env(app, &req->arena);
    struct reg_bundle_record rec;
    struct reg_bundle_plan plan;
    struct reg_fill fill = {.fd = -1};
    enum reg_fill_how how = REG_FILL_STREAMED;
    enum reg_status st;

    st = current_copy(app, &req->arena, art, aspect, &rec);
    if (st == REG_OK)
        return stored_to_file(app, room, &rec, fd);
    if (st == REG_ENOTFOUND)
        st = reg_bundle_plan_make(app, &req->arena, art, aspect, &plan);
    if (st == REG_OK)
        st = reg_fill_open(&fills, app->blobs, &plan, &how, &rec, &fill);
    if (st == REG_OK && how == REG_FILL_STORED)
        st = stored_to_file(app, room, &rec, fd);
    else if (st == REG_OK && (st = reg_fill_wait_first(&fill)) == REG_OK &&
             (st = reg_fill_check_room(room, fill.total)) == REG_OK)
        st = reg_fill_read(&fill, 0, -1, write_fd, &fd);
    reg_fill_close(&fill);
    return st;
}

/* A zip file made for one monitored download: its directory, path and descriptor. */
struct monitored_file {
    struct reg_app *app;
    char dir[REG_MAX_PATH];
    const char *path;
    int fd;
    int64_t size;
};

/* Makes $REGISTRY_DATA_DIR/monitor/download.XXXXXX/<name>-<aspect>.zip, private to this user. */
static enum reg_status
file_open(struct reg_app *app, struct reg_request *req, const struct reg_artifact *art,
          enum reg_bundle_aspect aspect, struct monitored_file *f)
{
    const char *root = reg_arena_sprintf(&req->arena, "%s/monitor", app->config.data_dir);

    f->app = app;
    f->fd = -1;
    f->path = NULL;
    if (mkdir(root, 0700) != 0 && errno != EEXIST)
        return reg_errorf(REG_ESTORE, "cannot create %s: %s", root, strerror(errno));
    if ((size_t)snprintf(f->dir, sizeof(f->dir), "%s/download.XXXXXX", root) >= sizeof(f->dir) ||
        !mkdtemp(f->dir))
        return reg_errorf(REG_ESTORE, "cannot create a directory under %s: %s", root,
                          strerror(errno));
    f->path =
        reg_arena_sprintf(&req->arena, "%s/%s", f->dir, file_name(&req->arena, art->name, aspect));
    f->fd = open(f->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (f->fd < 0)
        return reg_errorf(REG_ESTORE, "cannot create %s: %s", f->path, strerror(errno));
    return REG_OK;
}

/* Removes the file's name and directory; an open descriptor still reads it. */
static void
file_unlink(struct monitored_file *f)
{
    if (f->path)
        unlink(f->path);
    if (f->dir[0])
        rmdir(f->dir);
    f->path = NULL;
    f->dir[0] = '\0';
}

static enum reg_status
produce_file(void *ctx, reg_response_write_fn write, void *wctx)
{
    struct monitored_file *f = ctx;
    char chunk[64 * 1024];
    int64_t off = 0;

    while (off < f->size) {
        ssize_t n = pread(f->fd, chunk, sizeof(chunk), off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return reg_errorf(REG_ESTORE, "cannot read the monitored zip: %s", strerror(errno));
        enum reg_status st = write(wctx, chunk, (size_t)n);
        if (st != REG_OK)
            return st;
        off += n;
    }
    return REG_OK;
}

static void
release_file(void *ctx)
{
    struct monitored_file *f = ctx;

    file_unlink(f);
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    reg_download_give_slot(f->app);
}

/* "exit code 3", "killed by signal 9" or "killed after REGISTRY_MONITOR_TIMEOUT_MS". */
static const char *
how_it_ended(struct reg_arena *a, const struct reg_monitor_result *run)
{
    if (run->timed_out)
        return "killed after REGISTRY_MONITOR_TIMEOUT_MS";
    if (run->signal)
        return reg_arena_sprintf(a, "killed by signal %d", run->signal);
    return reg_arena_sprintf(a, "exit code %d", run->exit_code);
}

/* Runs the program on the file; records the outcome; REG_EFORBIDDEN with the program's stdout
 * when it refuses. */
static enum reg_status
run_monitor(struct reg_app *app, struct reg_request *req, const struct reg_artifact *art,
            const struct reg_sensitive *sens, const struct monitored_file *f)
{
    const struct reg_monitor_env env = {
        app->config.node, reg_arena_sprintf(&req->arena, "%s/monitor", app->config.data_dir),
        app->config.monitor_timeout_ms};
    struct reg_monitor_args args = {art->name, NULL, req->caller->name, f->path};
    struct reg_monitor_result run;
    enum reg_status st = reg_sensitive_uploader(app->store, &req->arena, art, &args.uploader);
    bool passed;

    if (st == REG_OK)
        st = reg_monitor_run(&env, sens->program, strlen(sens->program), &args, &run);
    if (st != REG_OK)
        return st;
    passed = reg_monitor_passed(&run);
    st = reg_sensitive_record(app->store, &req->arena, art, req->caller->name, !passed, &run);
    if (st != REG_OK)
        reg_log(REG_LOG_ERROR, "download history of %s lost an event: %s", art->id,
                reg_error_detail());
    if (!passed) {
        reg_error_attach(reg_arena_strndup(&req->arena, run.output, run.output_len));
        st = reg_errorf(REG_EFORBIDDEN,
                        "the monitor program of sensitive model '%.100s' refused the download "
                        "(%s); its output%s: ",
                        art->name, how_it_ended(&req->arena, &run),
                        run.truncated ? " (truncated to its first 64 KiB)" : "");
    }
    reg_monitor_result_cleanup(&run);
    return passed ? REG_OK : st;
}

/* A sensitive model with a program: zip to a file, run the program, then serve that file. */
static enum reg_status
monitored(struct reg_app *app, struct reg_request *req, struct reg_response *resp,
          const struct reg_artifact *art, enum reg_bundle_aspect aspect,
          const struct reg_sensitive *sens)
{
    struct monitored_file *f = reg_arena_alloc(&req->arena, sizeof(*f));
    struct reg_response_stream stream = {produce_file, release_file, f, 0};
    struct reg_fill_env room;
    struct stat sb;
    enum reg_status st;

    memset(f, 0, sizeof(*f));
    f->fd = -1;
    f->app = app;
    if (!reg_download_take_slot(app))
        return reg_errorf(REG_EUNAVAILABLE, "every worker that may serve a monitored download is "
                                            "busy: try again shortly");
    st = file_open(app, req, art, aspect, f);
    room = fill_env(app, reg_arena_sprintf(&req->arena, "%s/monitor", app->config.data_dir));
    if (st == REG_OK)
        st = bundle_to_file(app, req, art, aspect, &room, f->fd);
    if (st == REG_OK)
        st = run_monitor(app, req, art, sens, f);
    file_unlink(f);
    if (st == REG_OK && fstat(f->fd, &sb) != 0)
        st = reg_errorf(REG_ESTORE, "cannot stat the monitored zip: %s", strerror(errno));
    if (st != REG_OK) {
        release_file(f);
        return st;
    }
    f->size = (int64_t)sb.st_size;
    reg_handler_audit(app, req, art, REG_AUDIT_DOWNLOAD);
    stream.length = f->size;
    reg_response_stream(resp, 200, &stream);
    zip_headers(req, resp, art, aspect, "monitored");
    return REG_OK;
}

/* The download of a sensitive model: through its monitor when it has one; recorded either way. */
static enum reg_status
sensitive_download(struct reg_app *app, struct reg_request *req, struct reg_response *resp,
                   const struct reg_artifact *art, enum reg_bundle_aspect aspect,
                   const struct reg_sensitive *sens)
{
    struct reg_bundle_record rec;
    enum reg_status st;

    if (sens->program)
        return monitored(app, req, resp, art, aspect, sens);
    st = current_copy(app, &req->arena, art, aspect, &rec);
    if (st == REG_OK)
        st = send_stored(app, req, resp, art, aspect, &rec);
    else if (st == REG_ENOTFOUND)
        st = pull_through(app, req, resp, art, aspect);
    if (st == REG_OK && reg_sensitive_record(app->store, &req->arena, art, req->caller->name, false,
                                             NULL) != REG_OK)
        reg_log(REG_LOG_ERROR, "download history of %s lost an event: %s", art->id,
                reg_error_detail());
    return st;
}

enum reg_status
reg_handle_download(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    enum reg_bundle_aspect aspect = REG_BUNDLE_FULL;
    struct reg_bundle_record rec;
    struct reg_artifact art;
    enum reg_status st = reg_handler_artifact_param(app, req, &art);

    if (st == REG_OK)
        st = parse_aspect(req, art.type, &aspect);
    if (st == REG_OK && art.type == REG_TYPE_MODEL) {
        struct reg_sensitive sens;
        st = reg_sensitive_get(app->store, &req->arena, &art, &sens);
        if (st == REG_OK)
            return sensitive_download(app, req, resp, &art, aspect, &sens);
        st = st == REG_ENOTFOUND ? REG_OK : st;
    }
    if (st != REG_OK)
        return st;
    st = current_copy(app, &req->arena, &art, aspect, &rec);
    if (st == REG_OK)
        return send_stored(app, req, resp, &art, aspect, &rec);
    return st == REG_ENOTFOUND ? pull_through(app, req, resp, &art, aspect) : st;
}
