/*
 * audit.c - recording and listing audit entries.
 */
#include "core/audit.h"

#include <time.h>

#include "base/str.h"
#include "store/store.h"

static struct reg_audit_entry
entry_now(const char *user, bool is_admin, const struct reg_artifact *art,
          enum reg_audit_action action)
{
    struct reg_audit_entry e = {
        .user = user,
        .is_admin = is_admin,
        .date = (int64_t)time(NULL),
        .artifact = *art,
        .action = action,
    };

    return e;
}

enum reg_status
reg_audit_record(struct reg_store *store, const char *user, bool is_admin,
                 const struct reg_artifact *art, enum reg_audit_action action)
{
    struct reg_audit_entry e = entry_now(user, is_admin, art, action);

    return reg_store_audit_append(store, &e);
}

enum reg_status
reg_audit_record_once(struct reg_store *store, const char *user, bool is_admin,
                      const struct reg_artifact *art, enum reg_audit_action action, int64_t window)
{
    struct reg_audit_entry e = entry_now(user, is_admin, art, action);
    bool appended;

    if (window <= 0)
        return reg_store_audit_append(store, &e);
    return reg_store_audit_append_once(store, &e, window, &appended);
}

enum reg_status
reg_audit_list(struct reg_store *store, struct reg_arena *a, const char *artifact_id, int64_t after,
               struct reg_audit_page *out)
{
    return reg_store_audit_list(store, a, artifact_id, after, REG_AUDIT_PAGE_SIZE, out);
}

const char *
reg_audit_action_name(enum reg_audit_action action)
{
    static const char *const names[] = {"CREATE", "UPDATE", "DOWNLOAD", "RATE", "AUDIT"};

    return (unsigned)action < sizeof(names) / sizeof(names[0]) ? names[action] : "UNKNOWN";
}

struct json_object *
reg_audit_entry_json(const struct reg_audit_entry *e)
{
    struct json_object *obj = json_object_new_object();
    struct json_object *user = json_object_new_object();
    char date[32];

    reg_str_iso8601(e->date, date);
    json_object_object_add(user, "name", json_object_new_string(e->user));
    json_object_object_add(user, "is_admin", json_object_new_boolean(e->is_admin));
    json_object_object_add(obj, "user", user);
    json_object_object_add(obj, "date", json_object_new_string(date));
    json_object_object_add(obj, "artifact", reg_artifact_metadata_json(&e->artifact));
    json_object_object_add(obj, "action", json_object_new_string(reg_audit_action_name(e->action)));
    return obj;
}
