/*
 * versions.h - enumerate with version ranges: the artifacts matching any of a set of queries
 * ({name, types} as the store filters them, plus an optional range, core/semver.h), where a
 * query with a range matches only an artifact one of whose versions satisfies it. The
 * versions are the git tags ingest stored (core/metadata.h "versions"), read from the
 * worker's catalog, parsed once per refresh.
 *
 * Paging: the store's order and cursor, as plain enumerate. The store is read page by page,
 * each item kept or not, until REG_PAGE_SIZE are kept or the store is done; next_after is the
 * seq of the last item read, so the next page starts right after it whatever was kept. At most
 * REG_VERSION_SCAN_PAGES store pages are read per call: a page may then hold fewer than
 * REG_PAGE_SIZE items (even none) with a next_after to go on from.
 *
 * Ownership: items and version strings are allocated from the arena a.
 */
#ifndef REG_CORE_VERSIONS_H
#define REG_CORE_VERSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/status.h"
#include "core/catalog.h"
#include "core/semver.h"
#include "store/store.h"

/* One enumerate query: what the store filters on, and the range when versioned. */
struct reg_versions_query {
    struct reg_store_filter filter;
    bool versioned;
    struct reg_semver_range range;
};

/*
 * One page of the artifacts matching any query, after cursor `after`; (*versions)[i] is the
 * highest version (the tag as written upstream) of items[i] that satisfies the range of a
 * versioned query it matches, NULL when only queries without a range match it.
 */
enum reg_status reg_versions_enumerate(struct reg_catalog *cat, struct reg_store *store,
                                       struct reg_arena *a, const struct reg_versions_query *q,
                                       int n, int64_t after, struct reg_store_page *out,
                                       const char ***versions);

#endif
