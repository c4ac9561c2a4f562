/*
 * fault.c - the fault-injection shim of fault.h: definitions of the system, OpenSSL and SQLite
 * functions libreg.a calls, each one failing when the armed rule says so and otherwise passing
 * the call on to the next definition (libc's, or ASan's interceptor before it).
 *
 * Every definition has the exact prototype of the header that declares it (included below),
 * so the compiler checks that the shim and the library agree. The release build's
 * _FORTIFY_SOURCE is dropped here: its inline wrappers of open and read would clash with these
 * definitions (libreg.a, checked with nm -u, calls the plain names, no __read_chk or __open_2).
 */
#undef _FORTIFY_SOURCE
#define _GNU_SOURCE /* RTLD_NEXT, fallocate, flock */

#include "fault.h"

#include <curl/curl.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define FN_MAX 48
#define PART_MAX 256

/* A rule: which calls fail, and how. */
struct rule {
    char fn[FN_MAX];
    char part[PART_MAX];
    long nth;
    int err;
    enum fault_mode mode;
};

/* The armed rule, and the standing one (fault_also); each written by the test's thread while
 * off, then published by its flag. */
static struct rule armed_rule, also_rule;
static atomic_bool armed, also;
static atomic_long calls;
static atomic_long fired;

static void
set_rule(struct rule *r, const char *fn, const char *part, long nth, int err, enum fault_mode mode)
{
    snprintf(r->fn, sizeof(r->fn), "%s", fn);
    snprintf(r->part, sizeof(r->part), "%s", part ? part : "");
    r->nth = nth;
    r->err = err;
    r->mode = mode;
}

void
fault_fail_mode(const char *fn, const char *part, long nth, int err, enum fault_mode mode)
{
    atomic_store(&armed, false);
    set_rule(&armed_rule, fn, part, nth, err, mode);
    atomic_store(&calls, 0);
    atomic_store(&fired, 0);
    atomic_store(&armed, true);
}

void
fault_fail(const char *fn, const char *part, long nth, int err)
{
    fault_fail_mode(fn, part, nth, err, FAULT_ONCE);
}

void
fault_count(const char *fn, const char *part)
{
    fault_fail_mode(fn, part, 0, 0, FAULT_ONCE);
}

long
fault_calls(void)
{
    return atomic_load(&calls);
}

bool
fault_fired(void)
{
    return atomic_load(&fired) > 0;
}

void
fault_off(void)
{
    atomic_store(&armed, false);
}

void
fault_also(const char *fn, const char *part, int err)
{
    atomic_store(&also, false);
    set_rule(&also_rule, fn, part, 1, err, FAULT_FROM);
    atomic_store(&also, true);
}

void
fault_also_off(void)
{
    atomic_store(&also, false);
}

/* ---------------------------------------------------------------- matching */

/* Whether a rule is on for fn (cheap: every passing call asks). */
static bool
on_for(const atomic_bool *flag, const struct rule *r, const char *fn)
{
    return atomic_load(flag) && strcmp(fn, r->fn) == 0;
}

static bool
path_matches(const struct rule *r, const char *a, const char *b)
{
    if (r->part[0] == '\0')
        return true;
    return (a && strstr(a, r->part)) || (b && strstr(b, r->part));
}

/* Whether this call of fn, on path a (or b), fails; if so errno is the rule's. The standing
 * rule fails every matching call; the armed one counts them and fails the Nth (or the Nth
 * and later). */
static bool
fails_path2(const char *fn, const char *a, const char *b)
{
    long n;

    if (on_for(&also, &also_rule, fn) && path_matches(&also_rule, a, b)) {
        errno = also_rule.err;
        return true;
    }
    if (!on_for(&armed, &armed_rule, fn) || !path_matches(&armed_rule, a, b))
        return false;
    n = atomic_fetch_add(&calls, 1) + 1;
    if (armed_rule.nth == 0 || n < armed_rule.nth ||
        (n > armed_rule.nth && armed_rule.mode == FAULT_ONCE))
        return false;
    atomic_fetch_add(&fired, 1);
    errno = armed_rule.err;
    return true;
}

static bool
fails_path(const char *fn, const char *path)
{
    return fails_path2(fn, path, NULL);
}

/* Whether this call of fn, on descriptor fd, fails: its path is the file fd is open on. */
static bool
fails_fd(const char *fn, int fd)
{
    char link[64], path[PATH_MAX];
    ssize_t n;
    int saved = errno;

    if (!on_for(&armed, &armed_rule, fn) && !on_for(&also, &also_rule, fn))
        return false;
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, path, sizeof(path) - 1);
    path[n > 0 ? n : 0] = '\0';
    errno = saved; /* a passing call leaves errno as it was */
    return fails_path(fn, path);
}

static bool
fails_stream(const char *fn, FILE *f)
{
    return fails_fd(fn, f ? fileno(f) : -1);
}

/* The next definition of name after this executable's: libc's, OpenSSL's, SQLite's (or
 * ASan's interceptor). Without one the test cannot mean anything: it stops. */
static void *
next_of(const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);

    if (!p) {
        fprintf(stderr, "fault.c: no next definition of %s\n", name);
        abort();
    }
    return p;
}

/* Sets the function pointer *fnp from next_of(name) once; memcpy because ISO C has no cast
 * from an object pointer to a function pointer. */
static void
resolve(void *fnp, size_t size, const char *name)
{
    void *p;

    memcpy(&p, fnp, sizeof(p));
    if (p)
        return;
    p = next_of(name);
    memcpy(fnp, &p, size);
}

#define NEXT(var, name) resolve(&(var), sizeof(var), name)

/* ---------------------------------------------------------------- paths */

int
open(const char *path, int flags, ...)
{
    static int (*next)(const char *, int, ...);
    mode_t mode = 0;

    NEXT(next, "open");
    if (flags & (O_CREAT | __O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, unsigned int);
        va_end(ap);
    }
    if (fails_path("open", path))
        return -1;
    return next(path, flags, mode);
}

FILE *
fopen(const char *path, const char *how)
{
    static FILE *(*next)(const char *, const char *);

    NEXT(next, "fopen");
    return fails_path("fopen", path) ? NULL : next(path, how);
}

DIR *
opendir(const char *path)
{
    static DIR *(*next)(const char *);

    NEXT(next, "opendir");
    return fails_path("opendir", path) ? NULL : next(path);
}

int
rename(const char *from, const char *to)
{
    static int (*next)(const char *, const char *);

    NEXT(next, "rename");
    return fails_path2("rename", from, to) ? -1 : next(from, to);
}

int
link(const char *from, const char *to)
{
    static int (*next)(const char *, const char *);

    NEXT(next, "link");
    return fails_path2("link", from, to) ? -1 : next(from, to);
}

int
stat(const char *restrict path, struct stat *restrict sb)
{
    static int (*next)(const char *restrict, struct stat *restrict);

    NEXT(next, "stat");
    return fails_path("stat", path) ? -1 : next(path, sb);
}

int
chmod(const char *path, mode_t mode)
{
    static int (*next)(const char *, mode_t);

    NEXT(next, "chmod");
    return fails_path("chmod", path) ? -1 : next(path, mode);
}

int
mkdir(const char *path, mode_t mode)
{
    static int (*next)(const char *, mode_t);

    NEXT(next, "mkdir");
    return fails_path("mkdir", path) ? -1 : next(path, mode);
}

int
unlink(const char *path)
{
    static int (*next)(const char *);

    NEXT(next, "unlink");
    return fails_path("unlink", path) ? -1 : next(path);
}

/* The path matched is the name relative to dirfd (fault.h: a part of the name). */
int
unlinkat(int dirfd, const char *path, int flags)
{
    static int (*next)(int, const char *, int);

    NEXT(next, "unlinkat");
    return fails_path("unlinkat", path) ? -1 : next(dirfd, path, flags);
}

int
remove(const char *path)
{
    static int (*next)(const char *);

    NEXT(next, "remove");
    return fails_path("remove", path) ? -1 : next(path);
}

int
statvfs(const char *restrict path, struct statvfs *restrict out)
{
    static int (*next)(const char *restrict, struct statvfs *restrict);

    NEXT(next, "statvfs");
    return fails_path("statvfs", path) ? -1 : next(path, out);
}

int
mkstemp(char *tmpl)
{
    static int (*next)(char *);

    NEXT(next, "mkstemp");
    return fails_path("mkstemp", tmpl) ? -1 : next(tmpl);
}

char *
mkdtemp(char *tmpl)
{
    static char *(*next)(char *);

    NEXT(next, "mkdtemp");
    return fails_path("mkdtemp", tmpl) ? NULL : next(tmpl);
}

/* ---------------------------------------------------------------- descriptors and streams */

ssize_t
read(int fd, void *buf, size_t len)
{
    static ssize_t (*next)(int, void *, size_t);

    NEXT(next, "read");
    return fails_fd("read", fd) ? -1 : next(fd, buf, len);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
    static ssize_t (*next)(int, const void *, size_t);

    NEXT(next, "write");
    return fails_fd("write", fd) ? -1 : next(fd, buf, len);
}

ssize_t
pread(int fd, void *buf, size_t len, off_t offset)
{
    static ssize_t (*next)(int, void *, size_t, off_t);

    NEXT(next, "pread");
    return fails_fd("pread", fd) ? -1 : next(fd, buf, len, offset);
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t offset)
{
    static ssize_t (*next)(int, const void *, size_t, off_t);

    NEXT(next, "pwrite");
    return fails_fd("pwrite", fd) ? -1 : next(fd, buf, len, offset);
}

int
fsync(int fd)
{
    static int (*next)(int);

    NEXT(next, "fsync");
    return fails_fd("fsync", fd) ? -1 : next(fd);
}

/* A failing close still closes fd, as Linux does (the caller must not close it again). */
int
close(int fd)
{
    static int (*next)(int);
    int err;

    NEXT(next, "close");
    if (!fails_fd("close", fd))
        return next(fd);
    err = errno;
    next(fd);
    errno = err;
    return -1;
}

int
fstat(int fd, struct stat *sb)
{
    static int (*next)(int, struct stat *);

    NEXT(next, "fstat");
    return fails_fd("fstat", fd) ? -1 : next(fd, sb);
}

int
fchmod(int fd, mode_t mode)
{
    static int (*next)(int, mode_t);

    NEXT(next, "fchmod");
    return fails_fd("fchmod", fd) ? -1 : next(fd, mode);
}

int
flock(int fd, int op)
{
    static int (*next)(int, int);

    NEXT(next, "flock");
    return fails_fd("flock", fd) ? -1 : next(fd, op);
}

/* Only the record-lock commands fail: the other uses of fcntl (flags) are not I/O. */
int
fcntl(int fd, int cmd, ...)
{
    static int (*next)(int, int, ...);
    va_list ap;
    void *arg;

    NEXT(next, "fcntl");
    va_start(ap, cmd);
    arg = va_arg(ap, void *);
    va_end(ap);
    if ((cmd == F_SETLK || cmd == F_SETLKW || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW) &&
        fails_fd("fcntl", fd))
        return -1;
    return next(fd, cmd, arg);
}

int
ftruncate(int fd, off_t len)
{
    static int (*next)(int, off_t);

    NEXT(next, "ftruncate");
    return fails_fd("ftruncate", fd) ? -1 : next(fd, len);
}

int
fallocate(int fd, int mode, off_t offset, off_t len)
{
    static int (*next)(int, int, off_t, off_t);

    NEXT(next, "fallocate");
    return fails_fd("fallocate", fd) ? -1 : next(fd, mode, offset, len);
}

void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset)
{
    static void *(*next)(void *, size_t, int, int, int, off_t);

    NEXT(next, "mmap");
    /* Anonymous maps (the allocator's) have no file: they never match a rule with a path. */
    return fd >= 0 && fails_fd("mmap", fd) ? MAP_FAILED : next(addr, len, prot, flags, fd, offset);
}

FILE *
fdopen(int fd, const char *how)
{
    static FILE *(*next)(int, const char *);

    NEXT(next, "fdopen");
    return fails_fd("fdopen", fd) ? NULL : next(fd, how);
}

size_t
fwrite(const void *restrict p, size_t size, size_t n, FILE *restrict f)
{
    static size_t (*next)(const void *restrict, size_t, size_t, FILE *restrict);

    NEXT(next, "fwrite");
    return fails_stream("fwrite", f) ? 0 : next(p, size, n, f);
}

int
fseeko(FILE *f, off_t offset, int whence)
{
    static int (*next)(FILE *, off_t, int);

    NEXT(next, "fseeko");
    return fails_stream("fseeko", f) ? -1 : next(f, offset, whence);
}

off_t
ftello(FILE *f)
{
    static off_t (*next)(FILE *);

    NEXT(next, "ftello");
    return fails_stream("ftello", f) ? -1 : next(f);
}

/* Like close: the stream is released even when the call fails. */
int
fclose(FILE *f)
{
    static int (*next)(FILE *);
    int err;

    NEXT(next, "fclose");
    if (!fails_stream("fclose", f))
        return next(f);
    err = errno;
    next(f);
    errno = err;
    return EOF;
}

/* ---------------------------------------------------------------- processes and locks */

pid_t
fork(void)
{
    static pid_t (*next)(void);

    NEXT(next, "fork");
    return fails_path("fork", NULL) ? -1 : next();
}

int
posix_spawn(pid_t *restrict pid, const char *restrict path,
            const posix_spawn_file_actions_t *restrict actions,
            const posix_spawnattr_t *restrict attr, char *const argv[restrict],
            char *const envp[restrict])
{
    static int (*next)(
        pid_t *restrict, const char *restrict, const posix_spawn_file_actions_t *restrict,
        const posix_spawnattr_t *restrict, char *const[restrict], char *const[restrict]);

    NEXT(next, "posix_spawn");
    return fails_path("posix_spawn", path) ? errno : next(pid, path, actions, attr, argv, envp);
}

int
pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
    static int (*next)(pthread_mutex_t *, const pthread_mutexattr_t *);

    NEXT(next, "pthread_mutex_init");
    return fails_path("pthread_mutex_init", NULL) ? errno : next(m, attr);
}

int
pthread_mutex_lock(pthread_mutex_t *m)
{
    static int (*next)(pthread_mutex_t *);

    NEXT(next, "pthread_mutex_lock");
    return fails_path("pthread_mutex_lock", NULL) ? errno : next(m);
}

/* ---------------------------------------------------------------- OpenSSL */

int
RAND_bytes(unsigned char *buf, int num)
{
    static int (*next)(unsigned char *, int);

    NEXT(next, "RAND_bytes");
    return fails_path("RAND_bytes", NULL) ? 0 : next(buf, num);
}

int
EVP_DigestInit_ex(EVP_MD_CTX *ctx, const EVP_MD *type, ENGINE *impl)
{
    static int (*next)(EVP_MD_CTX *, const EVP_MD *, ENGINE *);

    NEXT(next, "EVP_DigestInit_ex");
    return fails_path("EVP_DigestInit_ex", NULL) ? 0 : next(ctx, type, impl);
}

int
EVP_DigestUpdate(EVP_MD_CTX *ctx, const void *d, size_t cnt)
{
    static int (*next)(EVP_MD_CTX *, const void *, size_t);

    NEXT(next, "EVP_DigestUpdate");
    return fails_path("EVP_DigestUpdate", NULL) ? 0 : next(ctx, d, cnt);
}

int
EVP_DigestFinal_ex(EVP_MD_CTX *ctx, unsigned char *md, unsigned int *s)
{
    static int (*next)(EVP_MD_CTX *, unsigned char *, unsigned int *);

    NEXT(next, "EVP_DigestFinal_ex");
    return fails_path("EVP_DigestFinal_ex", NULL) ? 0 : next(ctx, md, s);
}

int
EVP_Digest(const void *data, size_t count, unsigned char *md, unsigned int *size,
           const EVP_MD *type, ENGINE *impl)
{
    static int (*next)(const void *, size_t, unsigned char *, unsigned int *, const EVP_MD *,
                       ENGINE *);

    NEXT(next, "EVP_Digest");
    return fails_path("EVP_Digest", NULL) ? 0 : next(data, count, md, size, type, impl);
}

unsigned char *
HMAC(const EVP_MD *evp_md, const void *key, int key_len, const unsigned char *d, size_t n,
     unsigned char *md, unsigned int *md_len)
{
    static unsigned char *(*next)(const EVP_MD *, const void *, int, const unsigned char *, size_t,
                                  unsigned char *, unsigned int *);

    NEXT(next, "HMAC");
    return fails_path("HMAC", NULL) ? NULL : next(evp_md, key, key_len, d, n, md, md_len);
}

int
PKCS5_PBKDF2_HMAC(const char *pass, int passlen, const unsigned char *salt, int saltlen, int iter,
                  const EVP_MD *digest, int keylen, unsigned char *out)
{
    static int (*next)(const char *, int, const unsigned char *, int, int, const EVP_MD *, int,
                       unsigned char *);

    NEXT(next, "PKCS5_PBKDF2_HMAC");
    return fails_path("PKCS5_PBKDF2_HMAC", NULL)
               ? 0
               : next(pass, passlen, salt, saltlen, iter, digest, keylen, out);
}

/* ---------------------------------------------------------------- libcurl */

/* A failing call returns NULL, as libcurl does when it cannot allocate the handle. */
CURLM *
curl_multi_init(void)
{
    static CURLM *(*next)(void);

    NEXT(next, "curl_multi_init");
    return fails_path("curl_multi_init", NULL) ? NULL : next();
}

/* ---------------------------------------------------------------- SQLite (err is the result) */

int
sqlite3_step(sqlite3_stmt *stmt)
{
    static int (*next)(sqlite3_stmt *);

    NEXT(next, "sqlite3_step");
    return fails_path("sqlite3_step", sqlite3_sql(stmt)) ? errno : next(stmt);
}

int
sqlite3_prepare_v2(sqlite3 *db, const char *sql, int len, sqlite3_stmt **stmt, const char **tail)
{
    static int (*next)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **);

    NEXT(next, "sqlite3_prepare_v2");
    if (!fails_path("sqlite3_prepare_v2", sql))
        return next(db, sql, len, stmt, tail);
    *stmt = NULL;
    return errno;
}

int
sqlite3_prepare_v3(sqlite3 *db, const char *sql, int len, unsigned int flags, sqlite3_stmt **stmt,
                   const char **tail)
{
    static int (*next)(sqlite3 *, const char *, int, unsigned int, sqlite3_stmt **, const char **);

    NEXT(next, "sqlite3_prepare_v3");
    if (!fails_path("sqlite3_prepare_v3", sql))
        return next(db, sql, len, flags, stmt, tail);
    *stmt = NULL;
    return errno;
}

/* A failing open leaves *db NULL (SQLite's answer when it cannot even allocate the handle). */
int
sqlite3_open_v2(const char *path, sqlite3 **db, int flags, const char *vfs)
{
    static int (*next)(const char *, sqlite3 **, int, const char *);

    NEXT(next, "sqlite3_open_v2");
    if (!fails_path("sqlite3_open_v2", path))
        return next(path, db, flags, vfs);
    *db = NULL;
    return errno;
}

int
sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **), void *ctx,
             char **err)
{
    static int (*next)(sqlite3 *, const char *, int (*)(void *, int, char **, char **), void *,
                       char **);

    NEXT(next, "sqlite3_exec");
    return fails_path("sqlite3_exec", sql) ? errno : next(db, sql, cb, ctx, err);
}
