/*
 * lineage.c - the lineage graph: a model's registered ancestors and descendants, walked over
 * the worker's catalog.
 */
#include "core/lineage.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "core/catalog.h"
#include "core/lineage_parents.h"

struct walk {
    struct reg_arena *a;
    const struct reg_catalog_entry *entries;
    size_t n;
    bool *seen;
    size_t *queue;
    size_t head, tail;
    struct reg_lineage_graph *g;
};

/* The index of the registered model whose repository is repo_id, or -1. */
static long
model_index(const struct walk *w, const struct reg_catalog *cat, const char *repo_id)
{
    const struct reg_catalog_entry *e = reg_catalog_find_repo(cat, REG_TYPE_MODEL, repo_id);

    return e ? (long)(e - w->entries) : -1;
}

static void
visit(struct walk *w, size_t k, const char *source)
{
    struct reg_lineage_node *node;

    if (w->seen[k])
        return;
    w->seen[k] = true;
    w->queue[w->tail++] = k;
    node = &w->g->nodes[w->g->nnodes++];
    node->id = reg_arena_strdup(w->a, w->entries[k].id);
    node->name = reg_arena_strdup(w->a, w->entries[k].name);
    node->source = source;
}

static void
link(struct walk *w, size_t from, size_t to)
{
    const char *f = w->entries[from].id, *t = w->entries[to].id;
    struct reg_lineage_edge *e;

    for (int i = 0; i < w->g->nedges; i++)
        if (strcmp(w->g->edges[i].from, f) == 0 && strcmp(w->g->edges[i].to, t) == 0)
            return;
    e = &w->g->edges[w->g->nedges++];
    e->from = reg_arena_strdup(w->a, f);
    e->to = reg_arena_strdup(w->a, t);
}

/* Ancestors: follow each queued model's parents that are registered. */
static void
walk_up(struct walk *w, const struct reg_catalog *cat)
{
    while (w->head < w->tail) {
        const struct reg_catalog_entry *x = &w->entries[w->queue[w->head]];
        size_t xi = w->queue[w->head++];
        for (int p = 0; p < x->nparents; p++) {
            long k = model_index(w, cat, x->parents[p].repo_id);
            if (k < 0 || (size_t)k == xi)
                continue;
            link(w, (size_t)k, xi);
            visit(w, (size_t)k, reg_lineage_source_name(x->parents[p].source));
        }
    }
}

/* The parent link of child that names repo_id, or NULL. */
static const struct reg_catalog_parent *
parent_link(const struct reg_catalog_entry *child, const char *repo_id)
{
    for (int p = 0; repo_id && p < child->nparents; p++)
        if (strcasecmp(child->parents[p].repo_id, repo_id) == 0)
            return &child->parents[p];
    return NULL;
}

/* Descendants: every registered model naming a queued model's repository as a parent. */
static void
walk_down(struct walk *w, const struct reg_catalog *cat)
{
    while (w->head < w->tail) {
        size_t xi = w->queue[w->head++];
        const char *repo = w->entries[xi].repo_id;
        /* Only the first model registered under a repository counts as that repository. */
        if (!repo || model_index(w, cat, repo) != (long)xi)
            continue;
        for (size_t j = 0; j < w->n; j++) {
            const struct reg_catalog_parent *p;
            if (j == xi || w->entries[j].type != REG_TYPE_MODEL ||
                !(p = parent_link(&w->entries[j], repo)))
                continue;
            link(w, xi, j);
            visit(w, j, reg_lineage_source_name(p->source));
        }
    }
}

enum reg_status
reg_lineage_graph(struct reg_catalog *cat, struct reg_store *store, struct reg_arena *a,
                  const char *id, struct reg_lineage_graph *out)
{
    const struct reg_catalog_entry *root;
    struct walk w = {.a = a, .g = out};
    size_t ri;
    enum reg_status st = reg_catalog_refresh(cat, store);

    memset(out, 0, sizeof(*out));
    if (st != REG_OK)
        return st;
    root = reg_catalog_find_id(cat, id);
    if (!root || root->type != REG_TYPE_MODEL)
        return reg_errorf(REG_ENOTFOUND, "no model with id %s", id);
    if (!root->repo_id)
        return reg_errorf(REG_EINVAL,
                          "the lineage of model %s cannot be computed: its stored metadata is "
                          "missing or malformed",
                          id);
    w.entries = reg_catalog_entries(cat, &w.n);
    ri = (size_t)(root - w.entries);
    w.seen = reg_arena_alloc(a, sizeof(*w.seen) * w.n);
    w.queue = reg_arena_alloc(a, sizeof(*w.queue) * w.n);
    out->nodes = reg_arena_alloc(a, sizeof(*out->nodes) * w.n);
    /* Each model has at most REG_LINEAGE_MAX_PARENTS links into the graph. */
    out->edges = reg_arena_alloc(a, sizeof(*out->edges) * w.n * REG_LINEAGE_MAX_PARENTS);
    visit(&w, ri, "registry");
    walk_up(&w, cat);
    w.head = 0;
    w.tail = 0;
    w.queue[w.tail++] = ri;
    walk_down(&w, cat);
    return REG_OK;
}
