/*
 * audit.h - the audit trail: who did what to which artifact, and when.
 *
 * The trail is read in pages of at most REG_AUDIT_PAGE_SIZE entries, oldest first, each page
 * naming the cursor of the next, so no request reads a whole trail. Reading the trail is itself
 * recorded (AUDIT), but once per reader and artifact per window: repeated reads by one user
 * within the window add nothing, so reads cannot grow the trail without bound.
 *
 * Ownership: entries returned are filled from the arena passed in.
 */
#ifndef REG_CORE_AUDIT_H
#define REG_CORE_AUDIT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/status.h"
#include "core/artifact.h"

struct reg_store; /* store/store.h: the entry is a domain record, the store only keeps it */

enum reg_audit_action {
    REG_AUDIT_CREATE,
    REG_AUDIT_UPDATE,
    REG_AUDIT_DOWNLOAD,
    REG_AUDIT_RATE,
    REG_AUDIT_AUDIT
};

struct reg_audit_entry {
    const char *user;
    bool is_admin;
    int64_t date;                 /* Unix time, UTC */
    struct reg_artifact artifact; /* id, name, type */
    enum reg_audit_action action;
};

/* Entries per page of a trail. */
#define REG_AUDIT_PAGE_SIZE 100

/* One page of a trail, oldest first. next_after is the cursor of the next page (an opaque
 * positive number), 0 on the last page. */
struct reg_audit_page {
    struct reg_audit_entry *items;
    int count;
    int64_t next_after;
};

/* Appends an entry for art by user, dated now. */
enum reg_status reg_audit_record(struct reg_store *store, const char *user, bool is_admin,
                                 const struct reg_artifact *art, enum reg_audit_action action);

/* Appends an entry for art by user, dated now, unless user already has an entry of this action
 * on art dated within the last window seconds (window <= 0: always appends). Exact under
 * concurrency: of simultaneous calls, one appends. */
enum reg_status reg_audit_record_once(struct reg_store *store, const char *user, bool is_admin,
                                      const struct reg_artifact *art, enum reg_audit_action action,
                                      int64_t window);

/* The page of one artifact's entries that follows cursor after (0: the first page). */
enum reg_status reg_audit_list(struct reg_store *store, struct reg_arena *a,
                               const char *artifact_id, int64_t after, struct reg_audit_page *out);

const char *reg_audit_action_name(enum reg_audit_action action);

/* {"user": {"name", "is_admin"}, "date", "artifact": {...}, "action"} */
struct json_object *reg_audit_entry_json(const struct reg_audit_entry *e);

#endif
