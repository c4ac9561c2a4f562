/*
 * semver.c - version parsing, precedence and npm's range forms (see semver.h).
 *
 * Every form is first read as a "partial" version (numbers given, then wildcards or nothing),
 * then turned into at most two comparators exactly as node-semver's replaceTilde,
 * replaceCaret, replaceXRange and hyphenReplace do.
 */
#include "core/semver.h"

#include <stdio.h>
#include <string.h>

/* A version as written in a range: the first `given` numbers, the rest wildcards or absent. */
struct partial {
    uint64_t num[3];
    int given;
    char pre[REG_SEMVER_PRE_MAX + 1];
};

/* ---------------------------------------------------------------- reading */

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
ident_char(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

static bool
is_wildcard(char c)
{
    return c == 'x' || c == 'X' || c == '*';
}

/* A number without leading zeros, at most REG_SEMVER_NUM_MAX; *why says what is wrong. */
static bool
read_number(const char **p, const char *end, uint64_t *out, const char **why)
{
    const char *s = *p;
    uint64_t v = 0;

    if (s == end || !is_digit(*s)) {
        *why = "a number was expected";
        return false;
    }
    if (*s == '0' && s + 1 < end && is_digit(s[1])) {
        *why = "a number has a leading zero";
        return false;
    }
    for (; s < end && is_digit(*s); s++) {
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > REG_SEMVER_NUM_MAX) {
            *why = "a number is too large";
            return false;
        }
    }
    *out = v;
    *p = s;
    return true;
}

/* Dot-separated identifiers of [0-9A-Za-z-], none empty; numeric prerelease identifiers
 * without leading zeros (semver 2.0.0 items 9 and 10). */
static bool
identifiers_ok(const char *s, const char *end, bool prerelease, const char **why)
{
    while (true) {
        const char *start = s;
        bool numeric = true;

        for (; s < end && *s != '.'; s++) {
            if (!ident_char(*s)) {
                *why = "an identifier holds a character other than [0-9A-Za-z-]";
                return false;
            }
            numeric = numeric && is_digit(*s);
        }
        if (s == start) {
            *why = prerelease ? "the prerelease has an empty identifier"
                              : "the build metadata has an empty identifier";
            return false;
        }
        if (prerelease && numeric && *start == '0' && s - start > 1) {
            *why = "a numeric prerelease identifier has a leading zero";
            return false;
        }
        if (s == end)
            return true;
        s++;
    }
}

/* The numbers (or wildcards, or nothing) of a partial; *p is left after them. */
static bool
read_numbers(const char **p, const char *end, bool wildcards, struct partial *out, const char **why)
{
    const char *s = *p;
    bool wild = false;

    for (int i = 0; i < 3; i++) {
        if (i > 0 && (s == end || *s != '.'))
            break;
        if (i > 0)
            s++;
        if (wildcards && s < end && is_wildcard(*s)) {
            wild = true;
            s++;
        } else if (wild) {
            *why = "a number follows a wildcard";
            return false;
        } else if (!read_number(&s, end, &out->num[i], why)) {
            return false;
        } else {
            out->given = i + 1;
        }
    }
    *p = s;
    return true;
}

/* Reads [v]N[.N[.N]] (N a number, or x, X, * in a range) [-prerelease] [+build]. */
static bool
read_partial(const char *s, const char *end, bool wildcards, struct partial *out, const char **why)
{
    const char *plus, *pre;

    memset(out, 0, sizeof(*out));
    if (s < end && *s == 'v')
        s++;
    if (s == end) {
        *why = "a version was expected";
        return false;
    }
    if (!read_numbers(&s, end, wildcards, out, why))
        return false;
    plus = memchr(s, '+', (size_t)(end - s));
    if (plus && !identifiers_ok(plus + 1, end, false, why))
        return false;
    if (!plus)
        plus = end;
    if (s < plus && *s != '-') {
        *why = "MAJOR.MINOR.PATCH was expected";
        return false;
    }
    if (s == plus)
        return true;
    pre = s + 1;
    if (out->given < 3) {
        *why = "a prerelease needs all of MAJOR.MINOR.PATCH";
        return false;
    }
    if (!identifiers_ok(pre, plus, true, why))
        return false;
    if (plus - pre > REG_SEMVER_PRE_MAX) {
        *why = "the prerelease is too long";
        return false;
    }
    memcpy(out->pre, pre, (size_t)(plus - pre));
    return true;
}

static void
to_version(const struct partial *p, struct reg_semver *out)
{
    memset(out, 0, sizeof(*out));
    out->major = p->num[0];
    out->minor = p->given > 1 ? p->num[1] : 0;
    out->patch = p->given > 2 ? p->num[2] : 0;
    memcpy(out->pre, p->pre, sizeof(out->pre));
}

enum reg_status
reg_semver_parse(const char *text, struct reg_semver *out)
{
    struct partial p;
    const char *why = NULL;
    size_t len = text ? strlen(text) : 0;

    memset(out, 0, sizeof(*out));
    if (len > REG_SEMVER_TEXT_MAX)
        return reg_errorf(REG_EINVAL, "a version is at most %d bytes", REG_SEMVER_TEXT_MAX);
    if (!read_partial(text ? text : "", (text ? text : "") + len, false, &p, &why))
        return reg_errorf(REG_EINVAL, "'%s' is not a version: %s", text ? text : "", why);
    to_version(&p, out);
    return REG_OK;
}

/* ---------------------------------------------------------------- precedence */

/* One prerelease identifier against another (semver 2.0.0 item 11.4). */
static int
compare_ident(const char *a, size_t alen, const char *b, size_t blen)
{
    bool anum = true, bnum = true;
    int c;

    for (size_t i = 0; i < alen; i++)
        anum = anum && is_digit(a[i]);
    for (size_t i = 0; i < blen; i++)
        bnum = bnum && is_digit(b[i]);
    if (anum && bnum) /* no leading zeros: the longer is the larger */
        return alen != blen ? (alen < blen ? -1 : 1) : memcmp(a, b, alen);
    if (anum != bnum)
        return anum ? -1 : 1;
    c = memcmp(a, b, alen < blen ? alen : blen);
    return c != 0 ? c : (alen > blen) - (alen < blen);
}

static int
compare_pre(const char *a, const char *b)
{
    if (!*a || !*b) /* a release follows its prereleases */
        return (!*a) - (!*b);
    while (true) {
        size_t alen = strcspn(a, "."), blen = strcspn(b, ".");
        int c = compare_ident(a, alen, b, blen);

        if (c != 0)
            return c;
        a += alen;
        b += blen;
        if (!*a || !*b)
            return (*a != '\0') - (*b != '\0');
        a++;
        b++;
    }
}

static int
compare_num(uint64_t a, uint64_t b)
{
    return (a > b) - (a < b);
}

int
reg_semver_compare(const struct reg_semver *a, const struct reg_semver *b)
{
    int c = compare_num(a->major, b->major);

    if (c == 0)
        c = compare_num(a->minor, b->minor);
    if (c == 0)
        c = compare_num(a->patch, b->patch);
    if (c == 0) {
        c = compare_pre(a->pre, b->pre);
        c = (c > 0) - (c < 0);
    }
    return c;
}

char *
reg_semver_format(const struct reg_semver *v, char *buf, size_t size)
{
    snprintf(buf, size, "%llu.%llu.%llu%s%s", (unsigned long long)v->major,
             (unsigned long long)v->minor, (unsigned long long)v->patch, v->pre[0] ? "-" : "",
             v->pre);
    return buf;
}

/* ---------------------------------------------------------------- ranges */

static void
add(struct reg_semver_range *r, enum reg_semver_op op, uint64_t major, uint64_t minor,
    uint64_t patch, const char *pre)
{
    struct reg_semver_comparator *c = &r->c[r->n++];

    memset(c, 0, sizeof(*c));
    c->op = op;
    c->v.major = major;
    c->v.minor = minor;
    c->v.patch = patch;
    snprintf(c->v.pre, sizeof(c->v.pre), "%s", pre);
}

/* npm's "<X.Y.Z-0": below every prerelease of X.Y.Z. */
static void
add_below(struct reg_semver_range *r, uint64_t major, uint64_t minor, uint64_t patch)
{
    add(r, REG_SEMVER_LT, major, minor, patch, "0");
}

/* The bounds of what a partial names: "1" := >=1.0.0 <2.0.0-0, "1.2" := >=1.2.0 <1.3.0-0. */
static void
x_range(const struct partial *p, struct reg_semver_range *r)
{
    if (p->given == 0)
        return;
    if (p->given == 3) {
        add(r, REG_SEMVER_EQ, p->num[0], p->num[1], p->num[2], p->pre);
        return;
    }
    add(r, REG_SEMVER_GE, p->num[0], p->given > 1 ? p->num[1] : 0, 0, "");
    if (p->given == 1)
        add_below(r, p->num[0] + 1, 0, 0);
    else
        add_below(r, p->num[0], p->num[1] + 1, 0);
}

static void
tilde(const struct partial *p, struct reg_semver_range *r)
{
    if (p->given < 3) {
        x_range(p, r);
        return;
    }
    add(r, REG_SEMVER_GE, p->num[0], p->num[1], p->num[2], p->pre);
    add_below(r, p->num[0], p->num[1] + 1, 0);
}

static void
caret(const struct partial *p, struct reg_semver_range *r)
{
    uint64_t M = p->num[0], m = p->num[1], pt = p->num[2];

    if (p->given < 2 || (p->given == 2 && M != 0)) {
        /* "^1" and "^1.2" reach to the next major, as does "^0" */
        if (p->given > 0)
            add(r, REG_SEMVER_GE, M, p->given > 1 ? m : 0, 0, "");
        if (p->given > 0)
            add_below(r, M + 1, 0, 0);
        return;
    }
    if (p->given == 2) { /* "^0.2" */
        x_range(p, r);
        return;
    }
    add(r, REG_SEMVER_GE, M, m, pt, p->pre);
    if (M != 0)
        add_below(r, M + 1, 0, 0);
    else if (m != 0)
        add_below(r, 0, m + 1, 0);
    else
        add_below(r, 0, 0, pt + 1);
}

static void
hyphen(const struct partial *from, const struct partial *to, struct reg_semver_range *r)
{
    if (from->given > 0)
        add(r, REG_SEMVER_GE, from->num[0], from->given > 1 ? from->num[1] : 0,
            from->given > 2 ? from->num[2] : 0, from->pre);
    if (to->given == 3)
        add(r, REG_SEMVER_LE, to->num[0], to->num[1], to->num[2], to->pre);
    else if (to->given == 2)
        add_below(r, to->num[0], to->num[1] + 1, 0);
    else if (to->given == 1)
        add_below(r, to->num[0] + 1, 0, 0);
}

static const char *
skip_space(const char *s, const char *end)
{
    while (s < end && *s == ' ')
        s++;
    return s;
}

static const char *
trim_end(const char *s, const char *end)
{
    while (end > s && end[-1] == ' ')
        end--;
    return end;
}

/* "1.2.3-2.1.0": the first "-" with a version before it and a full version after it. */
static bool
split_unspaced(const char *s, const char *end, struct partial *from, struct partial *to)
{
    const char *why;

    for (const char *h = memchr(s, '-', (size_t)(end - s)); h;
         h = memchr(h + 1, '-', (size_t)(end - h - 1)))
        if (read_partial(s, h, true, from, &why) && read_partial(h + 1, end, false, to, &why) &&
            to->given == 3)
            return true;
    return false;
}

static enum reg_status
refuse(const char *text, const char *why)
{
    return reg_errorf(REG_EINVAL,
                      "'%.*s' is not a version range: %s (forms: exact 1.2.3, bounded "
                      "1.2.3-2.1.0, tilde ~1.2.0, caret ^1.2.0)",
                      REG_SEMVER_TEXT_MAX, text, why);
}

/* " - " (npm's hyphen range) or an unspaced hyphen range, when text is one. */
static bool
parse_bounded(const char *s, const char *end, struct reg_semver_range *out, const char **why,
              bool *is_bounded)
{
    struct partial from, to;
    const char *sep = NULL;

    for (const char *p = s; p + 3 <= end && !sep; p++)
        if (memcmp(p, " - ", 3) == 0)
            sep = p;
    *is_bounded = true;
    if (sep) {
        if (!read_partial(s, trim_end(s, sep), true, &from, why) ||
            !read_partial(skip_space(sep + 3, end), end, true, &to, why))
            return false;
        hyphen(&from, &to, out);
        return true;
    }
    *is_bounded = split_unspaced(s, end, &from, &to);
    if (*is_bounded)
        hyphen(&from, &to, out);
    return true;
}

enum reg_status
reg_semver_range_parse(const char *text, struct reg_semver_range *out)
{
    const char *s = text ? text : "", *end, *why = NULL;
    struct partial p;
    bool bounded = false;
    int op;

    memset(out, 0, sizeof(*out));
    if (strlen(s) > REG_SEMVER_TEXT_MAX)
        return reg_errorf(REG_EINVAL, "a version range is at most %d bytes", REG_SEMVER_TEXT_MAX);
    end = trim_end(s, s + strlen(s));
    s = skip_space(s, end);
    if (s == end)
        return refuse(text ? text : "", "it is empty");
    if (*s == '<' || *s == '>' || strstr(s, "||"))
        return refuse(text, "comparison operators and unions are not supported");
    op = strchr("~^=", *s) ? *s : 0;
    if (op)
        s = skip_space(s + 1, end);
    else if (!parse_bounded(s, end, out, &why, &bounded))
        return refuse(text, why);
    if (bounded)
        return REG_OK;
    if (!read_partial(s, end, true, &p, &why))
        return refuse(text, why);
    if (op == '~')
        tilde(&p, out);
    else if (op == '^')
        caret(&p, out);
    else
        x_range(&p, out);
    return REG_OK;
}

/* ---------------------------------------------------------------- matching */

static bool
holds(const struct reg_semver_comparator *c, const struct reg_semver *v)
{
    int cmp = reg_semver_compare(v, &c->v);

    switch (c->op) {
    case REG_SEMVER_EQ:
        return cmp == 0;
    case REG_SEMVER_GE:
        return cmp >= 0;
    case REG_SEMVER_GT:
        return cmp > 0;
    case REG_SEMVER_LT:
        return cmp < 0;
    case REG_SEMVER_LE:
        return cmp <= 0;
    }
    return false;
}

bool
reg_semver_satisfies(const struct reg_semver_range *r, const struct reg_semver *v)
{
    bool pre_allowed = v->pre[0] == '\0';

    for (int i = 0; i < r->n; i++)
        if (!holds(&r->c[i], v))
            return false;
    /* npm: a prerelease only where the range names one on the same MAJOR.MINOR.PATCH */
    for (int i = 0; i < r->n && !pre_allowed; i++)
        pre_allowed = r->c[i].v.pre[0] && r->c[i].v.major == v->major &&
                      r->c[i].v.minor == v->minor && r->c[i].v.patch == v->patch;
    return pre_allowed;
}
