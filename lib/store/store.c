/*
 * store.c - picks the backend named by REGISTRY_STORE.
 */
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

enum reg_status
reg_store_open(const struct reg_config *cfg, struct reg_store **out)
{
    char path[4096];

    *out = NULL;
    if (strcmp(cfg->store, "sqlite") == 0) {
        if (mkdir(cfg->data_dir, 0755) != 0 && errno != EEXIST)
            return reg_errorf(REG_ESTORE, "cannot create %s: %s", cfg->data_dir, strerror(errno));
        snprintf(path, sizeof(path), "%s/registry.db", cfg->data_dir);
        return reg_store_sqlite_open(path, out);
    }
    if (strcmp(cfg->store, "dynamodb") == 0)
        return reg_store_dynamodb_open(cfg, out);
    return reg_errorf(REG_EINVAL, "REGISTRY_STORE must be 'sqlite' or 'dynamodb', not '%s'",
                      cfg->store);
}

void
reg_store_close(struct reg_store *s)
{
    if (s)
        s->ops->close(s);
}

enum reg_status
reg_store_insert(struct reg_store *s, struct reg_artifact *art, bool *id_taken)
{
    return s->ops->insert(s, art, id_taken);
}

enum reg_status
reg_store_get(struct reg_store *s, struct reg_arena *a, const char *id, struct reg_artifact *out)
{
    return s->ops->get(s, a, id, out);
}

enum reg_status
reg_store_update(struct reg_store *s, const struct reg_artifact *art)
{
    return s->ops->update(s, art);
}

enum reg_status
reg_store_remove(struct reg_store *s, const char *id)
{
    return s->ops->remove(s, id);
}

enum reg_status
reg_store_list(struct reg_store *s, struct reg_arena *a, const struct reg_store_filter *filters,
               int nfilters, int64_t after, int limit, struct reg_store_page *out)
{
    return s->ops->list(s, a, filters, nfilters, after, limit, out);
}

enum reg_status
reg_store_scan(struct reg_store *s, reg_store_scan_fn fn, void *ctx)
{
    return s->ops->scan(s, fn, ctx);
}

enum reg_status
reg_store_readmes(struct reg_store *s, size_t max_bytes, reg_store_readme_fn fn, void *ctx)
{
    return s->ops->readmes(s, max_bytes, fn, ctx);
}

enum reg_status
reg_store_generation(struct reg_store *s, uint64_t *out)
{
    return s->ops->generation(s, out);
}

enum reg_status
reg_store_count(struct reg_store *s, int64_t *out)
{
    return s->ops->count(s, out);
}

enum reg_status
reg_store_reset(struct reg_store *s)
{
    return s->ops->reset(s);
}

enum reg_status
reg_store_user_insert(struct reg_store *s, const struct reg_user *u)
{
    return s->ops->user_insert(s, u);
}

enum reg_status
reg_store_user_get(struct reg_store *s, struct reg_arena *a, const char *name, struct reg_user *out)
{
    return s->ops->user_get(s, a, name, out);
}

enum reg_status
reg_store_user_list(struct reg_store *s, struct reg_arena *a, struct reg_user **out, int *count)
{
    return s->ops->user_list(s, a, out, count);
}

enum reg_status
reg_store_user_update(struct reg_store *s, const struct reg_user *u)
{
    return s->ops->user_update(s, u);
}

enum reg_status
reg_store_user_remove(struct reg_store *s, const char *name)
{
    return s->ops->user_remove(s, name);
}

enum reg_status
reg_store_token_insert(struct reg_store *s, const char *id, const char *user)
{
    return s->ops->token_insert(s, id, user);
}

enum reg_status
reg_store_token_use(struct reg_store *s, const char *user, const char *id, int64_t max_uses,
                    int64_t *uses)
{
    int64_t granted;

    return s->ops->token_take(s, user, id, max_uses, 1, &granted, uses);
}

enum reg_status
reg_store_token_take(struct reg_store *s, const char *user, const char *id, int64_t max_uses,
                     int64_t want, int64_t *granted, int64_t *uses)
{
    return s->ops->token_take(s, user, id, max_uses, want, granted, uses);
}

enum reg_status
reg_store_token_give_back(struct reg_store *s, const char *user, const char *id, int64_t n)
{
    return s->ops->token_give_back(s, user, id, n);
}

enum reg_status
reg_store_token_check(struct reg_store *s, const char *user, const char *id, int64_t max_uses)
{
    return s->ops->token_check(s, user, id, max_uses);
}

enum reg_status
reg_store_audit_append(struct reg_store *s, const struct reg_audit_entry *e)
{
    return s->ops->audit_append(s, e);
}

enum reg_status
reg_store_audit_append_once(struct reg_store *s, const struct reg_audit_entry *e, int64_t window,
                            bool *appended)
{
    return s->ops->audit_append_once(s, e, window, appended);
}

enum reg_status
reg_store_audit_list(struct reg_store *s, struct reg_arena *a, const char *artifact_id,
                     int64_t after, int limit, struct reg_audit_page *out)
{
    return s->ops->audit_list(s, a, artifact_id, after, limit, out);
}

enum reg_status
reg_store_secret(struct reg_store *s, const unsigned char candidate[32], unsigned char out[32])
{
    return s->ops->secret(s, candidate, out);
}

enum reg_status
reg_store_sensitive_get(struct reg_store *s, struct reg_arena *a, const char *id,
                        struct reg_sensitive *out)
{
    return s->ops->sensitive_get(s, a, id, out);
}

enum reg_status
reg_store_sensitive_put(struct reg_store *s, const char *id, const char *program, bool set_program,
                        int64_t now)
{
    return s->ops->sensitive_put(s, id, program, set_program, now);
}

enum reg_status
reg_store_sensitive_remove(struct reg_store *s, const char *id)
{
    return s->ops->sensitive_remove(s, id);
}

enum reg_status
reg_store_download_append(struct reg_store *s, const struct reg_download_event *e)
{
    return s->ops->download_append(s, e);
}

enum reg_status
reg_store_download_list(struct reg_store *s, struct reg_arena *a, const char *artifact_id,
                        int64_t after, int limit, struct reg_download_page *out)
{
    return s->ops->download_list(s, a, artifact_id, after, limit, out);
}

enum reg_status
reg_store_group_put(struct reg_store *s, const struct reg_group *g, int64_t expect_version)
{
    return s->ops->group_put(s, g, expect_version);
}

enum reg_status
reg_store_group_get(struct reg_store *s, struct reg_arena *a, const char *id, struct reg_group *out)
{
    return s->ops->group_get(s, a, id, out);
}

enum reg_status
reg_store_group_commit(struct reg_store *s, const struct reg_group *g, int64_t expect_version,
                       struct reg_artifact *arts, const bool *updated, int n)
{
    return s->ops->group_commit(s, g, expect_version, arts, updated, n);
}

enum reg_status
reg_store_group_sweep(struct reg_store *s, int64_t now)
{
    return s->ops->group_sweep(s, now);
}
