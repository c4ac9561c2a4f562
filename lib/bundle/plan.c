/*
 * plan.c - the file list and fetch settings of a bundle (see plan.h).
 */
#include "bundle/plan.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "core/metadata.h"
#include "upstream/github.h"
#include "upstream/huggingface.h"

/* The fetch settings of bundle downloads: the files' allow-list (bundle/hosts.h) and a
 * transfer time that fits large files. */
static void
fetch_init(struct reg_bundle_plan *p, const struct reg_config *cfg, enum reg_artifact_type type)
{
    reg_file_hosts_init(&p->hosts, cfg);
    memset(&p->http, 0, sizeof(p->http));
    p->http.allowed_bases = p->hosts.bases;
    p->http.nallowed = p->hosts.n;
    p->http.total_timeout_ms = REG_BUNDLE_TRANSFER_MS;
    p->fetch.http = &p->http;
    p->fetch.bearer = type == REG_TYPE_CODE ? cfg->github_token : cfg->hf_token;
    p->fetch.accept = type == REG_TYPE_CODE ? REG_BUNDLE_GH_ACCEPT : NULL;
}

/* The stored listing of a document when it is complete (file_count files); else NULL. */
static const struct reg_file_info *
stored_files(struct reg_arena *a, struct json_object *doc, int *n)
{
    struct json_object *list;
    struct reg_file_info *out;
    size_t len;

    if (!json_object_object_get_ex(doc, "files", &list) ||
        !json_object_is_type(list, json_type_array) ||
        (int64_t)json_object_array_length(list) != reg_json_int(doc, "file_count"))
        return NULL;
    len = json_object_array_length(list);
    out = reg_arena_alloc(a, sizeof(*out) * (len ? len : 1));
    for (size_t i = 0; i < len; i++) {
        struct json_object *f = json_object_array_get_idx(list, i);
        out[i].path = reg_json_str(f, "path");
        out[i].size = reg_json_int(f, "size");
        out[i].oid = reg_json_str(f, "oid");
        out[i].lfs_sha256 = reg_json_str(f, "lfs_sha256");
    }
    *n = (int)len;
    return out;
}

/* The listing fetched again from upstream (more files than the metadata keeps). */
static enum reg_status
fetched_files(struct reg_app *app, struct reg_arena *a, enum reg_artifact_type type,
              const char *repo_id, const struct reg_file_info **files, int *n)
{
    const struct reg_config *cfg = &app->config;
    enum reg_status st;

    if (type == REG_TYPE_MODEL) {
        struct reg_model_signals s;
        st = reg_hf_fetch_model(&app->ingest.http, cfg->hf_endpoint, cfg->hf_token, a, repo_id, &s);
        *files = s.files;
        *n = s.nfiles;
    } else if (type == REG_TYPE_DATASET) {
        struct reg_dataset_signals d;
        st = reg_hf_fetch_dataset(&app->ingest.http, cfg->hf_endpoint, cfg->hf_token, a, repo_id,
                                  &d);
        *files = d.files;
        *n = d.nfiles;
    } else {
        struct reg_code_signals c;
        st = reg_gh_fetch_repo(&app->ingest.http, cfg->github_api_url, cfg->github_token, a,
                               repo_id, &c);
        *files = c.files;
        *n = c.nfiles;
    }
    return st;
}

/* Keeps only the files under subdir (NULL: all). */
static struct reg_file_info *
only_under(struct reg_arena *a, const struct reg_file_info *files, int n, const char *subdir,
           int *nout)
{
    struct reg_file_info *out = reg_arena_alloc(a, sizeof(*out) * (size_t)(n ? n : 1));
    size_t len = subdir ? strlen(subdir) : 0;

    *nout = 0;
    for (int i = 0; i < n; i++)
        if (files[i].path &&
            (!subdir || (strncmp(files[i].path, subdir, len) == 0 && files[i].path[len] == '/')))
            out[(*nout)++] = files[i];
    return out;
}

/* The files of one artifact's aspect, from its stored metadata. */
static enum reg_status
list_artifact(struct reg_app *app, struct reg_arena *a, const struct reg_artifact *art,
              enum reg_bundle_aspect aspect, struct reg_bundle_file **out, int *n)
{
    const struct reg_file_info *files;
    struct reg_metadata md;
    struct json_object *src;
    const char *subdir = NULL;
    int nfiles = 0;
    enum reg_status st = reg_metadata_read(a, art->metadata, &md);

    if (st != REG_OK)
        return st;
    if (!md.host || strcmp(md.host, "kaggle") == 0)
        return reg_errorf(REG_ENOTIMPL, "Kaggle has no public API without credentials: the "
                                        "registry cannot fetch this dataset's files");
    if (strcmp(md.host, "upload") == 0)
        return reg_errorf(aspect == REG_BUNDLE_FULL ? REG_ESTORE : REG_ENOTFOUND,
                          aspect == REG_BUNDLE_FULL
                              ? "the uploaded zip of this artifact is missing from the store"
                              : "an uploaded artifact is kept as uploaded: download its full "
                                "bundle");
    if (json_object_object_get_ex(md.doc, "source", &src))
        subdir = reg_json_str(src, "subdir");
    files = stored_files(a, md.doc, &nfiles);
    if (!files)
        st = fetched_files(app, a, art->type, md.repo_id, &files, &nfiles);
    if (st != REG_OK)
        return st;
    if (art->type == REG_TYPE_CODE) {
        struct reg_file_info *kept = only_under(a, files, nfiles, subdir, &nfiles);
        return reg_bundle_gh_files(a, app->config.github_api_url, md.repo_id, kept, nfiles, out, n);
    }
    return reg_bundle_hf_files(a, app->config.hf_endpoint,
                               art->type == REG_TYPE_MODEL ? REG_BUNDLE_HF_MODEL
                                                           : REG_BUNDLE_HF_DATASET,
                               md.repo_id, files, nfiles, aspect, out, n);
}

const char *
reg_bundle_plan_sources(struct reg_app *app, struct reg_arena *a, const struct reg_artifact *art,
                        enum reg_bundle_aspect aspect)
{
    const struct reg_catalog_entry *e;
    const char *list = "";

    if (aspect != REG_BUNDLE_DATASETS || reg_catalog_refresh(app->catalog, app->store) != REG_OK)
        return "";
    e = reg_catalog_find_id(app->catalog, art->id);
    for (int i = 0; e && i < e->ndatasets; i++) {
        const struct reg_catalog_entry *d =
            reg_catalog_find_repo(app->catalog, REG_TYPE_DATASET, e->datasets[i]);
        if (d && d->host && strcmp(d->host, "huggingface") == 0)
            list = reg_arena_sprintf(a, "%s%s%s", list, *list ? "," : "", d->id);
    }
    return list;
}

/* The datasets aspect: the files of each registered dataset, under "<dataset repo id>/". */
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
        struct reg_artifact ds;
        int nfiles;
        if (!d || reg_store_get(app->store, a, id, &ds) != REG_OK)
            continue;
        st = list_artifact(app, a, &ds, REG_BUNDLE_FULL, &files, &nfiles);
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

static int
by_path(const void *x, const void *y)
{
    return strcmp(((const struct reg_bundle_file *)x)->path,
                  ((const struct reg_bundle_file *)y)->path);
}

enum reg_status
reg_bundle_plan_make(struct reg_app *app, struct reg_arena *a, const struct reg_artifact *art,
                     enum reg_bundle_aspect aspect, struct reg_bundle_plan *out)
{
    enum reg_status st;

    memset(out, 0, sizeof(*out));
    out->id = art->id;
    out->aspect = aspect;
    out->type = aspect == REG_BUNDLE_DATASETS ? REG_TYPE_DATASET : art->type;
    out->url = art->url;
    out->sources = reg_bundle_plan_sources(app, a, art, aspect);
    fetch_init(out, &app->config, art->type);
    if (aspect == REG_BUNDLE_DATASETS)
        st = list_datasets(app, a, out->sources, &out->files, &out->nfiles);
    else
        st = list_artifact(app, a, art, aspect, &out->files, &out->nfiles);
    if (st == REG_OK && out->nfiles == 0)
        st = reg_errorf(REG_ENOTFOUND, "%s %s has no file in its %s aspect",
                        reg_artifact_type_name(art->type), art->id, reg_bundle_aspect_name(aspect));
    if (st != REG_OK)
        return st;
    qsort(out->files, (size_t)out->nfiles, sizeof(*out->files), by_path);
    for (int i = 0; i < out->nfiles; i++) {
        if (out->files[i].size < 0)
            return reg_errorf(REG_EUPSTREAM, "upstream lists no size for %s", out->files[i].path);
        if (i > 0 && strcmp(out->files[i - 1].path, out->files[i].path) == 0)
            return reg_errorf(REG_EUPSTREAM, "upstream lists %s twice", out->files[i].path);
        out->content_bytes += out->files[i].size;
    }
    return REG_OK;
}
