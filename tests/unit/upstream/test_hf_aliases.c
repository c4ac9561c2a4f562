/*
 * test_hf_aliases.c - the table of the Hub's renamed repositories (lib/upstream/hf_aliases.c),
 * without network: what is learned and what is not, kinds kept apart, forgetting, the bound
 * (the name learned first goes first), and use from several threads at once. (The expiry after
 * REG_HF_ALIAS_TTL_SECONDS is not tested: no test waits an hour.)
 */
#include "unit.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "upstream/hf_aliases.h"

static int
reset(void **state)
{
    (void)state;
    reg_hf_alias_clear();
    return 0;
}

static void
test_learn_and_lookup(void **state)
{
    struct reg_arena a;
    char long_id[REG_HF_ALIAS_ID_MAX + 8];

    (void)state;
    reg_arena_init(&a);
    assert_null(reg_hf_alias_lookup(&a, "dataset", "squad"));
    reg_hf_alias_learn("dataset", "squad", "rajpurkar/squad");
    assert_string_equal(reg_hf_alias_lookup(&a, "dataset", "squad"), "rajpurkar/squad");
    assert_null(reg_hf_alias_lookup(&a, "model", "squad")); /* kinds are apart */
    assert_null(reg_hf_alias_lookup(&a, "dataset", "Squad"));

    reg_hf_alias_learn("dataset", "squad", "someone/squad"); /* learned again: replaced */
    assert_string_equal(reg_hf_alias_lookup(&a, "dataset", "squad"), "someone/squad");

    reg_hf_alias_learn("model", "gpt2", "gpt2"); /* not renamed */
    assert_null(reg_hf_alias_lookup(&a, "model", "gpt2"));

    memset(long_id, 'x', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    reg_hf_alias_learn("model", "short", long_id);
    reg_hf_alias_learn("model", long_id, "short");
    assert_null(reg_hf_alias_lookup(&a, "model", "short"));
    assert_null(reg_hf_alias_lookup(&a, "model", long_id));
    assert_null(reg_hf_alias_lookup(&a, NULL, "short"));
    assert_null(reg_hf_alias_lookup(&a, "dataset", NULL));

    reg_hf_alias_forget("dataset", "squad");
    assert_null(reg_hf_alias_lookup(&a, "dataset", "squad"));
    reg_arena_cleanup(&a);
}

/* Past REG_HF_ALIASES_MAX names, the one learned first is the one forgotten. */
static void
test_bound(void **state)
{
    struct reg_arena a;
    char from[32], to[32];
    int kept = 0;

    (void)state;
    reg_arena_init(&a);
    for (int i = 0; i <= REG_HF_ALIASES_MAX; i++) {
        snprintf(from, sizeof(from), "old-%d", i);
        snprintf(to, sizeof(to), "org/new-%d", i);
        reg_hf_alias_learn("dataset", from, to);
    }
    for (int i = 0; i <= REG_HF_ALIASES_MAX; i++) {
        snprintf(from, sizeof(from), "old-%d", i);
        kept += reg_hf_alias_lookup(&a, "dataset", from) != NULL;
    }
    assert_int_equal(kept, REG_HF_ALIASES_MAX);
    assert_non_null(reg_hf_alias_lookup(&a, "dataset", "old-64"));
    reg_arena_cleanup(&a);
}

#define THREADS 4
#define ROUNDS 2000

static void *
hammer(void *arg)
{
    int t = *(int *)arg;
    struct reg_arena a;
    char from[32], to[32];

    void *rc = NULL;

    reg_arena_init(&a);
    for (int i = 0; i < ROUNDS && !rc; i++) {
        const char *got;

        snprintf(from, sizeof(from), "t%d-%d", t, i % 100);
        snprintf(to, sizeof(to), "org/t%d-%d", t, i % 100);
        reg_hf_alias_learn("dataset", from, to);
        got = reg_hf_alias_lookup(&a, "dataset", from);
        if (got && strcmp(got, to) != 0)
            rc = (void *)1; /* another thread's entry under this name */
        if (i % 7 == 0)
            reg_hf_alias_forget("dataset", from);
    }
    reg_arena_cleanup(&a);
    return rc;
}

/* Threads learning, looking up and forgetting at once never see another's value. */
static void
test_threads(void **state)
{
    pthread_t th[THREADS];
    int ids[THREADS];
    void *rc;
    int bad = 0;

    (void)state;
    for (int i = 0; i < THREADS; i++) {
        ids[i] = i;
        assert_int_equal(pthread_create(&th[i], NULL, hammer, &ids[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], &rc);
        CHECK(&bad, rc == NULL, "thread %d saw a wrong value", i);
    }
    assert_int_equal(bad, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_learn_and_lookup, reset),
        cmocka_unit_test_setup(test_bound, reset),
        cmocka_unit_test_setup(test_threads, reset),
    };

    return cmocka_run_group_tests_name("upstream/hf_aliases", tests, NULL, NULL);
}
