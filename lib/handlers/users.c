/*
 * users.c - user management: POST /users, GET /users, GET and DELETE /users/{username},
 * PUT /users/{username}/permissions. Admin-only routes are marked so in routes.c; the
 * self-or-admin rule of GET and DELETE is checked here.
 */
#include <string.h>

#include "auth/users.h"
#include "base/json.h"
#include "handlers/handlers.h"

static enum reg_status
send_user(struct reg_request *req, struct reg_response *resp, int status, const struct reg_user *u)
{
    return reg_response_json(resp, status, reg_arena_own_json(&req->arena, reg_user_json(u)));
}

/* The {username} parameter, which only its owner or an admin may act on. */
static enum reg_status
self_or_admin(struct reg_request *req, const char **name)
{
    *name = reg_request_param(req, "username");
    if (req->caller->is_admin || strcmp(req->caller->name, *name) == 0)
        return REG_OK;
    return reg_errorf(REG_EDENIED, "only '%.100s' or an admin may do this", *name);
}

/* An optional "permissions" array, plus the contract-style user.is_admin flag. */
static enum reg_status
parse_perms(struct json_object *body, bool is_admin, unsigned *out)
{
    struct json_object *list;
    enum reg_status st = reg_json_opt_array(body, "permissions", &list);

    *out = 0;
    if (st == REG_OK && list)
        st = reg_perms_parse(list, out);
    if (is_admin)
        *out |= REG_PERM_ADMIN;
    return st;
}

/* {"user": {"name", "is_admin"}, "secret": {"password"}, "permissions": [...]} */
enum reg_status
reg_handle_user_create(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct json_object *body, *user = NULL, *secret = NULL;
    const char *name, *password;
    bool is_admin = false;
    unsigned perms = 0;
    struct reg_user created;
    enum reg_status st;

    st = reg_json_parse_object(&req->arena, req->body, req->body_len, &body);
    if (st == REG_OK)
        st = reg_json_get_object(body, "user", &user);
    if (st == REG_OK)
        st = reg_json_get_object(body, "secret", &secret);
    if (st == REG_OK)
        st = reg_json_get_string(user, "name", &name);
    if (st == REG_OK && json_object_object_get_ex(user, "is_admin", NULL))
        st = reg_json_get_bool(user, "is_admin", &is_admin);
    if (st == REG_OK)
        st = reg_json_get_string(secret, "password", &password);
    if (st == REG_OK)
        st = parse_perms(body, is_admin, &perms);
    if (st == REG_OK)
        st = reg_users_create(&app->users, name, password, perms, &created);
    return st == REG_OK ? send_user(req, resp, 201, &created) : st;
}

enum reg_status
reg_handle_user_list(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct json_object *list;
    struct reg_user *users;
    int count;
    enum reg_status st = reg_users_list(&app->users, &req->arena, &users, &count);

    if (st != REG_OK)
        return st;
    list = reg_arena_own_json(&req->arena, json_object_new_array());
    for (int i = 0; i < count; i++)
        json_object_array_add(list, reg_user_json(&users[i]));
    return reg_response_json(resp, 200, list);
}

enum reg_status
reg_handle_user_get(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    const char *name;
    struct reg_user u;
    enum reg_status st = self_or_admin(req, &name);

    if (st == REG_OK)
        st = reg_users_get(&app->users, &req->arena, name, &u);
    return st == REG_OK ? send_user(req, resp, 200, &u) : st;
}

enum reg_status
reg_handle_user_delete(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    const char *name;
    struct json_object *body;
    enum reg_status st = self_or_admin(req, &name);

    if (st == REG_OK)
        st = reg_users_delete(&app->users, name);
    if (st != REG_OK)
        return st;
    body = reg_arena_own_json(&req->arena, json_object_new_object());
    json_object_object_add(body, "deleted", json_object_new_string(name));
    return reg_response_json(resp, 200, body);
}

/* {"permissions": ["upload", ...], "is_admin": optional} */
enum reg_status
reg_handle_user_permissions(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    const char *name = reg_request_param(req, "username");
    struct json_object *body, *list = NULL;
    bool is_admin = false;
    unsigned perms = 0;
    struct reg_user u;
    enum reg_status st;

    st = reg_json_parse_object(&req->arena, req->body, req->body_len, &body);
    if (st == REG_OK)
        st = reg_json_opt_array(body, "permissions", &list);
    if (st == REG_OK && !list)
        st = reg_errorf(REG_EINVAL, "field 'permissions' is required");
    if (st == REG_OK && json_object_object_get_ex(body, "is_admin", NULL))
        st = reg_json_get_bool(body, "is_admin", &is_admin);
    if (st == REG_OK)
        st = parse_perms(body, is_admin, &perms);
    if (st == REG_OK)
        st = reg_users_set_perms(&app->users, &req->arena, name, perms, &u);
    return st == REG_OK ? send_user(req, resp, 200, &u) : st;
}
