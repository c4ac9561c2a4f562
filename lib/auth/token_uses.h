/*
 * token_uses.h - spending a token's uses: from the host's leased blocks (auth/leases.h) when
 * the process has the pool's table, straight in the store otherwise (unit tests, tools).
 *
 * Ownership: everything is borrowed for the call; nothing is allocated.
 */
#ifndef REG_AUTH_TOKEN_USES_H
#define REG_AUTH_TOKEN_USES_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/leases.h"
#include "auth/token.h"
#include "base/status.h"

struct reg_store;

/* What spending a use learned: the token's user as cached with the host's block (when
 * caller_known), or the block to remember the user with once it is read (block_no, 0 = none). */
struct reg_token_use {
    bool caller_known;
    bool is_admin;
    unsigned perms;
    uint64_t block_no;
};

/* Spends one use of the token of claims, which may have max_uses in all, filling *use.
 * REG_EAUTH if it is revoked or used up, REG_ESTORE if the store fails. leases may be NULL. */
enum reg_status reg_token_uses_spend(struct reg_store *store, struct reg_leases *leases,
                                     const struct reg_token_claims *claims, int64_t max_uses,
                                     struct reg_token_use *use);

/* Caches the token's user, read after reg_token_uses_spend, with the block use names. */
void reg_token_uses_remember(struct reg_leases *leases, const struct reg_token_claims *claims,
                             const struct reg_token_use *use, bool is_admin, unsigned perms);

/* Whether reg_token_uses_spend would accept the token, spending nothing (REG_EAUTH if not). */
enum reg_status reg_token_uses_check(struct reg_store *store, struct reg_leases *leases,
                                     const struct reg_token_claims *claims, int64_t max_uses);

/* Gives every unspent leased use back to the store (a worker exits: its host may be stopping).
 * Failures are logged; the uses they concern stay counted as spent. */
void reg_token_uses_release(struct reg_store *store, struct reg_leases *leases);

#endif
