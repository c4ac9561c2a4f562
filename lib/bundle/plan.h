/*
 * plan.h - what a bundle of an artifact's aspect holds and where each file comes from: the
 * list of {path, upstream URL, size} and the fetch settings, made from the metadata stored at
 * ingest (the file listing, when it is complete) or from the upstream listing fetched again.
 *
 *   model (Hugging Face)   full, weights, card; datasets: the files of the registered datasets
 *                          its card names, under "<dataset repo id>/"
 *   dataset (Hugging Face) full
 *   code (GitHub)          full (the repository, or its /tree/{ref}/{dir} directory's files)
 *   Kaggle datasets        none (REG_ENOTIMPL): Kaggle has no public API without credentials
 *   uploads                none here: the uploaded zip is recorded as the full bundle at upload
 *
 * Ownership: everything in a plan is allocated from the arena given to reg_bundle_plan_make.
 */
#ifndef REG_BUNDLE_PLAN_H
#define REG_BUNDLE_PLAN_H

#include "app.h"
#include "bundle/bundle.h"
#include "bundle/hosts.h"
#include "core/artifact.h"

struct reg_bundle_plan {
    const char *id; /* the artifact */
    enum reg_bundle_aspect aspect;
    /* What the files are, for the download's model scan (fill.h): the artifact's type, but a
     * dataset for a model's datasets aspect (its files are the datasets'). */
    enum reg_artifact_type type;
    const char *url;     /* its source URL (recorded with the bundle) */
    const char *sources; /* datasets aspect: the dataset artifact ids, "id1,id2"; else "" */
    struct reg_bundle_file *files; /* sorted by path */
    int nfiles;
    int64_t content_bytes; /* the files' sizes added up */
    struct reg_bundle_fetch fetch;
    struct reg_http_config http;
    struct reg_file_hosts hosts; /* http's allow-list: the plan must not move once made */
};

/*
 * The plan of art's aspect. REG_ENOTIMPL for a Kaggle dataset (no fetchable files);
 * REG_ENOTFOUND for an aspect with no file (a card-only model's weights, an upload's aspects
 * other than full); REG_ESTORE for an upload whose zip is missing; REG_EUPSTREAM or
 * REG_EUNAVAILABLE when the listing had to be fetched again and upstream failed.
 */
enum reg_status reg_bundle_plan_make(struct reg_app *app, struct reg_arena *a,
                                     const struct reg_artifact *art, enum reg_bundle_aspect aspect,
                                     struct reg_bundle_plan *out);

/* The "sources" of art's aspect: for the datasets aspect, the ids of the registered datasets
 * its card names ("id1,id2", from the catalog); "" otherwise. A stored bundle is current when
 * its record has art's URL and these sources. */
const char *reg_bundle_plan_sources(struct reg_app *app, struct reg_arena *a,
                                    const struct reg_artifact *art, enum reg_bundle_aspect aspect);

#endif
