/*
 * fuzz_zipcheck.c - libFuzzer harness of the upload zip checker (lib/bundle/zipcheck.c): the
 * input is an uploaded zip, checked in memory (reg_zipcheck_memory) with an observer, as the
 * upload's model scan sees it. Properties of an accepted zip:
 *   - every file's name passes reg_zipcheck_name, no two entries share a name, files are at
 *     most the entries, the sizes add up to total_bytes;
 *   - the observer saw each file once, in the report's order, begin/data/end, with exactly the
 *     bytes the report counts;
 *   - README.md and config.json are within their caps;
 *   - the caps hold: one entry fewer, or one decompressed byte fewer, refuses the zip.
 * And reg_zipcheck_name, on the input's first bytes as a name, accepts only names that keep
 * its rules (no NUL, control character or backslash, not absolute, no "." or ".." segment).
 * Built with -fsanitize=fuzzer,address,undefined by `make fuzz`, and without libFuzzer by
 * tests/fuzz/replay.c (make check replays tests/fuzz/corpus/zipcheck).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/zipcheck.h"

/* Files the observer records; a zip with more is checked without the per-file comparison. */
#define SEEN_MAX 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_zipcheck: %s\n", what);
        abort();
    }
}

/* What the observer saw. */
struct seen {
    struct reg_arena *a;
    const char *path[SEEN_MAX];
    int64_t size[SEEN_MAX];
    int n;      /* files begun */
    bool open;  /* between begin and end */
    bool extra; /* more than SEEN_MAX */
};

static enum reg_status
on_begin(void *ctx, const char *path)
{
    struct seen *s = ctx;

    check(!s->open, "begin inside a file");
    s->open = true;
    if (s->n == SEEN_MAX) {
        s->extra = true;
        return REG_OK;
    }
    s->path[s->n] = reg_arena_strdup(s->a, path);
    s->size[s->n++] = 0;
    return REG_OK;
}

static enum reg_status
on_data(void *ctx, const void *buf, size_t len)
{
    struct seen *s = ctx;

    check(s->open && (buf != NULL || len == 0), "data outside a file");
    if (!s->extra)
        s->size[s->n - 1] += (int64_t)len;
    return REG_OK;
}

static enum reg_status
on_end(void *ctx)
{
    struct seen *s = ctx;

    check(s->open, "end outside a file");
    s->open = false;
    return REG_OK;
}

static void
check_report(const struct reg_zip_report *r, const struct seen *s)
{
    int64_t total = 0;

    check(r->nfiles >= 0 && r->nfiles <= r->nentries && r->nentries <= REG_ZIPCHECK_MAX_ENTRIES,
          "file and entry counts disagree");
    for (int i = 0; i < r->nfiles; i++) {
        const char *p = r->files[i].path;
        check(reg_zipcheck_name(p, strlen(p)) == REG_OK, "an accepted file has a bad name");
        for (int j = 0; j < i; j++)
            check(strcmp(p, r->files[j].path) != 0, "two files share a name");
        total += r->files[i].size;
    }
    check(total == r->total_bytes, "the file sizes do not add up to total_bytes");
    check(!r->readme ||
              (strlen(r->readme) <= r->readme_len && r->readme_len <= REG_ZIPCHECK_README_MAX),
          "README.md over its cap");
    check(!r->config_json || r->config_len <= REG_ZIPCHECK_CONFIG_MAX, "config.json over its cap");
    check(!s->open, "a file begun was never ended");
    if (s->extra)
        return;
    check(s->n == r->nfiles, "the observer saw another number of files");
    for (int i = 0; i < s->n; i++)
        check(strcmp(s->path[i], r->files[i].path) == 0 && s->size[i] == r->files[i].size,
              "the observer saw other files or bytes than the report");
}

/* The rules of reg_zipcheck_name, checked on a name it accepted. */
static void
check_name(const char *name, size_t len)
{
    bool ok = reg_zipcheck_name(name, len) == REG_OK;

    if (!ok)
        return;
    check(len > 0 && len <= REG_ZIPCHECK_NAME_MAX && memchr(name, '\0', len) == NULL &&
              memchr(name, '\\', len) == NULL && name[0] != '/' &&
              !(len >= 2 && isalpha((unsigned char)name[0]) && name[1] == ':'),
          "an accepted name is empty, absolute or holds NUL or a backslash");
    for (size_t i = 0; i < len; i++)
        check((unsigned char)name[i] >= 0x20 && name[i] != 0x7f, "an accepted name has a control");
    for (size_t at = 0; at < len;) {
        size_t seg = 0;
        while (at + seg < len && name[at + seg] != '/')
            seg++;
        check(!(seg == 1 && name[at] == '.') &&
                  !(seg == 2 && name[at] == '.' && name[at + 1] == '.'),
              "an accepted name has a dot segment");
        check(seg > 0, "an accepted name has an empty segment");
        at += seg + 1;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reg_arena a;
    struct seen s = {0};
    struct reg_zip_observer obs = {&s, on_begin, on_data, on_end};
    struct reg_zipcheck_limits lim = {0, 0, &obs};
    struct reg_zip_report r;

    check_name((const char *)data, size < 64 ? size : 64);
    reg_arena_init(&a);
    s.a = &a;
    if (reg_zipcheck_memory(&a, data, size, &lim, &r) == REG_OK) {
        struct reg_zipcheck_limits fewer_entries = {r.nentries - 1, 0, NULL};
        struct reg_zipcheck_limits fewer_bytes = {0, r.total_bytes - 1, NULL};
        struct reg_zip_report refused;
        check_report(&r, &s);
        /* A cap of 0 means the default: only caps of 1 and more are tried. */
        if (r.nentries > 1)
            check(reg_zipcheck_memory(&a, data, size, &fewer_entries, &refused) != REG_OK,
                  "a zip over max_entries was accepted");
        if (r.total_bytes > 1)
            check(reg_zipcheck_memory(&a, data, size, &fewer_bytes, &refused) != REG_OK,
                  "a zip over max_total_bytes was accepted");
    }
    reg_arena_cleanup(&a);
    return 0;
}
