/*
 * proc.h - processes a worker starts that must outlive the request (pull-through fillers, the
 * download workload's runner), and programs they run: detaching by a double fork, closing the
 * descriptors a worker holds (its FastCGI connection, the store, sockets), and spawning a
 * program with nothing of the worker's but what it is given.
 *
 * Why a double fork: the grandchild is reparented at once, so no worker has to reap it, and
 * it keeps the worker's process group, so stopping the stack's group stops it too.
 *
 * Ownership: nothing is allocated; strings are borrowed for the call.
 */
#ifndef REG_BASE_PROC_H
#define REG_BASE_PROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/status.h"

/* The body of a detached process: runs in the grandchild and must not return (_exit). */
typedef void (*reg_proc_main_fn)(void *ctx);

/* Runs fn(ctx) in a grandchild of the caller (double fork) and returns once the child in
 * between has exited. what names the process in the error ("the fetch"). REG_EINTERNAL when a
 * fork fails. */
enum reg_status reg_proc_detach(reg_proc_main_fn fn, void *ctx, const char *what);

/* Closes every descriptor above 2 except the nkeep in keep[]. */
void reg_proc_close_inherited(const int *keep, int nkeep);

/* Spawns path with argv and envp (NULL-terminated) in a process that gets /dev/null as stdin,
 * stdout_path (created or truncated, mode 0600) as stdout, stderr_path as stderr, no other
 * descriptor, an empty signal mask and default signal dispositions. *pid is its pid.
 * REG_EINTERNAL (with the reason) when it cannot be started. */
enum reg_status reg_proc_spawn(const char *path, char *const argv[], char *const envp[],
                               const char *stdout_path, const char *stderr_path, pid_t *pid);

/* Spawns path as reg_proc_spawn does, but onto descriptors the caller opened (out_fd as stdout,
 * err_fd as stderr; both stay the caller's) and, when new_group, as the leader of a process
 * group of its own (its pid is the group's id), so that the caller can kill whatever it
 * starts with kill(-pid, ...). */
enum reg_status reg_proc_spawn_fds(const char *path, char *const argv[], char *const envp[],
                                   int out_fd, int err_fd, bool new_group, pid_t *pid);

#endif
