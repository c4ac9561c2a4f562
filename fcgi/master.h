/*
 * master.h - the supervisor: pre-forks the workers, respawns any that dies, and on SIGTERM or
 * SIGINT drains them (each finishes its request in progress) before exiting.
 */
#ifndef REG_FCGI_MASTER_H
#define REG_FCGI_MASTER_H

#include "reg.h"

/* Runs until told to stop; returns the process exit status. pool is shared memory mapped
 * before the call, so workers see it after fork. */
int reg_master_run(int listen_fd, const struct reg_config *cfg, struct reg_pool_status *pool);

#endif
