/*
 * fixture_control.h - what the upstream tests share: the fixture server's base URL (from
 * REGISTRY_TEST_UPSTREAM_URL, set by scripts/run-unit.sh) and calls to its /__fixture/
 * controls. Included by one test file per binary; every helper is static.
 */
#ifndef REG_TEST_FIXTURE_CONTROL_H
#define REG_TEST_FIXTURE_CONTROL_H

#include <curl/curl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "upstream/http_client.h"

#define UPSTREAM_ENV "REGISTRY_TEST_UPSTREAM_URL"

/* The fixture server's base URL, without a trailing '/'. */
static char upstream[256];
static const char *upstream_bases[1] = {upstream};

/* Client settings for fetches from the fixture: short retry waits, a generous timeout. */
static inline struct reg_http_config
fixture_http_config(void)
{
    struct reg_http_config c = {0};

    c.allowed_bases = upstream_bases;
    c.nallowed = 1;
    c.total_timeout_ms = 10000;
    c.max_attempts = 2;
    c.max_retry_after_ms = 200;
    return c;
}

static size_t
collect(char *data, size_t size, size_t nmemb, void *arg)
{
    return reg_buf_append(arg, data, size * nmemb) == REG_OK ? size * nmemb : 0;
}

/* Calls a fixture control (never logged by the server) and returns its JSON answer, which
 * the caller puts. */
static struct json_object *
control(const char *method, const char *path, const char *json)
{
    char url[512];
    struct reg_buf b;
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    CURL *c = curl_easy_init();
    long status = 0;
    struct json_object *doc;

    assert_non_null(c);
    snprintf(url, sizeof(url), "%s%s", upstream, path);
    reg_buf_init(&b, 64u * 1024 * 1024);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (json)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_perform(c) != CURLE_OK)
        fail_msg("fixture control %s %s failed", method, path);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    if (status != 200)
        fail_msg("fixture control %s %s: HTTP %ld", method, path, status);
    doc = json_tokener_parse(b.data ? b.data : "");
    reg_buf_cleanup(&b);
    assert_non_null(doc);
    return doc;
}

/* A cmocka setup: forget earlier delays, failures and the request log. */
static int
reset_fixture(void **state)
{
    (void)state;
    json_object_put(control("POST", "/__fixture/reset", NULL));
    return 0;
}

#endif
