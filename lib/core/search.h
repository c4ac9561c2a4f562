/*
 * search.h - regular-expression search over artifact names and README text.
 *
 * Names are matched over the worker's catalog (core/catalog.h, reloaded when the store
 * changes); READMEs, only their first REG_SEARCH_README_MAX bytes (base/limits.h), from the
 * host's README snapshot of the catalog's generation (core/readme_snapshot.h: one file mapped
 * by every worker, built once per generation), or, when there is none, from the store's search
 * feed one at a time; either way a worker's own memory does not grow with the READMEs stored.
 * An artifact whose name matches is not read again for its README. Patterns
 * are PCRE2 with JIT, under a match limit, a depth limit, a heap limit, a bounded JIT stack, a
 * length cap and a time budget for the matching of the whole search (reading the store is not
 * charged to the pattern), so catastrophic patterns answer promptly and never hold a worker.
 *
 * Ownership: reg_search_new() returns the matcher state (PCRE2 contexts) the caller frees with
 * reg_search_free(); results are allocated from the arena passed to reg_search_regex().
 */
#ifndef REG_CORE_SEARCH_H
#define REG_CORE_SEARCH_H

#include "base/arena.h"
#include "base/status.h"
#include "core/artifact.h"
#include "core/catalog.h"
#include "core/readme_snapshot.h"
#include "store/store.h"

struct reg_search;

enum reg_status reg_search_new(struct reg_search **out);
void reg_search_free(struct reg_search *search);

/* Artifacts whose name or README (its searchable prefix) matches pattern, in store order. An
 * invalid or over-long pattern, or one that exhausts the time budget, is REG_EINVAL. READMEs
 * come from readmes (synced to the catalog's generation first) when it can be used, else from
 * the store; readmes may be NULL. */
enum reg_status reg_search_regex(struct reg_search *search, struct reg_catalog *cat,
                                 struct reg_readme_snapshot *readmes, struct reg_store *store,
                                 struct reg_arena *a, const char *pattern,
                                 struct reg_artifact **out, int *count);

#endif
