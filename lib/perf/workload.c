/*
 * workload.c - download workload runs: the host lock, the run's files and record, the runner
 * process that spawns registry-load, and reading the records back (see workload.h).
 */
#define _GNU_SOURCE /* prctl */
#include "perf/workload.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/str.h"

#define LOCK_FILE ".lock"
#define RECORD "run.json"
#define HEADERS "headers"
#define CLIENT_HEADERS "client-headers"
#define STOP_FILE "stop"
/* How often the runner looks at its load client, the stop file and the clock. */
#define WAIT_STEP_MS 50
/* Between warm-up downloads while the first copy is still being stored. */
#define WARM_STEP_MS 250
/* The header of a download answered from the stored copy (handlers/download.c). */
#define STORED_COPY "X-Registry-Copy: stored"
/* Bytes of a load client's stderr read back for the error of a failed run. */
#define STDERR_TAIL 512
/* The environment registry-load runs with: nothing of the registry's (no AWS keys, tokens or
 * the admin password). Writable arrays: execve takes char *const[]. */
static char env_path[] = "PATH=/usr/local/bin:/usr/bin:/bin";
static char env_locale[] = "LC_ALL=C";
static char *const load_env[] = {env_path, env_locale, NULL};

static volatile sig_atomic_t stop_signalled;

/* ---------------------------------------------------------------- small helpers */

static char *
run_path(struct reg_arena *a, const char *dir, const char *id, const char *name)
{
    return name ? reg_arena_sprintf(a, "%s/%s/%s", dir, id, name)
                : reg_arena_sprintf(a, "%s/%s", dir, id);
}

bool
reg_workload_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;

    return n == REG_WORKLOAD_ID_MAX && strspn(id, "0123456789") == 13 && id[13] == '-' &&
           strspn(id + 14, "0123456789abcdef") == 8;
}

/* Unix milliseconds, then 8 random hex digits: ids sort by start time. */
static enum reg_status
new_id(char out[REG_WORKLOAD_ID_MAX + 1])
{
    unsigned char r[4];
    char hex[9];
    struct timespec ts;

    if (RAND_bytes(r, sizeof(r)) != 1)
        return reg_errorf(REG_EINTERNAL, "no randomness for a workload id");
    clock_gettime(CLOCK_REALTIME, &ts);
    reg_str_hex(r, sizeof(r), hex);
    snprintf(out, REG_WORKLOAD_ID_MAX + 1, "%013lld-%s",
             (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, hex);
    return REG_OK;
}

static struct json_object *
now_iso(void)
{
    char buf[32];

    reg_str_iso8601((int64_t)time(NULL), buf);
    return json_object_new_string(buf);
}

/* Writes len bytes to path (mode 0600) whole: a new file, then renamed over the old one. */
static enum reg_status
write_file(struct reg_arena *a, const char *path, const char *data, size_t len)
{
    const char *tmp = reg_arena_sprintf(a, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t done = 0;

    if (fd < 0)
        return reg_errorf(REG_ESTORE, "cannot write %s: %s", tmp, strerror(errno));
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        done += (size_t)n;
    }
    if (close(fd) != 0 || done < len || rename(tmp, path) != 0) {
        unlink(tmp);
        return reg_errorf(REG_ESTORE, "cannot write %s: %s", path, strerror(errno));
    }
    return REG_OK;
}

static enum reg_status
write_json(struct reg_arena *a, const char *path, struct json_object *obj)
{
    size_t len;
    const char *text = reg_json_text(obj, &len);

    return write_file(a, path, text, len);
}

/* The whole of a file of at most max bytes, NUL-terminated, in a; REG_ENOTFOUND if it is not
 * there. */
static enum reg_status
read_file(struct reg_arena *a, const char *path, size_t max, char **text, size_t *len)
{
    FILE *f = fopen(path, "rb");

    if (!f)
        return errno == ENOENT
                   ? REG_ENOTFOUND
                   : reg_errorf(REG_ESTORE, "cannot read %s: %s", path, strerror(errno));
    *text = reg_arena_alloc(a, max + 1);
    *len = fread(*text, 1, max + 1, f);
    fclose(f);
    if (*len > max)
        return reg_errorf(REG_ESTORE, "%s is larger than %zu bytes", path, max);
    (*text)[*len] = '\0';
    return REG_OK;
}

static enum reg_status
read_json(struct reg_arena *a, const char *path, struct json_object **out)
{
    char *text;
    size_t len;
    enum reg_status st = read_file(a, path, REG_WORKLOAD_RECORD_MAX, &text, &len);

    if (st == REG_OK)
        st = reg_json_parse_bounded(a, text, len, REG_WORKLOAD_RECORD_MAX, out);
    return st;
}

/* Whether a runner holds the lock of run directory path (see workload.h). */
static bool
runner_alive(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool alive;

    if (fd < 0)
        return false;
    alive = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd); /* releases the probe's shared lock, if it got one */
    return alive;
}

/* Removes a run directory and the files in it. */
static void
remove_run(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;

    while (d && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlinkat(dirfd(d), e->d_name, 0);
    if (d)
        closedir(d);
    rmdir(path);
}

static int
newest_first(const void *x, const void *y)
{
    return strcmp(*(const char *const *)y, *(const char *const *)x);
}

/* The ids of the runs in dir, newest first. */
static enum reg_status
run_ids(struct reg_arena *a, const char *dir, const char ***ids, size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t cap = 32;

    *n = 0;
    *ids = reg_arena_alloc(a, cap * sizeof(**ids));
    if (!d)
        return errno == ENOENT ? REG_OK
                               : reg_errorf(REG_ESTORE, "cannot list %s: %s", dir, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        if (!reg_workload_id_valid(e->d_name))
            continue;
        if (*n == cap) {
            const char **more = reg_arena_alloc(a, 2 * cap * sizeof(*more));
            memcpy(more, *ids, cap * sizeof(*more));
            *ids = more;
            cap *= 2;
        }
        (*ids)[(*n)++] = reg_arena_strdup(a, e->d_name);
    }
    closedir(d);
    qsort(*ids, *n, sizeof(**ids), newest_first);
    return REG_OK;
}

/* ---------------------------------------------------------------- the host lock */

enum reg_status
reg_workload_lock(const char *dir, struct reg_workload_lock *out)
{
    char path[1024], running[REG_WORKLOAD_ID_MAX + 1] = "";
    ssize_t n;

    out->fd = -1;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return reg_errorf(REG_ESTORE, "cannot create %s: %s", dir, strerror(errno));
    snprintf(path, sizeof(path), "%s/" LOCK_FILE, dir);
    out->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (out->fd < 0)
        return reg_errorf(REG_ESTORE, "cannot open %s: %s", path, strerror(errno));
    if (flock(out->fd, LOCK_EX | LOCK_NB) == 0)
        return REG_OK;
    n = pread(out->fd, running, sizeof(running) - 1, 0);
    running[n > 0 ? n : 0] = '\0';
    reg_workload_unlock(out);
    return reg_errorf(REG_ECONFLICT,
                      "a download workload is already running on this host (%s): wait for it to "
                      "end, or stop it with DELETE /health/workloads/%s",
                      running, running);
}

void
reg_workload_unlock(struct reg_workload_lock *lock)
{
    if (lock && lock->fd >= 0) {
        close(lock->fd);
        lock->fd = -1;
    }
}

/* ---------------------------------------------------------------- the runner */

struct runner {
    const struct reg_workload_spec *spec;
    const char *id;
    const char *rundir;
    struct json_object *record;
    const char *stop_path;
    int lock_fd;
    int dir_fd;
    time_t deadline;
    struct reg_arena a;
};

static void
on_stop_signal(int sig)
{
    (void)sig;
    stop_signalled = 1;
}

/* SIGTERM and SIGINT ask the runner to stop; none blocked (a worker blocks SIGTERM while it
 * serves a request, and the runner was forked there). */
static void
runner_signals(void)
{
    struct sigaction sa;
    sigset_t none;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &sa, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Why the run must end now, or NULL. */
static const char *
must_stop(struct runner *r)
{
    if (stop_signalled)
        return "stopped by a signal (the registry is shutting down)";
    if (access(r->stop_path, F_OK) == 0)
        return "stopped on request";
    if (time(NULL) >= r->deadline)
        return reg_arena_sprintf(&r->a, "stopped at the wall-clock limit of %d s",
                                 r->spec->max_seconds);
    return NULL;
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Waits for the load client pid, killing it if the run must end; returns why it was killed
 * (NULL if it ended by itself), with its wait status in *status. */
static const char *
wait_load(struct runner *r, pid_t pid, int *status)
{
    const char *why = NULL;

    for (;;) {
        pid_t w = waitpid(pid, status, WNOHANG);
        if (w == pid)
            return why;
        if (w < 0 && errno != EINTR)
            return "the load client was lost";
        if (!why && (why = must_stop(r)) != NULL)
            kill(pid, SIGKILL);
        sleep_ms(WAIT_STEP_MS);
    }
}

/* The last line registry-load wrote on stderr, for the error of a run it failed. */
static const char *
stderr_tail(struct runner *r, const char *path)
{
    char *text;
    size_t len;
    const char *last = "";

    if (read_file(&r->a, path, REG_WORKLOAD_RECORD_MAX, &text, &len) != REG_OK)
        return "";
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        last = line;
    return reg_arena_sprintf(&r->a, "%.*s", STDERR_TAIL, last);
}

/* The command line of one registry-load run. */
static char **
load_argv(struct runner *r, int clients, int requests)
{
    const struct reg_workload_spec *s = r->spec;
    long timeout = (long)s->max_seconds * 1000L;
    char **argv = reg_arena_alloc(&r->a, 16 * sizeof(*argv));
    int n = 0;

    if (timeout > REG_WORKLOAD_REQUEST_TIMEOUT_MS)
        timeout = REG_WORKLOAD_REQUEST_TIMEOUT_MS;
    argv[n++] = reg_arena_strdup(&r->a, s->program);
    argv[n++] = reg_arena_strdup(&r->a, "--url");
    argv[n++] = reg_arena_strdup(&r->a, s->url);
    argv[n++] = reg_arena_sprintf(&r->a, "--clients=%d", clients);
    argv[n++] = reg_arena_sprintf(&r->a, "--requests=%d", requests);
    argv[n++] = reg_arena_sprintf(&r->a, "--timeout-ms=%ld", timeout);
    argv[n++] = reg_arena_strdup(&r->a, "--expect-header=" STORED_COPY);
    argv[n++] = reg_arena_strdup(&r->a, "--client-header-file");
    argv[n++] = run_path(&r->a, s->dir, r->id, CLIENT_HEADERS);
    if (s->common_header) {
        argv[n++] = reg_arena_strdup(&r->a, "--header-file");
        argv[n++] = run_path(&r->a, s->dir, r->id, HEADERS);
    }
    argv[n] = NULL;
    return argv;
}

/* Runs registry-load once (figures in <name>.json); *figures is what it printed. NULL on
 * success, else why the run failed. */
static const char *
run_load(struct runner *r, const char *name, int clients, int requests,
         struct json_object **figures)
{
    const char *out =
        run_path(&r->a, r->spec->dir, r->id, reg_arena_sprintf(&r->a, "%s.json", name));
    const char *err =
        run_path(&r->a, r->spec->dir, r->id, reg_arena_sprintf(&r->a, "%s.err", name));
    const char *why;
    pid_t pid;
    int status = 0;

    *figures = NULL;
    if (reg_proc_spawn(r->spec->program, load_argv(r, clients, requests), load_env, out, err,
                       &pid) != REG_OK)
        return reg_arena_strdup(&r->a, reg_error_detail());
    why = wait_load(r, pid, &status);
    if (why)
        return why;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return reg_arena_sprintf(&r->a, "registry-load (%s) ended with status %d: %s", name,
                                 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
                                 stderr_tail(r, err));
    if (read_json(&r->a, out, figures) != REG_OK)
        return reg_arena_sprintf(&r->a, "registry-load (%s) printed no figures: %s", name,
                                 reg_error_detail());
    return NULL;
}

/* One warm-up download, repeated until one is answered from the stored copy: the first pulls
 * the bundle through, and the copy is stored (hashed, renamed, indexed) a moment after that
 * download ends; the measured run is about downloads of the stored copy, not about the slots
 * that stream a copy still being fetched. Ends with the run's limits. */
static const char *
warm_up(struct runner *r, struct json_object **figures)
{
    for (;;) {
        const char *why = run_load(r, "warmup", 1, 1, figures);
        struct json_object *errors = NULL;
        if (why || (reg_json_int(*figures, "ok") == 1 &&
                    reg_json_int(*figures, "expect_header_missing") == 0))
            return why;
        /* Refused (the artifact gone, the token spent): waiting will not help. */
        if (json_object_object_get_ex(*figures, "errors", &errors) &&
            reg_json_int(errors, "status_4xx") > 0)
            return "the warm-up download was refused (4xx)";
        if ((why = must_stop(r)) != NULL)
            return why;
        sleep_ms(WARM_STEP_MS);
    }
}

/* The warm-up's figures, in short. */
static struct json_object *
warmup_summary(struct json_object *figures)
{
    static const char *const keys[] = {"ok", "errors", "bytes", "seconds"};
    struct json_object *o = json_object_new_object(), *v;

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (json_object_object_get_ex(figures, keys[i], &v))
            json_object_object_add(o, keys[i], json_object_get(v));
    return o;
}

/* Records the outcome: done with the figures, or failed with why. */
static void
finish(struct runner *r, struct json_object *warmup, struct json_object *result, const char *why)
{
    struct json_object *rec = r->record;

    json_object_object_add(rec, "status", json_object_new_string(why ? "failed" : "done"));
    json_object_object_add(rec, "finished_at", now_iso());
    if (warmup)
        json_object_object_add(rec, "warmup", warmup_summary(warmup));
    if (result)
        json_object_object_add(rec, "result", json_object_get(result));
    if (why)
        json_object_object_add(rec, "error", json_object_new_string(why));
    if (write_json(&r->a, run_path(&r->a, r->spec->dir, r->id, RECORD), rec) != REG_OK)
        reg_log(REG_LOG_ERROR, "workload %s: %s", r->id, reg_error_detail());
    if (why)
        reg_log(REG_LOG_WARN, "workload %s failed: %s", r->id, why);
    else
        reg_log(REG_LOG_INFO, "workload %s done: %lld of %lld downloads ok, %s per second", r->id,
                (long long)reg_json_int(result, "ok"), (long long)reg_json_int(result, "requests"),
                json_object_to_json_string(json_object_object_get(result, "throughput_rps")));
}

/* The runner: a grandchild of the worker holding the host lock and the run's lock. */
static _Noreturn void
run_runner(void *ctx)
{
    struct runner *r = ctx;
    const struct reg_workload_spec *s = r->spec;
    const int keep[] = {r->lock_fd, r->dir_fd};
    struct json_object *warmup = NULL, *result = NULL;
    const char *why;

    prctl(PR_SET_NAME, "reg-workload");
    runner_signals();
    reg_proc_close_inherited(keep, 2); /* the log is stderr */
    reg_arena_init(&r->a);
    reg_log(REG_LOG_INFO, "workload %s: %d clients x %d downloads of %s", r->id, s->clients,
            s->requests, s->url);
    why = warm_up(r, &warmup);
    if (!why)
        why = run_load(r, "load", s->clients, s->requests, &result);
    unlink(run_path(&r->a, s->dir, r->id, HEADERS));
    unlink(run_path(&r->a, s->dir, r->id, CLIENT_HEADERS));
    /* The host lock goes before the record says the run ended, not with the process: a client
     * that reads "done" may start the next run at once, and is not refused with 409 while
     * this process is still exiting. The run directory's lock stays to the end. */
    close(r->lock_fd);
    finish(r, warmup, result, why);
    _exit(0);
}

/* ---------------------------------------------------------------- starting a run */

/* The header files of the run (0600: they hold tokens). */
static enum reg_status
write_headers(struct reg_arena *a, const struct reg_workload_spec *s, const char *id)
{
    struct reg_arena tmp;
    const char *text = "";
    enum reg_status st = REG_OK;

    reg_arena_init(&tmp);
    for (int i = 0; i < s->nclient_headers; i++)
        text = reg_arena_sprintf(&tmp, "%s%s\n", text, s->client_headers[i]);
    st = write_file(a, run_path(a, s->dir, id, CLIENT_HEADERS), text, strlen(text));
    if (st == REG_OK && s->common_header) {
        text = reg_arena_sprintf(&tmp, "%s\n", s->common_header);
        st = write_file(a, run_path(a, s->dir, id, HEADERS), text, strlen(text));
    }
    reg_arena_cleanup(&tmp);
    return st;
}

static struct json_object *
new_record(const char *id, struct json_object *about)
{
    struct json_object *rec = json_object_new_object();

    json_object_object_add(rec, "id", json_object_new_string(id));
    json_object_object_add(rec, "status", json_object_new_string("running"));
    json_object_object_add(rec, "started_at", now_iso());
    json_object_object_add(rec, "finished_at", NULL);
    json_object_object_foreach(about, key, value)
    {
        json_object_object_add(rec, key, json_object_get(value));
    }
    return rec;
}

/* Removes the runs past the newest REG_WORKLOAD_KEEP (never one that runs). */
static void
prune(struct reg_arena *a, const char *dir)
{
    const char **ids;
    size_t n;

    if (run_ids(a, dir, &ids, &n) != REG_OK)
        return;
    for (size_t i = REG_WORKLOAD_KEEP; i < n; i++) {
        const char *path = run_path(a, dir, ids[i], NULL);
        if (!runner_alive(path))
            remove_run(path);
    }
}

/* The run directory, locked for the runner to inherit; *fd holds the lock. */
static enum reg_status
make_run_dir(const char *path, int *fd)
{
    *fd = -1;
    if (mkdir(path, 0700) != 0)
        return reg_errorf(REG_ESTORE, "cannot create %s: %s", path, strerror(errno));
    *fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*fd < 0 || flock(*fd, LOCK_EX) != 0)
        return reg_errorf(REG_ESTORE, "cannot lock %s: %s", path, strerror(errno));
    return REG_OK;
}

/* Names the run in the host lock file (for the 409 of the next start). */
static void
name_lock(int fd, const char *id)
{
    if (ftruncate(fd, 0) != 0 || pwrite(fd, id, strlen(id), 0) < 0)
        reg_log(REG_LOG_WARN, "workload %s: cannot write its id in the lock file", id);
}

enum reg_status
reg_workload_start(struct reg_workload_lock *lock, const struct reg_workload_spec *spec,
                   struct reg_arena *a, struct json_object **out)
{
    struct runner r = {.spec = spec, .lock_fd = lock->fd, .dir_fd = -1};
    char id[REG_WORKLOAD_ID_MAX + 1];
    enum reg_status st = new_id(id);

    *out = NULL;
    r.id = id;
    r.rundir = run_path(a, spec->dir, id, NULL);
    r.stop_path = run_path(a, spec->dir, id, STOP_FILE);
    r.deadline = time(NULL) + spec->max_seconds;
    if (st == REG_OK)
        st = make_run_dir(r.rundir, &r.dir_fd);
    if (st == REG_OK)
        st = write_headers(a, spec, id);
    if (st == REG_OK) {
        r.record = reg_arena_own_json(a, new_record(id, spec->about));
        st = write_json(a, run_path(a, spec->dir, id, RECORD), r.record);
    }
    if (st == REG_OK) {
        name_lock(lock->fd, id);
        st = reg_proc_detach(run_runner, &r, "the workload runner");
    }
    if (r.dir_fd >= 0)
        close(r.dir_fd); /* the runner keeps its own descriptor, and with it the lock */
    if (st != REG_OK) {
        remove_run(r.rundir);
        return st;
    }
    reg_workload_unlock(lock); /* likewise: the runner holds the host lock now */
    prune(a, spec->dir);
    *out = r.record;
    return REG_OK;
}

/* ---------------------------------------------------------------- reading records */

static bool
is_running(struct json_object *rec)
{
    const char *status = reg_json_str(rec, "status");

    return status && strcmp(status, "running") == 0;
}

/* A record that says running while its runner is gone: failed (written back, so that it stays
 * so). The record is read again first: the runner may have finished meanwhile. */
static enum reg_status
settle(struct reg_arena *a, const char *dir, const char *id, struct json_object **rec)
{
    const char *path = run_path(a, dir, id, RECORD);
    enum reg_status st;

    if (!is_running(*rec) || runner_alive(run_path(a, dir, id, NULL)))
        return REG_OK;
    st = read_json(a, path, rec);
    if (st != REG_OK || !is_running(*rec))
        return st;
    json_object_object_add(*rec, "status", json_object_new_string("failed"));
    json_object_object_add(*rec, "error",
                           json_object_new_string("the runner ended without recording an outcome"));
    if (write_json(a, path, *rec) != REG_OK)
        reg_log(REG_LOG_WARN, "workload %s: %s", id, reg_error_detail());
    return REG_OK;
}

enum reg_status
reg_workload_get(const char *dir, const char *id, struct reg_arena *a, struct json_object **out)
{
    enum reg_status st;

    *out = NULL;
    if (!reg_workload_id_valid(id))
        return reg_errorf(REG_ENOTFOUND, "no workload run '%.40s'", id ? id : "");
    st = read_json(a, run_path(a, dir, id, RECORD), out);
    if (st == REG_ENOTFOUND)
        return reg_errorf(REG_ENOTFOUND, "no workload run %s (the last %d are kept)", id,
                          REG_WORKLOAD_KEEP);
    return st == REG_OK ? settle(a, dir, id, out) : st;
}

enum reg_status
reg_workload_list(const char *dir, struct reg_arena *a, struct json_object **out)
{
    const char **ids;
    size_t n;
    enum reg_status st = run_ids(a, dir, &ids, &n);

    *out = reg_arena_own_json(a, json_object_new_array());
    for (size_t i = 0; st == REG_OK && i < n && i < REG_WORKLOAD_KEEP; i++) {
        struct json_object *rec;
        st = reg_workload_get(dir, ids[i], a, &rec);
        if (st == REG_OK)
            json_object_array_add(*out, json_object_get(rec));
        else if (st == REG_ENOTFOUND) /* a run being created or removed right now */
            st = REG_OK;
    }
    return st;
}

enum reg_status
reg_workload_stop(const char *dir, const char *id, struct reg_arena *a, struct json_object **out)
{
    enum reg_status st = reg_workload_get(dir, id, a, out);
    const char *stop;
    int fd;

    if (st != REG_OK)
        return st;
    if (!is_running(*out))
        return reg_errorf(REG_ECONFLICT, "workload run %s is not running (it is %s)", id,
                          reg_json_str(*out, "status"));
    stop = run_path(a, dir, id, STOP_FILE);
    fd = open(stop, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return reg_errorf(REG_ESTORE, "cannot create %s: %s", stop, strerror(errno));
    close(fd);
    return REG_OK;
}
