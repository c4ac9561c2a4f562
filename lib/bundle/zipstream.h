/*
 * zipstream.h - a streaming zip writer whose output is known before its first byte: from the
 * entry names and sizes alone, reg_zip_layout computes the exact length of the zip (for a
 * Content-Length sent up front) and where each entry's data lies in it (to serve one file out of
 * a stored zip later), while the writer streams the zip through a caller's sink as the data
 * arrives, never holding a file in memory. Used where a bundle is streamed to a client while its
 * files are still being fetched from upstream; libarchive's writer can tell neither the length
 * nor the offsets in advance.
 *
 * The zip (PKWARE APPNOTE 6.3), byte for byte the same for the same entries and data, so the
 * same blob digest:
 *   - entries in the order of the list (reg_zip_sort sorts one bytewise by name); every entry a
 *     regular file, STORED (method 0, no compression), external attributes 0100644 (Unix),
 *     DOS time 0 and date 0x0021 (1980-01-01 00:00), no other timestamp, no comment;
 *   - flag bit 3 on every entry (CRC and sizes in a data descriptor after the data, since the
 *     CRC is known only then) and bit 11 (UTF-8) on names that are not pure ASCII;
 *   - an entry of REG_ZIP_32_MAX bytes or more is Zip64: version needed 45 (else 20), sizes
 *     0xFFFFFFFF and a Zip64 extra field (sizes 0) in its local header, 8-byte sizes in its data
 *     descriptor;
 *   - the central directory holds the real CRC and sizes, and a Zip64 extra field with only
 *     the fields that do not fit in 32 bits (sizes, local header offset);
 *   - a Zip64 end record and locator precede the classic end record when there are 0xFFFF
 *     entries or more, or when the central directory's size or offset does not fit in 32 bits.
 *
 * Names (checked by reg_zip_layout, and so by reg_zip_writer_init, for every entry): a
 * NUL-terminated string (so no NUL inside) of 1 to REG_ZIP_NAME_MAX bytes of well-formed UTF-8,
 * without a backslash, not absolute ('/' first, or a drive letter "C:"), without a ".." path
 * segment, not ending in '/' (the writer writes regular files only). The writer never emits a
 * name that could escape the directory a zip is extracted into (zip slip). Names are not
 * checked for duplicates: reg_zip_sort refuses them, or the caller makes sure.
 *
 * Writing (a stack struct reg_zip_writer):
 *   reg_zip_writer_init   checks the list and computes the layout; nothing is written yet;
 *   then for each entry i in order:
 *     reg_zip_begin       writes entry i's local header;
 *     reg_zip_write       streams data (any chunk size, 0 included), exactly the declared size
 *                         in all: the chunk that passes it is refused whole;
 *     reg_zip_end         refuses an entry that is short of its size, else writes the data
 *                         descriptor and records the CRC in the entry (its crc field);
 *   reg_zip_finish        writes the central directory and the end records, and hands the sink
 *                         everything still buffered. The sink has then received exactly the
 *                         total that reg_zip_layout gives.
 * Records (headers, descriptors, the directory) are gathered in the writer's own buffer of
 * REG_ZIP_BUF_SIZE bytes, and so are data chunks smaller than it, so that the sink sees few,
 * larger calls; larger chunks go to the sink as they are, without a copy.
 *
 * Errors: REG_EINVAL for a bad list (n < 0, a negative size, a refused name; the detail names
 * the entry) and for data that does not match the declared size; REG_ETOOLARGE for a zip
 * longer than INT64_MAX bytes; REG_EINTERNAL for a writer used out of order; a sink's own
 * status as it returned it. After any failure, init's included, every later call of the writer
 * returns the same status: the sink has received an incomplete zip, which the caller discards.
 *
 * Ownership: nothing is allocated. The entry list passed to reg_zip_writer_init is borrowed
 * and must outlive the writer, which writes each entry's crc field; the sink context is
 * borrowed likewise. The caller owns the writer struct, which holds no resource: it may be
 * dropped at any point without a cleanup call. reg_zip_layout and reg_zip_locate are pure
 * functions (no I/O, no allocation) of the names and sizes: two processes that compute them
 * for the same list agree with each other and with what the writer writes.
 */
#ifndef REG_BUNDLE_ZIPSTREAM_H
#define REG_BUNDLE_ZIPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

/* Longest entry name (bytes): the zip's 16-bit name length field. */
#define REG_ZIP_NAME_MAX 65535
/* Sizes and offsets from this value on need Zip64 fields (it is the 32-bit field's marker). */
#define REG_ZIP_32_MAX ((int64_t)0xFFFFFFFF)
/* Entry counts from this value on need the Zip64 end record (the 16-bit field's marker). */
#define REG_ZIP_16_MAX 0xFFFF
/* Bytes the writer gathers before it calls the sink. */
#define REG_ZIP_BUF_SIZE 4096

/* One file of the zip. */
struct reg_zip_entry {
    const char *name; /* the entry name, UTF-8: "onnx/model.onnx" */
    int64_t size;     /* bytes of data, >= 0 */
    uint32_t crc;     /* CRC-32 of the data: set by reg_zip_end, ignored otherwise */
};

/* Where one entry lies in the zip (byte offsets from the zip's first byte). */
struct reg_zip_offsets {
    int64_t header; /* its local file header */
    int64_t data;   /* its first byte of data (the data runs for the entry's size) */
};

/* Receives the zip's bytes in order; any status but REG_OK fails the writer with it. */
typedef enum reg_status (*reg_zip_sink_fn)(void *ctx, const void *data, size_t len);

/* A zip being written. Fields are private: use the functions below. */
struct reg_zip_writer {
    struct reg_zip_entry *entries; /* borrowed */
    int n;
    int next;       /* the entry reg_zip_begin expects next */
    int state;      /* between entries, in an entry, or finished */
    int64_t left;   /* bytes the open entry still expects */
    uint32_t crc;   /* running CRC-32 of the open entry */
    int64_t offset; /* bytes produced so far (handed to the sink or buffered) */
    int64_t total;  /* the layout's length */
    reg_zip_sink_fn sink;
    void *ctx;
    enum reg_status failed; /* REG_OK until a call fails; then every later call fails */
    size_t buf_len;
    unsigned char buf[REG_ZIP_BUF_SIZE];
};

/*
 * Sorts e[0..n) bytewise by name (strcmp), the order that makes a bundle deterministic
 * whatever the order of its listing. REG_EINVAL when two entries have the same name (the
 * order is sorted even then) or n < 0.
 */
enum reg_status reg_zip_sort(struct reg_zip_entry *e, int n);

/*
 * Lays out the zip of e[0..n) (n >= 0; e may be NULL when n is 0) and sets *total to its
 * length in bytes and, when offsets is non-NULL, offsets[i] for each entry (the caller
 * provides n of them). Pure: see Ownership. Errors: REG_EINVAL, REG_ETOOLARGE (see Errors);
 * on an error *total and offsets are unspecified.
 */
enum reg_status reg_zip_layout(const struct reg_zip_entry *e, int n,
                               struct reg_zip_offsets *offsets, int64_t *total);

/*
 * Where the data of entry i (0 <= i < n, else REG_EINVAL) lies in the zip of e[0..n): its
 * offset and its size, so that bytes [*offset, *offset + *size) of the zip are exactly that
 * file. The whole list is checked as by reg_zip_layout, with the same errors.
 */
enum reg_status reg_zip_locate(const struct reg_zip_entry *e, int n, int i, int64_t *offset,
                               int64_t *size);

/*
 * Starts a zip of the n entries e[0..n) (borrowed until the writer is dropped) into the sink.
 * Checks the list as reg_zip_layout does: on an error the writer is failed (see Errors).
 * Writes nothing yet.
 */
enum reg_status reg_zip_writer_init(struct reg_zip_writer *w, struct reg_zip_entry *e, int n,
                                    reg_zip_sink_fn sink, void *ctx);

/* Starts entry i, which must be the next one (0 first, after reg_zip_end of i - 1). */
enum reg_status reg_zip_begin(struct reg_zip_writer *w, int i);

/*
 * Appends len bytes (data may be NULL when len is 0) to the open entry. A chunk that would pass
 * the entry's declared size is refused (REG_EINVAL) and none of it is written.
 */
enum reg_status reg_zip_write(struct reg_zip_writer *w, const void *data, size_t len);

/* Ends the open entry: REG_EINVAL when it has fewer bytes than its declared size. */
enum reg_status reg_zip_end(struct reg_zip_writer *w);

/*
 * Ends the zip once every entry has ended: writes the central directory and the end records,
 * and hands the sink the last buffered bytes. *written (if non-NULL) receives the zip's length,
 * which is the layout's total.
 */
enum reg_status reg_zip_finish(struct reg_zip_writer *w, int64_t *written);

#endif
