/*
 * groups.c - atomic package groups (core/groups.h): POST /groups (create), GET /groups/{id},
 * POST /groups/{id}/commands (append one command), POST /groups/{id}/uploads?type=&name= (append
 * an upload: a zip body, stored by nginx like an artifact upload's) and
 * POST /groups/{id}/execute.
 */
#include <json-c/json.h>
#include <string.h>

#include "auth/user.h"
#include "base/json.h"
#include "base/log.h"
#include "bundle/index.h"
#include "core/audit.h"
#include "core/groups.h"
#include "handlers/handlers.h"

/* Routes that need the upload permission always have a caller. */
static struct reg_group_caller
caller_of(const struct reg_request *req)
{
    return (struct reg_group_caller){req->caller->name, req->caller->is_admin};
}

static enum reg_status
send_group(struct reg_request *req, struct reg_response *resp, int status,
           const struct reg_group *g)
{
    return reg_response_json(resp, status, reg_arena_own_json(&req->arena, reg_group_json(g)));
}

enum reg_status
reg_handle_group_create(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_group_caller who = caller_of(req);
    struct json_object *body = NULL;
    struct reg_group g;
    int64_t ttl = 0;
    enum reg_status st = REG_OK;

    /* The body is optional: none, or {"ttl": seconds}. */
    if (req->body_len > 0)
        st = reg_json_parse_object(&req->arena, req->body, req->body_len, &body);
    if (st == REG_OK && body)
        st = reg_json_opt_int(body, "ttl", 1, REG_GROUP_TTL_MAX, &ttl);
    if (st == REG_OK)
        st = reg_group_create(app->store, &req->arena, &who, ttl, &g);
    if (st == REG_OK)
        reg_group_sweep_staged(app->store, app->blobs);
    return st == REG_OK ? send_group(req, resp, 201, &g) : st;
}

enum reg_status
reg_handle_group_get(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_group_caller who = caller_of(req);
    struct reg_group g;
    const char *id;
    enum reg_status st = reg_handler_id_param(req, &id);

    if (st == REG_OK)
        st = reg_group_get(app->store, &req->arena, &who, id, &g);
    return st == REG_OK ? send_group(req, resp, 200, &g) : st;
}

enum reg_status
reg_handle_group_append(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_group_caller who = caller_of(req);
    struct json_object *body = NULL;
    struct reg_group g;
    const char *id;
    enum reg_status st = reg_handler_id_param(req, &id);

    if (st == REG_OK)
        st = reg_json_parse_object(&req->arena, req->body, req->body_len, &body);
    if (st == REG_OK)
        st = reg_group_append(app->store, &req->arena, &who, id, body, &g);
    return st == REG_OK ? send_group(req, resp, 201, &g) : st;
}

enum reg_status
reg_handle_group_upload(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_group_caller who = caller_of(req);
    struct reg_upload_place place = reg_handler_upload_place(app, req);
    struct reg_upload_body body = {req->body_file, req->body, req->body_len};
    enum reg_artifact_type type = REG_TYPE_MODEL;
    struct reg_group g;
    const char *id;
    char *name = NULL;
    enum reg_status st = reg_handler_id_param(req, &id);

    if (st == REG_OK)
        st = reg_handler_upload_args(req, &type, &name);
    if (st == REG_OK)
        st = reg_group_append_upload(app->store, &place, &req->arena, &who, id, type, name, &body,
                                     &g);
    return st == REG_OK ? send_group(req, resp, 201, &g) : st;
}

/* What every committed command leaves besides its artifact: an audit entry, and for an
 * update its stored bundles dropped (the next download fetches the new source), as PUT does. */
static void
after_commit(struct reg_app *app, struct reg_request *req, const struct reg_artifact *art,
             bool updated)
{
    if (updated && reg_bundle_index_forget(app->blobs, art->id) != REG_OK)
        reg_log(REG_LOG_WARN, "bundles of %s not removed: %s", art->id, reg_error_detail());
    reg_handler_audit(app, req, art, updated ? REG_AUDIT_UPDATE : REG_AUDIT_CREATE);
}

enum reg_status
reg_handle_group_execute(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_registry registry = reg_handler_registry(app);
    struct reg_upload_place place = reg_handler_upload_place(app, req);
    struct reg_group_caller who = caller_of(req);
    struct reg_artifact *arts = NULL;
    bool *updated = NULL;
    struct json_object *list;
    const char *id;
    int n = 0;
    enum reg_status st = reg_handler_id_param(req, &id);

    if (st == REG_OK)
        st = reg_group_execute(&registry, &place, &req->arena, &who, id, &arts, &updated, &n);
    if (st != REG_OK)
        return st;
    list = reg_arena_own_json(&req->arena, json_object_new_array());
    for (int i = 0; i < n; i++) {
        after_commit(app, req, &arts[i], updated[i]);
        json_object_array_add(list, reg_artifact_json(&arts[i], req->base_url));
    }
    return reg_response_json(resp, 200, list);
}
