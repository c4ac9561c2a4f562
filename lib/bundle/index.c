/*
 * index.c - bundle records and reference markers in the blob store (see index.h).
 */
#include "bundle/index.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/json.h"
#include "blob/blobstore.h"
#include "core/artifact.h"

#define RECORDS "records/"
#define REFS "refs/"

static const char *
record_key(struct reg_arena *a, const char *id, const char *aspect)
{
    return reg_arena_sprintf(a, RECORDS "%s/%s.json", id, aspect);
}

static const char *
ref_key(struct reg_arena *a, const char *sha256, const char *id, const char *aspect)
{
    return reg_arena_sprintf(a, REFS "%s/%s.%s", sha256, id, aspect);
}

static void
copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* The record stored under key. */
static enum reg_status
read_record(struct reg_blobs *b, struct reg_arena *a, const char *key,
            struct reg_bundle_record *out)
{
    struct json_object *doc = NULL;
    char *text;
    size_t len;
    enum reg_status st = reg_blobs_meta_get(b, a, key, &text, &len);

    memset(out, 0, sizeof(*out));
    if (st == REG_OK && reg_json_parse_object(a, text, len, &doc) != REG_OK)
        return reg_errorf(REG_ESTORE, "bundle record %s is damaged", key);
    if (st != REG_OK)
        return st;
    copy_str(out->sha256, sizeof(out->sha256), reg_json_str(doc, "sha256"));
    copy_str(out->url, sizeof(out->url), reg_json_str(doc, "url"));
    copy_str(out->sources, sizeof(out->sources), reg_json_str(doc, "sources"));
    out->size = reg_json_int(doc, "size");
    out->at = reg_json_int(doc, "at");
    if (!reg_blob_sha256_ok(out->sha256))
        return reg_errorf(REG_ESTORE, "bundle record %s is damaged", key);
    return REG_OK;
}

enum reg_status
reg_bundle_index_get(struct reg_blobs *b, const char *id, enum reg_bundle_aspect aspect,
                     struct reg_bundle_record *out)
{
    struct reg_arena a;
    enum reg_status st = reg_artifact_id_check(id);

    memset(out, 0, sizeof(*out));
    if (st != REG_OK)
        return st;
    reg_arena_init(&a);
    st = read_record(b, &a, record_key(&a, id, reg_bundle_aspect_name(aspect)), out);
    reg_arena_cleanup(&a);
    return st;
}

static enum reg_status
count_one(void *ctx, const char *key)
{
    (void)key;
    ++*(int *)ctx;
    return REG_OK;
}

/* Drops the marker of (id, aspect) on sha256, then the blob when no marker is left. */
static enum reg_status
release(struct reg_blobs *b, struct reg_arena *a, const char *sha256, const char *id,
        const char *aspect)
{
    int left = 0;
    enum reg_status st = reg_blobs_meta_delete(b, ref_key(a, sha256, id, aspect));

    if (st == REG_OK)
        st = reg_blobs_meta_list(b, reg_arena_sprintf(a, REFS "%s/", sha256), count_one, &left);
    if (st == REG_OK && left == 0)
        st = reg_blobs_remove(b, sha256);
    return st;
}

enum reg_status
reg_bundle_index_drop_unused(struct reg_blobs *b, const char *sha256)
{
    struct reg_arena a;
    int refs = 0;
    enum reg_status st;

    reg_arena_init(&a);
    st = reg_blobs_meta_list(b, reg_arena_sprintf(&a, REFS "%s/", sha256), count_one, &refs);
    if (st == REG_OK && refs == 0)
        st = reg_blobs_remove(b, sha256);
    reg_arena_cleanup(&a);
    return st;
}

enum reg_status
reg_bundle_index_set(struct reg_blobs *b, const char *id, enum reg_bundle_aspect aspect,
                     const struct reg_bundle_record *rec)
{
    const char *name = reg_bundle_aspect_name(aspect), *text;
    struct reg_bundle_record old;
    struct json_object *doc;
    struct reg_arena a;
    size_t len;
    bool had_old;
    enum reg_status st = reg_artifact_id_check(id);

    if (st == REG_OK && !reg_blob_sha256_ok(rec->sha256))
        st = reg_errorf(REG_EINVAL, "a bundle record needs the blob's SHA-256");
    if (st != REG_OK)
        return st;
    reg_arena_init(&a);
    had_old = read_record(b, &a, record_key(&a, id, name), &old) == REG_OK;
    doc = reg_arena_own_json(&a, json_object_new_object());
    json_object_object_add(doc, "sha256", json_object_new_string(rec->sha256));
    json_object_object_add(doc, "size", json_object_new_int64(rec->size));
    json_object_object_add(doc, "url", json_object_new_string(rec->url));
    json_object_object_add(doc, "sources", json_object_new_string(rec->sources));
    json_object_object_add(doc, "at", json_object_new_int64(rec->at ? rec->at : time(NULL)));
    text = reg_json_text(doc, &len);
    st = reg_blobs_meta_put(b, ref_key(&a, rec->sha256, id, name), id, strlen(id));
    if (st == REG_OK)
        st = reg_blobs_meta_put(b, record_key(&a, id, name), text, len);
    if (st == REG_OK && had_old && strcmp(old.sha256, rec->sha256) != 0)
        st = release(b, &a, old.sha256, id, name);
    reg_arena_cleanup(&a);
    return st;
}

/* Forgets the record stored under key "records/<id>/<aspect>.json". */
static enum reg_status
forget_key(void *ctx, const char *key)
{
    struct reg_blobs *b = ctx;
    struct reg_bundle_record rec;
    struct reg_arena a;
    char id[REG_ID_MAX + 1], aspect[16];
    enum reg_status st;

    if (sscanf(key, RECORDS "%32[A-Za-z0-9-]/%15[a-z].json", id, aspect) != 2)
        return reg_blobs_meta_delete(b, key); /* not a record: nothing refers to it */
    reg_arena_init(&a);
    st = read_record(b, &a, key, &rec);
    if (st == REG_OK || st == REG_ESTORE)
        st = reg_blobs_meta_delete(b, key);
    /* A damaged record names no blob; its marker, if any, goes with the next reset. */
    if (st == REG_OK && reg_blob_sha256_ok(rec.sha256))
        st = release(b, &a, rec.sha256, id, aspect);
    reg_arena_cleanup(&a);
    return st;
}

enum reg_status
reg_bundle_index_forget(struct reg_blobs *b, const char *id)
{
    struct reg_arena a;
    enum reg_status st = reg_artifact_id_check(id);

    if (st != REG_OK)
        return st;
    reg_arena_init(&a);
    st = reg_blobs_meta_list(b, reg_arena_sprintf(&a, RECORDS "%s/", id), forget_key, b);
    reg_arena_cleanup(&a);
    return st;
}

struct id_lister {
    reg_blobs_key_fn fn;
    void *ctx;
};

/* Hands the id of record key "records/<id>/<aspect>.json" on. */
static enum reg_status
list_id(void *ctx, const char *key)
{
    const struct id_lister *l = ctx;
    char id[REG_ID_MAX + 1];

    if (sscanf(key, RECORDS "%32[A-Za-z0-9-]/", id) != 1)
        return REG_OK;
    return l->fn(l->ctx, id);
}

enum reg_status
reg_bundle_index_ids(struct reg_blobs *b, const char *prefix, reg_blobs_key_fn fn, void *ctx)
{
    struct id_lister l = {fn, ctx};
    struct reg_arena a;
    enum reg_status st;

    reg_arena_init(&a);
    st = reg_blobs_meta_list(b, reg_arena_sprintf(&a, RECORDS "%s", prefix), list_id, &l);
    reg_arena_cleanup(&a);
    return st;
}

/* Removes a marker left without its record, and its blob. */
static enum reg_status
drop_ref(void *ctx, const char *key)
{
    struct reg_blobs *b = ctx;
    char sha256[65];
    enum reg_status st = reg_blobs_meta_delete(b, key);

    if (st == REG_OK && sscanf(key, REFS "%64[0-9a-f]/", sha256) == 1)
        st = reg_blobs_remove(b, sha256);
    return st;
}

enum reg_status
reg_bundle_index_forget_all(struct reg_blobs *b)
{
    enum reg_status st = reg_blobs_meta_list(b, RECORDS, forget_key, b);

    if (st == REG_OK)
        st = reg_blobs_meta_list(b, REFS, drop_ref, b);
    return st;
}
