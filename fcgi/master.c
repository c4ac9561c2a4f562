/*
 * master.c - pre-fork supervision (after kcgi's kfcgi.c): signal handlers only set flags;
 * the loop waits in sigsuspend() and acts on them.
 */
#include "master.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "worker.h"

/* A worker that dies this soon after its start is respawned only after a pause, so a worker
 * that cannot start does not turn into a fork loop. */
#define QUICK_DEATH_SECONDS 1
#define RESPAWN_PAUSE_MS 500
/* How long the drain waits before killing workers that did not finish. */
#define DRAIN_SECONDS 10

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t child_exited;

struct slot {
    pid_t pid;
    time_t started;
};

static void
on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void
on_child(int sig)
{
    (void)sig;
    child_exited = 1;
}

static void
install_handlers(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_child;
    sa.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sa.sa_flags = 0;
    sigaction(SIGPIPE, &sa, NULL);
}

static pid_t
spawn(int listen_fd, const struct reg_config *cfg, struct reg_pool_status *pool)
{
    pid_t master = getpid();
    pid_t pid = fork();

    /* exit, not _exit: LeakSanitizer runs at exit */
    if (pid == 0) {
        /* No worker outlives its master (a master killed outright would leave them serving a
         * socket nobody supervises): its death sends SIGTERM, which a worker takes as the
         * drain, finishing the request in progress. A master already gone: nothing to do. */
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != master)
            exit(0);
        exit(reg_worker_run(listen_fd, cfg, pool));
    }
    if (pid < 0)
        reg_log(REG_LOG_ERROR, "fork failed: %s", strerror(errno));
    else
        __atomic_fetch_add(&pool->workers_alive, 1, __ATOMIC_RELAXED);
    return pid;
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static struct slot *
find_slot(struct slot *slots, int n, pid_t pid)
{
    for (int i = 0; i < n; i++)
        if (slots[i].pid == pid)
            return &slots[i];
    return NULL;
}

/* Reaps exited workers; respawns them unless stopping. */
static void
reap(struct slot *slots, int n, int listen_fd, const struct reg_config *cfg,
     struct reg_pool_status *pool)
{
    pid_t pid;
    int status;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        struct slot *s = find_slot(slots, n, pid);
        if (!s)
            continue;
        __atomic_fetch_sub(&pool->workers_alive, 1, __ATOMIC_RELAXED);
        s->pid = 0;
        if (stop_requested)
            continue;
        if (WIFSIGNALED(status))
            reg_log(REG_LOG_WARN, "worker %d killed by signal %d; respawning", (int)pid,
                    WTERMSIG(status));
        else
            reg_log(REG_LOG_WARN, "worker %d exited with %d; respawning", (int)pid,
                    WEXITSTATUS(status));
        if (time(NULL) - s->started < QUICK_DEATH_SECONDS)
            sleep_ms(RESPAWN_PAUSE_MS);
        pool->restarts++;
        s->pid = spawn(listen_fd, cfg, pool);
        s->started = time(NULL);
    }
}

static int
alive(const struct slot *slots, int n)
{
    int count = 0;

    for (int i = 0; i < n; i++)
        count += slots[i].pid > 0;
    return count;
}

/* Asks every worker to finish (SIGTERM, repeated each second so a worker between its stop
 * check and accept() is interrupted too), then kills those still running after DRAIN_SECONDS. */
static void
drain(struct slot *slots, int n, int listen_fd, const struct reg_config *cfg,
      struct reg_pool_status *pool)
{
    for (int waited = 0; alive(slots, n) > 0 && waited < DRAIN_SECONDS * 10; waited++) {
        if (waited % 10 == 0)
            for (int i = 0; i < n; i++)
                if (slots[i].pid > 0)
                    kill(slots[i].pid, SIGTERM);
        sleep_ms(100);
        reap(slots, n, listen_fd, cfg, pool);
    }
    for (int i = 0; i < n; i++) {
        if (slots[i].pid > 0) {
            reg_log(REG_LOG_WARN, "worker %d did not drain; killing it", (int)slots[i].pid);
            kill(slots[i].pid, SIGKILL);
            waitpid(slots[i].pid, NULL, 0);
        }
    }
}

int
reg_master_run(int listen_fd, const struct reg_config *cfg, struct reg_pool_status *pool)
{
    int nslots = cfg->workers;
    struct slot *slots = calloc((size_t)nslots, sizeof(*slots));
    sigset_t block, old;

    if (!slots)
        reg_oom();
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &old);
    install_handlers();
    pool->workers_configured = cfg->workers;
    for (int i = 0; i < nslots; i++) {
        slots[i].pid = spawn(listen_fd, cfg, pool);
        slots[i].started = time(NULL);
    }
    reg_log(REG_LOG_INFO, "master %d serving with %d workers", (int)getpid(), cfg->workers);
    while (!stop_requested) {
        sigsuspend(&old);
        if (child_exited) {
            child_exited = 0;
            reap(slots, nslots, listen_fd, cfg, pool);
        }
    }
    reg_log(REG_LOG_INFO, "master draining workers");
    sigprocmask(SIG_SETMASK, &old, NULL);
    drain(slots, nslots, listen_fd, cfg, pool);
    free(slots);
    return 0;
}
