/*
 * artifacts.c - register (POST /artifact/{type}), read, update and delete
 * (/artifacts/{type}/{id}) and enumerate (POST /artifacts).
 */
#include <stdint.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "bundle/index.h"
#include "core/audit.h"
#include "core/registry.h"
#include "core/semver.h"
#include "core/versions.h"
#include "handlers/handlers.h"

static enum reg_status
send_artifact(struct reg_request *req, struct reg_response *resp, int status,
              const struct reg_artifact *art)
{
    struct json_object *obj =
        reg_arena_own_json(&req->arena, reg_artifact_json(art, req->base_url));

    return reg_response_json(resp, status, obj);
}

enum reg_status
reg_handle_artifact_create(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_registry registry = reg_handler_registry(app);
    enum reg_artifact_type type;
    struct json_object *body = NULL;
    const char *url, *name;
    struct reg_artifact art;
    enum reg_status st;

    st = reg_handler_type_param(req, &type);
    if (st == REG_OK)
        st = reg_json_parse_object(&req->arena, req->body, req->body_len, &body);
    if (st == REG_OK)
        st = reg_json_get_string(body, "url", &url);
    if (st == REG_OK)
        st = reg_json_opt_string(body, "name", &name);
    if (st == REG_OK)
        st = reg_registry_create(&registry, &req->arena, type, url, name, &art);
    if (st != REG_OK)
        return st;
    reg_handler_audit(app, req, &art, REG_AUDIT_CREATE);
    return send_artifact(req, resp, 201, &art);
}

enum reg_status
reg_handle_artifact_get(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_artifact art;
    enum reg_status st = reg_handler_artifact_param(app, req, &art);

    return st == REG_OK ? send_artifact(req, resp, 200, &art) : st;
}

/* The Artifact envelope of a PUT: metadata.name, metadata.id (must equal the path's id),
 * optional metadata.type (must equal the path's type) and data.url. */
static enum reg_status
parse_update(struct reg_request *req, enum reg_artifact_type type, const char *id,
             const char **name, const char **url)
{
    struct json_object *body, *metadata = NULL, *data = NULL;
    const char *body_id, *body_type = NULL;
    enum reg_status st;

    st = reg_json_parse_object(&req->arena, req->body, req->body_len, &body);
    if (st == REG_OK)
        st = reg_json_get_object(body, "metadata", &metadata);
    if (st == REG_OK)
        st = reg_json_get_object(body, "data", &data);
    if (st == REG_OK)
        st = reg_json_get_string(metadata, "name", name);
    if (st == REG_OK)
        st = reg_json_get_string(metadata, "id", &body_id);
    if (st == REG_OK)
        st = reg_json_opt_string(metadata, "type", &body_type);
    if (st == REG_OK)
        st = reg_json_get_string(data, "url", url);
    if (st != REG_OK)
        return st;
    if (strcmp(body_id, id) != 0)
        return reg_errorf(REG_EINVAL, "metadata.id '%.64s' does not match the path's id", body_id);
    if (body_type && strcmp(body_type, reg_artifact_type_name(type)) != 0)
        return reg_errorf(REG_EINVAL, "metadata.type '%.32s' does not match the path's type",
                          body_type);
    return REG_OK;
}

/* Drops the artifact's stored bundles and the blobs nothing else uses. The artifact's own
 * change is done and acknowledged: a failure here only leaves a blob behind, so it is logged. */
static void
forget_bundles(struct reg_app *app, const char *id)
{
    if (reg_bundle_index_forget(app->blobs, id) != REG_OK)
        reg_log(REG_LOG_WARN, "bundles of %s not removed: %s", id, reg_error_detail());
}

enum reg_status
reg_handle_artifact_update(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_registry registry = reg_handler_registry(app);
    enum reg_artifact_type type;
    const char *id, *name, *url;
    struct reg_artifact art;
    enum reg_status st;

    st = reg_handler_type_param(req, &type);
    if (st == REG_OK)
        st = reg_handler_id_param(req, &id);
    if (st == REG_OK)
        st = parse_update(req, type, id, &name, &url);
    if (st == REG_OK)
        st = reg_registry_update(&registry, &req->arena, type, id, name, url, &art);
    if (st != REG_OK)
        return st;
    forget_bundles(app, id); /* a new ingest: the next download fetches it afresh */
    reg_handler_audit(app, req, &art, REG_AUDIT_UPDATE);
    return send_artifact(req, resp, 200, &art);
}

enum reg_status
reg_handle_artifact_delete(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    enum reg_artifact_type type;
    const char *id;
    struct reg_artifact art;
    enum reg_status st;

    st = reg_handler_type_param(req, &type);
    if (st == REG_OK)
        st = reg_handler_id_param(req, &id);
    if (st == REG_OK)
        st = reg_registry_delete(app->store, &req->arena, type, id, &art);
    if (st != REG_OK)
        return st;
    forget_bundles(app, id);
    return reg_response_json(resp, 200,
                             reg_arena_own_json(&req->arena, reg_artifact_metadata_json(&art)));
}

/* REG_EINVAL "query {index}: {the detail just recorded}". */
static enum reg_status
in_query(int index)
{
    return reg_errorf(REG_EINVAL, "query %d: %s", index, reg_error_detail());
}

/* The optional "version" of query index: a range (core/semver.h); a malformed one is 400. */
static enum reg_status
parse_version(struct json_object *q, int index, struct reg_versions_query *out)
{
    const char *version = NULL;
    enum reg_status st = reg_json_opt_string(q, "version", &version);

    if (st != REG_OK || !version)
        return st;
    out->versioned = true;
    st = reg_semver_range_parse(version, &out->range);
    return st == REG_OK ? REG_OK : in_query(index);
}

/* One ArtifactQuery: {"name": string, "types": [type, ...] optional, "version": range
 * optional}. */
static enum reg_status
parse_query(struct json_object *q, int index, struct reg_versions_query *out)
{
    struct json_object *types = NULL;
    struct reg_store_filter *f = &out->filter;
    const char *name;
    enum reg_status st;

    memset(out, 0, sizeof(*out));
    if (!json_object_is_type(q, json_type_object))
        return reg_errorf(REG_EINVAL, "query %d must be an object with a 'name'", index);
    st = reg_json_get_string(q, "name", &name);
    if (st == REG_OK)
        st = reg_json_opt_array(q, "types", &types);
    if (st == REG_OK)
        st = parse_version(q, index, out);
    if (st != REG_OK)
        return st;
    if (strcmp(name, "*") != 0 && reg_artifact_name_check(name) != REG_OK)
        return in_query(index);
    f->name = strcmp(name, "*") == 0 ? NULL : name;
    f->types = types && json_object_array_length(types) > 0 ? 0 : REG_TYPE_ALL;
    for (size_t i = 0; types && i < json_object_array_length(types); i++) {
        struct json_object *t = json_object_array_get_idx(types, i);
        enum reg_artifact_type type;
        if (!json_object_is_type(t, json_type_string))
            return reg_errorf(REG_EINVAL, "query %d: types must be strings", index);
        st = reg_artifact_type_parse(json_object_get_string(t), &type);
        if (st != REG_OK)
            return st;
        f->types |= REG_TYPE_BIT(type);
    }
    return REG_OK;
}

static enum reg_status
parse_queries(struct reg_request *req, struct reg_versions_query **out, int *n)
{
    struct json_object *body;
    enum reg_status st = reg_json_parse(&req->arena, req->body, req->body_len, &body);
    size_t count;

    if (st != REG_OK)
        return st;
    if (!json_object_is_type(body, json_type_array))
        return reg_errorf(REG_EINVAL, "body must be a JSON array of artifact queries");
    count = json_object_array_length(body);
    if (count == 0)
        return reg_errorf(REG_EINVAL, "at least one artifact query is required");
    if (count > REG_MAX_QUERIES)
        return reg_errorf(REG_ETOOLARGE, "at most %d artifact queries per request",
                          REG_MAX_QUERIES);
    *out = reg_arena_alloc(&req->arena, sizeof(**out) * count);
    *n = (int)count;
    for (size_t i = 0; i < count; i++) {
        st = parse_query(json_object_array_get_idx(body, i), (int)i, &(*out)[i]);
        if (st != REG_OK)
            return st;
    }
    return REG_OK;
}

/* The page for the queries: the store's own enumerate when none has a version (the contract's
 * query, answered as before), else filtered by version with *versions set. */
static enum reg_status
enumerate(struct reg_app *app, struct reg_request *req, const struct reg_versions_query *q, int n,
          int64_t after, struct reg_store_page *page, const char ***versions)
{
    struct reg_store_filter *filters = reg_arena_alloc(&req->arena, sizeof(*filters) * (size_t)n);
    bool versioned = false;

    *versions = NULL;
    for (int i = 0; i < n; i++) {
        filters[i] = q[i].filter;
        versioned = versioned || q[i].versioned;
    }
    if (versioned)
        return reg_versions_enumerate(app->catalog, app->store, &req->arena, q, n, after, page,
                                      versions);
    return reg_registry_enumerate(app->store, &req->arena, filters, n, after, page);
}

enum reg_status
reg_handle_artifacts_list(struct reg_app *app, struct reg_request *req, struct reg_response *resp)
{
    struct reg_versions_query *queries = NULL;
    struct reg_store_page page;
    const char **versions = NULL;
    int nqueries = 0;
    int64_t after;
    enum reg_status st;

    st = reg_handler_offset_param(req, &after);
    if (st == REG_OK)
        st = parse_queries(req, &queries, &nqueries);
    if (st == REG_OK)
        st = enumerate(app, req, queries, nqueries, after, &page, &versions);
    if (st == REG_OK)
        st = reg_handler_next_offset(req, resp, page.next_after);
    if (st != REG_OK)
        return st;
    return reg_handler_search_answer(app, req, resp, page.items, versions, page.count);
}
