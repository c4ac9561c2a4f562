/*
 * security.c - scan reports: gathering them from a zip, the policy's verdict, their JSON (see
 * security.h).
 */
#include "core/security.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "rating/rating.h"

/* How bad each verdict is, for the report's worst. */
static int
severity(enum reg_scan_verdict v)
{
    switch (v) {
    case REG_SCAN_SAFE:
        return 0;
    case REG_SCAN_SUSPICIOUS:
        return 1;
    case REG_SCAN_UNKNOWN:
        return 2;
    case REG_SCAN_DANGEROUS:
        break;
    }
    return 3;
}

/* ---- the zip observer ---------------------------------------------------------------------- */

static enum reg_status
on_begin(void *ctx, const char *path)
{
    struct reg_security_scanner *s = ctx;

    s->current = NULL;
    if (reg_scan_format_of(path) == REG_SCAN_FORMAT_NONE)
        return REG_OK;
    s->current_path = reg_arena_strdup(s->a, path);
    return reg_scan_begin(path, -1, &s->current);
}

static enum reg_status
on_data(void *ctx, const void *buf, size_t len)
{
    struct reg_security_scanner *s = ctx;

    return s->current ? reg_scan_feed(s->current, buf, len) : REG_OK;
}

/* Room for one more file in the report (the arena keeps the old array). */
static void
grow(struct reg_security_scanner *s)
{
    struct reg_security_file *files;

    if (s->report.nfiles < s->cap)
        return;
    s->cap = s->cap ? 2 * s->cap : 16;
    files = reg_arena_alloc(s->a, (size_t)s->cap * sizeof(*files));
    if (s->report.nfiles > 0)
        memcpy(files, s->report.files, (size_t)s->report.nfiles * sizeof(*files));
    s->report.files = files;
}

static enum reg_status
on_end(void *ctx)
{
    struct reg_security_scanner *s = ctx;
    struct reg_security_file *f;
    enum reg_status st;

    if (!s->current)
        return REG_OK;
    grow(s);
    f = &s->report.files[s->report.nfiles];
    f->path = s->current_path;
    f->read_bytes = -1;
    f->by_directory = false;
    st = reg_scan_end(s->current, s->a, &f->result);
    reg_scan_free(s->current);
    s->current = NULL;
    if (st != REG_OK)
        return st;
    s->report.counts[f->result.verdict]++;
    s->report.nfiles++;
    return REG_OK;
}

void
reg_security_scanner_init(struct reg_security_scanner *s, struct reg_arena *a,
                          enum reg_scan_policy policy, enum reg_artifact_type type)
{
    memset(s, 0, sizeof(*s));
    s->a = a;
    s->report.policy = policy;
    s->report.type = type;
    s->observer = (struct reg_zip_observer){s, on_begin, on_data, on_end};
}

void
reg_security_scanner_cleanup(struct reg_security_scanner *s)
{
    reg_scan_free(s->current);
    s->current = NULL;
}

/* ---- files where they lie, upstream ------------------------------------------------------- */

/* The tail a read by the central directory starts with (scan.h's reg_scan_remote_tail),
 * fetched on a thread of its own while the scan reads the file's first bytes: a large
 * checkpoint then costs two sequential round trips (start and tail, then data.pkl), not
 * three. */
struct prefetch {
    const struct reg_bundle_fetch *fetch;
    const char *url;
    int64_t offset;
    size_t len, got;
    uint8_t *buf;
    enum reg_status st;
    long status;
    char detail[REG_ERROR_DETAIL_MAX];
    pthread_t thread;
    bool started, joined;
};

/* A range of a file upstream, read for the scanner (scan.h's reg_scan_read_fn). */
struct upstream_file {
    const struct reg_bundle_fetch *fetch;
    const char *url;
    reg_scan_sink_fn sink;
    void *sink_ctx;
    bool had_enough;       /* the scanner stopped the transfer: not a failure */
    long status;           /* the last HTTP status upstream answered */
    struct prefetch *tail; /* NULL: none */
};

static enum reg_status
to_prefetch(void *ctx, const void *buf, size_t len)
{
    struct prefetch *p = ctx;
    size_t take = len < p->len - p->got ? len : p->len - p->got;

    memcpy(p->buf + p->got, buf, take);
    p->got += take;
    return REG_OK;
}

static void *
run_prefetch(void *arg)
{
    struct prefetch *p = arg;
    struct reg_http_stream_result res;

    p->st = reg_http_stream_range(p->fetch->http, p->url, p->fetch->accept, p->fetch->bearer,
                                  p->offset, (int64_t)p->len, to_prefetch, p, &res);
    p->status = res.status;
    if (p->st != REG_OK)
        snprintf(p->detail, sizeof(p->detail), "%s", reg_error_detail());
    return NULL;
}

static void
start_prefetch(struct prefetch *p, const struct reg_bundle_fetch *fetch, const char *url,
               int64_t size, size_t len)
{
    *p = (struct prefetch){.fetch = fetch, .url = url, .offset = size - (int64_t)len, .len = len};
    p->buf = malloc(len);
    if (!p->buf)
        reg_oom();
    p->started = pthread_create(&p->thread, NULL, run_prefetch, p) == 0;
    if (!p->started)
        run_prefetch(p);
}

static void
join_prefetch(struct prefetch *p)
{
    if (p->started && !p->joined)
        pthread_join(p->thread, NULL);
    p->joined = true;
}

/* The prefetched tail handed to the scanner as if it had been read now. */
static enum reg_status
read_prefetched(struct upstream_file *u, reg_scan_sink_fn sink, void *sink_ctx)
{
    struct prefetch *p = u->tail;

    join_prefetch(p);
    u->status = p->status;
    if (p->st != REG_OK)
        return reg_errorf(p->st, "%s", p->detail);
    if (p->got > 0)
        (void)sink(sink_ctx, p->buf, p->got);
    return REG_OK;
}

static enum reg_status
to_scanner(void *ctx, const void *buf, size_t len)
{
    struct upstream_file *u = ctx;

    if (u->sink(u->sink_ctx, buf, len))
        return REG_OK;
    u->had_enough = true;
    return REG_EINTERNAL; /* any status stops the transfer; had_enough says why */
}

static enum reg_status
read_upstream(void *ctx, int64_t offset, int64_t len, reg_scan_sink_fn sink, void *sink_ctx)
{
    struct upstream_file *u = ctx;
    struct reg_http_stream_result res;
    enum reg_status st;

    if (u->tail && offset == u->tail->offset && len == (int64_t)u->tail->len)
        return read_prefetched(u, sink, sink_ctx);
    u->sink = sink;
    u->sink_ctx = sink_ctx;
    u->had_enough = false;
    st = reg_http_stream_range(u->fetch->http, u->url, u->fetch->accept, u->fetch->bearer, offset,
                               len, to_scanner, u, &res);
    u->status = res.status;
    return u->had_enough ? REG_OK : st;
}

/* One file's scan, on a thread of its own (arenas and error details are per thread). */
struct upstream_job {
    struct upstream_file file;
    const struct reg_bundle_file *listed;
    int64_t whole_max;
    struct reg_arena arena;
    struct reg_scan_source src;
    struct reg_scan_result result;
    enum reg_status st;
    char detail[REG_ERROR_DETAIL_MAX];
    pthread_t thread;
    bool started;
};

static void *
run_upstream_job(void *arg)
{
    struct upstream_job *j = arg;

    size_t tail = reg_scan_remote_tail(j->listed->path, j->listed->size, j->whole_max);
    struct prefetch prefetch;

    if (tail > 0) {
        start_prefetch(&prefetch, j->file.fetch, j->file.url, j->listed->size, tail);
        j->file.tail = &prefetch;
    }
    j->src = (struct reg_scan_source){read_upstream, &j->file, j->listed->size, j->whole_max, 0, 0,
                                      false};
    j->st = reg_scan_remote(j->listed->path, &j->src, &j->arena, &j->result);
    if (tail > 0) { /* unused when the file was no zip after all */
        join_prefetch(&prefetch);
        free(prefetch.buf);
        j->file.tail = NULL;
    }
    if (j->st != REG_OK)
        snprintf(j->detail, sizeof(j->detail), "%s", reg_error_detail());
    return NULL;
}

/* The job's result, copied into the report (its strings into a). */
static enum reg_status
take_job(struct reg_arena *a, struct upstream_job *j, struct reg_security_report *r)
{
    struct reg_security_file *f = &r->files[r->nfiles];
    struct reg_scan_result *out = &f->result;

    if (j->started)
        pthread_join(j->thread, NULL);
    if (j->st == REG_EUPSTREAM && (j->file.status == 401 || j->file.status == 403)) {
        r->skipped[r->nskipped++] = (struct reg_security_skip){
            j->listed->path, reg_arena_sprintf(a,
                                               "upstream refuses the registry access (HTTP %ld: "
                                               "a gated repository); the registry cannot hand "
                                               "the file out either",
                                               j->file.status)};
        reg_arena_cleanup(&j->arena);
        return REG_OK;
    }
    if (j->st != REG_OK) {
        enum reg_status st =
            reg_errorf(j->st == REG_EUNAVAILABLE ? j->st : REG_EUPSTREAM,
                       "the model scan cannot read %s: %s", j->listed->path, j->detail);
        reg_arena_cleanup(&j->arena);
        return st;
    }
    f->path = j->listed->path;
    f->read_bytes = j->src.bytes_read;
    f->by_directory = j->src.by_directory;
    *out = j->result;
    out->imports = reg_arena_alloc(a, sizeof(*out->imports) * (size_t)(out->nimports + 1));
    for (int i = 0; i < out->nimports; i++)
        out->imports[i] = reg_arena_strdup(a, j->result.imports[i]);
    out->detail = reg_arena_strdup(a, j->result.detail ? j->result.detail : "");
    r->counts[out->verdict]++;
    r->nfiles++;
    reg_arena_cleanup(&j->arena);
    return REG_OK;
}

enum reg_status
reg_security_scan_upstream(struct reg_arena *a, const struct reg_bundle_fetch *fetch,
                           const struct reg_bundle_file *files, int nfiles, int64_t whole_max,
                           struct reg_security_report *r)
{
    struct upstream_job jobs[REG_SECURITY_PARALLEL];
    enum reg_status st = REG_OK;
    int next = 0;

    r->files = reg_arena_alloc(a, sizeof(*r->files) * (size_t)(nfiles > 0 ? nfiles : 1));
    r->skipped = reg_arena_alloc(a, sizeof(*r->skipped) * (size_t)(nfiles > 0 ? nfiles : 1));
    r->nfiles = r->nskipped = 0;
    while (next < nfiles && st == REG_OK) {
        int n = 0;

        for (; next < nfiles && n < REG_SECURITY_PARALLEL; next++) {
            struct upstream_job *j = &jobs[n];

            if (reg_scan_format_of(files[next].path) == REG_SCAN_FORMAT_NONE)
                continue;
            memset(j, 0, sizeof(*j));
            j->file = (struct upstream_file){.fetch = fetch, .url = files[next].url};
            j->listed = &files[next];
            j->whole_max = whole_max;
            reg_arena_init(&j->arena);
            j->started = pthread_create(&j->thread, NULL, run_upstream_job, j) == 0;
            if (!j->started)
                run_upstream_job(j); /* no thread to be had: scan on the caller's */
            n++;
        }
        for (int i = 0; i < n; i++) {
            enum reg_status jst = take_job(a, &jobs[i], r);
            if (st == REG_OK)
                st = jst;
        }
    }
    return st;
}

int64_t
reg_security_parameters(const struct reg_security_report *r)
{
    int64_t total = -1;

    for (int i = 0; i < r->nfiles; i++) {
        const struct reg_security_file *f = &r->files[i];

        if (f->result.format != REG_SCAN_FORMAT_SAFETENSORS ||
            !reg_rating_is_safetensors_copy(f->path))
            continue;
        if (f->result.parameters < 0)
            return -1;
        total = (total < 0 ? 0 : total) + f->result.parameters;
    }
    return total;
}

/* ---- the verdict --------------------------------------------------------------------------- */

/* "file: verdict (imports a.b, c.d; detail)" appended to buf, cut at its end. */
static void
describe_file(char *buf, size_t cap, const struct reg_security_file *f)
{
    size_t len = strlen(buf);
    const struct reg_scan_result *r = &f->result;

    len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%s: %s", len ? "; " : "",
                            f->path, reg_scan_verdict_name(r->verdict));
    for (int i = 0; i < r->nimports && len < cap; i++)
        len +=
            (size_t)snprintf(buf + len, cap - len, "%s%s", i ? ", " : " (imports ", r->imports[i]);
    if (r->nimports > 0 && len < cap)
        len += (size_t)snprintf(buf + len, cap - len, ")");
    if (r->detail && r->detail[0] && len < cap)
        snprintf(buf + len, cap - len, " - %s", r->detail);
}

enum reg_status
reg_security_decide(const struct reg_security_report *r)
{
    char files[REG_ERROR_DETAIL_MAX];
    int refused = 0;

    if (r->type != REG_TYPE_MODEL)
        return REG_OK;
    files[0] = '\0';
    for (int i = 0; i < r->nfiles; i++) {
        if (!reg_scan_refuses(r->policy, r->files[i].result.verdict))
            continue;
        describe_file(files, sizeof(files), &r->files[i]);
        refused++;
    }
    if (refused == 0)
        return REG_OK;
    return reg_errorf(REG_EDISQUALIFIED,
                      "the model scan refuses %d file%s (REGISTRY_SCAN_POLICY=block): %s", refused,
                      refused == 1 ? "" : "s", files);
}

/* ---- JSON ---------------------------------------------------------------------------------- */

static struct json_object *
file_json(const struct reg_security_file *f)
{
    const struct reg_scan_result *r = &f->result;
    struct json_object *o = json_object_new_object(), *imports = json_object_new_array();

    for (int i = 0; i < r->nimports; i++)
        json_object_array_add(imports, json_object_new_string(r->imports[i]));
    json_object_object_add(o, "path", json_object_new_string(f->path));
    json_object_object_add(o, "format", json_object_new_string(reg_scan_format_name(r->format)));
    json_object_object_add(o, "verdict", json_object_new_string(reg_scan_verdict_name(r->verdict)));
    json_object_object_add(o, "imports", imports);
    json_object_object_add(o, "imports_truncated", json_object_new_boolean(r->imports_truncated));
    json_object_object_add(o, "custom_code", json_object_new_boolean(r->custom_code));
    json_object_object_add(o, "parameters",
                           r->parameters >= 0 ? json_object_new_int64(r->parameters) : NULL);
    json_object_object_add(o, "detail", json_object_new_string(r->detail ? r->detail : ""));
    if (f->read_bytes >= 0) { /* scanned upstream: what the verdict cost */
        json_object_object_add(o, "read_bytes", json_object_new_int64(f->read_bytes));
        json_object_object_add(o, "by_directory", json_object_new_boolean(f->by_directory));
    }
    return o;
}

struct json_object *
reg_security_json(const struct reg_security_report *r)
{
    struct json_object *o = json_object_new_object(), *files, *counts;
    enum reg_scan_verdict worst = REG_SCAN_SAFE;

    json_object_object_add(o, "scanned", json_object_new_boolean(r->policy != REG_SCAN_POLICY_OFF));
    json_object_object_add(o, "policy", json_object_new_string(reg_scan_policy_name(r->policy)));
    if (r->policy == REG_SCAN_POLICY_OFF)
        return o;
    files = json_object_new_array();
    counts = json_object_new_object();
    for (int i = 0; i < r->nfiles; i++) {
        if (severity(r->files[i].result.verdict) > severity(worst))
            worst = r->files[i].result.verdict;
        json_object_array_add(files, file_json(&r->files[i]));
    }
    for (int v = 0; v < REG_SECURITY_VERDICTS; v++)
        json_object_object_add(counts, reg_scan_verdict_name((enum reg_scan_verdict)v),
                               json_object_new_int(r->counts[v]));
    json_object_object_add(o, "verdict", json_object_new_string(reg_scan_verdict_name(worst)));
    json_object_object_add(o, "counts", counts);
    json_object_object_add(o, "files", files);
    if (r->nskipped > 0) {
        struct json_object *skipped = json_object_new_array();

        for (int i = 0; i < r->nskipped; i++) {
            struct json_object *k = json_object_new_object();
            json_object_object_add(k, "path", json_object_new_string(r->skipped[i].path));
            json_object_object_add(k, "reason", json_object_new_string(r->skipped[i].reason));
            json_object_array_add(skipped, k);
        }
        json_object_object_add(o, "skipped", skipped);
    }
    return o;
}

struct json_object *
reg_security_answer(struct reg_arena *a, const struct reg_artifact *art)
{
    struct json_object *doc, *report, *o;

    if (art->metadata &&
        reg_json_parse_object(a, art->metadata, strlen(art->metadata), &doc) == REG_OK &&
        json_object_object_get_ex(doc, "security", &report) &&
        json_object_is_type(report, json_type_object))
        return json_object_get(report);
    o = json_object_new_object();
    json_object_object_add(o, "scanned", json_object_new_boolean(false));
    json_object_object_add(o, "detail",
                           json_object_new_string("no scan report: the artifact was registered "
                                                  "while REGISTRY_SCAN_POLICY was off, or before "
                                                  "the registry scanned what it registers"));
    return o;
}
