/*
 * versions.c - enumerate filtered by version ranges (see versions.h).
 */
#include "core/versions.h"

#include <string.h>

#include "base/limits.h"

/* Whether the store's filter f takes art (as store_sqlite.c and store_dynamodb.c match). */
static bool
filter_holds(const struct reg_store_filter *f, const struct reg_artifact *art)
{
    return (f->types & REG_TYPE_BIT(art->type)) && (!f->name || strcmp(f->name, art->name) == 0);
}

/* The highest version of e satisfying r, NULL when none (or no entry). */
static const struct reg_catalog_version *
highest(const struct reg_catalog_entry *e, const struct reg_semver_range *r)
{
    const struct reg_catalog_version *best = NULL;

    for (int i = 0; e && i < e->nversions; i++)
        if (reg_semver_satisfies(r, &e->versions[i].v) &&
            (!best || reg_semver_compare(&e->versions[i].v, &best->v) > 0))
            best = &e->versions[i];
    return best;
}

/* Whether art is in the answer, with *version the highest satisfying version of the versioned
 * queries that take it (NULL when none does). */
static bool
admit(const struct reg_versions_query *q, int n, const struct reg_artifact *art,
      const struct reg_catalog_entry *e, const struct reg_catalog_version **version)
{
    bool in = false;

    *version = NULL;
    for (int i = 0; i < n; i++) {
        const struct reg_catalog_version *v;
        if (!filter_holds(&q[i].filter, art))
            continue;
        if (!q[i].versioned) {
            in = true;
            continue;
        }
        v = highest(e, &q[i].range);
        if (v && (!*version || reg_semver_compare(&v->v, &(*version)->v) > 0))
            *version = v;
        in = in || v;
    }
    return in;
}

/* The catalog entry of id; one more refresh when the store listed an artifact registered
 * after the last one. NULL when it is gone again (it then has no versions). */
static const struct reg_catalog_entry *
entry_of(struct reg_catalog *cat, struct reg_store *store, const char *id)
{
    const struct reg_catalog_entry *e = reg_catalog_find_id(cat, id);

    if (!e && reg_catalog_refresh(cat, store) == REG_OK)
        e = reg_catalog_find_id(cat, id);
    return e;
}

/* Keeps the items of page that are in the answer, appending to out; stops at REG_PAGE_SIZE.
 * *stopped is the seq of the item it stopped at when items of this page were left unread. */
static void
keep(struct reg_catalog *cat, struct reg_store *store, struct reg_arena *a,
     const struct reg_versions_query *q, int n, const struct reg_store_page *page,
     struct reg_store_page *out, const char **versions, int64_t *stopped)
{
    *stopped = 0;
    for (int i = 0; i < page->count && out->count < REG_PAGE_SIZE; i++) {
        const struct reg_artifact *art = &page->items[i];
        const struct reg_catalog_version *v;

        if (!admit(q, n, art, entry_of(cat, store, art->id), &v))
            continue;
        versions[out->count] = v ? reg_arena_strdup(a, v->tag) : NULL;
        out->items[out->count++] = *art;
        if (out->count == REG_PAGE_SIZE && i + 1 < page->count)
            *stopped = art->seq;
    }
}

enum reg_status
reg_versions_enumerate(struct reg_catalog *cat, struct reg_store *store, struct reg_arena *a,
                       const struct reg_versions_query *q, int n, int64_t after,
                       struct reg_store_page *out, const char ***versions)
{
    struct reg_store_filter *filters = reg_arena_alloc(a, sizeof(*filters) * (size_t)(n ? n : 1));
    enum reg_status st = reg_catalog_refresh(cat, store);

    memset(out, 0, sizeof(*out));
    out->items = reg_arena_alloc(a, sizeof(*out->items) * REG_PAGE_SIZE);
    *versions = reg_arena_alloc(a, sizeof(**versions) * REG_PAGE_SIZE);
    for (int i = 0; i < n; i++)
        filters[i] = q[i].filter;
    for (int pages = 0; st == REG_OK && pages < REG_VERSION_SCAN_PAGES; pages++) {
        struct reg_store_page page;
        int64_t stopped;

        st = reg_store_list(store, a, filters, n, after, REG_PAGE_SIZE, &page);
        if (st != REG_OK)
            break;
        keep(cat, store, a, q, n, &page, out, *versions, &stopped);
        after = stopped ? stopped : page.next_after;
        out->next_after = after;
        if (after == 0 || out->count == REG_PAGE_SIZE)
            break;
    }
    return st;
}
