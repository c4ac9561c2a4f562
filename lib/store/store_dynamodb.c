/*
 * store_dynamodb.c - the store on one DynamoDB table (single-table design), for registries
 * whose hosts share one store.
 *
 * Keys: pk (S) and sk (S). Indexes: "bySeq" (gsi1pk S, gsi1sk N) and "byName" (gsi2pk S,
 * gsi2sk N), both projecting all attributes. Items:
 *   artifact      pk "A#<id>"           sk "A"          id, type, name, url, metadata, seq,
 *                                                       readme_token, readme_chunks, write_token,
 *                                                       gsi1pk "ART" gsi1sk seq,
 *                                                       gsi2pk "N#<name>" gsi2sk seq
 *   README chunk  pk "A#<id>"   sk "B#<token>#0000"...  text: at most CHUNK_BYTES of the README,
 *                                                       so a 1 MB README stays far below the
 *                                                       400 KB item limit; only the chunks of
 *                                                       the artifact's readme_token are read, so
 *                                                       a failed or replaced write never mixes in
 *   audit entry   pk "A#<id>"           sk "L#<ms>#<rand>"  user, is_admin, action, date, name,
 * type URL claim     pk "U#<type>#<url>"   sk "U"          id: makes type + url unique counters pk
 * "META"             sk "COUNTERS"   seq (enumerate order), generation (bumped by every artifact
 * change, for the search caches), count token secret  pk "META"             sk "SECRET"     value
 * (hex) user          pk "USERS"            sk "<name>"     is_admin, perms, password, created_at
 *   token         pk "UTOK#<user>"      sk "<id>"       uses
 *
 * No correctness property depends on transactions (DynamoDB-compatible test servers lack them):
 * - A registration claims its URL first (conditional put), writes the README chunks, then the
 *   artifact item (conditional put): a crash in between leaves at most a claim whose artifact
 *   does not exist, which a registration of that URL takes over once it is STALE_CLAIM_SECONDS
 *   old, and chunks that nothing reads. A conditional write retried after a 5xx that had in
 *   fact landed is recognised by its token, so nothing is written twice.
 * - Token uses are one conditional update ("uses < max"), exact under any concurrency.
 * - The last admin is protected by the admins counter: taking an admin away first decrements
 *   it on condition that it stays above zero, so two concurrent removals cannot both pass.
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

#include "auth/user.h"
#include "aws/dynamodb.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/str.h"
#include "core/audit.h"
#include "store/store.h"

#define CHUNK_BYTES 300000
#define MAX_PAGES 8
#define BATCH_MAX 25
#define TABLE_WAIT_SECONDS 60
/* A URL claim whose artifact never appeared is taken over after this long: a registration in
 * progress finishes far sooner. */
#define STALE_CLAIM_SECONDS 60

struct dynamo_store {
    struct reg_store base;
    struct reg_dynamodb *db;
    char *table;
};

static struct dynamo_store *
self(struct reg_store *s)
{
    return (struct dynamo_store *)s;
}

/* ---- attribute values ---------------------------------------------------------------------- */

static struct json_object *
av_s(const char *v)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "S", json_object_new_string(v));
    return o;
}

static struct json_object *
av_n(int64_t v)
{
    struct json_object *o = json_object_new_object();
    char buf[24];

    snprintf(buf, sizeof(buf), "%lld", (long long)v);
    json_object_object_add(o, "N", json_object_new_string(buf));
    return o;
}

static struct json_object *
av_bool(bool v)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "BOOL", json_object_new_boolean(v));
    return o;
}

/* The string attribute name of item, or NULL. */
static const char *
get_s(struct json_object *item, const char *name)
{
    struct json_object *attr, *v;

    if (!item || !json_object_object_get_ex(item, name, &attr) ||
        !json_object_object_get_ex(attr, "S", &v))
        return NULL;
    return json_object_get_string(v);
}

static int64_t
get_n(struct json_object *item, const char *name)
{
    struct json_object *attr, *v;

    if (!item || !json_object_object_get_ex(item, name, &attr) ||
        !json_object_object_get_ex(attr, "N", &v))
        return 0;
    return strtoll(json_object_get_string(v), NULL, 10);
}

static bool
get_bool(struct json_object *item, const char *name)
{
    struct json_object *attr, *v;

    return item && json_object_object_get_ex(item, name, &attr) &&
           json_object_object_get_ex(attr, "BOOL", &v) && json_object_get_boolean(v);
}

/* ---- requests ------------------------------------------------------------------------------ */

/* A request object for the table, owned by the arena. */
static struct json_object *
request(struct dynamo_store *s, struct reg_arena *a)
{
    struct json_object *r = reg_arena_own_json(a, json_object_new_object());

    json_object_object_add(r, "TableName", json_object_new_string(s->table));
    return r;
}

static struct json_object *
key(const char *pk, const char *sk)
{
    struct json_object *k = json_object_new_object();

    json_object_object_add(k, "pk", av_s(pk));
    json_object_object_add(k, "sk", av_s(sk));
    return k;
}

/* Adds ":name" -> value to the request's ExpressionAttributeValues. */
static void
value(struct json_object *req, const char *name, struct json_object *v)
{
    struct json_object *values;

    if (!json_object_object_get_ex(req, "ExpressionAttributeValues", &values)) {
        values = json_object_new_object();
        json_object_object_add(req, "ExpressionAttributeValues", values);
    }
    json_object_object_add(values, name, v);
}

/* Adds "#name" -> attribute to the request's ExpressionAttributeNames. */
static void
attr_name(struct json_object *req, const char *alias, const char *attribute)
{
    struct json_object *names;

    if (!json_object_object_get_ex(req, "ExpressionAttributeNames", &names)) {
        names = json_object_new_object();
        json_object_object_add(req, "ExpressionAttributeNames", names);
    }
    json_object_object_add(names, alias, json_object_new_string(attribute));
}

static void
set_str(struct json_object *req, const char *field, const char *v)
{
    json_object_object_add(req, field, json_object_new_string(v));
}

static enum reg_status
call(struct dynamo_store *s, struct reg_arena *a, const char *op, struct json_object *req,
     struct json_object **out)
{
    struct json_object *ignored;

    return reg_dynamodb_call(s->db, a, op, req, out ? out : &ignored);
}

/* GetItem with a consistent read; *item is NULL when absent. */
static enum reg_status
get_item(struct dynamo_store *s, struct reg_arena *a, const char *pk, const char *sk,
         struct json_object **item)
{
    struct json_object *req = request(s, a), *resp;
    enum reg_status st;

    json_object_object_add(req, "Key", key(pk, sk));
    json_object_object_add(req, "ConsistentRead", json_object_new_boolean(true));
    st = call(s, a, "GetItem", req, &resp);
    *item = NULL;
    if (st == REG_OK)
        json_object_object_get_ex(resp, "Item", item);
    return st;
}

/* PutItem of item (consumed), with an optional condition. */
static enum reg_status
put_item(struct dynamo_store *s, struct reg_arena *a, struct json_object *item,
         const char *condition)
{
    struct json_object *req = request(s, a);

    json_object_object_add(req, "Item", item);
    if (condition)
        set_str(req, "ConditionExpression", condition);
    return call(s, a, "PutItem", req, NULL);
}

static enum reg_status
delete_item(struct dynamo_store *s, struct reg_arena *a, const char *pk, const char *sk,
            const char *condition, struct json_object *cond_value)
{
    struct json_object *req = request(s, a);

    json_object_object_add(req, "Key", key(pk, sk));
    if (condition) {
        set_str(req, "ConditionExpression", condition);
        if (cond_value)
            value(req, ":v", cond_value);
    }
    return call(s, a, "DeleteItem", req, NULL);
}

typedef enum reg_status (*item_fn)(void *ctx, struct json_object *item);

/* Runs a Query or Scan to its end (following LastEvaluatedKey), calling fn for each item. */
static enum reg_status
each_page(struct dynamo_store *s, struct reg_arena *a, const char *op, struct json_object *req,
          item_fn fn, void *ctx)
{
    for (;;) {
        struct json_object *resp, *items, *last;
        enum reg_status st = call(s, a, op, req, &resp);

        if (st != REG_OK)
            return st;
        if (json_object_object_get_ex(resp, "Items", &items))
            for (size_t i = 0; i < json_object_array_length(items); i++) {
                st = fn(ctx, json_object_array_get_idx(items, i));
                if (st != REG_OK)
                    return st;
            }
        if (!json_object_object_get_ex(resp, "LastEvaluatedKey", &last))
            return REG_OK;
        json_object_object_add(req, "ExclusiveStartKey", json_object_get(last));
    }
}

/* BatchWriteItem of up to BATCH_MAX requests, retrying UnprocessedItems with backoff. */
static enum reg_status
batch_write(struct dynamo_store *s, struct reg_arena *a, struct json_object *writes)
{
    struct json_object *req = reg_arena_own_json(a, json_object_new_object());
    struct json_object *items = json_object_new_object();

    json_object_object_add(items, s->table, json_object_get(writes));
    json_object_object_add(req, "RequestItems", items);
    for (int round = 0; round < 8; round++) {
        struct json_object *resp, *left, *rest;
        struct timespec pause = {0, (25L << round) * 1000000L};
        enum reg_status st = call(s, a, "BatchWriteItem", req, &resp);

        if (st != REG_OK)
            return st;
        if (!json_object_object_get_ex(resp, "UnprocessedItems", &left) ||
            !json_object_object_get_ex(left, s->table, &rest) ||
            json_object_array_length(rest) == 0)
            return REG_OK;
        json_object_object_add(req, "RequestItems", json_object_get(left));
        nanosleep(&pause, NULL);
    }
    return reg_errorf(REG_EUNAVAILABLE, "DynamoDB kept items of a batch write unprocessed");
}

/* Collects delete requests for keys and sends them in batches of BATCH_MAX. */
struct deleter {
    struct dynamo_store *s;
    struct reg_arena *a;
    struct json_object *pending; /* array of {"DeleteRequest": {"Key": ...}} */
    bool (*keep)(struct json_object *item);
};

static enum reg_status
deleter_flush(struct deleter *d)
{
    enum reg_status st = REG_OK;

    if (d->pending && json_object_array_length(d->pending) > 0)
        st = batch_write(d->s, d->a, d->pending);
    json_object_put(d->pending);
    d->pending = NULL;
    return st;
}

static enum reg_status
deleter_add(void *ctx, struct json_object *item)
{
    struct deleter *d = ctx;
    struct json_object *del, *wrap;

    if (d->keep && d->keep(item))
        return REG_OK;
    if (!d->pending)
        d->pending = json_object_new_array();
    del = json_object_new_object();
    wrap = json_object_new_object();
    json_object_object_add(del, "Key", key(get_s(item, "pk"), get_s(item, "sk")));
    json_object_object_add(wrap, "DeleteRequest", del);
    json_object_array_add(d->pending, wrap);
    return json_object_array_length(d->pending) == BATCH_MAX ? deleter_flush(d) : REG_OK;
}

/* Deletes every item of partition pk. */
static enum reg_status
delete_partition(struct dynamo_store *s, struct reg_arena *a, const char *pk)
{
    struct json_object *req = request(s, a);
    struct deleter d = {s, a, NULL, NULL};
    enum reg_status st;

    set_str(req, "KeyConditionExpression", "pk = :pk");
    value(req, ":pk", av_s(pk));
    set_str(req, "ProjectionExpression", "pk, sk");
    json_object_object_add(req, "ConsistentRead", json_object_new_boolean(true));
    st = each_page(s, a, "Query", req, deleter_add, &d);
    if (st == REG_OK)
        return deleter_flush(&d);
    json_object_put(d.pending);
    return st;
}

/* ---- counters ------------------------------------------------------------------------------ */

/* A fresh random token naming one write, for recognising it after a retry. */
static const char *
new_token(struct reg_arena *a)
{
    unsigned char raw[8];
    char *hex = reg_arena_alloc(a, 2 * sizeof(raw) + 1);

    RAND_bytes(raw, sizeof(raw));
    reg_str_hex(raw, sizeof(raw), hex);
    return hex;
}

/* Applies an UpdateItem to the counters item once, even when a 5xx made the client retry an
 * attempt that had landed: each update stamps last_op with its own token and is conditional
 * on last_op differing, so a retry of a landed update fails its condition and is recognised.
 * (An update by someone else between the two attempts would let the retry apply again: a
 * window of one backoff, tens of milliseconds.) extra_cond, when given, is ANDed in; its
 * failure is REG_ECONFLICT. */
static enum reg_status
update_counters(struct dynamo_store *s, struct reg_arena *a, const char *add_expr,
                const char *extra_cond, int64_t delta, const char *read, int64_t *out)
{
    struct json_object *req = request(s, a), *resp, *attrs, *item;
    const char *token = new_token(a);
    enum reg_status st;

    json_object_object_add(req, "Key", key("META", "COUNTERS"));
    set_str(req, "UpdateExpression", reg_arena_sprintf(a, "SET last_op = :tok %s", add_expr));
    set_str(req, "ConditionExpression",
            extra_cond ? reg_arena_sprintf(a,
                                           "(attribute_not_exists(last_op) OR last_op <> :tok) "
                                           "AND %s",
                                           extra_cond)
                       : "attribute_not_exists(last_op) OR last_op <> :tok");
    value(req, ":tok", av_s(token));
    /* DynamoDB refuses names and values an expression does not use. */
    if (strstr(add_expr, ":d"))
        value(req, ":d", av_n(delta));
    if (strstr(add_expr, ":one") || (extra_cond && strstr(extra_cond, ":one")))
        value(req, ":one", av_n(1));
    if (strstr(add_expr, "#count"))
        attr_name(req, "#count", "count");
    set_str(req, "ReturnValues", "ALL_NEW");
    st = call(s, a, "UpdateItem", req, &resp);
    if (st == REG_OK && json_object_object_get_ex(resp, "Attributes", &attrs) && out)
        *out = get_n(attrs, read);
    if (st == REG_ECONFLICT && reg_dynamodb_last_call_retried(s->db) &&
        get_item(s, a, "META", "COUNTERS", &item) == REG_OK && get_s(item, "last_op") &&
        strcmp(get_s(item, "last_op"), token) == 0) {
        if (out)
            *out = get_n(item, read);
        return REG_OK;
    }
    return st;
}

/* ADD to counters (expr like "ADD generation :one, #count :d"); *out, when given, is the new
 * value of the counter named read. */
static enum reg_status
bump(struct dynamo_store *s, struct reg_arena *a, const char *expr, int64_t delta, const char *read,
     int64_t *out)
{
    return update_counters(s, a, expr, NULL, delta, read, out);
}

static enum reg_status
counter(struct reg_store *base, const char *name, int64_t *out)
{
    struct dynamo_store *s = self(base);
    struct reg_arena a;
    struct json_object *item;
    enum reg_status st;

    reg_arena_init(&a);
    st = get_item(s, &a, "META", "COUNTERS", &item);
    *out = st == REG_OK ? get_n(item, name) : 0;
    reg_arena_cleanup(&a);
    return st;
}

static enum reg_status
dy_generation(struct reg_store *base, uint64_t *out)
{
    int64_t v;
    enum reg_status st = counter(base, "generation", &v);

    *out = (uint64_t)v;
    return st;
}

static enum reg_status
dy_count(struct reg_store *base, int64_t *out)
{
    return counter(base, "count", out);
}

/* ---- artifacts ----------------------------------------------------------------------------- */

static const char *
artifact_pk(struct reg_arena *a, const char *id)
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

/* Length of the next README chunk at text: at most CHUNK_BYTES, never splitting a UTF-8
 * sequence. */
static size_t
chunk_len(const char *text, size_t left)
{
    size_t n = left < CHUNK_BYTES ? left : CHUNK_BYTES;

    while (n < left && n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
        n--;
    return n;
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
        size_t n = chunk_len(p, left);
        struct json_object *item = key(artifact_pk(a, id), chunk_sk(a, token, *chunks));
        json_object_object_add(item, "text", av_s(reg_arena_strndup(a, p, n)));
        st = put_item(s, a, item, NULL);
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
        st = delete_item(s, a, artifact_pk(a, id), chunk_sk(a, token, i), NULL, NULL);
    return st;
}

/* True if item is a README chunk of the artifact item head. */
static bool
chunk_of(struct json_object *head, struct json_object *item)
{
    const char *token = get_s(head, "readme_token"), *sk = get_s(item, "sk");
    size_t n = token ? strlen(token) : 0;

    return token && sk && strncmp(sk, "B#", 2) == 0 && strncmp(sk + 2, token, n) == 0 &&
           sk[2 + n] == '#';
}

static struct json_object *
artifact_item(struct reg_arena *a, const struct reg_artifact *art, int64_t chunks,
              const char *write_token)
{
    struct json_object *item = key(artifact_pk(a, art->id), "A");

    json_object_object_add(item, "id", av_s(art->id));
    json_object_object_add(item, "type", av_n(art->type));
    json_object_object_add(item, "name", av_s(art->name));
    json_object_object_add(item, "url", av_s(art->url));
    if (art->metadata)
        json_object_object_add(item, "metadata", av_s(art->metadata));
    json_object_object_add(item, "seq", av_n(art->seq));
    json_object_object_add(item, "readme_chunks", av_n(chunks));
    json_object_object_add(item, "readme_token", av_s(write_token));
    json_object_object_add(item, "write_token", av_s(write_token));
    json_object_object_add(item, "created_at", av_n((int64_t)time(NULL)));
    json_object_object_add(item, "gsi1pk", av_s("ART"));
    json_object_object_add(item, "gsi1sk", av_n(art->seq));
    json_object_object_add(item, "gsi2pk", av_s(reg_arena_sprintf(a, "N#%s", art->name)));
    json_object_object_add(item, "gsi2sk", av_n(art->seq));
    return item;
}

static void
artifact_head(struct reg_arena *a, struct json_object *item, struct reg_artifact *out)
{
    const char *metadata = get_s(item, "metadata");

    memset(out, 0, sizeof(*out));
    snprintf(out->id, sizeof(out->id), "%s", get_s(item, "id") ? get_s(item, "id") : "");
    out->type = (enum reg_artifact_type)get_n(item, "type");
    out->name = reg_arena_strdup(a, get_s(item, "name") ? get_s(item, "name") : "");
    out->url = reg_arena_strdup(a, get_s(item, "url") ? get_s(item, "url") : "");
    out->metadata = metadata ? reg_arena_strdup(a, metadata) : NULL;
    out->seq = get_n(item, "seq");
}

/* Claims type + url for art->id; token names this write, so a claim that an earlier attempt
 * of the same write landed is recognised. REG_ECONFLICT when a live artifact holds the URL or
 * another registration of it is in progress. */
static enum reg_status
claim_url(struct dynamo_store *s, struct reg_arena *a, const struct reg_artifact *art,
          const char *token)
{
    struct json_object *item = key(url_pk(a, art), "U"), *held, *live = NULL, *req;
    const char *holder, *held_token;
    enum reg_status st;

    json_object_object_add(item, "id", av_s(art->id));
    json_object_object_add(item, "url", av_s(art->url));
    json_object_object_add(item, "claim_token", av_s(token));
    json_object_object_add(item, "claimed_at", av_n((int64_t)time(NULL)));
    st = put_item(s, a, json_object_get(item), "attribute_not_exists(pk)");
    if (st != REG_ECONFLICT) {
        json_object_put(item);
        return st;
    }
    st = get_item(s, a, url_pk(a, art), "U", &held);
    holder = get_s(held, "id");
    held_token = get_s(held, "claim_token");
    if (st == REG_OK && held_token && strcmp(held_token, token) == 0) {
        json_object_put(item); /* ours, landed by an earlier attempt of this write */
        return REG_OK;
    }
    if (st == REG_OK && holder)
        st = get_item(s, a, artifact_pk(a, holder), "A", &live);
    if (st == REG_OK &&
        (live || (int64_t)time(NULL) - get_n(held, "claimed_at") < STALE_CLAIM_SECONDS))
        st = reg_errorf(REG_ECONFLICT, "a %s with url %.200s is already registered",
                        reg_artifact_type_name(art->type), art->url);
    if (st != REG_OK) {
        json_object_put(item);
        return st;
    }
    /* A claim left long ago by a registration that never completed: take it over. */
    req = request(s, a);
    json_object_object_add(req, "Item", item);
    set_str(req, "ConditionExpression", "claim_token = :old");
    value(req, ":old", av_s(held_token ? held_token : ""));
    st = call(s, a, "PutItem", req, NULL);
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
    (void)delete_item(s, a, url_pk(a, art), "U", "claim_token = :v", av_s(token));
}

/* Drops the claim on art's URL held by art->id (removal of the artifact). */
static void
release_url_of(struct dynamo_store *s, struct reg_arena *a, const struct reg_artifact *art)
{
    (void)delete_item(s, a, url_pk(a, art), "U", "id = :v", av_s(art->id));
}

/* True if the artifact item holds write_token: an earlier attempt of this very write. */
static bool
written_by(struct dynamo_store *s, struct reg_arena *a, const char *id, const char *write_token)
{
    struct json_object *item;
    const char *held;

    if (get_item(s, a, artifact_pk(a, id), "A", &item) != REG_OK)
        return false;
    held = get_s(item, "write_token");
    return held && strcmp(held, write_token) == 0;
}

static enum reg_status
dy_insert(struct reg_store *base, struct reg_artifact *art, bool *id_taken)
{
    struct dynamo_store *s = self(base);
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
        if (get_item(s, &a, artifact_pk(&a, art->id), "A", &holder) == REG_OK && holder) {
            *id_taken = true;
            st = reg_errorf(REG_ECONFLICT, "id %s is taken", art->id);
        }
        reg_arena_cleanup(&a);
        return st;
    }
    if (st == REG_OK)
        st = bump(s, &a, "ADD seq :one", 1, "seq", &art->seq);
    if (st == REG_OK)
        st = put_readme(s, &a, art->id, write_token, art->readme, &chunks);
    if (st == REG_OK) {
        st = put_item(s, &a, artifact_item(&a, art, chunks, write_token),
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
    if (st == REG_OK)
        st = bump(s, &a, "ADD generation :one, #count :one", 1, NULL, NULL);
    reg_arena_cleanup(&a);
    return st;
}

struct gathered {
    struct reg_arena *a;
    struct json_object *head;
    struct reg_buf readme;
};

static enum reg_status
gather(void *ctx, struct json_object *item)
{
    struct gathered *g = ctx;
    const char *sk = get_s(item, "sk");
    const char *text = get_s(item, "text");

    if (sk && strcmp(sk, "A") == 0)
        g->head = item;
    else if (g->head && text && chunk_of(g->head, item))
        return reg_buf_puts(&g->readme, text);
    return REG_OK;
}

static enum reg_status
dy_get(struct reg_store *base, struct reg_arena *a, const char *id, struct reg_artifact *out)
{
    struct dynamo_store *s = self(base);
    struct json_object *req = request(s, a);
    struct gathered g = {a, NULL, {0}};
    enum reg_status st;

    reg_buf_init(&g.readme, REG_README_MAX * 2);
    /* The artifact item "A" and its README chunks "B#..." sort before the audit entries "L#". */
    set_str(req, "KeyConditionExpression", "pk = :pk AND sk < :l");
    value(req, ":pk", av_s(artifact_pk(a, id)));
    value(req, ":l", av_s("C"));
    json_object_object_add(req, "ConsistentRead", json_object_new_boolean(true));
    st = each_page(s, a, "Query", req, gather, &g);
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
static enum reg_status
rewrite_item(struct dynamo_store *s, struct reg_arena *a, const struct reg_artifact *art,
             const char *token, int64_t chunks)
{
    struct json_object *req = request(s, a);
    enum reg_status st;

    json_object_object_add(req, "Key", key(artifact_pk(a, art->id), "A"));
    set_str(req, "UpdateExpression",
            art->metadata ? "SET #n = :n, #u = :u, readme_token = :t, readme_chunks = :c, "
                            "gsi2pk = :g, metadata = :m"
                          : "SET #n = :n, #u = :u, readme_token = :t, readme_chunks = :c, "
                            "gsi2pk = :g REMOVE metadata");
    set_str(req, "ConditionExpression", "attribute_exists(pk)");
    attr_name(req, "#n", "name");
    attr_name(req, "#u", "url");
    value(req, ":n", av_s(art->name));
    value(req, ":u", av_s(art->url));
    value(req, ":t", av_s(token));
    value(req, ":c", av_n(chunks));
    value(req, ":g", av_s(reg_arena_sprintf(a, "N#%s", art->name)));
    if (art->metadata)
        value(req, ":m", av_s(art->metadata));
    st = call(s, a, "UpdateItem", req, NULL);
    if (st == REG_ECONFLICT)
        return reg_errorf(REG_ENOTFOUND, "no artifact with id %s", art->id);
    return st;
}

static enum reg_status
dy_update(struct reg_store *base, const struct reg_artifact *art)
{
    struct dynamo_store *s = self(base);
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
    st = get_item(s, &a, artifact_pk(&a, art->id), "A", &old);
    if (st == REG_OK && !old)
        st = reg_errorf(REG_ENOTFOUND, "no artifact with id %s", art->id);
    if (st == REG_OK) {
        artifact_head(&a, old, &before);
        moved = strcmp(before.url, art->url) != 0;
        if (moved)
            st = claim_url(s, &a, art, token);
    }
    if (st == REG_OK)
        st = put_readme(s, &a, art->id, token, art->readme, &chunks);
    if (st == REG_OK)
        st = rewrite_item(s, &a, art, token, chunks);
    if (st != REG_OK && moved)
        release_url(s, &a, art, token);
    /* The old README and URL claim are unreachable now; dropping them is housekeeping. */
    if (st == REG_OK)
        (void)drop_readme(s, &a, art->id, get_s(old, "readme_token"), get_n(old, "readme_chunks"));
    if (st == REG_OK && moved)
        release_url_of(s, &a, &before);
    if (st == REG_OK)
        st = bump(s, &a, "ADD generation :one", 1, NULL, NULL);
    reg_arena_cleanup(&a);
    return st;
}

static enum reg_status
dy_remove(struct reg_store *base, const char *id)
{
    struct dynamo_store *s = self(base);
    struct reg_arena a;
    struct json_object *item;
    struct reg_artifact art;
    enum reg_status st;

    reg_arena_init(&a);
    st = get_item(s, &a, artifact_pk(&a, id), "A", &item);
    if (st == REG_OK && !item)
        st = reg_errorf(REG_ENOTFOUND, "no artifact with id %s", id);
    if (st == REG_OK) {
        artifact_head(&a, item, &art);
        st = delete_item(s, &a, artifact_pk(&a, id), "A", "attribute_exists(pk)", NULL);
        /* A retry of a delete that had landed finds nothing to delete: it was ours. */
        if (st == REG_ECONFLICT && reg_dynamodb_last_call_retried(s->db))
            st = REG_OK;
        else if (st == REG_ECONFLICT)
            st = reg_errorf(REG_ENOTFOUND, "no artifact with id %s", id);
    }
    if (st == REG_OK)
        st = bump(s, &a, "ADD generation :one, #count :d", -1, NULL, NULL);
    /* What remains (README chunks, audit entries, the URL claim) is unreachable now. */
    if (st == REG_OK)
        st = delete_partition(s, &a, artifact_pk(&a, id));
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
            value(req, alias, av_n(t));
            types = types ? reg_arena_sprintf(a, "%s, %s", types, alias) : alias;
        }
        if (!types)
            continue;
        term = reg_arena_sprintf(a, "#ty IN (%s)", types);
        if (f[i].name) {
            const char *alias = reg_arena_sprintf(a, ":n%d", i);
            value(req, alias, av_s(f[i].name));
            term = reg_arena_sprintf(a, "(#nm = %s AND %s)", alias, term);
        }
        expr = expr ? reg_arena_sprintf(a, "%s OR %s", expr, term) : term;
    }
    if (!expr)
        return "attribute_not_exists(pk)"; /* no type selected: nothing matches */
    attr_name(req, "#ty", "type");
    if (strstr(expr, "#nm"))
        attr_name(req, "#nm", "name");
    return expr;
}

static int by_seq(const void *x, const void *y);

/* Reads the byName index for one named filter, adding its matches after `after` to out (up
 * to limit + 1 of them); *horizon drops to the last seq this name is known complete up to. */
static enum reg_status
list_one_name(struct dynamo_store *s, struct reg_arena *a, const struct reg_store_filter *f,
              int64_t after, int limit, struct reg_store_page *out, int64_t *horizon)
{
    struct json_object *req = request(s, a);
    const char *filter = list_filter(a, req, f, 1);
    bool more = true;
    int got = 0;

    set_str(req, "IndexName", "byName");
    set_str(req, "KeyConditionExpression", "gsi2pk = :k AND gsi2sk > :after");
    value(req, ":k", av_s(reg_arena_sprintf(a, "N#%s", f->name)));
    value(req, ":after", av_n(after));
    json_object_object_add(req, "Limit", json_object_new_int(limit + 1));
    if (filter)
        set_str(req, "FilterExpression", filter);
    for (int page = 0; page < MAX_PAGES && more && got <= limit; page++) {
        struct json_object *resp, *items, *last;
        enum reg_status st = call(s, a, "Query", req, &resp);
        if (st != REG_OK)
            return st;
        json_object_object_get_ex(resp, "Items", &items);
        for (size_t i = 0; items && i < json_object_array_length(items) && got <= limit; i++, got++)
            artifact_head(a, json_object_array_get_idx(items, i), &out->items[out->count++]);
        more = json_object_object_get_ex(resp, "LastEvaluatedKey", &last);
        if (more)
            json_object_object_add(req, "ExclusiveStartKey", json_object_get(last));
        if (more && (got > limit || page + 1 == MAX_PAGES)) {
            int64_t complete_to =
                got > limit ? out->items[out->count - 1].seq : get_n(last, "gsi2sk");
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
    struct dynamo_store *s = self(base);
    struct json_object *req = request(s, a);
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
    set_str(req, "IndexName", "bySeq");
    set_str(req, "KeyConditionExpression", "gsi1pk = :art AND gsi1sk > :after");
    value(req, ":art", av_s("ART"));
    value(req, ":after", av_n(after));
    json_object_object_add(req, "Limit", json_object_new_int(limit + 1));
    if (filter)
        set_str(req, "FilterExpression", filter);
    for (int page = 0; page < MAX_PAGES && more && out->count <= limit; page++) {
        struct json_object *resp, *items, *last;
        enum reg_status st = call(s, a, "Query", req, &resp);
        if (st != REG_OK)
            return st;
        json_object_object_get_ex(resp, "Items", &items);
        for (size_t i = 0; items && i < json_object_array_length(items) && out->count <= limit; i++)
            artifact_head(a, json_object_array_get_idx(items, i), &out->items[out->count++]);
        more = json_object_object_get_ex(resp, "LastEvaluatedKey", &last);
        if (more) {
            examined = get_n(last, "gsi1sk");
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

/* ---- search cache feed --------------------------------------------------------------------- */

struct scanned {
    struct reg_arena *a;
    struct json_object *items; /* artifact items and README chunks, in any order */
};

static enum reg_status
keep_artifact_parts(void *ctx, struct json_object *item)
{
    struct scanned *sc = ctx;
    const char *pk = get_s(item, "pk"), *sk = get_s(item, "sk");

    if (pk && sk && strncmp(pk, "A#", 2) == 0 && (sk[0] == 'A' || sk[0] == 'B'))
        json_object_array_add(sc->items, json_object_get(item));
    return REG_OK;
}

/* Orders by pk, then sk, so an artifact item comes right before its README chunks. */
static int
by_key(const void *x, const void *y)
{
    struct json_object *const *a = x, *const *b = y;
    int c = strcmp(get_s(*a, "pk"), get_s(*b, "pk"));

    return c ? c : strcmp(get_s(*a, "sk"), get_s(*b, "sk"));
}

static int
by_seq(const void *x, const void *y)
{
    const struct reg_artifact *a = x, *b = y;

    return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Joins the sorted items into artifacts with their README text. */
static int
assemble(struct reg_arena *a, struct json_object *items, struct reg_artifact *arts)
{
    size_t n = json_object_array_length(items);
    int count = 0;

    for (size_t i = 0; i < n; i++) {
        struct json_object *item = json_object_array_get_idx(items, i);
        const char *pk = get_s(item, "pk");
        struct reg_buf text;
        if (strcmp(get_s(item, "sk"), "A") != 0)
            continue;
        reg_buf_init(&text, REG_README_MAX * 2);
        for (size_t j = i + 1; j < n; j++) {
            struct json_object *chunk = json_object_array_get_idx(items, j);
            if (strcmp(get_s(chunk, "pk"), pk) != 0)
                break;
            if (get_s(chunk, "text") && chunk_of(item, chunk))
                (void)reg_buf_puts(&text, get_s(chunk, "text"));
        }
        artifact_head(a, item, &arts[count]);
        arts[count].readme = text.len ? reg_arena_strndup(a, text.data, text.len) : NULL;
        reg_buf_cleanup(&text);
        count++;
    }
    return count;
}

static enum reg_status
dy_scan(struct reg_store *base, reg_store_scan_fn fn, void *ctx)
{
    struct dynamo_store *s = self(base);
    struct reg_arena a;
    struct scanned sc;
    struct json_object *req;
    struct reg_artifact *arts;
    int count;
    enum reg_status st;

    reg_arena_init(&a);
    sc.a = &a;
    sc.items = reg_arena_own_json(&a, json_object_new_array());
    req = request(s, &a);
    json_object_object_add(req, "ConsistentRead", json_object_new_boolean(true));
    st = each_page(s, &a, "Scan", req, keep_artifact_parts, &sc);
    if (st == REG_OK) {
        json_object_array_sort(sc.items, by_key);
        arts = reg_arena_alloc(&a, sizeof(*arts) * (json_object_array_length(sc.items) + 1));
        count = assemble(&a, sc.items, arts);
        qsort(arts, (size_t)count, sizeof(*arts), by_seq);
        for (int i = 0; st == REG_OK && i < count; i++)
            st = fn(ctx, &arts[i]);
    }
    reg_arena_cleanup(&a);
    return st;
}

/* ---- reset --------------------------------------------------------------------------------- */

static bool
is_meta(struct json_object *item)
{
    const char *pk = get_s(item, "pk");

    return pk && strcmp(pk, "META") == 0;
}

static enum reg_status
dy_reset(struct reg_store *base)
{
    struct dynamo_store *s = self(base);
    struct reg_arena a;
    struct json_object *req;
    struct deleter d;
    enum reg_status st;

    reg_arena_init(&a);
    d = (struct deleter){s, &a, NULL, is_meta};
    req = request(s, &a);
    set_str(req, "ProjectionExpression", "pk, sk");
    json_object_object_add(req, "ConsistentRead", json_object_new_boolean(true));
    st = each_page(s, &a, "Scan", req, deleter_add, &d);
    if (st == REG_OK)
        st = deleter_flush(&d);
    else
        json_object_put(d.pending);
    if (st == REG_OK) {
        req = request(s, &a);
        json_object_object_add(req, "Key", key("META", "COUNTERS"));
        set_str(req, "UpdateExpression", "SET #count = :zero, admins = :zero ADD generation :one");
        attr_name(req, "#count", "count");
        value(req, ":zero", av_n(0));
        value(req, ":one", av_n(1));
        st = call(s, &a, "UpdateItem", req, NULL);
    }
    reg_arena_cleanup(&a);
    return st;
}

/* ---- users and tokens ---------------------------------------------------------------------- */

static void
user_from(struct reg_arena *a, struct json_object *item, struct reg_user *out)
{
    out->name = reg_arena_strdup(a, get_s(item, "sk"));
    out->is_admin = get_bool(item, "is_admin");
    out->perms = (unsigned)get_n(item, "perms");
    out->password = reg_arena_strdup(a, get_s(item, "password") ? get_s(item, "password") : "");
}

static enum reg_status
dy_user_insert(struct reg_store *base, const struct reg_user *u)
{
    struct dynamo_store *s = self(base);
    struct reg_arena a;
    struct json_object *item, *held;
    const char *token;
    enum reg_status st;

    reg_arena_init(&a);
    item = key("USERS", u->name);
    json_object_object_add(item, "is_admin", av_bool(u->is_admin));
    json_object_object_add(item, "perms", av_n(u->perms));
    json_object_object_add(item, "password", av_s(u->password));
    json_object_object_add(item, "created_at", av_n((int64_t)time(NULL)));
    token = new_token(&a);
    json_object_object_add(item, "write_token", av_s(token));
    st = put_item(s, &a, item, "attribute_not_exists(pk)");
    if (st == REG_ECONFLICT && reg_dynamodb_last_call_retried(s->db) &&
        get_item(s, &a, "USERS", u->name, &held) == REG_OK && get_s(held, "write_token") &&
        strcmp(get_s(held, "write_token"), token) == 0)
        st = REG_OK; /* an earlier attempt of this very put landed */
    if (st == REG_OK && u->is_admin)
        st = bump(s, &a, "ADD admins :one", 1, NULL, NULL);
    reg_arena_cleanup(&a);
    if (st == REG_ECONFLICT)
        return reg_errorf(REG_ECONFLICT, "user '%.100s' exists already", u->name);
    return st;
}

/* Takes one admin away from the admins counter unless it is the last one. */
static enum reg_status
release_admin(struct dynamo_store *s, struct reg_arena *a, const char *name, const char *what)
{
    enum reg_status st = update_counters(s, a, "ADD admins :d", "admins > :one", -1, NULL, NULL);

    if (st == REG_ECONFLICT)
        return reg_errorf(REG_ECONFLICT, "cannot %s '%.100s': no other admin would remain", what,
                          name);
    return st;
}

static enum reg_status
dy_user_get(struct reg_store *base, struct reg_arena *a, const char *name, struct reg_user *out)
{
    struct json_object *item = NULL;
    /* DynamoDB refuses empty key strings; no user has an empty name. */
    enum reg_status st = *name ? get_item(self(base), a, "USERS", name, &item) : REG_OK;

    if (st == REG_OK && !item)
        return reg_errorf(REG_ENOTFOUND, "no user named '%.100s'", name);
    if (st == REG_OK)
        user_from(a, item, out);
    return st;
}

struct user_list {
    struct reg_arena *a;
    struct reg_user *users;
    int64_t *created;
    int count, cap;
};

static enum reg_status
add_user(void *ctx, struct json_object *item)
{
    struct user_list *l = ctx;

    if (l->count == l->cap) {
        struct reg_user *u = reg_arena_alloc(l->a, sizeof(*u) * (size_t)l->cap * 2);
        int64_t *c = reg_arena_alloc(l->a, sizeof(*c) * (size_t)l->cap * 2);
        memcpy(u, l->users, sizeof(*u) * (size_t)l->count);
        memcpy(c, l->created, sizeof(*c) * (size_t)l->count);
        l->users = u;
        l->created = c;
        l->cap *= 2;
    }
    l->created[l->count] = get_n(item, "created_at");
    user_from(l->a, item, &l->users[l->count++]);
    return REG_OK;
}

static enum reg_status
dy_user_list(struct reg_store *base, struct reg_arena *a, struct reg_user **out, int *count)
{
    struct dynamo_store *s = self(base);
    struct json_object *req = request(s, a);
    struct user_list l = {a, NULL, NULL, 0, 16};
    enum reg_status st;

    l.users = reg_arena_alloc(a, sizeof(*l.users) * (size_t)l.cap);
    l.created = reg_arena_alloc(a, sizeof(*l.created) * (size_t)l.cap);
    set_str(req, "KeyConditionExpression", "pk = :pk");
    value(req, ":pk", av_s("USERS"));
    json_object_object_add(req, "ConsistentRead", json_object_new_boolean(true));
    st = each_page(s, a, "Query", req, add_user, &l);
    /* Oldest first, as the SQLite store lists them (insertion sort: user lists are short). */
    for (int i = 1; i < l.count; i++)
        for (int j = i; j > 0 && l.created[j] < l.created[j - 1]; j--) {
            struct reg_user u = l.users[j];
            int64_t c = l.created[j];
            l.users[j] = l.users[j - 1];
            l.created[j] = l.created[j - 1];
            l.users[j - 1] = u;
            l.created[j - 1] = c;
        }
    *out = l.users;
    *count = l.count;
    return st;
}

static enum reg_status
dy_user_update(struct reg_store *base, const struct reg_user *u)
{
    struct dynamo_store *s = self(base);
    struct reg_arena a;
    struct json_object *req;
    struct json_object *old;
    bool was_admin;
    enum reg_status st;

    if (!*u->name)
        return reg_errorf(REG_ENOTFOUND, "no user named ''");
    reg_arena_init(&a);
    st = get_item(s, &a, "USERS", u->name, &old);
    if (st == REG_OK && !old)
        st = reg_errorf(REG_ENOTFOUND, "no user named '%.100s'", u->name);
    was_admin = get_bool(old, "is_admin");
    if (st == REG_OK && was_admin && !u->is_admin)
        st = release_admin(s, &a, u->name, "remove admin from");
    if (st == REG_OK) {
        req = request(s, &a);
        json_object_object_add(req, "Key", key("USERS", u->name));
        set_str(req, "UpdateExpression", "SET is_admin = :a, perms = :p");
        set_str(req, "ConditionExpression", "attribute_exists(pk)");
        value(req, ":a", av_bool(u->is_admin));
        value(req, ":p", av_n(u->perms));
        st = call(s, &a, "UpdateItem", req, NULL);
        if (st == REG_ECONFLICT)
            st = reg_errorf(REG_ENOTFOUND, "no user named '%.100s'", u->name);
        if (st == REG_OK && !was_admin && u->is_admin)
            st = bump(s, &a, "ADD admins :one", 1, NULL, NULL);
    }
    reg_arena_cleanup(&a);
    return st;
}

static enum reg_status
dy_user_remove(struct reg_store *base, const char *name)
{
    struct dynamo_store *s = self(base);
    struct reg_arena a;
    struct json_object *old;
    enum reg_status st;

    if (!*name)
        return reg_errorf(REG_ENOTFOUND, "no user named ''");
    reg_arena_init(&a);
    st = get_item(s, &a, "USERS", name, &old);
    if (st == REG_OK && !old)
        st = reg_errorf(REG_ENOTFOUND, "no user named '%.100s'", name);
    if (st == REG_OK && get_bool(old, "is_admin"))
        st = release_admin(s, &a, name, "delete");
    /* Tokens first: a crash in between leaves a user without tokens, never tokens of a user
     * that is gone. */
    if (st == REG_OK)
        st = delete_partition(s, &a, reg_arena_sprintf(&a, "UTOK#%s", name));
    if (st == REG_OK) {
        st = delete_item(s, &a, "USERS", name, "attribute_exists(pk)", NULL);
        if (st == REG_ECONFLICT)
            st = reg_errorf(REG_ENOTFOUND, "no user named '%.100s'", name);
    }
    reg_arena_cleanup(&a);
    return st;
}

static enum reg_status
dy_token_insert(struct reg_store *base, const char *id, const char *user)
{
    struct dynamo_store *s = self(base);
    struct reg_arena a;
    struct json_object *item;
    enum reg_status st;

    struct json_object *owner;

    if (!*user || !*id)
        return reg_errorf(REG_EINVAL, "a token needs a user and an id");
    reg_arena_init(&a);
    item = key(reg_arena_sprintf(&a, "UTOK#%s", user), id);
    json_object_object_add(item, "uses", av_n(0));
    st = put_item(s, &a, item, "attribute_not_exists(pk)");
    /* A user deleted meanwhile must not leave a token behind for a later namesake. */
    if (st == REG_OK)
        st = get_item(s, &a, "USERS", user, &owner);
    if (st == REG_OK && !owner) {
        (void)delete_item(s, &a, reg_arena_sprintf(&a, "UTOK#%s", user), id, NULL, NULL);
        st = reg_errorf(REG_ECONFLICT, "no user named '%.100s' to hold a token", user);
    }
    reg_arena_cleanup(&a);
    return st;
}

static enum reg_status
dy_token_use(struct reg_store *base, const char *user, const char *id, int64_t max_uses,
             int64_t *uses)
{
    struct dynamo_store *s = self(base);
    struct reg_arena a;
    struct json_object *req, *resp, *attrs, *item;
    const char *pk, *token;
    enum reg_status st;

    if (!*user || !*id)
        return reg_errorf(REG_EAUTH, "the access token has been revoked");
    reg_arena_init(&a);
    pk = reg_arena_sprintf(&a, "UTOK#%s", user);
    req = request(s, &a);
    json_object_object_add(req, "Key", key(pk, id));
    token = new_token(&a);
    set_str(req, "UpdateExpression", "SET last_use = :tok ADD uses :one");
    set_str(req, "ConditionExpression",
            "attribute_exists(pk) AND uses < :max AND "
            "(attribute_not_exists(last_use) OR last_use <> :tok)");
    value(req, ":one", av_n(1));
    value(req, ":max", av_n(max_uses));
    value(req, ":tok", av_s(token));
    set_str(req, "ReturnValues", "UPDATED_NEW");
    st = call(s, &a, "UpdateItem", req, &resp);
    if (st == REG_OK && json_object_object_get_ex(resp, "Attributes", &attrs))
        *uses = get_n(attrs, "uses");
    if (st == REG_ECONFLICT) {
        st = get_item(s, &a, pk, id, &item);
        if (st == REG_OK && get_s(item, "last_use") && strcmp(get_s(item, "last_use"), token) == 0)
            *uses = get_n(item, "uses"); /* a retry of a use that had landed */
        else if (st == REG_OK)
            st = item ? reg_errorf(REG_EAUTH,
                                   "the access token has been used %lld times, its limit; "
                                   "authenticate again",
                                   (long long)max_uses)
                      : reg_errorf(REG_EAUTH, "the access token has been revoked");
    }
    reg_arena_cleanup(&a);
    return st;
}

/* ---- audit and secret ---------------------------------------------------------------------- */

static enum reg_status
dy_audit_append(struct reg_store *base, const struct reg_audit_entry *e)
{
    struct dynamo_store *s = self(base);
    struct reg_arena a;
    struct json_object *item;
    int64_t seq = 0;
    enum reg_status st;

    reg_arena_init(&a);
    /* A table-wide sequence orders the entries, also those written in the same millisecond. */
    st = bump(s, &a, "ADD audit_seq :one", 1, "audit_seq", &seq);
    if (st != REG_OK) {
        reg_arena_cleanup(&a);
        return st;
    }
    item = key(artifact_pk(&a, e->artifact.id), reg_arena_sprintf(&a, "L#%019lld", (long long)seq));
    json_object_object_add(item, "user", av_s(e->user));
    json_object_object_add(item, "is_admin", av_bool(e->is_admin));
    json_object_object_add(item, "action", av_n(e->action));
    json_object_object_add(item, "date", av_n(e->date));
    json_object_object_add(item, "name", av_s(e->artifact.name));
    json_object_object_add(item, "type", av_n(e->artifact.type));
    json_object_object_add(item, "id", av_s(e->artifact.id));
    st = put_item(s, &a, item, NULL);
    reg_arena_cleanup(&a);
    return st;
}

struct audit_list {
    struct reg_arena *a;
    struct reg_audit_entry *entries;
    int count, cap;
};

static enum reg_status
add_entry(void *ctx, struct json_object *item)
{
    struct audit_list *l = ctx;
    struct reg_audit_entry *e;

    if (l->count == l->cap) {
        struct reg_audit_entry *grown = reg_arena_alloc(l->a, sizeof(*grown) * (size_t)l->cap * 2);
        memcpy(grown, l->entries, sizeof(*grown) * (size_t)l->count);
        l->entries = grown;
        l->cap *= 2;
    }
    e = &l->entries[l->count++];
    e->user = reg_arena_strdup(l->a, get_s(item, "user") ? get_s(item, "user") : "");
    e->is_admin = get_bool(item, "is_admin");
    e->action = (enum reg_audit_action)get_n(item, "action");
    e->date = get_n(item, "date");
    snprintf(e->artifact.id, sizeof(e->artifact.id), "%s",
             get_s(item, "id") ? get_s(item, "id") : "");
    e->artifact.name = reg_arena_strdup(l->a, get_s(item, "name") ? get_s(item, "name") : "");
    e->artifact.type = (enum reg_artifact_type)get_n(item, "type");
    return REG_OK;
}

static enum reg_status
dy_audit_list(struct reg_store *base, struct reg_arena *a, const char *artifact_id,
              struct reg_audit_entry **out, int *count)
{
    struct dynamo_store *s = self(base);
    struct json_object *req = request(s, a);
    struct audit_list l = {a, NULL, 0, 16};
    enum reg_status st;

    l.entries = reg_arena_alloc(a, sizeof(*l.entries) * (size_t)l.cap);
    set_str(req, "KeyConditionExpression", "pk = :pk AND begins_with(sk, :l)");
    value(req, ":pk", av_s(artifact_pk(a, artifact_id)));
    value(req, ":l", av_s("L#"));
    json_object_object_add(req, "ConsistentRead", json_object_new_boolean(true));
    st = each_page(s, a, "Query", req, add_entry, &l);
    *out = l.entries;
    *count = l.count;
    return st;
}

static enum reg_status
dy_secret(struct reg_store *base, const unsigned char candidate[32], unsigned char out[32])
{
    struct dynamo_store *s = self(base);
    struct reg_arena a;
    struct json_object *item;
    char hex[65];
    const char *stored;
    enum reg_status st;

    reg_arena_init(&a);
    reg_str_hex(candidate, 32, hex);
    item = key("META", "SECRET");
    json_object_object_add(item, "value", av_s(hex));
    st = put_item(s, &a, item, "attribute_not_exists(pk)");
    if (st == REG_ECONFLICT || st == REG_OK)
        st = get_item(s, &a, "META", "SECRET", &item);
    stored = st == REG_OK ? get_s(item, "value") : NULL;
    if (st == REG_OK && (!stored || strlen(stored) != 64 || !reg_str_unhex(stored, 64, out)))
        st = reg_errorf(REG_ESTORE, "the stored token secret is malformed");
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
    struct json_object *req = request(s, a);
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
    set_str(req, "BillingMode", "PAY_PER_REQUEST");
    return call(s, a, "CreateTable", req, NULL);
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
        struct json_object *req = request(s, &a), *resp;
        st = call(s, &a, "DescribeTable", req, &resp);
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
    struct dynamo_store *s = self(base);

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
    .generation = dy_generation,
    .count = dy_count,
    .reset = dy_reset,
    .user_insert = dy_user_insert,
    .user_get = dy_user_get,
    .user_list = dy_user_list,
    .user_update = dy_user_update,
    .user_remove = dy_user_remove,
    .token_insert = dy_token_insert,
    .token_use = dy_token_use,
    .audit_append = dy_audit_append,
    .audit_list = dy_audit_list,
    .secret = dy_secret,
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
