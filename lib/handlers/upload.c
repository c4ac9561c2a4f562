/*
 * upload.c - POST /artifact/{artifact_type}/upload?name=<name> with a zip body: an artifact
 * from the client's own files (core/upload.h). nginx stores the body in a file and passes its
 * path (conf/nginx.conf.in), so a large zip never passes through the worker's memory.
 *
 * Before nginx reads such a body, it asks GET /_internal/upload-check (auth_request) whether
 * the request may go on: the route, the token and the permission as the dispatcher will check
 * them, and room for the body on the disk. Only then is anything written, so clients without
 * an upload token cannot fill the disk. The check spends none of the token's uses: the upload
 * itself spends its one.
 */
#include "core/upload.h"

#include <errno.h>
#include <string.h>
#include <sys/statvfs.h>

#include "base/log.h"
#include "base/str.h"
#include "core/audit.h"
#include "handlers/handlers.h"

/* What nginx's REGISTRY_ORIGINAL_LENGTH says of a chunked body, whose length is not known
 * before it is read (conf/nginx.conf.in). */
#define CHUNKED_LENGTH "chunked"

struct reg_upload_place
reg_handler_upload_place(struct reg_app *app, struct reg_request *req)
{
    return (struct reg_upload_place){app->blobs,
                                     reg_arena_sprintf(&req->arena, "%s/tmp", app->config.data_dir),
                                     app->config.upload_max_bytes, app->scan_policy};
}

enum reg_status
reg_handler_upload_args(struct reg_request *req, enum reg_artifact_type *type, char **name)
{
    char *type_name = NULL;
    enum reg_status st = REG_OK;

    /* The artifact upload names the type in its path, a group's upload in its query. */
    if (reg_request_param(req, "artifact_type"))
        st = reg_handler_type_param(req, type);
    else if ((st = reg_str_query_param(&req->arena, req->query, "type", &type_name)) == REG_OK)
        st = reg_artifact_type_parse(type_name ? type_name : "", type);
    if (st == REG_OK)
        st = reg_str_query_param(&req->arena, req->query, "name", name);
    if (st == REG_OK && (!*name || !**name))
        st = reg_errorf(REG_EINVAL, "the name query parameter is required");
    if (st == REG_OK && !req->body_file && req->body_len == 0)
        st = reg_errorf(REG_EINVAL, "the body must be a zip file");
    return st;
}

enum reg_status
reg_handle_upload(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_registry registry = reg_handler_registry(app);
    struct reg_upload_body body = {req->body_file, req->body, req->body_len};
    struct reg_upload_place place = reg_handler_upload_place(app, req);
    enum reg_artifact_type type = REG_TYPE_MODEL;
    struct reg_artifact art;
    struct reg_security_report scanned = {.nfiles = -1};
    char *name = NULL;
    enum reg_status st = reg_handler_upload_args(req, &type, &name);

    if (st == REG_OK)
        st = reg_upload(&registry, &place, &req->arena, type, name, &body, &art, &scanned);
    if (app->pool && scanned.nfiles >= 0)
        reg_stats_scan(&app->pool->stats, scanned.counts, scanned.refused);
    if (st != REG_OK)
        return st;
    reg_handler_audit(app, req, &art, REG_AUDIT_CREATE);
    return reg_response_json(
        resp, 201, reg_arena_own_json(&req->arena, reg_artifact_json(&art, req->base_url)));
}

/* Refuses a body of length bytes (as REGISTRY_ORIGINAL_LENGTH gives it: digits, "chunked",
 * which may be as long as the largest upload, or "" for none) when nginx writing it to the
 * data directory would leave less free space than REGISTRY_BLOB_RESERVE_BYTES. */
static enum reg_status
check_room(const struct reg_config *cfg, const char *length)
{
    int64_t need = cfg->upload_max_bytes, avail;
    struct statvfs vfs;
    enum reg_status st = REG_OK;

    if (!length || !*length)
        return REG_OK;
    if (strcmp(length, CHUNKED_LENGTH) != 0)
        st = reg_str_to_int64(length, 0, INT64_MAX, "Content-Length", &need);
    if (st != REG_OK || need == 0)
        return st;
    if (statvfs(cfg->data_dir, &vfs) != 0)
        return reg_errorf(REG_ESTORE, "statvfs %s: %s", cfg->data_dir, strerror(errno));
    avail = (int64_t)vfs.f_bavail * (int64_t)vfs.f_frsize;
    if (avail - need < cfg->blob_reserve_bytes)
        return reg_errorf(REG_ENOSPACE,
                          "an upload of %lld bytes would leave %lld bytes free, less than the "
                          "reserve of %lld (REGISTRY_BLOB_RESERVE_BYTES)",
                          (long long)need, (long long)(avail - need),
                          (long long)cfg->blob_reserve_bytes);
    return REG_OK;
}

/* From here on req is the client's request the check is about: its route, and its token and
 * permission checked as the dispatcher will check them but without spending a use; then room
 * for its body. */
static enum reg_status
check_original(struct reg_app *app, struct reg_request *req, const char **allow)
{
    const char *uri = req->original_uri ? req->original_uri : "";
    const char *q = strchr(uri, '?');
    const struct reg_route *route = NULL;
    enum reg_status st;

    req->method = req->original_method ? req->original_method : "";
    req->path = q ? reg_arena_strndup(&req->arena, uri, (size_t)(q - uri)) : uri;
    req->query = q ? q + 1 : "";
    st = reg_router_match(reg_routes, reg_nroutes, req, &route, allow);
    if (st == REG_OK && (route->access & REG_INTERNAL))
        st = reg_errorf(REG_ENOROUTE, "no route for %s %.200s", req->method, req->path);
    if (st == REG_OK)
        st = reg_handler_authorize(app, req, route, false);
    if (st == REG_OK)
        st = check_room(&app->config, req->original_length);
    return st;
}

/*
 * nginx's auth_request passes only 401 and 403 on (any other answer becomes its own 500), so
 * a refusal is a 403 whose headers carry the answer the API gives: X-Registry-Status, the JSON
 * error body as X-Registry-Error and, for a 405, X-Registry-Allow. nginx answers the client
 * with them (error_page, conf/nginx.conf.in).
 */
static void
refuse(struct reg_request *req, struct reg_response *resp, enum reg_status st, const char *allow)
{
    const char *body;

    reg_response_error(resp, st);
    if (resp->status >= 500)
        reg_log(REG_LOG_ERROR, "upload check of %s %s -> %d %s", req->method, req->path,
                resp->status, reg_error_detail());
    body = reg_arena_strndup(&req->arena, resp->body.data, resp->body.len);
    reg_response_header(resp, "X-Registry-Status",
                        reg_arena_sprintf(&req->arena, "%d", resp->status));
    reg_response_header(resp, "X-Registry-Error", body);
    if (allow)
        reg_response_header(resp, "X-Registry-Allow", allow);
    resp->status = 403;
}

enum reg_status
reg_handle_upload_check(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    const char *allow = NULL;
    enum reg_status st = check_original(app, req, &allow);

    if (st == REG_OK)
        reg_response_empty(resp, 204);
    else
        refuse(req, resp, st, allow);
    return REG_OK;
}
