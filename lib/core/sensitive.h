/*
 * sensitive.h - sensitive models: a model marked sensitive may carry one monitor program (a
 * JavaScript file, at most REG_MONITOR_PROGRAM_MAX bytes) that runs before each of its downloads
 * (core/monitor.h) and may refuse it; every download of a sensitive model, and every refusal,
 * is kept in its download history.
 *
 * The records:
 *   - sensitivity: an artifact id, when it was marked, and its program (or none). Attaching a
 *     program marks the model sensitive; unmarking removes the program with the mark. The
 *     history stays until the model is deleted.
 *   - a download event: who, when, allowed or refused, and the monitor's run as JSON text
 *     ({"exit_code", "signal", "timed_out", "truncated", "output"}; output only for refusals),
 *     or none when no program was attached.
 * Both live in the store (store.h: sensitive_*, download_*) and go with the artifact.
 *
 * The uploader (the monitor's UPLOADER_USERNAME) is the user of the artifact's CREATE audit
 * entry: the account that registered or uploaded it (core/audit.h).
 *
 * Ownership: records read are filled from the arena passed in; strings passed in are borrowed
 * for the call.
 */
#ifndef REG_CORE_SENSITIVE_H
#define REG_CORE_SENSITIVE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/status.h"
#include "core/artifact.h"
#include "core/monitor.h"

struct reg_store; /* store/store.h: the records are domain records, the store only keeps them */

/* Events per page of a download history. */
#define REG_DOWNLOAD_PAGE_SIZE 100

/* A model's sensitivity record. */
struct reg_sensitive {
    const char *program; /* the monitor program's text, NULL when none is attached */
    int64_t marked_at;   /* Unix time */
};

/* One download of a sensitive model, or one refusal. */
struct reg_download_event {
    const char *artifact_id;
    const char *user;
    int64_t date; /* Unix time */
    bool refused;
    const char *monitor; /* the run as JSON text; NULL when no program ran */
};

/* One page of a history, oldest first; next_after is the next page's cursor, 0 on the last. */
struct reg_download_page {
    struct reg_download_event *items;
    int count;
    int64_t next_after;
};

/* art's sensitivity: REG_ENOTFOUND when it is not marked. */
enum reg_status reg_sensitive_get(struct reg_store *store, struct reg_arena *a,
                                  const struct reg_artifact *art, struct reg_sensitive *out);

/* Marks art sensitive (a program it has stays); REG_EINVAL unless art is a model. */
enum reg_status reg_sensitive_mark(struct reg_store *store, const struct reg_artifact *art);

/* Unmarks art and removes its program; REG_ENOTFOUND when it was not marked. */
enum reg_status reg_sensitive_unmark(struct reg_store *store, const struct reg_artifact *art);

/* Attaches (or replaces) art's program, len bytes of text, marking it sensitive. REG_EINVAL
 * for an empty program, one with a NUL byte or that is not UTF-8, or a non-model;
 * REG_ETOOLARGE past REG_MONITOR_PROGRAM_MAX. */
enum reg_status reg_sensitive_set_program(struct reg_store *store, const struct reg_artifact *art,
                                          const char *program, size_t len);

/* Removes art's program (it stays sensitive); REG_ENOTFOUND when it has none. */
enum reg_status reg_sensitive_remove_program(struct reg_store *store, struct reg_arena *a,
                                             const struct reg_artifact *art);

/* The name of the account that registered or uploaded art (its CREATE audit entry); "unknown"
 * when the trail has none (an artifact from before audit entries were kept). */
enum reg_status reg_sensitive_uploader(struct reg_store *store, struct reg_arena *a,
                                       const struct reg_artifact *art, const char **out);

/* Appends a download event by user on art, dated now; run is the monitor's run (NULL when no
 * program ran). */
enum reg_status reg_sensitive_record(struct reg_store *store, struct reg_arena *a,
                                     const struct reg_artifact *art, const char *user, bool refused,
                                     const struct reg_monitor_result *run);

/* The page of art's history that follows cursor after (0: the first). */
enum reg_status reg_sensitive_history(struct reg_store *store, struct reg_arena *a,
                                      const struct reg_artifact *art, int64_t after,
                                      struct reg_download_page *out);

/* {"user", "date", "outcome": "downloaded" | "refused", "monitor": {...} | null} */
struct json_object *reg_download_event_json(const struct reg_download_event *e);

/* {"artifact": {...}, "sensitive": true, "marked_at", "has_program", "uploader"} */
struct json_object *reg_sensitive_json(const struct reg_artifact *art,
                                       const struct reg_sensitive *s, const char *uploader);

#endif
