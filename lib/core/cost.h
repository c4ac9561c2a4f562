/*
 * cost.h - the download cost of an artifact: its size in MB (1 MB = 1,048,576 bytes), from the
 * file sizes recorded at ingest, alone or with its dependencies.
 *
 * Dependencies of a model are the registered models its lineage names as parents and the
 * registered datasets and code its card names; dependencies of datasets and code are none.
 * The closure is transitive, each artifact counted once, cycles walked once. Every artifact
 * in a closure gets its own entry: standalone_mb (its own size) and total_mb (the sum over
 * its own closure, itself included).
 *
 * Ownership: results are allocated from the arena passed in.
 */
#ifndef REG_CORE_COST_H
#define REG_CORE_COST_H

#include <stdbool.h>

#include "base/arena.h"
#include "base/status.h"
#include "core/artifact.h"
#include "core/catalog.h"
#include "store/store.h"

#define REG_COST_MB 1048576.0

struct reg_cost_item {
    const char *id;
    double standalone_mb;
    double total_mb;
};

/*
 * The cost of artifact id of type t: one item (the artifact) without dependencies, else one
 * item per artifact of its closure, the artifact first. REG_ENOTFOUND when there is no such
 * artifact of that type; REG_EINTERNAL when a size needed is not stored (e.g. a Kaggle
 * dataset, which has no public API to measure it).
 */
enum reg_status reg_cost(struct reg_catalog *cat, struct reg_store *store, struct reg_arena *a,
                         enum reg_artifact_type t, const char *id, bool dependencies,
                         struct reg_cost_item **out, int *n);

#endif
