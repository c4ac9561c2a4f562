/*
 * readme_snapshot.c - the per-host README snapshot file: building, checking and mapping it
 * (see readme_snapshot.h).
 *
 * Layout (native byte order: the file never leaves the host that wrote it):
 *   header   struct file_header (64 bytes), count and index_off filled in last
 *   texts    each README prefix followed by a NUL, back to back, padded to 8 bytes at the end
 *   index    count struct file_entry, sorted by id, at index_off up to the end of the file
 * The index is written after the texts because the store's feed does not say in advance how
 * many READMEs there are; the builder keeps only the index entries in memory (56 bytes per
 * README), never the texts.
 */
#include "core/readme_snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/limits.h"
#include "base/log.h"

#define MAGIC "REGRDM01"
#define PREFIX "readmes-"
#define SUFFIX ".snap"
#define LOCK_NAME "readmes.lock"
#define ENTRY_ID_SIZE 40 /* REG_ID_MAX + 1, padded to 8 */
#define PATH_SIZE 4096
/* Room in a path for the directory; the rest is for the longest name of a snapshot file. */
#define DIR_MAX (PATH_SIZE - 64)

struct file_header {
    char magic[8];
    uint64_t generation;
    uint64_t count;
    uint64_t index_off;
    uint64_t file_size;
    uint64_t reserved[3];
};

struct file_entry {
    char id[ENTRY_ID_SIZE]; /* NUL-padded */
    uint64_t off;           /* of the text, from the start of the file */
    uint64_t len;           /* without the NUL that follows it */
};

_Static_assert(sizeof(struct file_header) == 64, "header layout");
_Static_assert(sizeof(struct file_entry) == 56, "entry layout");
_Static_assert(ENTRY_ID_SIZE > REG_ID_MAX, "an id and its NUL fit an entry");

struct reg_readme_snapshot {
    char *dir;
    size_t max_bytes;
    void *map; /* the mapped file, NULL when none */
    size_t map_size;
    const struct file_entry *entries;
    uint64_t count;
    uint64_t generation; /* of map */
    uint64_t failed_generation;
    bool failed; /* failed_generation is set */
    bool warned; /* a failure was logged */
};

/* One build: the temporary file, the bytes written so far and the index entries. */
struct build {
    FILE *f;
    uint64_t off;
    size_t max_bytes;
    struct file_entry *entries;
    size_t count, cap;
};

enum reg_status
reg_readme_snapshot_new(const char *dir, size_t max_bytes, struct reg_readme_snapshot **out)
{
    struct reg_readme_snapshot *s = calloc(1, sizeof(*s));

    if (!s)
        reg_oom();
    s->dir = strdup(dir);
    if (!s->dir)
        reg_oom();
    s->max_bytes = max_bytes;
    *out = s;
    return REG_OK;
}

static void
unmap(struct reg_readme_snapshot *s)
{
    if (s->map)
        munmap(s->map, s->map_size);
    s->map = NULL;
    s->map_size = 0;
    s->entries = NULL;
    s->count = 0;
}

void
reg_readme_snapshot_free(struct reg_readme_snapshot *s)
{
    if (!s)
        return;
    unmap(s);
    free(s->dir);
    free(s);
}

static void
snap_path(const struct reg_readme_snapshot *s, uint64_t gen, char *out, size_t size)
{
    snprintf(out, size, "%s/" PREFIX "%" PRIu64 SUFFIX, s->dir, gen);
}

/* -- checking and mapping ------------------------------------------------------------------- */

static enum reg_status
check_entry(const unsigned char *base, const struct file_header *h, const struct file_entry *e,
            const struct file_entry *prev)
{
    if (memchr(e->id, '\0', sizeof(e->id)) == NULL || e->id[0] == '\0')
        return reg_errorf(REG_ESTORE, "README snapshot: bad id in the index");
    if (prev && strcmp(prev->id, e->id) >= 0)
        return reg_errorf(REG_ESTORE, "README snapshot: index out of order at %s", e->id);
    if (e->len > REG_SEARCH_README_MAX || e->off < sizeof(*h) || e->off >= h->index_off ||
        e->len >= h->index_off - e->off || base[e->off + e->len] != '\0')
        return reg_errorf(REG_ESTORE, "README snapshot: text of %s out of bounds", e->id);
    return REG_OK;
}

/* Whether the size-byte file at base is a whole snapshot of generation gen. */
static enum reg_status
check_file(const unsigned char *base, size_t size, uint64_t gen)
{
    struct file_header h;
    const struct file_entry *entries;
    enum reg_status st = REG_OK;

    if (size < sizeof(h))
        return reg_errorf(REG_ESTORE, "README snapshot: truncated header");
    memcpy(&h, base, sizeof(h));
    if (memcmp(h.magic, MAGIC, sizeof(h.magic)) != 0 || h.generation != gen || h.file_size != size)
        return reg_errorf(REG_ESTORE, "README snapshot: not a whole file of generation %" PRIu64,
                          gen);
    if (h.index_off < sizeof(h) || h.index_off > size || h.index_off % 8 != 0 ||
        (size - h.index_off) / sizeof(*entries) != h.count ||
        (size - h.index_off) % sizeof(*entries) != 0)
        return reg_errorf(REG_ESTORE, "README snapshot: index does not fill the file");
    entries = (const struct file_entry *)(const void *)(base + h.index_off);
    for (uint64_t i = 0; i < h.count && st == REG_OK; i++)
        st = check_entry(base, &h, &entries[i], i ? &entries[i - 1] : NULL);
    return st;
}

/* Maps the file of generation gen if it exists and is whole: REG_ENOTFOUND when it does not
 * exist, REG_ESTORE when it cannot be read or is not a valid snapshot. */
static enum reg_status
map_file(struct reg_readme_snapshot *s, uint64_t gen)
{
    char path[PATH_SIZE];
    struct file_header h;
    struct stat sb;
    void *map;
    enum reg_status st;
    int fd;

    snap_path(s, gen, path, sizeof(path));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return reg_errorf(errno == ENOENT ? REG_ENOTFOUND : REG_ESTORE, "open %s: %s", path,
                          strerror(errno));
    if (fstat(fd, &sb) != 0 || sb.st_size < (off_t)sizeof(struct file_header)) {
        close(fd);
        return reg_errorf(REG_ESTORE, "README snapshot %s: truncated", path);
    }
    /* MAP_SHARED over a file nobody writes again: every worker reads the same page-cache
     * pages, and the mapping outlives the file's unlink. */
    map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return reg_errorf(REG_ESTORE, "mmap %s: %s", path, strerror(errno));
    st = check_file(map, (size_t)sb.st_size, gen);
    if (st != REG_OK) {
        munmap(map, (size_t)sb.st_size);
        return st;
    }
    memcpy(&h, map, sizeof(h));
    unmap(s);
    s->map = map;
    s->map_size = (size_t)sb.st_size;
    s->count = h.count;
    s->entries =
        (const struct file_entry *)(const void *)((const unsigned char *)map + h.index_off);
    s->generation = gen;
    return REG_OK;
}

/* -- building ---------------------------------------------------------------------------------- */

static enum reg_status
write_bytes(struct build *b, const void *p, size_t len)
{
    if (len && fwrite(p, 1, len, b->f) != len)
        return reg_errorf(REG_ESTORE, "README snapshot: write: %s", strerror(errno));
    b->off += len;
    return REG_OK;
}

/* A reg_store_readme_fn: appends one README prefix and its index entry, within the cap (which
 * counts the index the file will end with). */
static enum reg_status
add_readme(void *ctx, const char *id, const char *text, size_t len)
{
    struct build *b = ctx;
    struct file_entry *e;
    uint64_t need;

    if (strlen(id) > REG_ID_MAX)
        return reg_errorf(REG_ESTORE, "README snapshot: id %.40s too long", id);
    if (len > REG_SEARCH_README_MAX)
        len = REG_SEARCH_README_MAX;
    /* The text, its NUL, the padding before the index and the index with this entry. */
    need = b->off + len + 1 + 8 + (b->count + 1) * sizeof(*e);
    if (need > b->max_bytes)
        return reg_errorf(REG_ETOOLARGE, "README snapshot: more than %zu bytes", b->max_bytes);
    if (b->count == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        struct file_entry *p = realloc(b->entries, cap * sizeof(*p));
        if (!p)
            reg_oom();
        b->entries = p;
        b->cap = cap;
    }
    e = &b->entries[b->count++];
    memset(e, 0, sizeof(*e));
    memcpy(e->id, id, strlen(id));
    e->off = b->off;
    e->len = len;
    return write_bytes(b, text, len) == REG_OK ? write_bytes(b, "", 1) : REG_ESTORE;
}

static int
cmp_entry(const void *x, const void *y)
{
    return strcmp(((const struct file_entry *)x)->id, ((const struct file_entry *)y)->id);
}

/* Sorts the index by id and keeps the first entry of an id the feed gave twice. */
static void
sort_index(struct build *b)
{
    size_t n = 0;

    if (b->count == 0) /* an empty registry has no index array at all */
        return;
    qsort(b->entries, b->count, sizeof(*b->entries), cmp_entry);
    for (size_t i = 0; i < b->count; i++)
        if (n == 0 || strcmp(b->entries[n - 1].id, b->entries[i].id) != 0)
            b->entries[n++] = b->entries[i];
    b->count = n;
}

/* The index, then the header over the placeholder at the start. */
static enum reg_status
finish(struct build *b, uint64_t gen)
{
    static const char pad[8];
    struct file_header h = {.generation = gen};
    enum reg_status st;

    sort_index(b);
    st = write_bytes(b, pad, (8 - b->off % 8) % 8);
    h.index_off = b->off;
    h.count = b->count;
    if (st == REG_OK)
        st = write_bytes(b, b->entries, b->count * sizeof(*b->entries));
    h.file_size = b->off;
    memcpy(h.magic, MAGIC, sizeof(h.magic));
    if (st == REG_OK && (fseek(b->f, 0, SEEK_SET) != 0 || fwrite(&h, sizeof(h), 1, b->f) != 1))
        st = reg_errorf(REG_ESTORE, "README snapshot: header: %s", strerror(errno));
    return st;
}

/* Writes the snapshot of gen to tmp from one pass of the store's feed. */
static enum reg_status
write_file(const struct reg_readme_snapshot *s, struct reg_store *store, uint64_t gen,
           const char *tmp)
{
    static const struct file_header placeholder;
    struct build b = {.max_bytes = s->max_bytes};
    enum reg_status st;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    if (fd < 0)
        return reg_errorf(REG_ESTORE, "create %s: %s", tmp, strerror(errno));
    b.f = fdopen(fd, "wb");
    if (!b.f) {
        close(fd);
        return reg_errorf(REG_ESTORE, "fdopen %s: %s", tmp, strerror(errno));
    }
    st = write_bytes(&b, &placeholder, sizeof(placeholder));
    if (st == REG_OK)
        st = reg_store_readmes(store, REG_SEARCH_README_MAX, add_readme, &b);
    if (st == REG_OK)
        st = finish(&b, gen);
    if (fclose(b.f) != 0 && st == REG_OK)
        st = reg_errorf(REG_ESTORE, "close %s: %s", tmp, strerror(errno));
    free(b.entries);
    return st;
}

/* The generation a snapshot file's name holds; false for other names. */
static bool
name_generation(const char *name, uint64_t *gen)
{
    size_t plen = strlen(PREFIX), len = strlen(name);
    char *end;

    if (strncmp(name, PREFIX, plen) != 0 || name[plen] < '0' || name[plen] > '9')
        return false;
    *gen = strtoull(name + plen, &end, 10);
    return strcmp(end, SUFFIX) == 0 && len > plen;
}

/* Unlinks snapshot files of generations below keep (all when everything is set) and leftover
 * temporary files (a builder that died). Only called under the lock, or before any worker. */
static void
remove_files(const char *dir, uint64_t keep, bool everything)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[PATH_SIZE];
    uint64_t gen;

    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        bool snap = name_generation(de->d_name, &gen);
        bool tmp = strncmp(de->d_name, PREFIX, strlen(PREFIX)) == 0 && strstr(de->d_name, ".tmp");
        if (!tmp && !(snap && (everything || gen < keep)))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        unlink(path);
    }
    closedir(d);
}

/* Builds and maps the file of gen; the caller holds the lock. */
static enum reg_status
build_and_map(struct reg_readme_snapshot *s, struct reg_store *store, uint64_t gen)
{
    char tmp[PATH_SIZE + 32], path[PATH_SIZE];
    enum reg_status st;

    remove_files(s->dir, 0, false);
    snap_path(s, gen, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
    st = write_file(s, store, gen, tmp);
    if (st == REG_OK && rename(tmp, path) != 0)
        st = reg_errorf(REG_ESTORE, "rename %s: %s", tmp, strerror(errno));
    if (st != REG_OK) {
        unlink(tmp);
        return st;
    }
    st = map_file(s, gen);
    if (st == REG_OK)
        remove_files(s->dir, gen, false);
    return st;
}

/* Opens and takes the host-wide build lock (fcntl, so it is released if its holder dies):
 * the descriptor to close to release it, or -1. */
static int
take_lock(const struct reg_readme_snapshot *s)
{
    char path[PATH_SIZE];
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    int fd;

    snprintf(path, sizeof(path), "%s/" LOCK_NAME, s->dir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        reg_errorf(REG_ESTORE, "open %s: %s", path, strerror(errno));
        return -1;
    }
    while (fcntl(fd, F_SETLKW, &fl) != 0) {
        if (errno != EINTR) {
            reg_errorf(REG_ESTORE, "lock %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
    }
    return fd;
}

/* Maps another process's file of gen, or builds it, under the lock. */
static enum reg_status
map_or_build(struct reg_readme_snapshot *s, struct reg_store *store, uint64_t gen)
{
    enum reg_status st;
    int lock;

    if (strlen(s->dir) > DIR_MAX)
        return reg_errorf(REG_ESTORE, "README snapshot directory name too long");
    st = map_file(s, gen);
    if (st == REG_OK)
        return REG_OK;
    lock = take_lock(s);
    if (lock < 0)
        return REG_ESTORE;
    /* Another worker may have built it while this one waited for the lock. */
    st = map_file(s, gen);
    if (st != REG_OK)
        st = build_and_map(s, store, gen);
    close(lock);
    return st;
}

enum reg_status
reg_readme_snapshot_sync(struct reg_readme_snapshot *s, struct reg_store *store, uint64_t gen)
{
    enum reg_status st;

    if (s->map && s->generation == gen)
        return REG_OK;
    if (s->failed && s->failed_generation == gen)
        return reg_errorf(REG_ESTORE, "README snapshot of generation %" PRIu64 " failed", gen);
    st = map_or_build(s, store, gen);
    if (st == REG_OK)
        return REG_OK;
    s->failed = true;
    s->failed_generation = gen;
    if (!s->warned)
        reg_log(REG_LOG_WARN, "README snapshot in %s unavailable, search reads the store: %s",
                s->dir, reg_error_detail());
    s->warned = true;
    return st;
}

bool
reg_readme_snapshot_ready(const struct reg_readme_snapshot *s, uint64_t gen)
{
    return s->map && s->generation == gen;
}

enum reg_status
reg_readme_snapshot_each(const struct reg_readme_snapshot *s, reg_store_readme_fn fn, void *ctx)
{
    const char *base = s->map;
    enum reg_status st = REG_OK;

    for (uint64_t i = 0; i < s->count && st == REG_OK; i++)
        st = fn(ctx, s->entries[i].id, base + s->entries[i].off, (size_t)s->entries[i].len);
    return st;
}

bool
reg_readme_snapshot_find(const struct reg_readme_snapshot *s, const char *id, const char **text,
                         size_t *len)
{
    size_t lo = 0, hi = (size_t)s->count;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->entries[mid].id, id);
        if (c == 0) {
            *text = (const char *)s->map + s->entries[mid].off;
            *len = (size_t)s->entries[mid].len;
            return true;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

void
reg_readme_snapshot_purge(const char *dir)
{
    remove_files(dir, 0, true);
}
