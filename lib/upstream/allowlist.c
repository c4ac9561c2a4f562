/*
 * allowlist.c - the upstream allow-list (no SSRF; see allowlist.h): bases and URLs split by
 * libcurl's URL parser, dot segments removed as curl will send them, encoded dots and slashes
 * refused.
 */
#include "upstream/allowlist.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "upstream/http_client.h"

/* An allowed base, or a URL split the same way for comparison. All fields malloc'd. */
struct parts {
    char *scheme;
    char *host;
    char *path; /* for a base: without its trailing '/' ("" for the root) */
    long port;
};

struct reg_allowlist {
    struct parts *bases;
    int n;
};

static void
parts_cleanup(struct parts *p)
{
    free(p->scheme);
    free(p->host);
    free(p->path);
    memset(p, 0, sizeof(*p));
}

/* A part of u as a malloc'd string, or NULL when absent. */
static char *
get_part(CURLU *u, CURLUPart what, unsigned int flags)
{
    char *s = NULL, *copy;

    if (curl_url_get(u, what, &s, flags) != CURLUE_OK || !s)
        return NULL;
    copy = strdup(s);
    curl_free(s);
    if (!copy)
        reg_oom();
    return copy;
}

static bool
has_part(CURLU *u, CURLUPart what)
{
    char *s = get_part(u, what, 0);
    bool present = s != NULL;

    free(s);
    return present;
}

/* Splits u into p; false unless it is an http(s) URL with a host. */
static bool
split(CURLU *u, struct parts *p)
{
    char *port = get_part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT);

    p->scheme = get_part(u, CURLUPART_SCHEME, 0);
    p->host = get_part(u, CURLUPART_HOST, 0);
    p->path = get_part(u, CURLUPART_PATH, 0);
    p->port = port ? strtol(port, NULL, 10) : 0;
    free(port);
    return p->scheme && p->host && p->path && *p->host && p->port > 0 &&
           (strcasecmp(p->scheme, "https") == 0 || strcasecmp(p->scheme, "http") == 0);
}

/* Parses text as an absolute URL without user information (dot segments are removed, as curl
 * does before sending). NULL if it is not one. */
static CURLU *
parse_url(const char *text)
{
    CURLU *u;

    if (!text || strlen(text) > REG_HTTP_URL_MAX)
        return NULL;
    u = curl_url();
    if (!u)
        reg_oom();
    if (curl_url_set(u, CURLUPART_URL, text, CURLU_DISALLOW_USER) != CURLUE_OK) {
        curl_url_cleanup(u);
        return NULL;
    }
    return u;
}

/* Parses an allowed base into p: an http(s) URL, no query, no fragment. */
static bool
parse_base(const char *text, struct parts *p)
{
    CURLU *u = parse_url(text);
    bool ok = u && split(u, p) && !has_part(u, CURLUPART_QUERY) && !has_part(u, CURLUPART_FRAGMENT);
    size_t len;

    curl_url_cleanup(u);
    if (!ok)
        return false;
    len = strlen(p->path);
    while (len > 0 && p->path[len - 1] == '/')
        p->path[--len] = '\0';
    return true;
}

/* True for a path segment that a server could read as "." or ".." ("%2e", ".%2E", ...). */
static bool
is_dot_segment(const char *seg, size_t len)
{
    size_t i = 0;
    int dots = 0;

    while (i < len) {
        if (seg[i] == '.') {
            i++;
        } else if (len - i >= 3 && seg[i] == '%' && seg[i + 1] == '2' &&
                   (seg[i + 2] == 'e' || seg[i + 2] == 'E')) {
            i += 3;
        } else {
            return false;
        }
        dots++;
    }
    return dots == 1 || dots == 2;
}

/* Whether a path could climb out of its prefix on a server that decodes before resolving. */
static bool
path_is_tricky(const char *path)
{
    const char *p = path;

    /* An encoded backslash too: a server that decodes it may take it for a separator, as it
     * would a plain one ("a%5C..%5Cb"). */
    if (strstr(path, "%2f") || strstr(path, "%2F") || strchr(path, '\\') || strstr(path, "%5c") ||
        strstr(path, "%5C"))
        return true;
    while (*p == '/') {
        size_t n;

        p++;
        n = strcspn(p, "/");
        if (is_dot_segment(p, n))
            return true;
        p += n;
    }
    return false;
}

static bool
under_base(const struct parts *base, const struct parts *t)
{
    size_t n = strlen(base->path);

    return strcasecmp(base->scheme, t->scheme) == 0 && strcasecmp(base->host, t->host) == 0 &&
           base->port == t->port && strncmp(t->path, base->path, n) == 0 && t->path[n] == '/';
}

/* The index of the first base url lies under, or -1; *normalized (malloc'd) receives the URL
 * as curl will request it when url is allowed. */
int
reg_allowlist_match(const struct reg_allowlist *l, const char *url, char **normalized)
{
    const struct parts *bases = l->bases;
    int nbases = l->n;
    CURLU *u = parse_url(url);
    struct parts t = {0};
    int found = -1;

    *normalized = NULL;
    if (u && split(u, &t) && !path_is_tricky(t.path)) {
        for (int i = 0; i < nbases && found < 0; i++)
            if (under_base(&bases[i], &t))
                found = i;
    }
    if (found >= 0)
        *normalized = get_part(u, CURLUPART_URL, 0);
    if (!*normalized)
        found = -1;
    parts_cleanup(&t);
    curl_url_cleanup(u);
    return found;
}

static void
free_bases(struct parts *bases, int n)
{
    for (int i = 0; bases && i < n; i++)
        parts_cleanup(&bases[i]);
    free(bases);
}

enum reg_status
reg_allowlist_new(const char *const *bases, int n, struct reg_allowlist **out)
{
    struct reg_allowlist *l = calloc(1, sizeof(*l));

    *out = NULL;
    if (!l || !(l->bases = calloc((size_t)(n > 0 ? n : 0) + 1, sizeof(*l->bases))))
        reg_oom();
    l->n = n > 0 ? n : 0;
    for (int i = 0; i < l->n; i++) {
        if (!bases || !parse_base(bases[i], &l->bases[i])) {
            enum reg_status st =
                reg_errorf(REG_EINVAL, "allowed base '%.200s' is not an http(s) base URL",
                           bases && bases[i] ? bases[i] : "(null)");
            reg_allowlist_free(l);
            return st;
        }
    }
    *out = l;
    return REG_OK;
}

void
reg_allowlist_free(struct reg_allowlist *l)
{
    if (!l)
        return;
    free_bases(l->bases, l->n);
    free(l);
}
