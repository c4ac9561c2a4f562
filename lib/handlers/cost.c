/*
 * cost.c - GET /artifact/{artifact_type}/{id}/cost[?dependency=true|false]: download size in MB
 * (core/cost.h) as the contract's ArtifactCost.
 */
#include <string.h>

#include "base/json.h"
#include "base/str.h"
#include "core/cost.h"
#include "handlers/handlers.h"

/* MB with three decimals (a kilobyte's precision). */
static struct json_object *
mb_json(double mb)
{
    return reg_json_decimal(mb, 3);
}

static enum reg_status
parse_dependency(struct reg_request *req, bool *out)
{
    char *raw;
    enum reg_status st = reg_str_query_param(&req->arena, req->query, "dependency", &raw);

    *out = false;
    if (st != REG_OK || !raw)
        return st;
    if (strcmp(raw, "true") == 0)
        *out = true;
    else if (strcmp(raw, "false") != 0)
        return reg_errorf(REG_EINVAL, "dependency must be 'true' or 'false', got '%.32s'", raw);
    return REG_OK;
}

enum reg_status
reg_handle_cost(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    enum reg_artifact_type type;
    struct reg_cost_item *items = NULL;
    struct json_object *obj;
    const char *id;
    bool deps = false;
    int n = 0;
    enum reg_status st;

    st = reg_handler_type_param(req, &type);
    if (st == REG_OK)
        st = reg_handler_id_param(req, &id);
    if (st == REG_OK)
        st = parse_dependency(req, &deps);
    if (st == REG_OK)
        st = reg_cost(app->catalog, app->store, &req->arena, type, id, deps, &items, &n);
    if (st != REG_OK)
        return st;
    obj = reg_arena_own_json(&req->arena, json_object_new_object());
    for (int i = 0; i < n; i++) {
        struct json_object *entry = json_object_new_object();
        if (deps)
            json_object_object_add(entry, "standalone_cost", mb_json(items[i].standalone_mb));
        json_object_object_add(entry, "total_cost", mb_json(items[i].total_mb));
        json_object_object_add(obj, items[i].id, entry);
    }
    return reg_response_json(resp, 200, obj);
}
