/*
 * rating.h - the trust rating of a model (the contract's ModelRating): one function per
 * metric, the concurrent runner that times them, net_score, the ingest gate and the JSON form.
 *
 * Every metric is a pure function of struct reg_model_signals (signals.h): no network, no
 * clock, no global state. Each lives in a file of its own (lib/rating/<metric>.c) whose header
 * comment states the signals it reads, its formula and its range. card.c holds the model-card
 * (Markdown) reading that several metrics share.
 *
 * Ranges: every score is in [0, 1], except reviewedness, which is -1 when no GitHub repository
 * was linked (or it could not be fetched). Latencies are in seconds.
 *
 * Ownership: struct reg_rating is a plain value (its strings are copied into it); the signals
 * are only borrowed while reg_rating_compute() runs. reg_rating_to_json() returns a new json-c
 * reference that the caller owns.
 */
#ifndef REG_RATING_RATING_H
#define REG_RATING_RATING_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"
#include "base/status.h"
#include "rating/signals.h"

/* Longest category name kept ("MODEL"). */
#define REG_RATING_CATEGORY_MAX 31
/* The one score an ingested model must reach on net_score and on every metric. */
#define REG_RATING_GATE_MIN 0.5
/* reviewedness when no GitHub repository is linked. */
#define REG_RATING_NO_REPO (-1.0)
/* Nesting depth accepted when a metric parses the card's JSON (cardData). */
#define REG_RATING_CARD_JSON_DEPTH 32
/* Largest card JSON a metric parses (bytes); a larger one is treated as absent. */
#define REG_RATING_CARD_JSON_MAX ((size_t)1024 * 1024)

/*
 * net_score weights (sum to 1; latencies take no part). size_score enters as the mean of its
 * four devices; a reviewedness of -1 (no repository) enters as 0.
 */
#define REG_RATING_W_RAMP_UP_TIME 0.10
#define REG_RATING_W_BUS_FACTOR 0.10
#define REG_RATING_W_PERFORMANCE_CLAIMS 0.10
#define REG_RATING_W_LICENSE 0.15
#define REG_RATING_W_SIZE_SCORE 0.10
#define REG_RATING_W_DATASET_AND_CODE 0.10
#define REG_RATING_W_DATASET_QUALITY 0.05
#define REG_RATING_W_CODE_QUALITY 0.10
#define REG_RATING_W_REPRODUCIBILITY 0.10
#define REG_RATING_W_REVIEWEDNESS 0.05
#define REG_RATING_W_TREE_SCORE 0.05

/* size_score: how well the weights suit each deployment target. */
struct reg_size_score {
    double raspberry_pi;
    double jetson_nano;
    double desktop_pc;
    double aws_server;
};

/* The contract's ModelRating. Every *_latency is in seconds. */
struct reg_rating {
    char name[REG_NAME_MAX + 1];
    char category[REG_RATING_CATEGORY_MAX + 1]; /* "MODEL" */
    double net_score, net_score_latency;
    double ramp_up_time, ramp_up_time_latency;
    double bus_factor, bus_factor_latency;
    double performance_claims, performance_claims_latency;
    double license, license_latency;
    double dataset_and_code_score, dataset_and_code_score_latency;
    double dataset_quality, dataset_quality_latency;
    double code_quality, code_quality_latency;
    double reproducibility, reproducibility_latency;
    double reviewedness, reviewedness_latency;
    double tree_score, tree_score_latency;
    struct reg_size_score size_score;
    double size_score_latency;
};

/*
 * Rates a model: runs the eleven metrics concurrently (one thread each; a metric whose thread
 * cannot be started runs on the caller's thread), then net_score. Each metric's latency is its
 * own compute time (CLOCK_MONOTONIC) plus the fetch time of the inputs it reads (hub_seconds,
 * code->fetch_seconds, the datasets' fetch_seconds); net_score_latency is the wall time of the
 * whole computation plus all fetch time. name is s->name, else s->repo_id; category "MODEL".
 */
void reg_rating_compute(const struct reg_model_signals *s, struct reg_rating *out);

/* net_score of r's metric values with the REG_RATING_W_* weights, clamped to [0, 1]. */
double reg_rating_net_score(const struct reg_rating *r);

/*
 * The ingest gate (REGISTRY_INGEST_GATE). A metric "fails" below REG_RATING_GATE_MIN, with two
 * exceptions: reviewedness -1 (no repository) does not fail; size_score fails only when no
 * device reaches the minimum (a model is refused only when it suits no target). tree_score
 * needs no exception: it is 1 when there are no parents.
 *   REG_RATING_GATE_NET (default): the model passes when net_score does not fail. Metrics about
 *     evidence a model does not link (no dataset named, no repository) score 0, and most
 *     well-known models (bert-base-uncased, whisper-tiny) link some of it only in prose; the
 *     weighted net_score keeps one missing piece from refusing an otherwise trustworthy model.
 *   REG_RATING_GATE_STRICT: the course's literal rule: net_score and every metric must pass.
 * When the rating does not pass, why (if len > 0) receives net_score (when it fails) and every
 * failing metric, "net_score=0.21, license=0.00, code_quality=0.10" (truncated to len - 1
 * bytes); when it passes, an empty string.
 */
enum reg_rating_gate_policy { REG_RATING_GATE_NET, REG_RATING_GATE_STRICT };
bool reg_rating_gate(const struct reg_rating *r, enum reg_rating_gate_policy policy, char *why,
                     size_t len);

/* The ModelRating JSON object, in the contract's field order: scores rounded to 2 decimals,
 * latencies to 3. A new reference owned by the caller. */
struct json_object *reg_rating_to_json(const struct reg_rating *r);

/* Reads a stored ModelRating back: every field of the contract is required (numbers may be
 * integers or decimals, and must be finite). REG_EINVAL names the first bad field. */
enum reg_status reg_rating_from_json(struct json_object *obj, struct reg_rating *out);

/*
 * The metrics (one file each). Each reads only the signals its file's header names.
 */
double reg_rating_ramp_up_time(const struct reg_model_signals *s);
double reg_rating_bus_factor(const struct reg_model_signals *s);
double reg_rating_performance_claims(const struct reg_model_signals *s);
double reg_rating_license_score(const struct reg_model_signals *s);
void reg_rating_size_score(const struct reg_model_signals *s, struct reg_size_score *out);
double reg_rating_dataset_and_code_score(const struct reg_model_signals *s);
double reg_rating_dataset_quality(const struct reg_model_signals *s);
double reg_rating_code_quality(const struct reg_model_signals *s);
double reg_rating_reproducibility(const struct reg_model_signals *s);
double reg_rating_reviewedness(const struct reg_model_signals *s);
double reg_rating_tree_score(const struct reg_model_signals *s);

/* license_score's table, for a bare license id ("apache-2.0", "GPL-3.0-only"); NULL or an
 * empty id is 0. */
double reg_rating_license_compat(const char *license);

/* size_score's input: the bytes of one complete copy of the weights (size_score.c says which
 * files count); -1 when files is empty. */
int64_t reg_rating_weight_bytes(const struct reg_file_info *files, int nfiles);

/* Whether path belongs to the safetensors copy of the weights size_score counts (a
 * "*.safetensors" that is no precision variant nor trainer state). */
bool reg_rating_is_safetensors_copy(const char *path);

/*
 * Shared by the metric files (card.c): model-card reading. Not for callers outside rating/.
 */

/* x clamped to [0, 1]; NaN is 0. */
double reg_rating_clamp(double x);
/* clamp((log10(1 + n) - from) / decades): 10^from counts 0, 10^(from + decades) counts 1. */
double reg_rating_log_scale(int64_t n, double from, double decades);
/* True when needle (non-empty) occurs in h[0..len), ignoring ASCII case. */
bool reg_rating_has_ci(const char *h, size_t len, const char *needle);
/* The same, but only where needle is not part of a longer word (no letter or digit around). */
bool reg_rating_has_word_ci(const char *h, size_t len, const char *needle);

enum reg_card_kind {
    REG_CARD_BLANK,
    REG_CARD_PROSE,
    REG_CARD_HEADING,
    REG_CARD_TABLE,   /* a line starting with '|' */
    REG_CARD_COMMENT, /* inside <!-- ... --> */
    REG_CARD_FENCE_OPEN,
    REG_CARD_CODE,
    REG_CARD_FENCE_CLOSE
};

/* One line of a card: text excludes the newline; for headings, text is the title after the
 * '#'s; for a fence opening, text is the info string ("python"). */
struct reg_card_line {
    enum reg_card_kind kind;
    const char *text;
    size_t len;
    int level;         /* heading level 1..6 */
    const char *start; /* where the line starts in the card */
};

struct reg_card_iter {
    const char *p, *end;
    bool in_code, in_comment;
    char fence;
    size_t fence_len;
};

/* Starts at the first line after the YAML front matter (a leading "---" block); NULL text
 * is an empty card. */
void reg_rating_card_begin(struct reg_card_iter *it, const char *text);
/* The next line; false at the end. */
bool reg_rating_card_next(struct reg_card_iter *it, struct reg_card_line *out);

/* True when a prose line is a template placeholder ("[More Information Needed]"). */
bool reg_rating_card_placeholder(const char *text, size_t len);
/* Words of text: runs of at least two ASCII letters. */
int reg_rating_card_words(const char *text, size_t len);

struct reg_card_stats {
    int words;             /* in prose lines that are not placeholders */
    int content_lines;     /* prose lines that are not placeholders */
    int placeholder_lines; /* prose lines that are */
    int code_blocks;       /* fenced blocks holding code (see example level) */
};
void reg_rating_card_stats(const char *readme, struct reg_card_stats *out);

/*
 * How usable the card's code examples are, over all fenced blocks (best block wins):
 *   2  a block runs as written: it is code, uses the model's library (library_name, or any
 *      import when none is declared, or a pipeline("<pipeline_tag>") call), names this model
 *      (repo_id, or its last part or name when at least 3 characters long, as a whole id:
 *      "bert-base" does not name "bert-base-uncased") and has no placeholder ("path/to",
 *      "<your", "your_")
 *   1  there is code, but it needs adapting
 *   0  no code (blocks tagged bibtex, text, json, yaml, ... and blocks with no "import", "(" or
 *      "=" are not code)
 */
int reg_rating_card_example_level(const struct reg_model_signals *s);

/* Parses the card's JSON (cardData) with a bounded depth; NULL when absent or invalid. The
 * caller puts the result. */
struct json_object *reg_rating_card_json(const char *text);

#endif
