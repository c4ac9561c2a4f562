/*
 * scan_int.h - private to lib/scan/: the bounds of a scan, the findings every reader reports
 * into, and the streaming readers (pickle.c, zip.c, formats.c) that scan.c puts together.
 *
 * Every reader is a state machine fed the bytes in order, in pieces of any size (one byte at a
 * time gives the same result as one buffer), keeping only the bounded state below. A reader
 * that cannot go on (bad structure, a bound passed) records an UNKNOWN finding, which stops
 * the whole scan: nothing after it is trusted.
 *
 * Ownership: readers are embedded in struct reg_scan and own their buffers (freed by their
 * _cleanup); the findings own their import strings until scan.c copies them into the arena.
 */
#ifndef REG_SCAN_SCAN_INT_H
#define REG_SCAN_SCAN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* next_in as a const pointer: the scanner never writes the bytes it is fed. */
#define ZLIB_CONST
#include <zlib.h>

#include "scan/scan.h"

/* A module or name kept for an import, or a string kept on the modelled stack or in the memo:
 * longer strings are kept as "a string too long to name". */
#define SCAN_NAME_MAX 256
/* Modelled pickle stack entries (Python's pickler batches APPENDS/SETITEMS by 1000). */
#define SCAN_STACK_MAX 16384
/* Bytes of strings the modelled stack keeps at once. */
#define SCAN_POOL_MAX (256 * 1024)
/* Memo slots that keep strings (open addressing; at most 3/4 used). */
#define SCAN_MEMO_SLOTS 1024
/* A protocol 0 argument line kept (longer data lines are kept as too long). */
#define SCAN_LINE_MAX (SCAN_NAME_MAX + 8)
/* Pickles in a row a raw file may hold (the legacy torch format has five). */
#define SCAN_PICKLES_MAX 64
/* Bytes the zip reader inflates over all entries (a zip bomb costs at most this much). */
#define SCAN_ZIP_INFLATE_MAX ((uint64_t)16 * 1024 * 1024 * 1024)
/* inflate's output window. */
#define SCAN_ZIP_WINDOW (64 * 1024)
/* Entries a zip may have (the central directory is checked against every one). */
#define SCAN_ZIP_ENTRIES_MAX 65536
/* A zip entry name. */
#define SCAN_ZIP_NAME_MAX 1024
/* A numpy header (numpy itself refuses more than 10000 bytes by default). */
#define SCAN_NPY_HEADER_MAX (64 * 1024)
/* A safetensors header (the Hub allows 100 MB; json-c spends ~10x the text on it, so the
 * scanner stops at 16 MiB, far above any real header) and the values it may hold. */
#define SCAN_ST_HEADER_MAX (16 * 1024 * 1024)
#define SCAN_ST_VALUES_MAX (2 * 1024 * 1024)
/* config.json (alone or in a .keras zip) kept for parsing. */
#define SCAN_JSON_MAX (16 * 1024 * 1024)
#define SCAN_JSON_VALUES_MAX (1024 * 1024)
/* One line of detail. */
#define SCAN_DETAIL_MAX 320

struct reg_scan;

/* Findings: the worst verdict so far, the first detail of each verdict, the imports. */
void scan_note(struct reg_scan *s, enum reg_scan_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Records an import (name NULL: one the scanner cannot name) made by op at byte pos of where
 * ("" for the file itself) and judges it. */
void scan_import(struct reg_scan *s, const char *module, const char *name, const char *op,
                 const char *where, uint64_t pos);
/* Whether an UNKNOWN finding stopped the scan. */
bool scan_stopped(const struct reg_scan *s);
void scan_custom_code(struct reg_scan *s);
void scan_parameters(struct reg_scan *s, int64_t n);

/* ---- pickle.c: the opcode walker ---- */
struct pk_ent;
struct pk_slot;

struct pk {
    struct reg_scan *s;
    const char *where; /* entry name, "" for the file */
    bool multi;        /* a raw file: more pickles may follow (see pk_feed) */
    int state;
    uint8_t op;
    uint64_t pos;    /* bytes of the stream consumed */
    uint64_t op_pos; /* where the current opcode started */
    uint8_t fixed[8];
    size_t have, want;
    uint64_t remain; /* bytes of a length-prefixed argument still to come */
    char line[SCAN_LINE_MAX + 1];
    size_t linelen;
    bool line_long;
    int lines; /* lines of the argument read (GLOBAL and INST take two) */
    char module[SCAN_NAME_MAX + 1];
    char str[SCAN_NAME_MAX + 1];
    size_t strlen;
    bool str_long;
    struct pk_ent *stack; /* SCAN_STACK_MAX */
    int depth;
    char *pool; /* SCAN_POOL_MAX: the stack's strings, in stack order */
    size_t pool_top;
    struct pk_slot *memo; /* SCAN_MEMO_SLOTS */
    int nmemo;
    int64_t memo_len;
    bool memo_lost, used_put, used_memoize;
    int npickles;
    bool legacy;
    uint8_t first[40]; /* the first pickle's bytes, to recognise torch's legacy magic */
    bool finished;
};

void pk_init(struct pk *p, struct reg_scan *s, const char *where, bool multi);
/* Whether b is an opcode the unpickler knows (the first byte of any pickle is one). */
bool pk_is_opcode(uint8_t b);
/* Consumes bytes of the stream; returns how many (fewer than n once the pickles ended). */
size_t pk_feed(struct pk *p, const uint8_t *b, size_t n);
/* The stream ended: a pickle cut short is UNKNOWN. */
void pk_end(struct pk *p);
void pk_cleanup(struct pk *p);

/* ---- formats.c: numpy, safetensors, JSON configs ---- */
struct npy {
    struct reg_scan *s;
    const char *where;
    int state;
    uint8_t pre[12];
    size_t have, want;
    char *header;
    size_t hlen;
    struct pk pk;
    bool object, finished;
};
void npy_init(struct npy *n, struct reg_scan *s, const char *where);
size_t npy_feed(struct npy *n, const uint8_t *b, size_t len);
void npy_end(struct npy *n);
void npy_cleanup(struct npy *n);

struct st {
    struct reg_scan *s;
    uint8_t pre[8];
    size_t have;
    uint64_t hlen;
    char *header;
    int64_t data_end; /* the data section's size the header implies */
    uint64_t fed;
    bool checked;
};
void st_init(struct st *t, struct reg_scan *s);
size_t st_feed(struct st *t, const uint8_t *b, size_t n);
/* size: the file's length when known, else -1 (then the bytes fed count). */
void st_end(struct st *t, int64_t size);
void st_cleanup(struct st *t);

/* A JSON document collected whole (bounded), then judged: keras (Lambda layers) or config
 * (auto_map). */
struct jdoc {
    struct reg_scan *s;
    const char *where;
    bool keras;
    char *text;
    size_t len, cap;
    bool too_long;
};
void jdoc_init(struct jdoc *j, struct reg_scan *s, const char *where, bool keras);
size_t jdoc_feed(struct jdoc *j, const uint8_t *b, size_t n);
void jdoc_end(struct jdoc *j);
void jdoc_cleanup(struct jdoc *j);

/* ---- zip.c: local headers walked in order ---- */
enum zip_kind { ZIP_TORCH, ZIP_NPZ, ZIP_KERAS };
struct zip_seen; /* an entry walked, for the central directory's check (zip.c) */
struct zip {
    struct reg_scan *s;
    enum zip_kind kind;
    int state;
    uint8_t hdr[64]; /* a fixed-size record: local header, descriptor, central, end */
    size_t have, want;
    uint16_t flags, method, namelen, extralen;
    uint32_t crc;
    uint64_t csize, usize, offset;
    bool zip64;
    char name[SCAN_ZIP_NAME_MAX + 1];
    uint8_t *extra;          /* 65535 */
    uint64_t pos;            /* bytes of the file consumed */
    uint64_t entry_pos;      /* where the entry's local header starts */
    uint64_t inflated_total; /* bytes inflated, all entries (SCAN_ZIP_INFLATE_MAX) */
    uint64_t in;             /* compressed bytes of the entry consumed */
    uint64_t out;            /* uncompressed bytes produced */
    uint64_t skip;           /* bytes to pass over (a comment, a Zip64 end record) */
    uint32_t crc_now;
    uint8_t held[24]; /* a stored entry's last bytes, held back: maybe its descriptor */
    size_t nheld;
    z_stream z;
    bool z_live;
    uint8_t *zout; /* inflate's output window */
    int target;    /* what reads the entry (zip.c) */
    struct pk pk;
    struct npy npy;
    struct jdoc jd;
    struct zip_seen *seen; /* the entries walked, in order */
    int nentries, cap_seen, ncentral, ntargets;
    bool in_central, finished;
};
void zip_init(struct zip *z, struct reg_scan *s, enum zip_kind kind);
size_t zip_feed(struct zip *z, const uint8_t *b, size_t n);
void zip_end(struct zip *z);
void zip_cleanup(struct zip *z);
/* The Zip64 extended information field in extra[0..len): the uncompressed size, compressed
 * size and local header offset, in that order, replace those of the three that are 0xFFFFFFFF.
 * Whether the field is there. */
bool zip64_extra(const uint8_t *extra, size_t len, uint64_t *usize, uint64_t *csize,
                 uint64_t *offset);
/* Whether a zip of kind has a reader for the entry name ("*.pkl" of a PyTorch checkpoint, ...). */
bool zip_reads(enum zip_kind kind, const char *name);
/* The entry z->name starts: its reader, if it has one, begins; its CRC-32 and size restart. */
void zip_reader_begin(struct zip *z);
/* Uncompressed bytes of the entry: counted into its CRC-32 and size, and read if it is read. */
void zip_produce(struct zip *z, const uint8_t *b, size_t n);
/* The entry ends: its reader judges the end (when finish and the scan goes on) and is freed. */
void zip_reader_end(struct zip *z, bool finish);

/* ---- remote.c and scan.c: a zip read by its central directory ---- */
/* Whether s reads a zip as a stream. */
bool scan_is_zip(const struct reg_scan *s);
/* s stops reading a stream and goes on as a zip read by its directory (reg_scan_remote): its
 * findings so far stay; returns the zip whose readers the entries feed. s must be a zip. */
struct zip *scan_by_directory(struct reg_scan *s);

#endif
