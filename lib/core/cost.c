/*
 * cost.c - artifact sizes with and without their dependency closure (see cost.h).
 */
#include "core/cost.h"

#include <string.h>

struct closure {
    const struct reg_catalog_entry *entries;
    size_t n;
    bool *in;      /* membership, per entry index */
    size_t *stack; /* entries still to expand */
    size_t depth;
    size_t *members; /* in discovery order */
    size_t count;
};

static void
add(struct closure *c, const struct reg_catalog_entry *e)
{
    size_t k;

    if (!e)
        return;
    k = (size_t)(e - c->entries);
    if (c->in[k])
        return;
    c->in[k] = true;
    c->members[c->count++] = k;
    c->stack[c->depth++] = k;
}

/* Everything artifact k depends on, itself included, into c (which must be empty). */
static void
expand(const struct reg_catalog *cat, struct closure *c, size_t k)
{
    add(c, &c->entries[k]);
    while (c->depth > 0) {
        const struct reg_catalog_entry *e = &c->entries[c->stack[--c->depth]];
        if (e->type != REG_TYPE_MODEL)
            continue;
        for (int i = 0; i < e->nparents; i++)
            add(c, reg_catalog_find_repo(cat, REG_TYPE_MODEL, e->parents[i].repo_id));
        for (int i = 0; i < e->ndatasets; i++)
            add(c, reg_catalog_find_repo(cat, REG_TYPE_DATASET, e->datasets[i]));
        for (int i = 0; i < e->ncode; i++)
            add(c, reg_catalog_find_repo(cat, REG_TYPE_CODE, e->code[i]));
    }
}

static void
reset(struct closure *c)
{
    for (size_t i = 0; i < c->count; i++)
        c->in[c->members[i]] = false;
    c->count = 0;
    c->depth = 0;
}

static enum reg_status
size_of(const struct reg_catalog_entry *e, double *mb)
{
    if (e->size_bytes < 0)
        return reg_errorf(REG_EINTERNAL,
                          "no download size is stored for %s %s (%s): its host publishes none",
                          reg_artifact_type_name(e->type), e->id, e->name);
    *mb = (double)e->size_bytes / REG_COST_MB;
    return REG_OK;
}

/* total_mb of artifact k: the sum over its own closure. */
static enum reg_status
total_of(const struct reg_catalog *cat, struct closure *c, size_t k, double *total)
{
    enum reg_status st = REG_OK;
    double mb = 0.0;

    reset(c);
    expand(cat, c, k);
    *total = 0.0;
    for (size_t i = 0; i < c->count && st == REG_OK; i++) {
        st = size_of(&c->entries[c->members[i]], &mb);
        *total += mb;
    }
    return st;
}

enum reg_status
reg_cost(struct reg_catalog *cat, struct reg_store *store, struct reg_arena *a,
         enum reg_artifact_type t, const char *id, bool dependencies, struct reg_cost_item **out,
         int *n)
{
    const struct reg_catalog_entry *root;
    struct closure c = {0}, inner = {0};
    enum reg_status st = reg_catalog_refresh(cat, store);

    *out = NULL;
    *n = 0;
    if (st != REG_OK)
        return st;
    root = reg_catalog_find_id(cat, id);
    if (!root || root->type != t)
        return reg_errorf(REG_ENOTFOUND, "no %s with id %s", reg_artifact_type_name(t), id);
    c.entries = inner.entries = reg_catalog_entries(cat, &c.n);
    inner.n = c.n;
    c.in = reg_arena_alloc(a, sizeof(*c.in) * c.n);
    c.stack = reg_arena_alloc(a, sizeof(*c.stack) * c.n);
    c.members = reg_arena_alloc(a, sizeof(*c.members) * c.n);
    inner.in = reg_arena_alloc(a, sizeof(*inner.in) * c.n);
    inner.stack = reg_arena_alloc(a, sizeof(*inner.stack) * c.n);
    inner.members = reg_arena_alloc(a, sizeof(*inner.members) * c.n);
    if (dependencies)
        expand(cat, &c, (size_t)(root - c.entries));
    else
        c.members[c.count++] = (size_t)(root - c.entries);
    *out = reg_arena_alloc(a, sizeof(**out) * c.count);
    for (size_t i = 0; i < c.count && st == REG_OK; i++) {
        const struct reg_catalog_entry *e = &c.entries[c.members[i]];
        struct reg_cost_item *item = &(*out)[i];
        item->id = reg_arena_strdup(a, e->id);
        st = size_of(e, &item->standalone_mb);
        if (st == REG_OK && dependencies)
            st = total_of(cat, &inner, c.members[i], &item->total_mb);
        else
            item->total_mb = item->standalone_mb;
    }
    if (st != REG_OK) {
        *out = NULL;
        return st;
    }
    *n = (int)c.count;
    return REG_OK;
}
