/*
 * zipcheck.h - validation of an uploaded zip (a file on disk or a request body in memory)
 * before the registry accepts it, and what the caller indexes from it: the file list and the
 * bounded text of README.md and config.json.
 *
 * Two passes, both bounded, and the zip is refused (REG_EINVAL, with a detail naming the entry
 * and the rule) unless both accept it:
 *   1. The raw structure, read directly: the end record (and its Zip64 form) must end the
 *      data and the central directory must sit right before it (nothing prepended or
 *      inserted); at most max_entries entries (checked before anything else is read); for every
 *      entry, its name as stored (length-aware, so a NUL cannot hide a suffix) must pass
 *      reg_zipcheck_name, its local header must carry the very same name, it must not be
 *      encrypted (flag bits 0 and 6, or a masked central directory, bit 13), and its Unix mode
 *      (if any) must be a regular file or a directory.
 *   2. libarchive's reader (the seekable zip reader, as unzip reads a zip): every entry's name
 *      as libarchive presents it (Info-ZIP Unicode path fields included) again passes
 *      reg_zipcheck_name; symbolic links, hard links and every other non-regular,
 *      non-directory entry are refused, and so is an encrypted one; every file is decompressed
 *      (and its CRC checked by libarchive) while the bytes actually produced are counted, never
 *      trusting the sizes the headers declare: reading stops as soon as the total passes
 *      max_total_bytes, so a zip bomb costs at most that much decompression and one block of
 *      memory. A header declaring more than what is left of the cap is refused at once.
 *      Finally no two entries may have the same name (a directory "a/" and a file "a" clash).
 *
 * Names (reg_zipcheck_name): non-empty, at most REG_ZIPCHECK_NAME_MAX bytes of UTF-8, no NUL or
 * other control character, no backslash, not absolute ('/' first, or a drive letter "C:"), no
 * empty, "." or ".." segment; a single trailing '/' (a directory) is allowed.
 *
 * README.md (matched case-insensitively) and config.json are taken from the top level, or, when
 * every entry lies in one top-level directory (a zip of a folder), from that directory.
 *
 * Ownership: everything *out points to is allocated from the arena a and lives until
 * reg_arena_cleanup(a); the data, path and limits passed in are borrowed for the call only.
 */
#ifndef REG_BUNDLE_ZIPCHECK_H
#define REG_BUNDLE_ZIPCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/limits.h"
#include "base/status.h"

/* Entries of any kind accepted by default. */
#define REG_ZIPCHECK_MAX_ENTRIES 10000
/* Decompressed bytes of all entries accepted by default (16 GiB). */
#define REG_ZIPCHECK_MAX_BYTES ((int64_t)16 * 1024 * 1024 * 1024)
/* Longest entry name (bytes). */
#define REG_ZIPCHECK_NAME_MAX 1024
/* README.md text kept (longer text is truncated at a UTF-8 boundary). */
#define REG_ZIPCHECK_README_MAX REG_README_MAX
/* config.json kept; a larger one is reported as absent (truncated JSON is no JSON). */
#define REG_ZIPCHECK_CONFIG_MAX ((size_t)1024 * 1024)

/* Sees every regular file's decompressed bytes as pass 2 reads them (the upload's model
 * scan): begin with the entry's name, data in order, end once the file is whole. A non-OK
 * return refuses the zip with that status. The names and bytes are valid only during a call. */
struct reg_zip_observer {
    void *ctx;
    enum reg_status (*begin)(void *ctx, const char *path);
    enum reg_status (*data)(void *ctx, const void *buf, size_t len);
    enum reg_status (*end)(void *ctx);
};

/* Caps, and an optional observer; a cap <= 0 takes its default. */
struct reg_zipcheck_limits {
    int max_entries;         /* entries of any kind; default REG_ZIPCHECK_MAX_ENTRIES */
    int64_t max_total_bytes; /* decompressed bytes, all entries; default REG_ZIPCHECK_MAX_BYTES */
    const struct reg_zip_observer *observer; /* NULL: none */
};

/* A regular file of the zip. */
struct reg_zip_file {
    const char *path; /* as stored: "model/config.json" */
    int64_t size;     /* bytes actually decompressed */
};

struct reg_zip_report {
    const struct reg_zip_file *files; /* regular files, in the order libarchive reads them */
    int nfiles;
    int nentries;        /* entries of any kind (directories included) */
    int64_t total_bytes; /* decompressed bytes of all files */
    const char *root;    /* the one top-level directory holding every entry, or NULL */
    const char *readme;  /* README.md text (NUL-terminated), or NULL when there is none */
    size_t readme_len;
    bool readme_truncated;   /* it was longer than REG_ZIPCHECK_README_MAX */
    const char *config_json; /* config.json (NUL-terminated), or NULL (none, or too large) */
    size_t config_len;
};

/* Validates the zip in data[0..len) and reports on it; limits may be NULL (defaults). */
enum reg_status reg_zipcheck_memory(struct reg_arena *a, const void *data, size_t len,
                                    const struct reg_zipcheck_limits *limits,
                                    struct reg_zip_report *out);

/* The same for the regular file at path (REG_EINVAL if it cannot be opened or is no file). */
enum reg_status reg_zipcheck_file(struct reg_arena *a, const char *path,
                                  const struct reg_zipcheck_limits *limits,
                                  struct reg_zip_report *out);

/*
 * Whether name[0..len) is acceptable as a zip entry name (the rules above); REG_EINVAL with a
 * detail "entry '<name, escaped>': <rule>" otherwise. Also used for the entries the registry
 * writes itself (lib/bundle/bundle.c), whose names come from upstream listings.
 */
enum reg_status reg_zipcheck_name(const char *name, size_t len);

#endif
