/*
 * leases.h - token uses leased to a host in blocks, so that an authenticated request does not
 * write to the store.
 *
 * Every authenticated request spends one use of its token, and a token has at most
 * REGISTRY_TOKEN_MAX_USES. Counting each use in the store (a SQLite write transaction, a
 * DynamoDB UpdateItem) set the pace of the whole hot path. Instead a host takes uses from the
 * store's count a block at a time (the store's token_take raises the count by the block at
 * once) into this table, which lives in memory the master shares with its workers, and the
 * workers spend them here under a process-shared lock. The store's count thus always covers
 * every use spent anywhere plus the blocks hosts hold, so the limit is never exceeded, however
 * many hosts share the store; on one host every worker spends from the same blocks, and a
 * worker that is killed loses nothing (the table outlives it).
 *
 * A block is held for REG_LEASE_TTL_MS. After that its rest goes back to the store (given back
 * by the next request on the host, or when a worker exits) and the next use takes a new block.
 * So a host that keeps running spends exactly a token's limit. A host that dies (the master
 * killed, the machine lost) loses the rest of its current block for each token: those uses
 * count as spent, and such a token ends early by at most REG_LEASE_MAX uses, never late.
 * Blocks start at REG_LEASE_FIRST uses and double while a token spends a whole block within
 * its lifetime, up to REG_LEASE_MAX; a block that expires unspent halves the next one.
 *
 * The caller: a slot also keeps the token's user as the store gave it when the block was
 * fetched (admin flag, permissions), so that a use spent from the block needs no store read
 * at all. It is as fresh as the block: re-read with every block, at most REG_LEASE_TTL_MS old.
 *
 * Revocation: deleting a user forgets their tokens' blocks here (reg_leases_forget_user),
 * changing their permissions forgets the user cached with them (reg_leases_forget_caller), so
 * the next use reads the store again; a store reset empties the table. A change made on another host reaches this host's blocks (and the callers cached with
 * them) when they expire: within REG_LEASE_TTL_MS.
 *
 * The table only decides; its caller talks to the store (auth/users.c): reg_leases_spend says
 * whether the use was spent here, must be counted in the store directly, or needs a new block,
 * and hands out the rests to give back. Ownership: the caller owns the struct (shared memory);
 * nothing to free. Times are milliseconds of one monotonic clock, passed in by the caller.
 */
#ifndef REG_AUTH_LEASES_H
#define REG_AUTH_LEASES_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "auth/token.h"
#include "base/limits.h"
#include "base/status.h"

/* Tokens a host holds blocks of at once, and the slots one token may use from its bucket on. */
#define REG_LEASE_SLOTS 1024
#define REG_LEASE_PROBE 8
/* Block sizes: a token's first block, and the largest. */
#define REG_LEASE_FIRST 4
#define REG_LEASE_MAX 256
/* How long a block is spent from before its rest goes back to the store. */
#define REG_LEASE_TTL_MS 2000
/* A block fetch this old belongs to a process that died while it waited on the store. */
#define REG_LEASE_FETCH_STALE_MS 30000
/* Rests one reg_leases_collect call hands out at most. */
#define REG_LEASE_RETURNS_MAX 16

struct reg_lease_slot {
    char id[REG_TOKEN_ID_HEX + 1]; /* the token's id; "" = free slot */
    char user[REG_NAME_MAX + 1];   /* its user (the store's key needs it) */
    int64_t left;                  /* uses of the block not spent yet */
    int64_t expires_ms;            /* the block's rest goes back to the store from then on */
    int64_t last_used_ms;          /* for eviction */
    int64_t block;                 /* the size of the next block */
    pid_t fetcher;                 /* a process taking a block from the store now; 0 = none */
    int64_t fetch_since_ms;
    uint64_t block_no; /* which block this is: numbered by the table, never reused */
    bool caller_known; /* is_admin and perms below are the user's, read with this block */
    bool is_admin;
    unsigned perms;
};

struct reg_leases {
    pthread_mutex_t lock; /* process-shared, robust */
    int64_t next_collect_ms;
    uint64_t blocks; /* blocks filled so far: the last block_no given */
    struct reg_lease_slot slots[REG_LEASE_SLOTS];
};

/* Unspent uses of one token that the caller gives back to the store. */
struct reg_lease_return {
    char id[REG_TOKEN_ID_HEX + 1];
    char user[REG_NAME_MAX + 1];
    int64_t n;
};

/* What the caller of reg_leases_spend does next. */
enum reg_lease_step {
    REG_LEASE_SPENT,  /* the use came from this host's block: nothing to do */
    REG_LEASE_DIRECT, /* another process is fetching this token's block: count this use in
                         the store by itself */
    REG_LEASE_FETCH,  /* take a block of `want` from the store (this use is one of them), then
                         reg_leases_fill, or reg_leases_abandon if the store refused */
};

struct reg_lease_order {
    /* REG_LEASE_SPENT: the token's user as read with the block, when caller_known. */
    bool caller_known;
    bool is_admin;
    unsigned perms;
    /* REG_LEASE_FETCH: the size of the block to take. */
    int64_t want;
    /* Rests to give back (before the fetch, so they can be taken again): this token's expired
     * block, and the block of a token pushed out of a full bucket. */
    struct reg_lease_return back[2];
    int nback;
};

/* Empties the table and sets up its lock. REG_EINTERNAL if the lock cannot be made. */
enum reg_status reg_leases_init(struct reg_leases *l);

/* Spends one use of token id (issued to user) at now_ms, or says how to get it (above). */
enum reg_lease_step reg_leases_spend(struct reg_leases *l, const char *id, const char *user,
                                     int64_t now_ms, struct reg_lease_order *order);

/* Records the block of `granted` uses (>= 1) that this process fetched for id after
 * REG_LEASE_FETCH; one of them is the use that asked. *block_no numbers the block (0 when it was
 * not kept). Returns how many of the uses the caller must give back: 0, or granted - 1 when the
 * table dropped the token meanwhile (reset, user deleted, pushed out). */
int64_t reg_leases_fill(struct reg_leases *l, const char *id, int64_t granted, int64_t now_ms,
                        uint64_t *block_no);

/* Keeps the token's user, read from the store after this process filled block block_no of id,
 * with that block, for the uses spent from it. Ignored unless the table still holds that very
 * block (a change forgotten meanwhile must not come back with a stale read). */
void reg_leases_remember_caller(struct reg_leases *l, const char *id, uint64_t block_no,
                                bool is_admin, unsigned perms);

/* This process's fetch for id failed (token refused, store down): nothing is held for it. */
void reg_leases_abandon(struct reg_leases *l, const char *id);

/* Whether the host holds an unexpired block with uses left for id (so a check that spends
 * nothing accepts the token even when the store's count has reached the limit). */
bool reg_leases_holds(struct reg_leases *l, const char *id, int64_t now_ms);

/* Takes out of the table the rests of expired blocks (every rest when all is true), at most
 * max of them, into out; returns how many. Without all, it looks at most once per
 * REG_LEASE_TTL_MS / 2 on the whole host, so a request pays for it rarely. */
int reg_leases_collect(struct reg_leases *l, int64_t now_ms, bool all, struct reg_lease_return *out,
                       int max);

/* Forgets the blocks of user's tokens (the user was deleted), or of every token (NULL: the
 * store was reset). Nothing is given back: those tokens no longer exist. */
void reg_leases_forget_user(struct reg_leases *l, const char *user);

/* Forgets what was cached of user with their tokens' blocks (their permissions changed); the
 * blocks stay, and a read that started before the change is not remembered. */
void reg_leases_forget_caller(struct reg_leases *l, const char *user);

#endif
