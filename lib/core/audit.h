/*
 * audit.h - the audit trail: who did what to which artifact, and when.
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

/* Appends an entry for art by user, dated now. */
enum reg_status reg_audit_record(struct reg_store *store, const char *user, bool is_admin,
                                 const struct reg_artifact *art, enum reg_audit_action action);

/* The entries of one artifact, oldest first. */
enum reg_status reg_audit_list(struct reg_store *store, struct reg_arena *a,
                               const char *artifact_id, struct reg_audit_entry **out, int *count);

const char *reg_audit_action_name(enum reg_audit_action action);

/* {"user": {"name", "is_admin"}, "date", "artifact": {...}, "action"} */
struct json_object *reg_audit_entry_json(const struct reg_audit_entry *e);

#endif
