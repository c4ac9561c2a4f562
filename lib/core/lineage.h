/*
 * lineage.h - the lineage graph: a model's registered ancestors and descendants.
 *
 * The graph links models only (datasets and code are not nodes): an edge runs from a parent
 * to its child when the child's stored metadata names as a parent the repository of a model
 * registered from Hugging Face (an upload is never the repository its name looks like; see
 * reg_catalog_find_repo). The parent relation is read from the worker's catalog, so a parent
 * registered after its child is linked as soon as it arrives. Cycles in bad metadata are
 * walked once.
 *
 * Which parents a model's metadata names is read in core/lineage_parents.h.
 *
 * Ownership: graphs are allocated from the arena passed in.
 */
#ifndef REG_CORE_LINEAGE_H
#define REG_CORE_LINEAGE_H

#include "base/arena.h"
#include "base/status.h"

struct reg_catalog;
struct reg_store;

/* A node: artifact_id, name, and source: how it was found ("registry" for the queried model,
 * else the source of the link that reached it). */
struct reg_lineage_node {
    const char *id;
    const char *name;
    const char *source;
};

/* From parent to child; the relationship is always "base_model". */
struct reg_lineage_edge {
    const char *from;
    const char *to;
};

struct reg_lineage_graph {
    struct reg_lineage_node *nodes; /* the queried model first */
    int nnodes;
    struct reg_lineage_edge *edges;
    int nedges;
};

/*
 * The graph of model id: itself, its registered ancestors (transitively) and its registered
 * descendants (transitively). REG_ENOTFOUND when no model has this id; REG_EINVAL when its
 * stored metadata is missing or malformed.
 */
enum reg_status reg_lineage_graph(struct reg_catalog *cat, struct reg_store *store,
                                  struct reg_arena *a, const char *id,
                                  struct reg_lineage_graph *out);

#endif
