/*
 * common.c - the helpers every handler shares: access checks, path parameters, the registry
 * view of the app, audit entries by the caller, and lists of artifact metadata.
 */
#include "auth/user.h"
#include "auth/users.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "core/audit.h"
#include "core/registry.h"
#include "handlers/handlers.h"

enum reg_status
reg_handler_authorize(struct reg_app *app, struct reg_request *req, const struct reg_route *route,
                      bool spend)
{
    struct reg_caller *caller;
    unsigned needed = route->access & REG_PERM_ALL;
    const char *token;
    enum reg_status st;

    if (route->access == REG_PUBLIC)
        return REG_OK;
    caller = reg_arena_alloc(&req->arena, sizeof(*caller));
    token =
        req->authorization || !(route->access & REG_BEARER_OK) ? req->authorization : req->bearer;
    st = spend ? reg_users_authorize(&app->users, &req->arena, token, caller)
               : reg_users_check(&app->users, &req->arena, token, caller);
    if (st != REG_OK)
        return st;
    req->caller = caller;
    if ((caller->perms & needed) != needed)
        return reg_errorf(REG_EDENIED, "user '%.100s' lacks the %s permission", caller->name,
                          reg_perms_name(needed));
    return REG_OK;
}

enum reg_status
reg_handler_type_param(struct reg_request *req, enum reg_artifact_type *out)
{
    return reg_artifact_type_parse(reg_request_param(req, "artifact_type"), out);
}

enum reg_status
reg_handler_id_param(struct reg_request *req, const char **out)
{
    *out = reg_request_param(req, "id");
    return reg_artifact_id_check(*out);
}

enum reg_status
reg_handler_artifact_param(struct reg_app *app, struct reg_request *req, struct reg_artifact *out)
{
    enum reg_artifact_type type;
    const char *id;
    enum reg_status st = reg_handler_type_param(req, &type);

    if (st == REG_OK)
        st = reg_handler_id_param(req, &id);
    if (st == REG_OK)
        st = reg_registry_get(app->store, &req->arena, type, id, out);
    return st;
}

struct reg_registry
reg_handler_registry(struct reg_app *app)
{
    return (struct reg_registry){app->store, app->catalog, &app->ingest};
}

enum reg_status
reg_handler_metadata_list_versions(struct reg_request *req, struct reg_response *resp,
                                   const struct reg_artifact *items, const char *const *versions,
                                   int n)
{
    struct json_object *list = reg_arena_own_json(&req->arena, json_object_new_array());

    for (int i = 0; i < n; i++) {
        struct json_object *item = reg_artifact_metadata_json(&items[i]);
        if (versions && versions[i])
            json_object_object_add(item, "version", json_object_new_string(versions[i]));
        json_object_array_add(list, item);
    }
    return reg_response_json(resp, 200, list);
}

enum reg_status
reg_handler_search_answer(struct reg_app *app, struct reg_request *req, struct reg_response *resp,
                          const struct reg_artifact *items, const char *const *versions, int n)
{
    if (app->pool)
        reg_search_hits_count(&app->pool->search_hits, items, n);
    return reg_handler_metadata_list_versions(req, resp, items, versions, n);
}

void
reg_handler_audit(struct reg_app *app, struct reg_request *req, const struct reg_artifact *art,
                  enum reg_audit_action action)
{
    reg_handler_audit_once(app, req, art, action, 0);
}

void
reg_handler_audit_once(struct reg_app *app, struct reg_request *req, const struct reg_artifact *art,
                       enum reg_audit_action action, int64_t window)
{
    const struct reg_caller *c = req->caller;
    enum reg_status st = reg_audit_record_once(app->store, c ? c->name : "anonymous",
                                               c ? c->is_admin : false, art, action, window);

    if (st != REG_OK)
        reg_log(REG_LOG_ERROR, "audit entry for %s %s lost: %s", reg_audit_action_name(action),
                art->id, reg_error_detail());
}

enum reg_status
reg_handler_offset_param(struct reg_request *req, int64_t *out)
{
    char *raw;
    enum reg_status st = reg_str_query_param(&req->arena, req->query, "offset", &raw);

    *out = 0;
    if (st != REG_OK || !raw || !*raw)
        return st;
    return reg_str_to_int64(raw, 0, INT64_MAX, "offset", out);
}

enum reg_status
reg_handler_next_offset(struct reg_request *req, struct reg_response *resp, int64_t next)
{
    if (next == 0)
        return REG_OK;
    return reg_response_header(resp, "offset",
                               reg_arena_sprintf(&req->arena, "%lld", (long long)next));
}
