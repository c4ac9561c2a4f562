/*
 * arena_fixture.h - what tests over one arena share: a cmocka setup that hands each test a
 * freshly initialised arena as *state, and the teardown that cleans it up.
 * Included by one test file per binary; every helper is static.
 *
 * Usage: cmocka_unit_test_setup_teardown(test_x, arena_setup, arena_teardown)
 */
#ifndef REG_TEST_ARENA_FIXTURE_H
#define REG_TEST_ARENA_FIXTURE_H

#include "base/arena.h"

static int
arena_setup(void **state)
{
    static struct reg_arena arena;

    reg_arena_init(&arena);
    *state = &arena;
    return 0;
}

static int
arena_teardown(void **state)
{
    reg_arena_cleanup(*state);
    return 0;
}

#endif
