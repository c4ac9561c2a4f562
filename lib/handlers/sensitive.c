/*
 * sensitive.c - sensitive models (core/sensitive.h):
 *
 *   GET    /artifact/model/{id}/sensitive         the mark: 200 {..., "sensitive": true}, 404
 *   PUT    /artifact/model/{id}/sensitive         marks the model (a program it has stays)
 *   DELETE /artifact/model/{id}/sensitive         unmarks it and removes its program
 *   GET    /artifact/model/{id}/monitor           the program's text (application/javascript)
 *   PUT    /artifact/model/{id}/monitor           attaches or replaces it: the body is the text
 *   DELETE /artifact/model/{id}/monitor           removes it (the model stays sensitive)
 *   GET    /artifact/model/{id}/download-history  [?offset=CURSOR] downloads and refusals
 *
 * Changes need the upload permission and reads the search permission (routes.c): the
 * requirement lets any user upload, delete and query them. The history is for admins and the
 * model's uploader (the account of its CREATE audit entry) only: others get 403. A model that
 * is not marked is 404 on every route but PUT .../sensitive and PUT .../monitor; the history
 * stays readable after an unmark, until the model is deleted.
 */
#include <string.h>

#include "core/registry.h"
#include "core/sensitive.h"
#include "handlers/handlers.h"

/* The model named by {id}. */
static enum reg_status
model_param(struct reg_app *app, struct reg_request *req, struct reg_artifact *art)
{
    const char *id;
    enum reg_status st = reg_handler_id_param(req, &id);

    return st == REG_OK ? reg_registry_get(app->store, &req->arena, REG_TYPE_MODEL, id, art) : st;
}

/* Answers art's sensitivity record as it is now. */
static enum reg_status
send_mark(struct reg_app *app, struct reg_request *req, struct reg_response *resp,
          const struct reg_artifact *art)
{
    struct reg_sensitive sens;
    const char *uploader;
    enum reg_status st = reg_sensitive_get(app->store, &req->arena, art, &sens);

    if (st == REG_OK)
        st = reg_sensitive_uploader(app->store, &req->arena, art, &uploader);
    if (st != REG_OK)
        return st;
    return reg_response_json(
        resp, 200, reg_arena_own_json(&req->arena, reg_sensitive_json(art, &sens, uploader)));
}

enum reg_status
reg_handle_sensitive_get(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_artifact art;
    enum reg_status st = model_param(app, req, &art);

    return st == REG_OK ? send_mark(app, req, resp, &art) : st;
}

enum reg_status
reg_handle_sensitive_put(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_artifact art;
    enum reg_status st = model_param(app, req, &art);

    if (st == REG_OK)
        st = reg_sensitive_mark(app->store, &art);
    return st == REG_OK ? send_mark(app, req, resp, &art) : st;
}

enum reg_status
reg_handle_sensitive_delete(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_artifact art;
    struct json_object *body;
    enum reg_status st = model_param(app, req, &art);

    if (st == REG_OK)
        st = reg_sensitive_unmark(app->store, &art);
    if (st != REG_OK)
        return st;
    body = reg_arena_own_json(&req->arena, json_object_new_object());
    json_object_object_add(body, "artifact", reg_artifact_metadata_json(&art));
    json_object_object_add(body, "sensitive", json_object_new_boolean(false));
    return reg_response_json(resp, 200, body);
}

enum reg_status
reg_handle_monitor_get(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_artifact art;
    struct reg_sensitive sens;
    enum reg_status st = model_param(app, req, &art);

    if (st == REG_OK)
        st = reg_sensitive_get(app->store, &req->arena, &art, &sens);
    if (st == REG_OK && !sens.program)
        st = reg_errorf(REG_ENOTFOUND, "model %s has no monitor program", art.id);
    if (st != REG_OK)
        return st;
    return reg_response_text(resp, 200, "application/javascript; charset=utf-8", sens.program,
                             strlen(sens.program));
}

enum reg_status
reg_handle_monitor_put(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_artifact art;
    enum reg_status st = model_param(app, req, &art);

    if (st == REG_OK)
        st = reg_sensitive_set_program(app->store, &art, req->body, req->body_len);
    return st == REG_OK ? send_mark(app, req, resp, &art) : st;
}

enum reg_status
reg_handle_monitor_delete(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_artifact art;
    enum reg_status st = model_param(app, req, &art);

    if (st == REG_OK)
        st = reg_sensitive_remove_program(app->store, &req->arena, &art);
    return st == REG_OK ? send_mark(app, req, resp, &art) : st;
}

/* Admins and the model's uploader read its history. */
static enum reg_status
may_read_history(struct reg_app *app, struct reg_request *req, const struct reg_artifact *art)
{
    const char *uploader;
    enum reg_status st;

    if (req->caller->is_admin)
        return REG_OK;
    st = reg_sensitive_uploader(app->store, &req->arena, art, &uploader);
    if (st == REG_OK && strcmp(uploader, req->caller->name) != 0)
        st = reg_errorf(REG_EFORBIDDEN,
                        "only admins and the model's uploader may read its download history");
    return st;
}

enum reg_status
reg_handle_download_history(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_artifact art;
    struct reg_download_page page;
    struct json_object *list;
    int64_t after = 0;
    enum reg_status st = reg_handler_offset_param(req, &after);

    if (st == REG_OK)
        st = model_param(app, req, &art);
    if (st == REG_OK)
        st = may_read_history(app, req, &art);
    if (st == REG_OK)
        st = reg_sensitive_history(app->store, &req->arena, &art, after, &page);
    if (st == REG_OK)
        st = reg_handler_next_offset(req, resp, page.next_after);
    if (st != REG_OK)
        return st;
    list = reg_arena_own_json(&req->arena, json_object_new_array());
    for (int i = 0; i < page.count; i++)
        json_object_array_add(list, reg_download_event_json(&page.items[i]));
    return reg_response_json(resp, 200, list);
}
