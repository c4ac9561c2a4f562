/*
 * bundle.h - the registry's own copy of an artifact's files: one zip (a "bundle") built by
 * streaming each upstream file, as it arrives, into a zip entry written by libarchive straight
 * into a blob writer (lib/blob/blobstore.h). No file is ever whole in memory; the bundle
 * appears in the blob store complete or not at all.
 *
 * Input: a list of {path, url, expected size} (reg_bundle_hf_files and reg_bundle_gh_files
 * make it from an upstream file listing) and the fetch settings. Each file is fetched with
 * reg_http_stream (allow-list, redirects, retries before the first byte, timeouts: see
 * http_client.h; a config for large files needs a total_timeout_ms that covers one whole
 * transfer).
 *
 * The zip, byte for byte the same for the same files and bytes (so the same blob digest):
 *   - entries sorted by path (bytewise), whatever the order of the list; regular files, mode
 *     0644, uid/gid 0, no directory entries; names as UTF-8 (flagged as such when not ASCII);
 *   - no timestamp but the DOS one, which is then the zip epoch 1980-01-01 00:00 in every
 *     time zone (libarchive clamps an unset mtime to it);
 *   - stored (no compression) for weights and formats that are compressed already
 *     (reg_bundle_is_incompressible), deflated otherwise;
 *   - the entry size is set from the expected size; a file of unknown size (-1) is written
 *     deflated with Zip64 sizes after the data.
 *
 * Refusals and failures (the blob writer is aborted: no blob and no temp file remain):
 *   - before any request: a path that reg_zipcheck_name refuses or that ends in '/', a
 *     missing URL, the same path twice, more than REG_BUNDLE_MAX_FILES files (REG_EINVAL);
 *     expected sizes that already add up past the cap (REG_ETOOLARGE);
 *   - while streaming: the content passing the cap (REG_ETOOLARGE, at the first byte past it);
 *     a file whose byte count differs from a known expected size, a fetch that fails (404
 *     included: the listing named the file) or is refused by the allow-list (REG_EUPSTREAM);
 *     the disk (REG_ESTORE).
 *
 * Aspects: which files of a model a bundle holds (reg_bundle_aspect_includes):
 *   full     every file;
 *   weights  weight files only: *.safetensors, *.bin, *.pt, *.pth, *.onnx, *.gguf, *.h5,
 *            *.msgpack, *.ckpt (case-insensitive);
 *   card     README.md, any *.md, and the configuration files *.json, *.txt, *.yaml, *.yml
 *            (config.json, tokenizer files, ...) that are not weights;
 *   datasets the model's datasets, which the caller bundles from their own listings: no file
 *            of the model itself.
 *
 * Ownership: lists made here are allocated from the arena a (the strings too) and live until
 * reg_arena_cleanup(a). reg_bundle_build borrows everything passed to it for the call and
 * allocates nothing that outlives it but the blob on disk.
 */
#ifndef REG_BUNDLE_BUNDLE_H
#define REG_BUNDLE_BUNDLE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/status.h"
#include "blob/blobstore.h"
#include "rating/signals.h"
#include "upstream/http_client.h"

/* Files one bundle may hold. */
#define REG_BUNDLE_MAX_FILES 10000
/* Accept header for GitHub's contents API to answer with the raw file. */
#define REG_BUNDLE_GH_ACCEPT "application/vnd.github.raw"
/* The blob may exceed the content it holds by the zip's own records: this much in all, plus
 * REG_BUNDLE_ENTRY_OVERHEAD and twice the name per file, plus 1% for deflate's worst case. */
#define REG_BUNDLE_ZIP_OVERHEAD 4096
#define REG_BUNDLE_ENTRY_OVERHEAD 512

enum reg_bundle_aspect {
    REG_BUNDLE_FULL,
    REG_BUNDLE_WEIGHTS,
    REG_BUNDLE_CARD,
    REG_BUNDLE_DATASETS,
};

/* Where a Hugging Face listing comes from. */
enum reg_bundle_hf_kind {
    REG_BUNDLE_HF_MODEL,
    REG_BUNDLE_HF_DATASET,
};

/* One file of a bundle. */
struct reg_bundle_file {
    const char *path; /* the entry name, "onnx/model.onnx" */
    const char *url;  /* where to GET its bytes (under an allowed base) */
    int64_t size;     /* expected bytes, or -1 when unknown */
};

/* How the files are fetched (the same for every file of a bundle). */
struct reg_bundle_fetch {
    const struct reg_http_config *http;
    const char *bearer; /* HF_TOKEN or GITHUB_TOKEN, or NULL */
    const char *accept; /* Accept header, or NULL (GitHub: REG_BUNDLE_GH_ACCEPT) */
};

/* "full", "weights", "card" or "datasets" -> *out; REG_EINVAL naming the choices otherwise. */
enum reg_status reg_bundle_aspect_parse(const char *name, enum reg_bundle_aspect *out);

/* The name of an aspect ("full", ...); a static string. */
const char *reg_bundle_aspect_name(enum reg_bundle_aspect aspect);

/* Whether a bundle of that aspect holds the file at path (see the file comment). */
bool reg_bundle_aspect_includes(enum reg_bundle_aspect aspect, const char *path);

/* Whether path names a weight file (the suffixes of the weights aspect). */
bool reg_bundle_is_weight(const char *path);

/* Whether path names a file stored without compression: weights, and archives, images,
 * audio, video and columnar data formats that are compressed already. */
bool reg_bundle_is_incompressible(const char *path);

/*
 * The files of Hugging Face repository repo_id (a model or dataset id, reg_hf_repo_id_ok)
 * that the aspect includes, in listing order, each with its resolve URL
 *     {hf_endpoint}/{repo_id}/resolve/main/{path}            (model)
 *     {hf_endpoint}/datasets/{repo_id}/resolve/main/{path}   (dataset)
 * where every path segment is percent-encoded (all but A-Z a-z 0-9 - . _ ~), and the listed
 * size (a negative size becomes -1, unknown). *out is allocated from a (NULL when *nout is 0).
 * REG_EINVAL for a malformed id or endpoint; REG_EUPSTREAM for a listed path that
 * reg_zipcheck_name refuses (the listing is upstream data).
 */
enum reg_status reg_bundle_hf_files(struct reg_arena *a, const char *hf_endpoint,
                                    enum reg_bundle_hf_kind kind, const char *repo_id,
                                    const struct reg_file_info *files, int nfiles,
                                    enum reg_bundle_aspect aspect, struct reg_bundle_file **out,
                                    int *nout);

/*
 * The files of GitHub repository repo_id ("owner/repo") from its tree listing (the files of
 * struct reg_code_signals), each with its contents URL
 *     {github_api_url}/repos/{owner}/{repo}/contents/{path}
 * (default branch; fetch with accept REG_BUNDLE_GH_ACCEPT for the raw bytes). GitHub's
 * /zipball answers with a redirect to codeload.github.com, a host outside the allowed bases,
 * so a code bundle is built from the tree and the contents API instead. Errors as for
 * reg_bundle_hf_files.
 */
enum reg_status reg_bundle_gh_files(struct reg_arena *a, const char *github_api_url,
                                    const char *repo_id, const struct reg_file_info *files,
                                    int nfiles, struct reg_bundle_file **out, int *nout);

/*
 * Builds the zip of the n files into the blob store directory blob_dir and fills *out with the
 * committed blob (its digest names it; existed when the store already held these bytes).
 * max_bytes (> 0) caps the content: the sum of the files' bytes; the blob may exceed it by the
 * zip's records (REG_BUNDLE_ZIP_OVERHEAD and the per-file allowance). Errors: REG_EINVAL for a
 * misuse (no directory, fetch settings or list; n < 0; max_bytes <= 0) or a bad list (path,
 * URL, duplicate, too many files); the others as in the file comment. On any failure nothing
 * is left in the store.
 */
enum reg_status reg_bundle_build(const char *blob_dir, const struct reg_bundle_fetch *fetch,
                                 const struct reg_bundle_file *files, int n, int64_t max_bytes,
                                 struct reg_blob_info *out);

#endif
