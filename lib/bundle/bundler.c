/*
 * bundler.c - the background bundle builder and its records (see bundler.h).
 */
#include "bundle/bundler.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "base/log.h"
#include "core/metadata.h"
#include "reg.h"
#include "upstream/github.h"
#include "upstream/huggingface.h"

/* Extra allowed bases (REGISTRY_BUNDLE_HOSTS) kept at most. */
#define MAX_EXTRA_HOSTS 16

/* ---------------------------------------------------------------- records */

static const char *
record_path(struct reg_arena *a, const char *data_dir, const char *id,
            enum reg_bundle_aspect aspect)
{
    return reg_arena_sprintf(a, "%s/bundles/%s/%s.json", data_dir, id,
                             reg_bundle_aspect_name(aspect));
}

static void
copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

enum reg_status
reg_bundle_record_read(const char *data_dir, const char *id, enum reg_bundle_aspect aspect,
                       struct reg_bundle_record *out)
{
    struct reg_arena a;
    struct json_object *doc;
    enum reg_status st = REG_OK;

    memset(out, 0, sizeof(*out));
    if (reg_artifact_id_check(id) != REG_OK)
        return reg_errorf(REG_EINVAL, "bad artifact id");
    reg_arena_init(&a);
    doc = json_object_from_file(record_path(&a, data_dir, id, aspect));
    if (!doc) {
        reg_arena_cleanup(&a);
        return reg_errorf(REG_ENOTFOUND, "no bundle record");
    }
    reg_arena_own_json(&a, doc);
    copy_str(out->sha256, sizeof(out->sha256), reg_json_str(doc, "sha256"));
    copy_str(out->url, sizeof(out->url), reg_json_str(doc, "url"));
    copy_str(out->sources, sizeof(out->sources), reg_json_str(doc, "sources"));
    copy_str(out->error, sizeof(out->error), reg_json_str(doc, "error"));
    out->size = reg_json_int(doc, "size");
    out->at = reg_json_int(doc, "at");
    out->permanent = reg_json_int(doc, "permanent") != 0;
    out->ok = out->error[0] == '\0';
    if (out->ok && !reg_blob_sha256_ok(out->sha256))
        st = reg_errorf(REG_EINTERNAL, "bundle record of %s is damaged", id);
    reg_arena_cleanup(&a);
    return st;
}

static enum reg_status
make_dir(const char *path)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return reg_errorf(REG_ESTORE, "mkdir %s: %s", path, strerror(errno));
    return REG_OK;
}

enum reg_status
reg_bundle_record_write(const char *data_dir, const char *id, enum reg_bundle_aspect aspect,
                        const struct reg_bundle_record *rec)
{
    struct reg_arena a;
    struct json_object *doc = json_object_new_object();
    const char *path, *tmp;
    enum reg_status st;

    reg_arena_init(&a);
    reg_arena_own_json(&a, doc);
    if (rec->ok) {
        json_object_object_add(doc, "sha256", json_object_new_string(rec->sha256));
        json_object_object_add(doc, "size", json_object_new_int64(rec->size));
    } else {
        json_object_object_add(doc, "error", json_object_new_string(rec->error));
        json_object_object_add(doc, "permanent", json_object_new_int(rec->permanent));
    }
    json_object_object_add(doc, "url", json_object_new_string(rec->url));
    json_object_object_add(doc, "sources", json_object_new_string(rec->sources));
    json_object_object_add(doc, "at", json_object_new_int64(rec->at));
    path = record_path(&a, data_dir, id, aspect);
    tmp = reg_arena_sprintf(&a, "%s.%d.tmp", path, (int)getpid());
    st = make_dir(reg_arena_sprintf(&a, "%s/bundles", data_dir));
    if (st == REG_OK)
        st = make_dir(reg_arena_sprintf(&a, "%s/bundles/%s", data_dir, id));
    if (st == REG_OK && json_object_to_file_ext(tmp, doc, JSON_C_TO_STRING_PLAIN) != 0)
        st = reg_errorf(REG_ESTORE, "cannot write %s", tmp);
    if (st == REG_OK && rename(tmp, path) != 0) {
        st = reg_errorf(REG_ESTORE, "rename %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    reg_arena_cleanup(&a);
    return st;
}

/* ---------------------------------------------------------------- what to build */

/* The fetch settings of bundle downloads: the two APIs plus REGISTRY_BUNDLE_HOSTS, and a
 * transfer time that fits large files. */
struct fetch_config {
    const char *bases[2 + MAX_EXTRA_HOSTS];
    char hosts[1024];
    struct reg_http_config http;
};

static void
fetch_config_init(struct fetch_config *fc, const struct reg_config *cfg)
{
    int n = 0;
    char *save = NULL;

    memset(fc, 0, sizeof(*fc));
    fc->bases[n++] = cfg->hf_endpoint;
    fc->bases[n++] = cfg->github_api_url;
    copy_str(fc->hosts, sizeof(fc->hosts), cfg->bundle_hosts);
    for (char *h = strtok_r(fc->hosts, " ", &save); h && n < 2 + MAX_EXTRA_HOSTS;
         h = strtok_r(NULL, " ", &save))
        fc->bases[n++] = h;
    fc->http.allowed_bases = fc->bases;
    fc->http.nallowed = n;
    fc->http.total_timeout_ms = REG_BUNDLE_TRANSFER_MS;
}

/* The stored file list of an artifact, when it is complete; else fetched again. */
static enum reg_status
files_of(struct reg_app *app, struct reg_arena *a, const struct reg_catalog_entry *e,
         const struct reg_file_info **files, int *n, const char **subdir)
{
    struct reg_artifact art;
    struct reg_metadata md;
    struct json_object *list, *src;
    enum reg_status st = reg_store_get(app->store, a, e->id, &art);

    if (st == REG_OK)
        st = reg_metadata_read(a, art.metadata, &md);
    if (st != REG_OK)
        return st;
    *subdir =
        json_object_object_get_ex(md.doc, "source", &src) ? reg_json_str(src, "subdir") : NULL;
    if (json_object_object_get_ex(md.doc, "files", &list) &&
        json_object_is_type(list, json_type_array) &&
        (int64_t)json_object_array_length(list) == reg_json_int(md.doc, "file_count")) {
        size_t len = json_object_array_length(list);
        struct reg_file_info *out = reg_arena_alloc(a, sizeof(*out) * (len ? len : 1));
        for (size_t i = 0; i < len; i++) {
            out[i].path = reg_json_str(json_object_array_get_idx(list, i), "path");
            out[i].size = reg_json_int(json_object_array_get_idx(list, i), "size");
        }
        *files = out;
        *n = (int)len;
        return REG_OK;
    }
    if (e->type == REG_TYPE_MODEL) {
        struct reg_model_signals s;
        st = reg_hf_fetch_model(&app->ingest.http, app->config.hf_endpoint, app->config.hf_token, a,
                                e->repo_id, &s);
        *files = s.files;
        *n = s.nfiles;
    } else if (e->type == REG_TYPE_DATASET) {
        struct reg_dataset_signals d;
        st = reg_hf_fetch_dataset(&app->ingest.http, app->config.hf_endpoint, app->config.hf_token,
                                  a, e->repo_id, &d);
        *files = d.files;
        *n = d.nfiles;
    } else {
        struct reg_code_signals c;
        st = reg_gh_fetch_repo(&app->ingest.http, app->config.github_api_url,
                               app->config.github_token, a, e->repo_id, &c);
        *files = c.files;
        *n = c.nfiles;
    }
    return st;
}

/* Keeps only the files under subdir (NULL: all). */
static void
only_under(const struct reg_file_info *files, int n, const char *subdir, struct reg_file_info *out,
           int *nout)
{
    size_t len = subdir ? strlen(subdir) : 0;

    *nout = 0;
    for (int i = 0; i < n; i++)
        if (files[i].path &&
            (!subdir || (strncmp(files[i].path, subdir, len) == 0 && files[i].path[len] == '/')))
            out[(*nout)++] = files[i];
}

/* The list of files a bundle of entry e's aspect holds. */
static enum reg_status
list_for(struct reg_app *app, struct reg_arena *a, const struct reg_catalog_entry *e,
         enum reg_bundle_aspect aspect, struct reg_bundle_file **out, int *n)
{
    const struct reg_file_info *files;
    struct reg_file_info *kept;
    const char *subdir = NULL;
    int nfiles, nkept;
    enum reg_status st = files_of(app, a, e, &files, &nfiles, &subdir);

    if (st != REG_OK)
        return st;
    if (e->type == REG_TYPE_CODE) {
        kept = reg_arena_alloc(a, sizeof(*kept) * (size_t)(nfiles ? nfiles : 1));
        only_under(files, nfiles, subdir, kept, &nkept);
        return reg_bundle_gh_files(a, app->config.github_api_url, e->repo_id, kept, nkept, out, n);
    }
    return reg_bundle_hf_files(a, app->config.hf_endpoint,
                               e->type == REG_TYPE_MODEL ? REG_BUNDLE_HF_MODEL
                                                         : REG_BUNDLE_HF_DATASET,
                               e->repo_id, files, nfiles, aspect, out, n);
}

/* The registered datasets a model's card names, as "id1,id2" (catalog ids), or "". */
static const char *
dataset_sources(struct reg_arena *a, struct reg_catalog *cat, const struct reg_catalog_entry *e)
{
    const char *list = "";

    for (int i = 0; i < e->ndatasets; i++) {
        const struct reg_catalog_entry *d =
            reg_catalog_find_repo(cat, REG_TYPE_DATASET, e->datasets[i]);
        if (d && d->host && strcmp(d->host, "huggingface") == 0)
            list = reg_arena_sprintf(a, "%s%s%s", list, *list ? "," : "", d->id);
    }
    return list;
}

/* The datasets aspect: the files of each registered dataset, under "<dataset id>/". */
static enum reg_status
list_datasets(struct reg_app *app, struct reg_arena *a, const char *sources,
              struct reg_bundle_file **out, int *n)
{
    char *ids = reg_arena_strdup(a, sources), *save = NULL;
    struct reg_bundle_file *all = NULL;
    enum reg_status st = REG_OK;

    *n = 0;
    for (char *id = strtok_r(ids, ",", &save); id && st == REG_OK;
         id = strtok_r(NULL, ",", &save)) {
        const struct reg_catalog_entry *d = reg_catalog_find_id(app->catalog, id);
        struct reg_bundle_file *files, *grown;
        int nfiles;
        if (!d)
            continue;
        st = list_for(app, a, d, REG_BUNDLE_FULL, &files, &nfiles);
        if (st != REG_OK)
            break;
        grown = reg_arena_alloc(a, sizeof(*grown) * (size_t)(*n + nfiles + 1));
        if (*n)
            memcpy(grown, all, sizeof(*grown) * (size_t)*n);
        for (int i = 0; i < nfiles; i++) {
            grown[*n + i] = files[i];
            grown[*n + i].path = reg_arena_sprintf(a, "%s/%s", d->repo_id, files[i].path);
        }
        all = grown;
        *n += nfiles;
    }
    *out = all;
    return st;
}

/* Whether the record is current for this source (and, for datasets, this set). */
static bool
up_to_date(const struct reg_bundle_record *r, const char *url, const char *sources, int64_t now)
{
    if (strcmp(r->url, url) != 0 || strcmp(r->sources, sources) != 0)
        return false;
    return r->ok || r->permanent || now - r->at < REG_BUNDLE_RETRY_SECONDS;
}

static void
build_one(struct reg_app *app, struct fetch_config *fc, const struct reg_catalog_entry *e,
          enum reg_bundle_aspect aspect, const char *sources)
{
    struct reg_arena a;
    struct reg_bundle_record rec;
    struct reg_bundle_file *files = NULL;
    struct reg_bundle_fetch fetch = {&fc->http, NULL, NULL};
    struct reg_blob_info blob;
    int n = 0;
    enum reg_status st;

    reg_arena_init(&a);
    memset(&rec, 0, sizeof(rec));
    copy_str(rec.url, sizeof(rec.url), e->url);
    copy_str(rec.sources, sizeof(rec.sources), sources);
    if (e->type == REG_TYPE_CODE) {
        fetch.bearer = app->config.github_token;
        fetch.accept = REG_BUNDLE_GH_ACCEPT;
    } else {
        fetch.bearer = app->config.hf_token;
    }
    st = aspect == REG_BUNDLE_DATASETS ? list_datasets(app, &a, sources, &files, &n)
                                       : list_for(app, &a, e, aspect, &files, &n);
    if (st == REG_OK && n == 0)
        st = reg_errorf(REG_EINVAL, "no file of the %s has this aspect",
                        reg_artifact_type_name(e->type));
    if (st == REG_OK)
        st = reg_bundle_build(reg_arena_sprintf(&a, "%s/blobs", app->config.data_dir), &fetch,
                              files, n, app->config.bundle_max_bytes, &blob);
    rec.at = (int64_t)time(NULL);
    rec.ok = st == REG_OK;
    if (rec.ok) {
        copy_str(rec.sha256, sizeof(rec.sha256), blob.sha256);
        rec.size = blob.size;
        reg_log(REG_LOG_INFO, "bundle %s/%s: %d files, %lld bytes, sha256 %.12s", e->id,
                reg_bundle_aspect_name(aspect), n, (long long)blob.size, blob.sha256);
    } else {
        copy_str(rec.error, sizeof(rec.error), reg_error_detail());
        rec.permanent = st == REG_ETOOLARGE || st == REG_EINVAL;
        reg_log(REG_LOG_WARN, "bundle %s/%s not built: %s", e->id, reg_bundle_aspect_name(aspect),
                rec.error);
    }
    if (reg_bundle_record_write(app->config.data_dir, e->id, aspect, &rec) != REG_OK)
        reg_log(REG_LOG_ERROR, "bundle %s/%s: %s", e->id, reg_bundle_aspect_name(aspect),
                reg_error_detail());
    reg_arena_cleanup(&a);
}

/* Records, once, that an artifact cannot have a bundle. */
static bool
note_unbundlable(struct reg_app *app, const struct reg_catalog_entry *e, const char *why)
{
    struct reg_bundle_record rec;

    if (reg_bundle_record_read(app->config.data_dir, e->id, REG_BUNDLE_FULL, &rec) == REG_OK &&
        strcmp(rec.url, e->url) == 0)
        return false;
    memset(&rec, 0, sizeof(rec));
    copy_str(rec.url, sizeof(rec.url), e->url);
    copy_str(rec.error, sizeof(rec.error), why);
    rec.permanent = true;
    rec.at = (int64_t)time(NULL);
    (void)reg_bundle_record_write(app->config.data_dir, e->id, REG_BUNDLE_FULL, &rec);
    return true;
}

/* Builds what entry e is missing; returns how many builds it made. */
static int
bundle_entry(struct reg_app *app, struct fetch_config *fc, struct reg_arena *a,
             const struct reg_catalog_entry *e, const volatile sig_atomic_t *stop)
{
    static const enum reg_bundle_aspect model_aspects[] = {REG_BUNDLE_FULL, REG_BUNDLE_WEIGHTS,
                                                           REG_BUNDLE_CARD, REG_BUNDLE_DATASETS};
    int64_t now = (int64_t)time(NULL);
    int naspects = e->type == REG_TYPE_MODEL ? 4 : 1, built = 0;

    if (!e->host || strcmp(e->host, "upload") == 0)
        return 0;
    if (strcmp(e->host, "kaggle") == 0)
        return note_unbundlable(app, e,
                                "Kaggle has no public API without credentials: the "
                                "registry cannot fetch this dataset's files");
    for (int i = 0; i < naspects && !*stop; i++) {
        enum reg_bundle_aspect aspect = model_aspects[i];
        struct reg_bundle_record rec;
        const char *sources =
            aspect == REG_BUNDLE_DATASETS ? dataset_sources(a, app->catalog, e) : "";
        if (aspect == REG_BUNDLE_DATASETS && !*sources)
            continue;
        if (reg_bundle_record_read(app->config.data_dir, e->id, aspect, &rec) == REG_OK &&
            up_to_date(&rec, e->url, sources, now))
            continue;
        build_one(app, fc, e, aspect, sources);
        built++;
    }
    return built;
}

int
reg_bundler_pass(struct reg_app *app, const volatile sig_atomic_t *stop)
{
    struct fetch_config fc;
    const struct reg_catalog_entry *entries;
    struct reg_arena a;
    size_t n;
    int built = 0;

    if (reg_catalog_refresh(app->catalog, app->store) != REG_OK) {
        reg_log(REG_LOG_WARN, "bundler: cannot read the store: %s", reg_error_detail());
        return 0;
    }
    fetch_config_init(&fc, &app->config);
    entries = reg_catalog_entries(app->catalog, &n);
    reg_arena_init(&a);
    for (size_t i = 0; i < n && !*stop; i++)
        built += bundle_entry(app, &fc, &a, &entries[i], stop);
    reg_arena_cleanup(&a);
    return built;
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

int
reg_bundler_run(const struct reg_config *cfg, struct reg_pool_status *pool,
                const volatile sig_atomic_t *stop)
{
    struct reg_app *app;
    struct reg_arena a;
    uint64_t settled_gen = 0;
    int64_t settled_at = 0;
    int removed = 0;

    if (reg_app_new(cfg, pool, &app) != REG_OK) {
        reg_log(REG_LOG_ERROR, "bundler: %s", reg_error_detail());
        return 1;
    }
    reg_arena_init(&a);
    (void)make_dir(reg_arena_sprintf(&a, "%s/blobs", cfg->data_dir));
    if (reg_blob_sweep_tmp(reg_arena_sprintf(&a, "%s/blobs", cfg->data_dir), 3600, &removed) ==
            REG_OK &&
        removed)
        reg_log(REG_LOG_INFO, "bundler: removed %d stale temporary files", removed);
    reg_arena_cleanup(&a);
    reg_log(REG_LOG_INFO, "bundler %d started", (int)getpid());
    while (!*stop) {
        uint64_t gen = 0;
        int64_t now = (int64_t)time(NULL);
        /* A pass reads every artifact's records: only after a change, or to retry failures. */
        if (reg_store_generation(app->store, &gen) == REG_OK && gen == settled_gen &&
            now - settled_at < REG_BUNDLER_RESCAN_SECONDS) {
            sleep_ms(REG_BUNDLER_IDLE_MS);
            continue;
        }
        if (reg_bundler_pass(app, stop) == 0) {
            settled_gen = gen;
            settled_at = now;
        }
    }
    reg_app_free(app);
    return 0;
}
