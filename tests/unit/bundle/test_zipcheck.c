/*
 * test_zipcheck.c - validation of uploaded zips (lib/bundle/zipcheck.c). Every zip is made here
 * with libarchive's writer (some then patched byte by byte, for what the writer refuses to
 * produce): clean ones (top level, wrapped in one folder, from memory and from a file),
 * zip slip ("../evil", "a/../../evil"), absolute and drive-letter paths, backslashes, a NUL
 * hidden in a name, a local header naming another file, symbolic links and FIFOs, duplicate
 * names, encryption, too many entries, zip bombs (honest headers, and headers that lie about
 * the size: refused by counting what is actually decompressed, quickly and without the
 * memory), corrupted data, junk before the zip, and the README/config.json limits.
 */
#include "unit.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/str.h"
#include "bundle/zipcheck.h"

#define MB (1024 * 1024)
#define ZIP_MAX ((size_t)64 * MB)

/* ---------------------------------------------------------------- making zips */

/* One entry to write: a file with text (or zeros bytes of zeros), a directory, a link. */
struct spec {
    const char *path;
    int type; /* AE_IFREG (0 means the same), AE_IFDIR, AE_IFLNK */
    const char *text;
    int64_t zeros;
    const char *link;
};

/* Names are given as UTF-8 (and flagged so in the zip) rather than as bytes of the C locale. */
static bool names_utf8;

static la_ssize_t
to_buf(struct archive *a, void *ctx, const void *data, size_t n)
{
    (void)a;
    return reg_buf_append(ctx, data, n) == REG_OK ? (la_ssize_t)n : -1;
}

static void
write_entry(struct archive *w, const struct spec *s)
{
    static const char zeros[MB];
    struct archive_entry *e = archive_entry_new();
    int type = s->type ? s->type : (int)AE_IFREG;
    int64_t size = s->text ? (int64_t)strlen(s->text) : s->zeros;

    if (names_utf8)
        archive_entry_set_pathname_utf8(e, s->path);
    else
        archive_entry_set_pathname(e, s->path);
    archive_entry_set_filetype(e, (unsigned int)type);
    archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
    if (type == AE_IFLNK)
        archive_entry_set_symlink(e, s->link ? s->link : "/etc/passwd");
    archive_entry_set_size(e, type == AE_IFREG ? size : 0);
    assert_int_equal(archive_write_header(w, e), ARCHIVE_OK);
    if (type == AE_IFREG && s->text)
        assert_int_equal(archive_write_data(w, s->text, strlen(s->text)), (la_ssize_t)size);
    for (int64_t left = s->text ? 0 : size; type == AE_IFREG && left > 0;) {
        size_t n = left < MB ? (size_t)left : MB;

        assert_int_equal(archive_write_data(w, zeros, n), (la_ssize_t)n);
        left -= (int64_t)n;
    }
    archive_entry_free(e);
}

/* The zip of the n entries into out (initialised here); options/passphrase may be NULL;
 * store: no compression. */
static void
make_zip(struct reg_buf *out, const struct spec *entries, int n, const char *options,
         const char *passphrase, bool store)
{
    struct archive *w = archive_write_new();

    reg_buf_init(out, ZIP_MAX);
    assert_non_null(w);
    assert_int_equal(archive_write_set_format_zip(w), ARCHIVE_OK);
    assert_int_equal(archive_write_set_bytes_in_last_block(w, 1), ARCHIVE_OK);
    if (options)
        assert_int_equal(archive_write_set_options(w, options), ARCHIVE_OK);
    if (names_utf8)
        assert_int_equal(archive_write_set_options(w, "zip:hdrcharset=UTF-8"), ARCHIVE_OK);
    if (passphrase)
        assert_int_equal(archive_write_set_passphrase(w, passphrase), ARCHIVE_OK);
    if (store)
        assert_int_equal(archive_write_zip_set_compression_store(w), ARCHIVE_OK);
    assert_int_equal(archive_write_open(w, out, NULL, to_buf, NULL), ARCHIVE_OK);
    for (int i = 0; i < n; i++)
        write_entry(w, &entries[i]);
    assert_int_equal(archive_write_close(w), ARCHIVE_OK);
    archive_write_free(w);
}

/* Replaces every occurrence of from (a name in the local and central headers) by to (same
 * length); only the first one when first_only. Returns how many were replaced. */
static int
patch(struct reg_buf *z, const char *from, const char *to, size_t len, bool first_only)
{
    int n = 0;

    for (size_t i = 0; i + len <= z->len; i++) {
        if (memcmp(z->data + i, from, len) == 0) {
            memcpy(z->data + i, to, len);
            n++;
            if (first_only)
                break;
        }
    }
    return n;
}

/* Runs the check on z with the limits; the report lives in arena a. */
static enum reg_status
check_buf(struct reg_arena *a, const struct reg_buf *z, int max_entries, int64_t max_bytes,
          struct reg_zip_report *out)
{
    struct reg_zipcheck_limits lim = {max_entries, max_bytes, NULL};

    return reg_zipcheck_memory(a, z->data, z->len, &lim, out);
}

/* The size of the file at path in the report, -1 when it is not listed. */
static int64_t
file_size(const struct reg_zip_report *r, const char *path)
{
    for (int i = 0; i < r->nfiles; i++)
        if (strcmp(r->files[i].path, path) == 0)
            return r->files[i].size;
    return -1;
}

/* ---------------------------------------------------------------- accepted */

static const char readme_text[] = "# A model\n\nIt classifies audiences.\n";
static const char config_text[] = "{\"architectures\": [\"BertModel\"], \"model_type\": \"bert\"}";

static void
check_clean_report(const struct reg_zip_report *r)
{
    assert_int_equal(r->nfiles, 3);
    assert_int_equal(r->nentries, 4);
    assert_null(r->root);
    assert_non_null(r->readme);
    assert_string_equal(r->readme, readme_text);
    assert_int_equal(r->readme_len, strlen(readme_text));
    assert_false(r->readme_truncated);
    assert_non_null(r->config_json);
    assert_string_equal(r->config_json, config_text);
    assert_int_equal(file_size(r, "weights/model.safetensors"), 3 * MB);
    assert_int_equal(file_size(r, "README.md"), (int64_t)strlen(readme_text));
    assert_int_equal(r->total_bytes,
                     3 * MB + (int64_t)strlen(readme_text) + (int64_t)strlen(config_text));
}

static void
test_clean_zip(void **state)
{
    const struct spec entries[] = {
        {"README.md", 0, readme_text, 0, NULL},
        {"config.json", 0, config_text, 0, NULL},
        {"weights/", AE_IFDIR, NULL, 0, NULL},
        {"weights/model.safetensors", 0, NULL, 3 * MB, NULL},
    };
    char path[] = "/tmp/zipcheck.XXXXXX";
    struct reg_zip_report r;
    struct reg_arena a;
    struct reg_buf z;
    int fd;

    (void)state;
    make_zip(&z, entries, NELEMS(entries), NULL, NULL, false);
    reg_arena_init(&a);
    assert_int_equal(check_buf(&a, &z, 0, 0, &r), REG_OK);
    check_clean_report(&r);

    /* the same zip as a file on disk */
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, z.data, z.len), (ssize_t)z.len);
    close(fd);
    assert_int_equal(reg_zipcheck_file(&a, path, NULL, &r), REG_OK);
    check_clean_report(&r);
    unlink(path);
    assert_int_equal(reg_zipcheck_file(&a, path, NULL, &r), REG_EINVAL); /* gone */
    assert_int_equal(reg_zipcheck_file(&a, "/tmp", NULL, &r), REG_EINVAL);
    reg_buf_cleanup(&z);

    /* with Zip64 records (end record, locator, sizes) */
    make_zip(&z, entries, NELEMS(entries), "zip:zip64", NULL, false);
    assert_int_equal(patch(&z, "PK\6\6", "PK\6\6", 4, true), 1); /* (a search: it is there) */
    assert_int_equal(check_buf(&a, &z, 0, 0, &r), REG_OK);
    check_clean_report(&r);
    reg_buf_cleanup(&z);
    reg_arena_cleanup(&a);
}

/* A zip of one folder: README.md and config.json are read from inside it (also when the names
 * are not ASCII). */
static void
test_wrapped_in_one_folder(void **state)
{
    const struct spec wrapped[] = {
        {"bert-tiny/", AE_IFDIR, NULL, 0, NULL},
        {"bert-tiny/README.md", 0, readme_text, 0, NULL},
        {"bert-tiny/config.json", 0, config_text, 0, NULL},
        {"bert-tiny/onnx/model.onnx", 0, NULL, 1000, NULL},
    };
    const struct spec utf8[] = {
        {"mod\xc3\xa8le/README.md", 0, readme_text, 0, NULL},
        {"mod\xc3\xa8le/poids/caf\xc3\xa9.bin", 0, NULL, 10, NULL},
    };
    const struct spec two_roots[] = {
        {"a/README.md", 0, readme_text, 0, NULL},
        {"b/config.json", 0, config_text, 0, NULL},
    };
    struct reg_zip_report r;
    struct reg_arena a;
    struct reg_buf z;

    (void)state;
    reg_arena_init(&a);
    make_zip(&z, wrapped, NELEMS(wrapped), NULL, NULL, false);
    assert_int_equal(check_buf(&a, &z, 0, 0, &r), REG_OK);
    assert_string_equal(r.root, "bert-tiny");
    assert_string_equal(r.readme, readme_text);
    assert_string_equal(r.config_json, config_text);
    assert_int_equal(r.nfiles, 3);
    reg_buf_cleanup(&z);

    make_zip(&z, two_roots, NELEMS(two_roots), NULL, NULL, false);
    assert_int_equal(check_buf(&a, &z, 0, 0, &r), REG_OK);
    assert_null(r.root);
    assert_null(r.readme);
    assert_null(r.config_json);
    reg_buf_cleanup(&z);

    /* UTF-8 names read in a process that never called setlocale (the "C" locale) */
    names_utf8 = true;
    make_zip(&z, utf8, NELEMS(utf8), NULL, NULL, false);
    names_utf8 = false;
    assert_int_equal(check_buf(&a, &z, 0, 0, &r), REG_OK);
    assert_string_equal(r.root, "mod\xc3\xa8le");
    assert_string_equal(r.readme, readme_text);
    assert_int_equal(file_size(&r, "mod\xc3\xa8le/poids/caf\xc3\xa9.bin"), 10);
    reg_buf_cleanup(&z);
    reg_arena_cleanup(&a);
}

/* README.md longer than the limit is cut at a character boundary; a config.json past its
 * limit is left out; an empty zip is accepted. */
static void
test_text_limits(void **state)
{
    size_t rlen = REG_ZIPCHECK_README_MAX + 100, clen = REG_ZIPCHECK_CONFIG_MAX + 1;
    char *readme = malloc(rlen + 1), *config = malloc(clen + 1);
    struct spec entries[] = {
        {"README.md", 0, NULL, 0, NULL},
        {"config.json", 0, NULL, 0, NULL},
    };
    struct reg_zip_report r;
    struct reg_arena a;
    struct reg_buf z;

    (void)state;
    assert_non_null(readme);
    assert_non_null(config);
    memset(readme, 'r', rlen);
    /* a 3-byte character (U+20AC) across the limit */
    memcpy(readme + REG_ZIPCHECK_README_MAX - 1, "\xe2\x82\xac", 3);
    readme[rlen] = '\0';
    memset(config, ' ', clen);
    config[0] = '{';
    config[clen - 1] = '}';
    config[clen] = '\0';
    entries[0].text = readme;
    entries[1].text = config;
    reg_arena_init(&a);
    make_zip(&z, entries, NELEMS(entries), NULL, NULL, false);
    assert_int_equal(check_buf(&a, &z, 0, 0, &r), REG_OK);
    assert_true(r.readme_truncated);
    assert_int_equal(r.readme_len, REG_ZIPCHECK_README_MAX - 1);
    assert_true(reg_str_is_utf8(r.readme, r.readme_len));
    assert_null(r.config_json);
    assert_int_equal(file_size(&r, "config.json"), (int64_t)clen);
    reg_buf_cleanup(&z);

    make_zip(&z, entries, 0, NULL, NULL, false);
    assert_int_equal(check_buf(&a, &z, 0, 0, &r), REG_OK);
    assert_int_equal(r.nentries, 0);
    assert_int_equal(r.nfiles, 0);
    reg_buf_cleanup(&z);
    reg_arena_cleanup(&a);
    free(readme);
    free(config);
}

/* ---------------------------------------------------------------- refused */

/* Each zip holds a harmless file and one bad entry; the detail must name the rule. */
static void
test_bad_entries(void **state)
{
    static const struct {
        struct spec bad;
        const char *detail;
    } cases[] = {
        {{"../evil", 0, "x", 0, NULL}, "'..' path segment"},
        {{"a/../../evil", 0, "x", 0, NULL}, "'..' path segment"},
        {{"a/b/..", 0, "x", 0, NULL}, "'..' path segment"},
        {{"/etc/x", 0, "x", 0, NULL}, "an absolute path"},
        {{"C:/Windows/x", 0, "x", 0, NULL}, "drive letter"},
        {{"..\\..\\evil", 0, "x", 0, NULL}, "backslash"},
        {{"a//b", 0, "x", 0, NULL}, "empty path segment"},
        {{"./x", 0, "x", 0, NULL}, "'.' path segment"},
        {{"tab\there", 0, "x", 0, NULL}, "control character"},
        {{"bad-\xff-utf8", 0, "x", 0, NULL}, "not UTF-8"},
        {{"link", AE_IFLNK, NULL, 0, "/etc/passwd"}, "symbolic link"},
        {{"dir/link", AE_IFLNK, NULL, 0, "../../x"}, "symbolic link"},
        {{"README.md", 0, "again", 0, NULL}, "used twice"},
        {{"README.md/", AE_IFDIR, NULL, 0, NULL}, "used twice"},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        struct spec entries[2] = {{"README.md", 0, readme_text, 0, NULL}, cases[i].bad};
        struct reg_zip_report r;
        struct reg_arena a;
        struct reg_buf z;
        enum reg_status st;

        reg_arena_init(&a);
        make_zip(&z, entries, 2, NULL, NULL, false);
        st = check_buf(&a, &z, 0, 0, &r);
        CHECK(&bad, st == REG_EINVAL, "case %d (%s): status %d", i, cases[i].bad.path, st);
        CHECK(&bad, strstr(reg_error_detail(), cases[i].detail) != NULL,
              "case %d (%s): detail '%s', want '%s'", i, cases[i].bad.path, reg_error_detail(),
              cases[i].detail);
        printf("refused %-14s %s\n", cases[i].bad.path, reg_error_detail());
        reg_buf_cleanup(&z);
        reg_arena_cleanup(&a);
    }
    assert_int_equal(bad, 0);
}

/* Writes v as 4 little-endian bytes at p. */
static void
put32(char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (char)(v >> (8 * i));
}

/* The offset of the central directory header of the entry called name, or -1. */
static long
central_header(const struct reg_buf *z, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i + 46 + n <= z->len; i++)
        if (memcmp(z->data + i, "PK\1\2", 4) == 0 && memcmp(z->data + i + 46, name, n) == 0)
            return (long)i;
    return -1;
}

/* What libarchive's writer cannot produce, patched in: a NUL inside a stored name (what
 * follows it would be hidden from a C-string reader), a local header naming another file
 * than the central directory does, and a FIFO (Unix mode in the external attributes). */
static void
test_patched_names(void **state)
{
    const struct spec entries[] = {
        {"README.md", 0, readme_text, 0, NULL},
        {"safe.txtZ../../../etc/cron.d/x", 0, "x", 0, NULL},
    };
    const struct spec entries2[] = {
        {"README.md", 0, readme_text, 0, NULL},
        {"harmless.txt", 0, "x", 0, NULL},
    };
    struct reg_zip_report r;
    struct reg_arena a;
    struct reg_buf z;
    long at;

    (void)state;
    reg_arena_init(&a);
    make_zip(&z, entries, NELEMS(entries), NULL, NULL, false);
    assert_int_equal(patch(&z, "safe.txtZ", "safe.txt\0", 9, false), 2);
    assert_int_equal(check_buf(&a, &z, 0, 0, &r), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "NUL byte"));
    assert_non_null(strstr(reg_error_detail(), "safe.txt\\x00..")); /* shown escaped */
    reg_buf_cleanup(&z);

    make_zip(&z, entries2, NELEMS(entries2), NULL, NULL, false);
    assert_int_equal(patch(&z, "harmless.txt", "../evil.txt.", 12, true), 1); /* local only */
    assert_int_equal(check_buf(&a, &z, 0, 0, &r), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "local header names another file"));
    reg_buf_cleanup(&z);

    make_zip(&z, entries2, NELEMS(entries2), NULL, NULL, false);
    at = central_header(&z, "harmless.txt");
    assert_true(at > 0);
    put32(z.data + at + 38, 0010644u << 16); /* S_IFIFO | 0644 */
    assert_int_equal(check_buf(&a, &z, 0, 0, &r), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "neither a regular file nor a directory"));
    reg_buf_cleanup(&z);
    reg_arena_cleanup(&a);
}

static void
test_encrypted(void **state)
{
    const struct spec entries[] = {{"secret.txt", 0, "the weights are in the attic", 0, NULL}};
    struct reg_zip_report r;
    struct reg_arena a;
    struct reg_buf z;

    (void)state;
    reg_arena_init(&a);
    make_zip(&z, entries, NELEMS(entries), "zip:encryption=zipcrypt", "passw0rd", false);
    assert_int_equal(check_buf(&a, &z, 0, 0, &r), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "'secret.txt': it is encrypted"));
    reg_buf_cleanup(&z);
    reg_arena_cleanup(&a);
}

static void
test_too_many_entries(void **state)
{
    struct spec entries[11];
    char names[11][24];
    struct reg_zip_report r;
    struct reg_arena a;
    struct reg_buf z;

    (void)state;
    for (int i = 0; i < 11; i++) {
        snprintf(names[i], sizeof(names[i]), "f%02d.txt", i);
        entries[i] = (struct spec){names[i], 0, "x", 0, NULL};
    }
    reg_arena_init(&a);
    make_zip(&z, entries, 10, NULL, NULL, false);
    assert_int_equal(check_buf(&a, &z, 10, 0, &r), REG_OK);
    assert_int_equal(r.nfiles, 10);
    reg_buf_cleanup(&z);
    make_zip(&z, entries, 11, NULL, NULL, false);
    assert_int_equal(check_buf(&a, &z, 10, 0, &r), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "holds 11 entries, more than the limit of 10"));
    reg_buf_cleanup(&z);
    reg_arena_cleanup(&a);
}

static long
max_rss_kb(void)
{
    struct rusage ru;

    assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
    return ru.ru_maxrss;
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 200 MB of zeros compressed to ~200 KB, with a 50 MB cap. With honest headers it is refused
 * from its declared size; with sizes patched to 1000 bytes in both headers it is refused by
 * counting: decompression stops just past 50 MB. Neither needs the memory. */
static void
test_zip_bomb(void **state)
{
    const struct spec entries[] = {
        {"README.md", 0, readme_text, 0, NULL},
        {"bomb.bin", 0, NULL, 200 * (int64_t)MB, NULL},
    };
    struct reg_zip_report r;
    struct reg_arena a;
    struct reg_buf z;
    long rss_before;
    double t0;
    int patched = 0;

    (void)state;
    make_zip(&z, entries, NELEMS(entries), NULL, NULL, false);
    printf("bomb: 200 MB of zeros in a %zu byte zip\n", z.len);
    assert_true(z.len < 2 * MB);
    reg_arena_init(&a);
    rss_before = max_rss_kb();
    t0 = now_s();
    assert_int_equal(check_buf(&a, &z, 0, 50 * (int64_t)MB, &r), REG_EINVAL);
    printf("bomb (honest): refused in %.3f s: %s\n", now_s() - t0, reg_error_detail());
    assert_non_null(strstr(reg_error_detail(), "declares 209715200 bytes"));

    /* Lie about the size: 1000 bytes in the local header (offset 22) and the central one
     * (offset 24) of bomb.bin. */
    for (size_t i = 0; i + 46 <= z.len; i++) {
        if (memcmp(z.data + i, "PK\3\4", 4) == 0 && memcmp(z.data + i + 30, "bomb.bin", 8) == 0) {
            put32(z.data + i + 22, 1000);
            patched++;
        }
        if (memcmp(z.data + i, "PK\1\2", 4) == 0 && memcmp(z.data + i + 46, "bomb.bin", 8) == 0) {
            put32(z.data + i + 24, 1000);
            patched++;
        }
    }
    assert_int_equal(patched, 2);
    t0 = now_s();
    assert_int_equal(check_buf(&a, &z, 0, 50 * (int64_t)MB, &r), REG_EINVAL);
    printf("bomb (lying): refused in %.3f s: %s\n", now_s() - t0, reg_error_detail());
    assert_non_null(strstr(reg_error_detail(), "more than 52428800 bytes uncompressed"));
    printf("bomb: peak RSS grew by %ld KB\n", max_rss_kb() - rss_before);
    assert_true(max_rss_kb() - rss_before < 48 * 1024);
    reg_buf_cleanup(&z);
    reg_arena_cleanup(&a);
}

/* Damaged data (a flipped byte in a stored file: bad CRC), a truncated zip, junk before the
 * zip, no zip at all. */
static void
test_damaged(void **state)
{
    const struct spec entries[] = {
        {"README.md", 0, readme_text, 0, NULL},
        {"data.txt", 0, "0123456789abcdefghijklmnopqrstuvwxyz", 0, NULL},
    };
    struct reg_zip_report r;
    struct reg_arena a;
    struct reg_buf z, junk;

    (void)state;
    reg_arena_init(&a);
    make_zip(&z, entries, NELEMS(entries), NULL, NULL, true);
    assert_int_equal(patch(&z, "0123456789abcdef", "0123456789abcdeF", 16, true), 1);
    assert_int_equal(check_buf(&a, &z, 0, 0, &r), REG_EINVAL);
    printf("damaged: %s\n", reg_error_detail());
    assert_non_null(strstr(reg_error_detail(), "data.txt"));
    assert_int_equal(patch(&z, "0123456789abcdeF", "0123456789abcdef", 16, true), 1);
    assert_int_equal(check_buf(&a, &z, 0, 0, &r), REG_OK);

    reg_buf_init(&junk, ZIP_MAX);
    assert_int_equal(reg_buf_append(&junk, "#!/bin/sh\nexit 0\n", 17), REG_OK);
    assert_int_equal(reg_buf_append(&junk, z.data, z.len), REG_OK);
    assert_int_equal(check_buf(&a, &junk, 0, 0, &r), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "prepended"));
    reg_buf_cleanup(&junk);

    assert_int_equal(reg_zipcheck_memory(&a, z.data, z.len - 10, NULL, &r), REG_EINVAL);
    assert_int_equal(reg_zipcheck_memory(&a, "PK\5\6", 4, NULL, &r), REG_EINVAL);
    assert_int_equal(reg_zipcheck_memory(&a, NULL, 0, NULL, &r), REG_EINVAL);
    assert_int_equal(reg_zipcheck_memory(&a, readme_text, strlen(readme_text), NULL, &r),
                     REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "not an acceptable zip"));
    reg_buf_cleanup(&z);
    reg_arena_cleanup(&a);
}

/* The offset of the local header of the entry called name, or -1. */
static long
local_header(const struct reg_buf *z, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i + 30 + n <= z->len; i++)
        if (memcmp(z->data + i, "PK\3\4", 4) == 0 && memcmp(z->data + i + 30, name, n) == 0)
            return (long)i;
    return -1;
}

/* One lie in a record: which record ('E' the end record, 'C' the central header of
 * harmless.txt, 'L' its local header), the field's offset in it, the value written (little
 * endian, width bytes; a 4-byte write at the end record's count fields sets both), the detail. */
struct lie {
    char record;
    int field, width;
    uint32_t value;
    const char *detail;
};

/* Directories and headers that lie about the zip, patched into a clean one: each refused with
 * the reason, before any entry is trusted. */
static void
test_directory_lies(void **state)
{
    const struct spec entries[] = {
        {"README.md", 0, readme_text, 0, NULL},
        {"harmless.txt", 0, "x", 0, NULL},
    };
    static const struct lie lies[] = {
        {'E', 4, 2, 1, "not an acceptable zip: a multi-disk zip"},
        {'E', 8, 4, 0xffffffffu, "a Zip64 end record is announced but missing"},
        {'E', 8, 4, 0x000a000au, "the central directory is shorter than its entry count"},
        {'E', 8, 4, 0x00010001u, "the central directory holds more than its entry count"},
        {'E', 16, 4, 0, "the central directory does not end where the end record starts"},
        {'C', 0, 4, 0x58585858u, "a damaged central directory"},
        {'C', 42, 4, 5, "'harmless.txt': its local header is missing"},
        {'L', 6, 2, 1, "'harmless.txt': it is encrypted"},
    };
    struct reg_zip_report r;
    struct reg_arena a;
    struct reg_buf z;
    int bad = 0;

    (void)state;
    reg_arena_init(&a);
    for (int i = 0; i < NELEMS(lies); i++) {
        const struct lie *l = &lies[i];
        long at;

        make_zip(&z, entries, NELEMS(entries), NULL, NULL, true);
        assert_int_equal(check_buf(&a, &z, 0, 0, &r), REG_OK);
        at = l->record == 'E'   ? (long)z.len - 22
             : l->record == 'C' ? central_header(&z, "harmless.txt")
                                : local_header(&z, "harmless.txt");
        assert_true(at > 0);
        for (int k = 0; k < l->width; k++)
            z.data[at + l->field + k] = (char)(l->value >> (8 * k));
        CHECK(&bad,
              check_buf(&a, &z, 0, 0, &r) == REG_EINVAL && strstr(reg_error_detail(), l->detail),
              "lie %d: '%s', want '%s'", i, reg_error_detail(), l->detail);
        reg_buf_cleanup(&z);
    }
    reg_arena_cleanup(&a);
    assert_int_equal(bad, 0);
}

/* The offset of the first occurrence of the 4-byte signature sig in z, or -1. */
static long
find_sig(const struct reg_buf *z, const char *sig)
{
    for (size_t i = 0; i + 4 <= z->len; i++)
        if (memcmp(z->data + i, sig, 4) == 0)
            return (long)i;
    return -1;
}

/* Zip64 end records and locators that lie, patched into a clean Zip64 zip. */
static void
test_zip64_lies(void **state)
{
    const struct spec entries[] = {
        {"README.md", 0, readme_text, 0, NULL},
        {"harmless.txt", 0, "x", 0, NULL},
    };
    static const struct {
        const char *sig; /* the record: "PK\6\6" the end record, "PK\6\7" its locator */
        int field, width;
        uint32_t value;
        const char *detail;
    } lies[] = {
        {"PK\6\7", 4, 4, 1, "a Zip64 end record is announced but missing"},
        {"PK\6\7", 16, 4, 2, "a Zip64 end record is announced but missing"},
        {"PK\6\6", 4, 4, 100, "data between the Zip64 end record and its locator"},
        {"PK\6\6", 16, 4, 1, "a multi-disk zip"},
        {"PK\6\6", 48, 4, 0, "the central directory does not end where the Zip64 end record"},
    };
    struct reg_zip_report r;
    struct reg_arena a;
    struct reg_buf z;
    int bad = 0;

    (void)state;
    reg_arena_init(&a);
    for (int i = 0; i < NELEMS(lies); i++) {
        long at;

        make_zip(&z, entries, NELEMS(entries), "zip:zip64", NULL, true);
        assert_int_equal(check_buf(&a, &z, 0, 0, &r), REG_OK);
        at = find_sig(&z, lies[i].sig);
        assert_true(at > 0);
        for (int k = 0; k < lies[i].width; k++)
            z.data[at + lies[i].field + k] = (char)(lies[i].value >> (8 * k));
        CHECK(&bad,
              check_buf(&a, &z, 0, 0, &r) == REG_EINVAL &&
                  strstr(reg_error_detail(), lies[i].detail),
              "lie %d: '%s', want '%s'", i, reg_error_detail(), lies[i].detail);
        reg_buf_cleanup(&z);
    }
    reg_arena_cleanup(&a);
    assert_int_equal(bad, 0);
}

/* What is not a zip at all, a missing buffer or file, and names the rule refuses outright. */
static void
test_not_zips(void **state)
{
    static char junk[200], long_name[REG_ZIPCHECK_NAME_MAX + 2];
    struct reg_zip_report r;
    struct reg_arena a;

    (void)state;
    reg_arena_init(&a);
    assert_int_equal(reg_zipcheck_memory(&a, "PK\5\6", 4, NULL, &r), REG_EINVAL);
    assert_string_equal(reg_error_detail(), "not an acceptable zip: too short");
    memset(junk, 'x', sizeof(junk));
    assert_int_equal(reg_zipcheck_memory(&a, junk, sizeof(junk), NULL, &r), REG_EINVAL);
    assert_string_equal(reg_error_detail(),
                        "not an acceptable zip: no end of central directory record");
    assert_int_equal(reg_zipcheck_memory(&a, NULL, 5, NULL, &r), REG_EINVAL);
    assert_string_equal(reg_error_detail(), "reg_zipcheck_memory: no data");

    assert_int_equal(reg_zipcheck_file(&a, "/nonexistent/x.zip", NULL, &r), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "cannot open the zip /nonexistent/x.zip"));
    assert_int_equal(reg_zipcheck_file(&a, "/", NULL, &r), REG_EINVAL);
    assert_string_equal(reg_error_detail(), "the zip / is not a regular file");

    assert_int_equal(reg_zipcheck_name("", 0), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "an empty name"));
    memset(long_name, 'a', sizeof(long_name) - 1);
    assert_int_equal(reg_zipcheck_name(long_name, strlen(long_name)), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "a name longer than the limit of the registry"));
    assert_non_null(strstr(reg_error_detail(), "aaa...")); /* shown cut */
    reg_arena_cleanup(&a);
}

/* The name rule on its own, as lib/bundle/bundle.c uses it. */
static void
test_name_rule(void **state)
{
    static const struct {
        const char *name;
        bool ok;
    } cases[] = {
        {"README.md", true}, {"onnx/model.onnx", true},
        {"dir/", true},      {"caf\xc3\xa9/menu.txt", true},
        {"a..b/c..", true},  {".gitattributes", true},
        {"", false},         {"/", false},
        {"dir//", false},    {"..", false},
        {"a/..", false},     {"a/./b", false},
        {"a\\b", false},     {"c:x", false},
        {"x\x7f", false},
    };
    int bad = 0;

    (void)state;
    for (int i = 0; i < NELEMS(cases); i++) {
        enum reg_status st = reg_zipcheck_name(cases[i].name, strlen(cases[i].name));

        CHECK(&bad, (st == REG_OK) == cases[i].ok, "'%s': status %d (%s)", cases[i].name, st,
              reg_error_detail());
    }
    assert_int_equal(reg_zipcheck_name("a\0b", 3), REG_EINVAL);
    assert_int_equal(bad, 0);
}

/* ---------------------------------------------------------------- the observer */

/* What an observer saw: the files in order, each with its byte count, and its calls' shape. */
struct seen {
    char names[8][64];
    int64_t bytes[8];
    int n;
    bool open;      /* between begin and end */
    bool bad_order; /* data outside a file, or begin inside one */
    int fail_at;    /* begin of this file (1-based) returns REG_EDISQUALIFIED; 0: never */
};

static enum reg_status
seen_begin(void *ctx, const char *path)
{
    struct seen *s = ctx;

    s->bad_order |= s->open || s->n == 8;
    if (s->n == 8)
        return REG_EINTERNAL;
    snprintf(s->names[s->n], sizeof(s->names[s->n]), "%s", path);
    s->bytes[s->n] = 0;
    s->open = true;
    if (++s->n == s->fail_at)
        return reg_errorf(REG_EDISQUALIFIED, "refused %s", path);
    return REG_OK;
}

static enum reg_status
seen_data(void *ctx, const void *buf, size_t len)
{
    struct seen *s = ctx;

    (void)buf;
    s->bad_order |= !s->open;
    if (s->n > 0)
        s->bytes[s->n - 1] += (int64_t)len;
    return REG_OK;
}

static enum reg_status
seen_end(void *ctx)
{
    struct seen *s = ctx;

    s->bad_order |= !s->open;
    s->open = false;
    return REG_OK;
}

/* Every regular file, in order, whole (directories never); an observer's refusal is the zip's. */
static void
test_observer(void **state)
{
    static const struct spec entries[] = {
        {"README.md", 0, "# hello\n", 0, NULL},
        {"weights/", AE_IFDIR, NULL, 0, NULL},
        {"weights/w.bin", 0, NULL, 3 * MB + 5, NULL},
        {"config.json", 0, "{}", 0, NULL},
    };
    struct seen seen = {0};
    struct reg_zip_observer obs = {&seen, seen_begin, seen_data, seen_end};
    struct reg_zipcheck_limits lim = {0, 0, &obs};
    struct reg_zip_report r;
    struct reg_arena a;
    struct reg_buf z;

    (void)state;
    reg_arena_init(&a);
    make_zip(&z, entries, NELEMS(entries), NULL, NULL, false);
    assert_int_equal(reg_zipcheck_memory(&a, z.data, z.len, &lim, &r), REG_OK);
    assert_int_equal(seen.n, 3);
    assert_false(seen.bad_order || seen.open);
    assert_string_equal(seen.names[0], "README.md");
    assert_int_equal(seen.bytes[0], 8);
    assert_string_equal(seen.names[1], "weights/w.bin");
    assert_int_equal(seen.bytes[1], 3 * MB + 5);
    assert_string_equal(seen.names[2], "config.json");
    assert_int_equal(seen.bytes[2], 2);
    memset(&seen, 0, sizeof(seen));
    seen.fail_at = 2;
    assert_int_equal(reg_zipcheck_memory(&a, z.data, z.len, &lim, &r), REG_EDISQUALIFIED);
    assert_string_equal(reg_error_detail(), "refused weights/w.bin");
    assert_int_equal(seen.n, 2);
    reg_buf_cleanup(&z);
    reg_arena_cleanup(&a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_zip),        cmocka_unit_test(test_wrapped_in_one_folder),
        cmocka_unit_test(test_text_limits),      cmocka_unit_test(test_bad_entries),
        cmocka_unit_test(test_patched_names),    cmocka_unit_test(test_encrypted),
        cmocka_unit_test(test_too_many_entries), cmocka_unit_test(test_zip_bomb),
        cmocka_unit_test(test_damaged),          cmocka_unit_test(test_name_rule),
        cmocka_unit_test(test_observer),         cmocka_unit_test(test_directory_lies),
        cmocka_unit_test(test_zip64_lies),       cmocka_unit_test(test_not_zips),
    };

    return cmocka_run_group_tests_name("bundle/zipcheck", tests, NULL, NULL);
}
