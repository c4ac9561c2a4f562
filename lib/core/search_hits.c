/*
 * search_hits.c - the shared, lock-free table of search appearances (see search_hits.h): open
 * addressing over a fixed array, a slot claimed by compare-and-swap of its key.
 */
#include "core/search_hits.h"

#include <string.h>

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)

/* FNV-1a, 64 bits; 0 marks a free slot, so it is never a key. */
static uint64_t
key_of(const char *id)
{
    uint64_t h = 14695981039346656037ULL;

    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

static struct reg_search_hits_slot *
probe(struct reg_search_hits *h, uint64_t key, int i)
{
    return &h->slots[(key + (uint64_t)i) % REG_SEARCH_HITS_SLOTS];
}

/* The slot of key, claimed when it has none yet; NULL when the probe window is full. */
static struct reg_search_hits_slot *
claim(struct reg_search_hits *h, uint64_t key)
{
    for (int i = 0; i < REG_SEARCH_HITS_PROBE; i++) {
        struct reg_search_hits_slot *s = probe(h, key, i);
        uint64_t seen = LOAD(&s->key);

        /* A lost race leaves seen holding the winner's key, which may be ours. */
        if (seen == 0 && __atomic_compare_exchange_n(&s->key, &seen, key, false, __ATOMIC_RELAXED,
                                                     __ATOMIC_RELAXED))
            return s;
        if (seen == key)
            return s;
    }
    return NULL;
}

void
reg_search_hits_count(struct reg_search_hits *h, const struct reg_artifact *items, int n)
{
    for (int i = 0; i < n; i++) {
        struct reg_search_hits_slot *s = claim(h, key_of(items[i].id));

        if (s)
            ADD(&s->hits, 1);
        else
            ADD(&h->dropped, 1);
    }
}

int64_t
reg_search_hits_get(const struct reg_search_hits *h, const char *id)
{
    uint64_t key = key_of(id);

    for (int i = 0; i < REG_SEARCH_HITS_PROBE; i++) {
        const struct reg_search_hits_slot *s =
            &h->slots[(key + (uint64_t)i) % REG_SEARCH_HITS_SLOTS];
        uint64_t seen = LOAD(&s->key);

        if (seen == key)
            return (int64_t)LOAD(&s->hits);
        if (seen == 0)
            return 0;
    }
    return 0;
}

void
reg_search_hits_clear(struct reg_search_hits *h)
{
    for (int i = 0; i < REG_SEARCH_HITS_SLOTS; i++) {
        __atomic_store_n(&h->slots[i].hits, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&h->slots[i].key, 0, __ATOMIC_RELAXED);
    }
    __atomic_store_n(&h->dropped, 0, __ATOMIC_RELAXED);
}
