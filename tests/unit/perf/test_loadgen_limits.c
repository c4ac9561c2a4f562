/*
 * test_loadgen_limits.c - registry-load's command line at its bounds: a header over its
 * length, more headers than allowed (given one by one, or in a header file), a header file
 * over its size or with more lines than headers allowed, a client header file with no line, a
 * URL over its length. Each is REG_EINVAL with a reason that names the bound.
 */
#include "unit.h"

#include "tmpdir_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "perf/loadgen.h"

/* Arguments as argv holds them: writable (-Wwrite-strings), never written. */
static char url_arg[] = "--url=http://127.0.0.1:1/x";
static char program[] = "registry-load";
static char clients[] = "--clients=1";
static char requests[] = "--requests=1";
static char header_opt[] = "--header";
static char same_header[] = "X-Same: v";

struct files {
    char root[256];
    char path[300];
};

static int
setup(void **state)
{
    struct files *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    tmpdir_make(f->root, sizeof(f->root), NULL, "loadgen-limits");
    snprintf(f->path, sizeof(f->path), "%s/headers", f->root);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct files *f = *state;

    tmpdir_remove(f->root);
    free(f);
    return 0;
}

/* Writes n lines "X-N<i>: v" (and, when pad > 0, one line of pad bytes first). */
static void
write_lines(const char *path, int n, size_t pad)
{
    FILE *out = fopen(path, "w");

    assert_non_null(out);
    for (size_t i = 0; i < pad; i++)
        fputc(i + 1 == pad ? '\n' : 'a', out);
    for (int i = 0; i < n; i++)
        fprintf(out, "X-N%d: v\n", i);
    assert_int_equal(fclose(out), 0);
}

/* Parses the URL-less base --clients=1 --requests=1 plus extra (nextra args); returns the status and leaves
 * the detail for the caller. */
static enum reg_status
parse(char **extra, int nextra)
{
    char *argv[REG_LOADGEN_HEADERS_MAX * 2 + 8];
    struct reg_arena a;
    struct reg_loadgen_options o;
    bool help = false;
    int argc = 0;
    enum reg_status st;

    argv[argc++] = program;
    argv[argc++] = clients;
    argv[argc++] = requests;
    for (int i = 0; i < nextra; i++)
        argv[argc++] = extra[i];
    reg_arena_init(&a);
    st = reg_loadgen_parse_args(&a, argc, argv, &o, &help);
    reg_arena_cleanup(&a);
    return st;
}

static void
expect_refusal(int *bad, const char *what, char **extra, int nextra, const char *reason)
{
    enum reg_status st = parse(extra, nextra);

    CHECK(bad, st == REG_EINVAL && strstr(reg_error_detail(), reason) != NULL,
          "%s: got %s (%s), want %s", what, reg_status_name(st), reg_error_detail(), reason);
}

static void
test_header_bounds(void **state)
{
    static char long_header[REG_LOADGEN_HEADER_MAX + 16];
    char *args[REG_LOADGEN_HEADERS_MAX * 2 + 4];
    char *one[] = {url_arg, header_opt, long_header};
    int n = 0, bad = 0;

    (void)state;
    snprintf(long_header, sizeof(long_header), "X-Long: %0*d", (int)sizeof(long_header) - 10, 0);
    expect_refusal(&bad, "long header", one, NELEMS(one), "a header is longer than");

    args[n++] = url_arg;
    for (int i = 0; i <= REG_LOADGEN_HEADERS_MAX; i++) {
        args[n++] = header_opt;
        args[n++] = same_header;
    }
    expect_refusal(&bad, "too many headers", args, n, "more than 64 headers");
    assert_int_equal(bad, 0);
}

static void
test_header_file_bounds(void **state)
{
    struct files *f = *state;
    char opt[400];
    char *args[] = {url_arg, opt};
    int bad = 0;

    snprintf(opt, sizeof(opt), "--header-file=%s", f->path);
    write_lines(f->path, REG_LOADGEN_HEADERS_MAX + 1, 0);
    expect_refusal(&bad, "header file lines", args, NELEMS(args), "header lines");
    write_lines(f->path, 0, (size_t)REG_LOADGEN_FILE_MAX + 2);
    expect_refusal(&bad, "header file size", args, NELEMS(args), "is larger than");

    snprintf(opt, sizeof(opt), "--client-header-file=%s", f->path);
    write_lines(f->path, 0, 0);
    expect_refusal(&bad, "client header file empty", args, NELEMS(args), "has no header line");
    assert_int_equal(bad, 0);
}

static void
test_url_bound(void **state)
{
    static char url[REG_LOADGEN_URL_MAX + 32];
    char *args[] = {url};
    int bad = 0;

    (void)state;
    snprintf(url, sizeof(url), "--url=http://%0*d", (int)sizeof(url) - 15, 0);
    expect_refusal(&bad, "long url", args, NELEMS(args), "--url is longer than");
    assert_int_equal(bad, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_bounds),
        cmocka_unit_test_setup_teardown(test_header_file_bounds, setup, teardown),
        cmocka_unit_test(test_url_bound),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
