/*
 * license.c - POST /artifact/model/{id}/license-check[?product_license=SPDX] with
 * {"github_url": ...}: a bare JSON boolean, whether the repository's license is compatible with
 * the model's for fine-tune + inference (and, with product_license, whether the combination may
 * ship in a commercial product under that license); the reason in X-License-Reason
 * (core/license.h).
 */
#include "base/json.h"
#include "base/str.h"
#include "core/registry.h"
#include "handlers/handlers.h"

enum reg_status
reg_handle_license_check(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_registry registry = reg_handler_registry(app);
    struct reg_license_verdict verdict;
    struct json_object *body = NULL;
    const char *id, *url;
    char *product = NULL, *reason;
    enum reg_status st;

    st = reg_handler_id_param(req, &id);
    if (st == REG_OK)
        st = reg_str_query_param(&req->arena, req->query, "product_license", &product);
    if (st == REG_OK)
        st = reg_json_parse_object(&req->arena, req->body, req->body_len, &body);
    if (st == REG_OK)
        st = reg_json_get_string(body, "github_url", &url);
    if (st == REG_OK)
        st = reg_registry_license_check(&registry, &req->arena, id, url, product, &verdict);
    if (st != REG_OK)
        return st;
    /* The response is sent after this frame is gone: the reason lives in the request's arena. */
    reason = reg_arena_strdup(&req->arena, verdict.reason);
    if (!reason)
        return reg_errorf(REG_ENOMEM, "license reason");
    reg_response_header(resp, "X-License-Reason", reason);
    return reg_response_json(
        resp, 200, reg_arena_own_json(&req->arena, json_object_new_boolean(verdict.allowed)));
}
