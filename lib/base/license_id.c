/*
 * license_id.c - license identifier normalisation and matching (see license_id.h).
 */
#include "base/license_id.h"

#include <string.h>

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);

    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

bool
reg_license_id_normalise(const char *id, char *out, size_t cap)
{
    static const char *const suffixes[] = {"-only", "-or-later", "+"};
    size_t len = 0;

    if (!id || cap == 0)
        return false;
    while (is_blank(*id))
        id++;
    for (; id[len] && len + 1 < cap; len++) {
        out[len] = id[len];
        if (out[len] >= 'A' && out[len] <= 'Z')
            out[len] = (char)(out[len] - 'A' + 'a');
    }
    while (len > 0 && is_blank(out[len - 1]))
        len--;
    out[len] = '\0';
    if (strncmp(out, "license:", 8) == 0) {
        len -= 8;
        memmove(out, out + 8, len + 1);
    }
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        if (ends_with(out, len, suffixes[i])) {
            len -= strlen(suffixes[i]);
            break;
        }
    }
    out[len] = '\0';
    return len > 0;
}

bool
reg_license_id_matches(enum reg_license_match match, const char *pattern, const char *id)
{
    switch (match) {
    case REG_LICENSE_PREFIX:
        return strncmp(id, pattern, strlen(pattern)) == 0;
    case REG_LICENSE_CONTAINS:
        return strstr(id, pattern) != NULL;
    case REG_LICENSE_EXACT:
        break;
    }
    return strcmp(id, pattern) == 0;
}
