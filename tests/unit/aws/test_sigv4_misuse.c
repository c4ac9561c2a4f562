/*
 * test_sigv4_misuse.c - the signer refuses what a caller must not hand it, with a reason:
 * no request or credentials, a method that is not an HTTP token, a header list that is
 * missing, a payload hash header too long to be one, a length without a body, and a path or
 * query string beyond the canonical request's bound. (test_sigv4.c covers the AWS suite's
 * cases, which are all well formed.)
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "aws/sigv4.h"
#include "base/arena.h"

#define DATE "20150830T123600Z"

static const struct reg_sigv4_credentials cred = {"AKIDEXAMPLE",
                                                  "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL};

/* Signs req; the status, with the detail left for the caller. */
static enum reg_status
sign(const struct reg_sigv4_request *req, const struct reg_sigv4_credentials *c)
{
    struct reg_arena a;
    struct reg_sigv4_result out;
    enum reg_status st;

    reg_arena_init(&a);
    st = reg_sigv4_sign(&a, req, c, "us-east-1", "service", DATE, &out);
    reg_arena_cleanup(&a);
    return st;
}

static void
refused(int *bad, const char *what, enum reg_status st, enum reg_status want, const char *reason)
{
    CHECK(bad, st == want && strstr(reg_error_detail(), reason) != NULL, "%s: got %s (%s)", what,
          reg_status_name(st), reg_error_detail());
}

static void
test_sign_refusals(void **state)
{
    static char long_hash[128];
    const struct reg_sigv4_header headers[] = {{"Host", "example.amazonaws.com"},
                                               {"X-Amz-Date", DATE}};
    const struct reg_sigv4_header hashed[] = {{"Host", "example.amazonaws.com"},
                                              {"X-Amz-Date", DATE},
                                              {"x-amz-content-sha256", long_hash}};
    struct reg_sigv4_request ok = {
        .method = "GET", .path = "/", .query = "", .headers = headers, .nheaders = NELEMS(headers)};
    struct reg_sigv4_request r;
    int bad = 0;

    (void)state;
    assert_int_equal(sign(&ok, &cred), REG_OK);
    refused(&bad, "no request", sign(NULL, &cred), REG_EINVAL, "needs a request and credentials");
    refused(&bad, "no credentials", sign(&ok, NULL), REG_EINVAL, "needs a request and credentials");
    r = ok;
    r.method = "GE T";
    refused(&bad, "method", sign(&r, &cred), REG_EINVAL, "is not a valid HTTP method");
    r = ok;
    r.headers = NULL;
    refused(&bad, "header list", sign(&r, &cred), REG_EINVAL, "has no header list");
    r = ok;
    r.body_len = 5;
    refused(&bad, "length, no body", sign(&r, &cred), REG_EINVAL, "a length but no body");
    memset(long_hash, 'f', sizeof(long_hash) - 1);
    r = ok;
    r.headers = hashed;
    r.nheaders = NELEMS(hashed);
    refused(&bad, "payload hash", sign(&r, &cred), REG_EINVAL, "is too long");
    assert_int_equal(bad, 0);
}

static void
test_canonical_bounds(void **state)
{
    size_t len = REG_SIGV4_MAX_CANONICAL + 2;
    char *text = malloc(len);
    struct reg_arena a;
    char *out;
    int bad = 0;

    (void)state;
    assert_non_null(text);
    memset(text, 'a', len - 1);
    text[0] = '/';
    text[len - 1] = '\0';
    reg_arena_init(&a);
    refused(&bad, "path", reg_sigv4_canonical_uri(&a, text, false, &out), REG_ETOOLARGE,
            "the path exceeds");
    refused(&bad, "query", reg_sigv4_canonical_query(&a, text, &out), REG_ETOOLARGE,
            "the query string exceeds");
    reg_arena_cleanup(&a);
    free(text);
    assert_int_equal(bad, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_refusals),
        cmocka_unit_test(test_canonical_bounds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
