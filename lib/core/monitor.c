/*
 * monitor.c - running a monitor program under Node.js, confined (see monitor.h).
 */
#define _GNU_SOURCE /* pipe2 */
#include "core/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/limits.h"
#include "base/proc.h"
#include "base/str.h"

/* How often the run looks at the program while waiting for output or its end (ms). */
#define POLL_MS 50
/* The directory made for one run, and the program's file in it. */
#define RUN_DIR_TEMPLATE "%s/monitor.XXXXXX"
#define PROGRAM_FILE "monitor.js"
/* PATH for the program: the system's binaries, nothing of the worker's. */
#define SAFE_PATH "PATH=/usr/local/bin:/usr/bin:/bin"
/* Bytes read at a time from the program's stdout. */
#define READ_CHUNK 16384
/* Chunks read per look at the pipe. */
#define DRAIN_CHUNKS 64

bool
reg_monitor_passed(const struct reg_monitor_result *r)
{
    return !r->timed_out && r->signal == 0 && r->exit_code == 0;
}

void
reg_monitor_result_cleanup(struct reg_monitor_result *r)
{
    if (!r)
        return;
    free(r->output);
    r->output = NULL;
    r->output_len = 0;
}

/* ---------------------------------------------------------------- the private directory */

static int
remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Removes dir and whatever the program left in it (links are removed, never followed). */
static void
remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static enum reg_status
write_program(const char *path, const char *program, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    size_t done = 0;

    if (fd < 0)
        return reg_errorf(REG_EINTERNAL, "cannot write the monitor program: %s", strerror(errno));
    while (done < len) {
        ssize_t n = write(fd, program + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = errno;
            close(fd);
            return reg_errorf(REG_EINTERNAL, "cannot write the monitor program: %s", strerror(e));
        }
        done += (size_t)n;
    }
    close(fd);
    return REG_OK;
}

/* ---------------------------------------------------------------- output */

/* Replaces every byte that does not start a well-formed UTF-8 sequence (and NUL) with '?', so
 * that the output can go into JSON. */
static void
sanitize_utf8(char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80                 ? 1
                     : c >= 0xC2 && c <= 0xDF ? 2
                     : c >= 0xE0 && c <= 0xEF ? 3
                     : c >= 0xF0 && c <= 0xF4 ? 4
                                              : 0;
        if (len == 0 || i + len > n || !reg_str_is_utf8(s + i, len)) {
            s[i++] = '?';
            continue;
        }
        i += len;
    }
}

/* Reads what the pipe has now: kept while under the cap, dropped after. false at its end. */
static bool
drain(int fd, struct reg_buf *kept, bool *truncated)
{
    char chunk[READ_CHUNK];

    /* Bounded, so that a program that writes without pause still meets its deadline. */
    for (int i = 0; i < DRAIN_CHUNKS; i++) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK;
        if (n == 0)
            return false;
        size_t room = REG_MONITOR_OUTPUT_MAX - kept->len;
        size_t take = (size_t)n < room ? (size_t)n : room;
        if (take > 0 && reg_buf_append(kept, chunk, take) != REG_OK)
            take = 0;
        if (take < (size_t)n)
            *truncated = true;
    }
    return true;
}

/* ---------------------------------------------------------------- the run */

struct run {
    pid_t pid;
    int out_fd; /* read end of the program's stdout, non-blocking */
    struct reg_buf kept;
    bool truncated, timed_out, exited;
    int status;
};

/* Waits for the program to end (or the limit to pass), reading its stdout meanwhile. Stdout
 * may stay open after the program exits (a child it left behind holds it), so the end is the
 * program's exit, not the pipe's. */
static void
supervise(struct run *r, int timeout_ms)
{
    double deadline = reg_clock_ms() + timeout_ms;
    bool open_pipe = true;

    while (!r->exited) {
        struct pollfd p = {r->out_fd, POLLIN, 0};
        double left = deadline - reg_clock_ms();
        if (left <= 0) {
            r->timed_out = true;
            kill(-r->pid, SIGKILL);
            while (waitpid(r->pid, &r->status, 0) < 0 && errno == EINTR)
                ;
            r->exited = true;
            break;
        }
        if (open_pipe && poll(&p, 1, left < POLL_MS ? (int)left : POLL_MS) > 0)
            open_pipe = drain(r->out_fd, &r->kept, &r->truncated);
        else if (!open_pipe)
            nanosleep(&(struct timespec){0, POLL_MS * 1000000L}, NULL);
        r->exited = waitpid(r->pid, &r->status, WNOHANG) == r->pid;
    }
    if (open_pipe)
        drain(r->out_fd, &r->kept, &r->truncated);
    /* Whatever the program started goes with it. */
    kill(-r->pid, SIGKILL);
}

static void
result_of(struct run *r, struct reg_monitor_result *out)
{
    out->timed_out = r->timed_out;
    out->truncated = r->truncated;
    out->exit_code = WIFEXITED(r->status) ? WEXITSTATUS(r->status) : -1;
    out->signal = WIFSIGNALED(r->status) ? WTERMSIG(r->status) : 0;
    if (reg_buf_puts(&r->kept, "") != REG_OK || !r->kept.data) {
        out->output = calloc(1, 1);
        out->output_len = 0;
    } else {
        out->output_len = r->kept.len;
        out->output = reg_buf_take(&r->kept);
        sanitize_utf8(out->output, out->output_len);
    }
}

/* Spawns argv in dir (HOME and TMPDIR) and supervises it into *out. */
static enum reg_status
run_in(const struct reg_monitor_env *env, const char *dir, char *const argv[],
       struct reg_monitor_result *out)
{
    char path[] = SAFE_PATH, home[REG_MAX_PATH + 8], tmp[REG_MAX_PATH + 8];
    char *envp[] = {path, home, tmp, NULL};
    struct run r = {.pid = -1, .out_fd = -1};
    int pipefd[2], devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    enum reg_status st;

    snprintf(home, sizeof(home), "HOME=%s", dir);
    snprintf(tmp, sizeof(tmp), "TMPDIR=%s", dir);
    if (devnull < 0 || pipe2(pipefd, O_CLOEXEC) != 0) {
        int e = errno;
        if (devnull >= 0)
            close(devnull);
        return reg_errorf(REG_EINTERNAL, "cannot run the monitor: %s", strerror(e));
    }
    st = reg_proc_spawn_fds(env->node, argv, envp, pipefd[1], devnull, true, &r.pid);
    close(pipefd[1]);
    close(devnull);
    if (st != REG_OK) {
        close(pipefd[0]);
        return st;
    }
    r.out_fd = pipefd[0];
    fcntl(r.out_fd, F_SETFL, fcntl(r.out_fd, F_GETFL) | O_NONBLOCK);
    reg_buf_init(&r.kept, REG_MONITOR_OUTPUT_MAX);
    supervise(&r, env->timeout_ms);
    close(r.out_fd);
    result_of(&r, out);
    reg_buf_cleanup(&r.kept);
    return REG_OK;
}

/* Makes the private directory of one run. */
static enum reg_status
make_dir(const struct reg_monitor_env *env, char *dir, size_t cap)
{
    if ((size_t)snprintf(dir, cap, RUN_DIR_TEMPLATE, env->work_dir) >= cap)
        return reg_errorf(REG_EINTERNAL, "the monitor's work directory path is too long");
    if (!mkdtemp(dir))
        return reg_errorf(REG_EINTERNAL, "cannot make a directory for the monitor under %s: %s",
                          env->work_dir, strerror(errno));
    return REG_OK;
}

enum reg_status
reg_monitor_run(const struct reg_monitor_env *env, const char *program, size_t len,
                const struct reg_monitor_args *args, struct reg_monitor_result *out)
{
    char dir[REG_MAX_PATH];
    struct reg_arena a;
    enum reg_status st;

    memset(out, 0, sizeof(*out));
    if (access(env->node, X_OK) != 0)
        return reg_errorf(REG_EINTERNAL, "no Node.js to run the monitor at %s (REGISTRY_NODE)",
                          env->node);
    st = make_dir(env, dir, sizeof(dir));
    if (st != REG_OK)
        return st;
    reg_arena_init(&a);
    /* node [permissions] PROGRAM MODEL_NAME UPLOADER_USERNAME DOWNLOADER_USERNAME ZIP_FILE_PATH:
     * Node's permission model lets the program read its directory and the zip, write only its
     * directory, and start no process, worker or addon (the registry's files, its database
     * among them, belong to the same account). Network access is not restricted. */
    char *argv[] = {reg_arena_strdup(&a, env->node),
                    reg_arena_strdup(&a, "--permission"),
                    reg_arena_sprintf(&a, "--allow-fs-read=%s", dir),
                    reg_arena_sprintf(&a, "--allow-fs-read=%s", args->zip_path),
                    reg_arena_sprintf(&a, "--allow-fs-write=%s", dir),
                    reg_arena_sprintf(&a, "%s/%s", dir, PROGRAM_FILE),
                    reg_arena_strdup(&a, args->model_name),
                    reg_arena_strdup(&a, args->uploader),
                    reg_arena_strdup(&a, args->downloader),
                    reg_arena_strdup(&a, args->zip_path),
                    NULL};
    st = write_program(argv[5], program, len);
    if (st == REG_OK)
        st = run_in(env, dir, argv, out);
    reg_arena_cleanup(&a);
    remove_tree(dir);
    return st;
}

bool
reg_monitor_node_ok(const struct reg_monitor_env *env)
{
    char dir[REG_MAX_PATH], version[] = "--version";
    struct reg_monitor_result r;
    struct reg_arena a;
    bool ok;

    memset(&r, 0, sizeof(r));
    if (access(env->node, X_OK) != 0 || make_dir(env, dir, sizeof(dir)) != REG_OK)
        return false;
    reg_arena_init(&a);
    char *argv[] = {reg_arena_strdup(&a, env->node), version, NULL};
    ok = run_in(env, dir, argv, &r) == REG_OK && reg_monitor_passed(&r) &&
         strncmp(r.output, "v24.", 4) == 0;
    reg_monitor_result_cleanup(&r);
    reg_arena_cleanup(&a);
    remove_tree(dir);
    return ok;
}
