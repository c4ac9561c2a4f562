/*
 * remote.c - a file scanned where it lies (reg_scan_remote, scan.h): streamed from its start
 * until the scanner is done, or, for a zip larger than whole_max, read by its central
 * directory and the entries a format reads.
 *
 * The directory read: the end record (and its Zip64 locator and record) from the file's last
 * bytes, then the central directory (at most SCAN_DIR_MAX bytes), then, for each entry the
 * zip's kind reads (zip_reads), its local header and data by one read from the header's
 * offset. The header must name the same entry with the same method, and the data, stored or
 * deflated, must have the directory's CRC-32 and sizes. Anything else is UNKNOWN, as in the
 * streamed walk, and the entries' readers are the streamed walk's (zip.c).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/bytes.h"
#include "scan/scan_int.h"

/* The end record, its longest comment and the Zip64 locator before it. */
#define SCAN_TAIL ((size_t)22 + 65535 + 20)
/* The largest central directory read (bytes). */
#define SCAN_DIR_MAX ((uint64_t)16 * 1024 * 1024)
/* Entries read by range in one file. */
#define SCAN_DIR_READS_MAX 1024

static const uint8_t sig_local[] = {'P', 'K', 3, 4};
static const uint8_t sig_central[] = {'P', 'K', 1, 2};
static const uint8_t sig_end[] = {'P', 'K', 5, 6};
static const uint8_t sig_end64[] = {'P', 'K', 6, 6};
static const uint8_t sig_locator64[] = {'P', 'K', 6, 7};

/* ---- reads ---- */

struct into_buffer {
    uint8_t *b;
    size_t n, cap;
};

static bool
to_buffer(void *ctx, const void *buf, size_t len)
{
    struct into_buffer *f = ctx;
    size_t take = len < f->cap - f->n ? len : f->cap - f->n;

    memcpy(f->b + f->n, buf, take);
    f->n += take;
    return f->n < f->cap;
}

/* Bytes [offset, offset + len) into out; *got says how many the file had. */
static enum reg_status
read_exact(struct reg_scan_source *src, uint64_t offset, size_t len, uint8_t *out, size_t *got)
{
    struct into_buffer f = {out, 0, len};
    enum reg_status st;

    src->reads++;
    st = src->read(src->ctx, (int64_t)offset, (int64_t)len, to_buffer, &f);
    src->bytes_read += (int64_t)f.n;
    *got = f.n;
    return st;
}

/* ---- the whole file, as a stream ---- */

struct whole {
    struct reg_scan *s;
    struct reg_scan_source *src;
    bool to_directory;
    size_t fed;
};

/* A file too large to read whole may be a zip: only its first bytes are fed until the scanner
 * knows (a pickle-named file is sniffed by its first four), so that a zip read by its directory
 * is judged by the directory's entries alone, whatever the transfer's first piece held. */
#define SNIFF_BYTES 4

static bool
whole_sink(void *ctx, const void *buf, size_t len)
{
    struct whole *w = ctx;
    const uint8_t *b = buf;

    if (w->src->size > w->src->whole_max && w->fed < SNIFF_BYTES) {
        size_t head = len < SNIFF_BYTES - w->fed ? len : SNIFF_BYTES - w->fed;

        reg_scan_feed(w->s, b, head);
        w->fed += head;
        w->src->bytes_read += (int64_t)head;
        if (scan_is_zip(w->s)) {
            w->to_directory = true;
            return false;
        }
        b += head;
        len -= head;
    }
    reg_scan_feed(w->s, b, len);
    w->fed += len;
    w->src->bytes_read += (int64_t)len;
    return !reg_scan_done(w->s);
}

/* ---- one entry, by its local header ---- */

struct entry {
    struct zip *z;
    uint8_t hdr[30];
    size_t nhdr;
    uint64_t name_at, name_len, extra_left, data_left;
    bool inflate_ended, bad;
};

static void
entry_fail(struct entry *e, const char *what)
{
    if (!e->bad)
        scan_note(e->z->s, REG_SCAN_UNKNOWN,
                  "zip entry '%.120s' (read by the central directory): %s", e->z->name, what);
    e->bad = true;
}

static void
entry_inflate(struct entry *e, const uint8_t *b, size_t n)
{
    struct zip *z = e->z;
    int rc;

    z->z.next_in = b;
    z->z.avail_in = (uInt)n;
    do {
        z->z.next_out = z->zout;
        z->z.avail_out = SCAN_ZIP_WINDOW;
        rc = inflate(&z->z, Z_NO_FLUSH);
        zip_produce(z, z->zout, SCAN_ZIP_WINDOW - z->z.avail_out);
        z->inflated_total += SCAN_ZIP_WINDOW - z->z.avail_out;
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
            entry_fail(e, "corrupt deflate data");
        else if (z->inflated_total > SCAN_ZIP_INFLATE_MAX)
            entry_fail(e, "inflates to more than the scanner's bound");
    } while (!e->bad && rc == Z_OK && (z->z.avail_in > 0 || z->z.avail_out == 0));
    if (rc == Z_STREAM_END)
        e->inflate_ended = true;
}

/* The local header read: it must be the directory's entry. */
static void
entry_header(struct entry *e)
{
    struct zip *z = e->z;

    if (memcmp(e->hdr, sig_local, 4) != 0)
        entry_fail(e, "no local header where the central directory says");
    else if (reg_le_uint(e->hdr + 8, 2) != z->method)
        entry_fail(e, "the local header's method differs from the central directory's");
    else if (reg_le_uint(e->hdr + 26, 2) != e->name_len)
        entry_fail(e, "the local header names another entry");
    e->extra_left = reg_le_uint(e->hdr + 28, 2);
}

static bool
entry_sink(void *ctx, const void *buf, size_t len)
{
    struct entry *e = ctx;
    const uint8_t *b = buf;

    while (len > 0 && !e->bad && !scan_stopped(e->z->s)) {
        size_t take;

        if (e->nhdr < sizeof(e->hdr)) {
            take = len < sizeof(e->hdr) - e->nhdr ? len : sizeof(e->hdr) - e->nhdr;
            memcpy(e->hdr + e->nhdr, b, take);
            e->nhdr += take;
            if (e->nhdr == sizeof(e->hdr))
                entry_header(e);
        } else if (e->name_at < e->name_len) {
            take = 1;
            if ((uint8_t)e->z->name[e->name_at++] != *b)
                entry_fail(e, "the local header names another entry");
        } else if (e->extra_left > 0) {
            take = len < e->extra_left ? len : (size_t)e->extra_left;
            e->extra_left -= take;
        } else if (e->data_left > 0) {
            take = len < e->data_left ? len : (size_t)e->data_left;
            if (e->z->method == 8)
                entry_inflate(e, b, take);
            else
                zip_produce(e->z, b, take);
            e->data_left -= take;
        } else {
            return false;
        }
        b += take;
        len -= take;
    }
    return !e->bad && !scan_stopped(e->z->s) &&
           (e->nhdr < sizeof(e->hdr) || e->name_at < e->name_len || e->extra_left > 0 ||
            e->data_left > 0);
}

/* What the central directory says of an entry. */
struct central {
    uint16_t flags, method;
    uint32_t crc;
    uint64_t csize, usize, offset;
};

/* Reads the entry c (its name in z->name) through its reader. */
static enum reg_status
read_entry(struct zip *z, struct reg_scan_source *src, const struct central *c)
{
    struct entry e = {.z = z, .name_len = strlen(z->name), .data_left = c->csize};
    uint64_t len = 30 + e.name_len + 65535 + c->csize;
    enum reg_status st;

    z->method = c->method;
    if ((c->flags & 1) || (c->method != 0 && c->method != 8)) {
        scan_note(z->s, REG_SCAN_UNKNOWN, "zip entry '%.120s': %s", z->name,
                  (c->flags & 1) ? "encrypted" : "compression method the scanner does not read");
        return REG_OK;
    }
    if (c->method == 8) {
        memset(&z->z, 0, sizeof(z->z));
        if (inflateInit2(&z->z, -15) != Z_OK)
            reg_oom();
        z->z_live = true;
    }
    zip_reader_begin(z);
    if (len > (uint64_t)src->size - c->offset)
        len = (uint64_t)src->size - c->offset;
    src->reads++;
    st = src->read(src->ctx, (int64_t)c->offset, (int64_t)len, entry_sink, &e);
    src->bytes_read += (int64_t)(e.nhdr + e.name_at) + (int64_t)(c->csize - e.data_left);
    if (st == REG_OK && !e.bad && !scan_stopped(z->s)) {
        if (e.nhdr < sizeof(e.hdr) || e.data_left > 0)
            entry_fail(&e, "the file ends inside the entry (truncated)");
        else if (c->method == 8 && !e.inflate_ended)
            entry_fail(&e, "deflate data ends before its stream does (truncated or corrupt)");
        else if (z->crc_now != c->crc)
            entry_fail(&e, "CRC-32 mismatch (corrupt)");
        else if (z->out != c->usize)
            entry_fail(&e, "sizes differ from the data");
    }
    zip_reader_end(z, st == REG_OK && !e.bad);
    return st;
}

/* ---- the central directory ---- */

/* Walks the directory cd of n entries, reading the entries the zip's kind reads. */
static enum reg_status
walk_directory(struct zip *z, struct reg_scan_source *src, const uint8_t *cd, uint64_t len,
               uint64_t n)
{
    uint64_t at = 0, k;
    int reads = 0;

    for (k = 0; k < n && !scan_stopped(z->s); k++) {
        struct central c;
        size_t nlen, elen, clen;

        if (at + 46 > len || memcmp(cd + at, sig_central, 4) != 0)
            break;
        nlen = (size_t)reg_le_uint(cd + at + 28, 2);
        elen = (size_t)reg_le_uint(cd + at + 30, 2);
        clen = (size_t)reg_le_uint(cd + at + 32, 2);
        if (at + 46 + nlen + elen + clen > len)
            break;
        c = (struct central){
            (uint16_t)reg_le_uint(cd + at + 8, 2),  (uint16_t)reg_le_uint(cd + at + 10, 2),
            (uint32_t)reg_le_uint(cd + at + 16, 4), reg_le_uint(cd + at + 20, 4),
            reg_le_uint(cd + at + 24, 4),           reg_le_uint(cd + at + 42, 4)};
        zip64_extra(cd + at + 46 + nlen, elen, &c.usize, &c.csize, &c.offset);
        at += 46 + nlen + elen + clen;
        if (nlen > SCAN_ZIP_NAME_MAX) {
            scan_note(z->s, REG_SCAN_UNKNOWN, "zip central directory entry %llu: name too long",
                      (unsigned long long)k);
            return REG_OK;
        }
        memcpy(z->name, cd + at - elen - clen - nlen, nlen);
        z->name[nlen] = '\0';
        if (!zip_reads(z->kind, z->name))
            continue;
        if (c.offset >= (uint64_t)src->size || ++reads > SCAN_DIR_READS_MAX) {
            scan_note(z->s, REG_SCAN_UNKNOWN, "zip entry '%.120s': %s", z->name,
                      reads > SCAN_DIR_READS_MAX ? "more entries to read than the scanner reads"
                                                 : "its header lies past the end of the file");
            return REG_OK;
        }
        enum reg_status st = read_entry(z, src, &c);
        if (st != REG_OK)
            return st;
    }
    if (!scan_stopped(z->s) && (k != n || at != len))
        scan_note(z->s, REG_SCAN_UNKNOWN,
                  "zip central directory: %llu of its %llu entries readable in its %llu bytes",
                  (unsigned long long)k, (unsigned long long)n, (unsigned long long)len);
    return REG_OK;
}

/* Where the directory is, from the end record at tail + at (and its Zip64 record). */
static enum reg_status
locate_directory(struct reg_scan *s, struct reg_scan_source *src, const uint8_t *tail, size_t at,
                 uint64_t *cd_offset, uint64_t *cd_len, uint64_t *n)
{
    const uint8_t *end = tail + at;
    uint8_t rec[56];
    size_t got;
    enum reg_status st;

    *n = reg_le_uint(end + 10, 2);
    *cd_len = reg_le_uint(end + 12, 4);
    *cd_offset = reg_le_uint(end + 16, 4);
    if (*n != 0xFFFF && *cd_len != 0xFFFFFFFFu && *cd_offset != 0xFFFFFFFFu)
        return REG_OK;
    if (at < 20 || memcmp(end - 20, sig_locator64, 4) != 0) {
        scan_note(s, REG_SCAN_UNKNOWN, "zip: a Zip64 end record is needed and missing");
        return REG_OK;
    }
    st = read_exact(src, reg_le_uint(end - 20 + 8, 8), sizeof(rec), rec, &got);
    if (st != REG_OK)
        return st;
    if (got < sizeof(rec) || memcmp(rec, sig_end64, 4) != 0) {
        scan_note(s, REG_SCAN_UNKNOWN, "zip: no Zip64 end record where its locator says");
        return REG_OK;
    }
    *n = reg_le_uint(rec + 32, 8);
    *cd_len = reg_le_uint(rec + 40, 8);
    *cd_offset = reg_le_uint(rec + 48, 8);
    return REG_OK;
}

/* The end record in the tail: the last "PK\5\6" whose comment ends the file. */
static bool
find_end(const uint8_t *tail, size_t len, size_t *at)
{
    for (size_t i = len >= 22 ? len - 22 + 1 : 0; i-- > 0;)
        if (memcmp(tail + i, sig_end, 4) == 0 && i + 22 + reg_le_uint(tail + i + 20, 2) == len) {
            *at = i;
            return true;
        }
    return false;
}

/* Whether a file of this name may be a zip: a pickle-named file (sniffed), an .npz, a .keras. */
static bool
may_be_zip(const char *path)
{
    enum reg_scan_format f = reg_scan_format_of(path);
    size_t n = path ? strlen(path) : 0;

    return f == REG_SCAN_FORMAT_PICKLE || f == REG_SCAN_FORMAT_KERAS ||
           (f == REG_SCAN_FORMAT_NUMPY && n >= 4 && strcasecmp(path + n - 4, ".npz") == 0);
}

size_t
reg_scan_remote_tail(const char *path, int64_t size, int64_t whole_max)
{
    if (size <= (whole_max > 0 ? whole_max : REG_SCAN_WHOLE_MAX) || !may_be_zip(path))
        return 0;
    return (uint64_t)size < SCAN_TAIL ? (size_t)size : SCAN_TAIL;
}

static enum reg_status
by_directory(struct reg_scan *s, struct reg_scan_source *src)
{
    struct zip *z = scan_by_directory(s);
    size_t tail_len = (uint64_t)src->size < SCAN_TAIL ? (size_t)src->size : SCAN_TAIL, got, at = 0;
    uint64_t tail_offset = (uint64_t)src->size - tail_len, cd_offset = 0, cd_len = 0, n = 0;
    uint8_t *tail = malloc(tail_len ? tail_len : 1), *cd = NULL;
    enum reg_status st;

    if (!tail)
        reg_oom();
    src->by_directory = true;
    st = read_exact(src, tail_offset, tail_len, tail, &got);
    if (st == REG_OK && (got < tail_len || !find_end(tail, tail_len, &at)))
        scan_note(s, REG_SCAN_UNKNOWN, "zip: no end record at the end of the file");
    else if (st == REG_OK)
        st = locate_directory(s, src, tail, at, &cd_offset, &cd_len, &n);
    if (st == REG_OK && !scan_stopped(s)) {
        if (cd_len > SCAN_DIR_MAX || cd_offset > (uint64_t)src->size ||
            cd_len > (uint64_t)src->size - cd_offset) {
            scan_note(s, REG_SCAN_UNKNOWN,
                      "zip: a central directory of %llu bytes at %llu (the file has %lld)",
                      (unsigned long long)cd_len, (unsigned long long)cd_offset,
                      (long long)src->size);
        } else if (cd_offset >= tail_offset) { /* in the tail already */
            st = walk_directory(z, src, tail + (cd_offset - tail_offset), cd_len, n);
        } else {
            cd = malloc(cd_len ? (size_t)cd_len : 1);
            if (!cd)
                reg_oom();
            st = read_exact(src, cd_offset, (size_t)cd_len, cd, &got);
            if (st == REG_OK && got < cd_len)
                scan_note(s, REG_SCAN_UNKNOWN, "zip: the central directory is cut short");
            else if (st == REG_OK)
                st = walk_directory(z, src, cd, cd_len, n);
        }
    }
    free(cd);
    free(tail);
    if (st == REG_OK && !scan_stopped(s))
        scan_note(s, REG_SCAN_SAFE,
                  "read by its central directory: %d entr%s the scanner reads (%lld of %lld "
                  "bytes); the other entries are checked when the registry downloads the file",
                  z->ntargets, z->ntargets == 1 ? "y" : "ies", (long long)src->bytes_read,
                  (long long)src->size);
    return st;
}

/* ---- the front ---- */

enum reg_status
reg_scan_remote(const char *path, struct reg_scan_source *src, struct reg_arena *a,
                struct reg_scan_result *out)
{
    struct whole w = {NULL, src, false, 0};
    enum reg_status st;

    memset(out, 0, sizeof(*out));
    src->bytes_read = 0;
    src->reads = 1;
    src->by_directory = false;
    if (src->whole_max <= 0)
        src->whole_max = REG_SCAN_WHOLE_MAX;
    if (!src->read)
        return reg_errorf(REG_EINVAL, "scan: %s: no reader", path ? path : "");
    st = reg_scan_begin(path, src->size, &w.s);
    if (st != REG_OK)
        return st;
    if (src->size > src->whole_max && scan_is_zip(w.s)) /* .npz, .keras: no need to sniff */
        w.to_directory = true;
    else if (!reg_scan_done(w.s) && src->size > 0)
        st = src->read(src->ctx, 0, -1, whole_sink, &w);
    if (st == REG_OK && w.to_directory && !scan_stopped(w.s))
        st = by_directory(w.s, src);
    if (st == REG_OK)
        st = reg_scan_end(w.s, a, out);
    reg_scan_free(w.s);
    return st;
}
