/*
 * tree_score.c - the health of the model's lineage: the average total score of its parents.
 *
 * Reads: parent_scores / nparents (net_score of each lineage parent in the registry).
 *
 *   tree_score = mean(clamp(parent_scores[i]))                             range [0, 1]
 *
 *   No parents: 1. A model without parents inherits nothing, so its lineage adds no risk;
 *   1 also keeps the ingest gate from refusing every base model. Non-finite parent scores
 *   are ignored (a model whose parents are all ignored counts as having none).
 */
#include <math.h>

#include "rating/rating.h"

#define NO_PARENTS 1.0

double
reg_rating_tree_score(const struct reg_model_signals *s)
{
    double sum = 0.0;
    int n = 0;

    for (int i = 0; s->parent_scores && i < s->nparents; i++) {
        if (!isfinite(s->parent_scores[i]))
            continue;
        sum += reg_rating_clamp(s->parent_scores[i]);
        n++;
    }
    return n > 0 ? sum / (double)n : NO_PARENTS;
}
