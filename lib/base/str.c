/*
 * str.c - percent codec and query strings.
 */
#include "base/str.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/limits.h"

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

char *
reg_str_rtrim(struct reg_arena *a, const char *s, char c)
{
    size_t len = strlen(s);

    while (len > 0 && s[len - 1] == c)
        len--;
    return reg_arena_strndup(a, s, len);
}

char *
reg_str_dup_nonempty(const char *s)
{
    char *d;

    if (!s || !*s)
        return NULL;
    d = strdup(s);
    if (!d)
        reg_oom();
    return d;
}

bool
reg_str_copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    bool fits = n < size;

    if (!fits)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return fits;
}

void
reg_str_iso8601(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
reg_str_hex(const unsigned char *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

bool
reg_str_unhex(const char *hex, size_t digits, unsigned char *bytes)
{
    if (digits % 2)
        return false;
    for (size_t i = 0; i < digits; i += 2) {
        int hi = hexval(hex[i]);
        int lo = hi < 0 ? -1 : hexval(hex[i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        bytes[i / 2] = (unsigned char)(hi * 16 + lo);
    }
    return true;
}

enum reg_status
reg_str_to_int64(const char *s, int64_t min, int64_t max, const char *what, int64_t *out)
{
    size_t n = strlen(s);
    long long v = 0;

    *out = 0;
    errno = 0;
    if (n > 0 && n <= 19 && strspn(s, "0123456789") == n)
        v = strtoll(s, NULL, 10);
    if (n == 0 || n > 19 || strspn(s, "0123456789") != n || errno || v < min || v > max)
        return reg_errorf(REG_EINVAL, "%s must be an integer from %lld to %lld, got '%.32s'", what,
                          (long long)min, (long long)max, s);
    *out = v;
    return REG_OK;
}

/* Decodes one UTF-8 sequence at p (n bytes available) into *cp; returns its length, or 0 if
 * it is not well-formed (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t
decode_utf8(const unsigned char *p, size_t n, uint32_t *cp)
{
    static const uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
    size_t len;

    if (p[0] < 0x80)
        len = 1;
    else if ((p[0] & 0xe0) == 0xc0)
        len = 2;
    else if ((p[0] & 0xf0) == 0xe0)
        len = 3;
    else if ((p[0] & 0xf8) == 0xf0)
        len = 4;
    else
        return 0;
    /* The lead byte keeps 7, 5, 4 or 3 payload bits. */
    *cp = p[0] & (len == 1 ? 0x7fu : 0x7fu >> len);
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (p[i] & 0x3fu);
    }
    if (*cp < min_cp[len - 1] || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
        return 0;
    return len;
}

bool
reg_str_is_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cp;

    for (size_t i = 0; i < n;) {
        size_t len = decode_utf8(p + i, n - i, &cp);
        if (len == 0 || cp == 0)
            return false;
        i += len;
    }
    return true;
}

size_t
reg_str_utf8_cut(const char *s, size_t len, size_t max)
{
    size_t n = len < max ? len : max;

    while (n < len && n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    return n;
}

bool
reg_str_is_printable_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    uint32_t cp;

    for (size_t i = 0; i < n;) {
        size_t len = decode_utf8(p + i, n - i, &cp);
        if (len == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
            return false;
        i += len;
    }
    return true;
}

bool
reg_str_is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* Length of the host part of s (a name, an IPv4 or a bracketed IPv6 address); 0 if none. */
static size_t
host_len(const char *s)
{
    static const char name_chars[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.";
    size_t n;

    if (s[0] != '[')
        return s[0] == '-' || s[0] == '.' ? 0 : strspn(s, name_chars);
    n = strspn(s + 1, "0123456789abcdefABCDEF:.");
    return n >= 2 && s[1 + n] == ']' && memchr(s + 1, ':', n) ? n + 2 : 0;
}

bool
reg_str_is_host_port(const char *s)
{
    size_t n = s ? strlen(s) : 0, host;
    const char *port;

    if (n == 0 || n > REG_HOST_MAX)
        return false;
    host = host_len(s);
    if (host == n)
        return true;
    if (host == 0 || s[host] != ':')
        return false;
    port = s + host + 1;
    n = strlen(port);
    return n >= 1 && n <= 5 && strspn(port, "0123456789") == n && atoi(port) >= 1 &&
           atoi(port) <= 65535;
}
