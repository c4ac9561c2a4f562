/*
 * blob_test.h - what the blob store and bundle tests share: removing a test's directory tree.
 * Included by one test file per binary; every helper is static.
 */
#ifndef REG_TEST_BLOB_TEST_H
#define REG_TEST_BLOB_TEST_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob/blobstore.h"

/* Removes path and everything under it. */
static void
remove_tree(const char *path)
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
            char child[REG_BLOB_PATH_MAX];

            if (!e)
                break;
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
            remove_tree(child);
        }
        closedir(d);
    }
    rmdir(path);
}

#endif
