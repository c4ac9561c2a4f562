/*
 * fuzz_scan.c - libFuzzer harness of the model-file scanner (lib/scan). The input's first byte
 * picks the file's name (hence its format, FUZZ_SCAN_NAMES below), the rest is the file, fed
 * in chunks whose sizes a generator seeded by the input draws (1 byte to 4 KiB). The result
 * must equal the one-buffer scan's (verdict, detail, imports): streaming may never change a
 * verdict. The file is also scanned where it lies (reg_scan_remote, read by range in pieces),
 * with a zip over 16 bytes read by its central directory: that must not crash, and a file not
 * read by its directory must get the whole scan's result. Built with -fsanitize=fuzzer,address,undefined by `make fuzz`, and without libFuzzer
 * by tests/fuzz/replay.c (make check replays the corpus, tests/fuzz/corpus/scan).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/scan.h"

/* The unit tests write seeds with the same first byte (tests/unit/scan/test_scan.c). */
static const char *const names[] = {
    "model.pkl",         "pytorch_model.bin", "arr.npy",     "arrays.npz",
    "model.safetensors", "model.keras",       "config.json", "notes.txt",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t
next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void
same(const struct reg_scan_result *a, const struct reg_scan_result *b)
{
    if (a->verdict != b->verdict || a->nimports != b->nimports ||
        strcmp(a->detail, b->detail) != 0 || a->parameters != b->parameters ||
        a->custom_code != b->custom_code) {
        fprintf(stderr, "streamed: %s (%s); whole: %s (%s)\n", reg_scan_verdict_name(a->verdict),
                a->detail, reg_scan_verdict_name(b->verdict), b->detail);
        abort();
    }
    for (int i = 0; i < a->nimports; i++)
        if (strcmp(a->imports[i], b->imports[i]) != 0)
            abort();
}

struct memory {
    const uint8_t *b;
    size_t n;
};

static enum reg_status
read_memory(void *ctx, int64_t offset, int64_t len, reg_scan_sink_fn sink, void *sink_ctx)
{
    const struct memory *m = ctx;
    size_t end = len < 0 || (uint64_t)(offset + len) > m->n ? m->n : (size_t)(offset + len);

    for (size_t at = (size_t)offset; at < end; at += 1000)
        if (!sink(sink_ctx, m->b + at, end - at < 1000 ? end - at : 1000))
            break;
    return REG_OK;
}

static void
check_remote(const char *name, const uint8_t *data, size_t size, struct reg_arena *a,
             const struct reg_scan_result *whole)
{
    struct memory m = {data, size};
    struct reg_scan_source src = {read_memory, &m, (int64_t)size, 16, 0, 0, false};
    struct reg_scan_result r;

    if (reg_scan_remote(name, &src, a, &r) != REG_OK)
        abort();
    if (!src.by_directory)
        same(&r, whole);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reg_scan_result whole, streamed;
    struct reg_arena a;
    struct reg_scan *s;
    const char *name;
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    size_t at = 0;

    if (size == 0)
        return 0;
    name = names[data[0] % (sizeof(names) / sizeof(names[0]))];
    data++;
    size--;
    for (size_t i = 0; i < size && i < 64; i++)
        seed = (seed ^ data[i]) * 0x100000001B3ull;
    seed |= 1;
    reg_arena_init(&a);
    if (reg_scan_buffer(name, data, size, &a, &whole) != REG_OK)
        abort();
    if (reg_scan_begin(name, (int64_t)size, &s) != REG_OK)
        abort();
    while (at < size && !reg_scan_done(s)) {
        uint64_t r = next(&seed);
        size_t n = (r & 3) == 0 ? 1 : (size_t)(r >> 8) % 4096 + 1;
        if (n > size - at)
            n = size - at;
        reg_scan_feed(s, data + at, n);
        at += n;
    }
    reg_scan_end(s, &a, &streamed);
    reg_scan_free(s);
    same(&streamed, &whole);
    check_remote(name, data, size, &a, &whole);
    reg_arena_cleanup(&a);
    return 0;
}
