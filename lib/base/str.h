/*
 * str.h - small string helpers: percent-decoding and query-string lookup.
 *
 * Ownership: results are allocated from the given arena, except reg_str_dup_nonempty's, which
 * the caller frees.
 */
#ifndef REG_BASE_STR_H
#define REG_BASE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/status.h"

/* Decodes %XX escapes of s[0..n) (and '+' as space when plus_is_space); a malformed escape or
 * a decoded NUL is REG_EINVAL. */
enum reg_status reg_str_percent_decode(struct reg_arena *a, const char *s, size_t n,
                                       bool plus_is_space, char **out);

/* The decoded value of parameter name in query string q ("a=1&b=2"); *out is NULL if absent. */
enum reg_status reg_str_query_param(struct reg_arena *a, const char *q, const char *name,
                                    char **out);

/* Whether c is an RFC 3986 unreserved character (A-Z a-z 0-9 - . _ ~), which percent-encoding
 * leaves as it is. */
bool reg_str_is_unreserved(unsigned char c);

/* Whether s is a plain host[:port] of at most REG_HOST_MAX bytes: a name or IPv4 address
 * (letters, digits, '-' and '.', starting with a letter or digit) or an IPv6 address in brackets
 * (hex digits, ':' and '.'), then optionally ':' and a port (1 to 65535). Nothing else: no user
 * info ('@'), path, query, percent escapes or spaces. */
bool reg_str_is_host_port(const char *s);

/* Writes 2n lowercase hex digits of bytes[0..n) and a NUL into out (2n + 1 bytes). */
void reg_str_hex(const unsigned char *bytes, size_t n, char *out);

/* Reads exactly 2n hex digits from hex into bytes[0..n); false on any other character. */
bool reg_str_unhex(const char *hex, size_t digits, unsigned char *bytes);

/* s without trailing copies of c ("https://x/" -> "https://x"), in the arena. */
char *reg_str_rtrim(struct reg_arena *a, const char *s, char c);

/* A malloc'd copy of s, or NULL when s is NULL or "" (an unset setting, as the configuration
 * gives it); the caller frees it. Aborts through reg_oom() when memory runs out. */
char *reg_str_dup_nonempty(const char *s);

/* Copies src into dst (size bytes, size > 0), cut to fit, always terminated. Returns false
 * when it had to cut. */
bool reg_str_copy(char *dst, size_t size, const char *src);

/* Writes t as ISO-8601 UTC, "2026-11-26T05:02:28Z", into out. */
void reg_str_iso8601(int64_t t, char out[32]);

/* Parses s as a decimal integer in [min, max]: digits only (no sign, space or suffix); what
 * names the value for the error detail ("offset must be an integer from 0 to ..."). */
enum reg_status reg_str_to_int64(const char *s, int64_t min, int64_t max, const char *what,
                                 int64_t *out);

/* True if s[0..n) is well-formed UTF-8 (no overlong forms, surrogates, code points past
 * U+10FFFF) without NUL. */
bool reg_str_is_utf8(const char *s, size_t n);

/* The length of the longest prefix of s[0..len) that is at most max bytes and does not end
 * inside a UTF-8 sequence (judged by the byte after it, which must then be in s). */
size_t reg_str_utf8_cut(const char *s, size_t len, size_t max);

/* True if s is well-formed UTF-8 without control characters (C0, DEL, C1). */
bool reg_str_is_printable_utf8(const char *s);

#endif
