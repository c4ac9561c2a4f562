/*
 * hf_aliases.c - a small table of the Hub's old names and their current ids (see
 * hf_aliases.h), guarded by one mutex. A process-wide static: it holds nothing but what the
 * Hub said, needs no set-up, and is dropped with the process.
 */
#include "upstream/hf_aliases.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"

struct alias {
    char kind[8]; /* "model", "dataset"; "" for a free slot */
    char from[REG_HF_ALIAS_ID_MAX];
    char to[REG_HF_ALIAS_ID_MAX];
    time_t learned; /* monotonic seconds */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct alias table[REG_HF_ALIASES_MAX];

static bool
fits(const char *s, size_t cap)
{
    return s && strlen(s) < cap;
}

/* The live entry for kind/from, or NULL; called with the lock held. */
static struct alias *
find(const char *kind, const char *from, time_t now)
{
    for (int i = 0; i < REG_HF_ALIASES_MAX; i++) {
        struct alias *e = &table[i];

        if (e->kind[0] && strcmp(e->kind, kind) == 0 && strcmp(e->from, from) == 0)
            return now - e->learned < REG_HF_ALIAS_TTL_SECONDS ? e : NULL;
    }
    return NULL;
}

const char *
reg_hf_alias_lookup(struct reg_arena *a, const char *kind, const char *repo_id)
{
    const char *out = NULL;
    struct alias *e;

    if (!fits(kind, sizeof(table[0].kind)) || !fits(repo_id, REG_HF_ALIAS_ID_MAX))
        return NULL;
    pthread_mutex_lock(&lock);
    e = find(kind, repo_id, (time_t)(reg_clock_ms() / 1000));
    if (e)
        out = reg_arena_strdup(a, e->to);
    pthread_mutex_unlock(&lock);
    return out;
}

/* The slot for kind/from: its own, a free one, or the one learned first; lock held. */
static struct alias *
slot_for(const char *kind, const char *from)
{
    struct alias *oldest = &table[0];

    for (int i = 0; i < REG_HF_ALIASES_MAX; i++) {
        struct alias *e = &table[i];

        if (!e->kind[0] || (strcmp(e->kind, kind) == 0 && strcmp(e->from, from) == 0))
            return e;
        if (e->learned < oldest->learned)
            oldest = e;
    }
    return oldest;
}

void
reg_hf_alias_learn(const char *kind, const char *repo_id, const char *current)
{
    struct alias *e;

    if (!fits(kind, sizeof(table[0].kind)) || !fits(repo_id, REG_HF_ALIAS_ID_MAX) ||
        !fits(current, REG_HF_ALIAS_ID_MAX) || strcmp(repo_id, current) == 0)
        return;
    pthread_mutex_lock(&lock);
    e = slot_for(kind, repo_id);
    snprintf(e->kind, sizeof(e->kind), "%s", kind);
    snprintf(e->from, sizeof(e->from), "%s", repo_id);
    snprintf(e->to, sizeof(e->to), "%s", current);
    e->learned = (time_t)(reg_clock_ms() / 1000);
    pthread_mutex_unlock(&lock);
}

void
reg_hf_alias_forget(const char *kind, const char *repo_id)
{
    if (!fits(kind, sizeof(table[0].kind)) || !fits(repo_id, REG_HF_ALIAS_ID_MAX))
        return;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < REG_HF_ALIASES_MAX; i++)
        if (table[i].kind[0] && strcmp(table[i].kind, kind) == 0 &&
            strcmp(table[i].from, repo_id) == 0)
            table[i].kind[0] = '\0';
    pthread_mutex_unlock(&lock);
}

void
reg_hf_alias_clear(void)
{
    pthread_mutex_lock(&lock);
    memset(table, 0, sizeof(table));
    pthread_mutex_unlock(&lock);
}
