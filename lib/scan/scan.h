/*
 * scan.h - the model-file scanner (issue 17): decides, from a file's bytes seen once and in
 * order, whether loading it would run code. Pickles (raw, in PyTorch zip checkpoints, in legacy
 * torch files, in numpy object arrays) are walked opcode by opcode without unpickling and every
 * import they make is judged against one table (imports.c); safetensors headers, Keras zips and
 * config.json files are checked for what their loaders would execute or trip over.
 *
 * Verdicts: SAFE (every import on the allow-list, a consistent header), SUSPICIOUS (an import on
 * neither list, custom code the loader runs only when asked), DANGEROUS (an import on the
 * deny-list, an import the scanner cannot name, a Keras Lambda), UNKNOWN (the scanner could not
 * read the whole structure: truncated, corrupt, or past one of its bounds) - never clean.
 *
 * Ownership: reg_scan_begin hands the caller a struct reg_scan (*out), freed with reg_scan_free
 * (NULL-safe). Buffers passed to reg_scan_feed are borrowed for the call only: the scanner keeps
 * state, never the file, within bounds fixed at begin (see lib/scan/scan_int.h). Everything a
 * struct reg_scan_result points to is allocated from the arena given to reg_scan_end or
 * reg_scan_buffer and lives until its cleanup. Names returned by the _name functions are static.
 */
#ifndef REG_SCAN_SCAN_H
#define REG_SCAN_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/status.h"

/* Distinct imports a result lists; more set imports_truncated (the verdict counts them all). */
#define REG_SCAN_IMPORTS_MAX 64

enum reg_scan_verdict { REG_SCAN_SAFE, REG_SCAN_SUSPICIOUS, REG_SCAN_DANGEROUS, REG_SCAN_UNKNOWN };

enum reg_scan_format {                       /* what a file is scanned as, decided by its name */
                       REG_SCAN_FORMAT_NONE, /* not scanned (text, images, tokenizer files, ...) */
                       REG_SCAN_FORMAT_PICKLE, /* .pkl .pickle, and .bin .pt .pth .ckpt (sniffed: a zip is
                                    read as a PyTorch checkpoint, else as a raw pickle stream
                                    such as the legacy torch format: several pickles in a row) */
                       REG_SCAN_FORMAT_NUMPY, /* .npy (object arrays carry a pickle); .npz (a zip of .npy) */
                       REG_SCAN_FORMAT_SAFETENSORS, /* .safetensors */
                       REG_SCAN_FORMAT_KERAS,       /* .keras (a zip with config.json) */
                       REG_SCAN_FORMAT_CONFIG, /* config.json (auto_map: custom code the loader would run) */
};

struct reg_scan_result {
    enum reg_scan_verdict verdict;
    enum reg_scan_format format;
    const char **imports; /* "module.name" of every GLOBAL/INST/STACK_GLOBAL, deduplicated,
                             at most REG_SCAN_IMPORTS_MAX (then imports_truncated); an import
                             whose operands the scanner cannot name is listed as "unknown" */
    int nimports;
    bool imports_truncated;
    bool custom_code;   /* config.json auto_map, Keras Lambda */
    int64_t parameters; /* safetensors: exact parameter count; -1 when unknown */
    const char *detail; /* one line: why this verdict (the first dangerous import and
                           where, "truncated at byte N", "overlapping tensors a and b") */
};

/* "safe", "suspicious", "dangerous", "unknown". */
const char *reg_scan_verdict_name(enum reg_scan_verdict v);
/* "none", "pickle", "numpy", "safetensors", "keras", "config". */
const char *reg_scan_format_name(enum reg_scan_format f);
/* The format a file is scanned as, by its base name (case-insensitive). */
enum reg_scan_format reg_scan_format_of(const char *path);

struct reg_scan; /* the state of one file's scan */

/* Starts scanning the file named path (its format from reg_scan_format_of; NONE is allowed
 * and scans nothing, verdict SAFE); size is its length when known, else -1. */
enum reg_status reg_scan_begin(const char *path, int64_t size, struct reg_scan **out);
/* The next len bytes of the file, in order. Bounded memory whatever the file's size: the
 * scanner keeps state, never the file. Never fails on bad content (that is a verdict). */
enum reg_status reg_scan_feed(struct reg_scan *s, const void *buf, size_t len);
/* Whether the scanner has everything it needs (all pickles read, the safetensors header
 * checked ...): a caller fetching the file may stop early, then call reg_scan_end. */
bool reg_scan_done(const struct reg_scan *s);
/* The end of the file: the verdict into out; strings from arena a (base/arena.h). A file
 * that ends before its structure does (a truncated pickle, a zip cut short) is UNKNOWN. */
enum reg_status reg_scan_end(struct reg_scan *s, struct reg_arena *a, struct reg_scan_result *out);
void reg_scan_free(struct reg_scan *s); /* NULL-safe */
/* One call for a whole buffer (tests, the fuzzer, small files). */
enum reg_status reg_scan_buffer(const char *path, const void *buf, size_t len, struct reg_arena *a,
                                struct reg_scan_result *out);

/*
 * Scanning a file where it lies (upstream, read by HTTP Range requests), reading only what a
 * verdict needs: the file from its start until the scanner is done (a safetensors header, the
 * pickles of a raw pickle stream, a config.json, a small file whole), except that a zip larger
 * than whole_max (a PyTorch checkpoint, an .npz, a .keras) is read by its central directory and
 * then only the entries a format reads (the checkpoint's pickles, the arrays, the Keras
 * config), each checked against the directory's CRC-32 and sizes. The other entries' data is
 * then not read, so not checked: the detail says so, and a full walk (a download streaming
 * the file through reg_scan_feed) still sees them.
 *
 * The reader hands bytes [offset, offset + len) of the file (len -1: to its end) to the sink
 * in order, in pieces; a sink returning false has what it needs, and the reader stops and
 * returns REG_OK. Any other status is a failure to read (the scan's result is then unset).
 */
typedef bool (*reg_scan_sink_fn)(void *ctx, const void *buf, size_t len);
typedef enum reg_status (*reg_scan_read_fn)(void *ctx, int64_t offset, int64_t len,
                                            reg_scan_sink_fn sink, void *sink_ctx);

/* A zip up to this size is read whole, as a stream (every entry checked). */
#define REG_SCAN_WHOLE_MAX ((int64_t)64 * 1024 * 1024)

struct reg_scan_source {
    reg_scan_read_fn read;
    void *ctx;
    int64_t size;      /* the file's length (a listing gives it); -1 unknown: read whole */
    int64_t whole_max; /* <= 0: REG_SCAN_WHOLE_MAX */
    /* Set by reg_scan_remote: */
    int64_t bytes_read; /* bytes read to reach the verdict */
    int reads;          /* read calls made */
    bool by_directory;  /* a zip read by its central directory */
};

/* How many last bytes of the file a read by its central directory starts with, when the file
 * named path of size bytes may be read so (a pickle-named file that may be a zip, an .npz, a
 * .keras, over whole_max); 0 otherwise. A reader may fetch them ahead, concurrently with the
 * file's first bytes (the sniff), and hand them over when reg_scan_remote asks for them. */
size_t reg_scan_remote_tail(const char *path, int64_t size, int64_t whole_max);

/* Scans the file named path from src (see above) into out (strings from a). */
enum reg_status reg_scan_remote(const char *path, struct reg_scan_source *src, struct reg_arena *a,
                                struct reg_scan_result *out);

/* The policy (REGISTRY_SCAN_POLICY=block|flag|off): */
enum reg_scan_policy { REG_SCAN_POLICY_BLOCK, REG_SCAN_POLICY_FLAG, REG_SCAN_POLICY_OFF };
/* "block", "flag" or "off" (NULL or "" is block, the default); anything else is REG_EINVAL. */
enum reg_status reg_scan_policy_parse(const char *s, enum reg_scan_policy *out);
/* "block", "flag" or "off". */
const char *reg_scan_policy_name(enum reg_scan_policy p);
/* Whether a file with this verdict refuses the model under the policy (block: dangerous
 * and unknown refuse; flag and off: nothing refuses). */
bool reg_scan_refuses(enum reg_scan_policy p, enum reg_scan_verdict v);

/* How the import module.name is judged (the table in imports.c): SAFE (allow-list), DANGEROUS
 * (deny-list) or SUSPICIOUS; *why (may be NULL) gets the table's static reason, or NULL. */
enum reg_scan_verdict reg_scan_import_verdict(const char *module, const char *name,
                                              const char **why);

#endif
