/*
 * security.c - GET /artifact/{artifact_type}/{id}/security: the model scan's report of the
 * artifact's files (core/security.h), or {"scanned": false, ...} when the registry holds none.
 */
#include "core/security.h"
#include "core/registry.h"
#include "handlers/handlers.h"

enum reg_status
reg_handle_security(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    enum reg_artifact_type type;
    struct reg_artifact art;
    const char *id;
    enum reg_status st;

    st = reg_handler_type_param(req, &type);
    if (st == REG_OK)
        st = reg_handler_id_param(req, &id);
    if (st == REG_OK)
        st = reg_registry_get(app->store, &req->arena, type, id, &art);
    if (st != REG_OK)
        return st;
    return reg_response_json(
        resp, 200, reg_arena_own_json(&req->arena, reg_security_answer(&req->arena, &art)));
}
