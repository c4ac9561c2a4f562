/*
 * admin.c - DELETE /reset and PUT /authenticate.
 */
#include "core/registry.h"
#include "handlers/handlers.h"

enum reg_status
reg_handle_reset(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct json_object *body;
    enum reg_status st = reg_registry_reset(app->store);

    if (st != REG_OK)
        return st;
    body = reg_arena_own_json(&req->arena, json_object_new_object());
    json_object_object_add(body, "message", json_object_new_string("registry reset"));
    return reg_response_json(resp, 200, body);
}

/* The contract's answer for a registry without authentication: 501, and X-Authorization is
 * ignored everywhere. The access-control issue replaces this. */
enum reg_status
reg_handle_authenticate(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    (void)app;
    (void)req;
    (void)resp;
    return reg_errorf(REG_ENOTIMPL, "this registry does not authenticate users yet; "
                                    "X-Authorization is ignored");
}
