/*
 * backoff.h - login backoff per user name: after REG_BACKOFF_FREE_FAILURES consecutive failed
 * logins of one name, further logins of that name are refused (429) for a window that doubles
 * with every further failure, without a password check while refused.
 *
 * The table is one fixed-size struct meant for memory shared by every process of a host
 * (registryd maps it in the master before forking, inside struct reg_pool_status), so all
 * workers of a host see the same counts; hosts sharing a store do not share it. Names are keyed
 * by a keyed hash (HMAC-SHA256 with a random per-table key, truncated to 64 bits), so nobody can
 * choose names that land on another's slots. A name may sit in REG_BACKOFF_PROBE slots from
 * its bucket on; when they are all taken, the least recently used one that is not refusing is
 * evicted (the least recently used of all if every one is), so memory stays bounded.
 * A process-shared robust mutex guards the table: a worker that dies holding it does not stop
 * the others.
 *
 * Ownership: the caller owns the struct (shared memory or a plain variable) and initialises it
 * once with reg_backoff_init() before any other process uses it; there is nothing to free.
 * Times are milliseconds on one monotonic clock, passed in by the caller.
 */
#ifndef REG_AUTH_BACKOFF_H
#define REG_AUTH_BACKOFF_H

#include <pthread.h>
#include <stdint.h>

#include "base/status.h"

/* Names tracked per host, and the slots one name may use from its bucket on. */
#define REG_BACKOFF_SLOTS 1024
#define REG_BACKOFF_PROBE 8
/* Consecutive failures a name gets before the first refusal. */
#define REG_BACKOFF_FREE_FAILURES 5
/* The longest refusal window, however many failures came before. */
#define REG_BACKOFF_MAX_MS (15 * 60 * 1000)
/* A name quiet this long starts counting from zero again. */
#define REG_BACKOFF_FORGET_MS (60 * 60 * 1000)
/* Bytes of the hash key. */
#define REG_BACKOFF_KEY_BYTES 16

struct reg_backoff_slot {
    uint64_t key;         /* the name's hash; 0 = free */
    uint32_t failures;    /* consecutive failed logins */
    int64_t until_ms;     /* refused before this time */
    int64_t last_used_ms; /* for eviction and forgetting */
};

struct reg_backoff {
    pthread_mutex_t lock; /* process-shared, robust */
    unsigned char hash_key[REG_BACKOFF_KEY_BYTES];
    struct reg_backoff_slot slots[REG_BACKOFF_SLOTS];
};

/* Empties the table, draws its hash key and sets up its lock. REG_EINTERNAL if either fails. */
enum reg_status reg_backoff_init(struct reg_backoff *b);

/* The table's key for a user name (never 0). */
uint64_t reg_backoff_key(const struct reg_backoff *b, const char *name);

/* REG_OK if a login of key may be checked at now_ms; REG_ETOOMANY if it is refused, with
 * *wait_ms (> 0) until it may be tried again. A name the table does not hold is not refused. */
enum reg_status reg_backoff_check(struct reg_backoff *b, uint64_t key, int64_t now_ms,
                                  int64_t *wait_ms);

/* Counts a failed login of key at now_ms; from the REG_BACKOFF_FREE_FAILURES-th consecutive
 * one on, the name is refused for reg_backoff_window_ms(failures, base_ms) from now. */
void reg_backoff_failed(struct reg_backoff *b, uint64_t key, int64_t now_ms, int64_t base_ms);

/* A successful login of key: its count starts over. */
void reg_backoff_succeeded(struct reg_backoff *b, uint64_t key);

/* The refusal window after `failures` consecutive failures: 0 below REG_BACKOFF_FREE_FAILURES,
 * then base_ms doubled for every failure past it, at most REG_BACKOFF_MAX_MS. */
int64_t reg_backoff_window_ms(uint32_t failures, int64_t base_ms);

#endif
