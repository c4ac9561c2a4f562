/*
 * store_dynamodb_int.h - private to the DynamoDB store (store/store_dynamodb*.c and
 * store/dynamodb_items.c); nothing else includes it. The store's handle, the item and paging
 * helpers of dynamodb_items.c, and the operations that dynamodb_items.c and
 * store_dynamodb_auth.c and store_dynamodb_sensitive.c implement for the ops table in
 * store_dynamodb.c.
 *
 * Ownership: a request from reg_ddb_request() belongs to the arena. Attribute values and keys
 * (reg_ddb_attr_*, reg_ddb_key) carry one json-c reference that the object they are added to
 * takes. Items a call answers belong to the arena's response, and strings read from them are
 * borrowed from the item.
 */
#ifndef REG_STORE_STORE_DYNAMODB_INT_H
#define REG_STORE_STORE_DYNAMODB_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

struct json_object;
struct reg_dynamodb;
struct reg_group;

/* The store: one table on one DynamoDB client. */
struct dynamo_store {
    struct reg_store base;
    struct reg_dynamodb *db;
    char *table;
};

/* The DynamoDB store behind base. */
struct dynamo_store *reg_ddb_self(struct reg_store *s);

/* ---- attribute values ---------------------------------------------------------------------- */

/* {"S": v}, {"N": "v"} and {"BOOL": v}. */
struct json_object *reg_ddb_attr_s(const char *v);
struct json_object *reg_ddb_attr_n(int64_t v);
struct json_object *reg_ddb_attr_bool(bool v);
/* The attribute name of item (which may be NULL) as a string, number or boolean; NULL, 0 or
 * false when absent or of another type. */
const char *reg_ddb_get_s(struct json_object *item, const char *name);
int64_t reg_ddb_get_n(struct json_object *item, const char *name);
bool reg_ddb_get_bool(struct json_object *item, const char *name);

/* ---- requests ------------------------------------------------------------------------------ */

/* A request object naming the table, owned by the arena. */
struct json_object *reg_ddb_request(struct dynamo_store *s, struct reg_arena *a);
/* The key {"pk": {"S": pk}, "sk": {"S": sk}}. */
struct json_object *reg_ddb_key(const char *pk, const char *sk);
/* Adds ":name" -> v (consumed) to the request's ExpressionAttributeValues. */
void reg_ddb_value(struct json_object *req, const char *name, struct json_object *v);
/* Adds "#alias" -> attribute to the request's ExpressionAttributeNames. */
void reg_ddb_attr_name(struct json_object *req, const char *alias, const char *attribute);
/* Sets the string field of the request. */
void reg_ddb_set_str(struct json_object *req, const char *field, const char *v);
/* Calls the DynamoDB operation op; *out (when out is not NULL) is the answer, owned by a. */
enum reg_status reg_ddb_call(struct dynamo_store *s, struct reg_arena *a, const char *op,
                             struct json_object *req, struct json_object **out);
/* GetItem with a consistent read; *item is NULL when absent. */
enum reg_status reg_ddb_get_item(struct dynamo_store *s, struct reg_arena *a, const char *pk,
                                 const char *sk, struct json_object **item);
/* PutItem of item (consumed), with an optional condition. */
enum reg_status reg_ddb_put_item(struct dynamo_store *s, struct reg_arena *a,
                                 struct json_object *item, const char *condition);
/* DeleteItem, with an optional condition whose ":v" is cond_value (consumed; may be NULL). */
enum reg_status reg_ddb_delete_item(struct dynamo_store *s, struct reg_arena *a, const char *pk,
                                    const char *sk, const char *condition,
                                    struct json_object *cond_value);

/* Called for each item of a Query or Scan; a non-OK return stops it and is returned. */
typedef enum reg_status (*reg_ddb_item_fn)(void *ctx, struct json_object *item);

/* Runs a Query or Scan to its end (following LastEvaluatedKey), calling fn for each item. */
enum reg_status reg_ddb_each_page(struct dynamo_store *s, struct reg_arena *a, const char *op,
                                  struct json_object *req, reg_ddb_item_fn fn, void *ctx);

/* Collects delete requests for keys and sends them in batches of BATCH_MAX. */
struct reg_ddb_deleter {
    struct dynamo_store *s;
    struct reg_arena *a;
    struct json_object *pending; /* array of {"DeleteRequest": {"Key": ...}} */
    bool (*keep)(struct json_object *item);
};

/* Sends what is pending; the deleter holds nothing afterwards, whatever the outcome. */
enum reg_status reg_ddb_deleter_flush(struct reg_ddb_deleter *d);
/* A reg_ddb_item_fn (ctx is a deleter): queues the deletion of item unless d->keep keeps it. */
enum reg_status reg_ddb_deleter_add(void *ctx, struct json_object *item);
/* Deletes every item of partition pk. */
enum reg_status reg_ddb_delete_partition(struct dynamo_store *s, struct reg_arena *a,
                                         const char *pk);

/* ---- counters ------------------------------------------------------------------------------ */

/* A fresh random token naming one write, for recognising it after a retry. */
const char *reg_ddb_new_token(struct reg_arena *a);
/* Applies add_expr to the counters item once, even across a client retry; extra_cond, when
 * given, is ANDed in and its failure is REG_ECONFLICT. *out, when given, is the new value of
 * the counter named read. */
enum reg_status reg_ddb_update_counters(struct dynamo_store *s, struct reg_arena *a,
                                        const char *add_expr, const char *extra_cond, int64_t delta,
                                        const char *read, int64_t *out);
/* ADD to counters (expr like "ADD generation :one, #count :d"); *out as above. */
enum reg_status reg_ddb_bump(struct dynamo_store *s, struct reg_arena *a, const char *expr,
                             int64_t delta, const char *read, int64_t *out);
/* The sort key "<prefix>#<seq>" of an item in a sequence (audit 'L', download history 'H'),
 * zero-padded so that the keys sort as the numbers do. */
const char *reg_ddb_seq_sk(struct reg_arena *a, char prefix, int64_t seq);
/* Reads one item of a sequence query into the slot it is given (strings into the arena). */
typedef void (*reg_ddb_seq_item_fn)(struct reg_arena *a, struct json_object *item, void *slot);
/* The items of partition pk whose sort keys are "<prefix>#<seq>" with seq > after, in seq
 * order, at most limit of them: each read by fn into items + i * size (an array of limit
 * slots the caller gives); *count says how many, *next_after the cursor of the rest (0 when
 * none remain). Consistent reads: the audit trail's and the download history's pages. */
enum reg_status reg_ddb_query_seq(struct dynamo_store *s, struct reg_arena *a, const char *pk,
                                  char prefix, int64_t after, int limit, reg_ddb_seq_item_fn fn,
                                  void *items, size_t size, int *count, int64_t *next_after);
/* The generation and count operations of the ops table. */
enum reg_status reg_ddb_generation(struct reg_store *base, uint64_t *out);
enum reg_status reg_ddb_count(struct reg_store *base, int64_t *out);

/* ---- keys (store_dynamodb.c) --------------------------------------------------------------- */

/* "A#<id>": the partition of an artifact, its README chunks and its audit entries. */
const char *reg_ddb_artifact_pk(struct reg_arena *a, const char *id);

/* ---- users, tokens, audit and secret (store_dynamodb_auth.c) ------------------------------- */

enum reg_status reg_ddb_user_insert(struct reg_store *base, const struct reg_user *u);
enum reg_status reg_ddb_user_get(struct reg_store *base, struct reg_arena *a, const char *name,
                                 struct reg_user *out);
enum reg_status reg_ddb_user_list(struct reg_store *base, struct reg_arena *a,
                                  struct reg_user **out, int *count);
enum reg_status reg_ddb_user_update(struct reg_store *base, const struct reg_user *u);
enum reg_status reg_ddb_user_remove(struct reg_store *base, const char *name);
enum reg_status reg_ddb_token_insert(struct reg_store *base, const char *id, const char *user);
enum reg_status reg_ddb_token_take(struct reg_store *base, const char *user, const char *id,
                                   int64_t max_uses, int64_t want, int64_t *granted, int64_t *uses);
enum reg_status reg_ddb_token_give_back(struct reg_store *base, const char *user, const char *id,
                                        int64_t n);
enum reg_status reg_ddb_token_check(struct reg_store *base, const char *user, const char *id,
                                    int64_t max_uses);
enum reg_status reg_ddb_audit_append(struct reg_store *base, const struct reg_audit_entry *e);
enum reg_status reg_ddb_audit_append_once(struct reg_store *base, const struct reg_audit_entry *e,
                                          int64_t window, bool *appended);
enum reg_status reg_ddb_audit_list(struct reg_store *base, struct reg_arena *a,
                                   const char *artifact_id, int64_t after, int limit,
                                   struct reg_audit_page *out);
enum reg_status reg_ddb_secret(struct reg_store *base, const unsigned char candidate[32],
                               unsigned char out[32]);

/* ---- sensitive models (store_dynamodb_sensitive.c) ----------------------------------------- */

enum reg_status reg_ddb_sensitive_get(struct reg_store *base, struct reg_arena *a, const char *id,
                                      struct reg_sensitive *out);
enum reg_status reg_ddb_sensitive_put(struct reg_store *base, const char *id, const char *program,
                                      bool set_program, int64_t now);
enum reg_status reg_ddb_sensitive_remove(struct reg_store *base, const char *id);
enum reg_status reg_ddb_download_append(struct reg_store *base, const struct reg_download_event *e);
enum reg_status reg_ddb_download_list(struct reg_store *base, struct reg_arena *a,
                                      const char *artifact_id, int64_t after, int limit,
                                      struct reg_download_page *out);

/* ---- package groups (store_dynamodb_groups.c; the marked writes in store_dynamodb.c) -------- */

enum reg_status reg_ddb_group_put(struct reg_store *base, const struct reg_group *g,
                                  int64_t expect_version);
enum reg_status reg_ddb_group_get(struct reg_store *base, struct reg_arena *a, const char *id,
                                  struct reg_group *out);
enum reg_status reg_ddb_group_commit(struct reg_store *base, const struct reg_group *g,
                                     int64_t expect_version, struct reg_artifact *arts,
                                     const bool *updated, int n);
enum reg_status reg_ddb_group_sweep(struct reg_store *base, int64_t now);
/* The item a reader sees for artifact item: *out is item itself, its previous version (an
 * update of a package group not committed), or NULL (an insert of such a group). groups (a
 * JSON object the caller owns) caches each group's answer for one read. */
enum reg_status reg_ddb_visible(struct dynamo_store *s, struct reg_arena *a,
                                struct json_object *item, struct json_object *groups,
                                struct json_object **out);
/* Inserts or updates art as package group grp's write (marked, invisible until it commits). */
enum reg_status reg_ddb_mark_insert(struct dynamo_store *s, struct reg_artifact *art,
                                    const char *grp);
enum reg_status reg_ddb_mark_update(struct dynamo_store *s, const struct reg_artifact *art,
                                    const char *grp);
/* Takes group grp's mark off artifact id: committed keeps its write, otherwise it is undone.
 * An item that no longer carries the mark is left alone. */
enum reg_status reg_ddb_unmark(struct dynamo_store *s, const char *id, const char *grp,
                               bool committed);

#endif
