/*
 * confusion.h - the package-confusion audit: registered artifacts whose name imitates a more
 * popular artifact's, with the evidence for each.
 *
 * The techniques follow the categories of package-confusion mechanisms of Neupane et al.
 * ("Beyond Typosquatting", USENIX Security 2023), which ConfuGuard (arXiv 2502.20528) builds
 * on; those that can be told from names alone are detected:
 *   case       the same name in other letter case               Bert-Base  / bert-base
 *   delimiter  separators (- _ . space) added, removed, swapped  bert_base  / bert-base
 *   homoglyph  look-alike characters (0/o, 1/l/I, rn/m, vv/w, Cyrillic and Greek letters)
 *   typo       Damerau-Levenshtein distance 1 (names of 5-8 folded characters) or 1-2 (9+),
 *              never for names of 4 or fewer, nor for names that differ only in digits (a
 *              series: ds-001/ds-002, llama-2-7b/llama-2-8b, whisper-large-v2/-v3)
 *   combo      a whole word, or a suffix or version attackers use, added (bert-base-v2,
 *              bert-base-fixed, official-bert, bert-base-uncased-squad); a bare extension of
 *              a word (albert, roberta for bert) is how families are named and does not count
 *   simplify   the same, taken away (bert-base for bert-base-uncased)
 *   reorder    the same words in another order (uncased-bert-base)
 *   scope      the same name under a look-alike or dropped owner (meta_llama/x, metallama/x,
 *              x for meta-llama/x); under an unrelated owner it counts as a weaker "namesake".
 *              An artifact bearing another's name is judged only as that one's look-alike.
 * Semantic, homophonic and grammatical substitutions need dictionaries and are not detected.
 * Only artifacts of one type are compared with each other.
 *
 * Popularity, per artifact: search hits (appearances in search answers, core/search_hits.h),
 * registry downloads (the DOWNLOAD entries of its audit trail, after discounting anomalous
 * traffic) and upstream popularity (Hub downloads + likes, GitHub stars, from the metadata).
 * Of two confusable artifacts the less popular (sum of ln(1 + figure)) is the suspect; equal
 * popularity is no evidence and gives no finding.
 *
 * Anomalous download traffic (bot farms), measured on the suspect's trail once it has
 * REG_CONFUSION_MIN_TRAFFIC downloads: concentration in the top REG_CONFUSION_TOP_ACCOUNTS
 * accounts, regular inter-arrival intervals (low coefficient of variation), bursts inside
 * REG_CONFUSION_BURST_SECONDS, and many downloads per search hit.
 *
 * Score, in [0, 1]: name_similarity x (0.75 x popularity_gap + 0.25 x traffic_anomaly), where
 * popularity_gap is the mean, over the figures the target has (> 0), of
 * 1 - (1 + suspect) / (1 + target) (0 where the suspect has as much); search hits do not count
 * between artifacts of one name (scope, namesake), which every search lists together.
 * README.md has the details of each term.
 *
 * Cost: names are compared pairwise within a type with cheap filters first (length, a
 * prefix/suffix compare, a character-histogram bound), and the bounded edit distance only on
 * pairs those let through; download trails are read only for artifacts in a candidate pair.
 *
 * Ownership: everything returned is allocated from the arena passed in; findings point at the
 * caller's items.
 */
#ifndef REG_CORE_CONFUSION_H
#define REG_CORE_CONFUSION_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/status.h"
#include "core/artifact.h"

struct reg_store;

/* Downloads before a trail's shape (accounts, timing) is judged at all. */
#define REG_CONFUSION_MIN_TRAFFIC 10
/* Accounts whose share of the downloads measures concentration. */
#define REG_CONFUSION_TOP_ACCOUNTS 2
/* The window a burst is counted in. */
#define REG_CONFUSION_BURST_SECONDS 60
/* Download entries read per artifact (the newest beyond it are not weighed). */
#define REG_CONFUSION_TRAFFIC_MAX 20000
/* Findings scoring below this are not listed unless the caller asks for a lower bound. */
#define REG_CONFUSION_DEFAULT_MIN_SCORE 0.5
/* Longest name compared (bytes; longer names are compared by their first this many). */
#define REG_CONFUSION_NAME_MAX 256

enum reg_confusion_technique {
    REG_CONFUSION_NONE,
    REG_CONFUSION_CASE,
    REG_CONFUSION_DELIMITER,
    REG_CONFUSION_HOMOGLYPH,
    REG_CONFUSION_TYPO,
    REG_CONFUSION_COMBO,
    REG_CONFUSION_SIMPLIFY,
    REG_CONFUSION_REORDER,
    REG_CONFUSION_SCOPE,
    REG_CONFUSION_NAMESAKE
};

/* One artifact as the audit sees it. */
struct reg_confusion_item {
    const char *id;
    const char *name; /* the registry name (what byName searches) */
    enum reg_artifact_type type;
    const char *scope;   /* the upstream owner ("google-bert"), NULL when none */
    int64_t search_hits; /* -1 when not counted here (no worker pool) */
    int64_t upstream;    /* upstream downloads + likes + stars (0 when unknown) */
};

/* The shape of one artifact's download trail. */
struct reg_confusion_traffic {
    int64_t downloads;
    int64_t accounts;   /* distinct downloading accounts */
    double top_share;   /* share of the downloads by the top REG_CONFUSION_TOP_ACCOUNTS */
    double interval_cv; /* coefficient of variation of the gaps between downloads (seconds); 0
                         * when all fall in one second; -1 with fewer than 5 downloads */
    double burst_share; /* largest share inside one REG_CONFUSION_BURST_SECONDS window */
};

/* Fills *out with the traffic of artifact id (called once per artifact in a candidate pair). */
typedef enum reg_status (*reg_confusion_traffic_fn)(void *ctx, struct reg_arena *a, const char *id,
                                                    struct reg_confusion_traffic *out);

/* The named signals of a finding; NAN where a figure is unknown or unmeasured. */
enum reg_confusion_signal {
    REG_CSIG_NAME_SIMILARITY,
    REG_CSIG_EDIT_DISTANCE,
    REG_CSIG_SEARCH_HITS,
    REG_CSIG_TARGET_SEARCH_HITS,
    REG_CSIG_DOWNLOADS,
    REG_CSIG_TARGET_DOWNLOADS,
    REG_CSIG_UPSTREAM,
    REG_CSIG_TARGET_UPSTREAM,
    REG_CSIG_POPULARITY_GAP,
    REG_CSIG_ACCOUNTS,
    REG_CSIG_TOP_SHARE,
    REG_CSIG_INTERVAL_CV,
    REG_CSIG_BURST_SHARE,
    REG_CSIG_DOWNLOADS_PER_SEARCH,
    REG_CSIG_TRAFFIC_ANOMALY,
    REG_CSIG_COUNT
};

struct reg_confusion_finding {
    const struct reg_confusion_item *suspect;
    const struct reg_confusion_item *target; /* the artifact it imitates */
    enum reg_confusion_technique technique;
    double signals[REG_CSIG_COUNT];
    double score;
};

struct reg_confusion_options {
    double min_score; /* findings below it are left out */
    unsigned types;   /* REG_TYPE_BIT mask of the types audited */
};

/*
 * The findings over items[0..n), one per suspect (the target it most resembles), highest
 * score first (ties: by suspect name). traffic is asked for each artifact of a candidate pair,
 * once; its failure stops the audit and is returned.
 */
enum reg_status reg_confusion_audit(struct reg_arena *a, const struct reg_confusion_item *items,
                                    size_t n, reg_confusion_traffic_fn traffic, void *ctx,
                                    const struct reg_confusion_options *opt,
                                    struct reg_confusion_finding **out, int *count);

/* How name a may imitate name b (or b imitate a: the relation is symmetric except for combo
 * and simplify, named from a's side), with the owners scope_a and scope_b (NULL: none), and in
 * *distance the edit distance of their folded names. */
enum reg_confusion_technique reg_confusion_relate(const char *a, const char *scope_a, const char *b,
                                                  const char *scope_b, int *distance);

/* The folded key of name: lower case, separators removed, look-alikes replaced by the letter
 * they imitate. out has room for REG_CONFUSION_NAME_MAX + 1 bytes. */
void reg_confusion_fold(const char *name, char out[REG_CONFUSION_NAME_MAX + 1]);

/* Damerau-Levenshtein (optimal string alignment) distance of a and b, or max + 1 when it is
 * larger than max. */
int reg_confusion_distance(const char *a, size_t alen, const char *b, size_t blen, int max);

/* The shape of a trail of n downloads: dates (Unix seconds, ascending) and users. */
void reg_confusion_traffic_measure(struct reg_arena *a, const int64_t *dates,
                                   const char *const *users, size_t n,
                                   struct reg_confusion_traffic *out);

/* The traffic_fn over a store's audit trails (ctx: the struct reg_store). */
enum reg_status reg_confusion_store_traffic(void *ctx, struct reg_arena *a, const char *id,
                                            struct reg_confusion_traffic *out);

const char *reg_confusion_technique_name(enum reg_confusion_technique t);
const char *reg_confusion_signal_name(enum reg_confusion_signal s);

#endif
