/*
 * search.c - PCRE2 matching under limits over the catalog's names and the READMEs of the host's
 * snapshot (or of the store's feed when there is no snapshot).
 *
 * A subject on which the match or depth limit is reached counts as not matching: the limits
 * exist for patterns whose backtracking explodes, and such a pattern has no meaningful answer
 * on that subject. The time budget bounds the matching time summed over all subjects.
 *
 * PCRE2 refuses repeat bounds above 65,535, which other engines (Python, JavaScript) accept,
 * so a bound {n,m} with m above that is read as {n,}: the two differ only on subjects holding
 * more than m repetitions, and patterns like (a{1,99999}){1,99999}$ then get an answer.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "core/search.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/limits.h"
#include "base/log.h"

struct reg_search {
    pcre2_match_context *mctx;
    pcre2_compile_context *cctx;
    pcre2_jit_stack *jit_stack;
};

void
reg_search_free(struct reg_search *c)
{
    if (!c)
        return;
    pcre2_match_context_free(c->mctx);
    pcre2_compile_context_free(c->cctx);
    pcre2_jit_stack_free(c->jit_stack);
    free(c);
}

enum reg_status
reg_search_new(struct reg_search **out)
{
    struct reg_search *c = calloc(1, sizeof(*c));

    if (!c)
        reg_oom();
    c->mctx = pcre2_match_context_create(NULL);
    c->cctx = pcre2_compile_context_create(NULL);
    c->jit_stack = pcre2_jit_stack_create(REG_REGEX_JIT_STACK_MIN, REG_REGEX_JIT_STACK_MAX, NULL);
    if (!c->mctx || !c->cctx || !c->jit_stack)
        reg_oom();
    pcre2_set_match_limit(c->mctx, REG_REGEX_MATCH_LIMIT);
    pcre2_set_depth_limit(c->mctx, REG_REGEX_DEPTH_LIMIT);
    pcre2_set_heap_limit(c->mctx, REG_REGEX_HEAP_LIMIT_KB);
    pcre2_jit_stack_assign(c->mctx, NULL, c->jit_stack);
    pcre2_set_parens_nest_limit(c->cctx, 64);
    *out = c;
    return REG_OK;
}

#define PCRE2_MAX_REPEAT 65535ul

/* At p (just after '{'), a bound "n,m}" with m > PCRE2_MAX_REPEAT >= n: sets *n_len to the
 * length of "n," and *len to that of "n,m}". */
static bool
oversized_bound(const char *p, size_t *n_len, size_t *len)
{
    char *end;
    unsigned long n, m;

    if (*p < '0' || *p > '9')
        return false;
    n = strtoul(p, &end, 10);
    if (*end != ',' || end[1] < '0' || end[1] > '9')
        return false;
    *n_len = (size_t)(end + 1 - p);
    m = strtoul(end + 1, &end, 10);
    if (*end != '}' || m <= PCRE2_MAX_REPEAT || n > PCRE2_MAX_REPEAT)
        return false;
    *len = (size_t)(end + 1 - p);
    return true;
}

/* The pattern with every oversized {n,m} outside classes and \Q...\E written {n,}. */
static const char *
widen_oversized_bounds(struct reg_arena *a, const char *pattern)
{
    size_t len = strlen(pattern), n_len, bound_len, o = 0;
    char *out = reg_arena_alloc(a, len + 1);
    bool in_class = false, in_quote = false;

    for (size_t i = 0; i < len; i++) {
        char c = pattern[i];
        if (in_quote) {
            in_quote = !(c == '\\' && pattern[i + 1] == 'E');
        } else if (c == '\\' && pattern[i + 1]) {
            in_quote = pattern[i + 1] == 'Q';
            out[o++] = c;
            c = pattern[++i];
        } else if (in_class) {
            in_class = c != ']';
        } else if (c == '[') {
            in_class = true;
            out[o++] = c;
            /* A ']' first in a class (after an optional '^') is a literal. */
            if (pattern[i + 1] == '^')
                out[o++] = pattern[++i];
            if (pattern[i + 1] == ']')
                out[o++] = pattern[++i];
            continue;
        } else if (c == '{' && oversized_bound(pattern + i + 1, &n_len, &bound_len)) {
            memcpy(out + o, pattern + i, n_len + 1);
            o += n_len + 1;
            c = '}';
            i += bound_len;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return out;
}

static enum reg_status
compile(struct reg_search *c, const char *pattern, pcre2_code **out)
{
    int err;
    PCRE2_SIZE off;
    PCRE2_UCHAR msg[256];
    size_t len = strlen(pattern);

    *out = NULL;
    if (len == 0)
        return reg_errorf(REG_EINVAL, "regex must not be empty");
    /* Not longer than REG_REGEX_MAX_LEN: reg_search_regex checked, and widening only shortens. */
    *out = pcre2_compile((PCRE2_SPTR)pattern, len, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &err, &off,
                         c->cctx);
    if (!*out) {
        pcre2_get_error_message(err, msg, sizeof(msg));
        return reg_errorf(REG_EINVAL, "invalid regex at offset %zu: %s", (size_t)off, msg);
    }
    /* Without JIT (unsupported CPU) the interpreter runs under the same limits. */
    (void)pcre2_jit_compile(*out, PCRE2_JIT_COMPLETE);
    return REG_OK;
}

/* 1 on a match, 0 on none or on a subject where a limit was reached. */
static int
matches(struct reg_search *c, pcre2_code *re, pcre2_match_data *md, const char *s, size_t len)
{
    int rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, md, c->mctx);

    if (rc >= 0)
        return 1;
    if (rc != PCRE2_ERROR_NOMATCH && rc != PCRE2_ERROR_MATCHLIMIT && rc != PCRE2_ERROR_DEPTHLIMIT &&
        rc != PCRE2_ERROR_HEAPLIMIT && rc != PCRE2_ERROR_JIT_STACKLIMIT)
        reg_log(REG_LOG_WARN, "regex match error %d", rc);
    return 0;
}

static double
elapsed_ms(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) * 1e3 +
           (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

/* One search: the compiled pattern, which catalog entries matched, and the matching time. */
struct run {
    struct reg_search *c;
    pcre2_code *re;
    pcre2_match_data *md;
    const struct reg_catalog *cat;
    const struct reg_catalog_entry *entries;
    bool *hit; /* per catalog entry */
    double match_ms;
};

/* Matches one subject and charges its time to the budget: REG_EINVAL once that is spent. */
static enum reg_status
try_subject(struct run *r, const char *s, size_t len, bool *matched)
{
    struct timespec start;

    clock_gettime(CLOCK_MONOTONIC, &start);
    *matched = matches(r->c, r->re, r->md, s, len) != 0;
    r->match_ms += elapsed_ms(&start);
    if (r->match_ms > REG_REGEX_BUDGET_MS)
        return reg_errorf(REG_EINVAL, "regex is too expensive: search stopped after %d ms",
                          REG_REGEX_BUDGET_MS);
    return REG_OK;
}

/* A reg_store_readme_fn: matches the README of artifact id unless its name matched already.
 * An artifact the catalog does not hold (registered since it was loaded) waits for the next
 * reload, as its name does. */
static enum reg_status
match_readme(void *ctx, const char *id, const char *text, size_t len)
{
    struct run *r = ctx;
    const struct reg_catalog_entry *e = reg_catalog_find_id(r->cat, id);

    if (!e || r->hit[e - r->entries])
        return REG_OK;
    return try_subject(r, text, len, &r->hit[e - r->entries]);
}

/* The READMEs from the snapshot of the catalog's generation; from the store when it cannot be
 * had (the snapshot module has logged why): the snapshot only saves reading the store. */
static enum reg_status
match_readmes(struct run *r, struct reg_readme_snapshot *readmes, struct reg_store *store)
{
    if (readmes &&
        reg_readme_snapshot_sync(readmes, store, reg_catalog_generation(r->cat)) == REG_OK)
        return reg_readme_snapshot_each(readmes, match_readme, r);
    return reg_store_readmes(store, REG_SEARCH_README_MAX, match_readme, r);
}

static enum reg_status
match_all(struct run *r, struct reg_readme_snapshot *readmes, struct reg_store *store, size_t n)
{
    enum reg_status st = REG_OK;

    for (size_t i = 0; i < n && st == REG_OK; i++)
        st = try_subject(r, r->entries[i].name, r->entries[i].name_len, &r->hit[i]);
    if (st == REG_OK)
        st = match_readmes(r, readmes, store);
    return st;
}

enum reg_status
reg_search_regex(struct reg_search *c, struct reg_catalog *cat, struct reg_readme_snapshot *readmes,
                 struct reg_store *store, struct reg_arena *a, const char *pattern,
                 struct reg_artifact **out, int *count)
{
    struct run r = {.c = c, .cat = cat};
    size_t nentries, n = 0;
    enum reg_status st;

    *out = NULL;
    *count = 0;
    if (strlen(pattern) > REG_REGEX_MAX_LEN)
        return reg_errorf(REG_EINVAL, "regex is longer than %d characters", REG_REGEX_MAX_LEN);
    st = compile(c, widen_oversized_bounds(a, pattern), &r.re);
    if (st == REG_OK)
        st = reg_catalog_refresh(cat, store);
    if (st != REG_OK) {
        pcre2_code_free(r.re);
        return st;
    }
    r.md = pcre2_match_data_create(1, NULL);
    if (!r.md)
        reg_oom();
    r.entries = reg_catalog_entries(cat, &nentries);
    r.hit = reg_arena_alloc(a, sizeof(*r.hit) * (nentries ? nentries : 1));
    memset(r.hit, 0, sizeof(*r.hit) * (nentries ? nentries : 1));
    st = match_all(&r, readmes, store, nentries);
    pcre2_match_data_free(r.md);
    pcre2_code_free(r.re);
    if (st != REG_OK)
        return st;
    *out = reg_arena_alloc(a, sizeof(**out) * (nentries ? nentries : 1));
    for (size_t i = 0; i < nentries; i++) {
        if (!r.hit[i])
            continue;
        memcpy((*out)[n].id, r.entries[i].id, sizeof(r.entries[i].id));
        (*out)[n].type = r.entries[i].type;
        (*out)[n].name = reg_arena_strndup(a, r.entries[i].name, r.entries[i].name_len);
        n++;
    }
    *count = (int)n;
    return REG_OK;
}
