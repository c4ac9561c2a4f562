/*
 * search_hits.h - how often each artifact appears in search answers (enumerate, byName,
 * byRegEx): one of the popularity figures the package-confusion audit weighs
 * (core/confusion.h).
 *
 * The counts live in the memory the master shares with its workers (inside struct
 * reg_pool_status), so every worker of a host counts into one table with atomic operations
 * and no lock: a search answer costs one probe per artifact listed and never a store write
 * (issue 15 took a store write per call off the hot path; this must not bring one back).
 * Artifacts are keyed by a 64-bit FNV-1a hash of their id (ids are drawn by the registry from
 * a CSPRNG, so nobody chooses where they land); an id may sit in REG_SEARCH_HITS_PROBE slots
 * from its bucket on, and an id that finds them all taken is not counted (the dropped figure
 * says how many counts were lost so).
 *
 * Limits: counts are per host and since the pool started (hosts sharing a DynamoDB store
 * each count their own answers); DELETE /reset empties the table; a deleted artifact's slot
 * stays until then.
 *
 * Ownership: the caller owns the struct (shared memory or a plain variable), zeroed before
 * use (the master's anonymous mapping is); nothing to free.
 */
#ifndef REG_CORE_SEARCH_HITS_H
#define REG_CORE_SEARCH_HITS_H

#include <stdint.h>

#include "core/artifact.h"

/* Artifacts counted per host, and the slots one id may use from its bucket on. */
#define REG_SEARCH_HITS_SLOTS 16384
#define REG_SEARCH_HITS_PROBE 32

struct reg_search_hits_slot {
    uint64_t key; /* the id's hash; 0 = free */
    uint64_t hits;
};

struct reg_search_hits {
    uint64_t dropped; /* counts lost to a full probe window */
    struct reg_search_hits_slot slots[REG_SEARCH_HITS_SLOTS];
};

/* Counts one appearance in a search answer for each of the n artifacts. */
void reg_search_hits_count(struct reg_search_hits *h, const struct reg_artifact *items, int n);

/* The appearances counted for id (0 when none). */
int64_t reg_search_hits_get(const struct reg_search_hits *h, const char *id);

/* Empties the table (DELETE /reset). Counts made by other workers meanwhile may survive. */
void reg_search_hits_clear(struct reg_search_hits *h);

#endif
