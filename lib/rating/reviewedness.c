/*
 * reviewedness.c - the share of the linked repository's code that was reviewed before it
 * was merged.
 *
 * Reads: code (commits_seen, commits_reviewed).
 *
 *   reviewedness = commits_reviewed / commits_seen              range [0, 1], or -1
 *
 *   -1   no GitHub repository is linked (or the linked one could not be fetched: code is
 *        NULL); the ingest gate lets -1 pass
 *   0    a repository with no commit seen: there is no evidence of review
 *   Commits count, not lines: the ingest counts, among the recent commits it fetched, those
 *   introduced by a merged pull request that has an approving review (weights are not code).
 */
#include "rating/rating.h"

double
reg_rating_reviewedness(const struct reg_model_signals *s)
{
    const struct reg_code_signals *c = s->code;

    if (!c)
        return REG_RATING_NO_REPO;
    if (c->commits_seen <= 0 || c->commits_reviewed <= 0)
        return 0.0;
    return reg_rating_clamp((double)c->commits_reviewed / (double)c->commits_seen);
}
