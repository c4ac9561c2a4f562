/*
 * seed.c - fills a registry store with N generated artifacts for the benchmarks.
 *
 *   usage: seed <data_dir> <count> [<workers>]
 *
 * The store is the one registryd would open with the same environment: reg_config_load() reads
 * REGISTRY_STORE ("sqlite", the default, or "dynamodb") and, for DynamoDB,
 * AWS_ENDPOINT_URL_DYNAMODB, DYNAMODB_TABLE, AWS_REGION, AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY; <data_dir> stands for REGISTRY_DATA_DIR (the SQLite file is
 * <data_dir>/registry.db). reg_store_open() then opens it, creating the SQLite schema or the
 * DynamoDB table, and every artifact goes in through reg_store_insert, so the items are exactly
 * what registryd stores and reads back.
 *
 * <workers> (default 1) processes insert at once, each with its own store connection, artifact
 * i going to worker i % workers (useful for DynamoDB, where every insert is several round
 * trips); every worker generates the same README sequence, so the data does not depend on it,
 * only the store order (seq) of the artifacts does.
 *
 * Each artifact gets a name "bench-<type>-NNNNN", a valid and unique source URL of its type
 * (checked with reg_artifact_source_parse), a random id from reg_artifact_id_new and a ~4 KB
 * README of generated English-like text (a fixed-seed PRNG, so every run produces the same
 * text). Words the latency benchmark searches for:
 *   "zanzibarite"  only in the README of every 1000th artifact (i % 1000 == 123)
 *   "audience", "bert"  ordinary vocabulary words, in nearly every README
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/config.h"
#include "base/status.h"
#include "core/artifact.h"
#include "store/store.h"

#define README_TARGET 4096
#define RARE_WORD "zanzibarite"
#define RARE_EVERY 1000
#define RARE_AT 123
#define ID_ATTEMPTS 8

static const char *const vocabulary[] = {
    "model",
    "dataset",
    "training",
    "evaluation",
    "accuracy",
    "benchmark",
    "transformer",
    "attention",
    "layer",
    "encoder",
    "decoder",
    "token",
    "tokenizer",
    "vocabulary",
    "embedding",
    "gradient",
    "optimizer",
    "learning",
    "rate",
    "schedule",
    "warmup",
    "batch",
    "epoch",
    "checkpoint",
    "weights",
    "parameters",
    "inference",
    "latency",
    "throughput",
    "memory",
    "precision",
    "quantized",
    "distilled",
    "pretrained",
    "fine-tuned",
    "corpus",
    "license",
    "apache",
    "research",
    "commercial",
    "usage",
    "example",
    "pipeline",
    "classifier",
    "regression",
    "sentiment",
    "translation",
    "summarization",
    "question",
    "answering",
    "retrieval",
    "generation",
    "language",
    "vision",
    "audio",
    "speech",
    "image",
    "segmentation",
    "detection",
    "bert",
    "roberta",
    "gpt",
    "llama",
    "mistral",
    "whisper",
    "resnet",
    "vit",
    "clip",
    "diffusion",
    "adapter",
    "lora",
    "prompt",
    "context",
    "window",
    "sequence",
    "length",
    "audience",
    "intended",
    "limitations",
    "bias",
    "risks",
    "fairness",
    "safety",
    "ethical",
    "considerations",
    "metrics",
    "f1",
    "bleu",
    "rouge",
    "perplexity",
    "validation",
    "test",
    "split",
    "samples",
    "labels",
    "annotations",
    "english",
    "multilingual",
    "domain",
    "medical",
    "legal",
    "financial",
    "news",
    "wikipedia",
    "books",
    "web",
    "crawl",
    "filtered",
    "deduplicated",
    "hardware",
    "gpu",
    "tpu",
    "hours",
    "carbon",
    "emissions",
    "citation",
    "authors",
    "team",
    "contact",
    "repository",
    "framework",
    "pytorch",
    "tensorflow",
    "jax",
    "onnx",
    "export",
    "the",
    "a",
    "of",
    "and",
    "to",
    "in",
    "is",
    "for",
    "with",
    "on",
    "this",
    "that",
    "we",
    "it",
    "by",
    "from",
    "are",
    "be",
    "as",
    "can",
    "not",
    "was",
    "were",
    "using",
    "trained",
    "evaluated",
    "released",
    "used",
    "based",
    "provides",
    "improves",
    "reduces",
    "supports",
    "requires",
    "recommended",
    "performance",
};

static const char *const sections[] = {
    "Model description",    "Intended uses",        "How to use",
    "Training data",        "Training procedure",   "Evaluation results",
    "Limitations and bias", "Environmental impact", "Citation",
};

#define NWORDS (sizeof(vocabulary) / sizeof(vocabulary[0]))
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

/* splitmix64: small, fast, and the same sequence on every platform. */
static uint64_t
next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static unsigned
pick(uint64_t *state, unsigned n)
{
    return (unsigned)(next_random(state) % n);
}

/* Appends s to buf (of capacity cap, holding *len bytes) if it fits; false if it does not. */
static bool
append(char *buf, size_t cap, size_t *len, const char *s)
{
    size_t n = strlen(s);

    if (*len + n + 1 > cap)
        return false;
    memcpy(buf + *len, s, n + 1);
    *len += n;
    return true;
}

/* A markdown README of about README_TARGET bytes (never more) for artifact `index`. */
static void
make_readme(char *buf, size_t cap, uint64_t *rng, const char *name, long index)
{
    size_t len = 0;
    unsigned section = 0;
    bool rare = index % RARE_EVERY == RARE_AT;
    char line[256];

    buf[0] = '\0';
    snprintf(line, sizeof(line), "# %s\n\nGenerated model card of %s for the benchmarks.\n", name,
             name);
    append(buf, cap, &len, line);
    while (len < cap - 1) {
        unsigned sentences = 3 + pick(rng, 4);
        snprintf(line, sizeof(line), "\n## %s\n\n", sections[section++ % NSECTIONS]);
        if (!append(buf, cap, &len, line))
            return;
        for (unsigned s = 0; s < sentences; s++) {
            unsigned words = 8 + pick(rng, 10);
            for (unsigned w = 0; w < words; w++) {
                const char *word = vocabulary[pick(rng, (unsigned)NWORDS)];
                if (rare && s == 1 && w == 2)
                    word = RARE_WORD;
                snprintf(line, sizeof(line), "%s%c%s%s", w == 0 && s > 0 ? " " : "",
                         w == 0 ? (char)(word[0] >= 'a' && word[0] <= 'z' ? word[0] - 32 : word[0])
                                : word[0],
                         word + 1, w + 1 == words ? "." : " ");
                if (!append(buf, cap, &len, line))
                    return;
            }
        }
        if (!append(buf, cap, &len, "\n"))
            return;
    }
}

/* Name and source URL of artifact `index`: 60% models, 20% datasets, 20% code. */
static enum reg_artifact_type
make_identity(long index, char *name, size_t name_cap, char *url, size_t url_cap)
{
    long k = index % 10;

    if (k < 6) {
        snprintf(name, name_cap, "bench-model-%05ld", index);
        snprintf(url, url_cap, "https://huggingface.co/bench-org-%ld/%s", index % 37, name);
        return REG_TYPE_MODEL;
    }
    if (k < 8) {
        snprintf(name, name_cap, "bench-dataset-%05ld", index);
        if (k == 6)
            snprintf(url, url_cap, "https://huggingface.co/datasets/bench-org-%ld/%s", index % 37,
                     name);
        else
            snprintf(url, url_cap, "https://www.kaggle.com/datasets/bench-owner-%ld/%s", index % 37,
                     name);
        return REG_TYPE_DATASET;
    }
    snprintf(name, name_cap, "bench-code-%05ld", index);
    snprintf(url, url_cap, "https://github.com/bench-org-%ld/%s", index % 37, name);
    return REG_TYPE_CODE;
}

static int
fail(const char *what, long index)
{
    fprintf(stderr, "seed: %s failed at artifact %ld: %s\n", what, index, reg_error_detail());
    return 1;
}

static double
seconds_since(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Inserts the artifacts i < count with i % workers == worker; prints a summary when worker is
 * 0 of 1. */
static int
seed(struct reg_store *store, long count, long worker, long workers)
{
    static char readme[README_TARGET + 1];
    char name[64], url[256];
    uint64_t rng = 42;
    size_t readme_bytes = 0;
    struct timespec start;

    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < count; i++) {
        struct reg_arena arena;
        struct reg_source src;
        struct reg_artifact art;
        enum reg_status st;
        bool id_taken = true;

        memset(&art, 0, sizeof(art));
        art.type = make_identity(i, name, sizeof(name), url, sizeof(url));
        /* Every worker walks the whole README sequence, so artifact i gets the same text
         * whichever worker inserts it. */
        make_readme(readme, sizeof(readme), &rng, name, i);
        readme_bytes += strlen(readme);
        if (i % workers != worker)
            continue;
        reg_arena_init(&arena);
        st = reg_artifact_source_parse(&arena, art.type, url, &src);
        reg_arena_cleanup(&arena);
        if (st != REG_OK)
            return fail("url check", i);
        art.name = name;
        art.url = url;
        art.readme = readme;
        art.metadata = NULL;
        for (int attempt = 0; attempt < ID_ATTEMPTS && id_taken; attempt++) {
            reg_artifact_id_new(art.id);
            st = reg_store_insert(store, &art, &id_taken);
            if (st != REG_ECONFLICT)
                id_taken = false;
        }
        if (st != REG_OK)
            return fail("insert", i);
    }
    if (workers == 1)
        printf("seed: inserted %ld artifacts (README %zu bytes on average) in %.1f s\n", count,
               count ? readme_bytes / (size_t)count : 0, seconds_since(&start));
    return 0;
}

/* Opens the store the environment names, with data_dir as REGISTRY_DATA_DIR. */
static int
open_store(const char *data_dir, struct reg_store **store)
{
    struct reg_config cfg;

    memset(&cfg, 0, sizeof(cfg));
    if (reg_config_load(&cfg) != REG_OK) {
        fprintf(stderr, "seed: %s\n", reg_error_detail());
        return 1;
    }
    cfg.data_dir = data_dir;
    if (reg_store_open(&cfg, store) != REG_OK) {
        if (strcmp(cfg.store, "dynamodb") == 0)
            fprintf(stderr, "seed: cannot open the DynamoDB store (table %s at %s): %s\n",
                    cfg.dynamodb_table,
                    cfg.dynamodb_endpoint ? cfg.dynamodb_endpoint : "the region's endpoint",
                    reg_error_detail());
        else
            fprintf(stderr, "seed: cannot open the %s store in %s: %s\n", cfg.store, data_dir,
                    reg_error_detail());
        return 1;
    }
    return 0;
}

static long
parse_count(const char *arg, const char *what, long max)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(arg, &end, 10);
    if (errno || *end || n < 0 || n > max) {
        fprintf(stderr, "seed: %s must be an integer from 0 to %ld, got '%s'\n", what, max, arg);
        return -1;
    }
    return n;
}

int
main(int argc, char **argv)
{
    struct reg_store *store = NULL;
    struct timespec start;
    long count, workers = 1;
    int rc = 0;

    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s <data_dir> <count> [<workers>]\n", argv[0]);
        return 2;
    }
    count = parse_count(argv[2], "count", 99999);
    if (argc == 4)
        workers = parse_count(argv[3], "workers", 64);
    if (count < 0 || workers < 0)
        return 2;
    if (workers == 0)
        workers = 1;
    /* Opened once before any fork: creates the SQLite schema or the DynamoDB table, so the
     * workers do not race to. No connection crosses the fork. */
    if (open_store(argv[1], &store) != 0)
        return 1;
    if (workers == 1) {
        rc = seed(store, count, 0, 1);
        reg_store_close(store);
        return rc;
    }
    reg_store_close(store);
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long w = 0; w < workers; w++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("seed: fork");
            return 1;
        }
        if (pid == 0) {
            int wrc = open_store(argv[1], &store);
            if (wrc == 0)
                wrc = seed(store, count, w, workers);
            reg_store_close(store);
            _exit(wrc);
        }
    }
    for (long w = 0; w < workers; w++) {
        int status;
        if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            rc = 1;
    }
    if (rc == 0)
        printf("seed: inserted %ld artifacts (~4 KB README each) with %ld workers in %.1f s\n",
               count, workers, seconds_since(&start));
    return rc;
}
