/*
 * test_arena.c - the per-request arena: alignment, zeroing, big blocks, string helpers,
 * cleanup hooks (newest first), reuse after cleanup, and the out-of-memory reaction to sizes
 * that cannot be represented.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <json-c/json.h>
#include <signal.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena_fixture.h"
#include "base/arena.h"

static bool
all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static void
test_alignment_and_zeroing(void **state)
{
    static const size_t sizes[] = {1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 100, 1000, 2047, 2048, 2049};
    struct reg_arena *a = *state;

    for (int round = 0; round < 20; round++) {
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            unsigned char *p = reg_arena_alloc(a, sizes[i]);
            assert_non_null(p);
            assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
            assert_true(all_zero(p, sizes[i]));
            /* Dirty the block: the next allocation must still come back zeroed. */
            memset(p, 0xa5, sizes[i]);
        }
    }
}

static void
test_zero_size(void **state)
{
    struct reg_arena *a = *state;
    void *p = reg_arena_alloc(a, 0);
    void *q = reg_arena_alloc(a, 0);

    assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
    assert_int_equal((uintptr_t)q % alignof(max_align_t), 0);
}

static void
test_blocks_do_not_overlap(void **state)
{
    struct reg_arena *a = *state;
    unsigned char *blocks[300];
    size_t sizes[300];

    /* Mixed small and big blocks, each filled with its own byte, then all checked. */
    for (int i = 0; i < 300; i++) {
        sizes[i] = (i % 10 == 0) ? 5000 + (size_t)i : 1 + (size_t)(i * 7 % 200);
        blocks[i] = reg_arena_alloc(a, sizes[i]);
        memset(blocks[i], i & 0xff, sizes[i]);
    }
    for (int i = 0; i < 300; i++)
        for (size_t j = 0; j < sizes[i]; j++)
            if (blocks[i][j] != (unsigned char)(i & 0xff))
                fail_msg("block %d byte %zu was overwritten", i, j);
}

static void
test_big_blocks(void **state)
{
    struct reg_arena *a = *state;
    unsigned char *small1 = reg_arena_alloc(a, 16);
    unsigned char *big = reg_arena_alloc(a, 1u << 20);
    unsigned char *small2 = reg_arena_alloc(a, 16);
    unsigned char *huge = reg_arena_alloc(a, 8u << 20);

    assert_int_equal((uintptr_t)big % alignof(max_align_t), 0);
    assert_int_equal((uintptr_t)huge % alignof(max_align_t), 0);
    assert_true(all_zero(big, 1u << 20));
    assert_true(all_zero(huge, 8u << 20));
    memset(big, 1, 1u << 20);
    memset(huge, 2, 8u << 20);
    memset(small1, 3, 16);
    memset(small2, 4, 16);
    assert_int_equal(big[0], 1);
    assert_int_equal(big[(1u << 20) - 1], 1);
    assert_int_equal(huge[(8u << 20) - 1], 2);
    assert_int_equal(small1[15], 3);
    assert_int_equal(small2[0], 4);
}

static void
test_first_allocation_big(void **state)
{
    struct reg_arena *a = *state;
    char *big = reg_arena_alloc(a, 100000);
    char *s = reg_arena_strdup(a, "after a big first block");

    memset(big, 'b', 100000);
    assert_string_equal(s, "after a big first block");
}

static void
test_strings(void **state)
{
    struct reg_arena *a = *state;
    const char *src = "hello, world";
    char *d = reg_arena_strdup(a, src);
    char *n = reg_arena_strndup(a, src, 5);
    char *e = reg_arena_strndup(a, src, 0);
    char *f = reg_arena_sprintf(a, "%s-%d-%05.1f", "x", 42, 3.25);
    char longer[5000];
    char *g;

    assert_string_equal(d, src);
    assert_true(d != src);
    assert_string_equal(n, "hello");
    assert_string_equal(e, "");
    assert_string_equal(f, "x-42-003.2");
    memset(longer, 'z', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    g = reg_arena_sprintf(a, "[%s]", longer);
    assert_int_equal(strlen(g), sizeof(longer) + 1);
    assert_int_equal(g[0], '[');
    assert_int_equal(g[sizeof(longer)], ']');
    /* strndup stops at n even without a NUL there. */
    assert_string_equal(reg_arena_strndup(a, &"abcdef"[2], 3), "cde");
}

struct hook_log {
    int order[16];
    int n;
};

struct hook_arg {
    struct hook_log *log;
    int id;
    const char *arena_text; /* arena memory the hook reads: still valid while hooks run */
};

static void
record_hook(void *p)
{
    struct hook_arg *arg = p;

    assert_string_equal(arg->arena_text, "still here");
    arg->log->order[arg->log->n++] = arg->id;
}

static void
test_cleanup_hooks_reverse_order(void **state)
{
    struct reg_arena a;
    struct hook_log log = {{0}, 0};

    (void)state;
    reg_arena_init(&a);
    for (int i = 0; i < 5; i++) {
        struct hook_arg *arg = reg_arena_alloc(&a, sizeof(*arg));
        arg->log = &log;
        arg->id = i;
        arg->arena_text = reg_arena_strdup(&a, "still here");
        /* Interleave big blocks so hooks and data live in different chunks. */
        (void)reg_arena_alloc(&a, 10000);
        reg_arena_on_cleanup(&a, record_hook, arg);
    }
    assert_int_equal(log.n, 0);
    reg_arena_cleanup(&a);
    assert_int_equal(log.n, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(log.order[i], 4 - i);

    /* The arena is empty and reusable after cleanup; a second cleanup runs nothing again. */
    assert_null(a.chunks);
    assert_null(a.hooks);
    assert_string_equal(reg_arena_strdup(&a, "reused"), "reused");
    reg_arena_cleanup(&a);
    assert_int_equal(log.n, 5);
    reg_arena_cleanup(&a);
}

static void
test_cleanup_of_empty_arena(void **state)
{
    struct reg_arena a;

    (void)state;
    reg_arena_init(&a);
    reg_arena_cleanup(&a);
    reg_arena_cleanup(&a);
    assert_null(a.chunks);
}

static void
test_own_json(void **state)
{
    struct reg_arena *a = *state;
    struct json_object *obj = json_object_new_object();
    struct json_object *shared = json_object_new_array();

    json_object_object_add(obj, "k", json_object_new_string("v"));
    assert_ptr_equal(reg_arena_own_json(a, obj), obj);
    assert_null(reg_arena_own_json(a, NULL));
    /* A second reference kept by the test outlives the arena's. */
    json_object_get(shared);
    reg_arena_own_json(a, shared);
    reg_arena_cleanup(a);
    assert_int_equal(json_object_array_length(shared), 0);
    assert_int_equal(json_object_put(shared), 1);
    /* Leaks of obj would be reported by LeakSanitizer in the asan build. */
}

/* Runs reg_arena_alloc(size) in a child and returns how the child ended. */
static int
child_alloc(size_t size)
{
    pid_t pid = fork();
    int status = 0;

    assert_true(pid >= 0);
    if (pid == 0) {
        struct reg_arena a;
        /* The child's abort message is expected; keep the test output clean. */
        if (!freopen("/dev/null", "w", stderr))
            _exit(3);
        /* cmocka's handlers would turn a crash into a longjmp; let it end the child. */
        signal(SIGSEGV, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
        signal(SIGILL, SIG_DFL);
        signal(SIGFPE, SIG_DFL);
        reg_arena_init(&a);
        (void)reg_arena_alloc(&a, 16);
        (void)reg_arena_alloc(&a, size);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static void
test_unrepresentable_size_aborts(void **state)
{
    /* Sizes whose rounding or chunk header overflows size_t must end in reg_oom() (abort),
     * never in a short block that is then written past its end. (Larger margins reach
     * malloc with a huge size, which the asan allocator reports itself, so they are not
     * tried here.) */
    static const size_t sizes[] = {SIZE_MAX,      SIZE_MAX - 3,  SIZE_MAX - 15,
                                   SIZE_MAX - 16, SIZE_MAX - 31, SIZE_MAX - 46};

    int bad = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        int status = child_alloc(sizes[i]);
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT)
            continue;
        print_error("reg_arena_alloc(SIZE_MAX - %zu): child %s %d, want abort (SIGABRT)\n",
                    SIZE_MAX - sizes[i], WIFSIGNALED(status) ? "killed by signal" : "exited with",
                    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        bad++;
    }
    assert_int_equal(bad, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alignment_and_zeroing, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_zero_size, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_blocks_do_not_overlap, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_big_blocks, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_first_allocation_big, arena_setup, arena_teardown),
        cmocka_unit_test_setup_teardown(test_strings, arena_setup, arena_teardown),
        cmocka_unit_test(test_cleanup_hooks_reverse_order),
        cmocka_unit_test(test_cleanup_of_empty_arena),
        cmocka_unit_test_setup_teardown(test_own_json, arena_setup, arena_teardown),
        cmocka_unit_test(test_unrepresentable_size_aborts),
    };
    return cmocka_run_group_tests_name("base/arena", tests, NULL, NULL);
}
