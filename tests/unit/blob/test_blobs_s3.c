/*
 * test_blobs_s3.c - the S3 blob backend (lib/blob/blobs_s3.c) through the blob interface, on
 * the local S3 (s3rver) scripts/run-unit.sh starts (REGISTRY_TEST_S3_ENDPOINT): blobs put
 * (twice: the second finds it there), sized, read by range, handed to nginx as a presigned
 * path, removed; metadata objects put, read, listed by prefix and deleted; and the opens that
 * fail (a bucket name S3 refuses, an endpoint nobody answers).
 */
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/config.h"
#include "blob/blobs.h"
#include "tmpdir_fixture.h"

#define ENDPOINT_ENV "REGISTRY_TEST_S3_ENDPOINT"

struct fixture {
    char root[256];
    char bucket[64];
    struct reg_config cfg;
    struct reg_blobs *b;
    struct reg_arena arena;
};

static const char *endpoint;
static int buckets;

/* A configuration for the S3 backend on endpoint ep and a bucket of this test's own. */
static void
config(struct fixture *f, const char *ep)
{
    memset(&f->cfg, 0, sizeof(f->cfg));
    snprintf(f->bucket, sizeof(f->bucket), "unit-blobs-%ld-%d", (long)getpid(), ++buckets);
    f->cfg.blobs = "s3";
    f->cfg.s3_bucket = f->bucket;
    f->cfg.s3_endpoint = ep;
    f->cfg.aws_region = "us-east-1";
    f->cfg.aws_access_key_id = "S3RVER"; /* s3rver's own key */
    f->cfg.aws_secret_access_key = "S3RVER";
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    tmpdir_make(f->root, sizeof(f->root), NULL, "blobs3");
    reg_arena_init(&f->arena);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    reg_blobs_free(f->b);
    reg_arena_cleanup(&f->arena);
    tmpdir_remove(f->root);
    free(f);
    return 0;
}

static enum reg_status
to_buf(void *ctx, const void *data, size_t len)
{
    return reg_buf_append(ctx, data, len);
}

/* Writes len bytes of a pattern to root/name; its path to out. */
static void
pattern_file(const struct fixture *f, const char *name, size_t len, char *out, size_t cap)
{
    FILE *fp;

    snprintf(out, cap, "%s/%s", f->root, name);
    fp = fopen(out, "wb");
    assert_non_null(fp);
    for (size_t i = 0; i < len; i++)
        fputc((int)('a' + i % 26), fp);
    fclose(fp);
}

/* Blobs: put, put again, stat, ranged and whole reads, the presigned path, remove. */
static void
test_blobs(void **state)
{
    struct fixture *f = *state;
    char path[400], sha[65], prefix[400];
    int64_t size = 0;
    struct reg_buf got;
    const char *uri;

    config(f, endpoint);
    assert_int_equal(reg_blobs_open(&f->cfg, &f->b), REG_OK);
    assert_string_equal(reg_blobs_name(f->b), "s3");
    pattern_file(f, "blob.zip", 1000, path, sizeof(path));
    assert_int_equal(reg_blobs_hash_file(path, sha, &size), REG_OK);
    assert_int_equal(reg_blobs_stat(f->b, sha, &size), REG_ENOTFOUND);
    assert_int_equal(reg_blobs_put_file(f->b, path, sha), REG_OK);
    /* The second put finds the blob there; the local file is not needed any more. */
    unlink(path);
    assert_int_equal(reg_blobs_put_file(f->b, path, sha), REG_OK);
    size = 0;
    assert_int_equal(reg_blobs_stat(f->b, sha, &size), REG_OK);
    assert_int_equal(size, 1000);

    reg_buf_init(&got, 2000);
    assert_int_equal(reg_blobs_read(f->b, sha, 28, 5, to_buf, &got), REG_OK);
    assert_int_equal(got.len, 5);
    assert_memory_equal(got.data, "cdefg", 5);
    reg_buf_reset(&got);
    assert_int_equal(reg_blobs_read(f->b, sha, 990, -1, to_buf, &got), REG_OK);
    assert_int_equal(got.len, 10);
    assert_memory_equal(got.data, "cdefghijkl", 10);
    reg_buf_cleanup(&got);

    assert_int_equal(reg_blobs_accel_uri(f->b, &f->arena, sha, &uri), REG_OK);
    snprintf(prefix, sizeof(prefix), "/_s3/%s/%s/blobs/%.2s/%s.zip?", sha, f->bucket, sha, sha);
    if (strncmp(uri, prefix, strlen(prefix)) != 0)
        fail_msg("accel uri %s, want it to start with %s", uri, prefix);
    assert_non_null(strstr(uri, "X-Amz-Signature="));

    assert_int_equal(reg_blobs_remove(f->b, sha), REG_OK);
    assert_int_equal(reg_blobs_stat(f->b, sha, &size), REG_ENOTFOUND);
    assert_int_equal(reg_blobs_remove(f->b, sha), REG_OK);
}

static enum reg_status
to_list(void *ctx, const char *key)
{
    struct reg_buf *b = ctx;

    /* Listing order is S3's: keys go in as lines, compared as a set below. */
    if (reg_buf_puts(b, key) != REG_OK || reg_buf_puts(b, "\n") != REG_OK)
        return REG_EINTERNAL;
    return REG_OK;
}

/* Metadata objects: put, get, list by prefix (the prefix of the backend stripped), delete. An
 * endpoint given with a trailing '/' works the same. */
static void
test_meta(void **state)
{
    struct fixture *f = *state;
    char ep[300], *data;
    size_t len;
    struct reg_buf keys;

    snprintf(ep, sizeof(ep), "%s/", endpoint);
    config(f, ep);
    assert_int_equal(reg_blobs_open(&f->cfg, &f->b), REG_OK);
    assert_int_equal(reg_blobs_meta_put(f->b, "index/a1", "{\"a\":1}", 7), REG_OK);
    assert_int_equal(reg_blobs_meta_put(f->b, "index/a2", "{\"a\":2}", 7), REG_OK);
    assert_int_equal(reg_blobs_meta_put(f->b, "other/b", "{}", 2), REG_OK);
    assert_int_equal(reg_blobs_meta_get(f->b, &f->arena, "index/a2", &data, &len), REG_OK);
    assert_int_equal(len, 7);
    assert_string_equal(data, "{\"a\":2}");
    assert_int_equal(reg_blobs_meta_get(f->b, &f->arena, "index/none", &data, &len), REG_ENOTFOUND);
    assert_null(data);
    assert_int_equal(len, 0);

    reg_buf_init(&keys, 4096);
    assert_int_equal(reg_blobs_meta_list(f->b, "index/", to_list, &keys), REG_OK);
    assert_int_equal(keys.len, strlen("index/a1\nindex/a2\n"));
    assert_non_null(strstr(keys.data, "index/a1\n"));
    assert_non_null(strstr(keys.data, "index/a2\n"));
    reg_buf_reset(&keys);

    assert_int_equal(reg_blobs_meta_delete(f->b, "index/a1"), REG_OK);
    assert_int_equal(reg_blobs_meta_delete(f->b, "index/a1"), REG_OK);
    assert_int_equal(reg_blobs_meta_list(f->b, "index/", to_list, &keys), REG_OK);
    assert_int_equal(keys.len, strlen("index/a2\n"));
    assert_memory_equal(keys.data, "index/a2\n", keys.len);
    reg_buf_cleanup(&keys);
}

/* Opens that fail leave nothing open: a bucket name S3 refuses (REG_EINVAL before any request),
 * an endpoint where nothing listens (REG_EUNAVAILABLE when creating the bucket). */
static void
test_open_fails(void **state)
{
    struct fixture *f = *state;
    struct sockaddr_in addr = {.sin_family = AF_INET};
    socklen_t alen = sizeof(addr);
    char ep[64];
    int sock;

    config(f, endpoint);
    f->cfg.s3_bucket = "Not_A_Bucket";
    assert_int_equal(reg_blobs_open(&f->cfg, &f->b), REG_EINVAL);
    assert_null(f->b);
    assert_non_null(strstr(reg_error_detail(), "is not a valid bucket name"));

    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sock = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(sock >= 0);
    assert_int_equal(bind(sock, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(getsockname(sock, (struct sockaddr *)&addr, &alen), 0);
    close(sock); /* nothing listens there now */
    snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", ntohs(addr.sin_port));
    config(f, ep);
    assert_int_equal(reg_blobs_open(&f->cfg, &f->b), REG_EUNAVAILABLE);
    assert_null(f->b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_blobs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_fails, setup, teardown),
    };

    endpoint = getenv(ENDPOINT_ENV);
    if (!endpoint || !*endpoint) {
        fprintf(stderr,
                "test_blobs_s3: %s is not set: run it through scripts/run-unit.sh, which "
                "starts a local S3.\n",
                ENDPOINT_ENV);
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
