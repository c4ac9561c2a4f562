/*
 * worker.c - accept, serve, repeat. SIGTERM is blocked while a request is served, so a
 * request in progress always completes; while the worker waits in accept, SIGTERM interrupts
 * the wait (the handler is installed without SA_RESTART and tells libfcgi to shut down).
 */
#include "worker.h"

#include <fcgiapp.h>
#include <signal.h>
#include <string.h>

#include "base/log.h"
#include "fcgi_io.h"

static volatile sig_atomic_t stop_requested;

static void
on_term(int sig)
{
    (void)sig;
    stop_requested = 1;
    FCGX_ShutdownPending();
}

static void
install_handlers(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGINT, &sa, NULL); /* Ctrl-C reaches the master, which drains the workers */
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &sa, NULL);
}

int
reg_worker_run(int listen_fd, const struct reg_config *cfg, struct reg_pool_status *pool)
{
    struct reg_app *app;
    FCGX_Request r;
    sigset_t term, none;
    enum reg_status st;

    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigemptyset(&none);
    install_handlers();
    sigprocmask(SIG_SETMASK, &none, NULL);
    st = reg_app_new(cfg, pool, &app);
    if (st != REG_OK) {
        reg_log(REG_LOG_ERROR, "worker cannot start: %s", reg_error_detail());
        return 1;
    }
    FCGX_InitRequest(&r, listen_fd, 0);
    while (!stop_requested) {
        if (FCGX_Accept_r(&r) < 0)
            break;
        sigprocmask(SIG_BLOCK, &term, NULL);
        reg_fcgi_serve(app, &r);
        FCGX_Finish_r(&r);
        sigprocmask(SIG_UNBLOCK, &term, NULL);
    }
    FCGX_Free(&r, 1);
    reg_app_free(app);
    return 0;
}
