/*
 * shm_mutex.c - the process-shared robust mutex of the pool's shared tables (see shm_mutex.h).
 */
#include "base/shm_mutex.h"

#include <errno.h>
#include <string.h>

enum reg_status
reg_shm_mutex_init(pthread_mutex_t *m, const char *what)
{
    pthread_mutexattr_t attr;
    int rc = pthread_mutexattr_init(&attr);

    if (rc == 0)
        rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    if (rc == 0)
        rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    if (rc == 0)
        rc = pthread_mutex_init(m, &attr);
    pthread_mutexattr_destroy(&attr);
    if (rc != 0)
        return reg_errorf(REG_EINTERNAL, "%s lock: %s", what, strerror(rc));
    return REG_OK;
}

void
reg_shm_mutex_lock(pthread_mutex_t *m)
{
    if (pthread_mutex_lock(m) == EOWNERDEAD)
        pthread_mutex_consistent(m);
}

void
reg_shm_mutex_unlock(pthread_mutex_t *m)
{
    pthread_mutex_unlock(m);
}
