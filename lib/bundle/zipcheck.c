/*
 * zipcheck.c - validation of uploaded zips (see zipcheck.h): a raw pass over the end record
 * and the central directory (counts, names as stored, local/central agreement, encryption
 * flags, Unix modes), then a libarchive pass that decompresses every file while counting the
 * bytes it produces, and keeps README.md and config.json.
 */
#include "bundle/zipcheck.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/bytes.h"
#include "base/str.h"

/* Record signatures and fixed lengths (PKWARE APPNOTE 4.3). */
#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_END 0x06054b50u
#define SIG_END64 0x06064b50u
#define SIG_LOCATOR64 0x07064b50u
#define LOCAL_LEN 30
#define CENTRAL_LEN 46
#define END_LEN 22
#define END64_LEN 56
#define LOCATOR64_LEN 20
#define FIELD_MAX 0xffff /* longest name, extra field or comment */
/* General purpose flag bits: encrypted, strong encryption, masked central directory. */
#define FLAG_ENCRYPTED 0x0001u
#define FLAG_STRONG 0x0040u
#define FLAG_MASKED 0x2000u
/* "Version made by" host 3 = Unix: the high 16 bits of the external attributes are a mode. */
#define HOST_UNIX 3
#define MODE_TYPE 0170000u
#define MODE_REG 0100000u
#define MODE_DIR 0040000u
#define MODE_LNK 0120000u
/* Bytes handed to libarchive per read of a file. */
#define READ_BLOCK (64 * 1024)
/* Characters of an entry name shown in a detail. */
#define SHOWN_MAX 160

/* The zip being checked: a memory buffer, or a file read with pread. */
struct source {
    const unsigned char *mem;
    int fd;
    int64_t size;
    int64_t pos;          /* libarchive's position */
    unsigned char *block; /* libarchive's read buffer (files only) */
};

static bool
src_read(const struct source *s, int64_t off, void *buf, size_t n)
{
    unsigned char *p = buf;

    if (off < 0 || off > s->size || (uint64_t)n > (uint64_t)(s->size - off))
        return false;
    if (s->mem) {
        memcpy(p, s->mem + off, n);
        return true;
    }
    while (n > 0) {
        ssize_t r = pread(s->fd, p, n, (off_t)off);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        off += r;
        n -= (size_t)r;
    }
    return true;
}

static unsigned int
le16(const unsigned char *p)
{
    return (unsigned int)reg_le_uint(p, 2);
}

static uint32_t
le32(const unsigned char *p)
{
    return (uint32_t)reg_le_uint(p, 4);
}

static uint64_t
le64(const unsigned char *p)
{
    return reg_le_uint(p, 8);
}

/* ---------------------------------------------------------------- entry names */

/* name[0..len) for a detail: printable ASCII as is, every other byte as \xNN. */
static void
escape(const char *name, size_t len, char *out, size_t cap)
{
    size_t o = 0, i;

    for (i = 0; i < len && o + 8 < cap; i++) { /* room for "\xNN", "..." and the NUL */
        unsigned char c = (unsigned char)name[i];

        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
    }
    if (i < len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

static enum reg_status
refuse_name(const char *name, size_t len, const char *why)
{
    char shown[SHOWN_MAX];

    escape(name, len, shown, sizeof(shown));
    return reg_errorf(REG_EINVAL, "zip entry '%s': %s", shown, why);
}

static bool
is_ascii_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The byte-level rules: length, NUL, control characters, backslash, UTF-8. */
static enum reg_status
check_bytes(const char *name, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];

        if (c == 0)
            return refuse_name(name, len, "a NUL byte in its name");
        if (c < 0x20 || c == 0x7f)
            return refuse_name(name, len, "a control character in its name");
        if (c == '\\')
            return refuse_name(name, len, "a backslash in its name");
    }
    if (!reg_str_is_utf8(name, len))
        return refuse_name(name, len, "a name that is not UTF-8");
    return REG_OK;
}

enum reg_status
reg_zipcheck_name(const char *name, size_t len)
{
    size_t end, seg = 0;
    enum reg_status st;

    if (!name || len == 0)
        return refuse_name("", 0, "an empty name");
    if (len > REG_ZIPCHECK_NAME_MAX)
        return refuse_name(name, len, "a name longer than the limit of the registry");
    st = check_bytes(name, len);
    if (st != REG_OK)
        return st;
    if (name[0] == '/')
        return refuse_name(name, len, "an absolute path");
    if (len >= 2 && name[1] == ':' && is_ascii_letter(name[0]))
        return refuse_name(name, len, "a drive letter (an absolute path on Windows)");
    end = name[len - 1] == '/' ? len - 1 : len; /* a directory's one trailing '/' */
    while (seg <= end) {
        size_t n = 0;

        while (seg + n < end && name[seg + n] != '/')
            n++;
        if (n == 0)
            return refuse_name(name, len, "an empty path segment");
        if (n == 1 && name[seg] == '.')
            return refuse_name(name, len, "a '.' path segment");
        if (n == 2 && name[seg] == '.' && name[seg + 1] == '.')
            return refuse_name(name, len, "a '..' path segment (it would escape the directory)");
        seg += n + 1;
    }
    return REG_OK;
}

/* ---------------------------------------------------------------- pass 1: the raw structure */

/* Where the central directory is, as the end record says. */
struct directory {
    int64_t offset;
    int64_t size;
    int64_t count;
};

static enum reg_status
not_a_zip(const char *why)
{
    return reg_errorf(REG_EINVAL, "not an acceptable zip: %s", why);
}

/* The Zip64 end record named by the locator just before the end record at end_at. */
static enum reg_status
read_end64(const struct source *s, int64_t end_at, struct directory *d)
{
    unsigned char loc[LOCATOR64_LEN], rec[END64_LEN];
    int64_t at;

    if (end_at < LOCATOR64_LEN + END64_LEN ||
        !src_read(s, end_at - LOCATOR64_LEN, loc, sizeof(loc)))
        return not_a_zip("a Zip64 end record is announced but missing");
    at = (int64_t)le64(loc + 8);
    if (le32(loc) != SIG_LOCATOR64 || le32(loc + 4) != 0 || le32(loc + 16) != 1 || at < 0 ||
        at > end_at - LOCATOR64_LEN - END64_LEN || !src_read(s, at, rec, sizeof(rec)) ||
        le32(rec) != SIG_END64)
        return not_a_zip("a Zip64 end record is announced but missing");
    if ((int64_t)le64(rec + 4) + 12 != end_at - LOCATOR64_LEN - at)
        return not_a_zip("data between the Zip64 end record and its locator");
    if (le32(rec + 16) != 0 || le32(rec + 20) != 0 || le64(rec + 24) != le64(rec + 32))
        return not_a_zip("a multi-disk zip");
    d->count = (int64_t)le64(rec + 32);
    d->size = (int64_t)le64(rec + 40);
    d->offset = (int64_t)le64(rec + 48);
    if (d->count < 0 || d->size < 0 || d->offset < 0 || d->offset > at || d->size != at - d->offset)
        return not_a_zip("the central directory does not end where the Zip64 end record starts");
    return REG_OK;
}

/* Finds the end record (the last one whose comment reaches exactly to the end of the data) and
 * the central directory it names, which must end right where the end records begin. */
static enum reg_status
find_directory(const struct source *s, struct directory *d)
{
    size_t tail = s->size < END_LEN + FIELD_MAX ? (size_t)s->size : END_LEN + FIELD_MAX;
    int64_t base = s->size - (int64_t)tail, at = -1;
    unsigned char *buf, *e;
    enum reg_status st = REG_OK;

    if (s->size < END_LEN)
        return not_a_zip("too short");
    buf = malloc(tail);
    if (!buf)
        reg_oom();
    if (!src_read(s, base, buf, tail)) {
        free(buf);
        return reg_errorf(REG_EINVAL, "cannot read the zip: %s", strerror(errno));
    }
    for (size_t i = tail - END_LEN + 1; i-- > 0 && at < 0;)
        if (le32(buf + i) == SIG_END && le16(buf + i + 20) == tail - i - END_LEN)
            at = base + (int64_t)i;
    if (at < 0) {
        free(buf);
        return not_a_zip("no end of central directory record");
    }
    e = buf + (at - base);
    if (le16(e + 4) != 0 || le16(e + 6) != 0 || le16(e + 8) != le16(e + 10)) {
        free(buf);
        return not_a_zip("a multi-disk zip");
    }
    d->count = le16(e + 10);
    d->size = le32(e + 12);
    d->offset = le32(e + 16);
    free(buf);
    if (at >= LOCATOR64_LEN) { /* a Zip64 locator before the end record wins, if present */
        unsigned char sig[4];

        if (src_read(s, at - LOCATOR64_LEN, sig, sizeof(sig)) && le32(sig) == SIG_LOCATOR64)
            return read_end64(s, at, d);
    }
    if (d->count == 0xffff || d->size == 0xffffffff || d->offset == 0xffffffff)
        st = not_a_zip("a Zip64 end record is announced but missing");
    else if (d->offset + d->size != at)
        st = not_a_zip("the central directory does not end where the end record starts "
                       "(data prepended or inserted)");
    return st;
}

/* The local header offset of a central entry: the 32-bit field, or its Zip64 extra field. */
static bool
local_offset(const unsigned char *h, const unsigned char *extra, size_t elen, int64_t *out)
{
    size_t i = 0;

    *out = le32(h + 42);
    if (le32(h + 42) != 0xffffffffu)
        return true;
    while (i + 4 <= elen) {
        unsigned int id = le16(extra + i), n = le16(extra + i + 2);
        size_t at = i + 4;

        if (i + 4 + n > elen)
            return false;
        if (id == 0x0001) {
            at += le32(h + 24) == 0xffffffffu ? 8 : 0; /* uncompressed size first */
            at += le32(h + 20) == 0xffffffffu ? 8 : 0; /* then compressed size */
            if (at + 8 > i + 4 + n)
                return false;
            *out = (int64_t)le64(extra + at);
            return *out >= 0;
        }
        i += 4 + n;
    }
    return false;
}

/* Buffers of one central entry's variable fields. */
struct fields {
    unsigned char name[FIELD_MAX];
    unsigned char extra[FIELD_MAX];
    unsigned char local_name[FIELD_MAX];
};

/* Checks the central entry at *pos (within the directory d) and its local header; advances
 * *pos past it. */
static enum reg_status
check_central(const struct source *s, const struct directory *d, int64_t *pos, struct fields *f)
{
    unsigned char h[CENTRAL_LEN], lh[LOCAL_LEN];
    size_t nlen, elen, clen;
    unsigned int flags, mode;
    const char *name = (const char *)f->name;
    int64_t loff;
    enum reg_status st;

    if (*pos + CENTRAL_LEN > d->offset + d->size || !src_read(s, *pos, h, sizeof(h)) ||
        le32(h) != SIG_CENTRAL)
        return not_a_zip("a damaged central directory");
    nlen = le16(h + 28);
    elen = le16(h + 30);
    clen = le16(h + 32);
    if (*pos + CENTRAL_LEN + (int64_t)(nlen + elen + clen) > d->offset + d->size ||
        !src_read(s, *pos + CENTRAL_LEN, f->name, nlen) ||
        !src_read(s, *pos + CENTRAL_LEN + (int64_t)nlen, f->extra, elen))
        return not_a_zip("a damaged central directory");
    *pos += CENTRAL_LEN + (int64_t)(nlen + elen + clen);
    st = reg_zipcheck_name(name, nlen);
    if (st != REG_OK)
        return st;
    flags = le16(h + 8);
    if (flags & (FLAG_ENCRYPTED | FLAG_STRONG | FLAG_MASKED))
        return refuse_name(name, nlen, "it is encrypted");
    mode = le32(h + 38) >> 16;
    if (le16(h + 4) >> 8 == HOST_UNIX && (mode & MODE_TYPE) == MODE_LNK)
        return refuse_name(name, nlen, "a symbolic link");
    if (le16(h + 4) >> 8 == HOST_UNIX && (mode & MODE_TYPE) != 0 &&
        (mode & MODE_TYPE) != MODE_REG && (mode & MODE_TYPE) != MODE_DIR)
        return refuse_name(name, nlen, "neither a regular file nor a directory");
    if (!local_offset(h, f->extra, elen, &loff) || loff + LOCAL_LEN + (int64_t)nlen > d->offset ||
        !src_read(s, loff, lh, sizeof(lh)) || le32(lh) != SIG_LOCAL)
        return refuse_name(name, nlen, "its local header is missing");
    if (le16(lh + 6) & (FLAG_ENCRYPTED | FLAG_STRONG))
        return refuse_name(name, nlen, "it is encrypted");
    if (le16(lh + 26) != nlen || !src_read(s, loff + LOCAL_LEN, f->local_name, nlen) ||
        memcmp(f->local_name, f->name, nlen) != 0)
        return refuse_name(name, nlen, "its local header names another file");
    return REG_OK;
}

/* Pass 1 over the whole central directory; *count receives the number of entries. */
static enum reg_status
scan_raw(const struct source *s, int max_entries, int *count)
{
    struct directory d = {0, 0, 0};
    struct fields *f;
    int64_t pos;
    enum reg_status st = find_directory(s, &d);

    if (st != REG_OK)
        return st;
    if (d.count > max_entries)
        return reg_errorf(REG_EINVAL, "the zip holds %lld entries, more than the limit of %d",
                          (long long)d.count, max_entries);
    if (d.count * CENTRAL_LEN > d.size)
        return not_a_zip("the central directory is shorter than its entry count");
    f = malloc(sizeof(*f));
    if (!f)
        reg_oom();
    pos = d.offset;
    for (int64_t i = 0; i < d.count && st == REG_OK; i++)
        st = check_central(s, &d, &pos, f);
    free(f);
    if (st == REG_OK && pos != d.offset + d.size)
        st = not_a_zip("the central directory holds more than its entry count");
    *count = (int)d.count;
    return st;
}

/* ---------------------------------------------------------------- pass 2: libarchive */

static la_ssize_t
src_archive_read(struct archive *ar, void *ctx, const void **buf)
{
    struct source *s = ctx;
    size_t n = s->size - s->pos < READ_BLOCK ? (size_t)(s->size - s->pos) : READ_BLOCK;

    (void)ar;
    if (s->mem) {
        *buf = s->mem + s->pos;
    } else {
        if (!src_read(s, s->pos, s->block, n))
            return -1;
        *buf = s->block;
    }
    s->pos += (int64_t)n;
    return (la_ssize_t)n;
}

static la_int64_t
src_archive_seek(struct archive *ar, void *ctx, la_int64_t offset, int whence)
{
    struct source *s = ctx;
    int64_t to = offset;

    (void)ar;
    if (whence == SEEK_CUR)
        to = s->pos + offset;
    else if (whence == SEEK_END)
        to = s->size + offset;
    if (to < 0 || to > s->size)
        return ARCHIVE_FATAL;
    s->pos = to;
    return to;
}

static la_int64_t
src_archive_skip(struct archive *ar, void *ctx, la_int64_t request)
{
    struct source *s = ctx;
    int64_t n = request < s->size - s->pos ? request : s->size - s->pos;

    (void)ar;
    if (n < 0)
        return 0;
    s->pos += n;
    return n;
}

/* A file kept for the caller (README.md or config.json), up to cap bytes. */
struct kept {
    struct reg_buf text;
    size_t cap;
    bool seen;
};

/* What pass 2 gathers. */
struct reading {
    struct reg_arena *a;
    const struct reg_zip_observer *observer; /* NULL: none */
    int64_t max_total;
    int64_t total;
    struct reg_zip_file *files;
    int nfiles;
    const char **names; /* every entry's name, for the duplicate check */
    int nnames;
    const char *root; /* the first entry's top-level directory, while every entry shares it */
    size_t root_len;
    bool single_root;
    /* [0] top level, [1] in root/ */
    struct kept readme[2];
    struct kept config[2];
};

/* Where README.md or config.json found at this name goes, or NULL. */
static struct kept *
kept_for(struct reading *r, const char *name)
{
    const char *leaf = name;
    int depth = 0;

    if (r->root && strncmp(name, r->root, r->root_len) == 0 && name[r->root_len] == '/') {
        leaf = name + r->root_len + 1;
        depth = 1;
    }
    if (strchr(leaf, '/'))
        return NULL;
    if (strcasecmp(leaf, "README.md") == 0)
        return &r->readme[depth];
    if (strcmp(leaf, "config.json") == 0)
        return &r->config[depth];
    return NULL;
}

/* Updates the single-root tracking with one more entry name. */
static void
track_root(struct reading *r, const char *name, bool first)
{
    const char *slash = strchr(name, '/');

    if (first && slash) {
        r->root = reg_arena_strndup(r->a, name, (size_t)(slash - name));
        r->root_len = (size_t)(slash - name);
        r->single_root = true;
    } else if (r->single_root &&
               !(strncmp(name, r->root, r->root_len) == 0 && name[r->root_len] == '/')) {
        r->single_root = false;
    }
}

static void
keep(struct kept *k, const void *data, size_t len)
{
    size_t room = k->cap - k->text.len;

    if (len > room)
        len = room;
    if (len > 0)
        reg_buf_append(&k->text, data, len); /* within the buffer's max: cannot fail */
}

/* Decompresses the current file, counting its bytes against the total cap. */
static enum reg_status
read_file(struct archive *ar, struct reading *r, const char *name, struct kept *k, int64_t *size)
{
    *size = 0;
    for (;;) {
        const void *buf;
        size_t len;
        la_int64_t offset;
        int rc = archive_read_data_block(ar, &buf, &len, &offset);

        if (rc == ARCHIVE_EOF)
            return REG_OK;
        if (rc != ARCHIVE_OK)
            return refuse_name(name, strlen(name),
                               archive_error_string(ar) ? archive_error_string(ar)
                                                        : "its data cannot be read");
        r->total += (int64_t)len;
        *size += (int64_t)len;
        if (r->total > r->max_total)
            return reg_errorf(REG_EINVAL,
                              "the zip holds more than %lld bytes uncompressed (stopped in "
                              "entry '%.200s')",
                              (long long)r->max_total, name);
        if (k)
            keep(k, buf, len);
        if (r->observer && len > 0) {
            enum reg_status st = r->observer->data(r->observer->ctx, buf, len);
            if (st != REG_OK)
                return st;
        }
    }
}

/* Checks one entry libarchive presents, and reads it if it is a file. */
static enum reg_status
read_entry(struct archive *ar, struct archive_entry *e, struct reading *r, bool first)
{
    const char *name = archive_entry_pathname_utf8(e);
    mode_t type = archive_entry_filetype(e);
    struct kept *k;
    int64_t size = 0;
    enum reg_status st;

    if (!name)
        name = archive_entry_pathname(e);
    if (!name)
        return not_a_zip("an entry without a readable name");
    st = reg_zipcheck_name(name, strlen(name));
    if (st != REG_OK)
        return st;
    if (archive_entry_hardlink(e))
        return refuse_name(name, strlen(name), "a hard link");
    if (type == AE_IFLNK || archive_entry_symlink(e))
        return refuse_name(name, strlen(name), "a symbolic link");
    if (type != AE_IFREG && type != AE_IFDIR)
        return refuse_name(name, strlen(name), "neither a regular file nor a directory");
    if (archive_entry_is_encrypted(e))
        return refuse_name(name, strlen(name), "it is encrypted");
    track_root(r, name, first);
    r->names[r->nnames++] = reg_arena_strdup(r->a, name);
    if (type == AE_IFDIR)
        return REG_OK;
    if (archive_entry_size_is_set(e) && archive_entry_size(e) > r->max_total - r->total)
        return reg_errorf(REG_EINVAL,
                          "zip entry '%.200s' declares %lld bytes, more than the %lld bytes "
                          "left of the limit",
                          name, (long long)archive_entry_size(e),
                          (long long)(r->max_total - r->total));
    k = kept_for(r, name);
    if (k && k->seen)
        k = NULL; /* a duplicate, refused below */
    if (k)
        k->seen = true;
    if (r->observer)
        st = r->observer->begin(r->observer->ctx, name);
    if (st == REG_OK)
        st = read_file(ar, r, name, k, &size);
    if (st == REG_OK && r->observer)
        st = r->observer->end(r->observer->ctx);
    if (st != REG_OK)
        return st;
    r->files[r->nfiles].path = r->names[r->nnames - 1];
    r->files[r->nfiles].size = size;
    r->nfiles++;
    return REG_OK;
}

static int
cmp_names(const void *x, const void *y)
{
    const char *a = *(const char *const *)x, *b = *(const char *const *)y;
    size_t la = strlen(a), lb = strlen(b);

    /* compare without a directory's trailing '/' */
    la -= la > 0 && a[la - 1] == '/';
    lb -= lb > 0 && b[lb - 1] == '/';
    if (la != lb) {
        int c = memcmp(a, b, la < lb ? la : lb);

        return c != 0 ? c : (la < lb ? -1 : 1);
    }
    return memcmp(a, b, la);
}

static enum reg_status
check_duplicates(struct reading *r)
{
    qsort(r->names, (size_t)r->nnames, sizeof(*r->names), cmp_names);
    for (int i = 1; i < r->nnames; i++)
        if (cmp_names(&r->names[i - 1], &r->names[i]) == 0)
            return refuse_name(r->names[i], strlen(r->names[i]), "a name used twice");
    return REG_OK;
}

/* Pass 2: every entry through libarchive; count is what pass 1 found. */
static enum reg_status
read_entries(struct source *s, struct reading *r, int count)
{
    struct archive *ar = archive_read_new();
    enum reg_status st = REG_OK;
    int n = 0;

    if (!ar)
        reg_oom();
    archive_read_support_format_zip_seekable(ar);
    archive_read_set_callback_data(ar, s);
    archive_read_set_read_callback(ar, src_archive_read);
    archive_read_set_seek_callback(ar, src_archive_seek);
    archive_read_set_skip_callback(ar, src_archive_skip);
    s->pos = 0;
    if (archive_read_open1(ar) != ARCHIVE_OK)
        st = reg_errorf(REG_EINVAL, "not an acceptable zip: %s",
                        archive_error_string(ar) ? archive_error_string(ar) : "unreadable");
    while (st == REG_OK) {
        struct archive_entry *e;
        int rc = archive_read_next_header(ar, &e);

        if (rc == ARCHIVE_EOF)
            break;
        if (rc < ARCHIVE_WARN || n >= count) {
            st = reg_errorf(REG_EINVAL, "not an acceptable zip: %s",
                            rc < ARCHIVE_WARN && archive_error_string(ar)
                                ? archive_error_string(ar)
                                : "more entries than its central directory lists");
            break;
        }
        st = read_entry(ar, e, r, n == 0);
        n++;
    }
    if (st == REG_OK && n != count)
        st = not_a_zip("fewer entries than its central directory lists");
    archive_read_free(ar);
    return st;
}

/*
 * Pass 2 in a UTF-8 character type locale, for this thread only: libarchive converts the
 * names of UTF-8 zips to the current locale's charset, and in the "C" locale (which a process
 * has until it calls setlocale) a name that is not ASCII cannot be converted and reads as no
 * name at all. Without C.UTF-8 such names are refused, which is safe.
 */
static enum reg_status
read_all(struct source *s, struct reading *r, int count)
{
    locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    locale_t old = utf8 ? uselocale(utf8) : (locale_t)0;
    enum reg_status st = read_entries(s, r, count);

    if (utf8) {
        uselocale(old);
        freelocale(utf8);
    }
    return st;
}

/* ---------------------------------------------------------------- the report */

static void
report(struct reading *r, struct reg_zip_report *out, int count)
{
    int at = r->single_root ? 1 : 0;
    struct kept *rd = &r->readme[at], *cf = &r->config[at];

    out->files = r->files;
    out->nfiles = r->nfiles;
    out->nentries = count;
    out->total_bytes = r->total;
    out->root = r->single_root ? r->root : NULL;
    if (rd->seen) {
        const char *t = rd->text.data ? rd->text.data : "";
        size_t n = rd->text.len;

        /* One byte more than the limit was kept, so a cut can see where a character starts. */
        out->readme_truncated = n > REG_ZIPCHECK_README_MAX;
        if (out->readme_truncated) {
            n = REG_ZIPCHECK_README_MAX;
            while (n > 0 && ((unsigned char)t[n] & 0xc0) == 0x80)
                n--;
        }
        out->readme = reg_arena_strndup(r->a, t, n);
        out->readme_len = n;
    }
    if (cf->seen && cf->text.len <= REG_ZIPCHECK_CONFIG_MAX) {
        out->config_json =
            reg_arena_strndup(r->a, cf->text.data ? cf->text.data : "", cf->text.len);
        out->config_len = cf->text.len;
    }
}

static enum reg_status
check(struct reg_arena *a, struct source *s, const struct reg_zipcheck_limits *limits,
      struct reg_zip_report *out)
{
    int max_entries =
        limits && limits->max_entries > 0 ? limits->max_entries : REG_ZIPCHECK_MAX_ENTRIES;
    struct reading r;
    int count = 0;
    enum reg_status st;

    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    st = scan_raw(s, max_entries, &count);
    if (st != REG_OK)
        return st;
    r.a = a;
    r.observer = limits ? limits->observer : NULL;
    r.max_total =
        limits && limits->max_total_bytes > 0 ? limits->max_total_bytes : REG_ZIPCHECK_MAX_BYTES;
    r.files = reg_arena_alloc(a, ((size_t)count + 1) * sizeof(*r.files));
    r.names = reg_arena_alloc(a, ((size_t)count + 1) * sizeof(*r.names));
    for (int i = 0; i < 2; i++) {
        /* one byte past each limit: enough to know that it was passed */
        r.readme[i].cap = REG_ZIPCHECK_README_MAX + 1;
        r.config[i].cap = REG_ZIPCHECK_CONFIG_MAX + 1;
        reg_buf_init(&r.readme[i].text, r.readme[i].cap);
        reg_buf_init(&r.config[i].text, r.config[i].cap);
    }
    if (count > 0)
        st = read_all(s, &r, count);
    if (st == REG_OK)
        st = check_duplicates(&r);
    if (st == REG_OK)
        report(&r, out, count);
    for (int i = 0; i < 2; i++) {
        reg_buf_cleanup(&r.readme[i].text);
        reg_buf_cleanup(&r.config[i].text);
    }
    return st;
}

enum reg_status
reg_zipcheck_memory(struct reg_arena *a, const void *data, size_t len,
                    const struct reg_zipcheck_limits *limits, struct reg_zip_report *out)
{
    struct source s = {0};

    if (!data && len > 0)
        return reg_errorf(REG_EINVAL, "reg_zipcheck_memory: no data");
    s.mem = data ? data : (const unsigned char *)"";
    s.fd = -1;
    s.size = (int64_t)len;
    return check(a, &s, limits, out);
}

enum reg_status
reg_zipcheck_file(struct reg_arena *a, const char *path, const struct reg_zipcheck_limits *limits,
                  struct reg_zip_report *out)
{
    struct source s = {0};
    struct stat st;
    enum reg_status rc;

    memset(out, 0, sizeof(*out));
    s.fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (s.fd < 0)
        return reg_errorf(REG_EINVAL, "cannot open the zip %s: %s", path ? path : "(null)",
                          strerror(errno));
    if (fstat(s.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(s.fd);
        return reg_errorf(REG_EINVAL, "the zip %s is not a regular file", path);
    }
    s.size = st.st_size;
    s.block = malloc(READ_BLOCK);
    if (!s.block)
        reg_oom();
    rc = check(a, &s, limits, out);
    free(s.block);
    close(s.fd);
    return rc;
}
