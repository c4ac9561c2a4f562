/*
 * registry.h - the registry's rules for creating, reading, updating, deleting, listing and
 * resetting artifacts. No HTTP here: handlers parse, call these, render.
 *
 * Ownership: artifacts returned are filled from the arena passed in.
 */
#ifndef REG_CORE_REGISTRY_H
#define REG_CORE_REGISTRY_H

#include "base/arena.h"
#include "base/status.h"
#include "core/artifact.h"
#include "store/store.h"

/* Registers url as a new artifact of type t. name NULL derives the name from the url.
 * REG_EINVAL for a url the type does not accept, REG_ECONFLICT if type + url exists. */
enum reg_status reg_registry_create(struct reg_store *store, struct reg_arena *a,
                                    enum reg_artifact_type t, const char *url, const char *name,
                                    struct reg_artifact *out);

/* The artifact id of type t; REG_ENOTFOUND if absent or of another type. */
enum reg_status reg_registry_get(struct reg_store *store, struct reg_arena *a,
                                 enum reg_artifact_type t, const char *id,
                                 struct reg_artifact *out);

/* Replaces the source url of artifact id of type t. name and id must equal the stored ones. */
enum reg_status reg_registry_update(struct reg_store *store, struct reg_arena *a,
                                    enum reg_artifact_type t, const char *id, const char *name,
                                    const char *url, struct reg_artifact *out);

/* Deletes artifact id of type t; *out is what was deleted. */
enum reg_status reg_registry_delete(struct reg_store *store, struct reg_arena *a,
                                    enum reg_artifact_type t, const char *id,
                                    struct reg_artifact *out);

/* One page (REG_PAGE_SIZE) of the artifacts matching any filter, after cursor `after`. */
enum reg_status reg_registry_enumerate(struct reg_store *store, struct reg_arena *a,
                                       const struct reg_store_filter *filters, int nfilters,
                                       int64_t after, struct reg_store_page *out);

/* Empties the registry. */
enum reg_status reg_registry_reset(struct reg_store *store);

#endif
