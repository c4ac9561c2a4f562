/*
 * bundler.h - keeps a bundle (bundle.h) of every registered artifact, in the background, and
 * the records that say which blob is whose.
 *
 * The bundler is a process of its own (fcgi/master.c forks and supervises it) so that
 * fetching gigabytes never holds a request worker. Each pass reads the catalog (every
 * artifact; reloaded when the store changes) and builds, one at a time, each bundle that is
 * missing or stale:
 *   model (Hugging Face)   full, weights, card; datasets when the card names registered
 *                          datasets (their files, under "<dataset id>/")
 *   dataset (Hugging Face) full
 *   code (GitHub)          full (the repository, or its /tree/{ref}/{dir} directory's files)
 *   Kaggle datasets        none: Kaggle has no public API without credentials
 *   uploads                full is the uploaded zip itself, recorded at upload
 * The file list is the one stored at ingest when it is complete (file_count files), else it
 * is fetched again. A bundle larger than REGISTRY_BUNDLE_MAX_BYTES is not kept; the record
 * says so. A failed build is retried after REG_BUNDLE_RETRY_SECONDS unless it cannot succeed
 * for that source (too large, refused file list).
 *
 * Records: $REGISTRY_DATA_DIR/bundles/<id>/<aspect>.json, written by rename (never half), each
 * naming the source URL it was built from, so a re-ingest (PUT with another URL) makes them
 * stale. Blobs and records live on this host's disk: hosts sharing a DynamoDB store each keep
 * their own bundles.
 *
 * Ownership: records are plain values.
 */
#ifndef REG_BUNDLE_BUNDLER_H
#define REG_BUNDLE_BUNDLER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "base/limits.h"
#include "bundle/bundle.h"

/* Seconds before a failed build of the same source is tried again. */
#define REG_BUNDLE_RETRY_SECONDS 300
/* How often the bundler looks for changes (ms), and rescans without one (s, for retries). */
#define REG_BUNDLER_IDLE_MS 500
#define REG_BUNDLER_RESCAN_SECONDS 60
/* Per-file transfer limit of a bundle download from upstream (ms). */
#define REG_BUNDLE_TRANSFER_MS (30L * 60 * 1000)

struct reg_bundle_record {
    bool ok;
    char sha256[65];
    int64_t size;
    char url[REG_URL_MAX + 1];        /* the source URL the bundle was built from */
    char sources[1024];               /* datasets aspect: the dataset ids it holds */
    char error[REG_ERROR_DETAIL_MAX]; /* why there is no bundle (ok false) */
    bool permanent;                   /* the error cannot go away for this source */
    int64_t at;                       /* Unix time of the build or failure */
};

/* The record of an artifact's aspect; REG_ENOTFOUND when none was written yet. */
enum reg_status reg_bundle_record_read(const char *data_dir, const char *id,
                                       enum reg_bundle_aspect aspect,
                                       struct reg_bundle_record *out);

/* Writes (replaces) the record atomically. */
enum reg_status reg_bundle_record_write(const char *data_dir, const char *id,
                                        enum reg_bundle_aspect aspect,
                                        const struct reg_bundle_record *rec);

/* One pass over the catalog: builds what is missing or stale, until done or *stop. Returns
 * the number of bundles built or attempted. */
int reg_bundler_pass(struct reg_app *app, const volatile sig_atomic_t *stop);

/* The bundler process: passes until *stop. Returns the process exit status. */
int reg_bundler_run(const struct reg_config *cfg, struct reg_pool_status *pool,
                    const volatile sig_atomic_t *stop);

#endif
