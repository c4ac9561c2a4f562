/*
 * test_sigv4_faults.c - SigV4 signing (lib/aws/sigv4.c) when OpenSSL's SHA-256 or HMAC fails,
 * through the fault shim (tests/unit/fault.h): REG_EINTERNAL naming the step, *out zeroed (no
 * half-made Authorization a caller could send), and the same signature as before once the
 * fault is gone.
 */
#include "unit.h"

#include <string.h>

#include "aws/sigv4.h"
#include "base/arena.h"
#include "fault.h"

#define AMZ_DATE "20150830T123600Z"

struct ctx {
    struct reg_arena a;
    struct reg_sigv4_result out;
    char signature[65]; /* of the run without a fault */
};

static enum reg_status
op_sign(void *p)
{
    static const struct reg_sigv4_header headers[] = {
        {"Host", "dynamodb.us-east-1.amazonaws.com"},
        {"X-Amz-Date", AMZ_DATE},
        {"Content-Type", "application/x-amz-json-1.0"},
    };
    static const struct reg_sigv4_request req = {
        .method = "POST",
        .path = "/",
        .query = "",
        .headers = headers,
        .nheaders = 3,
        .body = "{}",
        .body_len = 2,
        .normalize_path = true,
    };
    static const struct reg_sigv4_credentials cred = {
        "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL};
    struct ctx *c = p;
    enum reg_status st;

    memset(&c->out, 0x5a, sizeof(c->out));
    st = reg_sigv4_sign(&c->a, &req, &cred, "us-east-1", "dynamodb", AMZ_DATE, &c->out);
    if (st == REG_OK && c->signature[0])
        assert_string_equal(c->out.signature, c->signature);
    return st;
}

/* After a failure: nothing of the result is left for the caller to send. */
static void
check_zeroed(void *p)
{
    struct ctx *c = p;
    struct reg_sigv4_result zero;

    memset(&zero, 0, sizeof(zero));
    assert_memory_equal(&c->out, &zero, sizeof(zero));
}

static void
test_sign_faults(void **state)
{
    static const struct fault_case cases[] = {
        /* the body's hash first, then the canonical request's */
        {"EVP_Digest", NULL, 0, 1, REG_EINTERNAL, "SHA-256 of the request body failed"},
        {"EVP_Digest", NULL, 0, 2, REG_EINTERNAL, "SHA-256 of the canonical request failed"},
        /* each link of the signing-key chain and the signature itself */
        {"HMAC", NULL, 0, 0, REG_EINTERNAL, "HMAC-SHA256 failed"},
    };
    static const struct fault_op op = {op_sign, NULL, check_zeroed};
    struct ctx c;

    (void)state;
    memset(&c, 0, sizeof(c));
    reg_arena_init(&c.a);
    assert_int_equal(op_sign(&c), REG_OK);
    memcpy(c.signature, c.out.signature, sizeof(c.signature));
    assert_int_equal(strlen(c.signature), 64);
    for (int i = 0; i < NELEMS(cases); i++)
        fault_sweep(&cases[i], &op, &c);
    assert_int_equal(op_sign(&c), REG_OK);
    reg_arena_cleanup(&c.a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_faults),
    };

    return cmocka_run_group_tests_name("aws/sigv4_faults", tests, NULL, NULL);
}
