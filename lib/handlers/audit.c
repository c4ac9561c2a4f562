/*
 * audit.c - GET /artifact/{artifact_type}/{id}/audit[?offset=CURSOR] (entries are recorded by
 * reg_handler_audit, common.c). The trail is answered a page at a time, oldest first, the
 * `offset` response header naming the next page as POST /artifacts does; reading it is
 * recorded once per reader and artifact per REGISTRY_AUDIT_READ_WINDOW_SECONDS.
 */
#include "core/audit.h"
#include "core/registry.h"
#include "handlers/handlers.h"

enum reg_status
reg_handle_audit(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    enum reg_artifact_type type;
    const char *id;
    int64_t after = 0;
    struct reg_artifact art;
    struct reg_audit_page page;
    struct json_object *list;
    enum reg_status st;

    st = reg_handler_type_param(req, &type);
    if (st == REG_OK)
        st = reg_handler_id_param(req, &id);
    if (st == REG_OK)
        st = reg_handler_offset_param(req, &after);
    if (st == REG_OK)
        st = reg_registry_get(app->store, &req->arena, type, id, &art);
    if (st != REG_OK)
        return st;
    reg_handler_audit_once(app, req, &art, REG_AUDIT_AUDIT, app->config.audit_read_window_seconds);
    st = reg_audit_list(app->store, &req->arena, id, after, &page);
    if (st == REG_OK)
        st = reg_handler_next_offset(req, resp, page.next_after);
    if (st != REG_OK)
        return st;
    list = reg_arena_own_json(&req->arena, json_object_new_array());
    for (int i = 0; i < page.count; i++)
        json_object_array_add(list, reg_audit_entry_json(&page.items[i]));
    return reg_response_json(resp, 200, list);
}
