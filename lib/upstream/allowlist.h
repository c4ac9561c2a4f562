/*
 * allowlist.h - the only hosts the registry may fetch from (no SSRF): a URL is allowed when it
 * lies under one of the configured bases: same scheme, host (case-insensitive) and port, and a
 * path that starts with the base's path followed by '/'. The check runs on the URL as curl
 * will send it (dot segments removed); user information, encoded dot segments ("%2e%2e"),
 * slashes and backslashes encoded ("%2F", "%5C"), and plain backslashes are refused. upstream/http_client.c runs it before any
 * network activity and again for every redirect hop.
 *
 * Ownership: reg_allowlist_new returns a list the caller frees with reg_allowlist_free
 * (NULL-safe); the bases passed in are copied.
 */
#ifndef REG_UPSTREAM_ALLOWLIST_H
#define REG_UPSTREAM_ALLOWLIST_H

#include "base/status.h"

struct reg_allowlist;

/* The list of the n bases (absolute http(s) URLs without user information, query or
 * fragment; a trailing '/' is ignored). REG_EINVAL naming the first bad base. */
enum reg_status reg_allowlist_new(const char *const *bases, int n, struct reg_allowlist **out);

void reg_allowlist_free(struct reg_allowlist *l);

/* The index of the first base url lies under, or -1. When allowed, *normalized (malloc'd, the
 * caller frees it) is the URL as curl will request it; NULL otherwise. */
int reg_allowlist_match(const struct reg_allowlist *l, const char *url, char **normalized);

#endif
