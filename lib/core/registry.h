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
#include "core/catalog.h"
#include "core/ingest.h"
#include "core/license.h"
#include "store/store.h"

/* What registration works with: the store, the worker's catalog (parents' ratings) and the
 * upstream configuration. Borrowed. */
struct reg_registry {
    struct reg_store *store;
    struct reg_catalog *catalog;
    const struct reg_ingest *ingest;
};

/* Registers url as a new artifact of type t: validates, ingests (core/ingest.h: fetch, rate,
 * gate), then stores the artifact with its README, metadata and rating in one write; on any
 * error nothing is stored. name NULL derives the name from the url. REG_EINVAL for a url the
 * type does not accept or an upstream repository that does not exist, REG_EDISQUALIFIED when
 * the gate refuses a model, REG_EUPSTREAM when upstream fails, REG_ECONFLICT if type + url
 * exists. the rating is in out->metadata. */
enum reg_status reg_registry_create(const struct reg_registry *r, struct reg_arena *a,
                                    enum reg_artifact_type t, const char *url, const char *name,
                                    struct reg_artifact *out);

/* Stores art (type, name, url, readme, metadata filled) under a fresh id (art->id), drawing
 * again when the id is taken. REG_ECONFLICT when its type + url is registered. */
enum reg_status reg_registry_insert_new(struct reg_store *store, struct reg_artifact *art);

/* The artifact id of type t; REG_ENOTFOUND if absent or of another type. */
enum reg_status reg_registry_get(struct reg_store *store, struct reg_arena *a,
                                 enum reg_artifact_type t, const char *id,
                                 struct reg_artifact *out);

/* Replaces the source url of artifact id of type t and ingests it again (a model is rated
 * again and must pass the gate); on any error the stored artifact is unchanged. name must
 * equal the stored one. */
enum reg_status reg_registry_update(const struct reg_registry *r, struct reg_arena *a,
                                    enum reg_artifact_type t, const char *id, const char *name,
                                    const char *url, struct reg_artifact *out);

/* The rating stored with a model (read with reg_registry_get): REG_EINTERNAL if its stored
 * metadata holds no readable rating. */
enum reg_status reg_registry_rating(struct reg_arena *a, const struct reg_artifact *model,
                                    struct reg_rating *out);

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

/*
 * Whether code from GitHub repository github_url and model id are compatible for fine-tuning
 * and inference (core/license.h): the model's license from its stored card, the repository's
 * from GitHub; with product_license (NULL: none), also whether the combination may ship in a
 * commercial product under it. REG_EINVAL for a URL that is not a GitHub repository or a
 * product license no commercial product can have; REG_ENOTFOUND for an unknown model or a
 * repository GitHub does not have; REG_EUPSTREAM when GitHub fails.
 */
enum reg_status reg_registry_license_check(const struct reg_registry *r, struct reg_arena *a,
                                           const char *id, const char *github_url,
                                           const char *product_license,
                                           struct reg_license_verdict *out);

#endif
