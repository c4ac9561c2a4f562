/*
 * store_dynamodb_sensitive.c - sensitive models and their download history on the DynamoDB
 * store (core/sensitive.h; the operations store_dynamodb.c puts in its ops table). Items, in
 * the artifact's partition, so that deleting the artifact (its partition) deletes them too:
 *   sensitivity     pk "A#<id>"   sk "S"                         marked_at, program (absent
 *                                                                when none)
 *   download event  pk "A#<id>"   sk "H#<download_seq, 19 digits>"  id, user, date, refused,
 *                                                                monitor (absent when none)
 * and one counter on the counters item (dynamodb_items.c): download_seq, which orders the
 * events table-wide as audit_seq orders audit entries.
 *
 * - Marking and attaching are one UpdateItem each: marked_at is set only if absent, the
 *   program replaced or left as it is, so a mark never loses a program attached meanwhile.
 * - Unlike SQLite, the artifact's existence is checked by a read before the write: a model
 *   deleted between the two leaves a sensitivity item in a partition nothing reads.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/dynamodb.h"
#include "core/sensitive.h"
#include "store/store_dynamodb_int.h"

#define SENSITIVE_SK "S"

enum reg_status
reg_ddb_sensitive_get(struct reg_store *base, struct reg_arena *a, const char *id,
                      struct reg_sensitive *out)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct json_object *item;
    enum reg_status st = reg_ddb_get_item(s, a, reg_ddb_artifact_pk(a, id), SENSITIVE_SK, &item);

    if (st != REG_OK)
        return st;
    if (!item)
        return reg_errorf(REG_ENOTFOUND, "model %s is not sensitive", id);
    out->program = reg_ddb_get_s(item, "program");
    out->marked_at = reg_ddb_get_n(item, "marked_at");
    return REG_OK;
}

/* The UpdateExpression of a put (see the file comment). */
static const char *
put_expression(const char *program, bool set_program)
{
    if (!set_program)
        return "SET marked_at = if_not_exists(marked_at, :now)";
    return program ? "SET marked_at = if_not_exists(marked_at, :now), program = :p"
                   : "SET marked_at = if_not_exists(marked_at, :now) REMOVE program";
}

enum reg_status
reg_ddb_sensitive_put(struct reg_store *base, const char *id, const char *program, bool set_program,
                      int64_t now)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct reg_arena a;
    struct json_object *req, *head;
    enum reg_status st;

    reg_arena_init(&a);
    st = reg_ddb_get_item(s, &a, reg_ddb_artifact_pk(&a, id), "A", &head);
    if (st == REG_OK && !head)
        st = reg_errorf(REG_ENOTFOUND, "no artifact with id %s", id);
    if (st == REG_OK) {
        req = reg_ddb_request(s, &a);
        json_object_object_add(req, "Key", reg_ddb_key(reg_ddb_artifact_pk(&a, id), SENSITIVE_SK));
        reg_ddb_set_str(req, "UpdateExpression", put_expression(program, set_program));
        reg_ddb_value(req, ":now", reg_ddb_attr_n(now));
        if (set_program && program)
            reg_ddb_value(req, ":p", reg_ddb_attr_s(program));
        st = reg_ddb_call(s, &a, "UpdateItem", req, NULL);
    }
    reg_arena_cleanup(&a);
    return st;
}

enum reg_status
reg_ddb_sensitive_remove(struct reg_store *base, const char *id)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct reg_arena a;
    enum reg_status st;

    reg_arena_init(&a);
    st = reg_ddb_delete_item(s, &a, reg_ddb_artifact_pk(&a, id), SENSITIVE_SK,
                             "attribute_exists(pk)", NULL);
    /* A retry of a delete that had landed finds nothing to delete: it was ours. */
    if (st == REG_ECONFLICT && reg_dynamodb_last_call_retried(s->db))
        st = REG_OK;
    else if (st == REG_ECONFLICT)
        st = reg_errorf(REG_ENOTFOUND, "model %s is not sensitive", id);
    reg_arena_cleanup(&a);
    return st;
}

enum reg_status
reg_ddb_download_append(struct reg_store *base, const struct reg_download_event *e)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct reg_arena a;
    struct json_object *item;
    int64_t seq = 0;
    enum reg_status st;

    reg_arena_init(&a);
    st = reg_ddb_bump(s, &a, "ADD download_seq :one", 1, "download_seq", &seq);
    if (st == REG_OK) {
        item = reg_ddb_key(reg_ddb_artifact_pk(&a, e->artifact_id), reg_ddb_seq_sk(&a, 'H', seq));
        json_object_object_add(item, "id", reg_ddb_attr_s(e->artifact_id));
        json_object_object_add(item, "user", reg_ddb_attr_s(e->user));
        json_object_object_add(item, "date", reg_ddb_attr_n(e->date));
        json_object_object_add(item, "refused", reg_ddb_attr_bool(e->refused));
        if (e->monitor)
            json_object_object_add(item, "monitor", reg_ddb_attr_s(e->monitor));
        st = reg_ddb_put_item(s, &a, item, NULL);
    }
    reg_arena_cleanup(&a);
    return st;
}

static void
event_from(struct reg_arena *a, struct json_object *item, void *slot)
{
    struct reg_download_event *e = slot;
    const char *id = reg_ddb_get_s(item, "id"), *user = reg_ddb_get_s(item, "user");
    const char *monitor = reg_ddb_get_s(item, "monitor");

    e->artifact_id = reg_arena_strdup(a, id ? id : "");
    e->user = reg_arena_strdup(a, user ? user : "");
    e->date = reg_ddb_get_n(item, "date");
    e->refused = reg_ddb_get_bool(item, "refused");
    e->monitor = monitor ? reg_arena_strdup(a, monitor) : NULL;
}

enum reg_status
reg_ddb_download_list(struct reg_store *base, struct reg_arena *a, const char *artifact_id,
                      int64_t after, int limit, struct reg_download_page *out)
{
    struct dynamo_store *s = reg_ddb_self(base);

    out->items = reg_arena_alloc(a, sizeof(*out->items) * (size_t)(limit + 1));
    return reg_ddb_query_seq(s, a, reg_ddb_artifact_pk(a, artifact_id), 'H', after, limit,
                             event_from, out->items, sizeof(*out->items), &out->count,
                             &out->next_after);
}
