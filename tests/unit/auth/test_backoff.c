/*
 * test_backoff.c - the login backoff table (auth/backoff.h) on explicit clocks: the refusal
 * schedule, counting and forgetting, names that share a bucket (hash collisions), eviction when
 * a bucket's slots are full, and the table shared by forked processes (counts add up; a process
 * that dies holding the lock does not block the others).
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */

#include "unit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth/backoff.h"

#define BASE_MS 1000
/* A time far from 0, as the monotonic clock is. */
#define T0 ((int64_t)1000 * 1000 * 1000)

/* The table in memory shared with children, as registryd maps it. */
static struct reg_backoff *
table_new(void)
{
    void *p = mmap(NULL, sizeof(struct reg_backoff), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    assert_true(p != MAP_FAILED);
    assert_int_equal(reg_backoff_init(p), REG_OK);
    return p;
}

static void
table_free(struct reg_backoff *b)
{
    munmap(b, sizeof(*b));
}

static int
setup(void **state)
{
    *state = table_new();
    return 0;
}

static int
teardown(void **state)
{
    table_free(*state);
    return 0;
}

/* 0 when key may log in at now, else the wait in ms. */
static int64_t
refused_for(struct reg_backoff *b, uint64_t key, int64_t now)
{
    int64_t wait_ms = -1;
    enum reg_status st = reg_backoff_check(b, key, now, &wait_ms);

    assert_true((st == REG_OK && wait_ms == 0) || (st == REG_ETOOMANY && wait_ms > 0));
    return wait_ms;
}

static void
fail_times(struct reg_backoff *b, uint64_t key, int n, int64_t now)
{
    for (int i = 0; i < n; i++)
        reg_backoff_failed(b, key, now, BASE_MS);
}

static void
test_window_schedule(void **state)
{
    int64_t prev = 0;
    int bad = 0;

    (void)state;
    /* Free failures first, then the base, doubling, up to the cap and never past it. */
    for (uint32_t f = 0; f < REG_BACKOFF_FREE_FAILURES; f++)
        CHECK(&bad, reg_backoff_window_ms(f, BASE_MS) == 0, "failure %u refused", f);
    assert_int_equal(reg_backoff_window_ms(REG_BACKOFF_FREE_FAILURES, BASE_MS), BASE_MS);
    assert_int_equal(reg_backoff_window_ms(REG_BACKOFF_FREE_FAILURES + 1, BASE_MS), 2 * BASE_MS);
    assert_int_equal(reg_backoff_window_ms(REG_BACKOFF_FREE_FAILURES + 3, BASE_MS), 8 * BASE_MS);
    for (uint32_t f = REG_BACKOFF_FREE_FAILURES; f < 200; f++) {
        int64_t w = reg_backoff_window_ms(f, BASE_MS);
        CHECK(&bad, w >= prev && w > 0 && w <= REG_BACKOFF_MAX_MS, "failure %u: window %lld", f,
              (long long)w);
        prev = w;
    }
    assert_int_equal(prev, REG_BACKOFF_MAX_MS);
    assert_int_equal(reg_backoff_window_ms(UINT32_MAX, BASE_MS), REG_BACKOFF_MAX_MS);
    /* A base of 0 switches refusals off. */
    assert_int_equal(reg_backoff_window_ms(100, 0), 0);
    assert_int_equal(bad, 0);
}

static void
test_refuse_then_allow(void **state)
{
    struct reg_backoff *b = *state;
    uint64_t alice = reg_backoff_key(b, "alice"), bob = reg_backoff_key(b, "bob");
    int64_t now = T0;

    assert_true(alice != bob);
    assert_int_equal(refused_for(b, alice, now), 0);
    fail_times(b, alice, REG_BACKOFF_FREE_FAILURES - 1, now);
    assert_int_equal(refused_for(b, alice, now), 0);
    fail_times(b, alice, 1, now);
    /* The fifth failure starts the first window; another name is not affected. */
    assert_int_equal(refused_for(b, alice, now), BASE_MS);
    assert_int_equal(refused_for(b, alice, now + 400), BASE_MS - 400);
    assert_int_equal(refused_for(b, bob, now + 400), 0);
    assert_int_equal(refused_for(b, alice, now + BASE_MS), 0);
    /* Each further failure doubles the window, from the time of that failure. */
    now += BASE_MS;
    fail_times(b, alice, 1, now);
    assert_int_equal(refused_for(b, alice, now), 2 * BASE_MS);
    now += 2 * BASE_MS;
    fail_times(b, alice, 1, now);
    assert_int_equal(refused_for(b, alice, now + 1), 4 * BASE_MS - 1);
    /* A success starts the count over. */
    now += 4 * BASE_MS;
    reg_backoff_succeeded(b, alice);
    assert_int_equal(refused_for(b, alice, now), 0);
    fail_times(b, alice, REG_BACKOFF_FREE_FAILURES - 1, now);
    assert_int_equal(refused_for(b, alice, now), 0);
    fail_times(b, alice, 1, now);
    assert_int_equal(refused_for(b, alice, now), BASE_MS);
}

static void
test_forgets_quiet_names(void **state)
{
    struct reg_backoff *b = *state;
    uint64_t k = reg_backoff_key(b, "carol");

    fail_times(b, k, REG_BACKOFF_FREE_FAILURES - 1, T0);
    /* An hour later the old failures no longer count: the next one is the first again. */
    fail_times(b, k, 1, T0 + REG_BACKOFF_FORGET_MS);
    assert_int_equal(refused_for(b, k, T0 + REG_BACKOFF_FORGET_MS), 0);
    fail_times(b, k, REG_BACKOFF_FREE_FAILURES - 2, T0 + REG_BACKOFF_FORGET_MS);
    assert_int_equal(refused_for(b, k, T0 + REG_BACKOFF_FORGET_MS), 0);
    fail_times(b, k, 1, T0 + REG_BACKOFF_FORGET_MS);
    assert_int_equal(refused_for(b, k, T0 + REG_BACKOFF_FORGET_MS), BASE_MS);
}

static void
test_keys(void **state)
{
    struct reg_backoff *b = *state, *other = table_new();
    int same = 0;

    /* Stable per table, different per name, never 0 (a free slot), and keyed: another table
     * (another host, another start) maps the same name elsewhere. */
    assert_true(reg_backoff_key(b, "alice") == reg_backoff_key(b, "alice"));
    assert_true(reg_backoff_key(b, "alice") != reg_backoff_key(b, "Alice"));
    assert_true(reg_backoff_key(b, "") != 0);
    for (int i = 0; i < 64; i++) {
        char name[32];
        snprintf(name, sizeof(name), "user-%d", i);
        same += reg_backoff_key(b, name) == reg_backoff_key(other, name);
    }
    assert_int_equal(same, 0);
    table_free(other);
}

static void
test_bucket_collisions(void **state)
{
    struct reg_backoff *b = *state;
    /* Keys k + i * REG_BACKOFF_SLOTS all start probing at the same bucket. */
    const uint64_t k = 77;
    int bad = 0;

    for (int i = 0; i < REG_BACKOFF_PROBE; i++)
        fail_times(b, k + (uint64_t)i * REG_BACKOFF_SLOTS, i < 2 ? REG_BACKOFF_FREE_FAILURES : 1,
                   T0);
    /* Each is counted on its own: the first two refused, the others not. */
    for (int i = 0; i < REG_BACKOFF_PROBE; i++)
        CHECK(&bad,
              refused_for(b, k + (uint64_t)i * REG_BACKOFF_SLOTS, T0) == (i < 2 ? BASE_MS : 0),
              "colliding key %d", i);
    assert_int_equal(bad, 0);
    /* Forgetting one leaves its neighbours alone. */
    reg_backoff_succeeded(b, k);
    assert_int_equal(refused_for(b, k, T0), 0);
    assert_int_equal(refused_for(b, k + REG_BACKOFF_SLOTS, T0), BASE_MS);
    /* A key that probes into the slots the others spilled over to is unaffected by them. */
    assert_int_equal(refused_for(b, k + 1, T0), 0);
    fail_times(b, k + 1, REG_BACKOFF_FREE_FAILURES, T0);
    assert_int_equal(refused_for(b, k + 1, T0), BASE_MS);
    assert_int_equal(refused_for(b, k + REG_BACKOFF_SLOTS, T0), BASE_MS);
    /* The bucket wraps around the end of the table. */
    fail_times(b, REG_BACKOFF_SLOTS - 1, REG_BACKOFF_FREE_FAILURES, T0);
    fail_times(b, 2 * REG_BACKOFF_SLOTS - 1, REG_BACKOFF_FREE_FAILURES, T0);
    assert_int_equal(refused_for(b, REG_BACKOFF_SLOTS - 1, T0), BASE_MS);
    assert_int_equal(refused_for(b, 2 * REG_BACKOFF_SLOTS - 1, T0), BASE_MS);
}

static void
test_eviction(void **state)
{
    struct reg_backoff *b = *state;
    const uint64_t k = 5;
    int bad = 0;

    /* A full bucket: one refused name (used first, long ago), then names with a failure each,
     * used later and later. */
    fail_times(b, k, REG_BACKOFF_FREE_FAILURES, T0);
    for (int i = 1; i < REG_BACKOFF_PROBE; i++)
        fail_times(b, k + (uint64_t)i * REG_BACKOFF_SLOTS, 4, T0 + i);
    /* A new name evicts the least recently used name that refuses nobody (i = 1), not the
     * refused one, which is older still. */
    fail_times(b, k + (uint64_t)REG_BACKOFF_PROBE * REG_BACKOFF_SLOTS, 1, T0 + 100);
    assert_int_equal(refused_for(b, k, T0 + 100), BASE_MS - 100);
    fail_times(b, k + 1 * REG_BACKOFF_SLOTS, 1, T0 + 101);
    assert_int_equal(refused_for(b, k + 1 * REG_BACKOFF_SLOTS, T0 + 101), 0); /* counted anew */
    /* That re-entry evicted the next oldest (i = 2): its 4 failures are gone. */
    fail_times(b, k + 2 * REG_BACKOFF_SLOTS, 1, T0 + 102);
    assert_int_equal(refused_for(b, k + 2 * REG_BACKOFF_SLOTS, T0 + 102), 0);
    /* i = 4 was never evicted: its fifth failure refuses it. */
    fail_times(b, k + 4 * REG_BACKOFF_SLOTS, 1, T0 + 103);
    assert_int_equal(refused_for(b, k + 4 * REG_BACKOFF_SLOTS, T0 + 103), BASE_MS);

    /* When every slot refuses its name, the least recently used goes. */
    for (int i = 0; i <= REG_BACKOFF_PROBE; i++)
        reg_backoff_succeeded(b, k + (uint64_t)i * REG_BACKOFF_SLOTS);
    for (int i = 0; i < REG_BACKOFF_PROBE; i++)
        fail_times(b, k + (uint64_t)i * REG_BACKOFF_SLOTS, REG_BACKOFF_FREE_FAILURES,
                   T0 + 1000 + i);
    fail_times(b, k + (uint64_t)REG_BACKOFF_PROBE * REG_BACKOFF_SLOTS, 1, T0 + 1500);
    assert_int_equal(refused_for(b, k, T0 + 1500), 0);
    for (int i = 1; i < REG_BACKOFF_PROBE; i++)
        CHECK(&bad, refused_for(b, k + (uint64_t)i * REG_BACKOFF_SLOTS, T0 + 1500) > 0,
              "slot %d evicted", i);
    assert_int_equal(bad, 0);
}

static void
test_refused_name_stays_fresh(void **state)
{
    struct reg_backoff *b = *state;
    const uint64_t k = 9;

    /* k is refused until T0 + 4 s; its bucket fills with names used at T0 + 1. */
    fail_times(b, k, REG_BACKOFF_FREE_FAILURES + 2, T0);
    for (int i = 1; i < REG_BACKOFF_PROBE; i++)
        fail_times(b, k + (uint64_t)i * REG_BACKOFF_SLOTS, 1, T0 + 1);
    /* Being tried while refused makes k recently used ... */
    assert_int_equal(refused_for(b, k, T0 + 4 * BASE_MS - 1), 1);
    /* ... so once its window is over, new names evict the others (used at T0 + 1) first. */
    for (int i = REG_BACKOFF_PROBE; i < 2 * REG_BACKOFF_PROBE - 1; i++)
        fail_times(b, k + (uint64_t)i * REG_BACKOFF_SLOTS, 1, T0 + 5 * BASE_MS);
    /* Its failures still count: the next one refuses it for twice as long as the last. */
    fail_times(b, k, 1, T0 + 5 * BASE_MS);
    assert_int_equal(refused_for(b, k, T0 + 5 * BASE_MS), 8 * BASE_MS);
}

/* Forked processes failing the same name at once: no count is lost. */
static void
test_shared_between_processes(void **state)
{
    struct reg_backoff *b = *state;
    enum { CHILDREN = 4, EACH = 500 };
    uint64_t k = reg_backoff_key(b, "shared");
    pid_t pids[CHILDREN];

    for (int c = 0; c < CHILDREN; c++) {
        pids[c] = fork();
        assert_true(pids[c] >= 0);
        if (pids[c] == 0) {
            for (int i = 0; i < EACH; i++)
                reg_backoff_failed(b, k, T0, BASE_MS);
            _exit(0);
        }
    }
    for (int c = 0; c < CHILDREN; c++) {
        int ws;
        assert_int_equal(waitpid(pids[c], &ws, 0), pids[c]);
        assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    }
    for (int i = 0; i < REG_BACKOFF_SLOTS; i++)
        if (b->slots[i].key == k)
            assert_int_equal(b->slots[i].failures, CHILDREN * EACH);
}

/* A worker killed while it holds the lock (it holds it only for a few loads and stores, but
 * SIGKILL comes whenever it comes) must not stop every later login of the host. */
static void
test_lock_holder_dies(void **state)
{
    struct reg_backoff *b = *state;
    uint64_t k = reg_backoff_key(b, "after");
    pid_t pid = fork();
    int ws;

    assert_true(pid >= 0);
    if (pid == 0)
        _exit(pthread_mutex_lock(&b->lock) == 0 ? 0 : 1);
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    fail_times(b, k, REG_BACKOFF_FREE_FAILURES, T0);
    assert_int_equal(refused_for(b, k, T0), BASE_MS);
    reg_backoff_succeeded(b, k);
    assert_int_equal(refused_for(b, k, T0), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_window_schedule),          T(test_refuse_then_allow),
        T(test_forgets_quiet_names),      T(test_keys),
        T(test_bucket_collisions),        T(test_eviction),
        T(test_refused_name_stays_fresh), T(test_shared_between_processes),
        T(test_lock_holder_dies),
    };
    return cmocka_run_group_tests_name("auth/backoff", tests, NULL, NULL);
}
