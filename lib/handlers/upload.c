/*
 * upload.c - POST /artifact/{artifact_type}/upload?name=<name> with a zip body: an artifact
 * from the client's own files (core/upload.h). nginx stores the body in a file and passes its
 * path (conf/nginx.conf.in), so a large zip never passes through the worker's memory.
 */
#include "core/upload.h"
#include "base/str.h"
#include "core/audit.h"
#include "handlers/handlers.h"

enum reg_status
reg_handle_upload(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_registry registry = reg_handler_registry(app);
    struct reg_upload_body body = {req->body_file, req->body, req->body_len};
    struct reg_upload_place place = {app->blobs,
                                     reg_arena_sprintf(&req->arena, "%s/tmp", app->config.data_dir),
                                     app->config.upload_max_bytes};
    enum reg_artifact_type type;
    struct reg_artifact art;
    char *name = NULL;
    enum reg_status st;

    st = reg_handler_type_param(req, &type);
    if (st == REG_OK)
        st = reg_str_query_param(&req->arena, req->query, "name", &name);
    if (st == REG_OK && (!name || !*name))
        st = reg_errorf(REG_EINVAL, "the name query parameter is required");
    if (st == REG_OK && !body.path && body.len == 0)
        st = reg_errorf(REG_EINVAL, "the body must be a zip file");
    if (st == REG_OK)
        st = reg_upload(&registry, &place, &req->arena, type, name, &body, &art);
    if (st != REG_OK)
        return st;
    reg_handler_audit(app, req, &art, REG_AUDIT_CREATE);
    return reg_response_json(
        resp, 201, reg_arena_own_json(&req->arena, reg_artifact_json(&art, req->base_url)));
}
