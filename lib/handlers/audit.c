/*
 * audit.c - GET /artifact/{artifact_type}/{id}/audit (entries are recorded by
 * reg_handler_audit, common.c).
 */
#include "core/audit.h"
#include "core/registry.h"
#include "handlers/handlers.h"

enum reg_status
reg_handle_audit(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    enum reg_artifact_type type;
    const char *id;
    struct reg_artifact art;
    struct reg_audit_entry *entries;
    struct json_object *list;
    int count;
    enum reg_status st;

    st = reg_handler_type_param(req, &type);
    if (st == REG_OK)
        st = reg_handler_id_param(req, &id);
    if (st == REG_OK)
        st = reg_registry_get(app->store, &req->arena, type, id, &art);
    if (st != REG_OK)
        return st;
    reg_handler_audit(app, req, &art, REG_AUDIT_AUDIT);
    st = reg_audit_list(app->store, &req->arena, id, &entries, &count);
    if (st != REG_OK)
        return st;
    list = reg_arena_own_json(&req->arena, json_object_new_array());
    for (int i = 0; i < count; i++)
        json_object_array_add(list, reg_audit_entry_json(&entries[i]));
    return reg_response_json(resp, 200, list);
}
