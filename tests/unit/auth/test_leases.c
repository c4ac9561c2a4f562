/*
 * test_leases.c - the host's table of leased token uses (auth/leases.h) on explicit clocks:
 * blocks spent without the store, their sizes growing and shrinking, expired rests handed back,
 * a second process counting directly while the first fetches, a dead fetcher not blocking the
 * token, eviction from a full bucket, and forgetting a user's or every token.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */

#include "unit.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth/leases.h"

/* A time far from 0, as the monotonic clock is. */
#define T0 ((int64_t)1000 * 1000 * 1000)
#define ID_A "a0000000000000000000000000000001"
#define ID_B "b0000000000000000000000000000002"

static int
setup(void **state)
{
    void *p = mmap(NULL, sizeof(struct reg_leases), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    assert_true(p != MAP_FAILED);
    assert_int_equal(reg_leases_init(p), REG_OK);
    *state = p;
    return 0;
}

static int
teardown(void **state)
{
    munmap(*state, sizeof(struct reg_leases));
    return 0;
}

/* reg_leases_fill without the block's number. */
static int64_t
fill_block(struct reg_leases *l, const char *id, int64_t granted, int64_t now)
{
    uint64_t block_no;

    return reg_leases_fill(l, id, granted, now, &block_no);
}

/* Fetches a block for id as a worker would, the store granting `granted` of it. Returns the
 * size asked for. */
static int64_t
fetch(struct reg_leases *l, const char *id, const char *user, int64_t now, int64_t granted)
{
    struct reg_lease_order o;

    assert_int_equal(reg_leases_spend(l, id, user, now, &o), REG_LEASE_FETCH);
    assert_int_equal(fill_block(l, id, granted ? granted : o.want, now), 0);
    return o.want;
}

static void
test_a_block_is_spent_without_the_store(void **state)
{
    struct reg_leases *l = *state;
    struct reg_lease_order o;

    assert_int_equal(fetch(l, ID_A, "alice", T0, 0), REG_LEASE_FIRST);
    /* The fetching use was one of the block: the rest is spent here. */
    for (int i = 1; i < REG_LEASE_FIRST; i++)
        assert_int_equal(reg_leases_spend(l, ID_A, "alice", T0 + i, &o), REG_LEASE_SPENT);
    assert_false(reg_leases_holds(l, ID_A, T0 + 10));
    /* Spent within its lifetime: the next block is twice as large. */
    assert_int_equal(reg_leases_spend(l, ID_A, "alice", T0 + 10, &o), REG_LEASE_FETCH);
    assert_int_equal(o.want, 2 * REG_LEASE_FIRST);
    assert_int_equal(o.nback, 0);
    /* The store had only 3 left: those are all the host holds. */
    assert_int_equal(fill_block(l, ID_A, 3, T0 + 10), 0);
    assert_true(reg_leases_holds(l, ID_A, T0 + 11));
    assert_int_equal(reg_leases_spend(l, ID_A, "alice", T0 + 11, &o), REG_LEASE_SPENT);
    assert_int_equal(reg_leases_spend(l, ID_A, "alice", T0 + 12, &o), REG_LEASE_SPENT);
    assert_int_equal(reg_leases_spend(l, ID_A, "alice", T0 + 13, &o), REG_LEASE_FETCH);
}

static void
test_blocks_grow_to_the_maximum(void **state)
{
    struct reg_leases *l = *state;
    struct reg_lease_order o;
    int64_t now = T0, want = 0;

    for (int round = 0; round < 12; round++) {
        want = fetch(l, ID_A, "alice", now, 0);
        for (int64_t i = 1; i < want; i++)
            assert_int_equal(reg_leases_spend(l, ID_A, "alice", ++now, &o), REG_LEASE_SPENT);
        now++;
    }
    assert_int_equal(want, REG_LEASE_MAX);
}

static void
test_an_expired_rest_goes_back_and_the_next_block_shrinks(void **state)
{
    struct reg_leases *l = *state;
    struct reg_lease_order o;
    struct reg_lease_return back[REG_LEASE_RETURNS_MAX];
    int64_t now = T0;

    for (int round = 0; round < 2; round++) { /* blocks of 4 and 8, spent whole */
        int64_t want = fetch(l, ID_A, "alice", now, 0);
        for (int64_t i = 1; i < want; i++)
            assert_int_equal(reg_leases_spend(l, ID_A, "alice", ++now, &o), REG_LEASE_SPENT);
    }
    assert_int_equal(fetch(l, ID_A, "alice", ++now, 0), 4 * REG_LEASE_FIRST);
    /* One use of 16 spent, then the block expires: its 15 go back with the next fetch. */
    now += REG_LEASE_TTL_MS;
    assert_false(reg_leases_holds(l, ID_A, now));
    assert_int_equal(reg_leases_spend(l, ID_A, "alice", now, &o), REG_LEASE_FETCH);
    assert_int_equal(o.nback, 1);
    assert_string_equal(o.back[0].id, ID_A);
    assert_string_equal(o.back[0].user, "alice");
    assert_int_equal(o.back[0].n, 4 * REG_LEASE_FIRST - 1);
    assert_int_equal(o.want, 2 * REG_LEASE_FIRST);
    assert_int_equal(fill_block(l, ID_A, o.want, now), 0);
    /* An idle token's expired rest is collected by whoever comes next, once per half TTL. */
    now += REG_LEASE_TTL_MS;
    assert_int_equal(reg_leases_collect(l, now, false, back, REG_LEASE_RETURNS_MAX), 1);
    assert_int_equal(back[0].n, 2 * REG_LEASE_FIRST - 1);
    assert_int_equal(reg_leases_collect(l, now, false, back, REG_LEASE_RETURNS_MAX), 0);
    assert_int_equal(reg_leases_collect(l, now, true, back, REG_LEASE_RETURNS_MAX), 0);
}

static void
test_collect_all_takes_every_rest(void **state)
{
    struct reg_leases *l = *state;
    struct reg_lease_return back[REG_LEASE_RETURNS_MAX];

    fetch(l, ID_A, "alice", T0, 10);
    fetch(l, ID_B, "bob", T0, 5);
    assert_int_equal(reg_leases_collect(l, T0 + 1, false, back, REG_LEASE_RETURNS_MAX), 0);
    assert_int_equal(reg_leases_collect(l, T0 + 1, true, back, REG_LEASE_RETURNS_MAX), 2);
    assert_int_equal(back[0].n + back[1].n, 9 + 4);
    assert_false(reg_leases_holds(l, ID_A, T0 + 1));
    assert_int_equal(reg_leases_collect(l, T0 + 1, true, back, REG_LEASE_RETURNS_MAX), 0);
}

/* While one process fetches a token's block, another counts its use in the store directly
 * rather than wait; a fetch that fails leaves nothing behind. */
static void
test_a_second_process_counts_directly_during_a_fetch(void **state)
{
    struct reg_leases *l = *state;
    struct reg_lease_order o;
    pid_t child;
    int status;

    assert_int_equal(reg_leases_spend(l, ID_A, "alice", T0, &o), REG_LEASE_FETCH);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct reg_lease_order c;
        _exit(reg_leases_spend(l, ID_A, "alice", T0 + 1, &c) == REG_LEASE_DIRECT ? 0 : 1);
    }
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    reg_leases_abandon(l, ID_A);
    assert_false(reg_leases_holds(l, ID_A, T0 + 2));
    assert_int_equal(reg_leases_spend(l, ID_A, "alice", T0 + 2, &o), REG_LEASE_FETCH);
}

/* A worker killed while it waited on the store does not keep the token from fetching. */
static void
test_a_dead_fetcher_does_not_block_the_token(void **state)
{
    struct reg_leases *l = *state;
    struct reg_lease_order o;
    pid_t child = fork();
    int status;

    assert_true(child >= 0);
    if (child == 0) {
        struct reg_lease_order c;
        (void)reg_leases_spend(l, ID_A, "alice", T0, &c);
        raise(SIGKILL);
    }
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(reg_leases_spend(l, ID_A, "alice", T0 + 1, &o), REG_LEASE_FETCH);
    /* The dead one's fill would not land; ours does. */
    assert_int_equal(fill_block(l, ID_A, 4, T0 + 1), 0);
    assert_true(reg_leases_holds(l, ID_A, T0 + 2));
}

/* Ids that share a bucket: the least recently used token is pushed out, its rest handed to
 * the process that pushed it. */
static void
test_a_full_bucket_pushes_out_the_least_recently_used(void **state)
{
    struct reg_leases *l = *state;
    struct reg_lease_order o;
    char ids[REG_LEASE_PROBE + 1][REG_TOKEN_ID_HEX + 1];

    for (int i = 0; i <= REG_LEASE_PROBE; i++)
        snprintf(ids[i], sizeof(ids[i]), "c0000000%024d", i);
    for (int i = 0; i < REG_LEASE_PROBE; i++)
        fetch(l, ids[i], "carol", T0 + i, 4);
    assert_int_equal(reg_leases_spend(l, ids[REG_LEASE_PROBE], "carol", T0 + 100, &o),
                     REG_LEASE_FETCH);
    assert_int_equal(o.nback, 1);
    assert_string_equal(o.back[0].id, ids[0]);
    assert_int_equal(o.back[0].n, 3);
    assert_false(reg_leases_holds(l, ids[0], T0 + 100));
    assert_true(reg_leases_holds(l, ids[1], T0 + 100));
    /* A fill for a token pushed out meanwhile is handed back whole, but the asking use. */
    assert_int_equal(fill_block(l, ids[REG_LEASE_PROBE], 4, T0 + 100), 0);
}

static void
test_forgetting_a_user_or_everyone(void **state)
{
    struct reg_leases *l = *state;
    struct reg_lease_order o;

    fetch(l, ID_A, "alice", T0, 10);
    fetch(l, ID_B, "bob", T0, 10);
    /* A fetch in flight when its user is deleted: its block is not kept. */
    assert_int_equal(reg_leases_spend(l, "d0000000000000000000000000000004", "alice", T0, &o),
                     REG_LEASE_FETCH);
    reg_leases_forget_user(l, "alice");
    assert_false(reg_leases_holds(l, ID_A, T0 + 1));
    assert_true(reg_leases_holds(l, ID_B, T0 + 1));
    assert_int_equal(fill_block(l, "d0000000000000000000000000000004", 8, T0 + 1), 7);
    reg_leases_forget_user(l, NULL);
    assert_false(reg_leases_holds(l, ID_B, T0 + 1));
}

/* The user read with a block is handed out with the uses spent from it; a permission change
 * forgets it, and a read that began before the change is not remembered. */
static void
test_the_caller_is_cached_with_the_block(void **state)
{
    struct reg_leases *l = *state;
    struct reg_lease_order o;
    uint64_t block_no, stale;

    assert_int_equal(reg_leases_spend(l, ID_A, "alice", T0, &o), REG_LEASE_FETCH);
    assert_int_equal(reg_leases_fill(l, ID_A, 10, T0, &block_no), 0);
    assert_true(block_no > 0);
    assert_int_equal(reg_leases_spend(l, ID_A, "alice", T0 + 1, &o), REG_LEASE_SPENT);
    assert_false(o.caller_known);
    reg_leases_remember_caller(l, ID_A, block_no, false, 6);
    assert_int_equal(reg_leases_spend(l, ID_A, "alice", T0 + 2, &o), REG_LEASE_SPENT);
    assert_true(o.caller_known && !o.is_admin && o.perms == 6);
    stale = block_no;
    reg_leases_forget_caller(l, "alice");
    reg_leases_remember_caller(l, ID_A, stale, true, 15);
    assert_int_equal(reg_leases_spend(l, ID_A, "alice", T0 + 3, &o), REG_LEASE_SPENT);
    assert_false(o.caller_known);
    /* The block's uses stayed: only the cached user went. */
    assert_true(reg_leases_holds(l, ID_A, T0 + 3));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_block_is_spent_without_the_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blocks_grow_to_the_maximum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_expired_rest_goes_back_and_the_next_block_shrinks,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_collect_all_takes_every_rest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_second_process_counts_directly_during_a_fetch, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_dead_fetcher_does_not_block_the_token, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_full_bucket_pushes_out_the_least_recently_used,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_forgetting_a_user_or_everyone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_caller_is_cached_with_the_block, setup, teardown),
    };

    return cmocka_run_group_tests_name("auth/leases", tests, NULL, NULL);
}
