/*
 * catalog.c - the per-worker snapshot of every artifact (see catalog.h).
 */
#include "core/catalog.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "base/json.h"
#include "base/log.h"
#include "core/metadata.h"

/* An open-addressing hash index (linear probing) of entry positions: a slot holds a position
 * + 1, 0 is empty. It has at least twice as many slots as entries, so probes stay short. */
struct index {
    size_t *slots;
    size_t mask;
};

struct reg_catalog {
    struct reg_catalog_entry *entries;
    size_t count, cap;
    struct index by_id;   /* every entry, by id */
    struct index by_repo; /* ingested entries, by (type, repository id folded to lower case) */
    uint64_t generation;
    bool loaded;
};

/* A key of by_repo. */
struct repo_key {
    enum reg_artifact_type type;
    const char *repo_id;
};

#define FNV_BASIS 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull
#define INDEX_MIN_SLOTS 16

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
index_free(struct index *ix)
{
    free(ix->slots);
    ix->slots = NULL;
    ix->mask = 0;
}

static void
index_init(struct index *ix, size_t count)
{
    size_t n = INDEX_MIN_SLOTS;

    while (n < 2 * count)
        n *= 2;
    ix->slots = calloc(n, sizeof(*ix->slots));
    if (!ix->slots)
        reg_oom();
    ix->mask = n - 1;
}

/* FNV-1a of s, ASCII letters folded to lower case when fold is set. */
static uint64_t
hash_str(uint64_t h, const char *s, bool fold)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (fold && ch >= 'A' && ch <= 'Z')
            ch = (unsigned char)(ch - 'A' + 'a');
        h = (h ^ ch) * FNV_PRIME;
    }
    return h;
}

static uint64_t
repo_hash(const struct repo_key *k)
{
    return hash_str((FNV_BASIS ^ (uint64_t)k->type) * FNV_PRIME, k->repo_id, true);
}

static bool
same_id(const struct reg_catalog_entry *e, const void *key)
{
    return strcmp(e->id, key) == 0;
}

static bool
same_repo(const struct reg_catalog_entry *e, const void *key)
{
    const struct repo_key *k = key;

    return e->type == k->type && strcasecmp(e->repo_id, k->repo_id) == 0;
}

/* The slot holding the entry same() accepts, or the empty slot where it would go. */
static size_t *
probe(const struct reg_catalog *c, const struct index *ix, uint64_t h,
      bool (*same)(const struct reg_catalog_entry *, const void *), const void *key)
{
    for (size_t i = h & ix->mask;; i = (i + 1) & ix->mask)
        if (ix->slots[i] == 0 || same(&c->entries[ix->slots[i] - 1], key))
            return &ix->slots[i];
}

/* The host whose repository ids cards and configs use for artifacts of type t. */
static const char *
id_host(enum reg_artifact_type t)
{
    return t == REG_TYPE_CODE ? "github" : "huggingface";
}

/* Fills both indexes from the entries; the first registered entry of a repository keeps it. */
static void
build_indexes(struct reg_catalog *c)
{
    index_init(&c->by_id, c->count);
    index_init(&c->by_repo, c->count);
    for (size_t i = 0; i < c->count; i++) {
        const struct reg_catalog_entry *e = &c->entries[i];
        struct repo_key k = {e->type, e->repo_id};
        size_t *slot = probe(c, &c->by_id, hash_str(FNV_BASIS, e->id, false), same_id, e->id);
        if (*slot == 0)
            *slot = i + 1;
        if (!e->repo_id || !e->host || strcmp(e->host, id_host(e->type)) != 0)
            continue;
        slot = probe(c, &c->by_repo, repo_hash(&k), same_repo, &k);
        if (*slot == 0)
            *slot = i + 1;
    }
}

static void
clear_entries(struct reg_catalog *c)
{
    for (size_t i = 0; i < c->count; i++) {
        struct reg_catalog_entry *e = &c->entries[i];
        free(e->name);
        free(e->url);
        free(e->host);
        free(e->repo_id);
        for (int p = 0; p < e->nparents; p++)
            free(e->parents[p].repo_id);
        free(e->parents);
        free_list(e->datasets, e->ndatasets);
        free_list(e->code, e->ncode);
        for (int v = 0; v < e->nversions; v++)
            free(e->versions[v].tag);
        free(e->versions);
    }
    c->count = 0;
    index_free(&c->by_id);
    index_free(&c->by_repo);
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

/* Hub downloads + likes and GitHub stars: what the package-confusion audit weighs as upstream
 * popularity (core/confusion.h). A figure that is absent or negative counts 0. */
static int64_t
upstream_popularity(struct json_object *doc)
{
    static const char *const keys[] = {"downloads", "likes", "stars"};
    int64_t sum = 0;

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        int64_t v = reg_json_int(doc, keys[i]);
        if (v > 0 && v < INT64_MAX - sum)
            sum += v;
    }
    return sum;
}

/* The stored versions, parsed once here so that a version query only compares. */
static void
read_versions(struct reg_catalog_entry *e, const char *const *tags, int n)
{
    e->versions = calloc((size_t)(n ? n : 1), sizeof(*e->versions));
    if (!e->versions)
        reg_oom();
    for (int i = 0; i < n; i++) {
        struct reg_catalog_version *v = &e->versions[e->nversions];
        if (reg_semver_parse(tags[i], &v->v) != REG_OK)
            continue; /* written by a newer or older rule: not a version to this one */
        v->tag = dup_n(tags[i], strlen(tags[i]));
        e->nversions++;
    }
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
        e->upstream = upstream_popularity(md.doc);
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
        read_versions(e, md.versions, md.nversions);
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
    build_indexes(c);
    c->generation = gen;
    c->loaded = true;
    return REG_OK;
}

uint64_t
reg_catalog_generation(const struct reg_catalog *c)
{
    return c->generation;
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
    struct repo_key k = {t, repo_id};
    size_t *slot;

    if (!repo_id || !c->by_repo.slots)
        return NULL;
    slot = probe(c, &c->by_repo, repo_hash(&k), same_repo, &k);
    return *slot ? &c->entries[*slot - 1] : NULL;
}

const struct reg_catalog_entry *
reg_catalog_find_id(const struct reg_catalog *c, const char *id)
{
    size_t *slot;

    if (!id || !c->by_id.slots)
        return NULL;
    slot = probe(c, &c->by_id, hash_str(FNV_BASIS, id, false), same_id, id);
    return *slot ? &c->entries[*slot - 1] : NULL;
}
