/*
 * cost.c - artifact sizes with and without their dependency closure (see cost.h).
 *
 * Work is linear in the closure for chains and trees, and never resolves a dependency twice:
 * - One traversal (a visited mark per catalog entry) collects the closure of the requested
 *   artifact and resolves each member's dependency names once, through the catalog's index,
 *   into edges between closure positions.
 * - Every member needs the sum over its own closure. Tarjan's algorithm groups the members into
 *   strongly connected components (the members of a cycle share one closure) and finishes them
 *   dependencies first, so a component's closure is its members plus its successors' closures.
 * - A component with one successor adds its own bytes to that successor's total: O(1), which
 *   is every link of a chain. One with several unions their reach bitsets and adds only the
 *   bytes of members not counted yet, so a shared dependency (a diamond) counts once: O(closure
 *   / 64) words per merge. A bitset is handed on rather than copied when its component has a
 *   single dependant, and freed when the last one has used it, so a chain keeps one alive.
 */
#include "core/cost.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The closure of one artifact, as a graph over closure positions (discovery order). */
struct closure {
    const struct reg_catalog_entry *entries; /* the catalog's */
    long *pos;                               /* per catalog entry: its closure position, or -1 */
    size_t *members;                         /* per position: the catalog entry */
    size_t count;                            /* members */
    size_t *edge_at;                         /* per position: where its edges start in edges */
    size_t *edge_n;                          /* per position: how many it has */
    size_t *edges;                           /* closure positions */
    size_t nedges, edge_cap;
    size_t *stack; /* positions still to expand */
};

/* Strongly connected components, numbered in the order Tarjan's algorithm finishes them: the
 * successors of a component always have smaller numbers. */
struct comps {
    size_t n;
    size_t *of;         /* per position: its component */
    size_t *member_at;  /* per component: where its members start in member */
    size_t *member;     /* positions, grouped by component */
    size_t *succ_at;    /* per component: where its successors start in succ */
    size_t *succ;       /* distinct successor components */
    size_t *dependants; /* per component: predecessors that have not used its reach yet */
    int64_t *own;       /* per component: bytes of its own members */
    int64_t *total;     /* per component: bytes of its closure */
    uint64_t **reach;   /* per component: its closure as a bitset over positions */
    size_t words;       /* per bitset */
};

static void
add(struct closure *c, size_t *depth, size_t k)
{
    if (c->pos[k] >= 0)
        return;
    c->pos[k] = (long)c->count;
    c->members[c->count++] = k;
    c->stack[(*depth)++] = k;
}

/* Records the edge from position from to the entry e (if registered), adding e when new. */
static void
link_to(struct closure *c, size_t *depth, size_t from, const struct reg_catalog_entry *e)
{
    size_t k;

    if (!e)
        return;
    k = (size_t)(e - c->entries);
    add(c, depth, k);
    c->edges[c->nedges++] = (size_t)c->pos[k];
    c->edge_n[from]++;
}

/* Dependency names of a model: lineage parents, datasets and code. */
static size_t
names_of(const struct reg_catalog_entry *e)
{
    return e->type == REG_TYPE_MODEL ? (size_t)(e->nparents + e->ndatasets + e->ncode) : 0;
}

/* Every artifact entry k depends on, itself first, each once; edges as it goes. */
static void
collect(const struct reg_catalog *cat, struct reg_arena *a, struct closure *c, size_t k)
{
    size_t depth = 0;

    add(c, &depth, k);
    while (depth > 0) {
        const struct reg_catalog_entry *e = &c->entries[c->stack[--depth]];
        size_t p = (size_t)c->pos[e - c->entries], need = c->nedges + names_of(e);
        if (need > c->edge_cap) {
            size_t cap = need * 2;
            size_t *grown = reg_arena_alloc(a, sizeof(*grown) * cap);
            if (c->nedges)
                memcpy(grown, c->edges, sizeof(*grown) * c->nedges);
            c->edges = grown;
            c->edge_cap = cap;
        }
        c->edge_at[p] = c->nedges;
        if (e->type != REG_TYPE_MODEL)
            continue;
        for (int i = 0; i < e->nparents; i++)
            link_to(c, &depth, p,
                    reg_catalog_find_repo(cat, REG_TYPE_MODEL, e->parents[i].repo_id));
        for (int i = 0; i < e->ndatasets; i++)
            link_to(c, &depth, p, reg_catalog_find_repo(cat, REG_TYPE_DATASET, e->datasets[i]));
        for (int i = 0; i < e->ncode; i++)
            link_to(c, &depth, p, reg_catalog_find_repo(cat, REG_TYPE_CODE, e->code[i]));
    }
}

static void
closure_init(struct closure *c, struct reg_arena *a, const struct reg_catalog *cat)
{
    size_t n;

    memset(c, 0, sizeof(*c));
    c->entries = reg_catalog_entries(cat, &n);
    c->pos = reg_arena_alloc(a, sizeof(*c->pos) * (n ? n : 1));
    for (size_t i = 0; i < n; i++)
        c->pos[i] = -1;
    c->members = reg_arena_alloc(a, sizeof(*c->members) * (n ? n : 1));
    c->edge_at = reg_arena_alloc(a, sizeof(*c->edge_at) * (n ? n : 1));
    c->edge_n = reg_arena_alloc(a, sizeof(*c->edge_n) * (n ? n : 1));
    memset(c->edge_n, 0, sizeof(*c->edge_n) * (n ? n : 1));
    c->stack = reg_arena_alloc(a, sizeof(*c->stack) * (n ? n : 1));
    c->edge_cap = n ? n : 1; /* grown by collect() as dependency names are met */
    c->edges = reg_arena_alloc(a, sizeof(*c->edges) * c->edge_cap);
}

/* ---- components (Tarjan, iterative) ------------------------------------------------------ */

struct tarjan {
    size_t *index, *low; /* 0: not visited yet */
    bool *on_stack;
    size_t *stack, sp;
    size_t *call, *next_edge, depth; /* the depth-first walk's own stack */
    size_t counter;
};

static void
visit(struct tarjan *t, size_t v)
{
    t->index[v] = t->low[v] = ++t->counter;
    t->stack[t->sp++] = v;
    t->on_stack[v] = true;
    t->call[t->depth] = v;
    t->next_edge[t->depth++] = 0;
}

/* v is finished: when it roots a component, pop the component off the stack. */
static void
finish(struct tarjan *t, struct comps *k, size_t v)
{
    size_t w;

    if (t->low[v] != t->index[v])
        return;
    do {
        w = t->stack[--t->sp];
        t->on_stack[w] = false;
        k->of[w] = k->n;
    } while (w != v);
    k->n++;
}

static void
tarjan_init(struct tarjan *t, struct reg_arena *a, size_t n)
{
    memset(t, 0, sizeof(*t));
    t->index = reg_arena_alloc(a, sizeof(*t->index) * n);
    t->low = reg_arena_alloc(a, sizeof(*t->low) * n);
    t->on_stack = reg_arena_alloc(a, sizeof(*t->on_stack) * n);
    t->stack = reg_arena_alloc(a, sizeof(*t->stack) * n);
    t->call = reg_arena_alloc(a, sizeof(*t->call) * n);
    t->next_edge = reg_arena_alloc(a, sizeof(*t->next_edge) * n);
    memset(t->index, 0, sizeof(*t->index) * n);
    memset(t->on_stack, 0, sizeof(*t->on_stack) * n);
}

/* Numbers the components of the closure (position 0 reaches every member). */
static void
components(const struct closure *c, struct reg_arena *a, struct comps *k)
{
    struct tarjan t;

    tarjan_init(&t, a, c->count);
    k->of = reg_arena_alloc(a, sizeof(*k->of) * c->count);
    k->n = 0;
    visit(&t, 0);
    while (t.depth > 0) {
        size_t v = t.call[t.depth - 1], i = t.next_edge[t.depth - 1];
        if (i < c->edge_n[v]) {
            size_t w = c->edges[c->edge_at[v] + i];
            t.next_edge[t.depth - 1]++;
            if (t.index[w] == 0)
                visit(&t, w);
            else if (t.on_stack[w] && t.index[w] < t.low[v])
                t.low[v] = t.index[w];
            continue;
        }
        t.depth--;
        if (t.depth > 0 && t.low[v] < t.low[t.call[t.depth - 1]])
            t.low[t.call[t.depth - 1]] = t.low[v];
        finish(&t, k, v);
    }
}

/* The members of each component, grouped (a counting sort of the positions). */
static void
group_members(const struct closure *c, struct reg_arena *a, struct comps *k)
{
    size_t *fill = reg_arena_alloc(a, sizeof(*fill) * k->n);

    k->member_at = reg_arena_alloc(a, sizeof(*k->member_at) * (k->n + 1));
    k->member = reg_arena_alloc(a, sizeof(*k->member) * c->count);
    memset(k->member_at, 0, sizeof(*k->member_at) * (k->n + 1));
    for (size_t p = 0; p < c->count; p++)
        k->member_at[k->of[p] + 1]++;
    for (size_t i = 0; i < k->n; i++) {
        k->member_at[i + 1] += k->member_at[i];
        fill[i] = k->member_at[i];
    }
    for (size_t p = 0; p < c->count; p++)
        k->member[fill[k->of[p]]++] = p;
}

static void
comps_alloc(const struct closure *c, struct reg_arena *a, struct comps *k)
{
    k->own = reg_arena_alloc(a, sizeof(*k->own) * k->n);
    k->total = reg_arena_alloc(a, sizeof(*k->total) * k->n);
    k->dependants = reg_arena_alloc(a, sizeof(*k->dependants) * k->n);
    k->succ_at = reg_arena_alloc(a, sizeof(*k->succ_at) * (k->n + 1));
    k->succ = reg_arena_alloc(a, sizeof(*k->succ) * (c->nedges ? c->nedges : 1));
    k->reach = reg_arena_alloc(a, sizeof(*k->reach) * k->n);
    k->words = (c->count + 63) / 64;
    memset(k->own, 0, sizeof(*k->own) * k->n);
    memset(k->dependants, 0, sizeof(*k->dependants) * k->n);
    for (size_t i = 0; i < k->n; i++)
        k->reach[i] = NULL;
}

/* Adds member p's bytes to component i and appends the components its edges reach (other than
 * i, and not listed for i yet: mark[x] == i) to succ at at; returns the new end. */
static size_t
add_member(const struct closure *c, struct comps *k, size_t i, size_t p, size_t *mark, size_t at)
{
    k->own[i] += c->entries[c->members[p]].size_bytes;
    for (size_t e = 0; e < c->edge_n[p]; e++) {
        size_t to = k->of[c->edges[c->edge_at[p] + e]];
        if (to == i || mark[to] == i)
            continue;
        mark[to] = i;
        k->succ[at++] = to;
        k->dependants[to]++;
    }
    return at;
}

/* Each component's own bytes, its distinct successors and how many components depend on it. */
static void
condense(const struct closure *c, struct reg_arena *a, struct comps *k)
{
    size_t *mark = reg_arena_alloc(a, sizeof(*mark) * k->n), at = 0;

    comps_alloc(c, a, k);
    for (size_t i = 0; i < k->n; i++)
        mark[i] = SIZE_MAX;
    for (size_t i = 0; i < k->n; i++) {
        k->succ_at[i] = at;
        for (size_t m = k->member_at[i]; m < k->member_at[i + 1]; m++)
            at = add_member(c, k, i, k->member[m], mark, at);
    }
    k->succ_at[k->n] = at;
}

/* ---- totals ------------------------------------------------------------------------------ */

static uint64_t *
bitset_new(size_t words)
{
    uint64_t *b = calloc(words ? words : 1, sizeof(*b));

    if (!b)
        reg_oom();
    return b;
}

/* The reach of component s for a dependant to build on: handed over when the dependant is the
 * last to need it, else copied. */
static uint64_t *
take_reach(struct comps *k, size_t s)
{
    uint64_t *r = k->reach[s];

    if (--k->dependants[s] == 0) {
        k->reach[s] = NULL;
        return r;
    }
    r = bitset_new(k->words);
    memcpy(r, k->reach[s], sizeof(*r) * k->words);
    return r;
}

/* Ors the reach of component s into bits, adding the bytes of each member new to it. */
static int64_t
merge(const struct closure *c, struct comps *k, uint64_t *bits, size_t s)
{
    int64_t added = 0;

    for (size_t w = 0; w < k->words; w++) {
        uint64_t fresh = k->reach[s][w] & ~bits[w];
        bits[w] |= fresh;
        while (fresh) {
            size_t b = (size_t)__builtin_ctzll(fresh);
            added += c->entries[c->members[w * 64 + b]].size_bytes;
            fresh &= fresh - 1;
        }
    }
    if (--k->dependants[s] == 0) {
        free(k->reach[s]);
        k->reach[s] = NULL;
    }
    return added;
}

/* total and reach of component i, whose successors are all done. */
static void
total_of(const struct closure *c, struct comps *k, size_t i)
{
    const size_t *succ = k->succ + k->succ_at[i];
    size_t nsucc = k->succ_at[i + 1] - k->succ_at[i];
    uint64_t *bits;

    k->total[i] = k->own[i];
    if (nsucc == 0) {
        bits = bitset_new(k->words);
    } else {
        k->total[i] += k->total[succ[0]];
        bits = take_reach(k, succ[0]);
        for (size_t j = 1; j < nsucc; j++)
            k->total[i] += merge(c, k, bits, succ[j]);
    }
    for (size_t m = k->member_at[i]; m < k->member_at[i + 1]; m++)
        bits[k->member[m] / 64] |= (uint64_t)1 << (k->member[m] % 64);
    k->reach[i] = bits;
}

/* The total of every component of the closure c. */
static void
totals(const struct closure *c, struct reg_arena *a, struct comps *k)
{
    components(c, a, k);
    group_members(c, a, k);
    condense(c, a, k);
    for (size_t i = 0; i < k->n; i++)
        total_of(c, k, i);
    for (size_t i = 0; i < k->n; i++)
        free(k->reach[i]);
}

/* ---- the answer -------------------------------------------------------------------------- */

static enum reg_status
size_known(const struct reg_catalog_entry *e)
{
    if (e->size_bytes < 0)
        return reg_errorf(REG_EINTERNAL,
                          "no download size is stored for %s %s (%s): its host publishes none",
                          reg_artifact_type_name(e->type), e->id, e->name);
    return REG_OK;
}

enum reg_status
reg_cost(struct reg_catalog *cat, struct reg_store *store, struct reg_arena *a,
         enum reg_artifact_type t, const char *id, bool dependencies, struct reg_cost_item **out,
         int *n)
{
    const struct reg_catalog_entry *root;
    struct closure c;
    struct comps k = {0};
    enum reg_status st = reg_catalog_refresh(cat, store);

    *out = NULL;
    *n = 0;
    if (st != REG_OK)
        return st;
    root = reg_catalog_find_id(cat, id);
    if (!root || root->type != t)
        return reg_errorf(REG_ENOTFOUND, "no %s with id %s", reg_artifact_type_name(t), id);
    closure_init(&c, a, cat);
    if (dependencies) {
        collect(cat, a, &c, (size_t)(root - c.entries));
    } else {
        c.members[c.count++] = (size_t)(root - c.entries);
        c.edge_at[0] = 0;
    }
    for (size_t p = 0; p < c.count && st == REG_OK; p++)
        st = size_known(&c.entries[c.members[p]]);
    if (st != REG_OK)
        return st;
    totals(&c, a, &k);
    *out = reg_arena_alloc(a, sizeof(**out) * c.count);
    for (size_t p = 0; p < c.count; p++) {
        const struct reg_catalog_entry *e = &c.entries[c.members[p]];
        (*out)[p].id = reg_arena_strdup(a, e->id);
        (*out)[p].standalone_mb = (double)e->size_bytes / REG_COST_MB;
        (*out)[p].total_mb = (double)k.total[k.of[p]] / REG_COST_MB;
    }
    *n = (int)c.count;
    return REG_OK;
}
