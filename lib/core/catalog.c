/*
 * catalog.c - the per-worker snapshot of every artifact (see catalog.h).
 */
#include "core/catalog.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "base/log.h"
#include "core/metadata.h"

struct reg_catalog {
    struct reg_catalog_entry *entries;
    size_t count, cap;
    uint64_t generation;
    bool loaded;
};

static char *
dup_n(const char *s, size_t len)
{
    char *d = malloc(len + 1);

    if (!d)
        reg_oom();
    if (len)
        memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

static char **
dup_list(const char *const *items, int n)
{
    char **out = calloc((size_t)(n ? n : 1), sizeof(*out));

    if (!out)
        reg_oom();
    for (int i = 0; i < n; i++)
        out[i] = dup_n(items[i], strlen(items[i]));
    return out;
}

static void
free_list(char **items, int n)
{
    for (int i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

static void
clear_entries(struct reg_catalog *c)
{
    for (size_t i = 0; i < c->count; i++) {
        struct reg_catalog_entry *e = &c->entries[i];
        free(e->name);
        free(e->url);
        free(e->host);
        free(e->readme);
        free(e->repo_id);
        for (int p = 0; p < e->nparents; p++)
            free(e->parents[p].repo_id);
        free(e->parents);
        free_list(e->datasets, e->ndatasets);
        free_list(e->code, e->ncode);
    }
    c->count = 0;
}

enum reg_status
reg_catalog_new(struct reg_catalog **out)
{
    *out = calloc(1, sizeof(**out));
    if (!*out)
        reg_oom();
    return REG_OK;
}

void
reg_catalog_free(struct reg_catalog *c)
{
    if (!c)
        return;
    clear_entries(c);
    free(c->entries);
    free(c);
}

/* The catalog's part of the stored metadata. A document that cannot be read leaves the
 * entry without upstream facts: the artifact stays searchable by name and README. */
static void
read_metadata(struct reg_catalog_entry *e, const char *text)
{
    struct reg_arena a;
    struct reg_metadata md;

    reg_arena_init(&a);
    if (text && reg_metadata_read(&a, text, &md) == REG_OK) {
        e->repo_id = dup_n(md.repo_id, strlen(md.repo_id));
        e->host = dup_n(md.host, strlen(md.host));
        e->size_bytes = md.size_bytes;
        e->net_score = md.rated ? md.rating.net_score : (double)NAN;
        e->parents = calloc((size_t)(md.nparents ? md.nparents : 1), sizeof(*e->parents));
        if (!e->parents)
            reg_oom();
        for (int i = 0; i < md.nparents; i++) {
            e->parents[i].repo_id = dup_n(md.parents[i].repo_id, strlen(md.parents[i].repo_id));
            e->parents[i].source = md.parents[i].source;
        }
        e->nparents = md.nparents;
        e->datasets = dup_list(md.datasets, md.ndatasets);
        e->ndatasets = md.ndatasets;
        e->code = dup_list(md.code, md.ncode);
        e->ncode = md.ncode;
    } else if (text) {
        reg_log(REG_LOG_WARN, "artifact %s: stored metadata unreadable: %s", e->id,
                reg_error_detail());
    }
    reg_arena_cleanup(&a);
}

static enum reg_status
add_entry(void *ctx, const struct reg_artifact *art)
{
    struct reg_catalog *c = ctx;
    struct reg_catalog_entry *e;

    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        struct reg_catalog_entry *p = realloc(c->entries, cap * sizeof(*p));
        if (!p)
            reg_oom();
        c->entries = p;
        c->cap = cap;
    }
    e = &c->entries[c->count++];
    memset(e, 0, sizeof(*e));
    memcpy(e->id, art->id, sizeof(e->id));
    e->type = art->type;
    e->name_len = art->name ? strlen(art->name) : 0;
    e->name = dup_n(art->name ? art->name : "", e->name_len);
    e->url = dup_n(art->url ? art->url : "", art->url ? strlen(art->url) : 0);
    e->readme_len = art->readme ? strlen(art->readme) : 0;
    e->readme = art->readme ? dup_n(art->readme, e->readme_len) : NULL;
    e->net_score = (double)NAN;
    e->size_bytes = -1;
    read_metadata(e, art->metadata);
    return REG_OK;
}

enum reg_status
reg_catalog_refresh(struct reg_catalog *c, struct reg_store *store)
{
    uint64_t gen;
    enum reg_status st = reg_store_generation(store, &gen);

    if (st != REG_OK)
        return st;
    if (c->loaded && gen == c->generation)
        return REG_OK;
    clear_entries(c);
    c->loaded = false;
    st = reg_store_scan(store, add_entry, c);
    if (st != REG_OK) {
        clear_entries(c);
        return st;
    }
    c->generation = gen;
    c->loaded = true;
    return REG_OK;
}

const struct reg_catalog_entry *
reg_catalog_entries(const struct reg_catalog *c, size_t *count)
{
    *count = c->count;
    return c->entries;
}

const struct reg_catalog_entry *
reg_catalog_find_repo(const struct reg_catalog *c, enum reg_artifact_type t, const char *repo_id)
{
    for (size_t i = 0; repo_id && i < c->count; i++)
        if (c->entries[i].type == t && c->entries[i].repo_id &&
            strcasecmp(c->entries[i].repo_id, repo_id) == 0)
            return &c->entries[i];
    return NULL;
}

const struct reg_catalog_entry *
reg_catalog_find_id(const struct reg_catalog *c, const char *id)
{
    for (size_t i = 0; id && i < c->count; i++)
        if (strcmp(c->entries[i].id, id) == 0)
            return &c->entries[i];
    return NULL;
}
