/*
 * zip.c - a zip read as a stream: local file headers walked in order, each entry's data
 * stored or deflated (zlib inflate, raw), its CRC-32 and sizes checked, then the central
 * directory ends the walk (what follows it is not read). Entries a format cares about are fed
 * to their reader as they are inflated: pickles of a PyTorch checkpoint (any "*.pkl", which
 * covers "archive/data.pkl"), arrays of an .npz ("*.npy"), a Keras config ("config.json");
 * the others are checked and dropped, never kept.
 *
 * Anything the walk cannot follow makes the file UNKNOWN: a bad signature, a name past
 * SCAN_ZIP_NAME_MAX, an entry whose data fails to inflate or its CRC, a stored entry with a
 * data descriptor and no size in its header (its end cannot be found without one), an entry
 * encrypted or compressed by another method when its content must be read (or its end found),
 * the file ending before the central directory.
 */
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "scan/scan_int.h"

enum { Z_SIG, Z_LFH, Z_NAME, Z_EXTRA, Z_DATA, Z_DESC, Z_DONE };
enum { T_SKIP, T_PICKLE, T_NPY, T_JSON };

static const uint8_t sig_local[] = {'P', 'K', 3, 4};
static const uint8_t sig_central[] = {'P', 'K', 1, 2};
static const uint8_t sig_end[] = {'P', 'K', 5, 6};
static const uint8_t sig_desc[] = {'P', 'K', 7, 8};

static uint64_t
rd(const uint8_t *b, size_t n)
{
    uint64_t v = 0;

    for (size_t i = n; i > 0; i--)
        v = (v << 8) | b[i - 1];
    return v;
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

static void
end_target(struct zip *z, bool finish)
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
    end_target(z, false);
    free(z->extra);
    free(z->zout);
    z->extra = NULL;
    z->zout = NULL;
}

static void
zfail(struct zip *z, const char *what)
{
    scan_note(z->s, REG_SCAN_UNKNOWN, "zip entry %u ('%.120s' at byte %llu): %s",
              (unsigned)z->nentries, z->state >= Z_EXTRA ? z->name : "",
              (unsigned long long)z->entry_pos, what);
    z->state = Z_DONE;
}

static bool
suffix(const char *name, const char *sfx)
{
    size_t n = strlen(name), k = strlen(sfx);

    return n >= k && strcmp(name + n - k, sfx) == 0;
}

static int
target_of(const struct zip *z)
{
    if (z->kind == ZIP_TORCH && suffix(z->name, ".pkl"))
        return T_PICKLE;
    if (z->kind == ZIP_NPZ && suffix(z->name, ".npy"))
        return T_NPY;
    if (z->kind == ZIP_KERAS && strcmp(z->name, "config.json") == 0)
        return T_JSON;
    return T_SKIP;
}

/* The Zip64 extended information field holds the sizes the header marks 0xFFFFFFFF. */
static void
parse_extra(struct zip *z)
{
    size_t at = 0;

    while (at + 4 <= z->extralen) {
        unsigned id = (unsigned)rd(z->extra + at, 2);
        size_t len = (size_t)rd(z->extra + at + 2, 2), p = at + 4;
        if (id == 1) {
            z->zip64 = true;
            if (z->usize == 0xFFFFFFFFu && p + 8 <= at + 4 + len && p + 8 <= z->extralen) {
                z->usize = rd(z->extra + p, 8);
                p += 8;
            }
            if (z->csize == 0xFFFFFFFFu && p + 8 <= at + 4 + len && p + 8 <= z->extralen)
                z->csize = rd(z->extra + p, 8);
        }
        at += 4 + len;
    }
}

/* The header, name and extra field read: how the entry's data will be walked. */
static void
start_entry(struct zip *z)
{
    bool descriptor = z->flags & 8, encrypted = z->flags & 1;

    parse_extra(z);
    z->target = target_of(z);
    z->in = z->out = 0;
    z->crc_now = (uint32_t)crc32(0, NULL, 0);
    if (encrypted && (z->target != T_SKIP || descriptor)) {
        zfail(z, "encrypted");
        return;
    }
    if (z->method == 0 && descriptor && z->csize == 0) {
        zfail(z, "stored with a data descriptor and no size: its end cannot be found");
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
    if (z->target == T_PICKLE)
        pk_init(&z->pk, z->s, z->name, false);
    else if (z->target == T_NPY)
        npy_init(&z->npy, z->s, z->name);
    else if (z->target == T_JSON)
        jdoc_init(&z->jd, z->s, z->name, z->kind == ZIP_KERAS);
    if (z->target != T_SKIP)
        z->ntargets++;
    z->state = Z_DATA;
    if (!z->z_live && z->csize == 0)
        z->state = Z_DESC; /* an empty entry: nothing to read */
}

/* Uncompressed bytes of the entry: checked, and handed to its reader if it has one. */
static void
produce(struct zip *z, const uint8_t *b, size_t n)
{
    z->crc_now = (uint32_t)crc32(z->crc_now, b, (uInt)n);
    z->out += n;
    if (z->target == T_PICKLE)
        pk_feed(&z->pk, b, n);
    else if (z->target == T_NPY)
        npy_feed(&z->npy, b, n);
    else if (z->target == T_JSON)
        jdoc_feed(&z->jd, b, n);
}

/* Whether the data ended (then the descriptor or the checks follow). */
static size_t
data_raw(struct zip *z, const uint8_t *b, size_t n)
{
    size_t take = z->csize - z->in < n ? (size_t)(z->csize - z->in) : n;

    if (!(z->flags & 1) && z->method == 0)
        produce(z, b, take);
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
        produce(z, z->zout, SCAN_ZIP_WINDOW - z->z.avail_out);
        if (scan_stopped(z->s))
            return n;
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
            zfail(z, "corrupt deflate data");
            return n;
        }
        z->inflated_total += SCAN_ZIP_WINDOW - z->z.avail_out;
        if (z->inflated_total > SCAN_ZIP_INFLATE_MAX) {
            zfail(z, "inflates to more than the scanner's bound");
            return n;
        }
        if (scan_stopped(z->s))
            return n;
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

/* The entry's data ended: the descriptor (flag bit 3) or the header's CRC and sizes. */
static void
check_entry(struct zip *z, uint32_t crc, uint64_t csize, uint64_t usize)
{
    if (crc != z->crc_now && !(z->flags & 1) && (z->method == 0 || z->method == 8)) {
        zfail(z, "CRC-32 mismatch (corrupt)");
        return;
    }
    if (csize != z->in ||
        ((z->method == 0 || z->method == 8) && !(z->flags & 1) && usize != z->out)) {
        zfail(z, "sizes differ from the data");
        return;
    }
    end_target(z, true);
    z->nentries++;
    z->state = Z_SIG;
    z->have = 0;
    z->want = 4;
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
    if (z->want == 0) { /* first: the optional signature, or the CRC */
        z->want = memcmp(z->hdr, sig_desc, 4) == 0 ? 4 + 4 + 2 * sz : 4 + 2 * sz;
        return;
    }
    if (z->want == 4 + 4 + 2 * sz)
        d += 4;
    check_entry(z, (uint32_t)rd(d, 4), rd(d + 4, sz), rd(d + 4 + sz, sz));
}

static void
header(struct zip *z)
{
    const uint8_t *h = z->hdr;

    z->flags = (uint16_t)rd(h + 6, 2);
    z->method = (uint16_t)rd(h + 8, 2);
    z->crc = (uint32_t)rd(h + 14, 4);
    z->csize = rd(h + 18, 4);
    z->usize = rd(h + 22, 4);
    z->namelen = (uint16_t)rd(h + 26, 2);
    z->extralen = (uint16_t)rd(h + 28, 2);
    z->zip64 = false;
    if (z->namelen == 0 || z->namelen > SCAN_ZIP_NAME_MAX) {
        zfail(z, "name empty or too long");
        return;
    }
    z->state = Z_NAME;
    z->have = 0;
    z->want = z->namelen;
}

static void
signature(struct zip *z)
{
    if (memcmp(z->hdr, sig_local, 4) == 0) {
        z->entry_pos = z->pos - 4;
        z->state = Z_LFH;
        z->want = 30;
        return;
    }
    if (memcmp(z->hdr, sig_central, 4) != 0 && memcmp(z->hdr, sig_end, 4) != 0) {
        z->entry_pos = z->pos - 4;
        {
            zfail(z, "no local header where one should start");
            return;
        }
    }
    z->state = Z_DONE;
    z->finished = true;
    if (z->kind == ZIP_TORCH && z->ntargets == 0)
        scan_note(z->s, REG_SCAN_UNKNOWN, "zip: no pickle (*.pkl) in the checkpoint");
    if (z->kind == ZIP_KERAS && z->ntargets == 0)
        scan_note(z->s, REG_SCAN_UNKNOWN, "keras: no config.json in the zip");
}

/* A fixed-size piece was collected into hdr, name or extra. */
static void
collected(struct zip *z)
{
    switch (z->state) {
    case Z_SIG:
        signature(z);
        break;
    case Z_LFH:
        header(z);
        break;
    case Z_NAME:
        z->name[z->namelen] = '\0';
        if (memchr(z->name, '\0', z->namelen)) {
            zfail(z, "NUL in the name");
            return;
        }
        z->state = Z_EXTRA;
        z->have = 0;
        z->want = z->extralen;
        if (z->want == 0)
            start_entry(z);
        break;
    case Z_EXTRA:
        start_entry(z);
        break;
    default:
        descriptor(z);
        break;
    }
}

static uint8_t *
piece(struct zip *z)
{
    if (z->state == Z_NAME)
        return (uint8_t *)z->name;
    if (z->state == Z_EXTRA)
        return z->extra;
    return z->hdr;
}

size_t
zip_feed(struct zip *z, const uint8_t *b, size_t n)
{
    size_t done = 0, take;

    while (done < n && z->state != Z_DONE && !scan_stopped(z->s)) {
        if (z->state == Z_DATA) {
            take =
                z->z_live ? data_inflate(z, b + done, n - done) : data_raw(z, b + done, n - done);
            if (z->state == Z_DESC) {
                z->have = 0;
                z->want = 0;
                if (z->flags & 8)
                    z->want = 4;
                else
                    descriptor(z);
            }
        } else {
            take = z->want - z->have < n - done ? z->want - z->have : n - done;
            memcpy(piece(z) + z->have, b + done, take);
            z->have += take;
            z->pos += take;
            done += take;
            if (z->have == z->want) {
                if (z->state == Z_DESC && z->want == 4 && z->have == 4)
                    z->want = 0;
                collected(z);
            }
            continue;
        }
        z->pos += take;
        done += take;
    }
    return done;
}

void
zip_end(struct zip *z)
{
    if (z->finished || scan_stopped(z->s))
        return;
    zfail(z, "the file ends before the central directory (truncated)");
}
