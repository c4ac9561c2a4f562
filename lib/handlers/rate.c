/*
 * rate.c - GET /artifact/model/{id}/rate: the rating stored when the model was ingested.
 * Ratings are never computed here: ingest computed and gated it, and PUT re-rates.
 */
#include "core/audit.h"
#include "core/registry.h"
#include "handlers/handlers.h"
#include "rating/rating.h"

enum reg_status
reg_handle_rate(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_rating rating;
    struct reg_artifact art;
    const char *id;
    enum reg_status st;

    st = reg_handler_id_param(req, &id);
    if (st == REG_OK)
        st = reg_registry_get(app->store, &req->arena, REG_TYPE_MODEL, id, &art);
    if (st == REG_OK)
        st = reg_registry_rating(&req->arena, &art, &rating);
    if (st != REG_OK)
        return st;
    reg_handler_audit(app, req, &art, REG_AUDIT_RATE);
    return reg_response_json(resp, 200,
                             reg_arena_own_json(&req->arena, reg_rating_to_json(&rating)));
}
