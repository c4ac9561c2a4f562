/*
 * admin.c - DELETE /reset and PUT /authenticate.
 */
#include "auth/users.h"
#include "base/json.h"
#include "base/log.h"
#include "bundle/index.h"
#include "core/registry.h"
#include "handlers/handlers.h"

enum reg_status
reg_handle_reset(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct json_object *body;
    enum reg_status st = reg_registry_reset(app->store);

    if (st == REG_OK) {
        reg_users_store_was_reset(&app->users);
        st = reg_users_ensure_admin(&app->users);
    }
    if (st != REG_OK)
        return st;
    /* The artifacts are gone: so are their search hits (this host's; others keep theirs until
     * their own reset or restart, and their counts name ids that no longer exist). */
    if (app->pool)
        reg_search_hits_clear(&app->pool->search_hits);
    /* The artifacts are gone: their bundles go too (a failure leaves blobs, not data). */
    if (reg_bundle_index_forget_all(app->blobs) != REG_OK)
        reg_log(REG_LOG_WARN, "bundles not removed by the reset: %s", reg_error_detail());
    body = reg_arena_own_json(&req->arena, json_object_new_object());
    json_object_object_add(body, "message", json_object_new_string("registry reset"));
    return reg_response_json(resp, 200, body);
}

/* {"user": {"name", "is_admin"}, "secret": {"password"}}. is_admin is required by the
 * contract's schema but carries no weight: the stored user decides. */
static enum reg_status
parse_credentials(struct reg_request *req, const char **name, const char **password)
{
    struct json_object *body, *user = NULL, *secret = NULL;
    bool is_admin;
    enum reg_status st;

    st = reg_json_parse_object(&req->arena, req->body, req->body_len, &body);
    if (st == REG_OK)
        st = reg_json_get_object(body, "user", &user);
    if (st == REG_OK)
        st = reg_json_get_object(body, "secret", &secret);
    if (st == REG_OK)
        st = reg_json_get_string(user, "name", name);
    if (st == REG_OK)
        st = reg_json_get_bool(user, "is_admin", &is_admin);
    if (st == REG_OK)
        st = reg_json_get_string(secret, "password", password);
    return st;
}

enum reg_status
reg_handle_authenticate(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    const char *name, *password, *token;
    struct json_object *body;
    enum reg_status st = parse_credentials(req, &name, &password);

    if (st == REG_OK)
        st = reg_users_login(&app->users, &req->arena, name, password, &token);
    if (st != REG_OK)
        return st;
    body = reg_arena_own_json(&req->arena, json_object_new_string(token));
    return reg_response_json(resp, 200, body);
}
