/*
 * blobstore.h - a content-addressed blob store in one directory of the local disk (the caller
 * passes $REGISTRY_DATA_DIR/blobs). Every blob is the file
 *     <dir>/<first 2 hex digits>/<64 hex digits of its SHA-256>.zip
 * written once and never changed afterwards, so nginx can serve it straight from disk and two
 * artifacts with the same bytes share one file.
 *
 * Writing a blob (a stack struct reg_blob_writer):
 *   reg_blob_begin   creates a unique temp file <dir>/tmp/<32 random hex>.part (O_EXCL, 0600),
 *                    creating <dir> and <dir>/tmp when missing;
 *   reg_blob_write   streams bytes into it, hashing them (SHA-256, OpenSSL EVP) and counting
 *                    them against the caller's byte cap (REG_ETOOLARGE past it);
 *   reg_blob_commit  fsyncs the file, makes it readable (0644, for nginx), then moves it to its
 *                    final path with one atomic rename(2) and fsyncs that directory. When a blob
 *                    with that name and size is already there, the temp file is just removed;
 *   reg_blob_abort   removes the temp file.
 * A blob is never visible at a final path until it is complete: every failure leaves at most a
 * file under <dir>/tmp/, which reg_blob_abort removes, and which a crash can leave behind for
 * reg_blob_sweep_tmp to remove at start-up.
 *
 * Errors: REG_ESTORE for the file system (the detail names the path and errno text),
 * REG_ETOOLARGE past the cap, REG_EINVAL for a malformed digest or an unusable directory name,
 * REG_EINTERNAL for a writer used out of order.
 *
 * Ownership: the caller owns the writer struct; between a successful reg_blob_begin and
 * reg_blob_commit or reg_blob_abort it holds an open file, a digest context and two malloc'd
 * paths. reg_blob_commit releases them whatever its outcome; reg_blob_abort is the cleanup
 * function: it accepts NULL, a zeroed writer, a failed one, a committed one, and may be called
 * any number of times. Strings passed in are borrowed for the call only.
 */
#ifndef REG_BLOB_BLOBSTORE_H
#define REG_BLOB_BLOBSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

/* Hex digits of a SHA-256 digest. */
#define REG_BLOB_SHA256_HEX 64
/* Longest path of a blob or temp file (bytes, with the NUL); a longer dir is refused. */
#define REG_BLOB_PATH_MAX 4096
/* The temp directory under the store directory, and the suffixes of the two kinds of file. */
#define REG_BLOB_TMP_DIR "tmp"
#define REG_BLOB_TMP_SUFFIX ".part"
#define REG_BLOB_SUFFIX ".zip"
/* Modes: the temp file while written, the committed blob (read by nginx), directories. */
#define REG_BLOB_TMP_MODE 0600
#define REG_BLOB_FILE_MODE 0644
#define REG_BLOB_DIR_MODE 0755
/* Temp files older than this are stale at start-up (no upload or bundle takes a day). */
#define REG_BLOB_STALE_SECONDS (24 * 3600)

struct evp_md_ctx_st; /* OpenSSL's EVP_MD_CTX */

/* A blob being written. Fields are private: use the functions below. */
struct reg_blob_writer {
    int state; /* 0 = idle (zeroed, committed or aborted); 1 = open */
    int fd;
    char *tmp_path; /* <dir>/tmp/<random>.part, malloc'd */
    char *dir;      /* the store directory, malloc'd */
    struct evp_md_ctx_st *md;
    int64_t size;
    int64_t max_bytes;
    enum reg_status failed; /* REG_OK until a write fails; then every later call fails */
};

/* A committed blob. */
struct reg_blob_info {
    char sha256[REG_BLOB_SHA256_HEX + 1]; /* lowercase hex */
    int64_t size;
    bool existed; /* the store already held it; this writer's copy was dropped */
};

/*
 * Starts a blob in store directory dir (created if missing, with tmp/ under it; its parent must
 * exist) that may grow to max_bytes (> 0). On failure the writer stays idle and nothing is left
 * on disk.
 */
enum reg_status reg_blob_begin(struct reg_blob_writer *w, const char *dir, int64_t max_bytes);

/*
 * Appends len bytes. Past the cap nothing of the chunk is written and REG_ETOOLARGE ("blob
 * exceeds the cap of N bytes") is returned; after any failure the writer refuses every further
 * write and commit with the same status, and only reg_blob_abort remains to be called.
 */
enum reg_status reg_blob_write(struct reg_blob_writer *w, const void *data, size_t len);

/*
 * Makes the blob durable and visible at its final path (see the file comment) and fills *out.
 * On any failure the temp file is removed and nothing appears at a final path. Either way the
 * writer is idle afterwards.
 */
enum reg_status reg_blob_commit(struct reg_blob_writer *w, struct reg_blob_info *out);

/* Removes the temp file and releases the writer; see Ownership. */
void reg_blob_abort(struct reg_blob_writer *w);

/* Whether s is exactly 64 lowercase hex digits. */
bool reg_blob_sha256_ok(const char *s);

/* Bytes of a blob's name "<2 hex>/<64 hex>.zip", with the NUL. */
#define REG_BLOB_NAME_MAX (2 + 1 + REG_BLOB_SHA256_HEX + sizeof(REG_BLOB_SUFFIX))

/*
 * The name of blob sha256 relative to a store's root: "<first 2 hex>/<64 hex>.zip". The one
 * place the layout is spelled: the disk path, nginx's internal URI and the S3 key all append
 * it. REG_EINVAL for a malformed digest.
 */
enum reg_status reg_blob_name(char out[REG_BLOB_NAME_MAX], const char *sha256);

/*
 * Writes the final path of the blob with digest sha256 (64 lowercase hex digits, else
 * REG_EINVAL) in store dir into out (cap bytes; REG_EINVAL if it does not fit). Whether the
 * blob exists is not checked.
 */
enum reg_status reg_blob_path(char *out, size_t cap, const char *dir, const char *sha256);

/*
 * Removes every temp file (<dir>/tmp/<name>.part, regular files only) last modified at least
 * older_than_seconds ago; for start-up, when no writer of an earlier process can still be
 * running. *removed (if non-NULL) receives how many were removed. A missing tmp/ directory is
 * no error. Returns REG_ESTORE when the directory cannot be read or a file cannot be removed.
 */
enum reg_status reg_blob_sweep_tmp(const char *dir, int64_t older_than_seconds, int *removed);

#endif
