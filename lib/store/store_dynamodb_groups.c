/*
 * store_dynamodb_groups.c - package groups (core/groups.h) on DynamoDB without transactions
 * (dynalite, the local server the tests use, has no TransactWriteItems): a commit record that
 * every reader honours.
 *
 * The group item (pk "GRP", sk "<id>") is the commit record. A commit:
 *   1. records on it the artifacts it is about to write (marks: ["i:<id>", "u:<id>", ...]),
 *      conditional on the group still being executing at the version the caller read;
 *   2. writes each artifact marked with the group's id (store_dynamodb.c: an insert's item, or
 *      an update's new fields with the previous ones kept beside them);
 *   3. flips the group to committed in one conditional UpdateItem: the moment every write
 *      becomes visible, since readers (reg_ddb_visible) treat a marked item as absent (insert)
 *      or as its previous version (update) until its group is committed;
 *   4. takes the marks off (housekeeping: readers are right with or without them), counts the
 *      inserts and bumps the generation.
 * A failure in 1-3 undoes what 2 wrote. A worker that dies between 1 and 3 leaves an executing
 * group with marks, invisible; one that dies in 4 leaves a committed group with marks, all
 * visible. The sweep (reg_ddb_group_sweep) finds both once the group has expired: the first it
 * moves to failed (conditionally, so a commit still running loses its flip and undoes itself)
 * and undoes, the second it finishes, and then deletes the group.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "core/groups.h"
#include "store/store_dynamodb_int.h"

#define GROUP_PK "GRP"

static struct json_object *
group_item(const struct reg_group *g)
{
    struct json_object *item = reg_ddb_key(GROUP_PK, g->id);

    json_object_object_add(item, "owner", reg_ddb_attr_s(g->owner));
    json_object_object_add(item, "state", reg_ddb_attr_n((int64_t)g->state));
    json_object_object_add(item, "created", reg_ddb_attr_n(g->created));
    json_object_object_add(item, "expires", reg_ddb_attr_n(g->expires));
    json_object_object_add(item, "version", reg_ddb_attr_n(g->version));
    json_object_object_add(item, "commands", reg_ddb_attr_s(g->commands));
    if (g->result)
        json_object_object_add(item, "result", reg_ddb_attr_s(g->result));
    return item;
}

static void
group_of(struct reg_arena *a, struct json_object *item, struct reg_group *out)
{
    int64_t state = reg_ddb_get_n(item, "state"); /* written from the enum */
    const char *result = reg_ddb_get_s(item, "result");

    memset(out, 0, sizeof(*out));
    snprintf(out->id, sizeof(out->id), "%s", reg_ddb_get_s(item, "sk"));
    out->owner = reg_arena_strdup(a, reg_ddb_get_s(item, "owner"));
    out->state = (enum reg_group_state)state;
    out->created = reg_ddb_get_n(item, "created");
    out->expires = reg_ddb_get_n(item, "expires");
    out->version = reg_ddb_get_n(item, "version");
    out->commands = reg_arena_strdup(a, reg_ddb_get_s(item, "commands"));
    out->result = result ? reg_arena_strdup(a, result) : NULL;
}

/* A replacement of group g at expect_version: an UpdateItem, so that the marks a commit
 * recorded survive a failure being recorded after it (the sweep still finds them). */
static struct json_object *
replace_request(struct dynamo_store *s, struct reg_arena *a, const struct reg_group *g,
                int64_t expect_version)
{
    struct json_object *req = reg_ddb_request(s, a);

    json_object_object_add(req, "Key", reg_ddb_key(GROUP_PK, g->id));
    reg_ddb_set_str(req, "UpdateExpression",
                    g->result ? "SET #st = :st, #ver = :nv, commands = :c, #exp = :e, #res = :r"
                              : "SET #st = :st, #ver = :nv, commands = :c, #exp = :e REMOVE #res");
    reg_ddb_set_str(req, "ConditionExpression", "#ver = :v");
    reg_ddb_attr_name(req, "#st", "state");
    reg_ddb_attr_name(req, "#ver", "version");
    reg_ddb_attr_name(req, "#exp", "expires");
    reg_ddb_attr_name(req, "#res", "result");
    reg_ddb_value(req, ":st", reg_ddb_attr_n((int64_t)g->state));
    reg_ddb_value(req, ":nv", reg_ddb_attr_n(g->version));
    reg_ddb_value(req, ":c", reg_ddb_attr_s(g->commands));
    reg_ddb_value(req, ":e", reg_ddb_attr_n(g->expires));
    reg_ddb_value(req, ":v", reg_ddb_attr_n(expect_version));
    if (g->result)
        reg_ddb_value(req, ":r", reg_ddb_attr_s(g->result));
    return req;
}

enum reg_status
reg_ddb_group_put(struct reg_store *base, const struct reg_group *g, int64_t expect_version)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct reg_arena a;
    struct json_object *req;
    enum reg_status st;

    reg_arena_init(&a);
    if (expect_version < 0) {
        req = reg_ddb_request(s, &a);
        json_object_object_add(req, "Item", group_item(g));
        reg_ddb_set_str(req, "ConditionExpression", "attribute_not_exists(pk)");
        st = reg_ddb_call(s, &a, "PutItem", req, NULL);
    } else {
        st = reg_ddb_call(s, &a, "UpdateItem", replace_request(s, &a, g, expect_version), NULL);
    }
    reg_arena_cleanup(&a);
    if (st == REG_ECONFLICT)
        return expect_version < 0 ? reg_errorf(REG_ECONFLICT, "group id %s is taken", g->id)
                                  : reg_errorf(REG_ECONFLICT, "group %s changed meanwhile", g->id);
    return st;
}

enum reg_status
reg_ddb_group_get(struct reg_store *base, struct reg_arena *a, const char *id,
                  struct reg_group *out)
{
    struct json_object *item;
    enum reg_status st = reg_ddb_get_item(reg_ddb_self(base), a, GROUP_PK, id, &item);

    if (st == REG_OK && !item)
        return reg_errorf(REG_ENOTFOUND, "no group with id %s", id);
    if (st == REG_OK)
        group_of(a, item, out);
    return st;
}

enum reg_status
reg_ddb_visible(struct dynamo_store *s, struct reg_arena *a, struct json_object *item,
                struct json_object *groups, struct json_object **out)
{
    const char *grp = reg_ddb_get_s(item, "grp");
    struct json_object *known, *group, *prev;
    bool committed;

    *out = item;
    if (!grp)
        return REG_OK;
    if (groups && json_object_object_get_ex(groups, grp, &known)) {
        committed = json_object_get_boolean(known);
    } else {
        enum reg_status st = reg_ddb_get_item(s, a, GROUP_PK, grp, &group);
        if (st != REG_OK)
            return st;
        committed = group && reg_ddb_get_n(group, "state") == REG_GROUP_COMMITTED;
        if (groups)
            json_object_object_add(groups, grp, json_object_new_boolean(committed));
    }
    if (committed)
        return REG_OK;
    if (!reg_ddb_get_s(item, "prev_url")) {
        *out = NULL; /* an insert of a group that has not committed: not there yet */
        return REG_OK;
    }
    /* An update of a group that has not committed: the version before it. */
    prev = reg_arena_own_json(a, json_object_new_object());
    json_object_object_foreach(item, key, val)
    {
        json_object_object_add(prev, key, json_object_get(val));
    }
    json_object_object_add(prev, "url", reg_ddb_attr_s(reg_ddb_get_s(item, "prev_url")));
    json_object_object_add(prev, "readme_token",
                           reg_ddb_attr_s(reg_ddb_get_s(item, "prev_readme_token")
                                              ? reg_ddb_get_s(item, "prev_readme_token")
                                              : ""));
    json_object_object_add(prev, "readme_chunks",
                           reg_ddb_attr_n(reg_ddb_get_n(item, "prev_readme_chunks")));
    if (reg_ddb_get_s(item, "prev_metadata"))
        json_object_object_add(prev, "metadata",
                               reg_ddb_attr_s(reg_ddb_get_s(item, "prev_metadata")));
    else
        json_object_object_del(prev, "metadata");
    *out = prev;
    return REG_OK;
}

/* ---- commit -------------------------------------------------------------------------------- */

/* An UpdateItem of group id, conditional on it being at version and executing. */
static struct json_object *
group_update(struct dynamo_store *s, struct reg_arena *a, const char *id, int64_t version)
{
    struct json_object *req = reg_ddb_request(s, a);

    json_object_object_add(req, "Key", reg_ddb_key(GROUP_PK, id));
    reg_ddb_set_str(req, "ConditionExpression", "#ver = :v AND #st = :executing");
    reg_ddb_attr_name(req, "#st", "state");
    reg_ddb_attr_name(req, "#ver", "version");
    reg_ddb_value(req, ":v", reg_ddb_attr_n(version));
    reg_ddb_value(req, ":executing", reg_ddb_attr_n(REG_GROUP_EXECUTING));
    return req;
}

/* Step 1: the marks the commit is about to write, recorded before any of them is. */
static enum reg_status
record_marks(struct dynamo_store *s, struct reg_arena *a, const char *id, int64_t version,
             const struct reg_artifact *arts, const bool *updated, int n)
{
    struct json_object *req = group_update(s, a, id, version);
    struct json_object *marks = reg_arena_own_json(a, json_object_new_array());

    for (int i = 0; i < n; i++)
        json_object_array_add(marks, json_object_new_string(reg_arena_sprintf(
                                         a, "%c:%s", updated[i] ? 'u' : 'i', arts[i].id)));
    reg_ddb_set_str(req, "UpdateExpression", "SET marks = :m");
    reg_ddb_value(req, ":m", reg_ddb_attr_s(json_object_to_json_string(marks)));
    return reg_ddb_call(s, a, "UpdateItem", req, NULL);
}

/* Takes group id's marks off the first n of arts (kept when committed, else undone). */
static enum reg_status
unmark_all(struct dynamo_store *s, const char *id, const struct reg_artifact *arts, int n,
           bool committed)
{
    enum reg_status st = REG_OK;

    for (int i = 0; i < n; i++) {
        enum reg_status one = reg_ddb_unmark(s, arts[i].id, id, committed);
        if (one != REG_OK && st == REG_OK)
            st = one;
    }
    return st;
}

/* Step 3: the flip. A flip whose answer was lost (a 5xx after it landed) is recognised by
 * reading the group back. */
static enum reg_status
flip(struct dynamo_store *s, struct reg_arena *a, const struct reg_group *g, int64_t expect_version)
{
    struct json_object *req = group_update(s, a, g->id, expect_version), *after;
    enum reg_status st;

    reg_ddb_set_str(req, "UpdateExpression", "SET #st = :committed, #ver = :nv, #res = :r");
    reg_ddb_attr_name(req, "#res", "result");
    reg_ddb_value(req, ":committed", reg_ddb_attr_n(REG_GROUP_COMMITTED));
    reg_ddb_value(req, ":nv", reg_ddb_attr_n(g->version));
    reg_ddb_value(req, ":r", reg_ddb_attr_s(g->result ? g->result : "null"));
    st = reg_ddb_call(s, a, "UpdateItem", req, NULL);
    if (st == REG_OK)
        return REG_OK;
    if (reg_ddb_get_item(s, a, GROUP_PK, g->id, &after) == REG_OK && after &&
        reg_ddb_get_n(after, "state") == REG_GROUP_COMMITTED &&
        reg_ddb_get_n(after, "version") == g->version)
        return REG_OK;
    if (st == REG_ECONFLICT)
        return reg_errorf(REG_ECONFLICT, "group %s changed meanwhile (expired and swept?)", g->id);
    return st;
}

/* Step 4: the marks off, the group's record of them dropped, the counters moved. Failures
 * leave marks that readers resolve and the sweep removes: the commit stands. */
static void
finish(struct dynamo_store *s, struct reg_arena *a, const struct reg_group *g,
       const struct reg_artifact *arts, const bool *updated, int n)
{
    struct json_object *req = reg_ddb_request(s, a);
    int64_t inserted = 0;

    if (unmark_all(s, g->id, arts, n, true) == REG_OK) {
        json_object_object_add(req, "Key", reg_ddb_key(GROUP_PK, g->id));
        reg_ddb_set_str(req, "UpdateExpression", "REMOVE marks");
        (void)reg_ddb_call(s, a, "UpdateItem", req, NULL);
    }
    for (int i = 0; i < n; i++)
        inserted += updated[i] ? 0 : 1;
    (void)reg_ddb_bump(s, a, "ADD generation :one, #count :d", inserted, NULL, NULL);
}

enum reg_status
reg_ddb_group_commit(struct reg_store *base, const struct reg_group *g, int64_t expect_version,
                     struct reg_artifact *arts, const bool *updated, int n)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct reg_arena a;
    int written = 0;
    enum reg_status st;

    reg_arena_init(&a);
    st = record_marks(s, &a, g->id, expect_version, arts, updated, n);
    if (st == REG_ECONFLICT)
        st = reg_errorf(REG_ECONFLICT, "group %s changed meanwhile", g->id);
    for (; st == REG_OK && written < n; written++)
        st = updated[written] ? reg_ddb_mark_update(s, &arts[written], g->id)
                              : reg_ddb_mark_insert(s, &arts[written], g->id);
    if (st == REG_OK)
        st = flip(s, &a, g, expect_version);
    if (st == REG_OK)
        finish(s, &a, g, arts, updated, n);
    else
        (void)unmark_all(s, g->id, arts, written, false);
    reg_arena_cleanup(&a);
    return st;
}

/* ---- sweep --------------------------------------------------------------------------------- */

/* Takes the marks the group item recorded off (kept when committed, else undone). */
static enum reg_status
settle_marks(struct dynamo_store *s, struct reg_arena *a, struct json_object *item, bool committed)
{
    const char *text = reg_ddb_get_s(item, "marks");
    const char *id = reg_ddb_get_s(item, "sk");
    struct json_object *marks = text ? json_tokener_parse(text) : NULL;
    enum reg_status st = REG_OK;

    reg_arena_own_json(a, marks);
    for (size_t i = 0; marks && json_object_is_type(marks, json_type_array) &&
                       i < json_object_array_length(marks);
         i++) {
        const char *m = json_object_get_string(json_object_array_get_idx(marks, i));
        if (m && strlen(m) > 2) {
            enum reg_status one = reg_ddb_unmark(s, m + 2, id, committed);
            if (one != REG_OK && st == REG_OK)
                st = one;
        }
    }
    return st;
}

static enum reg_status
delete_group(struct dynamo_store *s, struct reg_arena *a, const char *id, int64_t version)
{
    struct json_object *req = reg_ddb_request(s, a);

    json_object_object_add(req, "Key", reg_ddb_key(GROUP_PK, id));
    reg_ddb_set_str(req, "ConditionExpression", "#ver = :v");
    reg_ddb_attr_name(req, "#ver", "version");
    reg_ddb_value(req, ":v", reg_ddb_attr_n(version));
    return reg_ddb_call(s, a, "DeleteItem", req, NULL);
}

/* One expired group: an executing one is failed first (its commit can no longer flip), then
 * its marks settled, then the group deleted, each step conditional on the one before. */
static enum reg_status
sweep_one(struct dynamo_store *s, struct reg_arena *a, struct json_object *item)
{
    const char *id = reg_ddb_get_s(item, "sk");
    int64_t state = reg_ddb_get_n(item, "state"), version = reg_ddb_get_n(item, "version");
    enum reg_status st = REG_OK;

    if (state == REG_GROUP_EXECUTING) {
        struct json_object *req = group_update(s, a, id, version);
        reg_ddb_set_str(req, "UpdateExpression", "SET #st = :failed, #ver = :nv");
        reg_ddb_value(req, ":failed", reg_ddb_attr_n(REG_GROUP_FAILED));
        reg_ddb_value(req, ":nv", reg_ddb_attr_n(version + 1));
        st = reg_ddb_call(s, a, "UpdateItem", req, NULL);
        version++;
    }
    if (st == REG_OK)
        st = settle_marks(s, a, item, state == REG_GROUP_COMMITTED);
    if (st == REG_OK)
        st = delete_group(s, a, id, version);
    return st == REG_ECONFLICT ? REG_OK : st; /* another sweep or a late change: next time */
}

struct sweep {
    struct dynamo_store *s;
    struct reg_arena *a;
    enum reg_status st;
};

static enum reg_status
sweep_item(void *ctx, struct json_object *item)
{
    struct sweep *sw = ctx;
    enum reg_status st = sweep_one(sw->s, sw->a, item);

    if (st != REG_OK && sw->st == REG_OK)
        sw->st = st;
    return REG_OK; /* one group's trouble does not keep the others */
}

enum reg_status
reg_ddb_group_sweep(struct reg_store *base, int64_t now)
{
    struct dynamo_store *s = reg_ddb_self(base);
    struct reg_arena a;
    struct json_object *req;
    struct sweep sw;
    enum reg_status st;

    reg_arena_init(&a);
    sw = (struct sweep){s, &a, REG_OK};
    req = reg_ddb_request(s, &a);
    reg_ddb_set_str(req, "KeyConditionExpression", "pk = :pk");
    reg_ddb_set_str(req, "FilterExpression", "#exp < :now");
    reg_ddb_attr_name(req, "#exp", "expires");
    reg_ddb_value(req, ":pk", reg_ddb_attr_s(GROUP_PK));
    reg_ddb_value(req, ":now", reg_ddb_attr_n(now));
    json_object_object_add(req, "ConsistentRead", json_object_new_boolean(true));
    st = reg_ddb_each_page(s, &a, "Query", req, sweep_item, &sw);
    reg_arena_cleanup(&a);
    return st == REG_OK ? sw.st : st;
}
