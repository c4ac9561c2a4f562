/*
 * artifact.h - the artifact model: types, ids, accepted source URLs, names, JSON shapes.
 *
 * Ownership: struct reg_artifact holds borrowed strings; whoever fills it (the store, from an
 * arena it is given, or a handler from the request) decides their lifetime. JSON builders
 * return a new reference that the caller owns.
 */
#ifndef REG_CORE_ARTIFACT_H
#define REG_CORE_ARTIFACT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/limits.h"
#include "base/status.h"

enum reg_artifact_type { REG_TYPE_MODEL, REG_TYPE_DATASET, REG_TYPE_CODE };
#define REG_TYPE_COUNT 3
#define REG_TYPE_BIT(t) (1u << (t))
#define REG_TYPE_ALL                                                                               \
    (REG_TYPE_BIT(REG_TYPE_MODEL) | REG_TYPE_BIT(REG_TYPE_DATASET) | REG_TYPE_BIT(REG_TYPE_CODE))

struct reg_artifact {
    char id[REG_ID_MAX + 1];
    enum reg_artifact_type type;
    const char *name;
    const char *url;
    const char *readme;   /* model card / README text; NULL when none is known */
    const char *metadata; /* upstream metadata as JSON text; NULL when none is known */
    int64_t seq;          /* position in the store's stable order */
};

/* Where a source URL points, once validated. */
enum reg_source_host { REG_SOURCE_HUGGINGFACE, REG_SOURCE_KAGGLE, REG_SOURCE_GITHUB };

struct reg_source {
    enum reg_source_host host;
    const char
        *repo_id;       /* "google-bert/bert-base-uncased", "openai/whisper", "bert-base-uncased" */
    const char *subdir; /* GitHub ".../tree/{ref}/{subdir}", else NULL */
    const char *name;   /* the name derived from the URL */
};

enum reg_status reg_artifact_type_parse(const char *s, enum reg_artifact_type *out);
const char *reg_artifact_type_name(enum reg_artifact_type t);

/* A fresh random id: decimal digits, 10 to 19 of them, from OpenSSL's CSPRNG. Uniqueness is
 * finally enforced by the store, which refuses an id it already holds. */
void reg_artifact_id_new(char out[REG_ID_MAX + 1]);
/* REG_EINVAL unless id matches ^[a-zA-Z0-9-]+$ and fits REG_ID_MAX. */
enum reg_status reg_artifact_id_check(const char *id);

/* Validates url for an artifact of type t (see DESIGN.md "Accepted source URLs"). */
enum reg_status reg_artifact_source_parse(struct reg_arena *a, enum reg_artifact_type t,
                                          const char *url, struct reg_source *out);

/* REG_EINVAL unless name is 1..REG_NAME_MAX bytes of printable UTF-8 and not "*". */
enum reg_status reg_artifact_name_check(const char *name);

/* {"name", "id", "type"} */
struct json_object *reg_artifact_metadata_json(const struct reg_artifact *art);
/* {"metadata": {...}, "data": {"url", "download_url"}}; base_url like "http://host:port". */
struct json_object *reg_artifact_json(const struct reg_artifact *art, const char *base_url);

#endif
