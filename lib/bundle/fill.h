/*
 * fill.h - pull-through downloads: a bundle that is not stored yet is fetched once, into a
 * part file on this host, while any number of downloads stream it from that file as it grows;
 * the finished file becomes the blob (blob/blobs.h) and its record (bundle/index.h), and the
 * next download is served from the stored copy by nginx.
 *
 * Files, under $REGISTRY_DATA_DIR/fills/, for a key <id>.<aspect>.<16 hex of the source>:
 *   .lock        a mutex (flock) held only while a download decides what to do (one for all
 *                keys: deciding takes a record read and a stat, and nothing is left per key);
 *   <key>.part   the zip being written; its filler holds an exclusive flock on it for as long as
 *                it runs, so "the flock is free" means "no filler" (it finished or died);
 *   <key>.err    why the last filler failed ("<status name>\n<detail>");
 *   <key>.vetted the watermark of the model scan (bundle/vet.h), while a filler holds bytes.
 *
 * The decision, under the mutex: the bundle is stored (its record names the source and the
 * blob exists) -> serve the stored copy; a filler is running -> stream its part file; else
 * check the cap and the free-space reserve, create a new part file, lock it and start a
 * filler. The filler is a process of its own (double fork from the worker), so it outlives
 * the download that started it: a client that goes away does not waste the fetch, and later
 * downloads join it. It streams the zip (bundle.h) into the part file; once the last byte is
 * written, it hashes the file (SHA-256), puts it in the blob store, writes the record, removes
 * the part file and exits.
 *
 * A download streams the part file from its start, waiting (polling) at its end while the
 * filler runs. The zip's length is known before its first byte (bundle.h), so the download
 * sends Content-Length, and a filler that fails midway gives a short body the client notices.
 * Before sending anything, the download waits for the part file's first byte: a filler that
 * cannot reach upstream fails before writing one, and the download answers 503 instead.
 *
 * The model scan (issue 17; bundle/vet.h): the filler scans every file as it streams. Under
 * REGISTRY_SCAN_POLICY=block, for a model, downloads hand out only the vetted prefix of the part
 * file (no byte of a file before its verdict), and a download answers only once no file left
 * can be refused (settled), or after REG_FILL_HOLD_MS with bytes vetted (a model whose weights
 * take longer to fetch starts streaming then, so that no client or proxy times out waiting for
 * headers). A refused file stops the filler: its part file goes, nothing is stored, and its
 * .err names REG_EDISQUALIFIED with the files, verdicts and imports. A download still waiting
 * answers 424 with that detail; one already streaming is cut short (its Content-Length was
 * sent); later downloads of the same key get the same 424 from the .err, without fetching
 * again, for REG_FILL_REFUSAL_S (the key changes with the source; after that the model is
 * fetched and scanned again, in case upstream replaced the file at the same URL). Under flag or
 * off, and for datasets and code, nothing is held: the scan runs (not under off) and is logged.
 *
 * Ownership: a struct reg_fill is the caller's; reg_fill_close releases it (NULL-safe, and
 * safe on a zeroed struct). The plan is borrowed; the filler's copy of it is its own (fork).
 */
#ifndef REG_BUNDLE_FILL_H
#define REG_BUNDLE_FILL_H

#include <stdbool.h>
#include <stdint.h>

#include "base/config.h"
#include "blob/blobs.h"
#include "bundle/index.h"
#include "bundle/plan.h"
#include "core/security.h"

/* The mutex file in the fills directory. */
#define REG_FILL_LOCK ".lock"
/* Bytes read from a part file at a time. */
#define REG_FILL_CHUNK ((size_t)256 * 1024)
/* How long a download waits at the end of a part file before looking again (ms). */
#define REG_FILL_POLL_MS 10
/* A filler that writes nothing for this long is given up by its readers (ms). */
#define REG_FILL_STALL_MS (10L * 60 * 1000)
/* How long a download waits for every verdict before it streams the vetted bytes (ms). */
#define REG_FILL_HOLD_MS (15L * 1000)
/* How long a scan's refusal of a key stands before the next download fetches it again (s). */
#define REG_FILL_REFUSAL_S (24L * 60 * 60)

/* Where and under which limits fills run. */
struct reg_fill_env {
    const struct reg_config *cfg; /* the filler opens its own blob store from it */
    const char *dir;              /* $REGISTRY_DATA_DIR/fills */
    int64_t reserve_bytes;        /* REGISTRY_BLOB_RESERVE_BYTES: free space kept */
    int64_t max_bytes;            /* REGISTRY_BUNDLE_MAX_BYTES: 0 = no cap */
    /* Told the filler's scan (files by verdict, refused): the pool's tally, which the filler
     * shares with the worker it was forked from. NULL: nobody listens. */
    void (*observe_scan)(void *ctx, const int counts[REG_SECURITY_VERDICTS], bool refused);
    void *observe_ctx;
};

/* A download reading a part file. */
struct reg_fill {
    int fd;        /* the part file, read-only; -1 when closed */
    int64_t total; /* the zip's length */
    char err_path[1024];
    long stalled_ms; /* since the part file last grew */
    int64_t seen;    /* its length then */
    /* The model scan's watermark (vet.h), when the policy holds bytes for verdicts. */
    bool vetting;
    char vetted_path[1024];
    int64_t vetted; /* as last read */
    bool settled;
    long held_ms; /* waited for verdicts before answering */
};

/* What reg_fill_open decided. */
enum reg_fill_how {
    REG_FILL_STORED,   /* *rec names the stored blob: serve it */
    REG_FILL_STREAMED, /* *fill reads the part file of a running filler */
};

/*
 * Decides (see the file comment) for the plan p with blob store b. REG_ENOSPACE (507) when
 * the zip is larger than the cap, or storing it would leave less free space than the reserve;
 * REG_EDISQUALIFIED (424) when the scan refused this key less than REG_FILL_REFUSAL_S ago;
 * REG_EINVAL for a plan whose files cannot make a zip; REG_ESTORE for the file system.
 */
enum reg_status reg_fill_open(const struct reg_fill_env *env, struct reg_blobs *b,
                              const struct reg_bundle_plan *p, enum reg_fill_how *how,
                              struct reg_bundle_record *rec, struct reg_fill *fill);

/*
 * Waits until the download may answer: the part file has a first byte it may hand out (and,
 * under the scan's hold, no file left can be refused, or REG_FILL_HOLD_MS passed). When the
 * filler ended before that, returns its failure as REG_EUNAVAILABLE (upstream could not be
 * reached or failed: retry later), REG_EDISQUALIFIED (the scan refused the model) or
 * REG_ENOSPACE / REG_ESTORE (this host's disk), with the filler's detail.
 */
enum reg_status reg_fill_wait_first(struct reg_fill *fill);

/*
 * Hands bytes [offset, offset + len) of the zip to sink (len -1: to the end), waiting for the
 * filler where the part file, or its vetted prefix, ends. REG_EUPSTREAM when the filler fails or stalls before
 * writing them; otherwise the sink's own status.
 */
enum reg_status reg_fill_read(struct reg_fill *fill, int64_t offset, int64_t len,
                              reg_blobs_sink_fn sink, void *ctx);

void reg_fill_close(struct reg_fill *fill);

/* Refuses (REG_ENOSPACE) a zip of total bytes above env's cap, or that would leave less free
 * space than env's reserve in env->dir; REG_ESTORE when the file system cannot say. Fills check
 * it before they start; a download that copies a bundle elsewhere (a sensitive model's) too. */
enum reg_status reg_fill_check_room(const struct reg_fill_env *env, int64_t total);

/* The record a finished filler writes: the blob, the plan's source and the time. */
void reg_fill_record(const struct reg_bundle_plan *p, const char *sha256, int64_t size,
                     struct reg_bundle_record *out);

#endif
