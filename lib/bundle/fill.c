/*
 * fill.c - pull-through fills: the decision under a per-key mutex, the filler process, and
 * downloads that read a part file as it grows (see fill.h).
 */
#define _GNU_SOURCE /* prctl names, flock */
#include "bundle/fill.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/proc.h"
#include "base/str.h"
#include "bundle/vet.h"

/* ---------------------------------------------------------------- names and small helpers */

/* "<id>.<aspect>.<16 hex of sha256(url \n sources)>": a new source is a new fill. */
static const char *
fill_key(struct reg_arena *a, const struct reg_bundle_plan *p)
{
    unsigned char digest[32];
    char hex[65];
    const char *src = reg_arena_sprintf(a, "%s\n%s", p->url, p->sources);

    EVP_Digest(src, strlen(src), digest, NULL, EVP_sha256(), NULL);
    reg_str_hex(digest, sizeof(digest), hex);
    return reg_arena_sprintf(a, "%s.%s.%.16s", p->id, reg_bundle_aspect_name(p->aspect), hex);
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static double
seconds_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether a filler holds the part file open behind fd (its exclusive flock). */
static bool
filler_running(int fd)
{
    if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
        flock(fd, LOCK_UN);
        return false;
    }
    return errno == EWOULDBLOCK;
}

static int64_t
file_size(int fd)
{
    struct stat sb;

    return fstat(fd, &sb) == 0 ? (int64_t)sb.st_size : -1;
}

/* REGISTRY_SCAN_POLICY; the master refuses to start on a bad value, so block is a fallback. */
static enum reg_scan_policy
scan_policy(const struct reg_fill_env *env)
{
    enum reg_scan_policy policy = REG_SCAN_POLICY_BLOCK;

    if (reg_scan_policy_parse(env->cfg->scan_policy, &policy) != REG_OK)
        policy = REG_SCAN_POLICY_BLOCK;
    return policy;
}

/* ---------------------------------------------------------------- the filler process */

struct filler {
    int fd;
    int64_t written;
};

/* The zip's bytes into the part file. */
static enum reg_status
to_part(void *ctx, const void *data, size_t len)
{
    struct filler *f = ctx;
    const char *p = data;
    size_t left = len;

    while (left > 0) {
        ssize_t n = write(f->fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return reg_errorf(errno == ENOSPC ? REG_ENOSPACE : REG_ESTORE,
                              "cannot write the bundle: %s", strerror(errno));
        p += n;
        left -= (size_t)n;
    }
    f->written += (int64_t)len;
    return REG_OK;
}

static void
write_error(const char *path, enum reg_status st, const char *detail)
{
    FILE *f = fopen(path, "w");

    if (f) {
        fprintf(f, "%s\n%s\n", reg_status_name(st), detail);
        fclose(f);
    }
}

/* Stores the finished part file and records it. */
static enum reg_status
keep_part(const struct reg_fill_env *env, const struct reg_bundle_plan *p, const char *part,
          const char *sha256, int64_t size)
{
    struct reg_bundle_record rec;
    struct reg_blobs *b;
    enum reg_status st = reg_blobs_open(env->cfg, &b);

    if (st == REG_OK)
        st = reg_blobs_put_file(b, part, sha256);
    if (st == REG_OK) {
        reg_fill_record(p, sha256, size, &rec);
        st = reg_bundle_index_set(b, p->id, p->aspect, &rec);
    }
    reg_blobs_free(b);
    return st;
}

/* What the filler process is given. */
struct filler_args {
    const struct reg_fill_env *env;
    const struct reg_bundle_plan *p;
    int fd; /* the part file, written and locked */
    const char *part;
    const char *err;
    const char *vetted; /* the watermark file (vet.h) */
};

/* The scan's tally in the log (the stored bundle has no metadata document to keep it in). */
static void
log_scan(const struct reg_bundle_plan *p, const struct reg_vet *v)
{
    const int *c = v->scanner.report.counts;

    if (v->scanning)
        reg_log(REG_LOG_INFO,
                "bundle %s/%s scanned: %d files: %d safe, %d suspicious, %d dangerous, %d unknown",
                p->id, reg_bundle_aspect_name(p->aspect), v->scanner.report.nfiles,
                c[REG_SCAN_SAFE], c[REG_SCAN_SUSPICIOUS], c[REG_SCAN_DANGEROUS],
                c[REG_SCAN_UNKNOWN]);
}

/* Streams the zip into the part file through the scan; the whole zip vetted at its end. */
static enum reg_status
fill_part(const struct filler_args *args, struct filler *f)
{
    const struct reg_bundle_plan *p = args->p;
    struct reg_arena a;
    struct reg_vet v;
    enum reg_status st;

    reg_arena_init(&a);
    reg_vet_init(&v, &a, scan_policy(args->env), p->type, p->files, p->nfiles, &f->written,
                 args->vetted);
    st = reg_vet_start(&v);
    if (st == REG_OK)
        st = reg_bundle_stream_observed(&p->fetch, p->files, p->nfiles,
                                        v.scanning ? &v.observer : NULL, to_part, f);
    log_scan(p, &v);
    if (v.scanning && args->env->observe_scan)
        args->env->observe_scan(args->env->observe_ctx, v.scanner.report.counts,
                                st == REG_EDISQUALIFIED);
    if (st == REG_OK)
        st = reg_vet_finish(&v, f->written);
    reg_vet_cleanup(&v);
    reg_arena_cleanup(&a);
    return st;
}

/* The filler: runs in the grandchild, holding the part file's lock through fd. */
static _Noreturn void
run_filler(void *ctx)
{
    const struct filler_args *args = ctx;
    const struct reg_fill_env *env = args->env;
    const struct reg_bundle_plan *p = args->p;
    const char *part = args->part, *err = args->err;
    int fd = args->fd;
    struct filler f = {fd, 0};
    char sha256[65];
    int64_t hashed = 0;
    double t0, t1, t2;
    enum reg_status st;

    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    prctl(PR_SET_NAME, "reg-fill");
    reg_proc_close_inherited(&fd, 1); /* the log is stderr */
    t0 = seconds_now();
    st = fill_part(args, &f);
    t1 = seconds_now();
    /* Hashed once the last byte is out (read back from the page cache), so that the clients
     * streaming the part file do not wait for the digest. */
    if (st == REG_OK && fsync(fd) != 0)
        st = reg_errorf(REG_ESTORE, "fsync %s: %s", part, strerror(errno));
    if (st == REG_OK)
        st = reg_blobs_hash_file(part, sha256, &hashed);
    if (st == REG_OK && hashed != f.written)
        st = reg_errorf(REG_ESTORE, "%s changed while it was written", part);
    if (st == REG_OK)
        st = keep_part(env, p, part, sha256, f.written);
    t2 = seconds_now();
    if (st == REG_OK) {
        reg_log(REG_LOG_INFO,
                "bundle %s/%s: %d files, %lld bytes fetched in %.2f s, stored in %.2f s, "
                "sha256 %.12s",
                p->id, reg_bundle_aspect_name(p->aspect), p->nfiles, (long long)f.written, t1 - t0,
                t2 - t1, sha256);
    } else {
        reg_log(REG_LOG_WARN, "bundle %s/%s not stored: %s", p->id,
                reg_bundle_aspect_name(p->aspect), reg_error_detail());
        write_error(err, st, reg_error_detail());
    }
    /* The part file goes before the lock does (at exit), so a download that finds no filler
     * finds the record, or no part file, never a finished one without its record. The
     * watermark goes only with a stored bundle: after a failure it still bounds what readers
     * of the unlinked part file may hand out. */
    unlink(part);
    if (st == REG_OK)
        unlink(args->vetted);
    _exit(st == REG_OK ? 0 : 1);
}

/* Starts the filler as a grandchild (reparented at once, so no worker has to reap it). */
static enum reg_status
spawn_filler(const struct reg_fill_env *env, const struct reg_bundle_plan *p, int fd,
             const char *part, const char *err, const char *vetted)
{
    struct filler_args args = {env, p, fd, part, err, vetted};

    return reg_proc_detach(run_filler, &args, "the fetch");
}

/* ---------------------------------------------------------------- the decision */

/* Whether the stored record is the plan's bundle and its blob is there. */
static bool
stored(struct reg_blobs *b, const struct reg_bundle_plan *p, struct reg_bundle_record *rec)
{
    int64_t size;

    return reg_bundle_index_get(b, p->id, p->aspect, rec) == REG_OK &&
           strcmp(rec->url, p->url) == 0 && strcmp(rec->sources, p->sources) == 0 &&
           reg_blobs_stat(b, rec->sha256, &size) == REG_OK;
}

enum reg_status
reg_fill_check_room(const struct reg_fill_env *env, int64_t total)
{
    struct statvfs vfs;
    int64_t avail;

    if (env->max_bytes > 0 && total > env->max_bytes)
        return reg_errorf(REG_ENOSPACE,
                          "the bundle has %lld bytes, more than this registry keeps "
                          "(REGISTRY_BUNDLE_MAX_BYTES = %lld)",
                          (long long)total, (long long)env->max_bytes);
    if (statvfs(env->dir, &vfs) != 0)
        return reg_errorf(REG_ESTORE, "statvfs %s: %s", env->dir, strerror(errno));
    avail = (int64_t)vfs.f_bavail * (int64_t)vfs.f_frsize;
    if (avail - total < env->reserve_bytes)
        return reg_errorf(REG_ENOSPACE,
                          "storing the %lld-byte bundle would leave %lld bytes free, less than "
                          "the reserve of %lld (REGISTRY_BLOB_RESERVE_BYTES)",
                          (long long)total, (long long)(avail - total),
                          (long long)env->reserve_bytes);
    return REG_OK;
}

/* Joins the running filler of part, if there is one: *fd then reads it. */
static bool
join_running(const char *part, int *fd)
{
    *fd = open(part, O_RDONLY | O_CLOEXEC);
    if (*fd < 0)
        return false;
    if (filler_running(*fd))
        return true;
    close(*fd);
    *fd = -1;
    unlink(part); /* a filler that died: its part file is of no use */
    return false;
}

/* Creates the part file, locks it for the filler and starts it; fill->fd reads it. The
 * watermark exists (0, held) before the filler does, so a missing one means a stored bundle. */
static enum reg_status
start_filler(const struct reg_fill_env *env, const struct reg_bundle_plan *p, const char *part,
             struct reg_fill *fill)
{
    int wfd = open(part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    int64_t total = fill->total;
    int *fd = &fill->fd;
    enum reg_status st = REG_OK;

    if (wfd < 0)
        return reg_errorf(REG_ESTORE, "cannot create %s: %s", part, strerror(errno));
    unlink(fill->err_path);
    if (fill->vetting)
        st = reg_vet_publish(fill->vetted_path, 0, false);
    if (st == REG_OK && flock(wfd, LOCK_EX) != 0)
        st = reg_errorf(REG_ESTORE, "flock %s: %s", part, strerror(errno));
    /* The whole zip's blocks at once, its size left at 0 (readers go by the size): a full disk
     * is a 507 now rather than a cut download later, and the file system allocates once. */
    if (st == REG_OK && fallocate(wfd, FALLOC_FL_KEEP_SIZE, 0, (off_t)total) != 0 &&
        errno == ENOSPC)
        st = reg_errorf(REG_ENOSPACE, "no room on this host's disk for the %lld-byte bundle",
                        (long long)total);
    *fd = st == REG_OK ? open(part, O_RDONLY | O_CLOEXEC) : -1;
    if (st == REG_OK && *fd < 0)
        st = reg_errorf(REG_ESTORE, "cannot open %s: %s", part, strerror(errno));
    if (st == REG_OK)
        st = spawn_filler(env, p, wfd, part, fill->err_path, fill->vetted_path);
    close(wfd); /* the filler keeps its own descriptor, and with it the lock */
    if (st != REG_OK) {
        unlink(part);
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
    }
    return st;
}

/* Reads the .err of fill's key: its status name ("" when there is none), its detail (left as
 * the caller set it when there is none) and, if mtime is non-NULL, when it was written. */
static bool
read_err(const struct reg_fill *fill, char *name, size_t name_cap, char *detail, size_t detail_cap,
         time_t *mtime)
{
    struct stat sb;
    FILE *f = fopen(fill->err_path, "r");

    name[0] = '\0';
    if (!f)
        return false;
    if (fgets(name, (int)name_cap, f) && fgets(detail, (int)detail_cap, f))
        detail[strcspn(detail, "\n")] = '\0';
    if (mtime)
        *mtime = fstat(fileno(f), &sb) == 0 ? sb.st_mtime : 0;
    fclose(f);
    name[strcspn(name, "\n")] = '\0';
    return true;
}

/* The scan's refusal of this key, when it still stands (see fill.h): REG_EDISQUALIFIED. */
static enum reg_status
standing_refusal(const struct reg_fill *fill)
{
    char name[64], detail[REG_ERROR_DETAIL_MAX] = "";
    time_t at = 0;

    if (!fill->vetting || !read_err(fill, name, sizeof(name), detail, sizeof(detail), &at) ||
        strcmp(name, reg_status_name(REG_EDISQUALIFIED)) != 0 ||
        time(NULL) - at >= REG_FILL_REFUSAL_S)
        return REG_OK;
    return reg_errorf(REG_EDISQUALIFIED, "%s", detail);
}

/* The paths and the scan's hold of fill's key. */
static void
fill_init(struct reg_fill *fill, const struct reg_fill_env *env, const struct reg_bundle_plan *p,
          const char *key)
{
    snprintf(fill->err_path, sizeof(fill->err_path), "%s/%s.err", env->dir, key);
    snprintf(fill->vetted_path, sizeof(fill->vetted_path), "%s/%s.vetted", env->dir, key);
    fill->vetting = reg_vet_holds(scan_policy(env), p->type);
}

enum reg_status
reg_fill_open(const struct reg_fill_env *env, struct reg_blobs *b, const struct reg_bundle_plan *p,
              enum reg_fill_how *how, struct reg_bundle_record *rec, struct reg_fill *fill)
{
    struct reg_arena a;
    const char *key, *part;
    int lock = -1;
    enum reg_status st;

    memset(fill, 0, sizeof(*fill));
    fill->fd = -1;
    st = reg_bundle_zip_size(p->files, p->nfiles, &fill->total);
    if (st != REG_OK)
        return st;
    reg_arena_init(&a);
    key = fill_key(&a, p);
    part = reg_arena_sprintf(&a, "%s/%s.part", env->dir, key);
    fill_init(fill, env, p, key);
    if (mkdir(env->dir, 0755) != 0 && errno != EEXIST)
        st = reg_errorf(REG_ESTORE, "cannot create %s: %s", env->dir, strerror(errno));
    if (st == REG_OK) {
        const char *path = reg_arena_sprintf(&a, "%s/" REG_FILL_LOCK, env->dir);
        lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (lock < 0 || flock(lock, LOCK_EX) != 0)
            st = reg_errorf(REG_ESTORE, "cannot lock %s: %s", path, strerror(errno));
    }
    if (st == REG_OK && stored(b, p, rec))
        *how = REG_FILL_STORED;
    else if (st == REG_OK && join_running(part, &fill->fd))
        *how = REG_FILL_STREAMED;
    else if (st == REG_OK && (st = standing_refusal(fill)) == REG_OK &&
             (st = reg_fill_check_room(env, fill->total)) == REG_OK &&
             (st = start_filler(env, p, part, fill)) == REG_OK)
        *how = REG_FILL_STREAMED;
    if (lock >= 0)
        close(lock); /* releases the mutex */
    reg_arena_cleanup(&a);
    return st;
}

/* ---------------------------------------------------------------- reading */

/* The filler's failure from its error file, as a download reports it. */
static enum reg_status
filler_failure(const struct reg_fill *fill, bool before_first_byte)
{
    char name[64], detail[REG_ERROR_DETAIL_MAX] = "the fetch from upstream stopped";

    read_err(fill, name, sizeof(name), detail, sizeof(detail), NULL);
    if (!before_first_byte)
        return reg_errorf(REG_EUPSTREAM, "%s", detail);
    if (strcmp(name, reg_status_name(REG_EDISQUALIFIED)) == 0)
        return reg_errorf(REG_EDISQUALIFIED, "%s", detail);
    if (strcmp(name, reg_status_name(REG_ENOSPACE)) == 0)
        return reg_errorf(REG_ENOSPACE, "%s", detail);
    if (strcmp(name, reg_status_name(REG_ESTORE)) == 0)
        return reg_errorf(REG_ESTORE, "%s", detail);
    return reg_errorf(REG_EUNAVAILABLE, "no stored copy, and upstream failed: %s", detail);
}

/* The bytes of the part file a download may hand out: all it has, or under the scan's hold its
 * vetted prefix (the watermark file is read again only once the last copy is reached). */
static int64_t
available(struct reg_fill *fill)
{
    int64_t size = file_size(fill->fd);

    if (!fill->vetting)
        return size;
    if (size > fill->vetted)
        reg_vet_read(fill->vetted_path, fill->total, &fill->vetted, &fill->settled);
    return size < fill->vetted ? size : fill->vetted;
}

/* One poll while the filler runs; fails once the part file has not grown for
 * REG_FILL_STALL_MS (a scanned file's verdict waits for the whole file, so readers go by the
 * filler's progress, not their own). */
static enum reg_status
poll_filler(struct reg_fill *fill)
{
    int64_t size = file_size(fill->fd);

    if (size != fill->seen) {
        fill->seen = size;
        fill->stalled_ms = 0;
    }
    if (fill->stalled_ms >= REG_FILL_STALL_MS)
        return reg_errorf(REG_EUPSTREAM, "the fetch from upstream stalled");
    sleep_ms(REG_FILL_POLL_MS);
    fill->stalled_ms += REG_FILL_POLL_MS;
    fill->held_ms += REG_FILL_POLL_MS;
    return REG_OK;
}

/* Waits one poll at the end of what may be handed out; fails once the filler is gone or
 * stalled. */
static enum reg_status
wait_for_more(struct reg_fill *fill, int64_t have)
{
    if (filler_running(fill->fd))
        return poll_filler(fill);
    /* Gone: it may have written (or vetted) its last bytes just before. */
    if (available(fill) > have)
        return REG_OK;
    return filler_failure(fill, false);
}

/* Whether a download may answer now (see reg_fill_wait_first). */
static bool
may_answer(struct reg_fill *fill)
{
    if (available(fill) <= 0)
        return false;
    if (!fill->vetting || fill->settled || fill->held_ms >= REG_FILL_HOLD_MS)
        return true;
    reg_vet_read(fill->vetted_path, fill->total, &fill->vetted, &fill->settled);
    return fill->settled;
}

enum reg_status
reg_fill_wait_first(struct reg_fill *fill)
{
    enum reg_status st = REG_OK;

    while (st == REG_OK && !may_answer(fill)) {
        if (!filler_running(fill->fd)) /* gone: finished, or failed */
            return available(fill) >= fill->total ? REG_OK : filler_failure(fill, true);
        st = poll_filler(fill);
    }
    return st;
}

enum reg_status
reg_fill_read(struct reg_fill *fill, int64_t offset, int64_t len, reg_blobs_sink_fn sink, void *ctx)
{
    int64_t end = len < 0 ? fill->total : offset + len;
    char *buf = malloc(REG_FILL_CHUNK);
    enum reg_status st = REG_OK;

    if (!buf)
        reg_oom();
    if (offset < 0 || end > fill->total || offset > end)
        st = reg_errorf(REG_EINVAL, "range outside the bundle");
    while (st == REG_OK && offset < end) {
        int64_t may = available(fill) - offset;
        size_t want =
            end - offset < (int64_t)REG_FILL_CHUNK ? (size_t)(end - offset) : REG_FILL_CHUNK;
        ssize_t got = 0;
        if (may > 0 && (int64_t)want > may)
            want = (size_t)may;
        if (may > 0)
            got = pread(fill->fd, buf, want, (off_t)offset);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            st =
                reg_errorf(REG_ESTORE, "cannot read the bundle being fetched: %s", strerror(errno));
        } else if (got == 0) {
            st = wait_for_more(fill, offset);
        } else {
            fill->stalled_ms = 0;
            st = sink(ctx, buf, (size_t)got);
            offset += got;
        }
    }
    free(buf);
    return st;
}

void
reg_fill_close(struct reg_fill *fill)
{
    if (fill && fill->fd >= 0) {
        close(fill->fd);
        fill->fd = -1;
    }
}

void
reg_fill_record(const struct reg_bundle_plan *p, const char *sha256, int64_t size,
                struct reg_bundle_record *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->sha256, sizeof(out->sha256), "%s", sha256);
    snprintf(out->url, sizeof(out->url), "%s", p->url);
    snprintf(out->sources, sizeof(out->sources), "%s", p->sources);
    out->size = size;
    out->at = (int64_t)time(NULL);
}
