/*
 * zip.c - a zip read as a stream: local file headers walked in order, each entry's data
 * stored or deflated (zlib inflate, raw), its CRC-32 and sizes checked; then the central
 * directory, checked against the entries walked (the same entries, in the same order, at the
 * same offsets, with the same names, CRCs and sizes), and the end record. Entries a format
 * cares about are fed to their reader as they are inflated: pickles of a PyTorch checkpoint
 * (any "*.pkl", which covers "archive/data.pkl"), arrays of an .npz ("*.npy"), a Keras config
 * ("config.json"); the others are checked and dropped, never kept.
 *
 * The end of an entry whose header has no sizes (flag bit 3, a data descriptor after the data)
 * is where inflate ends, for a deflated one; for a stored one (torch.save writes those) it is
 * the first data descriptor whose CRC-32 and sizes are those of the bytes before it. A stored
 * entry that hides a descriptor in its data to end early is caught by the central directory,
 * which then disagrees with the entries walked.
 *
 * Anything the walk cannot follow makes the file UNKNOWN: a bad signature, a name past
 * SCAN_ZIP_NAME_MAX, an entry whose data fails to inflate or its CRC, an entry encrypted or
 * compressed by another method when its content must be read (or its end found), a central
 * directory that differs from the local headers, the file ending before the end record.
 */
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/bytes.h"
#include "scan/scan_int.h"

enum {
    Z_SIG,
    Z_REC,
    Z_NAME,
    Z_EXTRA,
    Z_DATA,
    Z_HELD,
    Z_DESC,
    Z_CNAME,
    Z_CEXTRA,
    Z_SKIP,
    Z_TRAIL, /* after the end record and its comment: nothing may follow */
    Z_DONE
};
enum { T_SKIP, T_PICKLE, T_NPY, T_JSON };

struct zip_seen {
    uint64_t offset, csize, name_hash;
    uint32_t crc;
};

static const uint8_t sig_local[] = {'P', 'K', 3, 4};
static const uint8_t sig_central[] = {'P', 'K', 1, 2};
static const uint8_t sig_end[] = {'P', 'K', 5, 6};
static const uint8_t sig_end64[] = {'P', 'K', 6, 6};
static const uint8_t sig_locator64[] = {'P', 'K', 6, 7};
static const uint8_t sig_desc[] = {'P', 'K', 7, 8};

static uint64_t
name_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

void
zip_init(struct zip *z, struct reg_scan *s, enum zip_kind kind)
{
    memset(z, 0, sizeof(*z));
    z->s = s;
    z->kind = kind;
    z->want = 4;
    z->extra = malloc(65536);
    z->zout = malloc(SCAN_ZIP_WINDOW);
    if (!z->extra || !z->zout)
        reg_oom();
}

void
zip_reader_end(struct zip *z, bool finish)
{
    if (finish && !scan_stopped(z->s)) {
        if (z->target == T_PICKLE)
            pk_end(&z->pk);
        else if (z->target == T_NPY)
            npy_end(&z->npy);
        else if (z->target == T_JSON)
            jdoc_end(&z->jd);
    }
    if (z->target == T_PICKLE)
        pk_cleanup(&z->pk);
    else if (z->target == T_NPY)
        npy_cleanup(&z->npy);
    else if (z->target == T_JSON)
        jdoc_cleanup(&z->jd);
    z->target = T_SKIP;
    if (z->z_live)
        inflateEnd(&z->z);
    z->z_live = false;
}

void
zip_cleanup(struct zip *z)
{
    zip_reader_end(z, false);
    free(z->extra);
    free(z->zout);
    free(z->seen);
    z->extra = NULL;
    z->zout = NULL;
    z->seen = NULL;
}

static void
zfail(struct zip *z, const char *what)
{
    if (z->in_central)
        scan_note(z->s, REG_SCAN_UNKNOWN, "zip central directory entry %d (at byte %llu): %s",
                  z->ncentral, (unsigned long long)z->entry_pos, what);
    else
        scan_note(z->s, REG_SCAN_UNKNOWN, "zip entry %d ('%.120s' at byte %llu): %s", z->nentries,
                  z->state >= Z_EXTRA ? z->name : "", (unsigned long long)z->entry_pos, what);
    z->state = Z_DONE;
}

static bool
suffix(const char *name, const char *sfx)
{
    size_t n = strlen(name), k = strlen(sfx);

    return n >= k && strcmp(name + n - k, sfx) == 0;
}

bool
zip_reads(enum zip_kind kind, const char *name)
{
    return (kind == ZIP_TORCH && suffix(name, ".pkl")) ||
           (kind == ZIP_NPZ && suffix(name, ".npy")) ||
           (kind == ZIP_KERAS && strcmp(name, "config.json") == 0);
}

static int
target_of(const struct zip *z)
{
    if (!zip_reads(z->kind, z->name))
        return T_SKIP;
    return z->kind == ZIP_TORCH ? T_PICKLE : z->kind == ZIP_NPZ ? T_NPY : T_JSON;
}

void
zip_reader_begin(struct zip *z)
{
    z->target = target_of(z);
    z->crc_now = (uint32_t)crc32(0, NULL, 0);
    z->out = 0;
    if (z->target == T_PICKLE)
        pk_init(&z->pk, z->s, z->name, false);
    else if (z->target == T_NPY)
        npy_init(&z->npy, z->s, z->name);
    else if (z->target == T_JSON)
        jdoc_init(&z->jd, z->s, z->name, z->kind == ZIP_KERAS);
    if (z->target != T_SKIP)
        z->ntargets++;
}

/* The Zip64 extended information field holds, in this order, the uncompressed size, the
 * compressed size and the local header's offset that the header marks 0xFFFFFFFF. */
static void
parse_extra(struct zip *z)
{
    if (zip64_extra(z->extra, z->extralen, &z->usize, &z->csize, &z->offset))
        z->zip64 = true;
}

bool
zip64_extra(const uint8_t *extra, size_t len, uint64_t *usize, uint64_t *csize, uint64_t *offset)
{
    bool found = false;

    for (size_t at = 0; at + 4 <= len;) {
        size_t n = (size_t)reg_le_uint(extra + at + 2, 2), p = at + 4;
        size_t end = p + n < len ? p + n : len;

        if (reg_le_uint(extra + at, 2) == 1) {
            uint64_t *fields[] = {usize, csize, offset};
            found = true;
            for (size_t i = 0; i < 3; i++) {
                if (*fields[i] != 0xFFFFFFFFu || p + 8 > end)
                    continue;
                *fields[i] = reg_le_uint(extra + p, 8);
                p += 8;
            }
        }
        at += 4 + n;
    }
    return found;
}

/* The header, name and extra field read: how the entry's data will be walked. */
static void
start_entry(struct zip *z)
{
    bool descriptor = z->flags & 8, encrypted = z->flags & 1;

    z->offset = 0;
    parse_extra(z);
    zip_reader_begin(z);
    z->in = 0;
    z->nheld = 0;
    if (encrypted && (z->target != T_SKIP || descriptor)) {
        zfail(z, "encrypted");
        return;
    }
    if (z->method != 0 && z->method != 8 && (z->target != T_SKIP || descriptor)) {
        zfail(z, "compression method the scanner does not read");
        return;
    }
    if (z->method == 8 && !encrypted) {
        memset(&z->z, 0, sizeof(z->z));
        if (inflateInit2(&z->z, -15) != Z_OK)
            reg_oom();
        z->z_live = true;
    }
    if (!z->z_live && descriptor && z->csize == 0)
        z->state = Z_HELD; /* stored, size unknown: look for its descriptor */
    else
        z->state = z->z_live || z->csize > 0 ? Z_DATA : Z_DESC;
}

void
zip_produce(struct zip *z, const uint8_t *b, size_t n)
{
    if (n == 0)
        return;
    z->crc_now = (uint32_t)crc32(z->crc_now, b, (uInt)n);
    z->out += n;
    if (z->target == T_PICKLE)
        pk_feed(&z->pk, b, n);
    else if (z->target == T_NPY)
        npy_feed(&z->npy, b, n);
    else if (z->target == T_JSON)
        jdoc_feed(&z->jd, b, n);
}

static size_t
data_raw(struct zip *z, const uint8_t *b, size_t n)
{
    size_t take = z->csize - z->in < n ? (size_t)(z->csize - z->in) : n;

    if (!(z->flags & 1) && z->method == 0)
        zip_produce(z, b, take);
    z->in += take;
    if (z->in == z->csize)
        z->state = Z_DESC;
    return take;
}

static size_t
data_inflate(struct zip *z, const uint8_t *b, size_t n)
{
    bool descriptor = z->flags & 8;
    size_t avail = n;
    int rc;

    if (!descriptor && z->csize - z->in < avail)
        avail = (size_t)(z->csize - z->in);
    z->z.next_in = b;
    z->z.avail_in = (uInt)(avail > 1u << 30 ? 1u << 30 : avail);
    avail = z->z.avail_in;
    do {
        z->z.next_out = z->zout;
        z->z.avail_out = SCAN_ZIP_WINDOW;
        rc = inflate(&z->z, Z_NO_FLUSH);
        /* What was inflated before an error first: its reader sees the same bytes whatever
         * the pieces the file came in. */
        zip_produce(z, z->zout, SCAN_ZIP_WINDOW - z->z.avail_out);
        z->inflated_total += SCAN_ZIP_WINDOW - z->z.avail_out;
        if (scan_stopped(z->s))
            return n;
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
            zfail(z, "corrupt deflate data");
            return n;
        }
        if (z->inflated_total > SCAN_ZIP_INFLATE_MAX) {
            zfail(z, "inflates to more than the scanner's bound");
            return n;
        }
    } while (rc == Z_OK && (z->z.avail_in > 0 || z->z.avail_out == 0));
    z->in += avail - z->z.avail_in;
    if (rc == Z_STREAM_END) {
        inflateEnd(&z->z);
        z->z_live = false;
        z->state = Z_DESC;
    } else if (!descriptor && z->in == z->csize) {
        zfail(z, "deflate data ends before its stream does (truncated or corrupt)");
    }
    return avail - z->z.avail_in;
}

static void
next_record(struct zip *z)
{
    z->state = Z_SIG;
    z->have = 0;
    z->want = 4;
}

/* The entry's data ended: its CRC and sizes (from the header or the descriptor) checked, and
 * the entry remembered for the central directory. */
static void
check_entry(struct zip *z, uint32_t crc, uint64_t csize, uint64_t usize)
{
    bool readable = !(z->flags & 1) && (z->method == 0 || z->method == 8);
    struct zip_seen *e;

    if (readable && crc != z->crc_now) {
        zfail(z, "CRC-32 mismatch (corrupt)");
        return;
    }
    if (csize != z->in || (readable && usize != z->out)) {
        zfail(z, "sizes differ from the data");
        return;
    }
    zip_reader_end(z, true);
    if (z->nentries == z->cap_seen) {
        struct zip_seen *grown;
        if (z->cap_seen == SCAN_ZIP_ENTRIES_MAX) {
            zfail(z, "more entries than the scanner checks");
            return;
        }
        z->cap_seen = z->cap_seen ? z->cap_seen * 2 : 16;
        grown = realloc(z->seen, (size_t)z->cap_seen * sizeof(*z->seen));
        if (!grown)
            reg_oom();
        z->seen = grown;
    }
    e = &z->seen[z->nentries++];
    e->offset = z->entry_pos;
    e->csize = z->in;
    e->crc = readable ? z->crc_now : crc;
    e->name_hash = name_hash(z->name);
    next_record(z);
}

/* A stored entry without sizes: every byte is held back until it cannot start the entry's
 * data descriptor (signature, CRC-32 and both sizes equal to what came before). Returns the
 * bytes of b consumed; the bytes held past a descriptor found are the next record's. */
static bool
held_is_descriptor(struct zip *z, size_t *len)
{
    const uint8_t *d = z->held;

    if (z->nheld < 24 || memcmp(d, sig_desc, 4) != 0 || reg_le_uint(d + 4, 4) != z->crc_now)
        return false;
    if (!z->zip64 && reg_le_uint(d + 8, 4) == z->in && reg_le_uint(d + 12, 4) == z->in) {
        *len = 16;
        return true;
    }
    if (reg_le_uint(d + 8, 8) == z->in && reg_le_uint(d + 16, 8) == z->in) {
        *len = 24;
        return true;
    }
    return false;
}

static void
release(struct zip *z, size_t k)
{
    zip_produce(z, z->held, k);
    z->in += k;
    memmove(z->held, z->held + k, z->nheld - k);
    z->nheld -= k;
}

static size_t
data_held(struct zip *z, const uint8_t *b, size_t n)
{
    size_t done = 0, len;

    while (done < n && z->state == Z_HELD && !scan_stopped(z->s)) {
        if (z->nheld == 0) {
            /* Bytes before the next 'P' cannot start a descriptor: through at once. */
            const uint8_t *p = memchr(b + done, 'P', n - done);
            size_t k = p ? (size_t)(p - (b + done)) : n - done;
            zip_produce(z, b + done, k);
            z->in += k;
            done += k;
            if (done == n)
                break;
        }
        while (z->nheld < sizeof(z->held) && done < n)
            z->held[z->nheld++] = b[done++];
        if (z->nheld < sizeof(z->held))
            break;
        if (held_is_descriptor(z, &len)) {
            uint8_t rest[24];
            size_t nrest = z->nheld - len;
            memcpy(rest, z->held + len, nrest);
            z->nheld = 0;
            check_entry(z, z->crc_now, z->in, z->in);
            /* The bytes held after the descriptor start the next record. */
            z->pos += done;
            z->pos -= nrest;
            zip_feed(z, rest, nrest);
            z->pos -= done;
            return done;
        }
        {
            const uint8_t *p = memchr(z->held + 1, 'P', z->nheld - 1);
            release(z, p ? (size_t)(p - z->held) : z->nheld);
        }
    }
    return done;
}

static void
descriptor(struct zip *z)
{
    size_t sz = z->zip64 ? 8 : 4;
    const uint8_t *d = z->hdr;

    if (!(z->flags & 8)) {
        check_entry(z, z->crc, z->csize, z->usize);
        return;
    }
    if (z->want == 4) { /* first: the optional signature, or the CRC */
        z->want = memcmp(z->hdr, sig_desc, 4) == 0 ? 4 + 4 + 2 * sz : 4 + 2 * sz;
        return;
    }
    if (z->want == 4 + 4 + 2 * sz)
        d += 4;
    check_entry(z, (uint32_t)reg_le_uint(d, 4), reg_le_uint(d + 4, sz),
                reg_le_uint(d + 4 + sz, sz));
}

static void
local_header(struct zip *z)
{
    const uint8_t *h = z->hdr;

    z->flags = (uint16_t)reg_le_uint(h + 6, 2);
    z->method = (uint16_t)reg_le_uint(h + 8, 2);
    z->crc = (uint32_t)reg_le_uint(h + 14, 4);
    z->csize = reg_le_uint(h + 18, 4);
    z->usize = reg_le_uint(h + 22, 4);
    z->namelen = (uint16_t)reg_le_uint(h + 26, 2);
    z->extralen = (uint16_t)reg_le_uint(h + 28, 2);
    z->zip64 = false;
    if (z->namelen == 0 || z->namelen > SCAN_ZIP_NAME_MAX) {
        zfail(z, "name empty or too long");
        return;
    }
    z->state = Z_NAME;
    z->have = 0;
    z->want = z->namelen;
}

/* A central directory record: it must describe the next entry walked, exactly. */
static void
central_header(struct zip *z)
{
    const uint8_t *h = z->hdr;

    z->crc = (uint32_t)reg_le_uint(h + 16, 4);
    z->csize = reg_le_uint(h + 20, 4);
    z->usize = reg_le_uint(h + 24, 4);
    z->namelen = (uint16_t)reg_le_uint(h + 28, 2);
    z->extralen = (uint16_t)reg_le_uint(h + 30, 2);
    z->skip = reg_le_uint(h + 32, 2); /* the comment */
    z->offset = reg_le_uint(h + 42, 4);
    if (z->namelen == 0 || z->namelen > SCAN_ZIP_NAME_MAX) {
        zfail(z, "name empty or too long");
        return;
    }
    z->state = Z_CNAME;
    z->have = 0;
    z->want = z->namelen;
}

static void
central_check(struct zip *z)
{
    const struct zip_seen *e;

    parse_extra(z);
    if (z->ncentral >= z->nentries) {
        zfail(z, "an entry the local headers do not have");
        return;
    }
    e = &z->seen[z->ncentral];
    if (e->offset != z->offset || e->csize != z->csize || e->crc != z->crc ||
        e->name_hash != name_hash(z->name)) {
        zfail(z, "differs from the local header it should describe");
        return;
    }
    z->ncentral++;
    z->state = z->skip > 0 ? Z_SKIP : Z_SIG;
    z->have = 0;
    z->want = 4;
}

static void
end_record(struct zip *z)
{
    if (z->ncentral != z->nentries) {
        zfail(z, "the central directory lists fewer entries than the file holds");
        return;
    }
    /* The end record must end the file (as unzip finds it, from the end): a second zip
     * appended after it could list entries this walk never saw. */
    z->skip = reg_le_uint(z->hdr + 20, 2);
    z->state = z->skip > 0 ? Z_SKIP : Z_TRAIL;
    z->finished = true;
    if (z->kind == ZIP_TORCH && z->ntargets == 0)
        scan_note(z->s, REG_SCAN_UNKNOWN, "zip: no pickle (*.pkl) in the checkpoint");
    if (z->kind == ZIP_KERAS && z->ntargets == 0)
        scan_note(z->s, REG_SCAN_UNKNOWN, "keras: no config.json in the zip");
}

/* A fixed-size record was read into hdr (its signature first). */
static void
record(struct zip *z)
{
    if (memcmp(z->hdr, sig_local, 4) == 0) {
        local_header(z);
    } else if (memcmp(z->hdr, sig_central, 4) == 0) {
        central_header(z);
    } else if (memcmp(z->hdr, sig_end64, 4) == 0) {
        z->skip = reg_le_uint(z->hdr + 4, 8); /* the rest of the Zip64 end record */
        z->state = z->skip > 0 ? Z_SKIP : Z_SIG;
        z->have = 0;
        z->want = 4;
    } else if (memcmp(z->hdr, sig_locator64, 4) == 0) {
        next_record(z);
    } else {
        end_record(z);
    }
}

/* A record's signature: how long the fixed part is. */
static void
signature(struct zip *z)
{
    z->entry_pos = z->pos - 4;
    if (memcmp(z->hdr, sig_local, 4) == 0 && !z->in_central) {
        z->want = 30;
    } else if (memcmp(z->hdr, sig_central, 4) == 0) {
        z->in_central = true;
        z->want = 46;
    } else if (memcmp(z->hdr, sig_end64, 4) == 0 && z->in_central) {
        z->want = 12;
    } else if (memcmp(z->hdr, sig_locator64, 4) == 0 && z->in_central) {
        z->want = 20;
    } else if (memcmp(z->hdr, sig_end, 4) == 0) {
        z->in_central = true;
        z->want = 22;
    } else {
        zfail(z, "no zip record where one should start");
        return;
    }
    z->state = Z_REC;
}

/* A fixed-size piece was collected into hdr, name or extra. */
static void
collected(struct zip *z)
{
    switch (z->state) {
    case Z_SIG:
        signature(z);
        break;
    case Z_REC:
        record(z);
        break;
    case Z_NAME:
    case Z_CNAME:
        z->name[z->namelen] = '\0';
        if (memchr(z->name, '\0', z->namelen)) {
            zfail(z, "NUL in the name");
            return;
        }
        z->state = z->state == Z_NAME ? Z_EXTRA : Z_CEXTRA;
        z->have = 0;
        z->want = z->extralen;
        if (z->want == 0)
            collected(z);
        break;
    case Z_EXTRA:
        start_entry(z);
        break;
    case Z_CEXTRA:
        central_check(z);
        break;
    default:
        descriptor(z);
        break;
    }
}

static uint8_t *
piece(struct zip *z)
{
    if (z->state == Z_NAME || z->state == Z_CNAME)
        return (uint8_t *)z->name;
    if (z->state == Z_EXTRA || z->state == Z_CEXTRA)
        return z->extra;
    return z->hdr;
}

/* Bytes of the entry's data (or of a comment passed over); returns how many were used. */
static size_t
data(struct zip *z, const uint8_t *b, size_t n)
{
    size_t take;

    if (z->state == Z_SKIP) {
        take = z->skip < n ? (size_t)z->skip : n;
        z->skip -= take;
        if (z->skip == 0 && z->finished)
            z->state = Z_TRAIL;
        else if (z->skip == 0)
            next_record(z);
        return take;
    }
    if (z->state == Z_HELD)
        return data_held(z, b, n);
    take = z->z_live ? data_inflate(z, b, n) : data_raw(z, b, n);
    if (z->state == Z_DESC) {
        z->have = 0;
        z->want = 4;
        if (!(z->flags & 8))
            descriptor(z);
    }
    return take;
}

size_t
zip_feed(struct zip *z, const uint8_t *b, size_t n)
{
    size_t done = 0, take;

    while (done < n && z->state != Z_DONE && !scan_stopped(z->s)) {
        if (z->state == Z_TRAIL) {
            scan_note(z->s, REG_SCAN_UNKNOWN, "zip: bytes after the end record at byte %llu",
                      (unsigned long long)z->pos);
            z->state = Z_DONE;
            break;
        }
        if (z->state == Z_DATA || z->state == Z_HELD || z->state == Z_SKIP) {
            take = data(z, b + done, n - done);
            z->pos += take;
            done += take;
            continue;
        }
        take = z->want - z->have < n - done ? z->want - z->have : n - done;
        memcpy(piece(z) + z->have, b + done, take);
        z->have += take;
        z->pos += take;
        done += take;
        if (z->have == z->want)
            collected(z);
    }
    return done;
}

void
zip_end(struct zip *z)
{
    if (z->state == Z_TRAIL || scan_stopped(z->s))
        return;
    zfail(z, "the file ends before the zip's end record (truncated)");
}
