/*
 * blob_test.h - what the blob store and bundle index tests share: each test in a fresh temp
 * directory, with the store directory inside it, and a disk blob store opened there or not.
 * Included after unit.h by one test file per binary; the helpers are static inline, so that a
 * test file that uses one of the two setups does not warn about the other.
 *
 * Usage: cmocka_unit_test_setup_teardown(test_x, blob_setup_store, blob_teardown); the test's
 * *state is its struct blob_fixture.
 */
#ifndef REG_TEST_BLOB_TEST_H
#define REG_TEST_BLOB_TEST_H

#include <stdio.h>
#include <stdlib.h>

#include "blob/blobs.h"
#include "tmpdir_fixture.h"

struct blob_fixture {
    char root[256];      /* a fresh temp directory, removed with everything under it */
    char dir[300];       /* root/blobs, where the store lives */
    struct reg_blobs *b; /* a disk store on dir (blob_setup_store), or NULL */
};

/* A cmocka setup: a fixture whose dir does not exist yet. */
static inline int
blob_setup_dir(void **state)
{
    struct blob_fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    tmpdir_make(f->root, sizeof(f->root), NULL, "blobtest");
    snprintf(f->dir, sizeof(f->dir), "%s/blobs", f->root);
    *state = f;
    return 0;
}

/* A cmocka setup: a fixture with a disk store on dir (which the open creates). */
static inline int
blob_setup_store(void **state)
{
    struct blob_fixture *f;

    blob_setup_dir(state);
    f = *state;
    assert_int_equal(reg_blobs_disk_open(f->dir, &f->b), REG_OK);
    return 0;
}

static inline int
blob_teardown(void **state)
{
    struct blob_fixture *f = *state;

    reg_blobs_free(f->b);
    tmpdir_remove(f->root);
    free(f);
    return 0;
}

#endif
