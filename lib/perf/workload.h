/*
 * workload.h - the download workload of the health dashboard (POST /health/workloads): a run
 * of the load client (tools/registry-load) against one of the registry's own download URLs,
 * started by a worker and carried out by a runner process, one at a time per host, and the
 * records of the recent runs.
 *
 * Files, under $REGISTRY_DATA_DIR/workloads/ (the host's own: the lock is per host, and the
 * figures measure the host that ran them):
 *   .lock                the host lock: held (flock) by the runner for as long as it runs (it
 *                        lets go just before the record says the run ended), so a runner
 *                        that crashed holds nothing; holds the running run's id
 *   <id>/run.json        the record (below), replaced whole (write, then rename) at each change
 *   <id>/warmup.json     registry-load's figures of the warm-up download, and .err its stderr
 *   <id>/load.json       registry-load's figures of the measured run, and .err its stderr
 *   <id>/headers         header files handed to registry-load (tokens, the limit key: mode
 *   <id>/client-headers  0600, removed when the run ends)
 *   <id>/stop            asks the runner to stop (DELETE /health/workloads/{id})
 * The runner also holds a flock on <id>/ itself, so a record that says "running" while that
 * lock is free belongs to a runner that died; it reads as failed. The last REG_WORKLOAD_KEEP
 * runs are kept; older ones are removed when a new run starts.
 *
 * The runner: a grandchild of the worker (base/proc.h) that keeps nothing of the worker's but
 * the two locks. It spawns registry-load (posix_spawn, stdout to the figures file, no other
 * descriptor, an environment of PATH and LC_ALL only: none of the registry's secrets) twice:
 * warm-up downloads (one at a time, until one is answered from the stored copy), so that the
 * measured run downloads the stored copy rather than racing the first pull-through, then
 * clients x requests measured downloads (each checked for the stored copy's header:
 * "expect_header_missing" in the figures counts those that were not). It kills
 * registry-load when the run's wall-clock limit passes or a stop is asked for, records the
 * outcome, removes the header files and exits.
 *
 * The record (JSON): {"id", "status": "running"|"done"|"failed", "started_at", "finished_at"
 * (null while running), every field of the caller's description (parameters, artifact, ...),
 * and at the end "warmup" and "result" (registry-load's figures) or "error" (why it failed)}.
 *
 * Ownership: records returned are new json-c references handed to the arena given. The spec
 * and everything it points to are borrowed for the call.
 */
#ifndef REG_PERF_WORKLOAD_H
#define REG_PERF_WORKLOAD_H

#include <json-c/json.h>
#include <stdbool.h>

#include "base/arena.h"
#include "base/status.h"

/* Runs kept (the newest). */
#define REG_WORKLOAD_KEEP 20
/* A run's wall-clock limit: registry-load is killed past it. */
#define REG_WORKLOAD_MAX_SECONDS 300
/* Each download's own limit (registry-load --timeout-ms). */
#define REG_WORKLOAD_REQUEST_TIMEOUT_MS 60000L
/* Ids: 13 digits of Unix milliseconds, '-', 8 hex digits. */
#define REG_WORKLOAD_ID_MAX 22
/* Largest record read back (a record with a 200-bucket histogram is ~15 KB). */
#define REG_WORKLOAD_RECORD_MAX (256 * 1024)

/* The host lock, taken before anything is prepared for a run. */
struct reg_workload_lock {
    int fd; /* -1 when not held */
};

/* What a run does; the caller decided all of it. */
struct reg_workload_spec {
    const char *dir;                   /* $REGISTRY_DATA_DIR/workloads */
    const char *program;               /* registry-load */
    const char *url;                   /* what every client GETs */
    const char *common_header;         /* "Name: value" every client sends, or NULL */
    const char *const *client_headers; /* client i sends client_headers[i % n] (its token) */
    int nclient_headers;
    int clients;
    int requests; /* measured GETs per client */
    int max_seconds;
    struct json_object *about; /* its fields go into the record as they are */
};

/* Takes the host lock of dir (created if missing) without waiting. REG_ECONFLICT, naming the
 * run that holds it, when one is running; REG_ESTORE when the files cannot be used. */
enum reg_status reg_workload_lock(const char *dir, struct reg_workload_lock *out);

/* Releases a lock that start did not take over (NULL-safe, safe after start). */
void reg_workload_unlock(struct reg_workload_lock *lock);

/* Writes the run's record (running) and starts its runner, which takes the lock over; then
 * removes the runs past REG_WORKLOAD_KEEP. *out is the record. REG_ESTORE or REG_EINTERNAL
 * when the files or the runner cannot be made (the lock stays the caller's then). */
enum reg_status reg_workload_start(struct reg_workload_lock *lock,
                                   const struct reg_workload_spec *spec, struct reg_arena *a,
                                   struct json_object **out);

/* The records of the kept runs, newest first, as a JSON array. */
enum reg_status reg_workload_list(const char *dir, struct reg_arena *a, struct json_object **out);

/* The record of run id; REG_ENOTFOUND for an id that is malformed or not kept. */
enum reg_status reg_workload_get(const char *dir, const char *id, struct reg_arena *a,
                                 struct json_object **out);

/* Asks run id's runner to stop (it records the run as failed, "stopped on request") and
 * returns its record. REG_ENOTFOUND as for get; REG_ECONFLICT when it is not running. */
enum reg_status reg_workload_stop(const char *dir, const char *id, struct reg_arena *a,
                                  struct json_object **out);

/* Whether id has the form of a run id. */
bool reg_workload_id_valid(const char *id);

#endif
