/*
 * test_readme_snapshot.c - the host's README snapshot file (core/readme_snapshot.h) over real
 * SQLite stores: building, mapping and lookup, a generation change (older files unlinked),
 * picking up another process's file, builders in several processes at once, a missing or
 * unusable directory and the size cap (errors the caller falls back from), corrupt or truncated
 * files refused and rebuilt, and the purge at start.
 */
#include "unit.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/limits.h"
#include "core/readme_snapshot.h"
#include "core/store_fixture.h"
#include "store/store.h"
#include "tmpdir_fixture.h"

struct fixture {
    struct store_fixture s; /* store, catalog, arena */
    char dir[PATH_MAX];
    struct reg_readme_snapshot *snap;
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    store_fixture_init(&f->s, 1000);
    tmpdir_make(f->dir, sizeof(f->dir), NULL, "reg-test-snapshot");
    assert_int_equal(reg_readme_snapshot_new(f->dir, REG_README_SNAPSHOT_MAX, &f->snap), REG_OK);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    reg_readme_snapshot_free(f->snap);
    store_fixture_cleanup(&f->s);
    tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* The README prefix of id in the mapping, or NULL. */
static const char *
find(const struct reg_readme_snapshot *snap, const char *id, size_t *len)
{
    const char *text;

    return reg_readme_snapshot_find(snap, id, &text, len) ? text : NULL;
}

/* Names of the entries of dir that start with "readmes-", joined with ',' in sorted order. */
static const char *
files(struct fixture *f)
{
    struct dirent **names;
    int n = scandir(f->dir, &names, NULL, alphasort);
    const char *out = "";

    assert_true(n >= 0);
    for (int i = 0; i < n; i++) {
        if (strncmp(names[i]->d_name, "readmes-", 8) == 0)
            out = reg_arena_sprintf(&f->s.arena, "%s%s%s", out, *out ? "," : "", names[i]->d_name);
        free(names[i]);
    }
    free(names);
    return out;
}

static enum reg_status
count_one(void *ctx, const char *id, const char *text, size_t len)
{
    (void)id;
    assert_int_equal(strlen(text), len);
    (*(int *)ctx)++;
    return REG_OK;
}

static int
each_count(const struct reg_readme_snapshot *snap)
{
    int n = 0;

    assert_int_equal(reg_readme_snapshot_each(snap, count_one, &n), REG_OK);
    return n;
}

static void
test_build_map_and_find(void **state)
{
    struct fixture *f = *state;
    char *big = malloc(REG_SEARCH_README_MAX + 100);
    const char *with, *without, *large, *text;
    size_t len;
    uint64_t gen;

    assert_non_null(big);
    memset(big, 'x', REG_SEARCH_README_MAX + 99);
    big[REG_SEARCH_README_MAX + 99] = '\0';
    with = store_fixture_add(&f->s, REG_TYPE_MODEL, "with", "hello README");
    without = store_fixture_add(&f->s, REG_TYPE_MODEL, "without", NULL);
    large = store_fixture_add(&f->s, REG_TYPE_MODEL, "large", big);
    gen = store_fixture_generation(f->s.store);
    assert_false(reg_readme_snapshot_ready(f->snap, gen));
    assert_int_equal(reg_readme_snapshot_sync(f->snap, f->s.store, gen), REG_OK);
    assert_true(reg_readme_snapshot_ready(f->snap, gen));
    text = find(f->snap, with, &len);
    assert_non_null(text);
    assert_int_equal(len, strlen("hello README"));
    assert_memory_equal(text, "hello README", len + 1);
    assert_null(find(f->snap, without, &len));
    text = find(f->snap, large, &len);
    assert_non_null(text);
    assert_int_equal(len, REG_SEARCH_README_MAX); /* only the searchable prefix */
    assert_null(find(f->snap, "999999", &len));
    assert_int_equal(each_count(f->snap), 2);
    assert_string_equal(
        files(f), reg_arena_sprintf(&f->s.arena, "readmes-%llu.snap", (unsigned long long)gen));
    free(big);
}

static void
test_generation_change(void **state)
{
    struct fixture *f = *state;
    const char *first = store_fixture_add(&f->s, REG_TYPE_MODEL, "first", "one"), *second;
    uint64_t gen1 = store_fixture_generation(f->s.store), gen2;
    size_t len;

    assert_int_equal(reg_readme_snapshot_sync(f->snap, f->s.store, gen1), REG_OK);
    second = store_fixture_add(&f->s, REG_TYPE_MODEL, "second", "two");
    assert_int_equal(reg_store_remove(f->s.store, first), REG_OK);
    gen2 = store_fixture_generation(f->s.store);
    assert_true(gen2 != gen1);
    assert_false(reg_readme_snapshot_ready(f->snap, gen2));
    assert_int_equal(reg_readme_snapshot_sync(f->snap, f->s.store, gen2), REG_OK);
    assert_null(find(f->snap, first, &len));
    assert_string_equal(find(f->snap, second, &len), "two");
    /* The older file is gone once the newer exists. */
    assert_string_equal(
        files(f), reg_arena_sprintf(&f->s.arena, "readmes-%llu.snap", (unsigned long long)gen2));
}

static void
test_picks_up_another_process_file(void **state)
{
    struct fixture *f = *state;
    const char *id =
        store_fixture_add(&f->s, REG_TYPE_MODEL, "shared", "built by the first worker");
    uint64_t gen = store_fixture_generation(f->s.store);
    struct reg_store *empty;
    struct reg_readme_snapshot *other;
    size_t len;

    assert_int_equal(reg_readme_snapshot_sync(f->snap, f->s.store, gen), REG_OK);
    /* A second handle, on a store with no README at all: it maps the file, it does not build. */
    assert_int_equal(reg_store_sqlite_open(":memory:", &empty), REG_OK);
    assert_int_equal(reg_readme_snapshot_new(f->dir, REG_README_SNAPSHOT_MAX, &other), REG_OK);
    assert_int_equal(reg_readme_snapshot_sync(other, empty, gen), REG_OK);
    assert_string_equal(find(other, id, &len), "built by the first worker");
    reg_readme_snapshot_free(other);
    reg_store_close(empty);
}

/* A child process: its own store connection and handle, syncing gen; exits 0 when it finds
 * want as id's README. */
static _Noreturn void
child_sync(const char *dir, const char *db, uint64_t gen, const char *id, const char *want)
{
    struct reg_store *store;
    struct reg_readme_snapshot *snap;
    const char *text;
    size_t len;
    int ok;

    if (reg_store_sqlite_open(db, &store) != REG_OK ||
        reg_readme_snapshot_new(dir, REG_README_SNAPSHOT_MAX, &snap) != REG_OK)
        _exit(2);
    ok = reg_readme_snapshot_sync(snap, store, gen) == REG_OK &&
         reg_readme_snapshot_find(snap, id, &text, &len) && strcmp(text, want) == 0;
    reg_readme_snapshot_free(snap);
    reg_store_close(store);
    _exit(ok ? 0 : 1);
}

static void
test_concurrent_builders(void **state)
{
    struct fixture *f = *state;
    const char *db = reg_arena_sprintf(&f->s.arena, "%s/registry.db", f->dir);
    struct reg_store *store;
    struct reg_artifact art;
    bool taken;
    uint64_t gen;
    enum { CHILDREN = 6 };
    pid_t pids[CHILDREN];

    assert_int_equal(reg_store_sqlite_open(db, &store), REG_OK);
    for (int i = 0; i < 200; i++) {
        store_fixture_artifact(&f->s, &art, REG_TYPE_DATASET, "d");
        art.url = reg_arena_sprintf(&f->s.arena, "https://example/%s", art.id);
        art.readme = reg_arena_sprintf(&f->s.arena, "README of dataset %d", i);
        assert_int_equal(reg_store_insert(store, &art, &taken), REG_OK);
    }
    gen = store_fixture_generation(store);
    for (int i = 0; i < CHILDREN; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0)
            child_sync(f->dir, db, gen, art.id, "README of dataset 199");
    }
    for (int i = 0; i < CHILDREN; i++) {
        int status;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    /* One file of that generation, no temporary file left behind. */
    assert_string_equal(
        files(f), reg_arena_sprintf(&f->s.arena, "readmes-%llu.snap", (unsigned long long)gen));
    reg_store_close(store);
}

static void
test_unusable_directory_is_an_error(void **state)
{
    struct fixture *f = *state;
    const char *file = reg_arena_sprintf(&f->s.arena, "%s/plain-file", f->dir);
    const char *dirs[] = {"/nonexistent-reg-snapshot-dir",
                          reg_arena_sprintf(&f->s.arena, "%s/sub", file)};
    uint64_t gen;
    int fd;

    store_fixture_add(&f->s, REG_TYPE_MODEL, "a", "text");
    gen = store_fixture_generation(f->s.store);
    fd = open(file, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    close(fd);
    for (int i = 0; i < NELEMS(dirs); i++) {
        struct reg_readme_snapshot *snap;
        assert_int_equal(reg_readme_snapshot_new(dirs[i], REG_README_SNAPSHOT_MAX, &snap), REG_OK);
        assert_int_not_equal(reg_readme_snapshot_sync(snap, f->s.store, gen), REG_OK);
        assert_false(reg_readme_snapshot_ready(snap, gen));
        /* A failed generation is not tried again (nor logged again) by the handle. */
        assert_int_not_equal(reg_readme_snapshot_sync(snap, f->s.store, gen), REG_OK);
        assert_int_equal(each_count(snap), 0);
        reg_readme_snapshot_free(snap);
    }
}

static void
test_cap_is_an_error_and_leaves_no_file(void **state)
{
    struct fixture *f = *state;
    struct reg_readme_snapshot *small;
    char text[3000];
    uint64_t gen;

    memset(text, 'r', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    store_fixture_add(&f->s, REG_TYPE_MODEL, "a", text);
    gen = store_fixture_generation(f->s.store);
    assert_int_equal(reg_readme_snapshot_new(f->dir, 2048, &small), REG_OK);
    assert_int_equal(reg_readme_snapshot_sync(small, f->s.store, gen), REG_ETOOLARGE);
    assert_string_equal(files(f), "");
    reg_readme_snapshot_free(small);
}

/* Damages the snapshot file at path: how names the case. */
static void
damage(const char *path, const char *how)
{
    int fd = open(path, O_RDWR);
    struct stat sb;
    uint64_t v = 0xFFFFFFFFull;

    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &sb), 0);
    if (strcmp(how, "truncated header") == 0)
        assert_int_equal(ftruncate(fd, 10), 0);
    else if (strcmp(how, "truncated by a byte") == 0)
        assert_int_equal(ftruncate(fd, sb.st_size - 1), 0);
    else if (strcmp(how, "bad magic") == 0)
        assert_int_equal(pwrite(fd, "XXXXXXXX", 8, 0), 8);
    else if (strcmp(how, "other generation") == 0)
        assert_int_equal(pwrite(fd, &v, 8, 8), 8);
    else if (strcmp(how, "text offset past the end") == 0) /* the last entry's off */
        assert_int_equal(pwrite(fd, &v, 8, sb.st_size - 16), 8);
    else if (strcmp(how, "empty") == 0)
        assert_int_equal(ftruncate(fd, 0), 0);
    else
        fail_msg("unknown damage %s", how);
    close(fd);
}

static void
test_damaged_file_is_refused_and_rebuilt(void **state)
{
    struct fixture *f = *state;
    const char *cases[] = {
        "truncated header",        "truncated by a byte", "bad magic", "other generation", "empty",
        "text offset past the end"};
    const char *id = store_fixture_add(&f->s, REG_TYPE_MODEL, "a", "original text");
    uint64_t gen = store_fixture_generation(f->s.store);
    const char *path =
        reg_arena_sprintf(&f->s.arena, "%s/readmes-%llu.snap", f->dir, (unsigned long long)gen);
    struct reg_store *empty;
    size_t len;

    assert_int_equal(reg_store_sqlite_open(":memory:", &empty), REG_OK);
    for (int i = 0; i < NELEMS(cases); i++) {
        struct reg_readme_snapshot *fresh, *other;
        /* A good file, then damaged. */
        assert_int_equal(reg_readme_snapshot_new(f->dir, REG_README_SNAPSHOT_MAX, &fresh), REG_OK);
        assert_int_equal(reg_readme_snapshot_sync(fresh, f->s.store, gen), REG_OK);
        reg_readme_snapshot_free(fresh);
        damage(path, cases[i]);
        /* A handle over a store without READMEs: had it used the damaged file, it would find
         * the text; it refuses the file and rebuilds from its store, which has none. */
        assert_int_equal(reg_readme_snapshot_new(f->dir, REG_README_SNAPSHOT_MAX, &other), REG_OK);
        assert_int_equal(reg_readme_snapshot_sync(other, empty, gen), REG_OK);
        if (find(other, id, &len))
            fail_msg("case %s: the damaged file was used", cases[i]);
        assert_int_equal(each_count(other), 0);
        reg_readme_snapshot_free(other);
        unlink(path);
    }
    reg_store_close(empty);
}

static void
test_purge(void **state)
{
    struct fixture *f = *state;
    const char *leftover = reg_arena_sprintf(&f->s.arena, "%s/readmes-9.snap.tmp-1", f->dir);
    int fd;

    store_fixture_add(&f->s, REG_TYPE_MODEL, "a", "text");
    assert_int_equal(
        reg_readme_snapshot_sync(f->snap, f->s.store, store_fixture_generation(f->s.store)),
        REG_OK);
    fd = open(leftover, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    close(fd);
    reg_readme_snapshot_purge(f->dir);
    assert_string_equal(files(f), "");
    /* The mapping survives the unlink. */
    assert_int_equal(each_count(f->snap), 1);
}

static void
test_free_null(void **state)
{
    (void)state;
    reg_readme_snapshot_free(NULL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_build_map_and_find),
        T(test_generation_change),
        T(test_picks_up_another_process_file),
        T(test_concurrent_builders),
        T(test_unusable_directory_is_an_error),
        T(test_cap_is_an_error_and_leaves_no_file),
        T(test_damaged_file_is_refused_and_rebuilt),
        T(test_purge),
        cmocka_unit_test(test_free_null),
    };
    return cmocka_run_group_tests_name("core/readme_snapshot", tests, NULL, NULL);
}
