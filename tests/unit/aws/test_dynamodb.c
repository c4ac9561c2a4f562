/*
 * test_dynamodb.c - the DynamoDB client's retry schedule (aws/dynamodb.h), the one every retry
 * of the client and of the store's batch writes sleeps by: each pause is within its bounds,
 * the bounds grow with the retry up to the cap, and every pause is a timespec nanosleep takes
 * (tv_nsec below a second: the batch writes' later rounds once put 1.6 s there, and nanosleep
 * refused them with EINVAL, so they did not wait at all).
 */
#include "unit.h"

#include <time.h>

#include "aws/dynamodb.h"

/* Retries beyond any the client or the store makes, and the jitter values tried with each. */
#define RETRIES 40
static const uint32_t jitters[] = {0,           1,           12345,       0x40000000u, 0x7fffffffu,
                                   0x80000000u, 0xc0000000u, 0xfffffffeu, UINT32_MAX};

static int64_t
ms_of(struct timespec ts)
{
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
test_ceiling_grows_to_the_cap(void **state)
{
    int64_t want = REG_DYNAMODB_BACKOFF_BASE_MS;
    int bad = 0;

    (void)state;
    /* The base, doubled with each retry until the cap, then the cap. */
    for (int r = 1; r <= RETRIES; r++) {
        CHECK(&bad, reg_dynamodb_backoff_ceiling_ms(r) == want, "retry %d: ceiling %lld, want %lld",
              r, (long long)reg_dynamodb_backoff_ceiling_ms(r), (long long)want);
        want = want * 2 < REG_DYNAMODB_BACKOFF_CAP_MS ? want * 2 : REG_DYNAMODB_BACKOFF_CAP_MS;
    }
    assert_int_equal(bad, 0);
    assert_int_equal(reg_dynamodb_backoff_ceiling_ms(8), 128 * REG_DYNAMODB_BACKOFF_BASE_MS);
    assert_int_equal(reg_dynamodb_backoff_ceiling_ms(RETRIES), REG_DYNAMODB_BACKOFF_CAP_MS);
    assert_int_equal(reg_dynamodb_backoff_ceiling_ms(1000000), REG_DYNAMODB_BACKOFF_CAP_MS);
}

static void
test_every_pause_is_valid_and_bounded(void **state)
{
    int bad = 0;

    (void)state;
    for (int j = 0; j < NELEMS(jitters); j++) {
        int64_t prev = 0;
        for (int r = 1; r <= RETRIES; r++) {
            struct timespec ts = reg_dynamodb_backoff(r, jitters[j]);
            int64_t ms = ms_of(ts), ceiling = reg_dynamodb_backoff_ceiling_ms(r);
            CHECK(&bad, ts.tv_sec >= 0 && ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000L,
                  "retry %d jitter %u: {%lld, %ld} is not a valid timespec", r, jitters[j],
                  (long long)ts.tv_sec, ts.tv_nsec);
            CHECK(&bad, ms >= 0 && ms < ceiling, "retry %d jitter %u: %lld ms outside [0, %lld)", r,
                  jitters[j], (long long)ms, (long long)ceiling);
            /* For a given jitter the pause never shrinks as the retries go on. */
            CHECK(&bad, ms >= prev, "retry %d jitter %u: %lld ms after %lld ms", r, jitters[j],
                  (long long)ms, (long long)prev);
            prev = ms;
        }
    }
    assert_int_equal(bad, 0);
    /* The whole range is used: no jitter is nothing, the largest nearly the ceiling. */
    assert_int_equal(ms_of(reg_dynamodb_backoff(3, 0)), 0);
    assert_int_equal(ms_of(reg_dynamodb_backoff(3, 0x80000000u)),
                     reg_dynamodb_backoff_ceiling_ms(3) / 2);
    assert_int_equal(ms_of(reg_dynamodb_backoff(RETRIES, UINT32_MAX)),
                     REG_DYNAMODB_BACKOFF_CAP_MS - 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ceiling_grows_to_the_cap),
        cmocka_unit_test(test_every_pause_is_valid_and_bounded),
    };
    return cmocka_run_group_tests_name("aws/dynamodb", tests, NULL, NULL);
}
