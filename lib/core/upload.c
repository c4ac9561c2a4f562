/*
 * upload.c - registering an uploaded zip (see upload.h).
 */
#include "core/upload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "bundle/index.h"
#include "bundle/zipcheck.h"
#include "core/lineage_parents.h"
#include "core/metadata.h"
#include "core/security.h"

/* The license a README's YAML front matter names ("license: mit"), or NULL. */
static const char *
front_matter_license(struct reg_arena *a, const char *readme)
{
    const char *p = readme, *end;

    if (!p || strncmp(p, "---", 3) != 0)
        return NULL;
    p = strchr(p, '\n');
    while (p && *++p && strncmp(p, "---", 3) != 0) {
        end = strchr(p, '\n');
        if (strncmp(p, "license:", 8) == 0) {
            const char *v = p + 8;
            size_t len;
            while (*v == ' ' || *v == '"' || *v == '\'')
                v++;
            len = strcspn(v, "\"'\r\n");
            return len ? reg_arena_strndup(a, v, len) : NULL;
        }
        p = end;
    }
    return NULL;
}

/* The files of the zip, as the rating sees a repository's listing. */
static struct reg_file_info *
file_infos(struct reg_arena *a, const struct reg_zip_report *z)
{
    struct reg_file_info *files = reg_arena_alloc(a, sizeof(*files) * (size_t)(z->nfiles + 1));

    for (int i = 0; i < z->nfiles; i++) {
        files[i].path = z->files[i].path;
        files[i].size = z->files[i].size;
    }
    return files;
}

/* Rates and gates an uploaded model; fills the metadata document. */
static enum reg_status
rate_model(const struct reg_registry *r, struct reg_arena *a, const char *name,
           const struct reg_zip_report *z, int64_t parameters, struct json_object **doc)
{
    struct reg_model_signals s;
    struct reg_rating rating;
    struct reg_lineage_parent parents[REG_LINEAGE_MAX_PARENTS];
    int nparents;
    enum reg_status st;

    memset(&s, 0, sizeof(s));
    s.repo_id = name;
    s.name = name;
    s.readme = z->readme;
    s.config_json = z->config_json;
    s.license = front_matter_license(a, z->readme);
    s.files = file_infos(a, z);
    s.nfiles = z->nfiles;
    s.parameters = parameters;
    nparents = reg_lineage_parents(a, name, NULL, z->config_json, parents, REG_LINEAGE_MAX_PARENTS);
    st = reg_ingest_rate(r->ingest, r->catalog, r->store, a, &s, parents, nparents, &rating);
    if (st != REG_OK)
        return st;
    *doc = reg_metadata_model(&s, parents, nparents, &rating);
    return REG_OK;
}

/* The metadata document of an upload: the model's (rated, with the scan's parameter count),
 * or the listing of a dataset or code; its source is the upload. */
static enum reg_status
describe(const struct reg_registry *r, struct reg_arena *a, enum reg_artifact_type t,
         const char *name, const struct reg_zip_report *z, int64_t parameters,
         struct json_object **doc)
{
    struct json_object *src;
    enum reg_status st = REG_OK;

    if (t == REG_TYPE_MODEL) {
        st = rate_model(r, a, name, z, parameters, doc);
    } else if (t == REG_TYPE_DATASET) {
        struct reg_dataset_signals d = {0};
        d.repo_id = name;
        d.files = file_infos(a, z);
        d.nfiles = z->nfiles;
        *doc = reg_metadata_dataset(&d);
    } else {
        struct reg_code_signals c = {0};
        c.repo_id = name;
        c.files = file_infos(a, z);
        c.nfiles = z->nfiles;
        *doc = reg_metadata_code(&c, NULL);
    }
    if (st != REG_OK)
        return st;
    reg_arena_own_json(a, *doc);
    if (json_object_object_get_ex(*doc, "source", &src))
        json_object_object_add(src, "host", json_object_new_string("upload"));
    return REG_OK;
}

/* A new temp file under tmp_dir: *path (from a) and its open descriptor *fd. */
static enum reg_status
temp_file(struct reg_arena *a, const char *tmp_dir, const char **path, int *fd)
{
    char *tmpl = reg_arena_sprintf(a, "%s/upload-XXXXXX", tmp_dir);

    *fd = mkstemp(tmpl);
    if (*fd < 0)
        return reg_errorf(REG_ESTORE, "cannot create %s: %s", tmpl, strerror(errno));
    *path = tmpl;
    return REG_OK;
}

/* The body as a file: nginx's stored request body, or the in-memory body written to a temp
 * file under tmp_dir (*made then says it must be removed). */
static enum reg_status
body_file(struct reg_arena *a, const char *tmp_dir, const struct reg_upload_body *body,
          const char **path, bool *made)
{
    int fd;
    enum reg_status st;

    *made = false;
    if (body->path) {
        *path = body->path;
        return REG_OK;
    }
    st = temp_file(a, tmp_dir, path, &fd);
    if (st != REG_OK)
        return st;
    if (write(fd, body->data, body->len) != (ssize_t)body->len)
        st = reg_errorf(REG_ESTORE, "cannot write %s: %s", *path, strerror(errno));
    close(fd);
    if (st != REG_OK) {
        unlink(*path);
        return st;
    }
    *made = true;
    return REG_OK;
}

/* Puts the zip into the blob store: rec's sha256, size and url ("upload://<sha256>"). */
static enum reg_status
store_zip(struct reg_blobs *blobs, struct reg_arena *a, const char *tmp_dir,
          const struct reg_upload_body *body, struct reg_bundle_record *rec)
{
    const char *path = NULL;
    bool made = false;
    enum reg_status st = body_file(a, tmp_dir, body, &path, &made);

    memset(rec, 0, sizeof(*rec));
    if (st == REG_OK)
        st = reg_blobs_hash_file(path, rec->sha256, &rec->size);
    if (st == REG_OK)
        st = reg_blobs_put_file(blobs, path, rec->sha256);
    if (made)
        unlink(path);
    if (st == REG_OK)
        snprintf(rec->url, sizeof(rec->url), "upload://%s", rec->sha256);
    return st;
}

/* The zip as zipcheck reads it, from its file or from memory; limits as place sets them. */
static enum reg_status
check_zip(struct reg_arena *a, const struct reg_upload_body *body,
          const struct reg_zipcheck_limits *limits, struct reg_zip_report *z)
{
    return body->path ? reg_zipcheck_file(a, body->path, limits, z)
                      : reg_zipcheck_memory(a, body->data, body->len, limits, z);
}

/* Everything but the writes: the zip checked and scanned as it is decompressed, the scan's
 * verdict under the policy, the rating and gate of a model; out gets type, name, readme and
 * metadata. */
static enum reg_status
prepare(const struct reg_registry *r, const struct reg_upload_place *place, struct reg_arena *a,
        enum reg_artifact_type t, const char *name, const struct reg_upload_body *body,
        struct reg_artifact *out, struct reg_security_report *scanned)
{
    struct reg_zipcheck_limits limits = {0, place->max_bytes, NULL};
    struct reg_security_scanner scan;
    struct reg_zip_report z;
    struct json_object *doc = NULL;
    enum reg_status st = reg_artifact_name_check(name);

    memset(out, 0, sizeof(*out));
    reg_security_scanner_init(&scan, a, place->scan_policy, t);
    if (place->scan_policy != REG_SCAN_POLICY_OFF)
        limits.observer = &scan.observer;
    if (st == REG_OK)
        st = check_zip(a, body, &limits, &z);
    reg_security_scanner_cleanup(&scan);
    if (st == REG_OK) {
        st = reg_security_decide(&scan.report);
        scan.report.refused = st != REG_OK;
    }
    if (scanned) {
        *scanned = scan.report;
        if (place->scan_policy == REG_SCAN_POLICY_OFF || (st != REG_OK && !scan.report.refused))
            scanned->nfiles = -1;
    }
    if (st == REG_OK)
        st = describe(r, a, t, name, &z, reg_security_parameters(&scan.report), &doc);
    if (st != REG_OK)
        return st;
    json_object_object_add(doc, "security", reg_security_json(&scan.report));
    out->type = t;
    out->name = reg_arena_strdup(a, name);
    out->readme = z.readme;
    out->metadata = reg_arena_strdup(a, reg_json_text(doc, NULL));
    return REG_OK;
}

enum reg_status
reg_upload(const struct reg_registry *r, const struct reg_upload_place *place, struct reg_arena *a,
           enum reg_artifact_type t, const char *name, const struct reg_upload_body *body,
           struct reg_artifact *out, struct reg_security_report *scanned)
{
    struct reg_bundle_record rec;
    enum reg_status st = prepare(r, place, a, t, name, body, out, scanned);

    if (st == REG_OK)
        st = store_zip(place->blobs, a, place->tmp_dir, body, &rec);
    if (st != REG_OK)
        return st;
    out->url = reg_arena_strdup(a, rec.url);
    st = reg_registry_insert_new(r->store, out);
    if (st == REG_OK)
        st = reg_bundle_index_set(place->blobs, out->id, REG_BUNDLE_FULL, &rec);
    else
        (void)reg_bundle_index_drop_unused(place->blobs, rec.sha256);
    return st;
}

enum reg_status
reg_upload_stage(const struct reg_upload_place *place, struct reg_arena *a,
                 const struct reg_upload_body *body, struct reg_bundle_record *rec)
{
    struct reg_zipcheck_limits limits = {0, place->max_bytes, NULL};
    struct reg_zip_report z;
    enum reg_status st = check_zip(a, body, &limits, &z);

    return st == REG_OK ? store_zip(place->blobs, a, place->tmp_dir, body, rec) : st;
}

/* Writes what a blob read hands over to the descriptor ctx points to. */
static enum reg_status
write_sink(void *ctx, const void *data, size_t len)
{
    int fd = *(int *)ctx;

    if (write(fd, data, len) != (ssize_t)len)
        return reg_errorf(REG_ESTORE, "cannot write a staged zip: %s", strerror(errno));
    return REG_OK;
}

enum reg_status
reg_upload_staged(const struct reg_registry *r, const struct reg_upload_place *place,
                  struct reg_arena *a, enum reg_artifact_type t, const char *name,
                  const struct reg_bundle_record *rec, struct reg_artifact *out,
                  struct reg_security_report *scanned)
{
    struct reg_upload_body body = {0};
    int fd;
    enum reg_status st = temp_file(a, place->tmp_dir, &body.path, &fd);

    if (scanned)
        scanned->nfiles = -1;
    if (st != REG_OK)
        return st;
    st = reg_blobs_read(place->blobs, rec->sha256, 0, -1, write_sink, &fd);
    close(fd);
    if (st == REG_OK)
        st = prepare(r, place, a, t, name, &body, out, scanned);
    unlink(body.path);
    if (st == REG_OK)
        out->url = reg_arena_strdup(a, rec->url);
    return st;
}
