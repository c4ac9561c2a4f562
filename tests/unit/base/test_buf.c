/*
 * test_buf.c - the bounded buffer: appends up to max, refusals past it leave the content as
 * it was, printf, growth, take/reset/cleanup.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

static void
test_empty(void **state)
{
    struct reg_buf b;

    (void)state;
    reg_buf_init(&b, 100);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.max, 100);
    assert_null(reg_buf_take(&b));
    reg_buf_reset(&b);
    reg_buf_cleanup(&b);
    reg_buf_cleanup(&b);
    reg_buf_cleanup(NULL);
}

static void
test_append_and_nul(void **state)
{
    struct reg_buf b;

    (void)state;
    reg_buf_init(&b, 1000);
    assert_int_equal(reg_buf_append(&b, "", 0), REG_OK);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    assert_int_equal(reg_buf_append(&b, "abc", 3), REG_OK);
    assert_int_equal(reg_buf_puts(&b, "def"), REG_OK);
    assert_int_equal(reg_buf_append(&b, "g\0h", 3), REG_OK);
    assert_int_equal(b.len, 9);
    assert_memory_equal(b.data, "abcdefg\0h", 10);
    assert_true(b.cap > b.len);
    reg_buf_cleanup(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void
test_max_enforced(void **state)
{
    struct reg_buf b;

    (void)state;
    reg_buf_init(&b, 10);
    assert_int_equal(reg_buf_puts(&b, "0123456789"), REG_OK);
    assert_int_equal(b.len, 10);
    /* One byte more is refused and the content stays. */
    assert_int_equal(reg_buf_puts(&b, "x"), REG_ETOOLARGE);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    assert_int_equal(reg_buf_printf(&b, "%d", 1), REG_ETOOLARGE);
    assert_string_equal(b.data, "0123456789");
    /* Appending nothing at the limit is fine. */
    assert_int_equal(reg_buf_append(&b, "", 0), REG_OK);
    reg_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_int_equal(reg_buf_puts(&b, "01234567890"), REG_ETOOLARGE);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    /* A length near SIZE_MAX must not wrap around the check. */
    assert_int_equal(reg_buf_append(&b, "x", SIZE_MAX), REG_ETOOLARGE);
    assert_int_equal(reg_buf_append(&b, "x", SIZE_MAX - 5), REG_ETOOLARGE);
    assert_int_equal(reg_buf_puts(&b, "abc"), REG_OK);
    assert_int_equal(reg_buf_append(&b, "x", SIZE_MAX - 2), REG_ETOOLARGE);
    assert_string_equal(b.data, "abc");
    reg_buf_cleanup(&b);
}

static void
test_max_zero(void **state)
{
    struct reg_buf b;

    (void)state;
    reg_buf_init(&b, 0);
    assert_int_equal(reg_buf_puts(&b, "a"), REG_ETOOLARGE);
    assert_int_equal(reg_buf_append(&b, "", 0), REG_OK);
    assert_string_equal(b.data, "");
    reg_buf_cleanup(&b);
}

static void
test_printf(void **state)
{
    struct reg_buf b;

    (void)state;
    reg_buf_init(&b, 64);
    assert_int_equal(reg_buf_printf(&b, "%s=%d", "a", 1), REG_OK);
    assert_int_equal(reg_buf_printf(&b, ",%s=%05.2f", "b", 2.5), REG_OK);
    assert_string_equal(b.data, "a=1,b=02.50");
    assert_int_equal(b.len, strlen("a=1,b=02.50"));
    assert_int_equal(reg_buf_printf(&b, "%s", ""), REG_OK);
    assert_int_equal(b.len, strlen("a=1,b=02.50"));
    /* Exactly to the limit, then past it. */
    assert_int_equal(reg_buf_printf(&b, "%*s", (int)(64 - b.len), "z"), REG_OK);
    assert_int_equal(b.len, 64);
    assert_int_equal(b.data[63], 'z');
    assert_int_equal(b.data[64], '\0');
    assert_int_equal(reg_buf_printf(&b, "%c", 'q'), REG_ETOOLARGE);
    assert_int_equal(b.len, 64);
    reg_buf_cleanup(&b);
}

static void
test_growth(void **state)
{
    struct reg_buf b;
    char chunk[1000];

    (void)state;
    reg_buf_init(&b, 1000000);
    for (int i = 0; i < 1000; i++) {
        memset(chunk, 'a' + i % 26, sizeof(chunk));
        assert_int_equal(reg_buf_append(&b, chunk, sizeof(chunk)), REG_OK);
    }
    assert_int_equal(b.len, 1000000);
    assert_true(b.cap >= b.len + 1);
    assert_int_equal(b.data[b.len], '\0');
    for (int i = 0; i < 1000; i++)
        if (b.data[i * 1000] != 'a' + i % 26 || b.data[i * 1000 + 999] != 'a' + i % 26)
            fail_msg("chunk %d corrupted", i);
    assert_int_equal(reg_buf_puts(&b, "x"), REG_ETOOLARGE);
    reg_buf_cleanup(&b);
}

static void
test_printf_growth(void **state)
{
    struct reg_buf b;

    (void)state;
    reg_buf_init(&b, 100000);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(reg_buf_printf(&b, "%04d", i), REG_OK);
    assert_int_equal(b.len, 40000);
    assert_memory_equal(b.data, "000000010002", 12);
    assert_memory_equal(b.data + 39996, "9999", 5);
    reg_buf_cleanup(&b);
}

static void
test_take(void **state)
{
    struct reg_buf b;
    char *p;

    (void)state;
    reg_buf_init(&b, 100);
    assert_int_equal(reg_buf_puts(&b, "owned by the caller"), REG_OK);
    p = reg_buf_take(&b);
    assert_string_equal(p, "owned by the caller");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    /* The buffer is usable again, with the same max. */
    assert_int_equal(reg_buf_puts(&b, "again"), REG_OK);
    assert_string_equal(b.data, "again");
    assert_true(b.data != p);
    free(p);
    reg_buf_cleanup(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),         cmocka_unit_test(test_append_and_nul),
        cmocka_unit_test(test_max_enforced),  cmocka_unit_test(test_max_zero),
        cmocka_unit_test(test_printf),        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_printf_growth), cmocka_unit_test(test_take),
    };
    return cmocka_run_group_tests_name("base/buf", tests, NULL, NULL);
}
