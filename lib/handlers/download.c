/*
 * download.c - GET /download/{artifact_type}/{id}, the target of every download_url.
 *
 * Bundles are stored by the downloads issue; until an artifact has one, the answer is a 404
 * that says so (after the artifact itself is found, so an unknown id reads differently).
 */
#include "core/registry.h"
#include "handlers/handlers.h"

enum reg_status
reg_handle_download(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    enum reg_artifact_type type;
    const char *id;
    struct reg_artifact art;
    enum reg_status st;

    (void)resp;
    st = reg_handler_type_param(req, &type);
    if (st == REG_OK)
        st = reg_handler_id_param(req, &id);
    if (st == REG_OK)
        st = reg_registry_get(app->store, &req->arena, type, id, &art);
    if (st != REG_OK)
        return st;
    return reg_errorf(REG_ENOTFOUND, "%s %s has no stored bundle yet", reg_artifact_type_name(type),
                      id);
}
