/*
 * vet.h - the pull-through download's model scan (issue 17): the filler's zip observer
 * (bundle.h), which scans every file as its bytes arrive (core/security.h, no second read,
 * bounded memory), and the "vetted" watermark it keeps: the end of the zip's prefix whose files
 * have all passed, the only bytes a download may hand out.
 *
 * Holding: only where the policy can refuse (REGISTRY_SCAN_POLICY=block and a model) are bytes
 * held for verdicts. A file the scanner reads (reg_scan_format_of is not NONE) moves the
 * watermark once its verdict passes, to the end of everything written so far (its data
 * descriptor included); a file it does not read passes at once, its bytes released as they
 * arrive (published every REG_VET_STEP bytes and at its end). A refused file stops the zip with
 * REG_EDISQUALIFIED and the detail of reg_security_decide (files, verdicts, imports). Under
 * flag, off, or for datasets and code, nothing is held (nothing can be refused): the scan runs
 * (not under off) and its tally is logged.
 *
 * Publication: a small file <key>.vetted holding "<offset> <settled>\n", replaced atomically
 * (written beside it, then rename(2)), so a reader sees an old or a new watermark, never a torn
 * one, and a filler that dies leaves one that is still true (it only ever covers vetted bytes);
 * no header in the zip (its bytes are the bundle's, hashed into the blob) and no shared
 * memory to set up across the double fork. It is rewritten at most once per file and per
 * REG_VET_STEP bytes, and readers re-read it only when they have caught up with the copy they
 * read last. settled = 1 once no file left can be refused (the last file the scanner reads has
 * passed): a download may then answer 200 without risking a cut body. The filler writes
 * "<zip length> 1" when the zip is complete and removes the file once the bundle is stored, so
 * a missing file means the whole zip is vetted (the fill creates it before its filler starts).
 *
 * Ownership: a struct reg_vet borrows the file list, the written counter and the path for its
 * life; its report lives in the arena given to reg_vet_init; reg_vet_cleanup frees the scan
 * under way (safe after any return).
 */
#ifndef REG_BUNDLE_VET_H
#define REG_BUNDLE_VET_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "bundle/bundle.h"
#include "core/security.h"

/* Bytes of files the scanner does not read released per rewrite of the watermark. */
#define REG_VET_STEP ((int64_t)1024 * 1024)

struct reg_vet {
    struct reg_security_scanner scanner;
    bool scanning;          /* the policy is not off */
    bool holds;             /* block and a model: bytes wait for verdicts */
    const int64_t *written; /* zip bytes the sink has taken so far */
    const char *path;       /* <key>.vetted, or NULL: nothing published */
    int last_scanned;       /* index of the last file the scanner reads, -1 when none */
    int index;              /* the file under way */
    bool current_scanned;   /* the scanner reads it */
    int64_t vetted;         /* the watermark */
    int64_t published;      /* the watermark in the file */
    bool settled;
    struct reg_zip_observer observer; /* give to reg_bundle_stream_observed (not under off) */
};

/* A vetter for the zip of files[0..n) of an artifact of type under policy; path NULL
 * publishes nothing. */
void reg_vet_init(struct reg_vet *v, struct reg_arena *a, enum reg_scan_policy policy,
                  enum reg_artifact_type type, const struct reg_bundle_file *files, int n,
                  const int64_t *written, const char *path);

/* The first watermark (0, settled when no file can be refused); REG_ESTORE if unwritable. */
enum reg_status reg_vet_start(struct reg_vet *v);

/* The zip is complete (total bytes): all of it is vetted. */
enum reg_status reg_vet_finish(struct reg_vet *v, int64_t total);

void reg_vet_cleanup(struct reg_vet *v);

/* Writes "<vetted> <settled>" to path atomically (path.tmp, then rename). */
enum reg_status reg_vet_publish(const char *path, int64_t vetted, bool settled);

/* Reads path into *vetted and *settled; a missing file is the whole zip (total, settled).
 * REG_ESTORE for any other failure, leaving *vetted and *settled as they were. */
enum reg_status reg_vet_read(const char *path, int64_t total, int64_t *vetted, bool *settled);

/* Whether the policy holds bytes of a bundle of type for verdicts (block and a model). */
bool reg_vet_holds(enum reg_scan_policy policy, enum reg_artifact_type type);

#endif
