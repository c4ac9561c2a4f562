/*
 * shm_mutex.h - a mutex for memory shared by the processes of one host (the worker pool's
 * tables): process-shared and robust, so a process that dies holding it does not stop the
 * others; the next one to lock it marks it usable again.
 *
 * Ownership: the caller owns the pthread_mutex_t (inside its shared struct); nothing to free.
 */
#ifndef REG_BASE_SHM_MUTEX_H
#define REG_BASE_SHM_MUTEX_H

#include <pthread.h>

#include "base/status.h"

/* Sets up m as a process-shared, robust mutex. REG_EINTERNAL (naming what) if it cannot. */
enum reg_status reg_shm_mutex_init(pthread_mutex_t *m, const char *what);

/* Locks m. If its last holder died holding it, the data it guards may be half-written: the
 * tables that use this lock keep every update small enough for that to be harmless. */
void reg_shm_mutex_lock(pthread_mutex_t *m);
void reg_shm_mutex_unlock(pthread_mutex_t *m);

#endif
