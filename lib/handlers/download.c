/*
 * download.c - GET /download/{artifact_type}/{id}[?aspect=full|weights|card|datasets], the
 * target of every download_url.
 *
 * The worker only decides: the token and the download permission (route table), the artifact,
 * the aspect, and a current bundle (bundle/bundler.h). nginx then streams the file itself
 * (X-Accel-Redirect to the internal /_bundles/ location: sendfile, Content-Length, Range, an
 * ETag from the sha256), so a download holds no worker while its bytes flow.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/str.h"
#include "bundle/bundler.h"
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

/* The current bundle of art's aspect, or REG_ENOTFOUND saying why there is none. */
static enum reg_status
current_bundle(struct reg_app *app, const struct reg_artifact *art, enum reg_bundle_aspect aspect,
               struct reg_bundle_record *rec)
{
    const char *what = reg_artifact_type_name(art->type), *name = reg_bundle_aspect_name(aspect);
    enum reg_status st = reg_bundle_record_read(app->config.data_dir, art->id, aspect, rec);

    if (st == REG_ENOTFOUND || (st == REG_OK && strcmp(rec->url, art->url) != 0))
        return reg_errorf(REG_ENOTFOUND,
                          "%s %s has no stored %s bundle yet: it is being built, try again later",
                          what, art->id, name);
    if (st != REG_OK)
        return st;
    if (!rec->ok)
        return reg_errorf(REG_ENOTFOUND, "%s %s has no %s bundle: %s", what, art->id, name,
                          rec->error);
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

enum reg_status
reg_handle_download(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    enum reg_artifact_type type;
    enum reg_bundle_aspect aspect;
    struct reg_bundle_record rec;
    struct reg_artifact art;
    char path[4096];
    const char *id;
    enum reg_status st;

    st = reg_handler_type_param(req, &type);
    if (st == REG_OK)
        st = reg_handler_id_param(req, &id);
    if (st == REG_OK)
        st = reg_registry_get(app->store, &req->arena, type, id, &art);
    if (st == REG_OK)
        st = parse_aspect(req, type, &aspect);
    if (st == REG_OK)
        st = current_bundle(app, &art, aspect, &rec);
    if (st == REG_OK)
        st = reg_blob_path(path, sizeof(path),
                           reg_arena_sprintf(&req->arena, "%s/blobs", app->config.data_dir),
                           rec.sha256);
    if (st == REG_OK && access(path, R_OK) != 0)
        st = reg_errorf(REG_ENOTFOUND, "the bundle file of %s %s is missing", art.id,
                        reg_bundle_aspect_name(aspect));
    if (st != REG_OK)
        return st;
    reg_handler_audit(app, req, &art, REG_AUDIT_DOWNLOAD);
    reg_response_empty(resp, 200);
    resp->content_type = "application/zip";
    reg_response_header(
        resp, "X-Accel-Redirect",
        reg_arena_sprintf(&req->arena, "/_bundles/%.2s/%s.zip", rec.sha256, rec.sha256));
    reg_response_header(resp, "Content-Disposition",
                        reg_arena_sprintf(&req->arena, "attachment; filename=\"%s\"",
                                          file_name(&req->arena, art.name, aspect)));
    return REG_OK;
}
