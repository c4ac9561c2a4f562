/*
 * test_search_hits.c - the shared table of search appearances: counts per id, ids never
 * counted, a table whose probe windows fill up (counts dropped, never misattributed), and
 * clearing.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/search_hits.h"

static struct reg_search_hits *
new_table(void)
{
    struct reg_search_hits *h = calloc(1, sizeof(*h));

    assert_non_null(h);
    return h;
}

static void
set_id(struct reg_artifact *art, const char *id)
{
    memset(art, 0, sizeof(*art));
    snprintf(art->id, sizeof(art->id), "%s", id);
}

static void
test_counts(void **state)
{
    struct reg_search_hits *h = new_table();
    struct reg_artifact answer[3];

    (void)state;
    set_id(&answer[0], "1234567890");
    set_id(&answer[1], "42");
    set_id(&answer[2], "1234567890"); /* listed twice in one answer: counted twice */
    reg_search_hits_count(h, answer, 3);
    reg_search_hits_count(h, answer, 2);
    assert_int_equal(reg_search_hits_get(h, "1234567890"), 3);
    assert_int_equal(reg_search_hits_get(h, "42"), 2);
    assert_int_equal(reg_search_hits_get(h, "43"), 0);
    reg_search_hits_count(h, answer, 0);
    assert_int_equal(h->dropped, 0);
    reg_search_hits_clear(h);
    assert_int_equal(reg_search_hits_get(h, "1234567890"), 0);
    assert_int_equal(reg_search_hits_get(h, "42"), 0);
    free(h);
}

/* More ids than slots: every id either keeps its exact count or is dropped whole. */
static void
test_full_table(void **state)
{
    struct reg_search_hits *h = new_table();
    enum { IDS = REG_SEARCH_HITS_SLOTS + 2000 };
    struct reg_artifact art;
    uint64_t counted = 0;
    int bad = 0;

    (void)state;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < IDS; i++) {
            char id[16];
            snprintf(id, sizeof(id), "%d", 1000000 + i);
            set_id(&art, id);
            reg_search_hits_count(h, &art, 1);
        }
    }
    for (int i = 0; i < IDS; i++) {
        char id[16];
        int64_t got;
        snprintf(id, sizeof(id), "%d", 1000000 + i);
        got = reg_search_hits_get(h, id);
        CHECK(&bad, got == 0 || got == 2, "%s: %lld", id, (long long)got);
        counted += (uint64_t)got;
    }
    assert_int_equal(bad, 0);
    assert_true(h->dropped >= 2 * 2000);
    assert_int_equal(counted + h->dropped, 2 * IDS);
    free(h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_full_table),
    };
    return cmocka_run_group_tests_name("core/search_hits", tests, NULL, NULL);
}
