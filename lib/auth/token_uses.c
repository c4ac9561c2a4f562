/*
 * token_uses.c - one use of a token per authenticated request (see token_uses.h): the host's
 * lease table decides, this file makes the store calls it asks for.
 */
#include "auth/token_uses.h"

#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "store/store.h"

/* Gives back unspent uses; a failure only costs those uses (they stay counted as spent). */
static void
give_back(struct reg_store *store, const struct reg_lease_return *r, int n)
{
    for (int i = 0; i < n; i++) {
        if (r[i].n <= 0)
            continue;
        if (reg_store_token_give_back(store, r[i].user, r[i].id, r[i].n) != REG_OK)
            reg_log(REG_LOG_WARN, "%lld unspent uses of a token not given back: %s",
                    (long long)r[i].n, reg_error_detail());
    }
}

/* Takes a block of order->want uses for the token (one of them spent now) into the table;
 * *block_no numbers it. */
static enum reg_status
fetch_block(struct reg_store *store, struct reg_leases *leases,
            const struct reg_token_claims *claims, int64_t max_uses,
            const struct reg_lease_order *order, uint64_t *block_no)
{
    int64_t granted = 0, uses = 0, unwanted;
    enum reg_status st = reg_store_token_take(store, claims->user, claims->id, max_uses,
                                              order->want, &granted, &uses);

    if (st != REG_OK) {
        reg_leases_abandon(leases, claims->id);
        return st;
    }
    unwanted = reg_leases_fill(leases, claims->id, granted, reg_clock_ms_whole(), block_no);
    if (unwanted > 0 &&
        reg_store_token_give_back(store, claims->user, claims->id, unwanted) != REG_OK)
        reg_log(REG_LOG_WARN, "%lld unspent uses of a token not given back: %s",
                (long long)unwanted, reg_error_detail());
    return REG_OK;
}

enum reg_status
reg_token_uses_spend(struct reg_store *store, struct reg_leases *leases,
                     const struct reg_token_claims *claims, int64_t max_uses,
                     struct reg_token_use *use)
{
    struct reg_lease_order order;
    struct reg_lease_return expired[REG_LEASE_RETURNS_MAX];
    int64_t uses;
    enum reg_status st = REG_OK;

    memset(use, 0, sizeof(*use));
    if (!leases)
        return reg_store_token_use(store, claims->user, claims->id, max_uses, &uses);
    switch (reg_leases_spend(leases, claims->id, claims->user, reg_clock_ms_whole(), &order)) {
    case REG_LEASE_SPENT:
        use->caller_known = order.caller_known;
        use->is_admin = order.is_admin;
        use->perms = order.perms;
        break;
    case REG_LEASE_DIRECT:
        st = reg_store_token_use(store, claims->user, claims->id, max_uses, &uses);
        break;
    case REG_LEASE_FETCH:
        give_back(store, order.back, order.nback);
        st = fetch_block(store, leases, claims, max_uses, &order, &use->block_no);
        break;
    }
    /* Rests of blocks that expired on this host go back now and then (at most twice per
     * lease lifetime for the whole host), so idle tokens do not keep uses from other hosts. */
    give_back(
        store, expired,
        reg_leases_collect(leases, reg_clock_ms_whole(), false, expired, REG_LEASE_RETURNS_MAX));
    return st;
}

void
reg_token_uses_remember(struct reg_leases *leases, const struct reg_token_claims *claims,
                        const struct reg_token_use *use, bool is_admin, unsigned perms)
{
    if (leases && use->block_no)
        reg_leases_remember_caller(leases, claims->id, use->block_no, is_admin, perms);
}

enum reg_status
reg_token_uses_check(struct reg_store *store, struct reg_leases *leases,
                     const struct reg_token_claims *claims, int64_t max_uses)
{
    if (leases && reg_leases_holds(leases, claims->id, reg_clock_ms_whole()))
        return REG_OK;
    return reg_store_token_check(store, claims->user, claims->id, max_uses);
}

void
reg_token_uses_release(struct reg_store *store, struct reg_leases *leases)
{
    struct reg_lease_return rest[REG_LEASE_RETURNS_MAX];
    int n;

    if (!leases)
        return;
    while ((n = reg_leases_collect(leases, reg_clock_ms_whole(), true, rest,
                                   REG_LEASE_RETURNS_MAX)) > 0)
        give_back(store, rest, n);
}
