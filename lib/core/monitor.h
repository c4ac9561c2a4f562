/*
 * monitor.h - runs a sensitive model's monitor program (a JavaScript file) under Node.js before
 * a download, the way the requirement asks: `node PROGRAM MODEL_NAME UPLOADER_USERNAME
 * DOWNLOADER_USERNAME ZIP_FILE_PATH`, exit 0 lets the download proceed.
 *
 * The program is untrusted text any user may attach, so it runs with nothing of the worker's:
 *   - the program is written to a private directory (0700, under the caller's work_dir) that is
 *     also its HOME and TMPDIR, and removed afterwards with whatever the program left there;
 *   - Node's permission model (--permission): it may read that directory and the zip, write
 *     only the directory, and start no child process, worker or addon, so it can neither read
 *     the registry's files (its database, blobs, logs: the same account's) nor alter the zip
 *     that is served after it;
 *   - an environment of PATH, HOME and TMPDIR only: no REGISTRY_*, AWS_*, HF_TOKEN or
 *     GITHUB_TOKEN;
 *   - stdin /dev/null, stderr dropped, no other descriptor (the worker's FastCGI socket, the
 *     store, the blobs: proc.h closes everything above 2), default signal dispositions;
 *   - its own process group, killed as a whole (SIGKILL) when the wall-clock limit passes and
 *     again once the program has exited, so nothing left in it outlives the check;
 *   - at most REG_MONITOR_OUTPUT_MAX bytes of stdout kept (the rest is read and dropped, so a
 *     chatty program neither blocks nor fills memory), invalid UTF-8 replaced by '?'.
 * Network access is not restricted: the program may call ACME's audit servers.
 *
 * Ownership: a struct reg_monitor_result owns its output; reg_monitor_result_cleanup frees it
 * (NULL-safe, and safe on a zeroed struct). Everything passed in is borrowed for the call.
 */
#ifndef REG_CORE_MONITOR_H
#define REG_CORE_MONITOR_H

#include <stdbool.h>
#include <stddef.h>

#include "base/status.h"

/* How a program is run. */
struct reg_monitor_env {
    const char *node;     /* the Node.js binary (REGISTRY_NODE) */
    const char *work_dir; /* where the private directory is made (exists, writable) */
    int timeout_ms;       /* wall-clock limit (REGISTRY_MONITOR_TIMEOUT_MS) */
};

/* The four arguments, in the requirement's order. */
struct reg_monitor_args {
    const char *model_name;
    const char *uploader;
    const char *downloader;
    const char *zip_path;
};

/* How a run ended. */
struct reg_monitor_result {
    int exit_code;  /* the exit status, or -1 when the program was killed by a signal */
    int signal;     /* the signal that ended it, 0 when it exited */
    bool timed_out; /* killed at the wall-clock limit */
    bool truncated; /* stdout was longer than REG_MONITOR_OUTPUT_MAX */
    char *output;   /* stdout kept, NUL-terminated valid UTF-8 */
    size_t output_len;
};

/* Whether the run lets the download proceed: the program exited with 0 in time. */
bool reg_monitor_passed(const struct reg_monitor_result *r);

/*
 * Runs program (len bytes of JavaScript) with args and fills *out. REG_EINTERNAL when it cannot
 * be run at all (no node binary, no private directory, fork failure): the detail says why.
 * Whatever the program does (fail, hang, print megabytes) is REG_OK with the outcome in *out.
 */
enum reg_status reg_monitor_run(const struct reg_monitor_env *env, const char *program, size_t len,
                                const struct reg_monitor_args *args,
                                struct reg_monitor_result *out);

/* Frees the output; NULL-safe. */
void reg_monitor_result_cleanup(struct reg_monitor_result *r);

/* Whether node is an executable Node.js of major version 24: runs `node --version` under the
 * same confinement and limit as a program. For the health page. */
bool reg_monitor_node_ok(const struct reg_monitor_env *env);

#endif
