/*
 * loadgen.c - the load generator (see loadgen.h): its command line, one curl multi loop driving
 * a kept-alive easy handle per client, and the JSON figures.
 *
 * Each client is one easy handle that is added to the multi handle for a request, removed
 * when it completes and added again for the next one: libcurl keeps the connection in the
 * multi handle's cache in between (sized to the clients), so each client stays on one
 * kept-alive connection and N clients hold N connections.
 */
#include "perf/loadgen.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/clock.h"
#include "base/json.h"
#include "base/str.h"
#include "perf/loadstats.h"

#define MIB (1024.0 * 1024.0)
/* Longest sleep of the multi loop (curl's own timers cut it shorter). */
#define POLL_MAX_MS 100

const char reg_loadgen_usage[] =
    "usage: registry-load --url URL [--header 'Name: value']... [--header-file FILE]\n"
    "                     [--client-header-file FILE] --clients N --requests M [--warmup K]\n"
    "                     [--timeout-ms T] [--histogram-buckets B] [--expect-header 'N: v']\n"
    "  N concurrent kept-alive HTTP/1.1 clients (1..1000), each doing M sequential GETs of URL\n"
    "  (1..100000) after K unmeasured ones (default 0); each request may take T ms (default\n"
    "  60000); prints one JSON object with the throughput, latency statistics and a histogram of\n"
    "  B log-spaced buckets (default 20). --header-file: header lines every client sends;\n"
    "  --client-header-file: line i is sent by clients i, i + L, ... (L lines).\n"
    "  --expect-header: counts measured answers that lack this header line.\n";

/* ---------------------------------------------------------------- the command line */

/* "Name: value": an HTTP token, a colon, then printable text (no CR, LF or NUL). */
static enum reg_status
check_header(const char *line)
{
    static const char tchar[] = "!#$%&'*+-.^_`|~0123456789"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    size_t name = strspn(line, tchar);

    if (strlen(line) > REG_LOADGEN_HEADER_MAX)
        return reg_errorf(REG_EINVAL, "a header is longer than %d bytes", REG_LOADGEN_HEADER_MAX);
    if (name == 0 || line[name] != ':')
        return reg_errorf(REG_EINVAL, "header '%.40s' is not 'Name: value'", line);
    for (const unsigned char *p = (const unsigned char *)line; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return reg_errorf(REG_EINVAL, "header '%.40s' has a control character", line);
    return REG_OK;
}

static enum reg_status
add_header(struct reg_loadgen_options *o, const char *line)
{
    enum reg_status st = check_header(line);

    if (st != REG_OK)
        return st;
    if (o->nheaders >= REG_LOADGEN_HEADERS_MAX)
        return reg_errorf(REG_EINVAL, "more than %d headers", REG_LOADGEN_HEADERS_MAX);
    o->headers[o->nheaders++] = line;
    return REG_OK;
}

/* The whole of a file of at most REG_LOADGEN_FILE_MAX bytes, NUL-terminated, in a. */
static enum reg_status
read_file(struct reg_arena *a, const char *path, char **out)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;

    if (!f)
        return reg_errorf(REG_EINVAL, "cannot open %s: %s", path, strerror(errno));
    buf = reg_arena_alloc(a, REG_LOADGEN_FILE_MAX + 1);
    n = fread(buf, 1, REG_LOADGEN_FILE_MAX + 1, f);
    fclose(f);
    if (n > REG_LOADGEN_FILE_MAX)
        return reg_errorf(REG_EINVAL, "%s is larger than %d bytes", path, REG_LOADGEN_FILE_MAX);
    buf[n] = '\0';
    *out = buf;
    return REG_OK;
}

/* Splits text into its non-empty lines (CR LF or LF), each checked as a header; at most max. */
static enum reg_status
header_lines(char *text, const char *path, int max, const char **lines, int *n)
{
    enum reg_status st = REG_OK;

    *n = 0;
    for (char *line = text; st == REG_OK && line && *line;) {
        char *nl = strchr(line, '\n');
        size_t len;
        if (nl)
            *nl = '\0';
        len = strlen(line);
        if (len > 0 && line[len - 1] == '\r')
            line[--len] = '\0';
        if (len > 0 && *n >= max)
            st = reg_errorf(REG_EINVAL, "%s has more than %d header lines", path, max);
        else if (len > 0 && (st = check_header(line)) == REG_OK)
            lines[(*n)++] = line;
        line = nl ? nl + 1 : NULL;
    }
    return st;
}

static enum reg_status
header_file(struct reg_arena *a, struct reg_loadgen_options *o, const char *path)
{
    const char *lines[REG_LOADGEN_HEADERS_MAX];
    char *text;
    int n = 0;
    enum reg_status st = read_file(a, path, &text);

    if (st == REG_OK)
        st = header_lines(text, path, REG_LOADGEN_HEADERS_MAX, lines, &n);
    for (int i = 0; st == REG_OK && i < n; i++)
        st = add_header(o, lines[i]);
    return st;
}

static enum reg_status
client_header_file(struct reg_arena *a, struct reg_loadgen_options *o, const char *path)
{
    char *text;
    enum reg_status st = read_file(a, path, &text);

    o->client_headers =
        reg_arena_alloc(a, sizeof(*o->client_headers) * (size_t)REG_LOADGEN_CLIENT_HEADERS_MAX);
    if (st == REG_OK)
        st = header_lines(text, path, REG_LOADGEN_CLIENT_HEADERS_MAX, o->client_headers,
                          &o->nclient_headers);
    if (st == REG_OK && o->nclient_headers == 0)
        st = reg_errorf(REG_EINVAL, "%s has no header line", path);
    return st;
}

static enum reg_status
int_option(const char *v, int64_t min, int64_t max, const char *name, int *out)
{
    int64_t n;
    enum reg_status st = reg_str_to_int64(v, min, max, name, &n);

    *out = (int)n;
    return st;
}

static enum reg_status
check_url(const char *url)
{
    if (strlen(url) > REG_LOADGEN_URL_MAX)
        return reg_errorf(REG_EINVAL, "--url is longer than %d bytes", REG_LOADGEN_URL_MAX);
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return reg_errorf(REG_EINVAL, "--url must be an http:// or https:// URL");
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p == 0x7f)
            return reg_errorf(REG_EINVAL, "--url has a space or control character");
    return REG_OK;
}

/* Applies option name with value v. */
static enum reg_status
apply(struct reg_arena *a, struct reg_loadgen_options *o, const char *name, const char *v)
{
    int64_t t;
    enum reg_status st;

    if (strcmp(name, "--url") == 0) {
        o->url = v;
        return check_url(v);
    }
    if (strcmp(name, "--header") == 0)
        return add_header(o, v);
    if (strcmp(name, "--header-file") == 0)
        return header_file(a, o, v);
    if (strcmp(name, "--client-header-file") == 0)
        return client_header_file(a, o, v);
    if (strcmp(name, "--clients") == 0)
        return int_option(v, 1, REG_LOADGEN_CLIENTS_MAX, "--clients", &o->clients);
    if (strcmp(name, "--requests") == 0)
        return int_option(v, 1, REG_LOADGEN_REQUESTS_MAX, "--requests", &o->requests);
    if (strcmp(name, "--warmup") == 0)
        return int_option(v, 0, REG_LOADGEN_REQUESTS_MAX, "--warmup", &o->warmup);
    if (strcmp(name, "--expect-header") == 0) {
        o->expect_header = v;
        return check_header(v);
    }
    if (strcmp(name, "--histogram-buckets") == 0)
        return int_option(v, 1, REG_LOADSTATS_BUCKETS_MAX, "--histogram-buckets", &o->buckets);
    if (strcmp(name, "--timeout-ms") == 0) {
        st = reg_str_to_int64(v, 1, REG_LOADGEN_TIMEOUT_MS_MAX, "--timeout-ms", &t);
        o->timeout_ms = (long)t;
        return st;
    }
    return reg_errorf(REG_EINVAL, "unknown option '%.40s'", name);
}

enum reg_status
reg_loadgen_parse_args(struct reg_arena *a, int argc, char *const argv[],
                       struct reg_loadgen_options *out, bool *help)
{
    enum reg_status st = REG_OK;

    *out = (struct reg_loadgen_options){.timeout_ms = REG_LOADGEN_TIMEOUT_MS_DEFAULT,
                                        .buckets = REG_LOADSTATS_BUCKETS_DEFAULT};
    *help = false;
    for (int i = 1; st == REG_OK && i < argc; i++) {
        const char *arg = argv[i], *eq = strchr(arg, '=');
        const char *name = eq ? reg_arena_strndup(a, arg, (size_t)(eq - arg)) : arg;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            *help = true;
            return REG_OK;
        }
        if (!eq && i + 1 >= argc)
            return reg_errorf(REG_EINVAL, "option '%.40s' needs a value", arg);
        st = apply(a, out, name, eq ? eq + 1 : argv[++i]);
    }
    if (st == REG_OK && (!out->url || !out->clients || !out->requests))
        st = reg_errorf(REG_EINVAL, "--url, --clients and --requests are required");
    return st;
}

/* ---------------------------------------------------------------- the run */

struct run;

struct client {
    struct run *run;
    CURL *easy;
    struct curl_slist *headers;
    int warmup_left;
    int measured_left;
    bool measuring; /* the request under way is measured */
    bool expected;  /* its answer carried o->expect_header */
    uint64_t bytes; /* of the request under way */
};

struct run {
    const struct reg_loadgen_options *o;
    struct reg_loadgen_result *r;
    CURLM *multi;
    struct client *clients;
    int active;         /* clients with a request under way */
    double first_start; /* ms, of the first measured request; < 0 until then */
    double last_end;
};

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct client *c = arg;

    (void)data;
    c->bytes += (uint64_t)(size * nmemb);
    return size * nmemb;
}

/* Whether a received header line is o->expect_header: the name without regard to case, the
 * value exactly, surrounding blanks and the line end left out. */
static bool
is_expected(const char *want, const char *line, size_t len)
{
    const char *colon = strchr(want, ':'), *value;
    size_t name_len = (size_t)(colon - want), vlen;

    if (len <= name_len || strncasecmp(line, want, name_len) != 0 || line[name_len] != ':')
        return false;
    for (value = colon + 1; *value == ' '; value++)
        ;
    line += name_len + 1;
    len -= name_len + 1;
    while (len > 0 && (*line == ' ' || *line == '\t')) {
        line++;
        len--;
    }
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
        len--;
    vlen = strlen(value);
    return len == vlen && memcmp(line, value, len) == 0;
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    struct client *c = arg;

    if (is_expected(c->run->o->expect_header, data, size * nmemb))
        c->expected = true;
    return size * nmemb;
}

static void
add_latency(struct reg_loadgen_result *r, double ms)
{
    if (r->nlatencies == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        double *p = realloc(r->latencies_ms, cap * sizeof(*p));
        if (!p)
            reg_oom();
        r->latencies_ms = p;
        r->cap = cap;
    }
    r->latencies_ms[r->nlatencies++] = ms;
}

static struct curl_slist *
append(struct curl_slist *list, const char *line)
{
    struct curl_slist *l = curl_slist_append(list, line);

    if (!l)
        reg_oom();
    return l;
}

/* The headers every client sends, then client i's own line. */
static struct curl_slist *
client_headers(const struct reg_loadgen_options *o, int i)
{
    struct curl_slist *list = NULL;

    for (int k = 0; k < o->nheaders; k++)
        list = append(list, o->headers[k]);
    if (o->nclient_headers > 0)
        list = append(list, o->client_headers[i % o->nclient_headers]);
    return list;
}

static CURL *
new_easy(const struct reg_loadgen_options *o, struct client *c)
{
    CURL *h = curl_easy_init();

    if (!h)
        reg_oom();
    curl_easy_setopt(h, CURLOPT_URL, o->url);
    curl_easy_setopt(h, CURLOPT_PRIVATE, (void *)c);
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->timeout_ms);
    curl_easy_setopt(h, CURLOPT_USERAGENT, REG_LOADGEN_USER_AGENT);
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, REG_LOADGEN_BUFFER);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, (void *)c);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
    if (o->expect_header) {
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, (void *)c);
    }
    return h;
}

/* Starts the client's next request, if it has one left. A request libcurl refuses to start
 * counts as a transport failure. */
static void
start_next(struct run *run, struct client *c)
{
    while (c->warmup_left > 0 || c->measured_left > 0) {
        c->measuring = c->warmup_left == 0;
        if (c->measuring)
            c->measured_left--;
        else
            c->warmup_left--;
        c->bytes = 0;
        c->expected = false;
        if (c->measuring && run->first_start < 0)
            run->first_start = reg_clock_ms();
        if (curl_multi_add_handle(run->multi, c->easy) == CURLM_OK) {
            run->active++;
            return;
        }
        if (c->measuring) {
            run->r->requests++;
            run->r->transport++;
        }
    }
}

/* Counts a measured request that ended with rc and the HTTP status. */
static void
count(struct run *run, struct client *c, CURLcode rc)
{
    struct reg_loadgen_result *r = run->r;
    curl_off_t us = 0;
    long status = 0;

    r->requests++;
    r->bytes += c->bytes;
    run->last_end = reg_clock_ms();
    if (rc != CURLE_OK) {
        r->transport++;
        return;
    }
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c->easy, CURLINFO_TOTAL_TIME_T, &us);
    add_latency(r, (double)us / 1000.0);
    if (run->o->expect_header && !c->expected)
        r->unexpected++;
    if (status >= 200 && status <= 299)
        r->ok++;
    else if (status >= 400 && status <= 499)
        r->status_4xx++;
    else if (status >= 500 && status <= 599)
        r->status_5xx++;
    else
        r->status_other++;
}

static void
collect(struct run *run)
{
    for (;;) {
        int left;
        CURLMsg *m = curl_multi_info_read(run->multi, &left);
        void *p = NULL;
        CURLcode rc;

        if (!m)
            break;
        if (m->msg != CURLMSG_DONE)
            continue;
        rc = m->data.result;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p);
        curl_multi_remove_handle(run->multi, m->easy_handle); /* m is invalid from here */
        run->active--;
        if (((struct client *)p)->measuring)
            count(run, p, rc);
        start_next(run, p);
    }
}

static void
run_cleanup(struct run *run)
{
    for (int i = 0; run->clients && i < run->o->clients; i++) {
        curl_easy_cleanup(run->clients[i].easy);
        curl_slist_free_all(run->clients[i].headers);
    }
    free(run->clients);
    curl_multi_cleanup(run->multi);
}

enum reg_status
reg_loadgen_run(const struct reg_loadgen_options *o, struct reg_loadgen_result *out)
{
    struct run run = {o, out, curl_multi_init(), NULL, 0, -1, 0};

    *out =
        (struct reg_loadgen_result){.clients = o->clients, .expecting = o->expect_header != NULL};
    if (!run.multi)
        return reg_errorf(REG_EINTERNAL, "libcurl: cannot create a multi handle");
    /* Every client's connection stays cached between its requests. */
    curl_multi_setopt(run.multi, CURLMOPT_MAXCONNECTS, (long)o->clients);
    run.clients = calloc((size_t)o->clients, sizeof(*run.clients));
    if (!run.clients)
        reg_oom();
    for (int i = 0; i < o->clients; i++) {
        struct client *c = &run.clients[i];
        *c = (struct client){.run = &run,
                             .headers = client_headers(o, i),
                             .warmup_left = o->warmup,
                             .measured_left = o->requests};
        c->easy = new_easy(o, c);
    }
    for (int i = 0; i < o->clients; i++)
        start_next(&run, &run.clients[i]);
    while (run.active > 0) {
        int running = 0;
        curl_multi_perform(run.multi, &running);
        collect(&run);
        if (run.active > 0)
            curl_multi_poll(run.multi, NULL, 0, POLL_MAX_MS, NULL);
    }
    out->seconds = run.first_start < 0 ? 0 : (run.last_end - run.first_start) / 1000.0;
    run_cleanup(&run);
    return REG_OK;
}

void
reg_loadgen_result_cleanup(struct reg_loadgen_result *r)
{
    if (!r)
        return;
    free(r->latencies_ms);
    r->latencies_ms = NULL;
    r->nlatencies = r->cap = 0;
}

/* ---------------------------------------------------------------- the figures */

static struct json_object *
latency_json(const struct reg_loadstats *s)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "mean", reg_json_decimal(s->mean, 3));
    json_object_object_add(o, "median", reg_json_decimal(s->median, 3));
    json_object_object_add(o, "p90", reg_json_decimal(s->p90, 3));
    json_object_object_add(o, "p99", reg_json_decimal(s->p99, 3));
    json_object_object_add(o, "min", reg_json_decimal(s->min, 3));
    json_object_object_add(o, "max", reg_json_decimal(s->max, 3));
    return o;
}

static struct json_object *
histogram_json(const double *sorted, size_t n, int buckets)
{
    struct reg_loadstats_bucket b[REG_LOADSTATS_BUCKETS_MAX];
    int nb = reg_loadstats_histogram(sorted, n, buckets, b);
    struct json_object *list = json_object_new_array();

    for (int i = 0; i < nb; i++) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "le_ms", reg_json_decimal(b[i].le_ms, 3));
        json_object_object_add(o, "count", json_object_new_int64((int64_t)b[i].count));
        json_object_array_add(list, o);
    }
    return list;
}

static struct json_object *
errors_json(const struct reg_loadgen_result *r)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "status_4xx", json_object_new_int64((int64_t)r->status_4xx));
    json_object_object_add(o, "status_5xx", json_object_new_int64((int64_t)r->status_5xx));
    json_object_object_add(o, "status_other", json_object_new_int64((int64_t)r->status_other));
    json_object_object_add(o, "transport", json_object_new_int64((int64_t)r->transport));
    return o;
}

struct json_object *
reg_loadgen_json(struct reg_loadgen_result *r, int buckets)
{
    struct json_object *o = json_object_new_object();
    struct reg_loadstats s;
    double secs = r->seconds;

    reg_loadstats_summarize(r->latencies_ms, r->nlatencies, &s);
    json_object_object_add(o, "clients", json_object_new_int(r->clients));
    json_object_object_add(o, "requests", json_object_new_int64((int64_t)r->requests));
    json_object_object_add(o, "ok", json_object_new_int64((int64_t)r->ok));
    json_object_object_add(o, "errors", errors_json(r));
    json_object_object_add(o, "bytes", json_object_new_int64((int64_t)r->bytes));
    json_object_object_add(o, "seconds", reg_json_decimal(secs, 3));
    json_object_object_add(o, "throughput_rps",
                           reg_json_decimal(secs > 0 ? (double)r->ok / secs : 0, 2));
    json_object_object_add(o, "throughput_mib_s",
                           reg_json_decimal(secs > 0 ? (double)r->bytes / MIB / secs : 0, 3));
    json_object_object_add(o, "latency_ms", latency_json(&s));
    json_object_object_add(o, "histogram", histogram_json(r->latencies_ms, r->nlatencies, buckets));
    if (r->expecting)
        json_object_object_add(o, "expect_header_missing",
                               json_object_new_int64((int64_t)r->unexpected));
    return o;
}
