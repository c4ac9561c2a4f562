/*
 * dynamodb_items.c - the DynamoDB store's item helpers (store_dynamodb_int.h): attribute
 * values, requests on the table, Query/Scan paging, batched deletes and the counters item
 * (pk "META", sk "COUNTERS"). No item layout of artifacts or users lives here: those are in
 * store_dynamodb.c and store_dynamodb_auth.c.
 *
 * The counters item holds seq, generation and count (store_dynamodb.c), admins and audit_seq
 * (store_dynamodb_auth.c), and last_op, the token of the last update (update_counters).
 */
#include <json-c/json.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/dynamodb.h"
#include "base/str.h"
#include "store/store_dynamodb_int.h"

/* BatchWriteItem takes at most this many requests. */
#define BATCH_MAX 25

struct dynamo_store *
reg_ddb_self(struct reg_store *s)
{
    return (struct dynamo_store *)s;
}

/* ---- attribute values ---------------------------------------------------------------------- */

struct json_object *
reg_ddb_attr_s(const char *v)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "S", json_object_new_string(v));
    return o;
}

struct json_object *
reg_ddb_attr_n(int64_t v)
{
    struct json_object *o = json_object_new_object();
    char buf[24];

    snprintf(buf, sizeof(buf), "%lld", (long long)v);
    json_object_object_add(o, "N", json_object_new_string(buf));
    return o;
}

struct json_object *
reg_ddb_attr_bool(bool v)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "BOOL", json_object_new_boolean(v));
    return o;
}

/* The string attribute name of item, or NULL. */
const char *
reg_ddb_get_s(struct json_object *item, const char *name)
{
    struct json_object *attr, *v;

    if (!item || !json_object_object_get_ex(item, name, &attr) ||
        !json_object_object_get_ex(attr, "S", &v))
        return NULL;
    return json_object_get_string(v);
}

int64_t
reg_ddb_get_n(struct json_object *item, const char *name)
{
    struct json_object *attr, *v;

    if (!item || !json_object_object_get_ex(item, name, &attr) ||
        !json_object_object_get_ex(attr, "N", &v))
        return 0;
    return strtoll(json_object_get_string(v), NULL, 10);
}

bool
reg_ddb_get_bool(struct json_object *item, const char *name)
{
    struct json_object *attr, *v;

    return item && json_object_object_get_ex(item, name, &attr) &&
           json_object_object_get_ex(attr, "BOOL", &v) && json_object_get_boolean(v);
}

/* ---- requests ------------------------------------------------------------------------------ */

/* A request object for the table, owned by the arena. */
struct json_object *
reg_ddb_request(struct dynamo_store *s, struct reg_arena *a)
{
    struct json_object *r = reg_arena_own_json(a, json_object_new_object());

    json_object_object_add(r, "TableName", json_object_new_string(s->table));
    return r;
}

struct json_object *
reg_ddb_key(const char *pk, const char *sk)
{
    struct json_object *k = json_object_new_object();

    json_object_object_add(k, "pk", reg_ddb_attr_s(pk));
    json_object_object_add(k, "sk", reg_ddb_attr_s(sk));
    return k;
}

/* Adds ":name" -> value to the request's ExpressionAttributeValues. */
void
reg_ddb_value(struct json_object *req, const char *name, struct json_object *v)
{
    struct json_object *values;

    if (!json_object_object_get_ex(req, "ExpressionAttributeValues", &values)) {
        values = json_object_new_object();
        json_object_object_add(req, "ExpressionAttributeValues", values);
    }
    json_object_object_add(values, name, v);
}

/* Adds "#name" -> attribute to the request's ExpressionAttributeNames. */
void
reg_ddb_attr_name(struct json_object *req, const char *alias, const char *attribute)
{
    struct json_object *names;

    if (!json_object_object_get_ex(req, "ExpressionAttributeNames", &names)) {
        names = json_object_new_object();
        json_object_object_add(req, "ExpressionAttributeNames", names);
    }
    json_object_object_add(names, alias, json_object_new_string(attribute));
}

void
reg_ddb_set_str(struct json_object *req, const char *field, const char *v)
{
    json_object_object_add(req, field, json_object_new_string(v));
}

enum reg_status
reg_ddb_call(struct dynamo_store *s, struct reg_arena *a, const char *op, struct json_object *req,
             struct json_object **out)
{
    struct json_object *ignored;

    return reg_dynamodb_call(s->db, a, op, req, out ? out : &ignored);
}

/* GetItem with a consistent read; *item is NULL when absent. */
enum reg_status
reg_ddb_get_item(struct dynamo_store *s, struct reg_arena *a, const char *pk, const char *sk,
                 struct json_object **item)
{
    struct json_object *req = reg_ddb_request(s, a), *resp;
    enum reg_status st;

    json_object_object_add(req, "Key", reg_ddb_key(pk, sk));
    json_object_object_add(req, "ConsistentRead", json_object_new_boolean(true));
    st = reg_ddb_call(s, a, "GetItem", req, &resp);
    *item = NULL;
    if (st == REG_OK)
        json_object_object_get_ex(resp, "Item", item);
    return st;
}

/* PutItem of item (consumed), with an optional condition. */
enum reg_status
reg_ddb_put_item(struct dynamo_store *s, struct reg_arena *a, struct json_object *item,
                 const char *condition)
{
    struct json_object *req = reg_ddb_request(s, a);

    json_object_object_add(req, "Item", item);
    if (condition)
        reg_ddb_set_str(req, "ConditionExpression", condition);
    return reg_ddb_call(s, a, "PutItem", req, NULL);
}

enum reg_status
reg_ddb_delete_item(struct dynamo_store *s, struct reg_arena *a, const char *pk, const char *sk,
                    const char *condition, struct json_object *cond_value)
{
    struct json_object *req = reg_ddb_request(s, a);

    json_object_object_add(req, "Key", reg_ddb_key(pk, sk));
    if (condition) {
        reg_ddb_set_str(req, "ConditionExpression", condition);
        if (cond_value)
            reg_ddb_value(req, ":v", cond_value);
    }
    return reg_ddb_call(s, a, "DeleteItem", req, NULL);
}

/* Runs a Query or Scan to its end (following LastEvaluatedKey), calling fn for each item. */
enum reg_status
reg_ddb_each_page(struct dynamo_store *s, struct reg_arena *a, const char *op,
                  struct json_object *req, reg_ddb_item_fn fn, void *ctx)
{
    for (;;) {
        struct json_object *resp, *items, *last;
        enum reg_status st = reg_ddb_call(s, a, op, req, &resp);

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
        enum reg_status st = reg_ddb_call(s, a, "BatchWriteItem", req, &resp);

        if (st != REG_OK)
            return st;
        if (!json_object_object_get_ex(resp, "UnprocessedItems", &left) ||
            !json_object_object_get_ex(left, s->table, &rest) ||
            json_object_array_length(rest) == 0)
            return REG_OK;
        json_object_object_add(req, "RequestItems", json_object_get(left));
        reg_dynamodb_backoff_sleep(round + 1);
    }
    return reg_errorf(REG_EUNAVAILABLE, "DynamoDB kept items of a batch write unprocessed");
}

enum reg_status
reg_ddb_deleter_flush(struct reg_ddb_deleter *d)
{
    enum reg_status st = REG_OK;

    if (d->pending && json_object_array_length(d->pending) > 0)
        st = batch_write(d->s, d->a, d->pending);
    json_object_put(d->pending);
    d->pending = NULL;
    return st;
}

enum reg_status
reg_ddb_deleter_add(void *ctx, struct json_object *item)
{
    struct reg_ddb_deleter *d = ctx;
    struct json_object *del, *wrap;

    if (d->keep && d->keep(item))
        return REG_OK;
    if (!d->pending)
        d->pending = json_object_new_array();
    del = json_object_new_object();
    wrap = json_object_new_object();
    json_object_object_add(del, "Key",
                           reg_ddb_key(reg_ddb_get_s(item, "pk"), reg_ddb_get_s(item, "sk")));
    json_object_object_add(wrap, "DeleteRequest", del);
    json_object_array_add(d->pending, wrap);
    return json_object_array_length(d->pending) == BATCH_MAX ? reg_ddb_deleter_flush(d) : REG_OK;
}

/* Deletes every item of partition pk. */
enum reg_status
reg_ddb_delete_partition(struct dynamo_store *s, struct reg_arena *a, const char *pk)
{
    struct json_object *req = reg_ddb_request(s, a);
    struct reg_ddb_deleter d = {s, a, NULL, NULL};
    enum reg_status st;

    reg_ddb_set_str(req, "KeyConditionExpression", "pk = :pk");
    reg_ddb_value(req, ":pk", reg_ddb_attr_s(pk));
    reg_ddb_set_str(req, "ProjectionExpression", "pk, sk");
    json_object_object_add(req, "ConsistentRead", json_object_new_boolean(true));
    st = reg_ddb_each_page(s, a, "Query", req, reg_ddb_deleter_add, &d);
    if (st == REG_OK)
        return reg_ddb_deleter_flush(&d);
    json_object_put(d.pending);
    return st;
}

/* ---- counters ------------------------------------------------------------------------------ */

/* A fresh random token naming one write, for recognising it after a retry. */
const char *
reg_ddb_new_token(struct reg_arena *a)
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
enum reg_status
reg_ddb_update_counters(struct dynamo_store *s, struct reg_arena *a, const char *add_expr,
                        const char *extra_cond, int64_t delta, const char *read, int64_t *out)
{
    struct json_object *req = reg_ddb_request(s, a), *resp, *attrs, *item;
    const char *token = reg_ddb_new_token(a);
    enum reg_status st;

    json_object_object_add(req, "Key", reg_ddb_key("META", "COUNTERS"));
    reg_ddb_set_str(req, "UpdateExpression",
                    reg_arena_sprintf(a, "SET last_op = :tok %s", add_expr));
    reg_ddb_set_str(req, "ConditionExpression",
                    extra_cond
                        ? reg_arena_sprintf(a,
                                            "(attribute_not_exists(last_op) OR last_op <> :tok) "
                                            "AND %s",
                                            extra_cond)
                        : "attribute_not_exists(last_op) OR last_op <> :tok");
    reg_ddb_value(req, ":tok", reg_ddb_attr_s(token));
    /* DynamoDB refuses names and values an expression does not use. */
    if (strstr(add_expr, ":d"))
        reg_ddb_value(req, ":d", reg_ddb_attr_n(delta));
    if (strstr(add_expr, ":one") || (extra_cond && strstr(extra_cond, ":one")))
        reg_ddb_value(req, ":one", reg_ddb_attr_n(1));
    if (strstr(add_expr, "#count"))
        reg_ddb_attr_name(req, "#count", "count");
    reg_ddb_set_str(req, "ReturnValues", "ALL_NEW");
    st = reg_ddb_call(s, a, "UpdateItem", req, &resp);
    if (st == REG_OK && json_object_object_get_ex(resp, "Attributes", &attrs) && out)
        *out = reg_ddb_get_n(attrs, read);
    if (st == REG_ECONFLICT && reg_dynamodb_last_call_retried(s->db) &&
        reg_ddb_get_item(s, a, "META", "COUNTERS", &item) == REG_OK &&
        reg_ddb_get_s(item, "last_op") && strcmp(reg_ddb_get_s(item, "last_op"), token) == 0) {
        if (out)
            *out = reg_ddb_get_n(item, read);
        return REG_OK;
    }
    return st;
}

/* ADD to counters (expr like "ADD generation :one, #count :d"); *out, when given, is the new
 * value of the counter named read. */
enum reg_status
reg_ddb_bump(struct dynamo_store *s, struct reg_arena *a, const char *expr, int64_t delta,
             const char *read, int64_t *out)
{
    return reg_ddb_update_counters(s, a, expr, NULL, delta, read, out);
}

static enum reg_status
counter(struct reg_store *base, const char *name, int64_t *out)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct reg_arena a;
    struct json_object *item;
    enum reg_status st;

    reg_arena_init(&a);
    st = reg_ddb_get_item(s, &a, "META", "COUNTERS", &item);
    *out = st == REG_OK ? reg_ddb_get_n(item, name) : 0;
    reg_arena_cleanup(&a);
    return st;
}

enum reg_status
reg_ddb_generation(struct reg_store *base, uint64_t *out)
{
    int64_t v;
    enum reg_status st = counter(base, "generation", &v);

    *out = (uint64_t)v;
    return st;
}

enum reg_status
reg_ddb_count(struct reg_store *base, int64_t *out)
{
    return counter(base, "count", out);
}

const char *
reg_ddb_seq_sk(struct reg_arena *a, char prefix, int64_t seq)
{
    return reg_arena_sprintf(a, "%c#%019lld", prefix, (long long)seq);
}

/* The seq of a sort key "<prefix>#<seq>". */
static int64_t
seq_of(struct json_object *item)
{
    const char *sk = reg_ddb_get_s(item, "sk");

    return sk && strlen(sk) > 2 ? strtoll(sk + 2, NULL, 10) : 0;
}

enum reg_status
reg_ddb_query_seq(struct dynamo_store *s, struct reg_arena *a, const char *pk, char prefix,
                  int64_t after, int limit, reg_ddb_seq_item_fn fn, void *items, size_t size,
                  int *count, int64_t *next_after)
{
    struct json_object *req = reg_ddb_request(s, a);
    int64_t last_seq = 0;
    bool more = true;

    *count = 0;
    *next_after = 0;
    if (after == INT64_MAX)
        return REG_OK; /* nothing follows the last cursor there can be */
    reg_ddb_set_str(req, "KeyConditionExpression", "pk = :pk AND sk BETWEEN :from AND :to");
    reg_ddb_value(req, ":pk", reg_ddb_attr_s(pk));
    reg_ddb_value(req, ":from", reg_ddb_attr_s(reg_ddb_seq_sk(a, prefix, after + 1)));
    reg_ddb_value(req, ":to", reg_ddb_attr_s(reg_ddb_seq_sk(a, prefix, INT64_MAX)));
    json_object_object_add(req, "ConsistentRead", json_object_new_boolean(true));
    /* One more item than asked tells whether another page follows. */
    json_object_object_add(req, "Limit", json_object_new_int(limit + 1));
    while (more && *count <= limit) {
        struct json_object *resp, *page, *last;
        enum reg_status st = reg_ddb_call(s, a, "Query", req, &resp);
        if (st != REG_OK)
            return st;
        json_object_object_get_ex(resp, "Items", &page);
        for (size_t i = 0; page && i < json_object_array_length(page); i++) {
            struct json_object *item = json_object_array_get_idx(page, i);
            if (*count == limit) {
                *next_after = last_seq;
                return REG_OK;
            }
            fn(a, item, (char *)items + (size_t)(*count)++ * size);
            last_seq = seq_of(item);
        }
        more = json_object_object_get_ex(resp, "LastEvaluatedKey", &last);
        if (more)
            json_object_object_add(req, "ExclusiveStartKey", json_object_get(last));
    }
    return REG_OK;
}
