/*
 * registry.c - create / read / update / delete / enumerate / reset, on top of the store.
 */
#include "core/registry.h"

#include <stdio.h>
#include <string.h>

#include "core/metadata.h"
#include "upstream/github.h"

/* Random 63-bit ids make a taken id vanishingly rare; a few retries make it harmless. */
#define ID_ATTEMPTS 8

enum reg_status
reg_registry_create(const struct reg_registry *r, struct reg_arena *a, enum reg_artifact_type t,
                    const char *url, const char *name, struct reg_artifact *out)
{
    struct reg_source src;
    struct reg_ingest_result got;
    enum reg_status st;

    memset(out, 0, sizeof(*out));
    st = reg_artifact_source_parse(a, t, url, &src);
    if (st == REG_OK && name)
        st = reg_artifact_name_check(name);
    if (st != REG_OK)
        return st;
    out->type = t;
    out->url = reg_arena_strdup(a, url);
    out->name = name ? reg_arena_strdup(a, name) : src.name;
    st = reg_ingest_fetch(r->ingest, r->catalog, r->store, a, t, &src, out->name, &got);
    if (st != REG_OK)
        return st;
    out->readme = got.readme;
    out->metadata = got.metadata;
    return reg_registry_insert_new(r->store, out);
}

enum reg_status
reg_registry_insert_new(struct reg_store *store, struct reg_artifact *art)
{
    enum reg_status st = REG_OK;
    bool id_taken = true;

    for (int i = 0; i < ID_ATTEMPTS && id_taken; i++) {
        reg_artifact_id_new(art->id);
        st = reg_store_insert(store, art, &id_taken);
        if (st != REG_ECONFLICT)
            id_taken = false;
    }
    return st;
}

enum reg_status
reg_registry_get(struct reg_store *store, struct reg_arena *a, enum reg_artifact_type t,
                 const char *id, struct reg_artifact *out)
{
    enum reg_status st = reg_artifact_id_check(id);

    if (st == REG_OK)
        st = reg_store_get(store, a, id, out);
    if (st == REG_OK && out->type != t)
        return reg_errorf(REG_ENOTFOUND, "no %s with id %s", reg_artifact_type_name(t), id);
    return st;
}

enum reg_status
reg_registry_update(const struct reg_registry *r, struct reg_arena *a, enum reg_artifact_type t,
                    const char *id, const char *name, const char *url, struct reg_artifact *out)
{
    struct reg_source src;
    struct reg_ingest_result got;
    enum reg_status st = reg_registry_get(r->store, a, t, id, out);

    if (st != REG_OK)
        return st;
    if (strcmp(name, out->name) != 0)
        return reg_errorf(REG_EINVAL, "metadata.name '%.100s' does not match the stored name",
                          name);
    st = reg_artifact_source_parse(a, t, url, &src);
    if (st == REG_OK)
        st = reg_ingest_fetch(r->ingest, r->catalog, r->store, a, t, &src, out->name, &got);
    if (st != REG_OK)
        return st;
    out->url = reg_arena_strdup(a, url);
    out->readme = got.readme;
    out->metadata = got.metadata;
    return reg_store_update(r->store, out);
}

enum reg_status
reg_registry_rating(struct reg_arena *a, const struct reg_artifact *model, struct reg_rating *out)
{
    struct reg_metadata md;
    enum reg_status st = reg_metadata_read(a, model->metadata, &md);

    if (st == REG_OK && !md.rated)
        st = REG_ENOTFOUND;
    if (st != REG_OK) {
        char why[REG_ERROR_DETAIL_MAX];
        snprintf(why, sizeof(why), "%s", st == REG_ENOTFOUND ? "none stored" : reg_error_detail());
        return reg_errorf(REG_EINTERNAL,
                          "no readable rating is stored for model %s (%s); PUT the artifact to "
                          "rate it again",
                          model->id, why);
    }
    *out = md.rating;
    return REG_OK;
}

enum reg_status
reg_registry_delete(struct reg_store *store, struct reg_arena *a, enum reg_artifact_type t,
                    const char *id, struct reg_artifact *out)
{
    enum reg_status st = reg_registry_get(store, a, t, id, out);

    return st == REG_OK ? reg_store_remove(store, id) : st;
}

enum reg_status
reg_registry_enumerate(struct reg_store *store, struct reg_arena *a,
                       const struct reg_store_filter *filters, int nfilters, int64_t after,
                       struct reg_store_page *out)
{
    return reg_store_list(store, a, filters, nfilters, after, REG_PAGE_SIZE, out);
}

enum reg_status
reg_registry_reset(struct reg_store *store)
{
    return reg_store_reset(store);
}

enum reg_status
reg_registry_license_check(const struct reg_registry *r, struct reg_arena *a, const char *id,
                           const char *github_url, const char *product_license,
                           struct reg_license_verdict *out)
{
    const struct reg_ingest *ing = r->ingest;
    struct reg_artifact model;
    struct reg_source src;
    struct reg_metadata md;
    const char *code_license = NULL;
    enum reg_status st = reg_artifact_source_parse(a, REG_TYPE_CODE, github_url, &src);

    if (st == REG_OK && product_license)
        st = reg_license_product_valid(product_license);
    if (st == REG_OK)
        st = reg_registry_get(r->store, a, REG_TYPE_MODEL, id, &model);
    if (st == REG_OK) {
        st = reg_gh_fetch_license(&ing->http, ing->github_api_url, ing->github_token, a,
                                  src.repo_id, &code_license);
        reg_ingest_observe(ing, REG_UPSTREAM_GITHUB, st);
    }
    if (st != REG_OK)
        return st;
    /* Unreadable metadata leaves the model's license unknown, which the table refuses. */
    if (reg_metadata_read(a, model.metadata, &md) != REG_OK)
        md.license = NULL;
    if (!product_license) {
        reg_license_check(code_license, md.license, out);
        return REG_OK;
    }
    return reg_license_check_product(code_license, md.license, product_license, out);
}
