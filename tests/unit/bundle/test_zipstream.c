/*
 * test_zipstream.c - the streaming zip writer (lib/bundle/zipstream.c). Zips of a few cases (no
 * entry, one empty file, several files, non-ASCII names) are written through the writer and
 * checked against the layout (total length, offsets of headers and data, the records' fields),
 * for determinism (the same bytes whatever the chunking), and read back by libarchive (the
 * seekable reader on a file and the streaming reader without seeking) and by Python's zipfile.
 * Zip64: 70,000 tiny entries (the entry-count path) in memory, and an entry of 4.5 GiB followed
 * by a small one (sizes and a local header offset past 4 GiB) in a sparse file of a temp
 * directory. Misuse: data longer or shorter than declared, calls out of order, refused names,
 * sizes too large, a sink failing at each of its calls in turn, calls after a failure.
 */
#include "unit.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "base/buf.h"
#include "bundle/zipstream.h"
#include "tmpdir_fixture.h"

#define KB 1024
#define MB (1024 * 1024)
#define GB ((int64_t)1024 * MB)
#define ZIP_MAX ((size_t)64 * MB)
#define PYTHON "/usr/bin/python3"
/* The few entries of a case, at most. */
#define CASE_MAX 6
/* Entries of the entry-count Zip64 test (more than 0xFFFF). */
#define MANY_ENTRIES 70000
#define NAME_CAP 16
/* Records around the data (the lengths of APPNOTE 4.3.7, 4.3.9, 4.3.12, 4.3.14 to 4.3.16). */
#define LOCAL_LEN 30
#define CENTRAL_LEN 46
#define END_LEN 22
#define LOCATOR64_LEN 20
#define END64_LEN 56
/* Where the 4.5 GiB sparse file goes when it can (else /tmp): reading a hole of tmpfs is a copy
 * of the zero page, of ext4 a page zeroed and cached for each 4 KiB (seconds per GiB). */
#define SPARSE_DIR "/dev/shm"

/* ---------------------------------------------------------------- data and sinks */

/* The entry whose data is all zeros (the 4.5 GiB one), or -1: the others get byte_at's bytes. */
static int zero_entry = -1;

static unsigned char
byte_at(int entry, int64_t off)
{
    uint64_t x = (uint64_t)off * 0x9E3779B97F4A7C15u + (uint64_t)entry * 0xBF58476D1CE4E5B9u;

    return (unsigned char)((x >> 56) ^ (x >> 29));
}

static void
fill(unsigned char *p, int entry, int64_t off, size_t len)
{
    if (entry == zero_entry) {
        memset(p, 0, len);
        return;
    }
    for (size_t k = 0; k < len; k++)
        p[k] = byte_at(entry, off + (int64_t)k);
}

static bool
all_zero(const unsigned char *p, size_t len)
{
    return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

/* Whether p[0..len) is entry's data from off on. */
static bool
data_ok(const unsigned char *p, int entry, int64_t off, size_t len)
{
    if (entry == zero_entry)
        return all_zero(p, len);
    for (size_t k = 0; k < len; k++) {
        if (p[k] != byte_at(entry, off + (int64_t)k))
            return false;
    }
    return true;
}

static uint32_t
crc_of(int entry, int64_t size)
{
    static unsigned char chunk[64 * KB];
    uLong crc = crc32(0, Z_NULL, 0);

    for (int64_t off = 0; off < size;) {
        size_t n = size - off < (int64_t)sizeof(chunk) ? (size_t)(size - off) : sizeof(chunk);

        fill(chunk, entry, off, n);
        crc = crc32_z(crc, chunk, n);
        off += (int64_t)n;
    }
    return (uint32_t)crc;
}

static enum reg_status
to_buf(void *ctx, const void *data, size_t len)
{
    return reg_buf_append(ctx, data, len);
}

/* A file sink that seeks over all-zero chunks instead of writing them: a sparse file. */
struct file_sink {
    int fd;
    int64_t offset;
};

static enum reg_status
to_sparse_file(void *ctx, const void *data, size_t len)
{
    struct file_sink *s = ctx;
    const unsigned char *p = data;

    if (len >= 4 * KB && all_zero(p, len)) {
        if (lseek(s->fd, (off_t)len, SEEK_CUR) < 0)
            return reg_errorf(REG_ESTORE, "lseek failed");
    } else {
        for (size_t done = 0; done < len;) {
            ssize_t k = write(s->fd, p + done, len - done);

            if (k <= 0)
                return reg_errorf(REG_ESTORE, "write failed");
            done += (size_t)k;
        }
    }
    s->offset += (int64_t)len;
    return REG_OK;
}

/* A memory sink that fails at its call number fail_at (1-based) and counts calls after it. */
struct failing_sink {
    struct reg_buf buf;
    int calls;
    int fail_at;
    int calls_after;
};

static enum reg_status
to_failing(void *ctx, const void *data, size_t len)
{
    struct failing_sink *s = ctx;

    s->calls++;
    if (s->calls == s->fail_at)
        return reg_errorf(REG_ESTORE, "injected failure at call %d", s->calls);
    if (s->calls > s->fail_at)
        s->calls_after++;
    return reg_buf_append(&s->buf, data, len);
}

/* ---------------------------------------------------------------- writing */

/* Chunk sizes cycled through while streaming an entry: tiny, empty, around the buffer, large. */
static const size_t mixed_chunks[] = {1, 0, 7, 4095, 4096, 5000, 65536, 300};
static const size_t whole_chunks[] = {(size_t)1 << 20};

/* Streams every entry's data in chunks of the sizes given (cycled), then finishes; the first
 * failure is returned. */
static enum reg_status
stream(struct reg_zip_writer *w, const struct reg_zip_entry *e, int n, const size_t *sizes,
       int nsizes, int64_t *written)
{
    static unsigned char chunk[MB];
    enum reg_status st;

    for (int i = 0; i < n; i++) {
        int k = 0;

        st = reg_zip_begin(w, i);
        if (st != REG_OK)
            return st;
        for (int64_t off = 0; off < e[i].size;) {
            size_t len = sizes[k++ % nsizes];

            if ((int64_t)len > e[i].size - off)
                len = (size_t)(e[i].size - off);
            fill(chunk, i, off, len);
            st = reg_zip_write(w, chunk, len);
            if (st != REG_OK)
                return st;
            off += (int64_t)len;
        }
        st = reg_zip_end(w);
        if (st != REG_OK)
            return st;
    }
    return reg_zip_finish(w, written);
}

/* The zip of e[0..n) into out (initialised here), checked against the layout's total. */
static void
write_zip(struct reg_buf *out, struct reg_zip_entry *e, int n, const size_t *sizes, int nsizes)
{
    struct reg_zip_writer w;
    int64_t total = -1, written = -1;

    assert_int_equal(reg_zip_layout(e, n, NULL, &total), REG_OK);
    reg_buf_init(out, ZIP_MAX);
    assert_int_equal(reg_zip_writer_init(&w, e, n, to_buf, out), REG_OK);
    assert_int_equal(stream(&w, e, n, sizes, nsizes, &written), REG_OK);
    assert_int_equal(written, total);
    assert_int_equal((int64_t)out->len, total);
}

/* ---------------------------------------------------------------- cases */

struct file {
    const char *name;
    int64_t size;
};

struct zcase {
    const char *label;
    int n;
    struct file files[CASE_MAX];
};

static const struct zcase cases[] = {
    {"no entry", 0, {{NULL, 0}}},
    {"one empty file", 1, {{"empty.txt", 0}}},
    {"several files",
     5,
     {{"README.md", 120},
      {"config.json", 33},
      {"onnx/model.onnx", 10000},
      {"weights/model.safetensors", 70000},
      {"z", 1}}},
    {"non-ASCII names",
     4,
     {{"\xc3\xa9t\xc3\xa9/r\xc3\xa9sum\xc3\xa9.txt", 50},
      {"\xe6\xa8\xa1\xe5\x9e\x8b/\xe6\x9d\x83\xe9\x87\x8d.bin", 5000},
      {"empty-\xf0\x9f\x98\x80", 0},
      {"plain.txt", 3}}},
};

static int
case_entries(const struct zcase *c, struct reg_zip_entry *e)
{
    for (int i = 0; i < c->n; i++)
        e[i] = (struct reg_zip_entry){.name = c->files[i].name, .size = c->files[i].size};
    return c->n;
}

/* ---------------------------------------------------------------- reading records */

static uint32_t
le16(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t
le32(const unsigned char *p)
{
    return le16(p) | le16(p + 2) << 16;
}

static uint64_t
le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static bool
is_ascii(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s >= 0x80)
            return false;
    }
    return true;
}

/* Checks entry i's local header, data and data descriptor in the zip z at the layout's
 * offsets; returns the number of failed checks. */
static int
check_entry_bytes(const unsigned char *z, const struct reg_zip_entry *e, int i,
                  const struct reg_zip_offsets *o)
{
    const unsigned char *h = z + o->header, *d = z + o->data + e[i].size;
    size_t name_len = strlen(e[i].name);
    uint32_t flags = 0x0008 | (is_ascii(e[i].name) ? 0 : 0x0800);
    int bad = 0;

    CHECK(&bad, le32(h) == 0x04034b50, "entry %d: local header signature", i);
    CHECK(&bad, le16(h + 4) == 20, "entry %d: version needed %u", i, le16(h + 4));
    CHECK(&bad, le16(h + 6) == flags, "entry %d: flags %#x", i, le16(h + 6));
    CHECK(&bad, le16(h + 8) == 0 && le16(h + 10) == 0 && le16(h + 12) == 0x21,
          "entry %d: method, time, date", i);
    CHECK(&bad, le32(h + 14) == 0 && le32(h + 18) == 0 && le32(h + 22) == 0,
          "entry %d: CRC and sizes in the local header", i);
    CHECK(&bad, le16(h + 26) == name_len && le16(h + 28) == 0, "entry %d: name/extra length", i);
    CHECK(&bad, memcmp(h + LOCAL_LEN, e[i].name, name_len) == 0, "entry %d: name", i);
    CHECK(&bad, o->data == o->header + LOCAL_LEN + (int64_t)name_len, "entry %d: data offset", i);
    CHECK(&bad, data_ok(z + o->data, i, 0, (size_t)e[i].size), "entry %d: data", i);
    CHECK(&bad, le32(d) == 0x08074b50 && le32(d + 4) == e[i].crc, "entry %d: descriptor", i);
    CHECK(&bad, le32(d + 8) == e[i].size && le32(d + 12) == e[i].size, "entry %d: descriptor sizes",
          i);
    CHECK(&bad, e[i].crc == crc_of(i, e[i].size), "entry %d: crc field %#x", i, e[i].crc);
    return bad;
}

static void
save(const char *path, const struct reg_buf *z)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(z->data, 1, z->len, f), z->len);
    assert_int_equal(fclose(f), 0);
}

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------- libarchive */

/* Reads every entry of an opened archive and compares names, sizes and bytes with e[0..n);
 * streaming: the streaming reader, which learns a size only from the data descriptor. Returns
 * the number of failed checks and frees the archive. */
static int
read_back(struct archive *ar, const struct reg_zip_entry *e, int n, bool streaming)
{
    struct archive_entry *ae;
    int i = 0, bad = 0, r;

    while ((r = archive_read_next_header(ar, &ae)) == ARCHIVE_OK && i < n) {
        const char *name = archive_entry_pathname_utf8(ae);
        int64_t got = 0;
        const void *block;
        size_t len;
        la_int64_t at;

        CHECK(&bad, name && strcmp(name, e[i].name) == 0, "entry %d: name '%s'", i,
              name ? name : "(null)");
        if (streaming)
            CHECK(&bad, e[i].size == 0 || !archive_entry_size_is_set(ae),
                  "entry %d: the streaming reader knew the size", i);
        else
            CHECK(&bad, archive_entry_size_is_set(ae) && archive_entry_size(ae) == e[i].size,
                  "entry %d: size %lld", i, (long long)archive_entry_size(ae));
        CHECK(&bad, archive_entry_filetype(ae) == AE_IFREG, "entry %d: not a file", i);
        if (!streaming) /* the mode is in the central directory only */
            CHECK(&bad, archive_entry_perm(ae) == 0644, "entry %d: mode %o", i,
                  (unsigned)archive_entry_mode(ae));
        while ((r = archive_read_data_block(ar, &block, &len, &at)) == ARCHIVE_OK) {
            CHECK(&bad, at == got, "entry %d: block at %lld, expected %lld", i, (long long)at,
                  (long long)got);
            CHECK(&bad, data_ok(block, i, got, len), "entry %d: data at %lld", i, (long long)got);
            got += (int64_t)len;
        }
        CHECK(&bad, r == ARCHIVE_EOF, "entry %d: %s", i, archive_error_string(ar));
        CHECK(&bad, got == e[i].size, "entry %d: read %lld bytes", i, (long long)got);
        i++;
    }
    CHECK(&bad, r == ARCHIVE_EOF, "after %d entries: %s", i, archive_error_string(ar));
    CHECK(&bad, i == n, "read %d entries of %d", i, n);
    archive_read_free(ar);
    return bad;
}

static int
read_file_seekable(const char *path, const struct reg_zip_entry *e, int n)
{
    struct archive *ar = archive_read_new();

    assert_non_null(ar);
    assert_int_equal(archive_read_support_format_zip(ar), ARCHIVE_OK);
    assert_int_equal(archive_read_open_filename(ar, path, MB), ARCHIVE_OK);
    return read_back(ar, e, n, false);
}

/* The zip handed to libarchive in pieces by a read callback without a seek callback, so that
 * the streaming zip reader (not the seekable one) reads it. */
struct mem_source {
    const unsigned char *data;
    size_t len;
    size_t pos;
};

static la_ssize_t
mem_read(struct archive *ar, void *ctx, const void **out)
{
    struct mem_source *m = ctx;
    size_t n = m->len - m->pos < 10000 ? m->len - m->pos : 10000;

    (void)ar;
    *out = m->data + m->pos;
    m->pos += n;
    return (la_ssize_t)n;
}

/* The same from a file descriptor, still without a seek callback. */
static la_ssize_t
fd_read(struct archive *ar, void *ctx, const void **out)
{
    static unsigned char block[MB];
    int *fd = ctx;
    ssize_t n = read(*fd, block, sizeof(block));

    (void)ar;
    *out = block;
    return (la_ssize_t)n;
}

static int
read_fd_streaming(int fd, const struct reg_zip_entry *e, int n)
{
    struct archive *ar = archive_read_new();

    assert_non_null(ar);
    assert_int_equal(archive_read_support_format_zip(ar), ARCHIVE_OK);
    assert_int_equal(archive_read_open(ar, &fd, NULL, fd_read, NULL), ARCHIVE_OK);
    return read_back(ar, e, n, true);
}

static int
read_memory_streaming(const struct reg_buf *z, const struct reg_zip_entry *e, int n)
{
    struct archive *ar = archive_read_new();
    struct mem_source m = {(const unsigned char *)z->data, z->len, 0};

    assert_non_null(ar);
    assert_int_equal(archive_read_support_format_zip(ar), ARCHIVE_OK);
    assert_int_equal(archive_read_open(ar, &m, NULL, mem_read, NULL), ARCHIVE_OK);
    return read_back(ar, e, n, true);
}

/* ---------------------------------------------------------------- Python's zipfile */

static const char py_script[] =
    "import sys, zipfile\n"
    "z = zipfile.ZipFile(sys.argv[1])\n"
    "assert z.testzip() is None\n"
    "for i in z.infolist():\n"
    "    print(i.filename.encode('utf-8').hex(), i.file_size, i.compress_size, i.header_offset,\n"
    "          i.CRC, i.flag_bits, i.compress_type, i.create_system, i.external_attr >> 16,\n"
    "          int(i.date_time == (1980, 1, 1, 0, 0, 0)))\n";

static void
hex_of(const char *s, char *out, size_t cap)
{
    size_t o = 0;

    for (; *s && o + 3 <= cap; s++)
        o += (size_t)snprintf(out + o, cap - o, "%02x", (unsigned char)*s);
    out[o] = '\0';
}

/* Runs zipfile on dir/name (testzip, then every entry's fields) and compares with e[0..n) and
 * the layout's offsets; returns the number of failed checks. */
static int
python_check(const char *dir, const char *zip_path, const struct reg_zip_entry *e, int n,
             const struct reg_zip_offsets *offsets)
{
    char script[256], cmd[768], line[1024];
    FILE *f, *p;
    int i = 0, bad = 0, rc;

    snprintf(script, sizeof(script), "%s/check.py", dir);
    f = fopen(script, "w");
    assert_non_null(f);
    assert_int_equal(fputs(py_script, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof(cmd), "%s %s %s", PYTHON, script, zip_path);
    p = popen(cmd, "r");
    assert_non_null(p);
    while (fgets(line, sizeof(line), p)) {
        char hex[600], want[600];
        long long size, csize, off;
        unsigned long crc;
        int flags, method, sys, mode, epoch;

        if (sscanf(line, "%599s %lld %lld %lld %lu %d %d %d %d %d", hex, &size, &csize, &off, &crc,
                   &flags, &method, &sys, &mode, &epoch) != 10 ||
            i >= n) {
            CHECK(&bad, false, "zipfile line %d: %s", i, line);
            i++;
            continue;
        }
        hex_of(e[i].name, want, sizeof(want));
        CHECK(&bad, strcmp(hex, want) == 0, "zipfile entry %d: name %s", i, hex);
        CHECK(&bad, size == e[i].size && csize == e[i].size, "zipfile entry %d: size %lld/%lld", i,
              size, csize);
        CHECK(&bad, off == offsets[i].header, "zipfile entry %d: header offset %lld", i, off);
        CHECK(&bad, crc == e[i].crc, "zipfile entry %d: CRC %#lx", i, crc);
        CHECK(&bad, flags == (is_ascii(e[i].name) ? 0x0008 : 0x0808), "zipfile entry %d: flags", i);
        CHECK(&bad, method == 0 && sys == 3 && mode == 0100644 && epoch == 1,
              "zipfile entry %d: method %d, system %d, mode %o, 1980 %d", i, method, sys,
              (unsigned)mode, epoch);
        i++;
    }
    rc = pclose(p);
    CHECK(&bad, WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "zipfile failed (status %d)", rc);
    CHECK(&bad, i == n, "zipfile listed %d entries of %d", i, n);
    unlink(script);
    return bad;
}

/* ---------------------------------------------------------------- the cases */

/* The layout's total is what the writer writes; offsets point at the headers and the data. */
static void
test_layout_matches_bytes(void **state)
{
    int bad = 0;

    (void)state;
    for (int c = 0; c < NELEMS(cases); c++) {
        struct reg_zip_entry e[CASE_MAX];
        struct reg_zip_offsets o[CASE_MAX];
        int n = case_entries(&cases[c], e);
        int64_t total = -1;
        struct reg_buf z;
        const unsigned char *end;

        assert_int_equal(reg_zip_layout(e, n, o, &total), REG_OK);
        write_zip(&z, e, n, mixed_chunks, NELEMS(mixed_chunks));
        CHECK(&bad, (int64_t)z.len == total, "%s: wrote %zu, laid out %lld", cases[c].label, z.len,
              (long long)total);
        for (int i = 0; i < n; i++) {
            int64_t off = -1, size = -1;

            bad += check_entry_bytes((const unsigned char *)z.data, e, i, &o[i]);
            assert_int_equal(reg_zip_locate(e, n, i, &off, &size), REG_OK);
            CHECK(&bad, off == o[i].data && size == e[i].size, "%s: locate %d", cases[c].label, i);
        }
        end = (const unsigned char *)z.data + z.len - END_LEN;
        CHECK(&bad,
              le32(end) == 0x06054b50 && le16(end + 8) == (uint32_t)n &&
                  le16(end + 10) == (uint32_t)n && le16(end + 20) == 0,
              "%s: end record", cases[c].label);
        CHECK(&bad, le32(end + 16) + le32(end + 12) + END_LEN == z.len,
              "%s: the directory ends where the end record starts", cases[c].label);
        reg_buf_cleanup(&z);
    }
    assert_int_equal(bad, 0);
}

/* An empty zip is the end record alone (22 bytes); e may be NULL then. */
static void
test_empty_zip(void **state)
{
    static const unsigned char want[END_LEN] = {0x50, 0x4b, 0x05, 0x06};
    struct reg_zip_writer w;
    struct reg_buf z;
    int64_t total = -1, written = -1;

    (void)state;
    assert_int_equal(reg_zip_layout(NULL, 0, NULL, &total), REG_OK);
    assert_int_equal(total, END_LEN);
    reg_buf_init(&z, ZIP_MAX);
    assert_int_equal(reg_zip_writer_init(&w, NULL, 0, to_buf, &z), REG_OK);
    assert_int_equal(reg_zip_finish(&w, &written), REG_OK);
    assert_int_equal(written, END_LEN);
    assert_int_equal(z.len, END_LEN);
    assert_memory_equal(z.data, want, END_LEN);
    reg_buf_cleanup(&z);
}

/* The same entries give the same bytes, however the data is chunked. */
static void
test_deterministic(void **state)
{
    (void)state;
    for (int c = 0; c < NELEMS(cases); c++) {
        struct reg_zip_entry e[CASE_MAX];
        int n = case_entries(&cases[c], e);
        struct reg_buf a, b, d;

        write_zip(&a, e, n, mixed_chunks, NELEMS(mixed_chunks));
        write_zip(&b, e, n, mixed_chunks, NELEMS(mixed_chunks));
        write_zip(&d, e, n, whole_chunks, NELEMS(whole_chunks));
        assert_int_equal(a.len, b.len);
        assert_int_equal(a.len, d.len);
        assert_memory_equal(a.data, b.data, a.len);
        assert_memory_equal(a.data, d.data, a.len);
        reg_buf_cleanup(&a);
        reg_buf_cleanup(&b);
        reg_buf_cleanup(&d);
    }
}

/* libarchive's seekable reader (a file) and streaming reader (no seek) read every entry back. */
static void
test_libarchive_reads_back(void **state)
{
    char dir[64], path[128];
    int bad = 0;

    (void)state;
    tmpdir_make(dir, sizeof(dir), "/tmp", "test_zipstream");
    snprintf(path, sizeof(path), "%s/case.zip", dir);
    for (int c = 0; c < NELEMS(cases); c++) {
        struct reg_zip_entry e[CASE_MAX];
        int n = case_entries(&cases[c], e), b;
        struct reg_buf z;

        write_zip(&z, e, n, mixed_chunks, NELEMS(mixed_chunks));
        save(path, &z);
        b = read_file_seekable(path, e, n);
        CHECK(&bad, b == 0, "%s: seekable reader, %d failed checks", cases[c].label, b);
        b = read_memory_streaming(&z, e, n);
        CHECK(&bad, b == 0, "%s: streaming reader, %d failed checks", cases[c].label, b);
        reg_buf_cleanup(&z);
    }
    unlink(path);
    assert_int_equal(rmdir(dir), 0);
    assert_int_equal(bad, 0);
}

/* Python's zipfile: testzip() passes; names, sizes, offsets, CRCs and attributes as written. */
static void
test_python_zipfile(void **state)
{
    char dir[64], path[128];
    int bad = 0;

    (void)state;
    tmpdir_make(dir, sizeof(dir), "/tmp", "test_zipstream");
    snprintf(path, sizeof(path), "%s/case.zip", dir);
    for (int c = 0; c < NELEMS(cases); c++) {
        struct reg_zip_entry e[CASE_MAX];
        struct reg_zip_offsets o[CASE_MAX];
        int n = case_entries(&cases[c], e), b;
        int64_t total;
        struct reg_buf z;

        assert_int_equal(reg_zip_layout(e, n, o, &total), REG_OK);
        write_zip(&z, e, n, mixed_chunks, NELEMS(mixed_chunks));
        save(path, &z);
        b = python_check(dir, path, e, n, o);
        CHECK(&bad, b == 0, "%s: %d failed checks", cases[c].label, b);
        reg_buf_cleanup(&z);
    }
    unlink(path);
    assert_int_equal(rmdir(dir), 0);
    assert_int_equal(bad, 0);
}

/* 70,000 one-byte entries: the Zip64 end record and locator, 0xFFFF in the classic counts. */
static void
test_zip64_many_entries(void **state)
{
    char *names = malloc((size_t)MANY_ENTRIES * NAME_CAP);
    struct reg_zip_entry *e = calloc(MANY_ENTRIES, sizeof(*e));
    struct reg_zip_offsets *o = calloc(MANY_ENTRIES, sizeof(*o));
    char dir[64], path[128];
    const unsigned char *end, *loc, *end64;
    int64_t total, cd_size, cd_offset;
    struct reg_buf z;
    int bad = 0;

    (void)state;
    assert_non_null(names);
    assert_non_null(e);
    assert_non_null(o);
    for (int i = 0; i < MANY_ENTRIES; i++) {
        snprintf(names + (size_t)i * NAME_CAP, NAME_CAP, "d/%05d", i);
        e[i] = (struct reg_zip_entry){.name = names + (size_t)i * NAME_CAP, .size = 1};
    }
    assert_int_equal(reg_zip_layout(e, MANY_ENTRIES, o, &total), REG_OK);
    write_zip(&z, e, MANY_ENTRIES, mixed_chunks, NELEMS(mixed_chunks));

    end = (const unsigned char *)z.data + z.len - END_LEN;
    loc = end - LOCATOR64_LEN;
    end64 = loc - END64_LEN;
    cd_offset = o[MANY_ENTRIES - 1].data + 1 + 16;
    cd_size = (int64_t)(end64 - (const unsigned char *)z.data) - cd_offset;
    assert_int_equal(le32(end), 0x06054b50);
    assert_int_equal(le16(end + 8), 0xFFFF);
    assert_int_equal(le16(end + 10), 0xFFFF);
    assert_int_equal(le32(end + 12), cd_size);
    assert_int_equal(le32(end + 16), cd_offset);
    assert_int_equal(le32(loc), 0x07064b50);
    assert_int_equal(le32(loc + 4), 0);
    assert_int_equal(le64(loc + 8), (uint64_t)(end64 - (const unsigned char *)z.data));
    assert_int_equal(le32(loc + 16), 1);
    assert_int_equal(le32(end64), 0x06064b50);
    assert_int_equal(le64(end64 + 4), 44);
    assert_int_equal(le16(end64 + 12), (3 << 8) | 45);
    assert_int_equal(le16(end64 + 14), 45);
    assert_int_equal(le64(end64 + 24), MANY_ENTRIES);
    assert_int_equal(le64(end64 + 32), MANY_ENTRIES);
    assert_int_equal(le64(end64 + 40), cd_size);
    assert_int_equal(le64(end64 + 48), cd_offset);
    for (int i = 0; i < MANY_ENTRIES; i += 9999)
        bad += check_entry_bytes((const unsigned char *)z.data, e, i, &o[i]);

    tmpdir_make(dir, sizeof(dir), "/tmp", "test_zipstream");
    snprintf(path, sizeof(path), "%s/many.zip", dir);
    save(path, &z);
    bad += read_file_seekable(path, e, MANY_ENTRIES);
    bad += read_memory_streaming(&z, e, MANY_ENTRIES);
    bad += python_check(dir, path, e, MANY_ENTRIES, o);
    unlink(path);
    assert_int_equal(rmdir(dir), 0);
    reg_buf_cleanup(&z);
    free(names);
    free(e);
    free(o);
    assert_int_equal(bad, 0);
}

/* An entry of 4.5 GiB between two small ones, in a sparse file: Zip64 sizes, a local header
 * offset past 4 GiB, a central directory past it (Zip64 end record). */
static void
test_zip64_big_entry(void **state)
{
    struct reg_zip_entry e[] = {
        {.name = "a.txt", .size = 100},
        {.name = "big.bin", .size = 4 * GB + GB / 2},
        {.name = "z.txt", .size = 1000},
    };
    int n = NELEMS(e), bad = 0, fd;
    struct reg_zip_offsets o[NELEMS(e)];
    char dir[64], path[128];
    unsigned char tail[END64_LEN + LOCATOR64_LEN + END_LEN], small[1000], h[LOCAL_LEN + 32];
    const unsigned char *end = tail + END64_LEN + LOCATOR64_LEN, *end64 = tail;
    struct reg_zip_writer w;
    struct file_sink sink;
    int64_t total = -1, written = -1, off = -1, size = -1;
    double t0, t1, t2, t3, t4;
    struct stat st;

    (void)state;
    zero_entry = 1;
    assert_int_equal(reg_zip_layout(e, n, o, &total), REG_OK);
    tmpdir_make(dir, sizeof(dir), access(SPARSE_DIR, W_OK) == 0 ? SPARSE_DIR : "/tmp",
                "test_zipstream");
    snprintf(path, sizeof(path), "%s/big.zip", dir);
    fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    sink = (struct file_sink){.fd = fd, .offset = 0};

    t0 = now();
    assert_int_equal(reg_zip_writer_init(&w, e, n, to_sparse_file, &sink), REG_OK);
    assert_int_equal(stream(&w, e, n, whole_chunks, NELEMS(whole_chunks), &written), REG_OK);
    assert_int_equal(ftruncate(fd, (off_t)sink.offset), 0);
    assert_int_equal(written, total);
    assert_int_equal(sink.offset, total);
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal((int64_t)st.st_size, total);
    CHECK(&bad, (int64_t)st.st_blocks * 512 < 64 * MB, "sparse file uses %lld bytes",
          (long long)st.st_blocks * 512);
    CHECK(&bad, o[2].header > 4 * GB, "z.txt's header is at %lld", (long long)o[2].header);

    /* the big entry's local header: version 45, sizes 0xFFFFFFFF, a Zip64 extra of zeros */
    assert_int_equal(pread(fd, h, sizeof(h), (off_t)o[1].header), (ssize_t)sizeof(h));
    CHECK(&bad, le16(h + 4) == 45 && le32(h + 18) == 0xFFFFFFFF && le32(h + 22) == 0xFFFFFFFF,
          "big.bin: local header version and sizes");
    CHECK(&bad,
          le16(h + 28) == 20 && le16(h + 37) == 1 && le16(h + 39) == 16 && le64(h + 41) == 0 &&
              le64(h + 49) == 0,
          "big.bin: local Zip64 extra field");
    CHECK(&bad, o[1].data == o[1].header + LOCAL_LEN + 7 + 20, "big.bin: data offset");
    /* the end records: the classic one defers the directory's offset to the Zip64 one */
    assert_int_equal(pread(fd, tail, sizeof(tail), (off_t)(total - (int64_t)sizeof(tail))),
                     (ssize_t)sizeof(tail));
    CHECK(&bad, le32(end) == 0x06054b50 && le16(end + 10) == 3 && le32(end + 16) == 0xFFFFFFFF,
          "end record");
    CHECK(&bad,
          le32(end64) == 0x06064b50 && le64(end64 + 32) == 3 &&
              (int64_t)le64(end64 + 48) == o[2].data + 1000 + 16,
          "Zip64 end record");
    /* the data of z.txt where locate says */
    assert_int_equal(reg_zip_locate(e, n, 2, &off, &size), REG_OK);
    assert_int_equal(size, 1000);
    assert_int_equal(pread(fd, small, sizeof(small), (off_t)off), (ssize_t)sizeof(small));
    CHECK(&bad, data_ok(small, 2, 0, sizeof(small)), "z.txt's data at its offset");

    /* libarchive reads every byte (and checks every CRC), seeking and then streaming (a client
     * piping the download into bsdtar), and zipfile checks the entries and the CRCs */
    t1 = now();
    bad += read_file_seekable(path, e, n);
    t2 = now();
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    bad += read_fd_streaming(fd, e, n);
    close(fd);
    t3 = now();
    bad += python_check(dir, path, e, n, o);
    t4 = now();
    print_message("zip64 4.5 GiB: write %.1f s, libarchive seekable %.1f s, streaming %.1f s, "
                  "zipfile %.1f s\n",
                  t1 - t0, t2 - t1, t3 - t2, t4 - t3);

    unlink(path);
    assert_int_equal(rmdir(dir), 0);
    zero_entry = -1;
    assert_int_equal(bad, 0);
}

/* Record lengths at the Zip64 boundaries, computed by hand. */
static void
test_layout_boundaries(void **state)
{
    struct reg_zip_entry below = {.name = "a", .size = 0xFFFFFFFE};
    struct reg_zip_entry at = {.name = "a", .size = 0xFFFFFFFF};
    struct reg_zip_entry small[2] = {{.name = "a", .size = 0}, {.name = "b", .size = 0}};
    int64_t total, cd_offset;

    (void)state;
    /* not Zip64 itself, but the directory starts past 0xFFFFFFFF: Zip64 end record */
    cd_offset = LOCAL_LEN + 1 + (int64_t)0xFFFFFFFE + 16;
    assert_int_equal(reg_zip_layout(&below, 1, NULL, &total), REG_OK);
    assert_int_equal(total, cd_offset + CENTRAL_LEN + 1 + END64_LEN + LOCATOR64_LEN + END_LEN);
    /* Zip64: local extra 20, descriptor 24, central extra 4 + 8 + 8 */
    cd_offset = LOCAL_LEN + 1 + 20 + (int64_t)0xFFFFFFFF + 24;
    assert_int_equal(reg_zip_layout(&at, 1, NULL, &total), REG_OK);
    assert_int_equal(total, cd_offset + CENTRAL_LEN + 1 + 20 + END64_LEN + LOCATOR64_LEN + END_LEN);
    /* two empty entries: 2 * (30 + 1 + 16) + 2 * (46 + 1) + 22 */
    assert_int_equal(reg_zip_layout(small, 2, NULL, &total), REG_OK);
    assert_int_equal(total, 2 * (30 + 1 + 16) + 2 * (46 + 1) + 22);
}

/* Data longer or shorter than declared, and calls out of order, fail the writer for good. */
static void
test_misuse(void **state)
{
    struct reg_zip_entry e[2] = {{.name = "a", .size = 10}, {.name = "b", .size = 0}};
    unsigned char data[16] = {0};
    struct reg_zip_writer w;
    struct reg_buf z;
    size_t len;

    (void)state;
    reg_buf_init(&z, ZIP_MAX);

    /* too many bytes: refused at the write that passes the size, nothing of it written */
    assert_int_equal(reg_zip_writer_init(&w, e, 2, to_buf, &z), REG_OK);
    assert_int_equal(reg_zip_begin(&w, 0), REG_OK);
    assert_int_equal(reg_zip_write(&w, data, 6), REG_OK);
    assert_int_equal(reg_zip_write(&w, NULL, 0), REG_OK);
    assert_int_equal(reg_zip_write(&w, data, 5), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "declared size"));
    assert_int_equal(reg_zip_write(&w, data, 4), REG_EINVAL);
    assert_int_equal(reg_zip_end(&w), REG_EINVAL);
    assert_int_equal(reg_zip_begin(&w, 1), REG_EINVAL);
    assert_int_equal(reg_zip_finish(&w, NULL), REG_EINVAL);

    /* too few bytes: refused at the end of the entry */
    reg_buf_reset(&z);
    assert_int_equal(reg_zip_writer_init(&w, e, 2, to_buf, &z), REG_OK);
    assert_int_equal(reg_zip_begin(&w, 0), REG_OK);
    assert_int_equal(reg_zip_write(&w, data, 9), REG_OK);
    assert_int_equal(reg_zip_end(&w), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "short"));
    assert_int_equal(reg_zip_finish(&w, NULL), REG_EINVAL);
    assert_int_equal(reg_zip_write(&w, data, 1), REG_EINVAL);

    /* out of order: each misuse fails the writer with REG_EINTERNAL */
    struct {
        const char *what;
        int steps; /* valid steps first: 1 init, 2 begin 0, 3 write 10, 4 end, 5 begin 1, 6 end */
        int call;  /* then: 0 begin 0, 1 begin 1, 2 write, 3 end, 4 finish, 5 begin 2 */
    } order[] = {
        {"write before begin", 1, 2},
        {"end before begin", 1, 3},
        {"begin 1 first", 1, 1},
        {"finish with no entry", 1, 4},
        {"begin during an entry", 2, 1},
        {"finish during an entry", 3, 4},
        {"begin 0 again", 4, 0},
        {"finish before the last entry", 4, 4},
        {"begin past the last entry", 6, 5},
        {"write between entries", 6, 2},
    };
    for (int k = 0; k < NELEMS(order); k++) {
        enum reg_status st = REG_OK;

        reg_buf_reset(&z);
        assert_int_equal(reg_zip_writer_init(&w, e, 2, to_buf, &z), REG_OK);
        if (order[k].steps >= 2)
            assert_int_equal(reg_zip_begin(&w, 0), REG_OK);
        if (order[k].steps >= 3)
            assert_int_equal(reg_zip_write(&w, data, 10), REG_OK);
        if (order[k].steps >= 4)
            assert_int_equal(reg_zip_end(&w), REG_OK);
        if (order[k].steps >= 5)
            assert_int_equal(reg_zip_begin(&w, 1), REG_OK);
        if (order[k].steps >= 6)
            assert_int_equal(reg_zip_end(&w), REG_OK);
        switch (order[k].call) {
        case 0:
            st = reg_zip_begin(&w, 0);
            break;
        case 1:
            st = reg_zip_begin(&w, 1);
            break;
        case 2:
            st = reg_zip_write(&w, data, 1);
            break;
        case 3:
            st = reg_zip_end(&w);
            break;
        case 4:
            st = reg_zip_finish(&w, NULL);
            break;
        default:
            st = reg_zip_begin(&w, 2);
            break;
        }
        if (st != REG_EINTERNAL)
            fail_msg("%s: status %d", order[k].what, st);
        len = z.len;
        if (reg_zip_finish(&w, NULL) != REG_EINTERNAL || reg_zip_begin(&w, 1) != REG_EINTERNAL)
            fail_msg("%s: the writer did not stay failed", order[k].what);
        assert_int_equal(z.len, len);
    }

    /* calls after a successful finish */
    reg_buf_reset(&z);
    assert_int_equal(reg_zip_writer_init(&w, e + 1, 1, to_buf, &z), REG_OK);
    assert_int_equal(reg_zip_begin(&w, 0), REG_OK);
    assert_int_equal(reg_zip_end(&w), REG_OK);
    assert_int_equal(reg_zip_finish(&w, NULL), REG_OK);
    assert_int_equal(reg_zip_finish(&w, NULL), REG_EINTERNAL);
    assert_int_equal(reg_zip_begin(&w, 0), REG_EINTERNAL);

    /* no sink */
    assert_int_equal(reg_zip_writer_init(&w, e, 2, NULL, NULL), REG_EINVAL);
    assert_int_equal(reg_zip_begin(&w, 0), REG_EINVAL);
    reg_buf_cleanup(&z);
}

/* Names the writer refuses (zip slip and the like) and the edge cases it accepts. */
static void
test_names(void **state)
{
    static const struct {
        const char *name;
        bool ok;
    } names[] = {
        {"", false},        {"/etc/passwd", false},  {"..", false},
        {"../evil", false}, {"a/../../evil", false}, {"a/..", false},
        {"a\\b", false},    {"..\\evil", false},     {"C:evil", false},
        {"dir/", false},    {"bad\xff.txt", false},  {"\xc3\x28", false},
        {"a", true},        {"a..b", true},          {"..a/b..", true},
        {"a/.../b", true},  {".hidden", true},       {"a/./b", true},
        {"\xc3\xa9", true}, {"1:2", true},
    };
    char *longest = malloc(REG_ZIP_NAME_MAX + 2);
    struct reg_zip_writer w;
    struct reg_zip_entry e[2];
    struct reg_buf z;
    int64_t total, off, size;
    int bad = 0;

    (void)state;
    reg_buf_init(&z, ZIP_MAX);
    for (int k = 0; k < NELEMS(names); k++) {
        enum reg_status want = names[k].ok ? REG_OK : REG_EINVAL, st;

        /* the bad name second, so that the whole list is seen to be checked */
        e[0] = (struct reg_zip_entry){.name = "fine", .size = 1};
        e[1] = (struct reg_zip_entry){.name = names[k].name, .size = 1};
        st = reg_zip_layout(e, 2, NULL, &total);
        CHECK(&bad, st == want, "layout '%s': %d (%s)", names[k].name, st, reg_error_detail());
        st = reg_zip_locate(e, 2, 0, &off, &size);
        CHECK(&bad, st == want, "locate '%s': %d", names[k].name, st);
        st = reg_zip_writer_init(&w, e, 2, to_buf, &z);
        CHECK(&bad, st == want, "init '%s': %d", names[k].name, st);
        st = reg_zip_begin(&w, 0);
        CHECK(&bad, st == want, "begin after init '%s': %d", names[k].name, st);
    }
    assert_int_equal(z.len, 0); /* a refused list never reaches the sink */

    /* a NULL name, a negative size, a negative count, no list */
    e[0] = (struct reg_zip_entry){.name = NULL, .size = 1};
    assert_int_equal(reg_zip_layout(e, 1, NULL, &total), REG_EINVAL);
    e[0] = (struct reg_zip_entry){.name = "a", .size = -1};
    assert_int_equal(reg_zip_layout(e, 1, NULL, &total), REG_EINVAL);
    assert_int_equal(reg_zip_layout(e, -1, NULL, &total), REG_EINVAL);
    assert_int_equal(reg_zip_layout(NULL, 1, NULL, &total), REG_EINVAL);

    /* the longest name is accepted, one byte more is not */
    assert_non_null(longest);
    memset(longest, 'a', REG_ZIP_NAME_MAX + 1);
    longest[REG_ZIP_NAME_MAX + 1] = '\0';
    e[0] = (struct reg_zip_entry){.name = longest, .size = 3};
    assert_int_equal(reg_zip_layout(e, 1, NULL, &total), REG_EINVAL);
    longest[REG_ZIP_NAME_MAX] = '\0';
    assert_int_equal(reg_zip_layout(e, 1, NULL, &total), REG_OK);
    assert_int_equal(total, 2 * REG_ZIP_NAME_MAX + 30 + 3 + 16 + 46 + 22);
    reg_buf_cleanup(&z);
    write_zip(&z, e, 1, mixed_chunks, NELEMS(mixed_chunks));
    assert_int_equal(read_memory_streaming(&z, e, 1), 0);
    reg_buf_cleanup(&z);
    free(longest);
    assert_int_equal(bad, 0);
}

/* A zip longer than INT64_MAX bytes cannot be laid out. */
static void
test_too_large(void **state)
{
    struct reg_zip_entry one = {.name = "a", .size = INT64_MAX - 50};
    struct reg_zip_entry two[2] = {{.name = "a", .size = INT64_MAX / 2},
                                   {.name = "b", .size = INT64_MAX / 2}};
    struct reg_zip_writer w;
    int64_t total, off, size;

    (void)state;
    assert_int_equal(reg_zip_layout(&one, 1, NULL, &total), REG_ETOOLARGE);
    assert_int_equal(reg_zip_layout(two, 2, NULL, &total), REG_ETOOLARGE);
    assert_int_equal(reg_zip_locate(two, 2, 0, &off, &size), REG_ETOOLARGE);
    assert_int_equal(reg_zip_writer_init(&w, two, 2, to_buf, NULL), REG_ETOOLARGE);
    assert_int_equal(reg_zip_begin(&w, 0), REG_ETOOLARGE);
    two[1].size = INT64_MAX / 4;
    assert_int_equal(reg_zip_layout(two, 2, NULL, &total), REG_OK);
    assert_int_equal(reg_zip_locate(two, 2, 2, &off, &size), REG_EINVAL);
    assert_int_equal(reg_zip_locate(two, 2, -1, &off, &size), REG_EINVAL);
}

/* A sink failing at each of its calls in turn: the writer reports its status at once, stays
 * failed with it, and never calls the sink again. */
static void
test_sink_failure(void **state)
{
    struct reg_zip_entry e[CASE_MAX];
    int n = case_entries(&cases[2], e), points = 0;

    (void)state;
    for (int fail_at = 1;; fail_at++) {
        struct failing_sink s = {.fail_at = fail_at};
        struct reg_zip_writer w;
        unsigned char byte = 0;
        enum reg_status st;

        reg_buf_init(&s.buf, ZIP_MAX);
        assert_int_equal(reg_zip_writer_init(&w, e, n, to_failing, &s), REG_OK);
        st = stream(&w, e, n, mixed_chunks, NELEMS(mixed_chunks), NULL);
        reg_buf_cleanup(&s.buf);
        if (s.calls < fail_at) {
            assert_int_equal(st, REG_OK);
            break;
        }
        points++;
        assert_int_equal(st, REG_ESTORE);
        assert_int_equal(reg_zip_begin(&w, 0), REG_ESTORE);
        assert_int_equal(reg_zip_write(&w, &byte, 1), REG_ESTORE);
        assert_int_equal(reg_zip_end(&w), REG_ESTORE);
        assert_int_equal(reg_zip_finish(&w, NULL), REG_ESTORE);
        assert_int_equal(s.calls_after, 0);
    }
    assert_true(points >= 5);
}

/* reg_zip_sort: bytewise by name; the same name twice is refused. */
static void
test_sort(void **state)
{
    struct reg_zip_entry e[] = {
        {.name = "b", .size = 1}, {.name = "\xc3\xa9", .size = 2}, {.name = "a/b", .size = 3},
        {.name = "Z", .size = 4}, {.name = "a", .size = 5},        {.name = "a.b", .size = 6},
    };
    static const char *want[] = {"Z", "a", "a.b", "a/b", "b", "\xc3\xa9"};

    (void)state;
    assert_int_equal(reg_zip_sort(e, NELEMS(e)), REG_OK);
    for (int i = 0; i < NELEMS(e); i++)
        assert_string_equal(e[i].name, want[i]);
    assert_int_equal(e[1].size, 5); /* sizes moved with their names */
    e[0].name = "a";
    assert_int_equal(reg_zip_sort(e, NELEMS(e)), REG_EINVAL);
    assert_non_null(strstr(reg_error_detail(), "twice"));
    assert_int_equal(reg_zip_sort(NULL, 0), REG_OK);
    assert_int_equal(reg_zip_sort(e, -1), REG_EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_matches_bytes),
        cmocka_unit_test(test_empty_zip),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_libarchive_reads_back),
        cmocka_unit_test(test_python_zipfile),
        cmocka_unit_test(test_zip64_many_entries),
        cmocka_unit_test(test_zip64_big_entry),
        cmocka_unit_test(test_layout_boundaries),
        cmocka_unit_test(test_misuse),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_sink_failure),
        cmocka_unit_test(test_sort),
    };

    /* libarchive presents UTF-8 names in the locale's charset: make it UTF-8 */
    setlocale(LC_CTYPE, "C.UTF-8");
    return cmocka_run_group_tests_name("bundle/zipstream", tests, NULL, NULL);
}
