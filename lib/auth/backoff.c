/*
 * backoff.c - the login backoff table (see backoff.h): a keyed hash picks a bucket, a name
 * occupies one slot of the REG_BACKOFF_PROBE slots from there, and every operation holds the
 * table's process-shared lock for a few dozen loads and stores, never for a password check.
 */
#include "auth/backoff.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "base/shm_mutex.h"

enum reg_status
reg_backoff_init(struct reg_backoff *b)
{
    memset(b, 0, sizeof(*b));
    if (RAND_bytes(b->hash_key, sizeof(b->hash_key)) != 1)
        return reg_errorf(REG_EINTERNAL, "no randomness for the login backoff table");
    return reg_shm_mutex_init(&b->lock, "login backoff");
}

uint64_t
reg_backoff_key(const struct reg_backoff *b, const char *name)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    uint64_t key = 0;

    HMAC(EVP_sha256(), b->hash_key, (int)sizeof(b->hash_key), (const unsigned char *)name,
         strlen(name), mac, &len);
    for (int i = 0; i < 8; i++)
        key = key << 8 | mac[i];
    /* 0 marks a free slot. */
    return key ? key : 1;
}

/* A worker that died holding the lock left at most one slot half-written, which is harmless
 * (base/shm_mutex.h). */
static void
lock(struct reg_backoff *b)
{
    reg_shm_mutex_lock(&b->lock);
}

static void
unlock(struct reg_backoff *b)
{
    reg_shm_mutex_unlock(&b->lock);
}

static struct reg_backoff_slot *
probe_slot(struct reg_backoff *b, uint64_t key, int i)
{
    return &b->slots[(key + (uint64_t)i) % REG_BACKOFF_SLOTS];
}

/* The slot holding key, or NULL. A name quiet for REG_BACKOFF_FORGET_MS is dropped first. */
static struct reg_backoff_slot *
find(struct reg_backoff *b, uint64_t key, int64_t now_ms)
{
    for (int i = 0; i < REG_BACKOFF_PROBE; i++) {
        struct reg_backoff_slot *s = probe_slot(b, key, i);
        if (s->key != key)
            continue;
        if (now_ms - s->last_used_ms >= REG_BACKOFF_FORGET_MS && now_ms >= s->until_ms) {
            memset(s, 0, sizeof(*s));
            return NULL;
        }
        return s;
    }
    return NULL;
}

/* The order in which slots are given up for a new name: a free slot (0), one that refuses
 * nobody (1), one that refuses its name (2); ties go to the least recently used. */
static int
victim_rank(const struct reg_backoff_slot *s, int64_t now_ms)
{
    if (!s->key)
        return 0;
    return s->until_ms > now_ms ? 2 : 1;
}

static struct reg_backoff_slot *
claim(struct reg_backoff *b, uint64_t key, int64_t now_ms)
{
    struct reg_backoff_slot *best = probe_slot(b, key, 0);

    for (int i = 1; i < REG_BACKOFF_PROBE; i++) {
        struct reg_backoff_slot *s = probe_slot(b, key, i);
        int rs = victim_rank(s, now_ms), rb = victim_rank(best, now_ms);
        if (rs < rb || (rs == rb && s->last_used_ms < best->last_used_ms))
            best = s;
    }
    memset(best, 0, sizeof(*best));
    best->key = key;
    return best;
}

enum reg_status
reg_backoff_check(struct reg_backoff *b, uint64_t key, int64_t now_ms, int64_t *wait_ms)
{
    struct reg_backoff_slot *s;

    *wait_ms = 0;
    lock(b);
    s = find(b, key, now_ms);
    if (s && s->until_ms > now_ms) {
        *wait_ms = s->until_ms - now_ms;
        /* A name under attack stays the most recently used: flooding other names does not
         * evict it while it is refused. */
        s->last_used_ms = now_ms;
    }
    unlock(b);
    return *wait_ms > 0 ? REG_ETOOMANY : REG_OK;
}

void
reg_backoff_failed(struct reg_backoff *b, uint64_t key, int64_t now_ms, int64_t base_ms)
{
    struct reg_backoff_slot *s;
    int64_t window;

    lock(b);
    s = find(b, key, now_ms);
    if (!s)
        s = claim(b, key, now_ms);
    if (s->failures < UINT32_MAX)
        s->failures++;
    s->last_used_ms = now_ms;
    window = reg_backoff_window_ms(s->failures, base_ms);
    if (window > 0)
        s->until_ms = now_ms + window;
    unlock(b);
}

void
reg_backoff_succeeded(struct reg_backoff *b, uint64_t key)
{
    lock(b);
    for (int i = 0; i < REG_BACKOFF_PROBE; i++) {
        struct reg_backoff_slot *s = probe_slot(b, key, i);
        if (s->key == key)
            memset(s, 0, sizeof(*s));
    }
    unlock(b);
}

int64_t
reg_backoff_window_ms(uint32_t failures, int64_t base_ms)
{
    int64_t window = base_ms;

    if (failures < REG_BACKOFF_FREE_FAILURES || base_ms <= 0)
        return 0;
    for (uint32_t i = REG_BACKOFF_FREE_FAILURES; i < failures && window < REG_BACKOFF_MAX_MS; i++)
        window *= 2;
    return window < REG_BACKOFF_MAX_MS ? window : REG_BACKOFF_MAX_MS;
}
