/*
 * lineage.h - which models a model derives from, read from its structured metadata.
 *
 * Parents are named by the model card's `base_model` (a string or a list; source
 * "model_card") and by config.json fields that record the model a checkpoint was made from
 * (`base_model_name_or_path`, `base_model`, `_name_or_path`; source "config_json"). Only
 * values that are Hugging Face repository ids count: local paths ("/tmp/run", "./out"), URLs
 * other than https://huggingface.co/{id}, and the model's own id are ignored. A parent named
 * twice is kept once, with the first source that named it (card before config).
 *
 * The lineage graph of a registered model links models only (datasets and code are not nodes):
 * an edge runs from a parent to its child when the child's stored metadata names a
 * registered model's repository as a parent. The parent relation is read from the worker's
 * catalog, so a parent registered after its child is linked as soon as it arrives. Cycles in
 * bad metadata are walked once.
 *
 * Ownership: parents' strings and graphs are allocated from the arena passed in.
 */
#ifndef REG_CORE_LINEAGE_H
#define REG_CORE_LINEAGE_H

#include "base/arena.h"
#include "base/status.h"

struct reg_catalog;
struct reg_store;

/* Parents kept per model. */
#define REG_LINEAGE_MAX_PARENTS 16

enum reg_lineage_source { REG_LINEAGE_MODEL_CARD, REG_LINEAGE_CONFIG_JSON };

struct reg_lineage_parent {
    const char *repo_id; /* as written, without a huggingface.co prefix */
    enum reg_lineage_source source;
};

/* "model_card" or "config_json": the ArtifactLineageNode.source of a parent link. */
const char *reg_lineage_source_name(enum reg_lineage_source s);

/*
 * The parents of model self_id named in card_json (the card's YAML front matter as JSON) and
 * config_json (config.json text); either may be NULL or malformed (then it names none). At
 * most max are written to out; returns how many.
 */
int reg_lineage_parents(struct reg_arena *a, const char *self_id, const char *card_json,
                        const char *config_json, struct reg_lineage_parent *out, int max);

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
