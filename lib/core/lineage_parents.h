/*
 * lineage_parents.h - which models a model derives from, read from its structured metadata.
 *
 * Parents are named by the model card's `base_model` (a string or a list; source
 * "model_card") and by config.json fields that record the model a checkpoint was made from
 * (`base_model_name_or_path`, `base_model`, `_name_or_path`; source "config_json"). Only
 * values that are Hugging Face repository ids count: local paths ("/tmp/run", "./out"), URLs
 * other than https://huggingface.co/{id}, and the model's own id are ignored. A parent named
 * twice is kept once, with the first source that named it (card before config).
 *
 * The graph these parents link is walked in core/lineage.h.
 *
 * Ownership: parents' strings are allocated from the arena passed in.
 */
#ifndef REG_CORE_LINEAGE_PARENTS_H
#define REG_CORE_LINEAGE_PARENTS_H

#include "base/arena.h"

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

#endif
