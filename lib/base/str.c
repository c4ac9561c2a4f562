/*
 * str.c - percent codec and query strings.
 */
#include "base/str.h"

#include <string.h>

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

enum reg_status
reg_str_percent_decode(struct reg_arena *a, const char *s, size_t n, bool plus_is_space, char **out)
{
    char *d = reg_arena_alloc(a, n + 1);
    size_t i, j = 0;

    *out = NULL;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return reg_errorf(REG_EINVAL, "malformed percent-escape in '%.*s'", (int)n, s);
            c = (char)(hi * 16 + lo);
            if (c == '\0')
                return reg_errorf(REG_EINVAL, "encoded NUL byte in '%.*s'", (int)n, s);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        d[j++] = c;
    }
    d[j] = '\0';
    *out = d;
    return REG_OK;
}

enum reg_status
reg_str_query_param(struct reg_arena *a, const char *q, const char *name, char **out)
{
    size_t name_len = strlen(name);

    *out = NULL;
    while (q && *q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        size_t key_len = eq ? (size_t)(eq - q) : len;

        if (key_len == name_len && memcmp(q, name, name_len) == 0) {
            const char *v = eq ? eq + 1 : q + len;
            return reg_str_percent_decode(a, v, (size_t)(q + len - v), true, out);
        }
        q = amp ? amp + 1 : NULL;
    }
    return REG_OK;
}

bool
reg_str_is_printable_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        int extra;
        if (*p < 0x20 || *p == 0x7f)
            return false;
        if (*p < 0x80) {
            p++;
            continue;
        }
        if ((*p & 0xe0) == 0xc0 && *p >= 0xc2)
            extra = 1;
        else if ((*p & 0xf0) == 0xe0)
            extra = 2;
        else if ((*p & 0xf8) == 0xf0 && *p <= 0xf4)
            extra = 3;
        else
            return false;
        p++;
        while (extra--) {
            if ((*p & 0xc0) != 0x80)
                return false;
            p++;
        }
    }
    return true;
}
