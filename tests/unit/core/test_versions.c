/*
 * test_versions.c - enumerate by version (lib/core/versions.c) on an in-memory SQLite store:
 * the highest satisfying version answers, name and type filters still apply, queries with and
 * without a range combine, an artifact registered after the catalog's last refresh is seen,
 * and paging stays exact: a page full of matches stops where it stopped, and a scan that
 * reaches REG_VERSION_SCAN_PAGES store pages answers with what it found and a cursor.
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "base/limits.h"
#include "core/metadata.h"
#include "core/versions.h"
#include "store_fixture.h"

/* Inserts a dataset named name whose stored metadata lists the tags given. */
static void
add(struct store_fixture *f, const char *name, const char *const *tags, int ntags)
{
    struct reg_dataset_signals d = {0};
    struct reg_artifact art;
    struct json_object *doc;

    d.repo_id = name;
    d.git_tags = (struct reg_git_tags){tags, ntags};
    doc = reg_metadata_dataset(&d);
    store_fixture_artifact(f, &art, REG_TYPE_DATASET, name);
    art.url = reg_arena_sprintf(&f->arena, "https://huggingface.co/datasets/o/%s", name);
    art.metadata = reg_arena_strdup(&f->arena, json_object_to_json_string(doc));
    json_object_put(doc);
    store_fixture_insert(f, &art);
}

static struct reg_versions_query
query(const char *name, const char *range)
{
    struct reg_versions_query q;

    memset(&q, 0, sizeof(q));
    q.filter = (struct reg_store_filter){name, REG_TYPE_ALL};
    q.versioned = range != NULL;
    if (range)
        assert_int_equal(reg_semver_range_parse(range, &q.range), REG_OK);
    return q;
}

static void
test_highest_and_filters(void **state)
{
    static const char *const a[] = {"v1.0.0", "v1.4.2", "v2.0.0-rc.1", "nightly"};
    static const char *const b[] = {"1", "1.9", "3.0.0"};
    struct store_fixture f;
    struct reg_versions_query q[2];
    struct reg_store_page page;
    const char **versions;

    (void)state;
    store_fixture_init(&f, 1);
    add(&f, "a", a, NELEMS(a));
    add(&f, "b", b, NELEMS(b));
    add(&f, "none", NULL, 0);

    q[0] = query(NULL, "^1.0.0");
    assert_int_equal(
        reg_versions_enumerate(f.catalog, f.store, &f.arena, q, 1, 0, &page, &versions), REG_OK);
    assert_int_equal(page.count, 2);
    assert_int_equal(page.next_after, 0);
    assert_string_equal(page.items[0].name, "a");
    assert_string_equal(versions[0], "v1.4.2");
    assert_string_equal(versions[1], "1.9");

    /* a registered after the catalog's refresh is found all the same */
    add(&f, "late", b, NELEMS(b));
    q[0] = query("late", "3");
    assert_int_equal(
        reg_versions_enumerate(f.catalog, f.store, &f.arena, q, 1, 0, &page, &versions), REG_OK);
    assert_int_equal(page.count, 1);
    assert_string_equal(versions[0], "3.0.0");

    /* one query without a range: "none" comes with no version */
    q[0] = query("none", NULL);
    q[1] = query("a", "2.0.0-rc.1");
    assert_int_equal(
        reg_versions_enumerate(f.catalog, f.store, &f.arena, q, 2, 0, &page, &versions), REG_OK);
    assert_int_equal(page.count, 2);
    assert_string_equal(versions[0], "v2.0.0-rc.1");
    assert_null(versions[1]);
    store_fixture_cleanup(&f);
}

/* 2 * REG_PAGE_SIZE + 50 artifacts, every other one tagged 1.x: the pages of matches each
 * end where their last match is, and walking them yields every match once, in order. */
static void
test_paging(void **state)
{
    static const char *const one[] = {"v1.0.0"}, *const two[] = {"v2.0.0"};
    struct store_fixture f;
    struct reg_versions_query q = query(NULL, "~1");
    struct reg_store_page page;
    const char **versions;
    int64_t after = 0;
    int seen = 0, pages = 0, n = 2 * REG_PAGE_SIZE + 50;

    (void)state;
    store_fixture_init(&f, 1);
    for (int i = 0; i < n; i++)
        add(&f, reg_arena_sprintf(&f.arena, "d%04d", i), i % 2 ? two : one, 1);
    do {
        assert_int_equal(
            reg_versions_enumerate(f.catalog, f.store, &f.arena, &q, 1, after, &page, &versions),
            REG_OK);
        for (int i = 0; i < page.count; i++)
            assert_string_equal(page.items[i].name,
                                reg_arena_sprintf(&f.arena, "d%04d", 2 * seen++));
        assert_true(page.count == REG_PAGE_SIZE || page.next_after == 0);
        after = page.next_after;
        pages++;
    } while (after);
    assert_int_equal(seen, (n + 1) / 2);
    assert_int_equal(pages, 2);
    store_fixture_cleanup(&f);
}

/* No match among more than REG_VERSION_SCAN_PAGES pages: an empty page with a cursor after
 * what was read, then the rest. */
static void
test_scan_bound(void **state)
{
    static const char *const one[] = {"v1.0.0"}, *const two[] = {"v2.0.0"};
    struct store_fixture f;
    struct reg_versions_query q = query(NULL, "^2");
    struct reg_store_page page;
    const char **versions;
    int n = REG_VERSION_SCAN_PAGES * REG_PAGE_SIZE + 5;

    (void)state;
    store_fixture_init(&f, 1);
    for (int i = 0; i < n; i++)
        add(&f, reg_arena_sprintf(&f.arena, "s%05d", i), i == n - 1 ? two : one, 1);
    assert_int_equal(
        reg_versions_enumerate(f.catalog, f.store, &f.arena, &q, 1, 0, &page, &versions), REG_OK);
    assert_int_equal(page.count, 0);
    assert_true(page.next_after > 0);
    assert_int_equal(reg_versions_enumerate(f.catalog, f.store, &f.arena, &q, 1, page.next_after,
                                            &page, &versions),
                     REG_OK);
    assert_int_equal(page.count, 1);
    assert_string_equal(versions[0], "v2.0.0");
    assert_int_equal(page.next_after, 0);
    store_fixture_cleanup(&f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_highest_and_filters),
        cmocka_unit_test(test_paging),
        cmocka_unit_test(test_scan_bound),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
