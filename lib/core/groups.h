/*
 * groups.h - atomic package groups: a three-stage transaction over the API.
 *
 *   create   an empty group (POST /groups): an id, its owner (the caller), an expiry.
 *   append   one command (POST /groups/{id}/commands): ingest (register a URL as a new
 *            artifact) or update (ingest a new URL for an artifact that exists); or an upload
 *            (POST /groups/{id}/uploads, a zip body: core/upload.h). Each command is
 *            checked when it is appended (its type, URL, name, the artifact it updates, no two
 *            commands on one artifact or URL): a bad command is REG_EINVAL naming it, and the
 *            group is unchanged.
 *   execute  (POST /groups/{id}/execute) every command's ingest (fetch, rate, scan, gate) runs,
 *            in order; then every artifact is written at once by the store's group_commit, or
 *            none is: a refused model (REG_EDISQUALIFIED, 424), a failing upstream or store, or
 *            a URL registered meanwhile fails the whole group, nothing visible.
 *
 * Why the heavy work runs at execute time and not when a command is appended: what is
 * committed is then rated against the registry as it is when the group commits (a parent's
 * score, a URL registered meanwhile), staged results never need a store area of their own that
 * could outlive a dead group, and an append stays a cheap, bounded request. The price is that a
 * long group's execute takes as long as its ingests together (at most REG_GROUP_MAX_COMMANDS).
 *
 * Visibility (store/store.h, group_commit): on SQLite every write of the group and the group's
 * own change to committed are one transaction. On DynamoDB (dynalite has no
 * TransactWriteItems) the artifact items are written carrying the group's id ("grp"); a reader
 * that meets such an item asks the group record and treats it as absent (an insert) or as its
 * previous version (an update) unless the group is committed. One conditional write flips the
 * group record from executing to committed: before it nothing is visible, after it everything
 * is. Then the marks are removed (housekeeping; readers are right either way).
 *
 * Expiry: a group lives REG_GROUP_TTL_DEFAULT seconds (or the ttl it was created with, at most
 * REG_GROUP_TTL_MAX). Expired groups are swept lazily, whenever a group is created or read:
 * an open or failed one is dropped; on DynamoDB one left executing by a crashed worker has its
 * marked items removed (inserts) or restored (updates) first, and one committed whose marks
 * remain has them cleared. A group past its expiry answers 404 like one that never existed.
 *
 * Uploads: the zip comes with the append request, so it is staged then: checked and put into
 * the blob store under a bundle record of its own, "g-<group id>-<random>" (bundle/index.h), so
 * that no other release removes the blob meanwhile. Its rating waits for the execute, like an
 * ingest's. Before the commit each upload's zip is recorded as the full bundle of its new
 * artifact, which can be downloaded from the moment it is visible; after the execute the staged
 * records are released, and when the group failed the new ids' records too. The staged records
 * of groups gone, expired or done (a worker that died midway) go with reg_group_sweep_staged. A
 * crash between an upload's record and the commit leaves a record of an id never visible: its
 * blob stays until a reset.
 *
 * Ownership: strings of a group are allocated from the arena the caller passes.
 */
#ifndef REG_CORE_GROUPS_H
#define REG_CORE_GROUPS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/status.h"
#include "core/artifact.h"
#include "core/registry.h"
#include "core/upload.h"

/* Commands one group may hold: its execute runs that many ingests in one request. */
#define REG_GROUP_MAX_COMMANDS 16
/* Seconds a group lives by default, and the longest ttl a client may ask for. */
#define REG_GROUP_TTL_DEFAULT 3600
#define REG_GROUP_TTL_MAX 86400

enum reg_group_state {
    REG_GROUP_OPEN,      /* takes commands */
    REG_GROUP_EXECUTING, /* its ingests are running (or its worker died: swept at expiry) */
    REG_GROUP_COMMITTED, /* every command took effect */
    REG_GROUP_FAILED,    /* none did; result says why */
};

/* A group as the store keeps it. version is bumped by every change: the store refuses a change
 * made from a stale read (REG_ECONFLICT), so two appends or executes never both win. */
struct reg_group {
    char id[REG_ID_MAX + 1];
    const char *owner;
    enum reg_group_state state;
    int64_t created, expires;
    int64_t version;
    const char *commands; /* JSON array of the commands, as appended */
    const char *result;   /* JSON: the artifacts written, or the failure; NULL until executed */
};

/* The state's name ("open", "executing", "committed", "failed"); a static string. */
const char *reg_group_state_name(enum reg_group_state st);

/* Who is calling: the owner of a group, or an admin, may use it. */
struct reg_group_caller {
    const char *name;
    bool is_admin;
};

/* Creates an empty group owned by caller that expires ttl seconds from now (0: the default).
 * REG_EINVAL for a ttl outside 1..REG_GROUP_TTL_MAX. Sweeps expired groups first. */
enum reg_status reg_group_create(struct reg_store *store, struct reg_arena *a,
                                 const struct reg_group_caller *caller, int64_t ttl,
                                 struct reg_group *out);

/* The group id: REG_ENOTFOUND if unknown or expired, REG_EFORBIDDEN if caller may not use it. */
enum reg_status reg_group_get(struct reg_store *store, struct reg_arena *a,
                              const struct reg_group_caller *caller, const char *id,
                              struct reg_group *out);

/* Checks command (a JSON object: {"op": "ingest", "type", "url", "name"?} or {"op": "update",
 * "type", "id", "url"}) and appends it. REG_EINVAL naming the command when it is bad or the
 * group holds REG_GROUP_MAX_COMMANDS already, REG_ECONFLICT when the group is not open (or
 * changed meanwhile). *out is the group after. */
enum reg_status reg_group_append(struct reg_store *store, struct reg_arena *a,
                                 const struct reg_group_caller *caller, const char *id,
                                 struct json_object *command, struct reg_group *out);

/* Appends an upload command: the zip body (a new artifact of type t named name) is checked
 * (zip slip, bombs: REG_EINVAL) and staged in place's blob store (core/upload.h), kept under a
 * bundle record of its own until the group executes, fails or expires. Its rating, scan and
 * gate run at execute time, like an ingest's. REG_EINVAL when the same zip is in the group
 * already; the rest as reg_group_append. */
enum reg_status reg_group_append_upload(struct reg_store *store,
                                        const struct reg_upload_place *place, struct reg_arena *a,
                                        const struct reg_group_caller *caller, const char *id,
                                        enum reg_artifact_type t, const char *name,
                                        const struct reg_upload_body *body, struct reg_group *out);

/* Releases the staged zips of groups that are gone, expired, committed or failed (a worker that
 * died mid-append or mid-execute leaves them); lazy, like the sweep of expired groups. */
void reg_group_sweep_staged(struct reg_store *store, struct reg_blobs *blobs);

/* Executes group id: every command or none (see the top of this file). Upload commands read
 * their staged zips from place's blob store. *arts (count *n, from a)
 * are the artifacts written, in command order, and (*updated)[i] says whether arts[i] was an
 * update. REG_ECONFLICT when the group is not open; REG_EINVAL when it is empty; a command's
 * failure is its status (REG_EDISQUALIFIED, REG_EUPSTREAM, REG_ECONFLICT...) with the detail
 * naming the command. */
enum reg_status reg_group_execute(const struct reg_registry *r,
                                  const struct reg_upload_place *place, struct reg_arena *a,
                                  const struct reg_group_caller *caller, const char *id,
                                  struct reg_artifact **arts, bool **updated, int *n);

/* The group as the API shows it: id, state, owner, created and expires (seconds since the
 * epoch), commands and result. Owned by the caller (one json-c reference). */
struct json_object *reg_group_json(const struct reg_group *g);

#endif
