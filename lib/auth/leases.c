/*
 * leases.c - the host's table of leased token uses (see leases.h): a token's id picks a
 * bucket, the token occupies one of the REG_LEASE_PROBE slots from there, and every operation
 * holds the table's process-shared lock for a few loads and stores, never across a store call.
 */
#include "auth/leases.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "base/shm_mutex.h"
#include "base/str.h"

enum reg_status
reg_leases_init(struct reg_leases *l)
{
    memset(l, 0, sizeof(*l));
    return reg_shm_mutex_init(&l->lock, "token lease");
}

/* Token ids are random hex, so their first digits spread tokens over the buckets. */
static struct reg_lease_slot *
probe_slot(struct reg_leases *l, const char *id, int i)
{
    uint64_t h = 0;

    for (int k = 0; k < 8 && id[k]; k++)
        h = h * 16 + (uint64_t)(id[k] & 0x1f);
    return &l->slots[(h + (uint64_t)i) % REG_LEASE_SLOTS];
}

static struct reg_lease_slot *
find(struct reg_leases *l, const char *id)
{
    for (int i = 0; i < REG_LEASE_PROBE; i++) {
        struct reg_lease_slot *s = probe_slot(l, id, i);
        if (s->id[0] && strcmp(s->id, id) == 0)
            return s;
    }
    return NULL;
}

/* Whether a process is taking a block for s from the store. A fetch whose process died (or
 * that is older than any store call takes) no longer counts. */
static bool
fetching(const struct reg_lease_slot *s, int64_t now_ms)
{
    if (!s->fetcher || now_ms - s->fetch_since_ms >= REG_LEASE_FETCH_STALE_MS)
        return false;
    return kill(s->fetcher, 0) == 0 || errno != ESRCH;
}

static void
add_return(struct reg_lease_order *order, const struct reg_lease_slot *s)
{
    struct reg_lease_return *r = &order->back[order->nback++];

    reg_str_copy(r->id, sizeof(r->id), s->id);
    reg_str_copy(r->user, sizeof(r->user), s->user);
    r->n = s->left;
}

/* A slot for a token the table does not hold: a free one, else the least recently used one
 * that nobody is fetching for (its rest goes into order). NULL if every candidate is busy. */
static struct reg_lease_slot *
claim(struct reg_leases *l, const char *id, const char *user, int64_t now_ms,
      struct reg_lease_order *order)
{
    struct reg_lease_slot *best = NULL;

    for (int i = 0; i < REG_LEASE_PROBE; i++) {
        struct reg_lease_slot *s = probe_slot(l, id, i);
        if (!s->id[0]) {
            best = s;
            break;
        }
        if (!fetching(s, now_ms) && (!best || s->last_used_ms < best->last_used_ms))
            best = s;
    }
    if (!best)
        return NULL;
    if (best->id[0] && best->left > 0)
        add_return(order, best);
    memset(best, 0, sizeof(*best));
    reg_str_copy(best->id, sizeof(best->id), id);
    reg_str_copy(best->user, sizeof(best->user), user);
    best->block = REG_LEASE_FIRST;
    return best;
}

/* The block of s is spent or expired: its rest (if expired) goes back, and the next block is
 * sized by how the last one went. */
static void
renew(struct reg_lease_slot *s, int64_t now_ms, struct reg_lease_order *order)
{
    if (s->left > 0) {
        add_return(order, s);
        s->left = 0;
        s->block = s->block / 2 > REG_LEASE_FIRST ? s->block / 2 : REG_LEASE_FIRST;
    } else if (now_ms < s->expires_ms) {
        s->block = s->block * 2 < REG_LEASE_MAX ? s->block * 2 : REG_LEASE_MAX;
    }
}

enum reg_lease_step
reg_leases_spend(struct reg_leases *l, const char *id, const char *user, int64_t now_ms,
                 struct reg_lease_order *order)
{
    struct reg_lease_slot *s;

    memset(order, 0, sizeof(*order));
    reg_shm_mutex_lock(&l->lock);
    s = find(l, id);
    if (s && s->left > 0 && now_ms < s->expires_ms) {
        s->left--;
        s->last_used_ms = now_ms;
        order->caller_known = s->caller_known;
        order->is_admin = s->is_admin;
        order->perms = s->perms;
        reg_shm_mutex_unlock(&l->lock);
        return REG_LEASE_SPENT;
    }
    if (s && fetching(s, now_ms)) {
        reg_shm_mutex_unlock(&l->lock);
        return REG_LEASE_DIRECT;
    }
    if (s)
        renew(s, now_ms, order);
    else
        s = claim(l, id, user, now_ms, order);
    if (!s) {
        reg_shm_mutex_unlock(&l->lock);
        return REG_LEASE_DIRECT;
    }
    s->fetcher = getpid();
    s->fetch_since_ms = now_ms;
    s->last_used_ms = now_ms;
    order->want = s->block;
    reg_shm_mutex_unlock(&l->lock);
    return REG_LEASE_FETCH;
}

int64_t
reg_leases_fill(struct reg_leases *l, const char *id, int64_t granted, int64_t now_ms,
                uint64_t *block_no)
{
    struct reg_lease_slot *s;
    int64_t unwanted = 0;

    *block_no = 0;
    reg_shm_mutex_lock(&l->lock);
    s = find(l, id);
    if (s && s->fetcher == getpid()) {
        s->fetcher = 0;
        s->block_no = *block_no = ++l->blocks;
        s->caller_known = false; /* until reg_leases_remember_caller: read with this block */
        s->left += granted - 1;
        s->expires_ms = now_ms + REG_LEASE_TTL_MS;
        s->last_used_ms = now_ms;
    } else {
        unwanted = granted - 1;
    }
    reg_shm_mutex_unlock(&l->lock);
    return unwanted;
}

void
reg_leases_remember_caller(struct reg_leases *l, const char *id, uint64_t block_no, bool is_admin,
                           unsigned perms)
{
    struct reg_lease_slot *s;

    if (!block_no)
        return;
    reg_shm_mutex_lock(&l->lock);
    s = find(l, id);
    if (s && s->block_no == block_no) {
        s->caller_known = true;
        s->is_admin = is_admin;
        s->perms = perms;
    }
    reg_shm_mutex_unlock(&l->lock);
}

void
reg_leases_abandon(struct reg_leases *l, const char *id)
{
    struct reg_lease_slot *s;

    reg_shm_mutex_lock(&l->lock);
    s = find(l, id);
    if (s && s->fetcher == getpid())
        s->fetcher = 0;
    reg_shm_mutex_unlock(&l->lock);
}

bool
reg_leases_holds(struct reg_leases *l, const char *id, int64_t now_ms)
{
    struct reg_lease_slot *s;
    bool holds;

    reg_shm_mutex_lock(&l->lock);
    s = find(l, id);
    holds = s && s->left > 0 && now_ms < s->expires_ms;
    reg_shm_mutex_unlock(&l->lock);
    return holds;
}

int
reg_leases_collect(struct reg_leases *l, int64_t now_ms, bool all, struct reg_lease_return *out,
                   int max)
{
    int n = 0;

    /* The common case, nothing due, without the lock. */
    if (!all && now_ms < __atomic_load_n(&l->next_collect_ms, __ATOMIC_RELAXED))
        return 0;
    reg_shm_mutex_lock(&l->lock);
    if (!all && now_ms < l->next_collect_ms) {
        reg_shm_mutex_unlock(&l->lock);
        return 0;
    }
    if (!all)
        __atomic_store_n(&l->next_collect_ms, now_ms + REG_LEASE_TTL_MS / 2, __ATOMIC_RELAXED);
    for (int i = 0; i < REG_LEASE_SLOTS && n < max; i++) {
        struct reg_lease_slot *s = &l->slots[i];
        if (!s->id[0] || s->left <= 0 || (!all && now_ms < s->expires_ms))
            continue;
        reg_str_copy(out[n].id, sizeof(out[n].id), s->id);
        reg_str_copy(out[n].user, sizeof(out[n].user), s->user);
        out[n++].n = s->left;
        s->left = 0;
    }
    reg_shm_mutex_unlock(&l->lock);
    return n;
}

void
reg_leases_forget_user(struct reg_leases *l, const char *user)
{
    reg_shm_mutex_lock(&l->lock);
    for (int i = 0; i < REG_LEASE_SLOTS; i++) {
        struct reg_lease_slot *s = &l->slots[i];
        if (s->id[0] && (!user || strcmp(s->user, user) == 0))
            memset(s, 0, sizeof(*s));
    }
    reg_shm_mutex_unlock(&l->lock);
}

void
reg_leases_forget_caller(struct reg_leases *l, const char *user)
{
    reg_shm_mutex_lock(&l->lock);
    for (int i = 0; i < REG_LEASE_SLOTS; i++) {
        struct reg_lease_slot *s = &l->slots[i];
        if (s->id[0] && strcmp(s->user, user) == 0) {
            s->caller_known = false;
            s->block_no = ++l->blocks; /* a remember under the old number is stale */
        }
    }
    reg_shm_mutex_unlock(&l->lock);
}
