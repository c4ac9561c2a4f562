/*
 * store_dynamodb.c - the store on one DynamoDB table (single-table design), for registries
 * whose hosts share one store: artifacts, enumerate, the catalog's scan and the regex search's
 * README feed, reset, and the table itself. Users, tokens, audit entries and the token secret are in
 * store_dynamodb_auth.c; the item helpers and the counters in dynamodb_items.c; what the three
 * share in store_dynamodb_int.h.
 *
 * Keys: pk (S) and sk (S). Indexes: "bySeq" (gsi1pk S, gsi1sk N) and "byName" (gsi2pk S,
 * gsi2sk N), both projecting all attributes. Items:
 *   artifact      pk "A#<id>"           sk "A"          id, type, name, url, metadata, seq,
 *                                                       readme_token, readme_chunks, write_token,
 *                                                       gsi1pk "ART" gsi1sk seq,
 *                                                       gsi2pk "N#<name>" gsi2sk seq
 *   README chunk  pk "A#<id>"   sk "B#<token>#0000"...  text: at most CHUNK_BYTES of the README,
 *                                                       so a 1 MB README stays far below the
 *                                                       400 KB item limit (the first at most
 *                                                       REG_SEARCH_README_MAX, all search reads);
 *                                                       only the chunks of the artifact's
 *                                                       readme_token are read, so a failed or
 *                                                       replaced write never mixes in
 *   URL claim     pk "U#<type>#<sha256(url)>"  sk "U"   id, url, claim_token, claimed_at: makes
 *                                                       type + url unique
 *   counters      pk "META"             sk "COUNTERS"   seq (enumerate order), generation (bumped
 *                                                       by every artifact change, for the
 *                                                       workers' catalogs), count; see dynamodb_items.c
 *   package group pk "GRP"              sk "<id>"       owner, state, created, expires, version,
 *                                                       commands, result, marks: see
 *                                                       store_dynamodb_groups.c
 * An artifact item written by a package group's commit carries grp (the group's id) until the
 * group's commit is finished, and an update's item also the previous url, metadata and README
 * (prev_url, prev_metadata, prev_readme_token, prev_readme_chunks): every read resolves such an
 * item through reg_ddb_visible (absent, or its previous version, unless the group committed).
 * The artifact's partition also holds its audit entries (sk "L#...") and audit reader marks
 * (sk "R#..."), see store_dynamodb_auth.c, and its sensitivity (sk "S") and download history
 * (sk "H#..."), see store_dynamodb_sensitive.c; all sort after its item and chunks.
 *
 * No correctness property depends on transactions (DynamoDB-compatible test servers lack them):
 * - A registration claims its URL first (conditional put), writes the README chunks, then the
 *   artifact item (conditional put): a crash in between leaves at most a claim whose artifact
 *   does not exist, which a registration of that URL takes over once it is STALE_CLAIM_SECONDS
 *   old, and chunks that nothing reads. A conditional write retried after a 5xx that had in
 *   fact landed is recognised by its token, so nothing is written twice.
 * - Token uses and the last admin: see store_dynamodb_auth.c.
 * Reads of one artifact, user or counter are strongly consistent. Enumerate and by-name use
 * the indexes, which DynamoDB keeps eventually consistent (milliseconds behind a write).
 * Enumerate reads at most MAX_PAGES index pages per request and may answer a short page with a
 * cursor, so no request reads the whole table.
 */
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/dynamodb.h"
#include "base/buf.h"
#include "base/str.h"
#include "store/store.h"
#include "store/store_dynamodb_int.h"

#define CHUNK_BYTES 300000
#define MAX_PAGES 8
#define TABLE_WAIT_SECONDS 60
/* A URL claim whose artifact never appeared is taken over after this long: a registration in
 * progress finishes far sooner. */
#define STALE_CLAIM_SECONDS 60

/* ---- artifacts ----------------------------------------------------------------------------- */

const char *
reg_ddb_artifact_pk(struct reg_arena *a, const char *id)
{
    return reg_arena_sprintf(a, "A#%s", id);
}

/* The claim key: the URL's SHA-256, since a URL may exceed DynamoDB's 2048-byte key limit. */
static const char *
url_pk(struct reg_arena *a, const struct reg_artifact *art)
{
    unsigned char digest[32];
    char hex[65];
    unsigned int len = 0;

    EVP_Digest(art->url, strlen(art->url), digest, &len, EVP_sha256(), NULL);
    reg_str_hex(digest, sizeof(digest), hex);
    return reg_arena_sprintf(a, "U#%d#%s", (int)art->type, hex);
}

/* Length of README chunk i at text: at most CHUNK_BYTES, never splitting a UTF-8 sequence. The
 * first is at most REG_SEARCH_README_MAX, so the search feed reads no more than it needs. */
static size_t
chunk_len(const char *text, size_t left, int64_t i)
{
    return reg_str_utf8_cut(text, left, i == 0 ? REG_SEARCH_README_MAX : CHUNK_BYTES);
}

static const char *
chunk_sk(struct reg_arena *a, const char *token, int64_t i)
{
    return reg_arena_sprintf(a, "B#%s#%04lld", token, (long long)i);
}

/* Writes the README as chunk items under token; *chunks is their number. */
static enum reg_status
put_readme(struct dynamo_store *s, struct reg_arena *a, const char *id, const char *token,
           const char *readme, int64_t *chunks)
{
    size_t left = readme ? strlen(readme) : 0;
    const char *p = readme;
    enum reg_status st = REG_OK;

    *chunks = 0;
    while (st == REG_OK && left > 0) {
        size_t n = chunk_len(p, left, *chunks);
        struct json_object *item =
            reg_ddb_key(reg_ddb_artifact_pk(a, id), chunk_sk(a, token, *chunks));
        json_object_object_add(item, "text", reg_ddb_attr_s(reg_arena_strndup(a, p, n)));
        st = reg_ddb_put_item(s, a, item, NULL);
        p += n;
        left -= n;
        (*chunks)++;
    }
    return st;
}

/* Deletes the chunks of an earlier README write. */
static enum reg_status
drop_readme(struct dynamo_store *s, struct reg_arena *a, const char *id, const char *token,
            int64_t chunks)
{
    enum reg_status st = REG_OK;

    for (int64_t i = 0; token && st == REG_OK && i < chunks; i++)
        st = reg_ddb_delete_item(s, a, reg_ddb_artifact_pk(a, id), chunk_sk(a, token, i), NULL,
                                 NULL);
    return st;
}

/* True if item is a README chunk of the artifact item head. */
static bool
chunk_of(struct json_object *head, struct json_object *item)
{
    const char *token = reg_ddb_get_s(head, "readme_token"), *sk = reg_ddb_get_s(item, "sk");
    size_t n = token ? strlen(token) : 0;

    return token && sk && strncmp(sk, "B#", 2) == 0 && strncmp(sk + 2, token, n) == 0 &&
           sk[2 + n] == '#';
}

static struct json_object *
artifact_item(struct reg_arena *a, const struct reg_artifact *art, int64_t chunks,
              const char *write_token, const char *grp)
{
    struct json_object *item = reg_ddb_key(reg_ddb_artifact_pk(a, art->id), "A");

    json_object_object_add(item, "id", reg_ddb_attr_s(art->id));
    json_object_object_add(item, "type", reg_ddb_attr_n(art->type));
    json_object_object_add(item, "name", reg_ddb_attr_s(art->name));
    json_object_object_add(item, "url", reg_ddb_attr_s(art->url));
    if (art->metadata)
        json_object_object_add(item, "metadata", reg_ddb_attr_s(art->metadata));
    json_object_object_add(item, "seq", reg_ddb_attr_n(art->seq));
    json_object_object_add(item, "readme_chunks", reg_ddb_attr_n(chunks));
    json_object_object_add(item, "readme_token", reg_ddb_attr_s(write_token));
    json_object_object_add(item, "write_token", reg_ddb_attr_s(write_token));
    json_object_object_add(item, "created_at", reg_ddb_attr_n((int64_t)time(NULL)));
    json_object_object_add(item, "gsi1pk", reg_ddb_attr_s("ART"));
    json_object_object_add(item, "gsi1sk", reg_ddb_attr_n(art->seq));
    json_object_object_add(item, "gsi2pk", reg_ddb_attr_s(reg_arena_sprintf(a, "N#%s", art->name)));
    json_object_object_add(item, "gsi2sk", reg_ddb_attr_n(art->seq));
    if (grp)
        json_object_object_add(item, "grp", reg_ddb_attr_s(grp));
    return item;
}

static void
artifact_head(struct reg_arena *a, struct json_object *item, struct reg_artifact *out)
{
    const char *metadata = reg_ddb_get_s(item, "metadata");
    int64_t type = reg_ddb_get_n(item, "type"); /* written from the enum by artifact_item */

    memset(out, 0, sizeof(*out));
    snprintf(out->id, sizeof(out->id), "%s",
             reg_ddb_get_s(item, "id") ? reg_ddb_get_s(item, "id") : "");
    out->type = (enum reg_artifact_type)type;
    out->name = reg_arena_strdup(a, reg_ddb_get_s(item, "name") ? reg_ddb_get_s(item, "name") : "");
    out->url = reg_arena_strdup(a, reg_ddb_get_s(item, "url") ? reg_ddb_get_s(item, "url") : "");
    out->metadata = metadata ? reg_arena_strdup(a, metadata) : NULL;
    out->seq = reg_ddb_get_n(item, "seq");
}

/* Claims type + url for art->id; token names this write, so a claim that an earlier attempt
 * of the same write landed is recognised. REG_ECONFLICT when a live artifact holds the URL or
 * another registration of it is in progress. */
static enum reg_status
claim_url(struct dynamo_store *s, struct reg_arena *a, const struct reg_artifact *art,
          const char *token)
{
    struct json_object *item = reg_ddb_key(url_pk(a, art), "U"), *held, *live = NULL, *req;
    const char *holder, *held_token;
    enum reg_status st;

    json_object_object_add(item, "id", reg_ddb_attr_s(art->id));
    json_object_object_add(item, "url", reg_ddb_attr_s(art->url));
    json_object_object_add(item, "claim_token", reg_ddb_attr_s(token));
    json_object_object_add(item, "claimed_at", reg_ddb_attr_n((int64_t)time(NULL)));
    st = reg_ddb_put_item(s, a, json_object_get(item), "attribute_not_exists(pk)");
    if (st != REG_ECONFLICT) {
        json_object_put(item);
        return st;
    }
    st = reg_ddb_get_item(s, a, url_pk(a, art), "U", &held);
    holder = reg_ddb_get_s(held, "id");
    held_token = reg_ddb_get_s(held, "claim_token");
    if (st == REG_OK && held_token && strcmp(held_token, token) == 0) {
        json_object_put(item); /* ours, landed by an earlier attempt of this write */
        return REG_OK;
    }
    if (st == REG_OK && holder)
        st = reg_ddb_get_item(s, a, reg_ddb_artifact_pk(a, holder), "A", &live);
    if (st == REG_OK &&
        (live || (int64_t)time(NULL) - reg_ddb_get_n(held, "claimed_at") < STALE_CLAIM_SECONDS))
        st = reg_errorf(REG_ECONFLICT, "a %s with url %.200s is already registered",
                        reg_artifact_type_name(art->type), art->url);
    if (st != REG_OK) {
        json_object_put(item);
        return st;
    }
    /* A claim left long ago by a registration that never completed: take it over. */
    req = reg_ddb_request(s, a);
    json_object_object_add(req, "Item", item);
    reg_ddb_set_str(req, "ConditionExpression", "claim_token = :old");
    reg_ddb_value(req, ":old", reg_ddb_attr_s(held_token ? held_token : ""));
    st = reg_ddb_call(s, a, "PutItem", req, NULL);
    if (st == REG_ECONFLICT)
        return reg_errorf(REG_ECONFLICT, "a %s with url %.200s is already registered",
                          reg_artifact_type_name(art->type), art->url);
    return st;
}

/* Drops the claim on art's URL if this write (token) holds it. */
static void
release_url(struct dynamo_store *s, struct reg_arena *a, const struct reg_artifact *art,
            const char *token)
{
    (void)reg_ddb_delete_item(s, a, url_pk(a, art), "U", "claim_token = :v", reg_ddb_attr_s(token));
}

/* Drops the claim on art's URL held by art->id (removal of the artifact). */
static void
release_url_of(struct dynamo_store *s, struct reg_arena *a, const struct reg_artifact *art)
{
    (void)reg_ddb_delete_item(s, a, url_pk(a, art), "U", "id = :v", reg_ddb_attr_s(art->id));
}

/* True if the artifact item holds write_token: an earlier attempt of this very write. */
static bool
written_by(struct dynamo_store *s, struct reg_arena *a, const char *id, const char *write_token)
{
    struct json_object *item;
    const char *held;

    if (reg_ddb_get_item(s, a, reg_ddb_artifact_pk(a, id), "A", &item) != REG_OK)
        return false;
    held = reg_ddb_get_s(item, "write_token");
    return held && strcmp(held, write_token) == 0;
}

/* Inserts art; with grp, marked as written by that package group and not counted yet (the
 * group's commit counts it). */
static enum reg_status
insert_art(struct dynamo_store *s, struct reg_artifact *art, bool *id_taken, const char *grp)
{
    struct reg_arena a;
    unsigned char raw[8];
    char write_token[17];
    int64_t chunks = 0;
    enum reg_status st;

    *id_taken = false;
    reg_arena_init(&a);
    RAND_bytes(raw, sizeof(raw));
    reg_str_hex(raw, sizeof(raw), write_token);
    st = claim_url(s, &a, art, write_token);
    if (st == REG_ECONFLICT) {
        /* As on SQLite, a taken id is reported as such, so the caller draws another. */
        struct json_object *holder;
        if (reg_ddb_get_item(s, &a, reg_ddb_artifact_pk(&a, art->id), "A", &holder) == REG_OK &&
            holder) {
            *id_taken = true;
            st = reg_errorf(REG_ECONFLICT, "id %s is taken", art->id);
        }
        reg_arena_cleanup(&a);
        return st;
    }
    if (st == REG_OK)
        st = reg_ddb_bump(s, &a, "ADD seq :one", 1, "seq", &art->seq);
    if (st == REG_OK)
        st = put_readme(s, &a, art->id, write_token, art->readme, &chunks);
    if (st == REG_OK) {
        st = reg_ddb_put_item(s, &a, artifact_item(&a, art, chunks, write_token, grp),
                              "attribute_not_exists(pk)");
        if (st == REG_ECONFLICT && reg_dynamodb_last_call_retried(s->db) &&
            written_by(s, &a, art->id, write_token))
            st = REG_OK;
        if (st == REG_ECONFLICT) {
            *id_taken = true;
            (void)drop_readme(s, &a, art->id, write_token, chunks);
            st = reg_errorf(REG_ECONFLICT, "id %s is taken", art->id);
        }
    }
    /* The artifact put may have landed although the answer was an error (a 5xx after the
     * write): then the claim is the artifact's and must stay. */
    if (st != REG_OK && !*id_taken && written_by(s, &a, art->id, write_token))
        st = REG_OK;
    else if (st != REG_OK)
        release_url(s, &a, art, write_token);
    if (st == REG_OK && !grp)
        st = reg_ddb_bump(s, &a, "ADD generation :one, #count :one", 1, NULL, NULL);
    reg_arena_cleanup(&a);
    return st;
}

static enum reg_status
dy_insert(struct reg_store *base, struct reg_artifact *art, bool *id_taken)
{
    return insert_art(reg_ddb_self(base), art, id_taken, NULL);
}

enum reg_status
reg_ddb_mark_insert(struct dynamo_store *s, struct reg_artifact *art, const char *grp)
{
    bool id_taken = false;

    return insert_art(s, art, &id_taken, grp);
}

struct gathered {
    struct dynamo_store *s;
    struct json_object *groups;
    struct reg_arena *a;
    struct json_object *head;
    struct reg_buf readme;
};

static enum reg_status
gather(void *ctx, struct json_object *item)
{
    struct gathered *g = ctx;
    const char *sk = reg_ddb_get_s(item, "sk");
    const char *text = reg_ddb_get_s(item, "text");

    if (sk && strcmp(sk, "A") == 0)
        return reg_ddb_visible(g->s, g->a, item, g->groups, &g->head);
    else if (g->head && text && chunk_of(g->head, item))
        return reg_buf_puts(&g->readme, text);
    return REG_OK;
}

static enum reg_status
dy_get(struct reg_store *base, struct reg_arena *a, const char *id, struct reg_artifact *out)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct json_object *req = reg_ddb_request(s, a);
    struct gathered g = {s, NULL, a, NULL, {0}};
    enum reg_status st;

    reg_buf_init(&g.readme, REG_README_MAX * 2);
    /* The artifact item "A" and its README chunks "B#..." sort before the audit entries "L#". */
    reg_ddb_set_str(req, "KeyConditionExpression", "pk = :pk AND sk < :l");
    reg_ddb_value(req, ":pk", reg_ddb_attr_s(reg_ddb_artifact_pk(a, id)));
    reg_ddb_value(req, ":l", reg_ddb_attr_s("C"));
    json_object_object_add(req, "ConsistentRead", json_object_new_boolean(true));
    st = reg_ddb_each_page(s, a, "Query", req, gather, &g);
    if (st == REG_OK && !g.head)
        st = reg_errorf(REG_ENOTFOUND, "no artifact with id %s", id);
    if (st == REG_OK) {
        artifact_head(a, g.head, out);
        out->readme = g.readme.len ? reg_arena_strndup(a, g.readme.data, g.readme.len) : NULL;
    }
    reg_buf_cleanup(&g.readme);
    return st;
}

/* The UpdateItem that points the artifact at its new name, URL, metadata and README. */
/* What a package group's update keeps of the item it replaces until the group commits. */
static void
keep_previous(struct reg_arena *a, struct json_object *req, struct json_object *old,
              const char *grp, const char **expr)
{
    const char *md = reg_ddb_get_s(old, "metadata");

    *expr = reg_arena_sprintf(a,
                              "%s, grp = :grp, prev_url = :pu, prev_readme_token = :pt, "
                              "prev_readme_chunks = :pc%s",
                              *expr, md ? ", prev_metadata = :pm" : "");
    reg_ddb_value(req, ":grp", reg_ddb_attr_s(grp));
    reg_ddb_value(req, ":pu", reg_ddb_attr_s(reg_ddb_get_s(old, "url")));
    reg_ddb_value(req, ":pt",
                  reg_ddb_attr_s(reg_ddb_get_s(old, "readme_token")
                                     ? reg_ddb_get_s(old, "readme_token")
                                     : ""));
    reg_ddb_value(req, ":pc", reg_ddb_attr_n(reg_ddb_get_n(old, "readme_chunks")));
    if (md)
        reg_ddb_value(req, ":pm", reg_ddb_attr_s(md));
}

/* The UpdateItem that points the artifact at its new name, URL, metadata and README; with grp,
 * marked as written by that package group, keeping old's fields for readers until it commits
 * (and refused if another group's mark is on it). */
static enum reg_status
rewrite_item(struct dynamo_store *s, struct reg_arena *a, const struct reg_artifact *art,
             const char *token, int64_t chunks, const char *grp, struct json_object *old)
{
    struct json_object *req = reg_ddb_request(s, a);
    const char *set = "SET #n = :n, #u = :u, readme_token = :t, readme_chunks = :c, gsi2pk = :g";
    enum reg_status st;

    json_object_object_add(req, "Key", reg_ddb_key(reg_ddb_artifact_pk(a, art->id), "A"));
    if (art->metadata)
        set = reg_arena_sprintf(a, "%s, metadata = :m", set);
    if (grp)
        keep_previous(a, req, old, grp, &set);
    reg_ddb_set_str(req, "UpdateExpression",
                    art->metadata ? set : reg_arena_sprintf(a, "%s REMOVE metadata", set));
    reg_ddb_set_str(req, "ConditionExpression",
                    "attribute_exists(pk) AND attribute_not_exists(grp)");
    reg_ddb_attr_name(req, "#n", "name");
    reg_ddb_attr_name(req, "#u", "url");
    reg_ddb_value(req, ":n", reg_ddb_attr_s(art->name));
    reg_ddb_value(req, ":u", reg_ddb_attr_s(art->url));
    reg_ddb_value(req, ":t", reg_ddb_attr_s(token));
    reg_ddb_value(req, ":c", reg_ddb_attr_n(chunks));
    reg_ddb_value(req, ":g", reg_ddb_attr_s(reg_arena_sprintf(a, "N#%s", art->name)));
    if (art->metadata)
        reg_ddb_value(req, ":m", reg_ddb_attr_s(art->metadata));
    st = reg_ddb_call(s, a, "UpdateItem", req, NULL);
    if (st == REG_ECONFLICT)
        return reg_errorf(REG_ECONFLICT, "artifact %s is gone or a package group is writing it",
                          art->id);
    return st;
}

/* Updates art; with grp, as that package group's write (see rewrite_item): the old README and
 * URL claim stay until the group's commit is finished or undone. */
static enum reg_status
update_art(struct dynamo_store *s, const struct reg_artifact *art, const char *grp)
{
    struct reg_arena a;
    struct json_object *old;
    struct reg_artifact before;
    unsigned char raw[8];
    char token[17];
    int64_t chunks = 0;
    bool moved = false;
    enum reg_status st;

    reg_arena_init(&a);
    RAND_bytes(raw, sizeof(raw));
    reg_str_hex(raw, sizeof(raw), token);
    st = reg_ddb_get_item(s, &a, reg_ddb_artifact_pk(&a, art->id), "A", &old);
    if (st == REG_OK && !old)
        st = reg_errorf(REG_ENOTFOUND, "no artifact with id %s", art->id);
    if (st == REG_OK && reg_ddb_get_s(old, "grp"))
        st = reg_errorf(REG_ECONFLICT, "artifact %s is being written by package group %s", art->id,
                        reg_ddb_get_s(old, "grp"));
    if (st == REG_OK) {
        artifact_head(&a, old, &before);
        moved = strcmp(before.url, art->url) != 0;
        if (moved)
            st = claim_url(s, &a, art, token);
    }
    if (st == REG_OK)
        st = put_readme(s, &a, art->id, token, art->readme, &chunks);
    if (st == REG_OK)
        st = rewrite_item(s, &a, art, token, chunks, grp, old);
    if (st != REG_OK && moved)
        release_url(s, &a, art, token);
    if (grp) {
        reg_arena_cleanup(&a);
        return st;
    }
    /* The old README and URL claim are unreachable now; dropping them is housekeeping. */
    if (st == REG_OK)
        (void)drop_readme(s, &a, art->id, reg_ddb_get_s(old, "readme_token"),
                          reg_ddb_get_n(old, "readme_chunks"));
    if (st == REG_OK && moved)
        release_url_of(s, &a, &before);
    if (st == REG_OK)
        st = reg_ddb_bump(s, &a, "ADD generation :one", 1, NULL, NULL);
    reg_arena_cleanup(&a);
    return st;
}

static enum reg_status
dy_update(struct reg_store *base, const struct reg_artifact *art)
{
    return update_art(reg_ddb_self(base), art, NULL);
}

enum reg_status
reg_ddb_mark_update(struct dynamo_store *s, const struct reg_artifact *art, const char *grp)
{
    return update_art(s, art, grp);
}

/* Removes the marks of package group grp from an update's item: kept (committed: the new
 * version stays, the old README and URL claim go) or undone (the previous version returns). */
static enum reg_status
unmark_update(struct dynamo_store *s, struct reg_arena *a, struct json_object *item,
              const char *grp, bool committed)
{
    struct json_object *req = reg_ddb_request(s, a);
    struct reg_artifact now, prev;
    const char *pm = reg_ddb_get_s(item, "prev_metadata");
    enum reg_status st;

    artifact_head(a, item, &now);
    prev = now;
    prev.url = reg_ddb_get_s(item, "prev_url") ? reg_ddb_get_s(item, "prev_url") : now.url;
    json_object_object_add(req, "Key", reg_ddb_key(reg_ddb_artifact_pk(a, now.id), "A"));
    if (committed)
        reg_ddb_set_str(req, "UpdateExpression",
                        "REMOVE grp, prev_url, prev_metadata, prev_readme_token, "
                        "prev_readme_chunks");
    else
        reg_ddb_set_str(req, "UpdateExpression",
                        pm ? "SET #u = prev_url, readme_token = prev_readme_token, readme_chunks = "
                             "prev_readme_chunks, metadata = prev_metadata REMOVE grp, prev_url, "
                             "prev_metadata, prev_readme_token, prev_readme_chunks"
                           : "SET #u = prev_url, readme_token = prev_readme_token, readme_chunks = "
                             "prev_readme_chunks REMOVE metadata, grp, prev_url, prev_metadata, "
                             "prev_readme_token, prev_readme_chunks");
    if (!committed)
        reg_ddb_attr_name(req, "#u", "url");
    reg_ddb_set_str(req, "ConditionExpression", "grp = :grp");
    reg_ddb_value(req, ":grp", reg_ddb_attr_s(grp));
    st = reg_ddb_call(s, a, "UpdateItem", req, NULL);
    if (st != REG_OK)
        return st == REG_ECONFLICT ? REG_OK : st; /* unmarked already (a retry or a sweep) */
    /* What the surviving version does not use is unreachable now: housekeeping. */
    if (committed) {
        (void)drop_readme(s, a, now.id, reg_ddb_get_s(item, "prev_readme_token"),
                          reg_ddb_get_n(item, "prev_readme_chunks"));
        if (strcmp(prev.url, now.url) != 0)
            release_url_of(s, a, &prev);
    } else {
        (void)drop_readme(s, a, now.id, reg_ddb_get_s(item, "readme_token"),
                          reg_ddb_get_n(item, "readme_chunks"));
        if (strcmp(prev.url, now.url) != 0)
            release_url_of(s, a, &now);
    }
    return REG_OK;
}

/* Removes the marks of package group grp from an insert's item: kept, or the item deleted
 * with its partition and URL claim. */
static enum reg_status
unmark_insert(struct dynamo_store *s, struct reg_arena *a, struct json_object *item,
              const char *grp, bool committed)
{
    struct reg_artifact art;
    enum reg_status st;

    artifact_head(a, item, &art);
    if (committed) {
        struct json_object *req = reg_ddb_request(s, a);
        json_object_object_add(req, "Key", reg_ddb_key(reg_ddb_artifact_pk(a, art.id), "A"));
        reg_ddb_set_str(req, "UpdateExpression", "REMOVE grp");
        reg_ddb_set_str(req, "ConditionExpression", "grp = :grp");
        reg_ddb_value(req, ":grp", reg_ddb_attr_s(grp));
        st = reg_ddb_call(s, a, "UpdateItem", req, NULL);
        return st == REG_ECONFLICT ? REG_OK : st;
    }
    st = reg_ddb_delete_item(s, a, reg_ddb_artifact_pk(a, art.id), "A", "grp = :v",
                             reg_ddb_attr_s(grp));
    if (st == REG_ECONFLICT)
        return REG_OK; /* undone already */
    if (st == REG_OK)
        st = reg_ddb_delete_partition(s, a, reg_ddb_artifact_pk(a, art.id));
    if (st == REG_OK)
        release_url_of(s, a, &art);
    return st;
}

enum reg_status
reg_ddb_unmark(struct dynamo_store *s, const char *id, const char *grp, bool committed)
{
    struct reg_arena a;
    struct json_object *item;
    const char *held;
    enum reg_status st;

    reg_arena_init(&a);
    st = reg_ddb_get_item(s, &a, reg_ddb_artifact_pk(&a, id), "A", &item);
    held = reg_ddb_get_s(item, "grp");
    if (st == REG_OK && held && strcmp(held, grp) == 0)
        st = reg_ddb_get_s(item, "prev_url") ? unmark_update(s, &a, item, grp, committed)
                                             : unmark_insert(s, &a, item, grp, committed);
    reg_arena_cleanup(&a);
    return st;
}

static enum reg_status
dy_remove(struct reg_store *base, const char *id)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct reg_arena a;
    struct json_object *item;
    struct reg_artifact art;
    enum reg_status st;

    reg_arena_init(&a);
    st = reg_ddb_get_item(s, &a, reg_ddb_artifact_pk(&a, id), "A", &item);
    if (st == REG_OK && !item)
        st = reg_errorf(REG_ENOTFOUND, "no artifact with id %s", id);
    if (st == REG_OK && reg_ddb_get_s(item, "grp"))
        st = reg_errorf(REG_ECONFLICT, "artifact %s is being written by package group %s", id,
                        reg_ddb_get_s(item, "grp"));
    if (st == REG_OK) {
        artifact_head(&a, item, &art);
        st = reg_ddb_delete_item(s, &a, reg_ddb_artifact_pk(&a, id), "A", "attribute_exists(pk)",
                                 NULL);
        /* A retry of a delete that had landed finds nothing to delete: it was ours. */
        if (st == REG_ECONFLICT && reg_dynamodb_last_call_retried(s->db))
            st = REG_OK;
        else if (st == REG_ECONFLICT)
            st = reg_errorf(REG_ENOTFOUND, "no artifact with id %s", id);
    }
    if (st == REG_OK)
        st = reg_ddb_bump(s, &a, "ADD generation :one, #count :d", -1, NULL, NULL);
    /* What remains (README chunks, audit entries, the URL claim) is unreachable now. */
    if (st == REG_OK)
        st = reg_ddb_delete_partition(s, &a, reg_ddb_artifact_pk(&a, id));
    if (st == REG_OK)
        release_url_of(s, &a, &art);
    reg_arena_cleanup(&a);
    return st;
}

/* ---- enumerate ----------------------------------------------------------------------------- */

/* The filter expression for the index query: any filter with a NULL name matches on type
 * alone; named filters match name and type. NULL when every item matches. Only the names and
 * values the expression uses are added to req (DynamoDB refuses unused ones). */
static const char *
list_filter(struct reg_arena *a, struct json_object *req, const struct reg_store_filter *f, int n)
{
    const char *expr = NULL;

    for (int i = 0; i < n; i++)
        if (!f[i].name && (f[i].types & REG_TYPE_ALL) == REG_TYPE_ALL)
            return NULL;
    for (int i = 0; i < n; i++) {
        const char *types = NULL, *term;
        for (int t = 0; t < REG_TYPE_COUNT; t++) {
            const char *alias;
            if (!(f[i].types & REG_TYPE_BIT(t)))
                continue;
            alias = reg_arena_sprintf(a, ":t%d", t);
            reg_ddb_value(req, alias, reg_ddb_attr_n(t));
            types = types ? reg_arena_sprintf(a, "%s, %s", types, alias) : alias;
        }
        if (!types)
            continue;
        term = reg_arena_sprintf(a, "#ty IN (%s)", types);
        if (f[i].name) {
            const char *alias = reg_arena_sprintf(a, ":n%d", i);
            reg_ddb_value(req, alias, reg_ddb_attr_s(f[i].name));
            term = reg_arena_sprintf(a, "(#nm = %s AND %s)", alias, term);
        }
        expr = expr ? reg_arena_sprintf(a, "%s OR %s", expr, term) : term;
    }
    if (!expr)
        return "attribute_not_exists(pk)"; /* no type selected: nothing matches */
    reg_ddb_attr_name(req, "#ty", "type");
    if (strstr(expr, "#nm"))
        reg_ddb_attr_name(req, "#nm", "name");
    return expr;
}

static int by_seq(const void *x, const void *y);

/* Reads the byName index for one named filter, adding its matches after `after` to out (up
 * to limit + 1 of them); *horizon drops to the last seq this name is known complete up to. */
static enum reg_status
list_one_name(struct dynamo_store *s, struct reg_arena *a, const struct reg_store_filter *f,
              int64_t after, int limit, struct reg_store_page *out, int64_t *horizon)
{
    struct json_object *req = reg_ddb_request(s, a);
    struct json_object *groups = reg_arena_own_json(a, json_object_new_object());
    const char *filter = list_filter(a, req, f, 1);
    bool more = true;
    int got = 0;

    reg_ddb_set_str(req, "IndexName", "byName");
    reg_ddb_set_str(req, "KeyConditionExpression", "gsi2pk = :k AND gsi2sk > :after");
    reg_ddb_value(req, ":k", reg_ddb_attr_s(reg_arena_sprintf(a, "N#%s", f->name)));
    reg_ddb_value(req, ":after", reg_ddb_attr_n(after));
    json_object_object_add(req, "Limit", json_object_new_int(limit + 1));
    if (filter)
        reg_ddb_set_str(req, "FilterExpression", filter);
    for (int page = 0; page < MAX_PAGES && more && got <= limit; page++) {
        struct json_object *resp, *items, *last;
        enum reg_status st = reg_ddb_call(s, a, "Query", req, &resp);
        if (st != REG_OK)
            return st;
        json_object_object_get_ex(resp, "Items", &items);
        for (size_t i = 0; items && i < json_object_array_length(items) && got <= limit; i++) {
            struct json_object *seen = NULL;
            st = reg_ddb_visible(s, a, json_object_array_get_idx(items, i), groups, &seen);
            if (st != REG_OK)
                return st;
            if (seen) {
                artifact_head(a, seen, &out->items[out->count++]);
                got++;
            }
        }
        more = json_object_object_get_ex(resp, "LastEvaluatedKey", &last);
        if (more)
            json_object_object_add(req, "ExclusiveStartKey", json_object_get(last));
        if (more && (got > limit || page + 1 == MAX_PAGES)) {
            int64_t complete_to =
                got > limit ? out->items[out->count - 1].seq : reg_ddb_get_n(last, "gsi2sk");
            if (complete_to < *horizon)
                *horizon = complete_to;
        }
    }
    return REG_OK;
}

/* Enumerate when every filter names a name: each name's index partition, merged by seq. */
static enum reg_status
list_by_names(struct dynamo_store *s, struct reg_arena *a, const struct reg_store_filter *f, int n,
              int64_t after, int limit, struct reg_store_page *out)
{
    int64_t horizon = INT64_MAX;
    int kept = 0;

    out->items = reg_arena_alloc(a, sizeof(*out->items) * (size_t)n * (size_t)(limit + 1));
    for (int i = 0; i < n; i++) {
        enum reg_status st = list_one_name(s, a, &f[i], after, limit, out, &horizon);
        if (st != REG_OK)
            return st;
    }
    qsort(out->items, (size_t)out->count, sizeof(*out->items), by_seq);
    /* Two filters may name the same artifact; nothing past a partial name is certain yet. */
    for (int i = 0; i < out->count; i++)
        if (out->items[i].seq <= horizon &&
            (kept == 0 || out->items[kept - 1].seq != out->items[i].seq))
            out->items[kept++] = out->items[i];
    out->count = kept;
    if (out->count > limit) {
        out->count = limit;
        out->next_after = out->items[limit - 1].seq;
    } else if (horizon != INT64_MAX) {
        out->next_after = horizon;
    }
    return REG_OK;
}

static enum reg_status
dy_list(struct reg_store *base, struct reg_arena *a, const struct reg_store_filter *filters,
        int nfilters, int64_t after, int limit, struct reg_store_page *out)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct json_object *req = reg_ddb_request(s, a);
    struct json_object *groups = reg_arena_own_json(a, json_object_new_object());
    const char *filter;
    int64_t examined = after;
    bool more = true;
    bool named = true;

    out->count = 0;
    out->next_after = 0;
    for (int i = 0; i < nfilters; i++)
        named = named && filters[i].name;
    if (named)
        return list_by_names(s, a, filters, nfilters, after, limit, out);
    filter = list_filter(a, req, filters, nfilters);
    out->items = reg_arena_alloc(a, sizeof(*out->items) * (size_t)(limit + 1));
    out->count = 0;
    out->next_after = 0;
    reg_ddb_set_str(req, "IndexName", "bySeq");
    reg_ddb_set_str(req, "KeyConditionExpression", "gsi1pk = :art AND gsi1sk > :after");
    reg_ddb_value(req, ":art", reg_ddb_attr_s("ART"));
    reg_ddb_value(req, ":after", reg_ddb_attr_n(after));
    json_object_object_add(req, "Limit", json_object_new_int(limit + 1));
    if (filter)
        reg_ddb_set_str(req, "FilterExpression", filter);
    for (int page = 0; page < MAX_PAGES && more && out->count <= limit; page++) {
        struct json_object *resp, *items, *last;
        enum reg_status st = reg_ddb_call(s, a, "Query", req, &resp);
        if (st != REG_OK)
            return st;
        json_object_object_get_ex(resp, "Items", &items);
        for (size_t i = 0; items && i < json_object_array_length(items) && out->count <= limit;
             i++) {
            struct json_object *seen = NULL;
            st = reg_ddb_visible(s, a, json_object_array_get_idx(items, i), groups, &seen);
            if (st != REG_OK)
                return st;
            if (seen)
                artifact_head(a, seen, &out->items[out->count++]);
        }
        more = json_object_object_get_ex(resp, "LastEvaluatedKey", &last);
        if (more) {
            examined = reg_ddb_get_n(last, "gsi1sk");
            json_object_object_add(req, "ExclusiveStartKey", json_object_get(last));
        }
    }
    if (out->count > limit) {
        out->count = limit;
        out->next_after = out->items[limit - 1].seq;
    } else if (more) {
        /* The page budget ran out before the page filled: continue after what was read. */
        out->next_after = examined;
    }
    return REG_OK;
}

/* ---- the catalog's scan and the search feed ------------------------------------------------ */

static int
by_seq(const void *x, const void *y)
{
    const struct reg_artifact *a = x, *b = y;

    return (a->seq > b->seq) - (a->seq < b->seq);
}

struct scanned {
    struct dynamo_store *s;
    struct json_object *groups;
    struct reg_arena *a;
    struct reg_artifact *arts;
    size_t count, cap;
};

static enum reg_status
keep_artifact(void *ctx, struct json_object *item)
{
    struct scanned *sc = ctx;
    enum reg_status st = reg_ddb_visible(sc->s, sc->a, item, sc->groups, &item);

    if (st != REG_OK || !item)
        return st;
    if (sc->count == sc->cap) {
        size_t cap = sc->cap ? sc->cap * 2 : 64;
        struct reg_artifact *grown = reg_arena_alloc(sc->a, sizeof(*grown) * cap);
        if (sc->count)
            memcpy(grown, sc->arts, sizeof(*grown) * sc->count);
        sc->arts = grown;
        sc->cap = cap;
    }
    artifact_head(sc->a, item, &sc->arts[sc->count++]);
    return REG_OK;
}

/* Artifact items only (the filter runs in DynamoDB, so README chunks and audit entries are
 * never sent), ordered by seq. */
static enum reg_status
dy_scan(struct reg_store *base, reg_store_scan_fn fn, void *ctx)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct reg_arena a;
    struct scanned sc;
    struct json_object *req;
    enum reg_status st;

    reg_arena_init(&a);
    sc = (struct scanned){s, reg_arena_own_json(&a, json_object_new_object()), &a, NULL, 0, 0};
    req = reg_ddb_request(s, &a);
    json_object_object_add(req, "ConsistentRead", json_object_new_boolean(true));
    reg_ddb_set_str(req, "FilterExpression", "sk = :a");
    reg_ddb_value(req, ":a", reg_ddb_attr_s("A"));
    st = reg_ddb_each_page(s, &a, "Scan", req, keep_artifact, &sc);
    if (st == REG_OK && sc.count)
        qsort(sc.arts, sc.count, sizeof(*sc.arts), by_seq);
    for (size_t i = 0; st == REG_OK && i < sc.count; i++)
        st = fn(ctx, &sc.arts[i]);
    reg_arena_cleanup(&a);
    return st;
}

/* The search feed: one Scan, filtered in DynamoDB to artifact items (their readme_token) and
 * first README chunks, read a page at a time and each page released before the next. A chunk
 * counts only under its artifact's current token (a failed or replaced write never mixes in).
 * DynamoDB returns an artifact's items together, its item before its chunks, so a chunk waits
 * in pending only if that order does not hold. */
struct feed {
    struct dynamo_store *s;
    struct reg_arena *a;
    struct json_object *groups;
    size_t max;
    reg_store_readme_fn fn;
    void *ctx;
    struct json_object *tokens;  /* pk -> readme_token of the artifact item */
    struct json_object *pending; /* first chunks whose artifact item has not been seen */
};

/* Feeds chunk to fn if it is the first chunk of its artifact's current README. */
static enum reg_status
feed_chunk(struct feed *f, struct json_object *chunk, struct json_object *token)
{
    const char *pk = reg_ddb_get_s(chunk, "pk"), *sk = reg_ddb_get_s(chunk, "sk");
    const char *text = reg_ddb_get_s(chunk, "text"), *t = json_object_get_string(token);
    size_t n = strlen(t), len;

    if (!text || !sk || strncmp(sk + 2, t, n) != 0 || strcmp(sk + 2 + n, "#0000") != 0)
        return REG_OK;
    len = strlen(text);
    return len ? f->fn(f->ctx, pk + 2, text, reg_str_utf8_cut(text, len, f->max)) : REG_OK;
}

static enum reg_status
feed_item(struct feed *f, struct json_object *item)
{
    const char *pk = reg_ddb_get_s(item, "pk"), *sk = reg_ddb_get_s(item, "sk");
    struct json_object *known;

    if (!pk || !sk || strncmp(pk, "A#", 2) != 0)
        return REG_OK;
    if (strcmp(sk, "A") == 0) {
        /* An uncommitted group's insert has no README yet; its update, the previous one. */
        struct json_object *seen = NULL;
        const char *token;
        enum reg_status st = reg_ddb_visible(f->s, f->a, item, f->groups, &seen);
        if (st != REG_OK || !seen)
            return st;
        token = reg_ddb_get_s(seen, "readme_token");
        json_object_object_add(f->tokens, pk, json_object_new_string(token ? token : ""));
        return REG_OK;
    }
    if (json_object_object_get_ex(f->tokens, pk, &known))
        return feed_chunk(f, item, known);
    json_object_array_add(f->pending, json_object_get(item));
    return REG_OK;
}

/* Reads the pages of the Scan req, each into an arena of its own. */
static enum reg_status
feed_pages(struct dynamo_store *s, struct json_object *req, struct feed *f)
{
    enum reg_status st = REG_OK;
    bool more = true;

    while (st == REG_OK && more) {
        struct reg_arena page;
        struct json_object *resp = NULL, *items, *last = NULL;
        reg_arena_init(&page);
        st = reg_ddb_call(s, &page, "Scan", req, &resp);
        if (st == REG_OK && json_object_object_get_ex(resp, "Items", &items))
            for (size_t i = 0; st == REG_OK && i < json_object_array_length(items); i++)
                st = feed_item(f, json_object_array_get_idx(items, i));
        more = st == REG_OK && json_object_object_get_ex(resp, "LastEvaluatedKey", &last);
        if (more)
            json_object_object_add(req, "ExclusiveStartKey", json_object_get(last));
        reg_arena_cleanup(&page);
    }
    return st;
}

static enum reg_status
dy_readmes(struct reg_store *base, size_t max_bytes, reg_store_readme_fn fn, void *ctx)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct reg_arena a;
    struct feed f = {s, NULL, NULL, max_bytes, fn, ctx, NULL, NULL};
    struct json_object *req, *known;
    enum reg_status st;

    reg_arena_init(&a);
    f.a = &a;
    f.groups = reg_arena_own_json(&a, json_object_new_object());
    f.tokens = reg_arena_own_json(&a, json_object_new_object());
    f.pending = reg_arena_own_json(&a, json_object_new_array());
    req = reg_ddb_request(s, &a);
    json_object_object_add(req, "ConsistentRead", json_object_new_boolean(true));
    reg_ddb_set_str(req, "FilterExpression",
                    "sk = :a OR (begins_with(sk, :b) AND contains(sk, :first))");
    reg_ddb_set_str(req, "ProjectionExpression",
                    "pk, sk, readme_token, #text, grp, prev_url, prev_readme_token");
    reg_ddb_attr_name(req, "#text", "text");
    reg_ddb_value(req, ":a", reg_ddb_attr_s("A"));
    reg_ddb_value(req, ":b", reg_ddb_attr_s("B#"));
    reg_ddb_value(req, ":first", reg_ddb_attr_s("#0000"));
    st = feed_pages(s, req, &f);
    for (size_t i = 0; st == REG_OK && i < json_object_array_length(f.pending); i++) {
        struct json_object *chunk = json_object_array_get_idx(f.pending, i);
        if (json_object_object_get_ex(f.tokens, reg_ddb_get_s(chunk, "pk"), &known))
            st = feed_chunk(&f, chunk, known);
    }
    reg_arena_cleanup(&a);
    return st;
}

/* ---- reset --------------------------------------------------------------------------------- */

static bool
is_meta(struct json_object *item)
{
    const char *pk = reg_ddb_get_s(item, "pk");

    return pk && strcmp(pk, "META") == 0;
}

static enum reg_status
dy_reset(struct reg_store *base)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct reg_arena a;
    struct json_object *req;
    struct reg_ddb_deleter d;
    enum reg_status st;

    reg_arena_init(&a);
    d = (struct reg_ddb_deleter){s, &a, NULL, is_meta};
    req = reg_ddb_request(s, &a);
    reg_ddb_set_str(req, "ProjectionExpression", "pk, sk");
    json_object_object_add(req, "ConsistentRead", json_object_new_boolean(true));
    st = reg_ddb_each_page(s, &a, "Scan", req, reg_ddb_deleter_add, &d);
    if (st == REG_OK)
        st = reg_ddb_deleter_flush(&d);
    else
        json_object_put(d.pending);
    if (st == REG_OK) {
        req = reg_ddb_request(s, &a);
        json_object_object_add(req, "Key", reg_ddb_key("META", "COUNTERS"));
        reg_ddb_set_str(req, "UpdateExpression",
                        "SET #count = :zero, admins = :zero ADD generation :one");
        reg_ddb_attr_name(req, "#count", "count");
        reg_ddb_value(req, ":zero", reg_ddb_attr_n(0));
        reg_ddb_value(req, ":one", reg_ddb_attr_n(1));
        st = reg_ddb_call(s, &a, "UpdateItem", req, NULL);
    }
    reg_arena_cleanup(&a);
    return st;
}

/* ---- table --------------------------------------------------------------------------------- */

static struct json_object *
key_schema(const char *hash, const char *range)
{
    struct json_object *ks = json_object_new_array();
    struct json_object *h = json_object_new_object(), *r = json_object_new_object();

    json_object_object_add(h, "AttributeName", json_object_new_string(hash));
    json_object_object_add(h, "KeyType", json_object_new_string("HASH"));
    json_object_object_add(r, "AttributeName", json_object_new_string(range));
    json_object_object_add(r, "KeyType", json_object_new_string("RANGE"));
    json_object_array_add(ks, h);
    json_object_array_add(ks, r);
    return ks;
}

static struct json_object *
index_def(const char *name, const char *hash, const char *range)
{
    struct json_object *ix = json_object_new_object(), *proj = json_object_new_object();

    json_object_object_add(ix, "IndexName", json_object_new_string(name));
    json_object_object_add(ix, "KeySchema", key_schema(hash, range));
    json_object_object_add(proj, "ProjectionType", json_object_new_string("ALL"));
    json_object_object_add(ix, "Projection", proj);
    return ix;
}

static enum reg_status
create_table(struct dynamo_store *s, struct reg_arena *a)
{
    static const char *const attrs[][2] = {{"pk", "S"},     {"sk", "S"},     {"gsi1pk", "S"},
                                           {"gsi1sk", "N"}, {"gsi2pk", "S"}, {"gsi2sk", "N"}};
    struct json_object *req = reg_ddb_request(s, a);
    struct json_object *defs = json_object_new_array(), *indexes = json_object_new_array();

    for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
        struct json_object *d = json_object_new_object();
        json_object_object_add(d, "AttributeName", json_object_new_string(attrs[i][0]));
        json_object_object_add(d, "AttributeType", json_object_new_string(attrs[i][1]));
        json_object_array_add(defs, d);
    }
    json_object_array_add(indexes, index_def("bySeq", "gsi1pk", "gsi1sk"));
    json_object_array_add(indexes, index_def("byName", "gsi2pk", "gsi2sk"));
    json_object_object_add(req, "AttributeDefinitions", defs);
    json_object_object_add(req, "KeySchema", key_schema("pk", "sk"));
    json_object_object_add(req, "GlobalSecondaryIndexes", indexes);
    reg_ddb_set_str(req, "BillingMode", "PAY_PER_REQUEST");
    return reg_ddb_call(s, a, "CreateTable", req, NULL);
}

/* True when the table and every index are ACTIVE. */
static bool
table_active(struct json_object *resp)
{
    struct json_object *table, *status, *indexes;

    if (!json_object_object_get_ex(resp, "Table", &table) ||
        !json_object_object_get_ex(table, "TableStatus", &status) ||
        strcmp(json_object_get_string(status), "ACTIVE") != 0)
        return false;
    if (json_object_object_get_ex(table, "GlobalSecondaryIndexes", &indexes))
        for (size_t i = 0; i < json_object_array_length(indexes); i++) {
            struct json_object *ix = json_object_array_get_idx(indexes, i), *ixs;
            if (json_object_object_get_ex(ix, "IndexStatus", &ixs) &&
                strcmp(json_object_get_string(ixs), "ACTIVE") != 0)
                return false;
        }
    return true;
}

/* Creates the table on first start (another host may be doing the same) and waits until it
 * and its indexes are ACTIVE. */
static enum reg_status
ensure_table(struct dynamo_store *s)
{
    struct reg_arena a;
    enum reg_status st = REG_OK;
    const struct timespec pause = {0, 200 * 1000000L};

    reg_arena_init(&a);
    for (int waited = 0; waited < TABLE_WAIT_SECONDS * 5; waited++) {
        struct json_object *req = reg_ddb_request(s, &a), *resp;
        st = reg_ddb_call(s, &a, "DescribeTable", req, &resp);
        if (st == REG_ENOTFOUND) {
            st = create_table(s, &a);
            if (st == REG_ECONFLICT) /* created by someone else meanwhile */
                st = REG_OK;
        } else if (st == REG_OK && table_active(resp)) {
            break;
        }
        if (st != REG_OK)
            break;
        nanosleep(&pause, NULL);
        reg_arena_cleanup(&a);
        st = reg_errorf(REG_EUNAVAILABLE, "DynamoDB table %s did not become ACTIVE", s->table);
    }
    reg_arena_cleanup(&a);
    return st;
}

static void
dy_close(struct reg_store *base)
{
    struct dynamo_store *s = reg_ddb_self(base);

    reg_dynamodb_free(s->db);
    free(s->table);
    free(s);
}

static const struct reg_store_ops dynamo_ops = {
    .name = "dynamodb",
    .insert = dy_insert,
    .get = dy_get,
    .update = dy_update,
    .remove = dy_remove,
    .list = dy_list,
    .scan = dy_scan,
    .readmes = dy_readmes,
    .generation = reg_ddb_generation,
    .count = reg_ddb_count,
    .reset = dy_reset,
    .user_insert = reg_ddb_user_insert,
    .user_get = reg_ddb_user_get,
    .user_list = reg_ddb_user_list,
    .user_update = reg_ddb_user_update,
    .user_remove = reg_ddb_user_remove,
    .token_insert = reg_ddb_token_insert,
    .token_take = reg_ddb_token_take,
    .token_give_back = reg_ddb_token_give_back,
    .token_check = reg_ddb_token_check,
    .audit_append = reg_ddb_audit_append,
    .audit_append_once = reg_ddb_audit_append_once,
    .audit_list = reg_ddb_audit_list,
    .secret = reg_ddb_secret,
    .sensitive_get = reg_ddb_sensitive_get,
    .sensitive_put = reg_ddb_sensitive_put,
    .sensitive_remove = reg_ddb_sensitive_remove,
    .download_append = reg_ddb_download_append,
    .download_list = reg_ddb_download_list,
    .group_put = reg_ddb_group_put,
    .group_get = reg_ddb_group_get,
    .group_commit = reg_ddb_group_commit,
    .group_sweep = reg_ddb_group_sweep,
    .close = dy_close,
};

enum reg_status
reg_store_dynamodb_open(const struct reg_config *cfg, struct reg_store **out)
{
    struct dynamo_store *s = calloc(1, sizeof(*s));
    struct reg_dynamodb_config dc = {cfg->dynamodb_endpoint, cfg->aws_region,
                                     cfg->aws_access_key_id, cfg->aws_secret_access_key,
                                     cfg->aws_session_token};
    enum reg_status st;

    *out = NULL;
    if (!s)
        reg_oom();
    s->base.ops = &dynamo_ops;
    if (strlen(cfg->dynamodb_table) < 3 || strlen(cfg->dynamodb_table) > 255) {
        free(s);
        return reg_errorf(REG_EINVAL, "DYNAMODB_TABLE must be 3 to 255 characters");
    }
    s->table = strdup(cfg->dynamodb_table);
    if (!s->table)
        reg_oom();
    st = reg_dynamodb_new(&dc, &s->db);
    if (st == REG_OK)
        st = ensure_table(s);
    if (st != REG_OK) {
        dy_close(&s->base);
        return st;
    }
    *out = &s->base;
    return REG_OK;
}
