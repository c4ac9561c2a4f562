/*
 * worker.h - one pre-forked worker: the FCGX_Accept_r loop over the shared listening socket.
 */
#ifndef REG_FCGI_WORKER_H
#define REG_FCGI_WORKER_H

#include "reg.h"

/* Serves requests on listen_fd until SIGTERM, finishing the request in progress first.
 * Returns the process exit status. */
int reg_worker_run(int listen_fd, const struct reg_config *cfg, struct reg_pool_status *pool);

#endif
