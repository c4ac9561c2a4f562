/*
 * readme_snapshot.h - one read-only file of every README's searchable prefix per host and store
 * generation, mapped by every worker that searches.
 *
 * Regex search reads the first REG_SEARCH_README_MAX bytes of every README. Reading them from
 * the store for each search is a full-table read (over the network on DynamoDB), and a copy in
 * every worker grows with the READMEs times the workers. A snapshot is written once per store
 * generation (the counter bumped on every artifact change) into a directory of the host
 * ($REGISTRY_DATA_DIR/run), as readmes-<generation>.snap, and mapped read-only and shared: the
 * workers of a host then read the same page-cache pages, one copy per host, of at most
 * artifacts x REG_SEARCH_README_MAX bytes and never more than the cap given to
 * reg_readme_snapshot_new() (REG_README_SNAPSHOT_MAX in registryd).
 *
 * Building is serialised between the processes of a host by a lock file, so the first worker to
 * see a new generation builds it (one pass of the store's README feed) and the others wait and
 * map the same file. A file is written under a temporary name and renamed into place, so a
 * reader never sees a partial one; files of older generations are unlinked by the next builder
 * (mappings of them stay valid until unmapped). A file is checked before it is used (size,
 * magic, generation, every index entry within bounds and in id order); one that fails is
 * rebuilt. Anything that stops a snapshot (no directory, not writable, disk full, past the cap)
 * is an error the caller answers by reading the store's feed for that search: the snapshot is
 * an accelerator, never a reason for a search to fail.
 *
 * Generations are counted by the store, so a store replaced while registryd was stopped may
 * repeat one: registryd removes every snapshot file when it starts
 * (reg_readme_snapshot_purge).
 *
 * Ownership: reg_readme_snapshot_new() returns a per-process handle (it copies dir) that the
 * caller frees with reg_readme_snapshot_free(), which unmaps. Texts passed to callbacks or
 * returned by reg_readme_snapshot_find() point into the mapping: valid until the handle's next
 * sync or its free.
 */
#ifndef REG_CORE_README_SNAPSHOT_H
#define REG_CORE_README_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "store/store.h"

struct reg_readme_snapshot;

/* A handle on the snapshots in dir (which must exist), of at most max_bytes each. */
enum reg_status reg_readme_snapshot_new(const char *dir, size_t max_bytes,
                                        struct reg_readme_snapshot **out);
void reg_readme_snapshot_free(struct reg_readme_snapshot *snap);

/* Maps the snapshot of generation gen, building it from store first when no valid file of gen
 * exists. REG_OK when mapped; an error (with its detail recorded, and logged the first time for
 * this handle) when it cannot be: the caller reads store instead. A generation that failed is
 * not tried again by this handle, so a failing build costs one store read per generation. */
enum reg_status reg_readme_snapshot_sync(struct reg_readme_snapshot *snap, struct reg_store *store,
                                         uint64_t gen);

/* Whether generation gen is mapped (a sync of gen succeeded). */
bool reg_readme_snapshot_ready(const struct reg_readme_snapshot *snap, uint64_t gen);

/* Calls fn, as the store's README feed would, for every README of the mapped snapshot, in id
 * order; a non-OK return stops and is returned. Nothing when none is mapped. */
enum reg_status reg_readme_snapshot_each(const struct reg_readme_snapshot *snap,
                                         reg_store_readme_fn fn, void *ctx);

/* The searchable prefix of artifact id's README in the mapped snapshot: false when it has none
 * there. Binary search over the index. */
bool reg_readme_snapshot_find(const struct reg_readme_snapshot *snap, const char *id,
                              const char **text, size_t *len);

/* Removes every snapshot file (and leftover temporary file) in dir. */
void reg_readme_snapshot_purge(const char *dir);

#endif
