/*
 * seed.c - fills a data directory's SQLite store with N generated artifacts for the benchmarks.
 *
 *   usage: seed <data_dir> <count>
 *
 * Goes through the real store code (reg_store_sqlite_open + reg_store_insert), so the rows are
 * exactly what registryd stores and reads back. Each artifact gets a name "bench-<type>-NNNNN",
 * a valid and unique source URL of its type (checked with reg_artifact_source_parse), a random
 * id from reg_artifact_id_new and a ~4 KB README of generated English-like text (a fixed-seed
 * PRNG, so every run produces the same text). Words the latency benchmark searches for:
 *   "zanzibarite"  only in the README of every 1000th artifact (i % 1000 == 123)
 *   "audience", "bert"  ordinary vocabulary words, in nearly every README
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
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

static int
seed(struct reg_store *store, long count)
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
        reg_arena_init(&arena);
        st = reg_artifact_source_parse(&arena, art.type, url, &src);
        reg_arena_cleanup(&arena);
        if (st != REG_OK)
            return fail("url check", i);
        make_readme(readme, sizeof(readme), &rng, name, i);
        readme_bytes += strlen(readme);
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
    printf("seed: inserted %ld artifacts (README %zu bytes on average) in %.1f s\n", count,
           count ? readme_bytes / (size_t)count : 0, seconds_since(&start));
    return 0;
}

int
main(int argc, char **argv)
{
    struct reg_store *store = NULL;
    char path[4096];
    char *end;
    long count;
    int rc;

    if (argc != 3) {
        fprintf(stderr, "usage: %s <data_dir> <count>\n", argv[0]);
        return 2;
    }
    errno = 0;
    count = strtol(argv[2], &end, 10);
    if (errno || *end || count < 0 || count > 99999) {
        fprintf(stderr, "seed: count must be an integer from 0 to 99999, got '%s'\n", argv[2]);
        return 2;
    }
    if ((size_t)snprintf(path, sizeof(path), "%s/registry.db", argv[1]) >= sizeof(path)) {
        fprintf(stderr, "seed: data directory path is too long\n");
        return 2;
    }
    if (reg_store_sqlite_open(path, &store) != REG_OK) {
        fprintf(stderr, "seed: cannot open %s: %s\n", path, reg_error_detail());
        return 1;
    }
    rc = seed(store, count);
    reg_store_close(store);
    return rc;
}
