/*
 * bundle.h - the registry's own copy of an artifact's files: one zip (a "bundle") streamed
 * from upstream, each file fetched with reg_http_stream (allow-list, redirects, retries before
 * the first byte, timeouts: see http_client.h) and written, as it arrives, into a zip entry
 * (zipstream.h). No file is ever whole in memory.
 *
 * Input: a list of {path, url, size} sorted by path (reg_bundle_hf_files and
 * reg_bundle_gh_files make it from an upstream file listing; bundle/plan.h sorts it) and the
 * fetch settings.
 *
 * The zip, byte for byte the same for the same files (so the same blob digest), and of a length
 * known before its first byte (reg_bundle_zip_size), so that it can be sent while it is being
 * fetched: entries in path order, STORED (no compression: weights do not compress, and a
 * stored entry's place in the zip is known up front), data descriptors, Zip64 past 4 GiB, no
 * time but the zip epoch. See zipstream.h.
 *
 * Failures while streaming: a file whose byte count differs from its listed size, a fetch that
 * fails (404 included: the listing named the file), cannot reach upstream or is refused by
 * the allow-list (REG_EUPSTREAM), or the sink's own status and detail. The zip's first byte reaches
 * the sink only once upstream has answered for the first file, so a failure to reach upstream at
 * all leaves the sink untouched.
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
 * reg_arena_cleanup(a). reg_bundle_stream borrows everything passed to it for the call.
 */
#ifndef REG_BUNDLE_BUNDLE_H
#define REG_BUNDLE_BUNDLE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/status.h"
#include "bundle/zipcheck.h"
#include "bundle/zipstream.h"
#include "rating/signals.h"
#include "upstream/http_client.h"

/* Per-file transfer limit of a fetch from upstream (ms): bundles, and the model scan. */
#define REG_BUNDLE_TRANSFER_MS (30L * 60 * 1000)
/* Files one bundle may hold. */
#define REG_BUNDLE_MAX_FILES 10000
/* Accept header for GitHub's contents API to answer with the raw file. */
#define REG_BUNDLE_GH_ACCEPT "application/vnd.github.raw"

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
    const char *path;       /* the entry name, "onnx/model.onnx" */
    const char *url;        /* where to GET its bytes (under an allowed base) */
    int64_t size;           /* expected bytes, or -1 when unknown */
    const char *oid;        /* the listing's git blob id, or NULL (reg_file_info) */
    const char *lfs_sha256; /* the listing's LFS SHA-256, or NULL */
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
 * The length of the zip of files[0..n): REG_EINVAL for a list reg_bundle_stream would refuse
 * (more than REG_BUNDLE_MAX_FILES files, a path reg_zipcheck_name refuses or that ends in '/',
 * a missing URL or size, paths not sorted or listed twice).
 */
enum reg_status reg_bundle_zip_size(const struct reg_bundle_file *files, int n, int64_t *out);

/* Streams the zip of files[0..n) into sink (see the file comment). */
enum reg_status reg_bundle_stream(const struct reg_bundle_fetch *fetch,
                                  const struct reg_bundle_file *files, int n, reg_zip_sink_fn sink,
                                  void *ctx);

/*
 * The same, telling observer (NULL: none) every file's bytes as they arrive, in the same pass
 * (the pull-through download's model scan, bundle/vet.h): begin(path) before the file's first
 * byte goes to the zip writer, data(bytes) once the writer has them (it may still buffer them:
 * what the sink has taken never includes bytes of a file not yet begun), end() once the
 * file's entry is complete. A non-OK return stops the zip with that status and detail.
 */
enum reg_status reg_bundle_stream_observed(const struct reg_bundle_fetch *fetch,
                                           const struct reg_bundle_file *files, int n,
                                           const struct reg_zip_observer *observer,
                                           reg_zip_sink_fn sink, void *ctx);

#endif
