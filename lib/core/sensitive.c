/*
 * sensitive.c - sensitive models' records and history (see sensitive.h).
 */
#include "core/sensitive.h"

#include <string.h>
#include <time.h>

#include "base/limits.h"
#include "base/str.h"
#include "core/audit.h"
#include "store/store.h"

static enum reg_status
model_only(const struct reg_artifact *art)
{
    if (art->type != REG_TYPE_MODEL)
        return reg_errorf(REG_EINVAL, "only models can be sensitive; %s is a %s", art->id,
                          reg_artifact_type_name(art->type));
    return REG_OK;
}

enum reg_status
reg_sensitive_get(struct reg_store *store, struct reg_arena *a, const struct reg_artifact *art,
                  struct reg_sensitive *out)
{
    memset(out, 0, sizeof(*out));
    return reg_store_sensitive_get(store, a, art->id, out);
}

enum reg_status
reg_sensitive_mark(struct reg_store *store, const struct reg_artifact *art)
{
    enum reg_status st = model_only(art);

    return st == REG_OK ? reg_store_sensitive_put(store, art->id, NULL, false, (int64_t)time(NULL))
                        : st;
}

enum reg_status
reg_sensitive_unmark(struct reg_store *store, const struct reg_artifact *art)
{
    return reg_store_sensitive_remove(store, art->id);
}

enum reg_status
reg_sensitive_set_program(struct reg_store *store, const struct reg_artifact *art,
                          const char *program, size_t len)
{
    enum reg_status st = model_only(art);

    if (st != REG_OK)
        return st;
    if (len == 0)
        return reg_errorf(REG_EINVAL, "the monitor program is empty");
    if (len > REG_MONITOR_PROGRAM_MAX)
        return reg_errorf(REG_ETOOLARGE, "the monitor program has %zu bytes; at most %d", len,
                          REG_MONITOR_PROGRAM_MAX);
    /* The store keeps text: a NUL would cut it, and JSON answers need UTF-8. */
    if (strlen(program) != len || !reg_str_is_utf8(program, len))
        return reg_errorf(REG_EINVAL, "the monitor program must be UTF-8 text without NUL bytes");
    return reg_store_sensitive_put(store, art->id, program, true, (int64_t)time(NULL));
}

enum reg_status
reg_sensitive_remove_program(struct reg_store *store, struct reg_arena *a,
                             const struct reg_artifact *art)
{
    struct reg_sensitive s;
    enum reg_status st = reg_sensitive_get(store, a, art, &s);

    if (st == REG_OK && !s.program)
        st = reg_errorf(REG_ENOTFOUND, "model %s has no monitor program", art->id);
    if (st != REG_OK)
        return st;
    return reg_store_sensitive_put(store, art->id, NULL, true, (int64_t)time(NULL));
}

enum reg_status
reg_sensitive_uploader(struct reg_store *store, struct reg_arena *a, const struct reg_artifact *art,
                       const char **out)
{
    struct reg_audit_page page;
    enum reg_status st = reg_audit_list(store, a, art->id, 0, &page);

    *out = "unknown";
    if (st != REG_OK)
        return st;
    /* The CREATE entry is the trail's first: it is appended when the artifact is stored. */
    for (int i = 0; i < page.count; i++)
        if (page.items[i].action == REG_AUDIT_CREATE) {
            *out = page.items[i].user;
            break;
        }
    return REG_OK;
}

/* The monitor's run as JSON text; the output is kept only for refusals. */
static const char *
run_json(struct reg_arena *a, const struct reg_monitor_result *run, bool refused)
{
    struct json_object *o = json_object_new_object();
    const char *text;

    json_object_object_add(o, "exit_code",
                           run->exit_code >= 0 ? json_object_new_int(run->exit_code) : NULL);
    json_object_object_add(o, "signal", run->signal ? json_object_new_int(run->signal) : NULL);
    json_object_object_add(o, "timed_out", json_object_new_boolean(run->timed_out));
    json_object_object_add(o, "truncated", json_object_new_boolean(run->truncated));
    if (refused)
        json_object_object_add(o, "output",
                               json_object_new_string_len(run->output ? run->output : "",
                                                          run->output ? (int)run->output_len : 0));
    text = reg_arena_strdup(a, json_object_to_json_string_ext(
                                   o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return text;
}

enum reg_status
reg_sensitive_record(struct reg_store *store, struct reg_arena *a, const struct reg_artifact *art,
                     const char *user, bool refused, const struct reg_monitor_result *run)
{
    struct reg_download_event e = {
        .artifact_id = art->id,
        .user = user,
        .date = (int64_t)time(NULL),
        .refused = refused,
        .monitor = run ? run_json(a, run, refused) : NULL,
    };

    return reg_store_download_append(store, &e);
}

enum reg_status
reg_sensitive_history(struct reg_store *store, struct reg_arena *a, const struct reg_artifact *art,
                      int64_t after, struct reg_download_page *out)
{
    return reg_store_download_list(store, a, art->id, after, REG_DOWNLOAD_PAGE_SIZE, out);
}

struct json_object *
reg_download_event_json(const struct reg_download_event *e)
{
    struct json_object *obj = json_object_new_object();
    struct json_object *monitor = e->monitor ? json_tokener_parse(e->monitor) : NULL;
    char date[32];

    reg_str_iso8601(e->date, date);
    json_object_object_add(obj, "user", json_object_new_string(e->user));
    json_object_object_add(obj, "date", json_object_new_string(date));
    json_object_object_add(obj, "outcome",
                           json_object_new_string(e->refused ? "refused" : "downloaded"));
    json_object_object_add(obj, "monitor", monitor);
    return obj;
}

struct json_object *
reg_sensitive_json(const struct reg_artifact *art, const struct reg_sensitive *s,
                   const char *uploader)
{
    struct json_object *obj = json_object_new_object();
    char date[32];

    reg_str_iso8601(s->marked_at, date);
    json_object_object_add(obj, "artifact", reg_artifact_metadata_json(art));
    json_object_object_add(obj, "sensitive", json_object_new_boolean(true));
    json_object_object_add(obj, "marked_at", json_object_new_string(date));
    json_object_object_add(obj, "has_program", json_object_new_boolean(s->program != NULL));
    json_object_object_add(obj, "uploader", json_object_new_string(uploader));
    return obj;
}
