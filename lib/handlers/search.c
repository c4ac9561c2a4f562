/*
 * search.c - GET /artifact/byName/{name} and POST /artifact/byRegEx.
 */
#include <assert.h>
#include <string.h>

#include "base/json.h"
#include "base/str.h"
#include "core/registry.h"
#include "core/search.h"
#include "core/semver.h"
#include "core/versions.h"
#include "handlers/handlers.h"

/* The items of page (and their versions, NULL: none) appended to *out and *versions. */
static void
append(struct reg_arena *a, const struct reg_store_page *page, const char **pv,
       struct reg_artifact **out, const char ***versions, int *count, int *cap)
{
    if (*count + page->count > *cap) {
        struct reg_artifact *grown;
        const char **vgrown;
        *cap = (*count + page->count) * 2;
        grown = reg_arena_alloc(a, sizeof(*grown) * (size_t)*cap);
        vgrown = reg_arena_alloc(a, sizeof(*vgrown) * (size_t)*cap);
        if (*count) {
            memcpy(grown, *out, sizeof(*grown) * (size_t)*count);
            memcpy(vgrown, *versions, sizeof(*vgrown) * (size_t)*count);
        }
        *out = grown;
        *versions = vgrown;
    }
    for (int i = 0; i < page->count; i++) {
        (*out)[*count] = page->items[i];
        (*versions)[(*count)++] = pv ? pv[i] : NULL;
    }
}

/* Every artifact named name (with a version in range, when range is not NULL), page after page
 * of the store's order; (*versions)[i] is the version items[i] matched by. */
static enum reg_status
collect_by_name(struct reg_app *app, struct reg_request *req, const char *name,
                const struct reg_semver_range *range, struct reg_artifact **out,
                const char ***versions, int *count)
{
    struct reg_versions_query q;
    struct reg_store_page page;
    const char **pv = NULL;
    int64_t after = 0;
    int cap = 0;

    memset(&q, 0, sizeof(q));
    q.filter = (struct reg_store_filter){name, REG_TYPE_ALL};
    q.versioned = range != NULL;
    if (range)
        q.range = *range;
    *out = NULL;
    *versions = NULL;
    *count = 0;
    do {
        enum reg_status st =
            range ? reg_versions_enumerate(app->catalog, app->store, &req->arena, &q, 1, after,
                                           &page, &pv)
                  : reg_registry_enumerate(app->store, &req->arena, &q.filter, 1, after, &page);
        if (st != REG_OK)
            return st;
        assert(page.count >= 0);
        append(&req->arena, &page, pv, out, versions, count, &cap);
        after = page.next_after;
    } while (after);
    return REG_OK;
}

/* The optional ?version= range; *out NULL when there is none. */
static enum reg_status
version_param(struct reg_request *req, struct reg_semver_range *range,
              const struct reg_semver_range **out)
{
    char *raw = NULL;
    enum reg_status st = reg_str_query_param(&req->arena, req->query, "version", &raw);

    *out = NULL;
    if (st != REG_OK || !raw)
        return st;
    st = reg_semver_range_parse(raw, range);
    if (st == REG_OK)
        *out = range;
    return st;
}

enum reg_status
reg_handle_by_name(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    const char *name = reg_request_param(req, "name");
    struct reg_semver_range storage;
    const struct reg_semver_range *range = NULL;
    struct reg_artifact *items;
    const char **versions;
    int count = 0;
    enum reg_status st = reg_artifact_name_check(name);

    if (st == REG_OK)
        st = version_param(req, &storage, &range);
    if (st == REG_OK)
        st = collect_by_name(app, req, name, range, &items, &versions, &count);
    if (st != REG_OK)
        return st;
    if (count == 0 && range)
        return reg_errorf(REG_ENOTFOUND, "no artifact named '%.200s' has a version in that range",
                          name);
    if (count == 0)
        return reg_errorf(REG_ENOTFOUND, "no artifact is named '%.200s'", name);
    return reg_handler_search_answer(app, req, resp, items, versions, count);
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
    return reg_handler_search_answer(app, req, resp, items, NULL, count);
}
