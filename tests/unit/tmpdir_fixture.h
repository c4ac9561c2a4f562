/*
 * tmpdir_fixture.h - what tests that write files share: a fresh temp directory of their own,
 * and its removal with everything under it.
 * Included after unit.h by any test file; the helpers are static inline, so that a test that
 * uses only one of them does not warn about the other.
 *
 * Usage:
 *     char root[256];
 *     tmpdir_make(root, sizeof(root), NULL, "blobstest");   // $TMPDIR/blobstest.XXXXXX
 *     ...
 *     tmpdir_remove(root);
 */
#ifndef REG_TEST_TMPDIR_FIXTURE_H
#define REG_TEST_TMPDIR_FIXTURE_H

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Makes a fresh, empty directory <base>/<prefix>.XXXXXX and writes its path to out (cap
 * bytes). A NULL base is $TMPDIR, or /tmp when that is unset or empty. */
static inline void
tmpdir_make(char *out, size_t cap, const char *base, const char *prefix)
{
    const char *t = getenv("TMPDIR");
    int n;

    if (!base)
        base = t && *t ? t : "/tmp";
    n = snprintf(out, cap, "%s/%s.XXXXXX", base, prefix);
    /* A cut path would lose the XXXXXX that mkdtemp fills in. */
    assert_true(n > 0 && (size_t)n < cap);
    assert_non_null(mkdtemp(out));
}

/* Removes path and everything under it; a path that does not exist is left alone. */
static inline void
tmpdir_remove(const char *path)
{
    struct stat st;
    DIR *d;

    if (lstat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    d = opendir(path);
    if (d) {
        for (;;) {
            struct dirent *e = readdir(d);
            char child[PATH_MAX];
            int n;

            if (!e)
                break;
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            n = snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
            assert_true(n > 0 && (size_t)n < sizeof(child));
            tmpdir_remove(child);
        }
        closedir(d);
    }
    rmdir(path);
}

#endif
