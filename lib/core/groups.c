/*
 * groups.c - atomic package groups (core/groups.h): create, append a checked command, execute
 * every command or none, and the lazy sweep of expired groups.
 */
#include "core/groups.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "base/json.h"
#include "base/log.h"
#include "bundle/index.h"

/* Attempts at drawing a group id that is not taken (63 random bits: one almost always). */
#define ID_ATTEMPTS 4
/* The ids staged zips are kept under in the bundle index (staged_id). */
#define STAGED_PREFIX "g-"

static const char *const state_names[] = {
    [REG_GROUP_OPEN] = "open",
    [REG_GROUP_EXECUTING] = "executing",
    [REG_GROUP_COMMITTED] = "committed",
    [REG_GROUP_FAILED] = "failed",
};

const char *
reg_group_state_name(enum reg_group_state st)
{
    return st <= REG_GROUP_FAILED ? state_names[st] : "unknown";
}

/* Expired groups go before any group is created or read: no timer, and a registry nobody
 * uses holds at most the groups of its last hour. A failed sweep is logged, not returned: the
 * request at hand does not depend on it, and the next one sweeps again. */
static void
sweep(struct reg_store *store, int64_t now)
{
    if (reg_store_group_sweep(store, now) != REG_OK)
        reg_log(REG_LOG_WARN, "expired package groups not swept: %s", reg_error_detail());
}

enum reg_status
reg_group_create(struct reg_store *store, struct reg_arena *a,
                 const struct reg_group_caller *caller, int64_t ttl, struct reg_group *out)
{
    int64_t now = (int64_t)time(NULL);
    enum reg_status st = REG_ECONFLICT;

    if (ttl == 0)
        ttl = REG_GROUP_TTL_DEFAULT;
    if (ttl < 1 || ttl > REG_GROUP_TTL_MAX)
        return reg_errorf(REG_EINVAL, "ttl must be 1 to %d seconds", REG_GROUP_TTL_MAX);
    sweep(store, now);
    memset(out, 0, sizeof(*out));
    out->owner = reg_arena_strdup(a, caller->name);
    out->state = REG_GROUP_OPEN;
    out->created = now;
    out->expires = now + ttl;
    out->version = 1;
    out->commands = "[]";
    for (int i = 0; i < ID_ATTEMPTS && st == REG_ECONFLICT; i++) {
        reg_artifact_id_new(out->id);
        st = reg_store_group_put(store, out, -1);
    }
    return st;
}

enum reg_status
reg_group_get(struct reg_store *store, struct reg_arena *a, const struct reg_group_caller *caller,
              const char *id, struct reg_group *out)
{
    int64_t now = (int64_t)time(NULL);
    enum reg_status st = reg_artifact_id_check(id);

    if (st != REG_OK)
        return st;
    sweep(store, now);
    st = reg_store_group_get(store, a, id, out);
    if (st == REG_OK && out->expires < now) /* the sweep of another host has not run yet */
        st = reg_errorf(REG_ENOTFOUND, "no group with id %s", id);
    if (st == REG_OK && !caller->is_admin && strcmp(out->owner, caller->name) != 0)
        st = reg_errorf(REG_EFORBIDDEN, "group %s belongs to another user", id);
    return st;
}

/* The group's commands: a JSON array the registry itself wrote. */
static enum reg_status
commands_of(struct reg_arena *a, const struct reg_group *g, struct json_object **out)
{
    enum reg_status st = reg_json_parse(a, g->commands, strlen(g->commands), out);

    if (st == REG_OK && !json_object_is_type(*out, json_type_array))
        st = reg_errorf(REG_EINTERNAL, "group %s: stored commands are not a list", g->id);
    return st;
}

/* Prefixes the recorded detail of failure st with the command it concerns. */
static enum reg_status
blame(enum reg_status st, int index, const char *op)
{
    char why[REG_ERROR_DETAIL_MAX];

    snprintf(why, sizeof(why), "%s", reg_error_detail());
    return reg_errorf(st, "command %d (%s): %s", index + 1, op, why);
}

/* The fields of a command as the registry keeps them. An upload's url is "upload://<sha256>"
 * of its zip, staged is the id its blob is kept under until the execute (staged_id) and size
 * the zip's. */
struct command {
    const char *op, *type_name, *url, *name, *id, *staged;
    enum reg_artifact_type type;
    int64_t size;
    bool update, upload;
};

static enum reg_status
read_command(struct json_object *obj, struct command *c)
{
    enum reg_status st;

    memset(c, 0, sizeof(*c));
    st = reg_json_get_string(obj, "op", &c->op);
    if (st == REG_OK && strcmp(c->op, "ingest") != 0 && strcmp(c->op, "update") != 0 &&
        strcmp(c->op, "upload") != 0)
        st = reg_errorf(REG_EINVAL, "op '%.32s' is not ingest, update or upload", c->op);
    if (st == REG_OK)
        st = reg_json_get_string(obj, "type", &c->type_name);
    if (st == REG_OK)
        st = reg_artifact_type_parse(c->type_name, &c->type);
    if (st == REG_OK)
        st = reg_json_get_string(obj, "url", &c->url);
    if (st == REG_OK)
        st = reg_json_opt_string(obj, "name", &c->name);
    if (st == REG_OK)
        st = reg_json_opt_string(obj, "id", &c->id);
    if (st == REG_OK)
        st = reg_json_opt_string(obj, "staged", &c->staged);
    c->update = st == REG_OK && strcmp(c->op, "update") == 0;
    c->upload = st == REG_OK && strcmp(c->op, "upload") == 0;
    c->size = c->upload ? reg_json_int(obj, "size") : 0;
    if (st == REG_OK && c->update && !c->id)
        st = reg_errorf(REG_EINVAL, "an update names the artifact's id");
    if (st == REG_OK && !c->update && c->id)
        st = reg_errorf(REG_EINVAL, "an ingest takes no id (the registry assigns it)");
    return st;
}

/* Whether c touches what an earlier command of the group touches: one artifact, one URL. */
static enum reg_status
check_overlap(struct json_object *cmds, const struct command *c)
{
    size_t n = json_object_array_length(cmds);

    for (size_t i = 0; i < n; i++) {
        struct command o;
        if (read_command(json_object_array_get_idx(cmds, i), &o) != REG_OK)
            continue;
        if (o.type == c->type && strcmp(o.url, c->url) == 0)
            return reg_errorf(REG_EINVAL, "command %zu already names %s %.200s", i + 1,
                              c->type_name, c->url);
        if (o.update && c->update && strcmp(o.id, c->id) == 0)
            return reg_errorf(REG_EINVAL, "command %zu already updates %s", i + 1, c->id);
    }
    return REG_OK;
}

/* Checks a command against the registry as it is now (execute checks again). */
static enum reg_status
check_command(struct reg_store *store, struct reg_arena *a, struct json_object *cmds,
              const struct command *c)
{
    struct reg_source src;
    struct reg_artifact art;
    enum reg_status st = REG_OK;

    if (c->upload)
        st = reg_errorf(REG_EINVAL, "an upload is appended by POST /groups/{id}/uploads, with "
                                    "the zip as the body");
    if (st == REG_OK)
        st = reg_artifact_source_parse(a, c->type, c->url, &src);
    if (st == REG_OK && c->name)
        st = reg_artifact_name_check(c->name);
    if (st == REG_OK && c->update) {
        st = reg_registry_get(store, a, c->type, c->id, &art);
        if (st == REG_ENOTFOUND)
            st = reg_errorf(REG_EINVAL, "no %s with id %.32s to update", c->type_name, c->id);
    }
    if (st == REG_OK && c->update && c->name && strcmp(c->name, art.name) != 0)
        st = reg_errorf(REG_EINVAL, "name '%.100s' does not match the stored name", c->name);
    return st == REG_OK ? check_overlap(cmds, c) : st;
}

/* The command as stored: only the fields the registry reads, nothing else the client sent. */
static struct json_object *
command_json(const struct command *c)
{
    struct json_object *obj = json_object_new_object();

    json_object_object_add(obj, "op", json_object_new_string(c->op));
    json_object_object_add(obj, "type", json_object_new_string(c->type_name));
    json_object_object_add(obj, "url", json_object_new_string(c->url));
    if (c->name)
        json_object_object_add(obj, "name", json_object_new_string(c->name));
    if (c->id)
        json_object_object_add(obj, "id", json_object_new_string(c->id));
    if (c->upload) {
        json_object_object_add(obj, "size", json_object_new_int64(c->size));
        json_object_object_add(obj, "staged", json_object_new_string(c->staged));
    }
    return obj;
}

static const char *
to_text(struct reg_arena *a, struct json_object *obj)
{
    return reg_arena_strdup(a, reg_json_text(obj, NULL));
}

/* Replaces the stored group (read as *g) with *next, bumping the version. */
static enum reg_status
advance(struct reg_store *store, const struct reg_group *g, struct reg_group *next)
{
    next->version = g->version + 1;
    return reg_store_group_put(store, next, g->version);
}

/* The open group id that takes one more command: *g as read, *cmds its commands. */
static enum reg_status
open_group(struct reg_store *store, struct reg_arena *a, const struct reg_group_caller *caller,
           const char *id, struct reg_group *g, struct json_object **cmds)
{
    enum reg_status st = reg_group_get(store, a, caller, id, g);

    if (st == REG_OK && g->state != REG_GROUP_OPEN)
        st = reg_errorf(REG_ECONFLICT, "group %s is %s: it takes no more commands", id,
                        reg_group_state_name(g->state));
    if (st == REG_OK)
        st = commands_of(a, g, cmds);
    if (st == REG_OK && json_object_array_length(*cmds) >= REG_GROUP_MAX_COMMANDS)
        st = reg_errorf(REG_EINVAL, "group %s holds %d commands, the most a group may", id,
                        REG_GROUP_MAX_COMMANDS);
    return st;
}

/* Stores group g (read as *g) with command c added; *out is the group after. */
static enum reg_status
add_command(struct reg_store *store, struct reg_arena *a, const struct reg_group *g,
            struct json_object *cmds, const struct command *c, struct reg_group *out)
{
    json_object_array_add(cmds, command_json(c));
    *out = *g;
    out->commands = to_text(a, cmds);
    return advance(store, g, out);
}

enum reg_status
reg_group_append(struct reg_store *store, struct reg_arena *a,
                 const struct reg_group_caller *caller, const char *id, struct json_object *command,
                 struct reg_group *out)
{
    struct reg_group g;
    struct json_object *cmds = NULL;
    struct command c;
    enum reg_status st = open_group(store, a, caller, id, &g, &cmds);

    if (st != REG_OK)
        return st;
    st = read_command(command, &c);
    if (st == REG_OK)
        st = check_command(store, a, cmds, &c);
    if (st != REG_OK)
        return blame(st, (int)json_object_array_length(cmds), c.op ? c.op : "?");
    return add_command(store, a, &g, cmds, &c, out);
}

/* The id a staged zip's blob is kept under (bundle/index.h) until its group executes:
 * "g-<group id>-<8 hex digits>", unique per append, so that two appends racing for one group
 * never share it; the sweep reads the group id back from it. */
static const char *
staged_id(struct reg_arena *a, const char *group_id)
{
    unsigned char r[4];

    if (RAND_bytes(r, sizeof(r)) != 1)
        reg_oom(); /* as reg_artifact_id_new: the CSPRNG cannot fail short of a broken process */
    return reg_arena_sprintf(a, STAGED_PREFIX "%s-%02x%02x%02x%02x", group_id, r[0], r[1], r[2],
                             r[3]);
}

/* Releases the blob reference kept under id (a staged zip, or the record of an upload that
 * did not commit); a failure is logged: the sweep retries staged ones. */
static void
release_record(struct reg_blobs *blobs, const char *id)
{
    if (reg_bundle_index_forget(blobs, id) != REG_OK)
        reg_log(REG_LOG_WARN, "bundle record %s not released: %s", id, reg_error_detail());
}

enum reg_status
reg_group_append_upload(struct reg_store *store, const struct reg_upload_place *place,
                        struct reg_arena *a, const struct reg_group_caller *caller, const char *id,
                        enum reg_artifact_type t, const char *name,
                        const struct reg_upload_body *body, struct reg_group *out)
{
    struct reg_bundle_record rec;
    struct reg_group g;
    struct json_object *cmds = NULL;
    struct command c = {.op = "upload", .name = name, .type = t, .upload = true};
    int index;
    enum reg_status st = open_group(store, a, caller, id, &g, &cmds);

    if (st != REG_OK)
        return st;
    index = (int)json_object_array_length(cmds);
    c.type_name = reg_artifact_type_name(t);
    st = reg_artifact_name_check(name);
    if (st == REG_OK)
        st = reg_upload_stage(place, a, body, &rec);
    if (st != REG_OK)
        return blame(st, index, c.op);
    c.url = rec.url;
    c.size = rec.size;
    c.staged = staged_id(a, id);
    st = check_overlap(cmds, &c);
    if (st == REG_OK)
        st = reg_bundle_index_set(place->blobs, c.staged, REG_BUNDLE_FULL, &rec);
    if (st != REG_OK) {
        (void)reg_bundle_index_drop_unused(place->blobs, rec.sha256);
        return blame(st, index, c.op);
    }
    st = add_command(store, a, &g, cmds, &c, out);
    if (st != REG_OK)
        release_record(place->blobs, c.staged);
    return st;
}

struct staged_sweep {
    struct reg_store *store;
    struct reg_blobs *blobs;
    int64_t now;
};

/* Releases staged zip id unless its group may still execute it: it is gone, expired,
 * committed (the artifact holds its own reference) or failed. */
static enum reg_status
sweep_staged_one(void *ctx, const char *id)
{
    const struct staged_sweep *sw = ctx;
    char group_id[REG_ID_MAX + 1];
    struct reg_group g;
    struct reg_arena a;
    enum reg_status st;

    if (sscanf(id, STAGED_PREFIX "%32[0-9]-", group_id) != 1)
        return REG_OK;
    reg_arena_init(&a);
    st = reg_store_group_get(sw->store, &a, group_id, &g);
    if (st == REG_ENOTFOUND ||
        (st == REG_OK &&
         (g.expires < sw->now || g.state == REG_GROUP_COMMITTED || g.state == REG_GROUP_FAILED)))
        release_record(sw->blobs, id);
    reg_arena_cleanup(&a);
    return REG_OK; /* one group the store cannot read now does not stop the others */
}

void
reg_group_sweep_staged(struct reg_store *store, struct reg_blobs *blobs)
{
    struct staged_sweep sw = {store, blobs, (int64_t)time(NULL)};

    if (reg_bundle_index_ids(blobs, STAGED_PREFIX, sweep_staged_one, &sw) != REG_OK)
        reg_log(REG_LOG_WARN, "staged uploads not swept: %s", reg_error_detail());
}

/* Runs command c's ingest: *art is what the commit writes (a fresh id for an ingest). */
static enum reg_status
run_ingest(const struct reg_registry *r, struct reg_arena *a, const struct command *c,
           struct reg_artifact *art)
{
    struct reg_source src;
    struct reg_ingest_result got;
    enum reg_status st;

    memset(art, 0, sizeof(*art));
    if (c->update) {
        st = reg_registry_get(r->store, a, c->type, c->id, art);
        if (st == REG_ENOTFOUND)
            st = reg_errorf(REG_ECONFLICT, "%s %.32s was deleted meanwhile", c->type_name, c->id);
    } else {
        art->type = c->type;
        reg_artifact_id_new(art->id);
        st = REG_OK;
    }
    if (st == REG_OK)
        st = reg_artifact_source_parse(a, c->type, c->url, &src);
    if (st == REG_OK && !c->update)
        art->name = c->name ? reg_arena_strdup(a, c->name) : src.name;
    if (st == REG_OK)
        st = reg_ingest_fetch(r->ingest, r->catalog, r->store, a, c->type, &src, art->name, &got);
    if (st != REG_OK)
        return st;
    art->url = reg_arena_strdup(a, c->url);
    art->readme = got.readme;
    art->metadata = got.metadata;
    return REG_OK;
}

/* Runs upload command c: its staged zip checked, scanned, rated and gated (core/upload.h), and
 * recorded as the full bundle of *art's fresh id before the commit, so that the artifact has
 * its zip from the moment it is visible (execute releases the record if the group fails). */
static enum reg_status
run_upload(const struct reg_registry *r, const struct reg_upload_place *place, struct reg_arena *a,
           const struct command *c, struct reg_artifact *art)
{
    struct reg_bundle_record rec;
    enum reg_status st = reg_bundle_index_get(place->blobs, c->staged, REG_BUNDLE_FULL, &rec);

    if (st == REG_ENOTFOUND)
        st = reg_errorf(REG_ECONFLICT, "the staged zip of %s was swept", c->name);
    if (st == REG_OK)
        st = reg_upload_staged(r, place, a, c->type, c->name, &rec, art, NULL);
    if (st != REG_OK)
        return st;
    reg_artifact_id_new(art->id);
    return reg_bundle_index_set(place->blobs, art->id, REG_BUNDLE_FULL, &rec);
}

/* Records why the group failed (the caller's error stays the one returned). */
static void
record_failure(struct reg_store *store, struct reg_arena *a, const struct reg_group *g,
               enum reg_status why)
{
    struct reg_group next = *g;
    struct json_object *res = json_object_new_object();

    json_object_object_add(res, "error", json_object_new_string(reg_status_name(why)));
    json_object_object_add(res, "detail", json_object_new_string(reg_error_detail()));
    next.state = REG_GROUP_FAILED;
    next.result = to_text(a, res);
    json_object_put(res);
    if (advance(store, g, &next) != REG_OK)
        reg_log(REG_LOG_WARN, "group %s: failure not recorded: %s", g->id, reg_error_detail());
}

static struct json_object *
result_json(const struct reg_artifact *arts, int n)
{
    struct json_object *res = json_object_new_object(), *list = json_object_new_array();

    for (int i = 0; i < n; i++)
        json_object_array_add(list, reg_artifact_metadata_json(&arts[i]));
    json_object_object_add(res, "artifacts", list);
    return res;
}

/* Runs every command's ingest or upload; the first failure stops them, blamed on its command.
 * *ran counts the commands that ran (the uploads among them hold bundle records). */
static enum reg_status
run_all(const struct reg_registry *r, const struct reg_upload_place *place, struct reg_arena *a,
        struct json_object *cmds, struct reg_artifact *arts, bool *updated, int *ran)
{
    int n = (int)json_object_array_length(cmds);

    for (*ran = 0; *ran < n; ++*ran) {
        int i = *ran;
        struct command c;
        enum reg_status st = read_command(json_object_array_get_idx(cmds, (size_t)i), &c);
        if (st == REG_OK)
            st = c.upload ? run_upload(r, place, a, &c, &arts[i]) : run_ingest(r, a, &c, &arts[i]);
        if (st != REG_OK)
            return blame(st, i, c.op ? c.op : "?");
        updated[i] = c.update;
    }
    return REG_OK;
}

/* After the execute: the staged zips are released (a committed upload's artifact holds its
 * own record); when the group failed, so are the records of the uploads that ran. */
static void
release_uploads(struct reg_blobs *blobs, struct json_object *cmds, const struct reg_artifact *arts,
                int ran, bool committed)
{
    int n = (int)json_object_array_length(cmds);

    for (int i = 0; i < n; i++) {
        struct command c;
        if (read_command(json_object_array_get_idx(cmds, (size_t)i), &c) != REG_OK || !c.upload)
            continue;
        release_record(blobs, c.staged);
        if (!committed && i < ran)
            release_record(blobs, arts[i].id);
    }
}

/* Moves an open group to executing: of two executes, one wins and the other is refused. */
static enum reg_status
begin(struct reg_store *store, struct reg_arena *a, const struct reg_group_caller *caller,
      const char *id, struct reg_group *g, struct json_object **cmds)
{
    struct reg_group read;
    enum reg_status st = reg_group_get(store, a, caller, id, &read);

    if (st == REG_OK && read.state != REG_GROUP_OPEN)
        st = reg_errorf(REG_ECONFLICT, "group %s is %s: a group executes once", id,
                        reg_group_state_name(read.state));
    if (st == REG_OK)
        st = commands_of(a, &read, cmds);
    if (st == REG_OK && json_object_array_length(*cmds) == 0)
        st = reg_errorf(REG_EINVAL, "group %s holds no commands", id);
    if (st != REG_OK)
        return st;
    *g = read;
    g->state = REG_GROUP_EXECUTING;
    st = advance(store, &read, g);
    if (st == REG_ECONFLICT)
        return reg_errorf(REG_ECONFLICT, "group %s changed meanwhile (executed by another call?)",
                          id);
    return st;
}

enum reg_status
reg_group_execute(const struct reg_registry *r, const struct reg_upload_place *place,
                  struct reg_arena *a, const struct reg_group_caller *caller, const char *id,
                  struct reg_artifact **arts, bool **updated, int *n)
{
    struct reg_group g, done;
    struct json_object *cmds, *res;
    char why[REG_ERROR_DETAIL_MAX];
    int ran = 0;
    enum reg_status st = begin(r->store, a, caller, id, &g, &cmds);

    if (st != REG_OK)
        return st;
    *n = (int)json_object_array_length(cmds);
    *arts = reg_arena_alloc(a, sizeof(**arts) * (size_t)*n);
    *updated = reg_arena_alloc(a, sizeof(**updated) * (size_t)*n);
    st = run_all(r, place, a, cmds, *arts, *updated, &ran);
    if (st == REG_OK) {
        done = g;
        done.state = REG_GROUP_COMMITTED;
        res = result_json(*arts, *n);
        done.result = to_text(a, res);
        json_object_put(res);
        done.version = g.version + 1;
        st = reg_store_group_commit(r->store, &done, g.version, *arts, *updated, *n);
    }
    /* Not the group (it is there): an artifact to update was deleted since its ingest. */
    if (st == REG_ENOTFOUND)
        st = reg_errorf(REG_ECONFLICT, "an artifact the group updates was deleted meanwhile (%s)",
                        reg_error_detail());
    if (st != REG_OK)
        record_failure(r->store, a, &g, st);
    snprintf(why, sizeof(why), "%s", reg_error_detail());
    release_uploads(place->blobs, cmds, *arts, ran, st == REG_OK);
    return st == REG_OK ? REG_OK : reg_errorf(st, "%s", why);
}

struct json_object *
reg_group_json(const struct reg_group *g)
{
    struct json_object *obj = json_object_new_object();
    struct json_object *cmds = json_tokener_parse(g->commands);
    struct json_object *res = g->result ? json_tokener_parse(g->result) : NULL;

    json_object_object_add(obj, "id", json_object_new_string(g->id));
    json_object_object_add(obj, "state", json_object_new_string(reg_group_state_name(g->state)));
    json_object_object_add(obj, "owner", json_object_new_string(g->owner));
    json_object_object_add(obj, "created", json_object_new_int64(g->created));
    json_object_object_add(obj, "expires", json_object_new_int64(g->expires));
    json_object_object_add(obj, "commands", cmds ? cmds : json_object_new_array());
    json_object_object_add(obj, "result", res);
    return obj;
}
