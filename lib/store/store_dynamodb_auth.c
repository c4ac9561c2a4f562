/*
 * store_dynamodb_auth.c - users, tokens, the audit trail and the token secret of the DynamoDB
 * store (the operations store_dynamodb.c puts in its ops table). Items, on the table that
 * store_dynamodb.c describes:
 *   user          pk "USERS"            sk "<name>"     is_admin, perms, password, created_at,
 *                                                       write_token
 *   token         pk "UTOK#<user>"      sk "<id>"       uses, last_use
 *   audit entry   pk "A#<id>"           sk "L#<audit_seq, 19 digits>"  user, is_admin, action,
 *                                                       date, name, type, id
 *   reader mark   pk "A#<id>"           sk "R#<action>#<user>"  last (date of the user's latest
 *                                                       entry of that action), write_token
 *   token secret  pk "META"             sk "SECRET"     value (hex)
 * and two counters on the counters item (dynamodb_items.c): admins, the number of admins, and
 * audit_seq, which orders the audit entries.
 *
 * - Token uses are one conditional update ("uses < max"), exact under any concurrency.
 * - The last admin is protected by the admins counter: taking an admin away first decrements
 *   it on condition that it stays above zero, so two concurrent removals cannot both pass.
 * - An entry appended once per window first moves the reader mark forward on condition that
 *   its date is outside the window, so of concurrent readers exactly one appends. A crash
 *   between the two loses that one entry rather than writing two.
 * - Audit entries are read a page at a time, from the cursor (an audit_seq) on.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/user.h"
#include "aws/dynamodb.h"
#include "base/log.h"
#include "base/str.h"
#include "core/audit.h"
#include "store/store_dynamodb_int.h"

/* ---- users and tokens ---------------------------------------------------------------------- */

static void
user_from(struct reg_arena *a, struct json_object *item, struct reg_user *out)
{
    out->name = reg_arena_strdup(a, reg_ddb_get_s(item, "sk"));
    out->is_admin = reg_ddb_get_bool(item, "is_admin");
    out->perms = (unsigned)reg_ddb_get_n(item, "perms");
    out->password =
        reg_arena_strdup(a, reg_ddb_get_s(item, "password") ? reg_ddb_get_s(item, "password") : "");
}

enum reg_status
reg_ddb_user_insert(struct reg_store *base, const struct reg_user *u)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct reg_arena a;
    struct json_object *item, *held;
    const char *token;
    enum reg_status st;

    reg_arena_init(&a);
    item = reg_ddb_key("USERS", u->name);
    json_object_object_add(item, "is_admin", reg_ddb_attr_bool(u->is_admin));
    json_object_object_add(item, "perms", reg_ddb_attr_n(u->perms));
    json_object_object_add(item, "password", reg_ddb_attr_s(u->password));
    json_object_object_add(item, "created_at", reg_ddb_attr_n((int64_t)time(NULL)));
    token = reg_ddb_new_token(&a);
    json_object_object_add(item, "write_token", reg_ddb_attr_s(token));
    st = reg_ddb_put_item(s, &a, item, "attribute_not_exists(pk)");
    if (st == REG_ECONFLICT && reg_dynamodb_last_call_retried(s->db) &&
        reg_ddb_get_item(s, &a, "USERS", u->name, &held) == REG_OK &&
        reg_ddb_get_s(held, "write_token") &&
        strcmp(reg_ddb_get_s(held, "write_token"), token) == 0)
        st = REG_OK; /* an earlier attempt of this very put landed */
    if (st == REG_OK && u->is_admin)
        st = reg_ddb_bump(s, &a, "ADD admins :one", 1, NULL, NULL);
    reg_arena_cleanup(&a);
    if (st == REG_ECONFLICT)
        return reg_errorf(REG_ECONFLICT, "user '%.100s' exists already", u->name);
    return st;
}

/* Takes one admin away from the admins counter unless it is the last one. */
static enum reg_status
release_admin(struct dynamo_store *s, struct reg_arena *a, const char *name, const char *what)
{
    enum reg_status st =
        reg_ddb_update_counters(s, a, "ADD admins :d", "admins > :one", -1, NULL, NULL);

    if (st == REG_ECONFLICT)
        return reg_errorf(REG_ECONFLICT, "cannot %s '%.100s': no other admin would remain", what,
                          name);
    return st;
}

enum reg_status
reg_ddb_user_get(struct reg_store *base, struct reg_arena *a, const char *name,
                 struct reg_user *out)
{
    struct json_object *item = NULL;
    /* DynamoDB refuses empty key strings; no user has an empty name. */
    enum reg_status st =
        *name ? reg_ddb_get_item(reg_ddb_self(base), a, "USERS", name, &item) : REG_OK;

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
    l->created[l->count] = reg_ddb_get_n(item, "created_at");
    user_from(l->a, item, &l->users[l->count++]);
    return REG_OK;
}

enum reg_status
reg_ddb_user_list(struct reg_store *base, struct reg_arena *a, struct reg_user **out, int *count)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct json_object *req = reg_ddb_request(s, a);
    struct user_list l = {a, NULL, NULL, 0, 16};
    enum reg_status st;

    l.users = reg_arena_alloc(a, sizeof(*l.users) * (size_t)l.cap);
    l.created = reg_arena_alloc(a, sizeof(*l.created) * (size_t)l.cap);
    reg_ddb_set_str(req, "KeyConditionExpression", "pk = :pk");
    reg_ddb_value(req, ":pk", reg_ddb_attr_s("USERS"));
    json_object_object_add(req, "ConsistentRead", json_object_new_boolean(true));
    st = reg_ddb_each_page(s, a, "Query", req, add_user, &l);
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

enum reg_status
reg_ddb_user_update(struct reg_store *base, const struct reg_user *u)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct reg_arena a;
    struct json_object *req;
    struct json_object *old;
    bool was_admin;
    enum reg_status st;

    if (!*u->name)
        return reg_errorf(REG_ENOTFOUND, "no user named ''");
    reg_arena_init(&a);
    st = reg_ddb_get_item(s, &a, "USERS", u->name, &old);
    if (st == REG_OK && !old)
        st = reg_errorf(REG_ENOTFOUND, "no user named '%.100s'", u->name);
    was_admin = reg_ddb_get_bool(old, "is_admin");
    if (st == REG_OK && was_admin && !u->is_admin)
        st = release_admin(s, &a, u->name, "remove admin from");
    if (st == REG_OK) {
        req = reg_ddb_request(s, &a);
        json_object_object_add(req, "Key", reg_ddb_key("USERS", u->name));
        reg_ddb_set_str(req, "UpdateExpression", "SET is_admin = :a, perms = :p");
        reg_ddb_set_str(req, "ConditionExpression", "attribute_exists(pk)");
        reg_ddb_value(req, ":a", reg_ddb_attr_bool(u->is_admin));
        reg_ddb_value(req, ":p", reg_ddb_attr_n(u->perms));
        st = reg_ddb_call(s, &a, "UpdateItem", req, NULL);
        if (st == REG_ECONFLICT)
            st = reg_errorf(REG_ENOTFOUND, "no user named '%.100s'", u->name);
        if (st == REG_OK && !was_admin && u->is_admin)
            st = reg_ddb_bump(s, &a, "ADD admins :one", 1, NULL, NULL);
    }
    reg_arena_cleanup(&a);
    return st;
}

enum reg_status
reg_ddb_user_remove(struct reg_store *base, const char *name)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct reg_arena a;
    struct json_object *old;
    enum reg_status st;

    if (!*name)
        return reg_errorf(REG_ENOTFOUND, "no user named ''");
    reg_arena_init(&a);
    st = reg_ddb_get_item(s, &a, "USERS", name, &old);
    if (st == REG_OK && !old)
        st = reg_errorf(REG_ENOTFOUND, "no user named '%.100s'", name);
    if (st == REG_OK && reg_ddb_get_bool(old, "is_admin"))
        st = release_admin(s, &a, name, "delete");
    /* Tokens first: a crash in between leaves a user without tokens, never tokens of a user
     * that is gone. */
    if (st == REG_OK)
        st = reg_ddb_delete_partition(s, &a, reg_arena_sprintf(&a, "UTOK#%s", name));
    if (st == REG_OK) {
        st = reg_ddb_delete_item(s, &a, "USERS", name, "attribute_exists(pk)", NULL);
        if (st == REG_ECONFLICT)
            st = reg_errorf(REG_ENOTFOUND, "no user named '%.100s'", name);
    }
    reg_arena_cleanup(&a);
    return st;
}

enum reg_status
reg_ddb_token_insert(struct reg_store *base, const char *id, const char *user)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct reg_arena a;
    struct json_object *item, *owner = NULL;
    enum reg_status st;

    if (!*user || !*id)
        return reg_errorf(REG_EINVAL, "a token needs a user and an id");
    reg_arena_init(&a);
    item = reg_ddb_key(reg_arena_sprintf(&a, "UTOK#%s", user), id);
    json_object_object_add(item, "uses", reg_ddb_attr_n(0));
    st = reg_ddb_put_item(s, &a, item, "attribute_not_exists(pk)");
    /* A user deleted meanwhile must not leave a token behind for a later namesake. */
    if (st == REG_OK)
        st = reg_ddb_get_item(s, &a, "USERS", user, &owner);
    if (st == REG_OK && !owner) {
        (void)reg_ddb_delete_item(s, &a, reg_arena_sprintf(&a, "UTOK#%s", user), id, NULL, NULL);
        st = reg_errorf(REG_ECONFLICT, "no user named '%.100s' to hold a token", user);
    }
    reg_arena_cleanup(&a);
    return st;
}

/* Why a token is not accepted: its item exists (it is used up) or not (revoked). */
static enum reg_status
token_refused(bool exists, int64_t max_uses)
{
    if (exists)
        return reg_errorf(REG_EAUTH,
                          "the access token has been used %lld times, its limit; "
                          "authenticate again",
                          (long long)max_uses);
    return reg_errorf(REG_EAUTH, "the access token has been revoked");
}

/* One UpdateItem of a token's count: ADD delta when the item exists and `uses <cmp> :bound`
 * holds. REG_ECONFLICT when the condition fails, unless this very update had landed (a retry
 * after a lost answer, recognised by its write token in last_use): then REG_OK. *uses is the
 * count after the update; *item (when not NULL) the item as read after a failed condition
 * (NULL if there is none). */
static enum reg_status
add_uses(struct dynamo_store *s, struct reg_arena *a, const char *pk, const char *id, int64_t delta,
         const char *cmp, int64_t bound, int64_t *uses, struct json_object **item)
{
    struct json_object *req = reg_ddb_request(s, a), *resp, *attrs, *held = NULL;
    const char *token = reg_ddb_new_token(a);
    enum reg_status st;

    json_object_object_add(req, "Key", reg_ddb_key(pk, id));
    reg_ddb_set_str(req, "UpdateExpression", "SET last_use = :tok ADD uses :delta");
    reg_ddb_set_str(req, "ConditionExpression",
                    reg_arena_sprintf(a,
                                      "attribute_exists(pk) AND uses %s :bound AND "
                                      "(attribute_not_exists(last_use) OR last_use <> :tok)",
                                      cmp));
    reg_ddb_value(req, ":delta", reg_ddb_attr_n(delta));
    reg_ddb_value(req, ":bound", reg_ddb_attr_n(bound));
    reg_ddb_value(req, ":tok", reg_ddb_attr_s(token));
    reg_ddb_set_str(req, "ReturnValues", "UPDATED_NEW");
    st = reg_ddb_call(s, a, "UpdateItem", req, &resp);
    if (st == REG_OK && json_object_object_get_ex(resp, "Attributes", &attrs))
        *uses = reg_ddb_get_n(attrs, "uses");
    if (st != REG_ECONFLICT)
        return st;
    st = reg_ddb_get_item(s, a, pk, id, &held);
    if (item)
        *item = held;
    if (st != REG_OK)
        return st;
    if (held && reg_ddb_get_s(held, "last_use") &&
        strcmp(reg_ddb_get_s(held, "last_use"), token) == 0) {
        *uses = reg_ddb_get_n(held, "uses");
        return REG_OK;
    }
    return reg_errorf(REG_ECONFLICT, "the token's count did not allow the change");
}

/* Attempts at taking the rest of a token's uses while other callers change its count. */
#define TAKE_REST_ATTEMPTS 16

enum reg_status
reg_ddb_token_take(struct reg_store *base, const char *user, const char *id, int64_t max_uses,
                   int64_t want, int64_t *granted, int64_t *uses)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct reg_arena a;
    struct json_object *item = NULL;
    const char *pk;
    enum reg_status st;

    *granted = 0;
    if (!*user || !*id)
        return reg_errorf(REG_EAUTH, "the access token has been revoked");
    if (want < 1)
        return reg_errorf(REG_EINVAL, "a token use count must be positive");
    reg_arena_init(&a);
    pk = reg_arena_sprintf(&a, "UTOK#%s", user);
    /* All of want if that many remain; else the rest, by compare-and-set on the count read. */
    st = add_uses(s, &a, pk, id, want, "<=", max_uses - want, uses, &item);
    if (st == REG_OK)
        *granted = want;
    for (int attempt = 0; st == REG_ECONFLICT && attempt < TAKE_REST_ATTEMPTS; attempt++) {
        int64_t now = item ? reg_ddb_get_n(item, "uses") : 0;
        if (!item || now >= max_uses) {
            st = token_refused(item != NULL, max_uses);
            break;
        }
        st = add_uses(s, &a, pk, id, max_uses - now, "=", now, uses, &item);
        if (st == REG_OK)
            *granted = max_uses - now;
    }
    if (st == REG_ECONFLICT)
        st = reg_errorf(REG_ESTORE, "a token's count kept changing; try again");
    reg_arena_cleanup(&a);
    return st;
}

enum reg_status
reg_ddb_token_give_back(struct reg_store *base, const char *user, const char *id, int64_t n)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct reg_arena a;
    struct json_object *item = NULL;
    const char *pk;
    int64_t uses = 0;
    enum reg_status st;

    if (!*user || !*id || n < 1)
        return REG_OK;
    reg_arena_init(&a);
    pk = reg_arena_sprintf(&a, "UTOK#%s", user);
    st = add_uses(s, &a, pk, id, -n, ">=", n, &uses, &item);
    /* Counted below n (by hand, or an older give-back that landed twice): down to 0, if the
     * count is still what was read. Gone (revoked): nothing to return. */
    if (st == REG_ECONFLICT && item && reg_ddb_get_n(item, "uses") < n) {
        int64_t now = reg_ddb_get_n(item, "uses");
        st = now > 0 ? add_uses(s, &a, pk, id, -now, "=", now, &uses, NULL) : REG_OK;
    }
    if (st == REG_ECONFLICT)
        st = REG_OK;
    reg_arena_cleanup(&a);
    return st;
}

enum reg_status
reg_ddb_token_check(struct reg_store *base, const char *user, const char *id, int64_t max_uses)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct reg_arena a;
    struct json_object *item = NULL;
    enum reg_status st = REG_OK;

    if (!*user || !*id)
        return token_refused(false, max_uses);
    reg_arena_init(&a);
    st = reg_ddb_get_item(s, &a, reg_arena_sprintf(&a, "UTOK#%s", user), id, &item);
    if (st == REG_OK && (!item || reg_ddb_get_n(item, "uses") >= max_uses))
        st = token_refused(item != NULL, max_uses);
    reg_arena_cleanup(&a);
    return st;
}

/* ---- audit and secret ---------------------------------------------------------------------- */

enum reg_status
reg_ddb_audit_append(struct reg_store *base, const struct reg_audit_entry *e)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct reg_arena a;
    struct json_object *item;
    int64_t seq = 0;
    enum reg_status st;

    reg_arena_init(&a);
    /* A table-wide sequence orders the entries, also those written in the same millisecond. */
    st = reg_ddb_bump(s, &a, "ADD audit_seq :one", 1, "audit_seq", &seq);
    if (st != REG_OK) {
        reg_arena_cleanup(&a);
        return st;
    }
    item = reg_ddb_key(reg_ddb_artifact_pk(&a, e->artifact.id), reg_ddb_seq_sk(&a, 'L', seq));
    json_object_object_add(item, "user", reg_ddb_attr_s(e->user));
    json_object_object_add(item, "is_admin", reg_ddb_attr_bool(e->is_admin));
    json_object_object_add(item, "action", reg_ddb_attr_n(e->action));
    json_object_object_add(item, "date", reg_ddb_attr_n(e->date));
    json_object_object_add(item, "name", reg_ddb_attr_s(e->artifact.name));
    json_object_object_add(item, "type", reg_ddb_attr_n(e->artifact.type));
    json_object_object_add(item, "id", reg_ddb_attr_s(e->artifact.id));
    st = reg_ddb_put_item(s, &a, item, NULL);
    reg_arena_cleanup(&a);
    return st;
}

/* Moves the reader mark of e to e->date unless it is within window of it; *moved says which.
 * A retry of a move that had landed is recognised by its write token. */
static enum reg_status
move_mark(struct dynamo_store *s, struct reg_arena *a, const struct reg_audit_entry *e,
          int64_t window, bool *moved)
{
    struct json_object *req = reg_ddb_request(s, a);
    const char *sk = reg_arena_sprintf(a, "R#%d#%s", (int)e->action, e->user);
    enum reg_status st;

    json_object_object_add(req, "Key", reg_ddb_key(reg_ddb_artifact_pk(a, e->artifact.id), sk));
    reg_ddb_set_str(req, "UpdateExpression", "SET #last = :date, write_token = :tok");
    reg_ddb_set_str(req, "ConditionExpression",
                    "attribute_not_exists(#last) OR #last <= :cutoff OR write_token = :tok");
    reg_ddb_attr_name(req, "#last", "last");
    reg_ddb_value(req, ":date", reg_ddb_attr_n(e->date));
    reg_ddb_value(req, ":cutoff", reg_ddb_attr_n(e->date - window));
    reg_ddb_value(req, ":tok", reg_ddb_attr_s(reg_ddb_new_token(a)));
    st = reg_ddb_call(s, a, "UpdateItem", req, NULL);
    *moved = st == REG_OK;
    return st == REG_ECONFLICT ? REG_OK : st;
}

enum reg_status
reg_ddb_audit_append_once(struct reg_store *base, const struct reg_audit_entry *e, int64_t window,
                          bool *appended)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct reg_arena a;
    enum reg_status st;

    *appended = false;
    reg_arena_init(&a);
    st = move_mark(s, &a, e, window, appended);
    reg_arena_cleanup(&a);
    if (st == REG_OK && *appended)
        st = reg_ddb_audit_append(base, e);
    if (st != REG_OK)
        *appended = false;
    return st;
}

static void
entry_from(struct reg_arena *a, struct json_object *item, void *slot)
{
    struct reg_audit_entry *e = slot;
    /* written from the enums by reg_ddb_audit_append */
    int64_t action = reg_ddb_get_n(item, "action"), type = reg_ddb_get_n(item, "type");

    e->user = reg_arena_strdup(a, reg_ddb_get_s(item, "user") ? reg_ddb_get_s(item, "user") : "");
    e->is_admin = reg_ddb_get_bool(item, "is_admin");
    e->action = (enum reg_audit_action)action;
    e->date = reg_ddb_get_n(item, "date");
    snprintf(e->artifact.id, sizeof(e->artifact.id), "%s",
             reg_ddb_get_s(item, "id") ? reg_ddb_get_s(item, "id") : "");
    e->artifact.name =
        reg_arena_strdup(a, reg_ddb_get_s(item, "name") ? reg_ddb_get_s(item, "name") : "");
    e->artifact.type = (enum reg_artifact_type)type;
}

enum reg_status
reg_ddb_audit_list(struct reg_store *base, struct reg_arena *a, const char *artifact_id,
                   int64_t after, int limit, struct reg_audit_page *out)
{
    struct dynamo_store *s = reg_ddb_self(base);

    out->items = reg_arena_alloc(a, sizeof(*out->items) * (size_t)(limit + 1));
    return reg_ddb_query_seq(s, a, reg_ddb_artifact_pk(a, artifact_id), 'L', after, limit,
                             entry_from, out->items, sizeof(*out->items), &out->count,
                             &out->next_after);
}

enum reg_status
reg_ddb_secret(struct reg_store *base, const unsigned char candidate[32], unsigned char out[32])
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct reg_arena a;
    struct json_object *item;
    char hex[65];
    const char *stored;
    enum reg_status st;

    reg_arena_init(&a);
    reg_str_hex(candidate, 32, hex);
    item = reg_ddb_key("META", "SECRET");
    json_object_object_add(item, "value", reg_ddb_attr_s(hex));
    st = reg_ddb_put_item(s, &a, item, "attribute_not_exists(pk)");
    if (st == REG_ECONFLICT || st == REG_OK)
        st = reg_ddb_get_item(s, &a, "META", "SECRET", &item);
    stored = st == REG_OK ? reg_ddb_get_s(item, "value") : NULL;
    if (st == REG_OK && (!stored || strlen(stored) != 64 || !reg_str_unhex(stored, 64, out)))
        st = reg_errorf(REG_ESTORE, "the stored token secret is malformed");
    reg_arena_cleanup(&a);
    return st;
}
