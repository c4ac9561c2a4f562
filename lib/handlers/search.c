/*
 * search.c - GET /artifact/byName/{name} and POST /artifact/byRegEx.
 */
#include <assert.h>
#include <string.h>

#include "base/json.h"
#include "core/registry.h"
#include "core/search.h"
#include "handlers/handlers.h"

/* Every artifact named name, page after page of the store's order. */
static enum reg_status
collect_by_name(struct reg_app *app, struct reg_request *req, const char *name,
                struct reg_artifact **out, int *count)
{
    struct reg_store_filter filter = {name, REG_TYPE_ALL};
    struct reg_store_page page;
    int64_t after = 0;
    int cap = 0;

    *out = NULL;
    *count = 0;
    do {
        enum reg_status st =
            reg_registry_enumerate(app->store, &req->arena, &filter, 1, after, &page);
        if (st != REG_OK)
            return st;
        assert(page.count >= 0);
        if (*count + page.count > cap) {
            struct reg_artifact *grown;
            cap = (*count + page.count) * 2;
            grown = reg_arena_alloc(&req->arena, sizeof(*grown) * (size_t)cap);
            if (*count)
                memcpy(grown, *out, sizeof(*grown) * (size_t)*count);
            *out = grown;
        }
        if (page.count)
            memcpy(*out + *count, page.items, sizeof(**out) * (size_t)page.count);
        *count += page.count;
        after = page.next_after;
    } while (after);
    return REG_OK;
}

enum reg_status
reg_handle_by_name(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    const char *name = reg_request_param(req, "name");
    struct reg_artifact *items;
    int count = 0;
    enum reg_status st = reg_artifact_name_check(name);

    if (st == REG_OK)
        st = collect_by_name(app, req, name, &items, &count);
    if (st != REG_OK)
        return st;
    if (count == 0)
        return reg_errorf(REG_ENOTFOUND, "no artifact is named '%.200s'", name);
    return reg_handler_search_answer(app, req, resp, items, count);
}

enum reg_status
reg_handle_by_regex(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct json_object *body;
    const char *pattern;
    struct reg_artifact *items;
    int count = 0;
    enum reg_status st;

    st = reg_json_parse_object(&req->arena, req->body, req->body_len, &body);
    if (st == REG_OK)
        st = reg_json_get_string(body, "regex", &pattern);
    if (st == REG_OK)
        st = reg_search_regex(app->search, app->catalog, app->readmes, app->store, &req->arena,
                              pattern, &items, &count);
    if (st != REG_OK)
        return st;
    if (count == 0)
        return reg_errorf(REG_ENOTFOUND, "no artifact name or README matches the regex");
    return reg_handler_search_answer(app, req, resp, items, count);
}
