/*
 * security.c - GET /artifact/{artifact_type}/{id}/security: the model scan's report of the
 * artifact's files (core/security.h), or {"scanned": false, ...} when the registry holds none.
 */
#include "core/security.h"
#include "handlers/handlers.h"

enum reg_status
reg_handle_security(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_artifact art;
    enum reg_status st = reg_handler_artifact_param(app, req, &art);

    if (st != REG_OK)
        return st;
    return reg_response_json(
        resp, 200, reg_arena_own_json(&req->arena, reg_security_answer(&req->arena, &art)));
}
