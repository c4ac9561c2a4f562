/*
 * proc.c - detached processes and spawned programs (see proc.h).
 */
#define _GNU_SOURCE /* posix_spawn_file_actions_addclosefrom_np (glibc 2.34) */
#include "base/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Descriptors looked at by reg_proc_close_inherited at most (a worker holds a few dozen). */
#define CLOSE_MAX 1024

enum reg_status
reg_proc_detach(reg_proc_main_fn fn, void *ctx, const char *what)
{
    pid_t child = fork();
    int status = 0;

    if (child < 0)
        return reg_errorf(REG_EINTERNAL, "cannot start %s: fork: %s", what, strerror(errno));
    if (child == 0) {
        pid_t grandchild = fork();
        if (grandchild == 0) {
            fn(ctx);
            _exit(0); /* fn does not return; this is only a guard */
        }
        _exit(grandchild < 0 ? 1 : 0);
    }
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return reg_errorf(REG_EINTERNAL, "cannot start %s: fork failed", what);
    return REG_OK;
}

static bool
kept(int fd, const int *keep, int nkeep)
{
    for (int i = 0; i < nkeep; i++)
        if (keep[i] == fd)
            return true;
    return false;
}

void
reg_proc_close_inherited(const int *keep, int nkeep)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int fds[CLOSE_MAX], n = 0;

    /* Collected first and closed after: closing while reading the directory would change it. */
    while (d && (e = readdir(d)) != NULL && n < CLOSE_MAX) {
        int fd = atoi(e->d_name);
        if (fd > 2 && fd != dirfd(d) && !kept(fd, keep, nkeep))
            fds[n++] = fd;
    }
    if (d)
        closedir(d);
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

/* Every catchable signal back to its default in the new program (a worker ignores SIGPIPE and
 * SIGINT, and an ignored signal stays ignored across exec), and none blocked. */
static void
reset_signals(posix_spawnattr_t *attr)
{
    sigset_t all, none;

    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(attr, &all);
    posix_spawnattr_setsigmask(attr, &none);
    posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
}

enum reg_status
reg_proc_spawn_fds(const char *path, char *const argv[], char *const envp[], int out_fd, int err_fd,
                   bool new_group, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int rc;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    /* Nothing else of the worker's: its FastCGI socket, the store, the blob files. */
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawnattr_init(&attr);
    reset_signals(&attr);
    if (new_group) {
        short flags = 0;
        posix_spawnattr_getflags(&attr, &flags);
        posix_spawnattr_setflags(&attr, (short)(flags | POSIX_SPAWN_SETPGROUP));
        posix_spawnattr_setpgroup(&attr, 0);
    }
    rc = posix_spawn(pid, path, &fa, &attr, argv, envp);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        *pid = -1;
        return reg_errorf(REG_EINTERNAL, "cannot start %s: %s", path, strerror(rc));
    }
    return REG_OK;
}

enum reg_status
reg_proc_spawn(const char *path, char *const argv[], char *const envp[], const char *stdout_path,
               const char *stderr_path, pid_t *pid)
{
    int out = open(stdout_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int err = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    enum reg_status st;
    int rc;

    *pid = -1;
    if (out < 0 || err < 0) {
        rc = errno;
        if (out >= 0)
            close(out);
        if (err >= 0)
            close(err);
        return reg_errorf(REG_EINTERNAL, "cannot create the output files of %s: %s", path,
                          strerror(rc));
    }
    st = reg_proc_spawn_fds(path, argv, envp, out, err, false, pid);
    close(out);
    close(err);
    return st;
}
