/*
 * common.c - the helpers every handler shares: path parameters, the registry view of the app,
 * audit entries by the caller, and lists of artifact metadata.
 */
#include "auth/user.h"
#include "base/json.h"
#include "base/log.h"
#include "core/audit.h"
#include "core/registry.h"
#include "handlers/handlers.h"

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

struct reg_registry
reg_handler_registry(struct reg_app *app)
{
    return (struct reg_registry){app->store, app->catalog, &app->ingest};
}

enum reg_status
reg_handler_metadata_list(struct reg_request *req, struct reg_response *resp,
                          const struct reg_artifact *items, int n)
{
    struct json_object *list = reg_arena_own_json(&req->arena, json_object_new_array());

    for (int i = 0; i < n; i++)
        json_object_array_add(list, reg_artifact_metadata_json(&items[i]));
    return reg_response_json(resp, 200, list);
}

void
reg_handler_audit(struct reg_app *app, struct reg_request *req, const struct reg_artifact *art,
                  enum reg_audit_action action)
{
    const struct reg_caller *c = req->caller;
    enum reg_status st = reg_audit_record(app->store, c ? c->name : "anonymous",
                                          c ? c->is_admin : false, art, action);

    if (st != REG_OK)
        reg_log(REG_LOG_ERROR, "audit entry for %s %s lost: %s", reg_audit_action_name(action),
                art->id, reg_error_detail());
}
