/*
 * unit.h - what the unit tests share: cmocka's prerequisites and a check for table-driven
 * tests that reports every failing case (not only the first) before failing the test.
 *
 * Usage:
 *     int bad = 0;
 *     for (...)
 *         CHECK(&bad, got == want, "case %s: got %d, want %d", name, got, want);
 *     assert_int_equal(bad, 0);
 */
#ifndef UNIT_H
#define UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static inline void __attribute__((format(printf, 3, 4)))
unit_check(int *bad, bool ok, const char *fmt, ...)
{
    va_list ap;

    if (ok)
        return;
    va_start(ap, fmt);
    vprint_error(fmt, ap);
    va_end(ap);
    print_error("\n");
    (*bad)++;
}

#define CHECK(bad, cond, ...) unit_check((bad), (cond), __VA_ARGS__)

/* Length of a static array. */
#define NELEMS(a) ((int)(sizeof(a) / sizeof((a)[0])))

#endif
