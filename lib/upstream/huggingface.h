/*
 * huggingface.h - the Hugging Face Hub facts the rating reads about a model (struct
 * reg_model_signals) or a dataset (struct reg_dataset_signals), fetched through the upstream
 * HTTP client, mapped the way tests/unit/rating/corpus_loader.h maps the recorded corpus.
 *
 * Calls (all under hf_endpoint, e.g. https://huggingface.co or the fixture server), each
 * group in one concurrent round:
 *   model:   /api/models/{id}?blobs=true, /{id}/resolve/main/README.md,
 *            /{id}/resolve/main/config.json, /api/models/{id}/refs
 *   dataset: /api/datasets/{id}?blobs=true, /datasets/{id}/resolve/main/README.md,
 *            /api/datasets/{id}/refs
 * The refs answer ({"branches", "converts", "tags": [{"name", "ref", "targetCommit"}]}) gives
 * git_tags, the repository's versions to be (the Hub versions repositories by git tags, "vX"
 * or "X"); a refs route that is missing (404) or refused (401/403) gives none.
 * Redirects (renamed repositories) are followed by the HTTP client; repo_id is then the id the
 * info answer names ("squad" -> "rajpurkar/squad"). That new name is remembered for a while
 * (upstream/hf_aliases.h), and later fetches of the old name ask for it at once: one round
 * trip instead of two.
 *
 * What a model fetch leaves to the caller: name, code (fetch code_urls with
 * reg_gh_fetch_repo), dataset_info (reg_hf_fetch_dataset for each of datasets) and
 * parent_scores.
 *
 * Ownership: everything *out points to is allocated from the arena a (or owned by JSON
 * objects the arena releases) and lives until reg_arena_cleanup(a). Strings passed in are
 * borrowed for the call only.
 */
#ifndef REG_UPSTREAM_HUGGINGFACE_H
#define REG_UPSTREAM_HUGGINGFACE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/status.h"
#include "rating/signals.h"
#include "upstream/http_client.h"

/* Cap on an info answer (JSON). */
#define REG_HF_JSON_MAX ((size_t)8 * 1024 * 1024)
/* Cap on config.json; a larger one is treated as absent. */
#define REG_HF_CONFIG_MAX ((size_t)1024 * 1024)
/* Cap on a README download; the text kept is then truncated to REG_README_MAX at a UTF-8
 * boundary. A README larger than this cap is treated as absent. */
#define REG_HF_README_FETCH_MAX ((size_t)8 * 1024 * 1024)
/* GitHub repository links kept per model. */
#define REG_HF_MAX_CODE_URLS 32

/* Whether id is a Hugging Face repository id: "name" or "org/name", parts of [A-Za-z0-9._-]
 * other than "." and "..", at most REG_REPO_SEGMENT_MAX bytes each (base/limits.h). */
bool reg_hf_repo_id_ok(const char *id);

/*
 * Fetches model repo_id ("org/name" or a legacy "name") into *out: repo_id (as the Hub names
 * it), readme, card_json (cardData serialised), config_json, license (cardData.license, a
 * string or the first of a list, else the first "license:xxx" tag), downloads, likes,
 * last_modified, tags, pipeline_tag, library_name, files (siblings; size, else lfs.size),
 * datasets (cardData.datasets, a string or a list), code_urls (GitHub repositories named in
 * the README, then in cardData; see reg_gh_find_repo_urls), git_tags (the refs' tag names) and
 * hub_seconds (the longest of the requests). token, when non-NULL and non-empty, is sent as a bearer token.
 *
 * Errors: REG_EINVAL for a malformed repo_id; REG_ENOTFOUND "model X does not exist on
 * Hugging Face" when the info answers 404 (or 401 "Repository not found", as the Hub answers
 * anonymous callers); REG_EUPSTREAM with the detail for any other failure of the info, or of
 * README/config/refs other than 404 (absent) and 401/403 (gated: absent, not an error).
 */
enum reg_status reg_hf_fetch_model(const struct reg_http_config *cfg, const char *hf_endpoint,
                                   const char *token, struct reg_arena *a, const char *repo_id,
                                   struct reg_model_signals *out);

/*
 * Fetches dataset repo_id into *out: repo_id, readme, license, downloads, likes, tags, files,
 * git_tags and fetch_seconds (the longer of the two requests). Errors as for a model, with "dataset X
 * does not exist on Hugging Face".
 */
enum reg_status reg_hf_fetch_dataset(const struct reg_http_config *cfg, const char *hf_endpoint,
                                     const char *token, struct reg_arena *a, const char *repo_id,
                                     struct reg_dataset_signals *out);

#endif
