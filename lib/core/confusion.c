/*
 * confusion.c - the package-confusion audit (see confusion.h): name relations on prepared
 * (folded, tokenised) names, download-trail shapes, popularity and the score.
 */
#include "core/confusion.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/audit.h"
#include "store/store.h"

#define NAME_CAP (REG_CONFUSION_NAME_MAX + 1)
/* Histogram bins: a-z, 0-9, everything else. */
#define HIST_BINS 37

/* A name made ready for comparison, once per artifact. */
struct prepared {
    const char *raw;
    char lower[NAME_CAP];     /* ASCII lower case */
    char nosep[NAME_CAP];     /* lower case without separators */
    char key[NAME_CAP];       /* nosep with look-alikes folded */
    char words[NAME_CAP];     /* lower-case words, sorted, joined by ' ' */
    char digitless[NAME_CAP]; /* nosep without digits */
    size_t nosep_len, key_len;
    int nwords;
    uint16_t hist[HIST_BINS]; /* of key */
};

struct relation {
    enum reg_confusion_technique technique;
    double similarity;
};

static const char *const technique_names[] = {
    [REG_CONFUSION_NONE] = "none",           [REG_CONFUSION_CASE] = "case",
    [REG_CONFUSION_DELIMITER] = "delimiter", [REG_CONFUSION_HOMOGLYPH] = "homoglyph",
    [REG_CONFUSION_TYPO] = "typo",           [REG_CONFUSION_COMBO] = "combo",
    [REG_CONFUSION_SIMPLIFY] = "simplify",   [REG_CONFUSION_REORDER] = "reorder",
    [REG_CONFUSION_SCOPE] = "scope",         [REG_CONFUSION_NAMESAKE] = "namesake",
};

static const char *const signal_names[REG_CSIG_COUNT] = {
    [REG_CSIG_NAME_SIMILARITY] = "name_similarity",
    [REG_CSIG_EDIT_DISTANCE] = "edit_distance",
    [REG_CSIG_SEARCH_HITS] = "search_hits",
    [REG_CSIG_TARGET_SEARCH_HITS] = "target_search_hits",
    [REG_CSIG_DOWNLOADS] = "downloads",
    [REG_CSIG_TARGET_DOWNLOADS] = "target_downloads",
    [REG_CSIG_UPSTREAM] = "upstream_popularity",
    [REG_CSIG_TARGET_UPSTREAM] = "target_upstream_popularity",
    [REG_CSIG_POPULARITY_GAP] = "popularity_gap",
    [REG_CSIG_ACCOUNTS] = "download_accounts",
    [REG_CSIG_TOP_SHARE] = "top_accounts_share",
    [REG_CSIG_INTERVAL_CV] = "interval_cv",
    [REG_CSIG_BURST_SHARE] = "burst_share",
    [REG_CSIG_DOWNLOADS_PER_SEARCH] = "downloads_per_search",
    [REG_CSIG_TRAFFIC_ANOMALY] = "traffic_anomaly",
};

const char *
reg_confusion_technique_name(enum reg_confusion_technique t)
{
    return (unsigned)t < sizeof(technique_names) / sizeof(technique_names[0]) ? technique_names[t]
                                                                              : "unknown";
}

const char *
reg_confusion_signal_name(enum reg_confusion_signal s)
{
    return (unsigned)s < REG_CSIG_COUNT ? signal_names[s] : "unknown";
}

static double
clamp01(double v)
{
    return v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
}

/* --- names ------------------------------------------------------------------------------- */

static bool
is_separator(unsigned char c)
{
    return c == '-' || c == '_' || c == '.' || c == ' ';
}

static char
ascii_lower(unsigned char c)
{
    return (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

/* The ASCII letter a digit or symbol is written for ("g00gle", "l1ama", "$"); 'i' folds to
 * 'l' because a capital I and a lower-case l look alike in most fonts. */
static char
fold_ascii(char c)
{
    static const char from[] = "013457$@|i";
    static const char to[] = "oleastsall";
    const char *p = c ? strchr(from, c) : NULL;

    if (!p)
        return c;
    return to[p - from];
}

/* Cyrillic and Greek letters that render as a Latin one (a two-byte UTF-8 sequence), or 0. */
static char
fold_utf8(unsigned char b0, unsigned char b1)
{
    static const struct {
        unsigned cp;
        char to;
    } table[] = {
        {0x430, 'a'}, {0x435, 'e'}, {0x43E, 'o'}, {0x440, 'p'}, {0x441, 'c'}, {0x445, 'x'},
        {0x443, 'y'}, {0x456, 'l'}, {0x458, 'j'}, {0x455, 's'}, {0x410, 'a'}, {0x412, 'b'},
        {0x415, 'e'}, {0x41A, 'k'}, {0x41C, 'm'}, {0x41D, 'h'}, {0x41E, 'o'}, {0x420, 'p'},
        {0x421, 'c'}, {0x422, 't'}, {0x425, 'x'}, {0x3BF, 'o'}, {0x3B1, 'a'}, {0x3BD, 'v'},
        {0x3B9, 'l'}, {0x3C1, 'p'}, {0x39F, 'o'}, {0x391, 'a'}, {0x392, 'b'}, {0x395, 'e'},
    };
    unsigned cp;

    if ((b0 & 0xE0) != 0xC0 || (b1 & 0xC0) != 0x80)
        return 0;
    cp = ((unsigned)(b0 & 0x1F) << 6) | (b1 & 0x3F);
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (table[i].cp == cp)
            return table[i].to;
    return 0;
}

/* Multi-letter look-alikes, folded after the single characters: "rn" reads as "m", "vv" as
 * "w". In place. */
static size_t
fold_pairs(char *s, size_t n)
{
    size_t w = 0;

    for (size_t r = 0; r < n; r++) {
        if (r + 1 < n && s[r] == 'r' && s[r + 1] == 'n') {
            s[w++] = 'm';
            r++;
        } else if (r + 1 < n && s[r] == 'v' && s[r + 1] == 'v') {
            s[w++] = 'w';
            r++;
        } else {
            s[w++] = s[r];
        }
    }
    s[w] = '\0';
    return w;
}

void
reg_confusion_fold(const char *name, char out[REG_CONFUSION_NAME_MAX + 1])
{
    const unsigned char *p = (const unsigned char *)name;
    size_t n = 0;

    while (*p && n < REG_CONFUSION_NAME_MAX) {
        char c = '\0';

        if (p[1])
            c = fold_utf8(p[0], p[1]);
        if (c) {
            out[n++] = c;
            p += 2;
            continue;
        }
        if (!is_separator(*p))
            out[n++] = fold_ascii(ascii_lower(*p));
        p++;
    }
    fold_pairs(out, n);
}

static int
cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The words of lower, sorted and joined by ' ', so reordered names compare equal. */
static int
sorted_words(const char *lower, char out[NAME_CAP])
{
    char copy[NAME_CAP];
    const char *words[NAME_CAP / 2 + 1];
    int n = 0;
    size_t w = 0;

    memcpy(copy, lower, NAME_CAP);
    for (char *p = copy; *p;) {
        while (*p && is_separator((unsigned char)*p))
            *p++ = '\0';
        if (*p)
            words[n++] = p;
        while (*p && !is_separator((unsigned char)*p))
            p++;
    }
    qsort(words, (size_t)n, sizeof(words[0]), cmp_str);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t len = strlen(words[i]);
        if (w + len + 2 > NAME_CAP)
            break;
        if (i)
            out[w++] = ' ';
        memcpy(out + w, words[i], len + 1);
        w += len;
    }
    return n;
}

static int
hist_bin(char c)
{
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= '0' && c <= '9')
        return 26 + (c - '0');
    return HIST_BINS - 1;
}

static void
prepare(const char *name, struct prepared *p)
{
    size_t n = 0, m = 0;

    memset(p, 0, sizeof(*p));
    p->raw = name;
    for (const char *s = name; *s && n < REG_CONFUSION_NAME_MAX; s++, n++) {
        p->lower[n] = ascii_lower((unsigned char)*s);
        if (!is_separator((unsigned char)*s))
            p->nosep[m++] = p->lower[n];
    }
    p->nosep_len = m;
    m = 0;
    for (size_t i = 0; i < p->nosep_len; i++)
        if (p->nosep[i] < '0' || p->nosep[i] > '9')
            p->digitless[m++] = p->nosep[i];
    reg_confusion_fold(name, p->key);
    p->key_len = strlen(p->key);
    p->nwords = sorted_words(p->lower, p->words);
    for (size_t i = 0; i < p->key_len; i++)
        p->hist[hist_bin(p->key[i])]++;
}

int
reg_confusion_distance(const char *a, size_t alen, const char *b, size_t blen, int max)
{
    /* Three rows of the optimal-string-alignment table: two back (transpositions), one back,
     * current. Names are cut to REG_CONFUSION_NAME_MAX by the callers. */
    int rows[3][NAME_CAP];
    int *pp = rows[0], *prev = rows[1], *cur = rows[2];

    if (alen > REG_CONFUSION_NAME_MAX || blen > REG_CONFUSION_NAME_MAX)
        return max + 1;
    if ((alen > blen ? alen - blen : blen - alen) > (size_t)max)
        return max + 1;
    for (size_t j = 0; j <= blen; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= alen; i++) {
        int best = (int)i;

        cur[0] = (int)i;
        for (size_t j = 1; j <= blen; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            if (prev[j - 1] + cost < v)
                v = prev[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            cur[j] = v;
            if (v < best)
                best = v;
        }
        /* Every later row is at least this row's minimum: stop once it passes max. */
        if (best > max)
            return max + 1;
        int *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[blen] > max ? max + 1 : prev[blen];
}

/* Edits a typo may have: none for names of 4 folded characters or fewer (short names are too
 * close to each other by chance), 1 up to 8, 2 from 9. */
static int
typo_bound(size_t len)
{
    return len <= 4 ? 0 : len <= 8 ? 1 : 2;
}

static unsigned
hist_l1(const struct prepared *a, const struct prepared *b)
{
    unsigned d = 0;

    for (int i = 0; i < HIST_BINS; i++)
        d += (unsigned)abs((int)a->hist[i] - (int)b->hist[i]);
    return d;
}

/* Affixes attackers add to a popular name (ConfuGuard's and npm/PyPI incident lists). */
static bool
suspicious_affix(const char *s, size_t n)
{
    static const char *const words[] = {
        "new",     "fix",    "fixed", "official", "latest", "update", "updated", "patch",
        "patched", "secure", "safe",  "pro",      "plus",   "final",  "real",    "original",
        "free",    "full",   "hf",    "release",  "stable", "dev",    "beta",    "test",
    };
    size_t digits = 0, start = (n > 0 && s[0] == 'v') ? 1 : 0;

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0)
            return true;
    /* A version: v2, 2, 1.5, v3.1 (separators are gone in nosep, so "v31"). */
    for (size_t i = start; i < n; i++)
        digits += s[i] >= '0' && s[i] <= '9';
    return n > start && digits == n - start;
}

/* Whether the words of the shorter lower-case name are a prefix or suffix run of the longer's
 * words (bert-base / bert-base-finetuned, not bert / albert). */
static bool
whole_words(const char *longer, size_t llen, const char *shorter, size_t slen)
{
    if (slen >= llen)
        return false;
    if (memcmp(longer, shorter, slen) == 0 && is_separator((unsigned char)longer[slen]))
        return true;
    return memcmp(longer + llen - slen, shorter, slen) == 0 &&
           is_separator((unsigned char)longer[llen - slen - 1]);
}

/* Combo (a is b plus whole words or a suspicious affix) or simplify (a is b minus them), on
 * nosep names of 4+ characters; NONE otherwise. */
static struct relation
affix_relation(const struct prepared *a, const struct prepared *b)
{
    const struct prepared *lo = a->nosep_len > b->nosep_len ? a : b;
    const struct prepared *sh = lo == a ? b : a;
    struct relation r = {REG_CONFUSION_NONE, 0.0};
    size_t extra = lo->nosep_len - sh->nosep_len;
    const char *rest;

    if (sh->nosep_len < 4 || extra == 0)
        return r;
    if (memcmp(lo->nosep, sh->nosep, sh->nosep_len) == 0)
        rest = lo->nosep + sh->nosep_len;
    else if (memcmp(lo->nosep + extra, sh->nosep, sh->nosep_len) == 0)
        rest = lo->nosep;
    else
        return r;
    /* A bare extension of a word (albert, roberta, distilbert for bert) is how legitimate
     * families are named: only whole added words, or an affix attackers use, count. */
    if (suspicious_affix(rest, extra))
        r.similarity = 0.9;
    else if (whole_words(lo->lower, strlen(lo->lower), sh->lower, strlen(sh->lower)))
        r.similarity = 0.7;
    else
        return r;
    r.technique = lo == a ? REG_CONFUSION_COMBO : REG_CONFUSION_SIMPLIFY;
    return r;
}

/* How two names (without owners) relate; *distance: the folded names' edit distance. */
static struct relation
name_relation(const struct prepared *a, const struct prepared *b, int *distance)
{
    struct relation r = {REG_CONFUSION_NONE, 0.0};
    size_t shorter = a->key_len < b->key_len ? a->key_len : b->key_len;
    int k = typo_bound(shorter);

    *distance = 0;
    if (strcmp(a->nosep, b->nosep) == 0)
        return (struct relation){REG_CONFUSION_DELIMITER, 0.95};
    if (strcmp(a->key, b->key) == 0)
        return (struct relation){REG_CONFUSION_HOMOGLYPH, 1.0};
    if (a->nwords >= 2 && strcmp(a->words, b->words) == 0)
        return (struct relation){REG_CONFUSION_REORDER, 0.8};
    r = affix_relation(a, b);
    if (r.technique != REG_CONFUSION_NONE) {
        *distance = (int)(a->nosep_len > b->nosep_len ? a->nosep_len - b->nosep_len
                                                      : b->nosep_len - a->nosep_len);
        return r;
    }
    /* The cheap bounds first: lengths, then characters gained or lost (each edit changes the
     * histogram by at most 2). */
    if (k == 0 ||
        (a->key_len > b->key_len ? a->key_len - b->key_len : b->key_len - a->key_len) > (size_t)k)
        return r;
    if (hist_l1(a, b) > (unsigned)(2 * k))
        return r;
    /* Names that differ only in digits are a series (ds-001/ds-002, llama-2-7b/llama-2-13b,
     * whisper-large-v2/-v3), not a typo of one another. */
    if (strcmp(a->digitless, b->digitless) == 0)
        return r;
    *distance = reg_confusion_distance(a->key, a->key_len, b->key, b->key_len, k);
    if (*distance > k)
        return r;
    return (struct relation){REG_CONFUSION_TYPO, *distance == 1 ? 0.9 : 0.75};
}

/* Same name (up to case): how the owners relate. */
static struct relation
scope_relation(const char *scope_a, const char *scope_b)
{
    struct prepared *pa, *pb;
    struct relation r;
    int d;

    if (!scope_a)
        scope_a = "";
    if (!scope_b)
        scope_b = "";
    if (strcasecmp(scope_a, scope_b) == 0)
        return (struct relation){REG_CONFUSION_NONE, 0.0}; /* the same artifact twice */
    if (!*scope_a || !*scope_b)
        return (struct relation){REG_CONFUSION_SCOPE, 0.95};
    pa = malloc(sizeof(*pa));
    pb = malloc(sizeof(*pb));
    if (!pa || !pb)
        reg_oom();
    prepare(scope_a, pa);
    prepare(scope_b, pb);
    r = name_relation(pa, pb, &d);
    free(pa);
    free(pb);
    if (r.technique == REG_CONFUSION_NONE)
        return (struct relation){REG_CONFUSION_NAMESAKE, 0.6};
    return (struct relation){REG_CONFUSION_SCOPE, 0.95};
}

static struct relation
relate_prepared(const struct prepared *a, const char *scope_a, const struct prepared *b,
                const char *scope_b, int *distance)
{
    *distance = 0;
    if (strcmp(a->lower, b->lower) == 0) {
        if (strcmp(a->raw, b->raw) != 0)
            return (struct relation){REG_CONFUSION_CASE, 0.95};
        return scope_relation(scope_a, scope_b);
    }
    return name_relation(a, b, distance);
}

enum reg_confusion_technique
reg_confusion_relate(const char *a, const char *scope_a, const char *b, const char *scope_b,
                     int *distance)
{
    struct prepared *pa = malloc(sizeof(*pa)), *pb = malloc(sizeof(*pb));
    struct relation r;

    if (!pa || !pb)
        reg_oom();
    prepare(a, pa);
    prepare(b, pb);
    r = relate_prepared(pa, scope_a, pb, scope_b, distance);
    free(pa);
    free(pb);
    return r.technique;
}

/* --- traffic ----------------------------------------------------------------------------- */

/* Distinct users and the downloads of the top REG_CONFUSION_TOP_ACCOUNTS of them. */
static void
count_accounts(struct reg_arena *a, const char *const *users, size_t n, int64_t *accounts,
               int64_t *top)
{
    const char **sorted = reg_arena_alloc(a, sizeof(*sorted) * (n ? n : 1));
    int64_t best[REG_CONFUSION_TOP_ACCOUNTS] = {0};

    memcpy(sorted, users, sizeof(*sorted) * n);
    qsort(sorted, n, sizeof(*sorted), cmp_str);
    *accounts = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        int64_t run;

        while (j < n && strcmp(sorted[j], sorted[i]) == 0)
            j++;
        run = (int64_t)(j - i);
        (*accounts)++;
        /* Insert run into the descending best[]. */
        for (int k = 0; k < REG_CONFUSION_TOP_ACCOUNTS; k++) {
            if (run > best[k]) {
                int64_t t = best[k];
                best[k] = run;
                run = t;
            }
        }
        i = j;
    }
    *top = 0;
    for (int k = 0; k < REG_CONFUSION_TOP_ACCOUNTS; k++)
        *top += best[k];
}

/* Coefficient of variation of the gaps between consecutive dates. */
static double
interval_cv(const int64_t *dates, size_t n)
{
    double mean = 0.0, var = 0.0;
    size_t gaps = n - 1;

    if (n < 5)
        return -1.0;
    for (size_t i = 1; i < n; i++)
        mean += (double)(dates[i] - dates[i - 1]);
    mean /= (double)gaps;
    if (mean <= 0.0)
        return 0.0; /* every download in one second: as regular as the clock can tell */
    for (size_t i = 1; i < n; i++) {
        double d = (double)(dates[i] - dates[i - 1]) - mean;
        var += d * d;
    }
    return sqrt(var / (double)gaps) / mean;
}

/* The largest share of the dates inside one REG_CONFUSION_BURST_SECONDS window. */
static double
burst_share(const int64_t *dates, size_t n)
{
    size_t best = 0, lo = 0;

    for (size_t hi = 0; hi < n; hi++) {
        while (dates[hi] - dates[lo] >= REG_CONFUSION_BURST_SECONDS)
            lo++;
        if (hi - lo + 1 > best)
            best = hi - lo + 1;
    }
    return n ? (double)best / (double)n : 0.0;
}

void
reg_confusion_traffic_measure(struct reg_arena *a, const int64_t *dates, const char *const *users,
                              size_t n, struct reg_confusion_traffic *out)
{
    int64_t top = 0;

    memset(out, 0, sizeof(*out));
    out->downloads = (int64_t)n;
    out->interval_cv = -1.0;
    if (n == 0)
        return;
    count_accounts(a, users, n, &out->accounts, &top);
    out->top_share = (double)top / (double)n;
    out->interval_cv = interval_cv(dates, n);
    out->burst_share = burst_share(dates, n);
}

static int
cmp_int64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

    return (a > b) - (a < b);
}

/* Appends the DOWNLOAD entries of page to dates/users (grown in a, *cap their room). */
static void
take_downloads(struct reg_arena *a, const struct reg_audit_page *page, int64_t **dates,
               const char ***users, size_t *n, size_t *cap)
{
    for (int i = 0; i < page->count && *n < REG_CONFUSION_TRAFFIC_MAX; i++) {
        if (page->items[i].action != REG_AUDIT_DOWNLOAD)
            continue;
        if (*n == *cap) {
            size_t grown = *cap ? *cap * 2 : 64;
            int64_t *d = reg_arena_alloc(a, sizeof(*d) * grown);
            const char **u = reg_arena_alloc(a, sizeof(*u) * grown);
            if (*n) {
                memcpy(d, *dates, sizeof(*d) * *n);
                memcpy(u, *users, sizeof(*u) * *n);
            }
            *dates = d;
            *users = u;
            *cap = grown;
        }
        (*dates)[*n] = page->items[i].date;
        (*users)[*n] = page->items[i].user;
        (*n)++;
    }
}

enum reg_status
reg_confusion_store_traffic(void *ctx, struct reg_arena *a, const char *id,
                            struct reg_confusion_traffic *out)
{
    struct reg_store *store = ctx;
    struct reg_arena scratch; /* the pages: only their DOWNLOAD dates and users are kept */
    struct reg_audit_page page;
    int64_t *dates = NULL, after = 0;
    const char **users = NULL;
    size_t n = 0, cap = 0;
    enum reg_status st = REG_OK;

    (void)a;
    reg_arena_init(&scratch);
    do {
        st = reg_audit_list(store, &scratch, id, after, &page);
        if (st != REG_OK)
            goto cleanup;
        take_downloads(&scratch, &page, &dates, &users, &n, &cap);
        after = page.next_after;
    } while (after && n < REG_CONFUSION_TRAFFIC_MAX);
    /* Trails are in store order, which concurrent appends may leave a second out of date
     * order; the user list is only counted, so the dates can be sorted on their own. */
    if (n)
        qsort(dates, n, sizeof(*dates), cmp_int64);
    reg_confusion_traffic_measure(&scratch, dates, users, n, out);
cleanup:
    reg_arena_cleanup(&scratch);
    return st;
}

/* --- popularity and score ---------------------------------------------------------------- */

/* Per artifact of a candidate pair: its trail's shape and what is derived from it. */
struct weighed {
    bool measured;
    struct reg_confusion_traffic traffic;
    double anomaly;    /* [0, 1] */
    double downloads;  /* downloads less the anomalous share */
    double popularity; /* sum of ln(1 + figure) */
    double per_search; /* downloads per search hit (NAN when hits are not counted) */
};

/*
 * Bot-farm likeness of a trail, in [0, 1]: concentration (the top accounts' share beyond half,
 * times downloads per account beyond 1, saturating at 10) is required; timing (regular gaps:
 * 1 - cv, or a burst: the burst share beyond half) and starvation (downloads per search hit
 * beyond 1, saturating at 10) add to it.
 */
static double
traffic_anomaly(const struct reg_confusion_traffic *t, int64_t hits)
{
    double conc, regular, burst, starved = 0.0;

    if (t->downloads < REG_CONFUSION_MIN_TRAFFIC || t->accounts == 0)
        return 0.0;
    conc = clamp01((t->top_share - 0.5) / 0.5) *
           clamp01(((double)t->downloads / (double)t->accounts - 1.0) / 9.0);
    regular = t->interval_cv < 0.0 ? 0.0 : clamp01(1.0 - t->interval_cv);
    burst = clamp01((t->burst_share - 0.5) / 0.5);
    if (hits >= 0)
        starved = clamp01(((double)t->downloads / (double)(1 + hits) - 1.0) / 9.0);
    return conc * (0.5 + 0.25 * (regular > burst ? regular : burst) + 0.25 * starved);
}

static void
weigh(const struct reg_confusion_item *it, struct weighed *w)
{
    double hits = it->search_hits > 0 ? (double)it->search_hits : 0.0;

    w->anomaly = traffic_anomaly(&w->traffic, it->search_hits);
    w->downloads = (double)w->traffic.downloads * (1.0 - w->anomaly);
    w->popularity = log1p(hits) + log1p(w->downloads) + log1p((double)it->upstream);
    w->per_search = it->search_hits < 0
                        ? (double)NAN
                        : (double)w->traffic.downloads / (double)(1 + it->search_hits);
}

/* 1 - (1 + s) / (1 + t) where the target has t > s, 0 where the suspect has as much. */
static double
figure_gap(double s, double t)
{
    return t > s ? 1.0 - (1.0 + s) / (1.0 + t) : 0.0;
}

/* The mean gap over the figures the target has any of. Search hits are left out for artifacts
 * of one name (scope, namesake): every search that lists one lists the other, so the figure
 * cannot tell them apart. */
static double
popularity_gap(const struct reg_confusion_item *s, const struct weighed *ws,
               const struct reg_confusion_item *t, const struct weighed *wt, bool same_name)
{
    double sum = 0.0;
    int n = 0;

    if (t->search_hits > 0 && !same_name) {
        sum +=
            figure_gap((double)(s->search_hits > 0 ? s->search_hits : 0), (double)t->search_hits);
        n++;
    }
    if (wt->downloads > 0.0) {
        sum += figure_gap(ws->downloads, wt->downloads);
        n++;
    }
    if (t->upstream > 0) {
        sum += figure_gap((double)s->upstream, (double)t->upstream);
        n++;
    }
    return n ? sum / (double)n : 0.0;
}

static double
hits_signal(int64_t hits)
{
    return hits < 0 ? (double)NAN : (double)hits;
}

static void
fill_signals(struct reg_confusion_finding *f, double similarity, int distance, double gap,
             const struct weighed *ws, const struct weighed *wt)
{
    const struct reg_confusion_traffic *t = &ws->traffic;
    double *v = f->signals;

    v[REG_CSIG_NAME_SIMILARITY] = similarity;
    v[REG_CSIG_EDIT_DISTANCE] = distance;
    v[REG_CSIG_SEARCH_HITS] = hits_signal(f->suspect->search_hits);
    v[REG_CSIG_TARGET_SEARCH_HITS] = hits_signal(f->target->search_hits);
    v[REG_CSIG_DOWNLOADS] = (double)t->downloads;
    v[REG_CSIG_TARGET_DOWNLOADS] = (double)wt->traffic.downloads;
    v[REG_CSIG_UPSTREAM] = (double)f->suspect->upstream;
    v[REG_CSIG_TARGET_UPSTREAM] = (double)f->target->upstream;
    v[REG_CSIG_POPULARITY_GAP] = gap;
    v[REG_CSIG_ACCOUNTS] = (double)t->accounts;
    v[REG_CSIG_TOP_SHARE] = t->downloads ? t->top_share : (double)NAN;
    v[REG_CSIG_INTERVAL_CV] = t->interval_cv < 0.0 ? (double)NAN : t->interval_cv;
    v[REG_CSIG_BURST_SHARE] = t->downloads ? t->burst_share : (double)NAN;
    v[REG_CSIG_DOWNLOADS_PER_SEARCH] = ws->per_search;
    v[REG_CSIG_TRAFFIC_ANOMALY] = ws->anomaly;
}

/* --- the audit --------------------------------------------------------------------------- */

struct candidate {
    size_t a, b; /* items; the relation is named from a's side */
    struct relation rel;
    int distance;
};

struct audit {
    struct reg_arena *arena;
    const struct reg_confusion_item *items;
    size_t n;
    const struct reg_confusion_options *opt;
    struct prepared *prep;
    struct weighed *w;
    reg_confusion_traffic_fn traffic;
    void *ctx;
    struct candidate *cands;
    size_t ncands, cap;
    struct reg_confusion_finding *best; /* per item as a suspect; score < 0: none */
    bool *named;                        /* per item: another artifact bears the same name */
};

static size_t
diff(size_t x, size_t y)
{
    return x > y ? x - y : y - x;
}

/* Whether a pair can relate at all, by necessary conditions that cost far less than the
 * relation: combo/simplify need the shorter name at the start or end of the longer; every other relation needs the folded names
 * within a typo's reach in length and in characters (a histogram distance of at most 4:
 * equal keys, reordered words and edits of up to two). */
static bool
may_relate(const struct prepared *x, const struct prepared *y)
{
    const struct prepared *sh = x->nosep_len < y->nosep_len ? x : y;
    const struct prepared *lo = sh == x ? y : x;

    if (sh->nosep_len >= 4 && sh->nosep_len < lo->nosep_len &&
        (memcmp(lo->nosep, sh->nosep, sh->nosep_len) == 0 ||
         memcmp(lo->nosep + lo->nosep_len - sh->nosep_len, sh->nosep, sh->nosep_len) == 0))
        return true;
    return diff(x->key_len, y->key_len) <= 2 && hist_l1(x, y) <= 4;
}

static void
add_candidate(struct audit *au, size_t i, size_t j, struct relation rel, int distance)
{
    if (au->ncands == au->cap) {
        size_t cap = au->cap ? au->cap * 2 : 64;
        struct candidate *c = reg_arena_alloc(au->arena, sizeof(*c) * cap);
        if (au->ncands)
            memcpy(c, au->cands, sizeof(*c) * au->ncands);
        au->cands = c;
        au->cap = cap;
    }
    au->cands[au->ncands++] = (struct candidate){i, j, rel, distance};
}

static bool
audited(const struct audit *au, size_t i)
{
    return (au->opt->types & REG_TYPE_BIT(au->items[i].type)) != 0;
}

/* Every related pair of audited items of one type. */
static void
find_candidates(struct audit *au)
{
    for (size_t i = 0; i < au->n; i++)
        if (audited(au, i))
            prepare(au->items[i].name, &au->prep[i]);
    for (size_t i = 0; i < au->n; i++) {
        if (!audited(au, i))
            continue;
        for (size_t j = i + 1; j < au->n; j++) {
            struct relation rel;
            int distance;

            if (au->items[j].type != au->items[i].type || !audited(au, j) ||
                !may_relate(&au->prep[i], &au->prep[j]))
                continue;
            rel = relate_prepared(&au->prep[i], au->items[i].scope, &au->prep[j],
                                  au->items[j].scope, &distance);
            if (rel.technique == REG_CONFUSION_NONE)
                continue;
            add_candidate(au, i, j, rel, distance);
            if (rel.technique == REG_CONFUSION_SCOPE || rel.technique == REG_CONFUSION_NAMESAKE)
                au->named[i] = au->named[j] = true;
        }
    }
}

static enum reg_status
measure(struct audit *au, size_t i)
{
    enum reg_status st;

    if (au->w[i].measured)
        return REG_OK;
    st = au->traffic(au->ctx, au->arena, au->items[i].id, &au->w[i].traffic);
    if (st != REG_OK)
        return st;
    au->w[i].measured = true;
    weigh(&au->items[i], &au->w[i]);
    return REG_OK;
}

/* Combo seen from the other side is simplify, and the other way round. */
static enum reg_confusion_technique
flipped(enum reg_confusion_technique t)
{
    if (t == REG_CONFUSION_COMBO)
        return REG_CONFUSION_SIMPLIFY;
    if (t == REG_CONFUSION_SIMPLIFY)
        return REG_CONFUSION_COMBO;
    return t;
}

/* Scores one candidate pair and keeps it if it is its suspect's best finding so far. */
static void
judge(struct audit *au, const struct candidate *c)
{
    size_t s = c->a, t = c->b;
    enum reg_confusion_technique tech = c->rel.technique;
    struct reg_confusion_finding f;
    double gap;

    if (au->w[s].popularity == au->w[t].popularity)
        return; /* no popularity evidence either way */
    if (au->w[s].popularity > au->w[t].popularity) {
        s = c->b;
        t = c->a;
        tech = flipped(tech);
    }
    /* A name another owner already bears is explained by that: it is judged as that owner's
     * look-alike only, not as a typo or combo of other names (fan/bert-base-uncased is not a
     * typo of google-bert/bert-base-cased). */
    if (au->named[s] && tech != REG_CONFUSION_SCOPE && tech != REG_CONFUSION_NAMESAKE)
        return;
    gap = popularity_gap(&au->items[s], &au->w[s], &au->items[t], &au->w[t],
                         tech == REG_CONFUSION_SCOPE || tech == REG_CONFUSION_NAMESAKE);
    memset(&f, 0, sizeof(f));
    f.suspect = &au->items[s];
    f.target = &au->items[t];
    f.technique = tech;
    f.score = c->rel.similarity * (0.75 * gap + 0.25 * au->w[s].anomaly);
    fill_signals(&f, c->rel.similarity, c->distance, gap, &au->w[s], &au->w[t]);
    if (f.score > au->best[s].score)
        au->best[s] = f;
}

static int
cmp_finding(const void *x, const void *y)
{
    const struct reg_confusion_finding *a = x, *b = y;

    if (a->score != b->score)
        return a->score < b->score ? 1 : -1;
    return strcmp(a->suspect->name, b->suspect->name);
}

static void
collect(struct audit *au, struct reg_confusion_finding **out, int *count)
{
    int n = 0;

    *out = reg_arena_alloc(au->arena, sizeof(**out) * (au->n ? au->n : 1));
    for (size_t i = 0; i < au->n; i++)
        if (au->best[i].score >= 0.0 && au->best[i].score >= au->opt->min_score)
            (*out)[n++] = au->best[i];
    qsort(*out, (size_t)n, sizeof(**out), cmp_finding);
    *count = n;
}

enum reg_status
reg_confusion_audit(struct reg_arena *a, const struct reg_confusion_item *items, size_t n,
                    reg_confusion_traffic_fn traffic, void *ctx,
                    const struct reg_confusion_options *opt, struct reg_confusion_finding **out,
                    int *count)
{
    struct audit au = {
        .arena = a, .items = items, .n = n, .opt = opt, .traffic = traffic, .ctx = ctx};
    size_t slots = n ? n : 1;

    *out = NULL;
    *count = 0;
    au.prep = reg_arena_alloc(a, sizeof(*au.prep) * slots);
    au.w = reg_arena_alloc(a, sizeof(*au.w) * slots);
    au.best = reg_arena_alloc(a, sizeof(*au.best) * slots);
    au.named = reg_arena_alloc(a, sizeof(*au.named) * slots);
    for (size_t i = 0; i < n; i++)
        au.best[i].score = -1.0;
    find_candidates(&au);
    for (size_t k = 0; k < au.ncands; k++) {
        enum reg_status st = measure(&au, au.cands[k].a);
        if (st == REG_OK)
            st = measure(&au, au.cands[k].b);
        if (st != REG_OK)
            return st;
    }
    for (size_t k = 0; k < au.ncands; k++)
        judge(&au, &au.cands[k]);
    collect(&au, out, count);
    return REG_OK;
}
