/*
 * http_client.c - concurrent, bounded GETs (and POSTs) to the allowed upstream bases (see
 * http_client.h).
 *
 * Every request is a small state machine driven by one curl multi loop:
 *     PENDING --(its wake time comes)--> RUNNING --(transfer done)--> judged:
 *         answer          -> DONE
 *         redirect        -> PENDING now (new URL, checked against the bases)
 *         429/5xx/failure -> PENDING after the retry delay, or DONE when out of attempts/time
 * A PENDING request is not in the multi handle, so waiting for a retry never blocks the
 * others; the loop sleeps in curl_multi_poll until a socket is ready or the next wake time.
 *
 * reg_http_stream runs the same machine on one request whose xfer carries a struct stream:
 * the body callback hands 2xx bytes to the sink instead of the buffer, and once a byte has
 * been handed over, a failure is final instead of retried.
 */
#include "upstream/http_client.h"

#include <curl/curl.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/arena.h"
#include "base/clock.h"
#include "upstream/allowlist.h"

/* Longest Retry-After value kept from a response. */
#define RETRY_AFTER_MAX 64
/* Longest sleep of the multi loop when nothing is due (curl's own timers cut it shorter). */
#define POLL_MAX_MS 1000
/* Retry-After seconds beyond this are treated as this (they are capped far below anyway). */
#define RETRY_AFTER_SECONDS_MAX 86400L

enum xfer_state { PENDING, RUNNING, DONE };

/* The sink of a streamed request (reg_http_stream) and what it was given. */
struct stream {
    reg_http_sink_fn sink;
    void *ctx;
    int64_t max_bytes;
    int64_t delivered;         /* bytes the sink accepted */
    enum reg_status sink_said; /* REG_OK until the sink refuses a chunk */
    int64_t offset;            /* a range's first byte: a 200 answer then is not the range */
    int64_t end;               /* a range's end (exclusive), or -1 */
    bool ended;                /* the range's end was reached in a 200 answer */
};

/* The running state of one request. */
struct xfer {
    struct reg_http_request *req;
    CURL *easy;
    struct curl_slist *headers;
    struct stream *stream; /* NULL unless the body is streamed */
    char *url;             /* the current hop, as curl sends it; malloc'd */
    int origin;            /* index of the base the request's own URL lies under */
    int base;              /* index of the base the current hop lies under */
    int redirects;
    enum xfer_state state;
    bool answered;  /* the last transfer delivered a complete HTTP answer */
    bool too_large; /* the body callback refused bytes past the cap */
    double started; /* monotonic ms */
    double wake;    /* when a PENDING transfer may start */
    double deadline;
    char retry_after[RETRY_AFTER_MAX];
    char curl_error[CURL_ERROR_SIZE];
};

/* One reg_http_fetch_all call. */
struct fetch {
    struct reg_http_config cfg; /* with the defaults filled in */
    struct reg_allowlist *allow;
    CURLM *multi;
    struct xfer *x;
    int n;
    int active; /* transfers not DONE */
};

/* ---------------------------------------------------------------- configuration */

static struct reg_http_config
with_defaults(const struct reg_http_config *cfg)
{
    struct reg_http_config c = *cfg;

    if (c.connect_timeout_ms <= 0)
        c.connect_timeout_ms = REG_HTTP_CONNECT_TIMEOUT_MS;
    if (c.total_timeout_ms <= 0)
        c.total_timeout_ms = REG_HTTP_TOTAL_TIMEOUT_MS;
    if (c.max_attempts <= 0)
        c.max_attempts = REG_HTTP_MAX_ATTEMPTS;
    if (c.max_retry_after_ms <= 0)
        c.max_retry_after_ms = REG_HTTP_MAX_RETRY_AFTER_MS;
    return c;
}

/* The whole time a request may take: every attempt plus the capped waits between them. */
static double
request_budget_ms(const struct reg_http_config *c)
{
    return (double)c->max_attempts * (double)c->total_timeout_ms +
           (double)(c->max_attempts - 1) * (double)c->max_retry_after_ms;
}

/* ---------------------------------------------------------------- the allow-list */

bool
reg_http_url_allowed(const struct reg_http_config *cfg, const char *url)
{
    struct reg_allowlist *allow;
    char *normalized;
    bool ok;

    if (!cfg || cfg->nallowed < 0 ||
        reg_allowlist_new(cfg->allowed_bases, cfg->nallowed, &allow) != REG_OK)
        return false;
    ok = reg_allowlist_match(allow, url, &normalized) >= 0;
    free(normalized);
    reg_allowlist_free(allow);
    return ok;
}

/* ---------------------------------------------------------------- retry delays */

/* Retry-After as milliseconds from now: delta-seconds or an HTTP date; -1 if unreadable. */
static long
parse_retry_after(const char *v)
{
    size_t digits = strspn(v, "0123456789");
    time_t when, now;
    long seconds;

    if (digits > 0 && v[digits] == '\0') {
        seconds = digits > 6 ? RETRY_AFTER_SECONDS_MAX : strtol(v, NULL, 10);
    } else {
        when = curl_getdate(v, NULL);
        if (when == (time_t)-1)
            return -1;
        now = time(NULL);
        if (when <= now)
            return 0;
        seconds =
            when - now > RETRY_AFTER_SECONDS_MAX ? RETRY_AFTER_SECONDS_MAX : (long)(when - now);
    }
    return (seconds > RETRY_AFTER_SECONDS_MAX ? RETRY_AFTER_SECONDS_MAX : seconds) * 1000L;
}

/* Full jitter: uniform in [0, base << (attempt - 1)], the bound capped at cap. */
static long
backoff_ms(int attempt, long cap)
{
    long bound = REG_HTTP_BACKOFF_BASE_MS;
    unsigned int r = 0;

    for (int i = 1; i < attempt && bound < cap; i++)
        bound *= 2;
    if (bound > cap)
        bound = cap;
    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
        return bound / 2;
    return (long)((unsigned long)r % (unsigned long)(bound + 1));
}

long
reg_http_retry_delay_ms(const struct reg_http_config *cfg, long status, const char *retry_after,
                        int attempt)
{
    struct reg_http_config c = with_defaults(cfg);
    long ms = -1;

    if ((status == 429 || status == 503) && retry_after && *retry_after)
        ms = parse_retry_after(retry_after);
    if (ms < 0)
        ms = backoff_ms(attempt < 1 ? 1 : attempt, c.max_retry_after_ms);
    return ms > c.max_retry_after_ms ? c.max_retry_after_ms : ms;
}

/* ---------------------------------------------------------------- curl callbacks */

/* A streamed body: only a 2xx answer's bytes go to the sink, within the cap. */
static size_t
on_stream_body(struct xfer *x, char *data, size_t n)
{
    struct stream *s = x->stream;
    long status = 0;
    enum reg_status st;

    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299)
        return n; /* a redirect, an error or an answer to be retried: not the content */
    if (status == 200 && s->offset > 0) {
        s->sink_said = reg_errorf(REG_EUPSTREAM, "answered 200 to a Range request from byte %lld",
                                  (long long)s->offset);
        return 0;
    }
    if (status == 200 && s->end >= 0 && (uint64_t)n >= (uint64_t)(s->end - s->delivered)) {
        n = (size_t)(s->end - s->delivered); /* the whole body: the range ends in this chunk */
        s->ended = true;
    }
    if ((uint64_t)n > (uint64_t)(s->max_bytes - s->delivered)) {
        x->too_large = true;
        return 0;
    }
    st = n > 0 ? s->sink(s->ctx, data, n) : REG_OK;
    if (st != REG_OK) {
        s->sink_said = st;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    s->delivered += (int64_t)n;
    if (s->ended) {
        s->sink_said = REG_OK;
        return 0; /* the range is complete: the rest of the 200 answer is not wanted */
    }
    return n;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct xfer *x = arg;
    size_t n = size * nmemb;

    if (x->stream)
        return on_stream_body(x, data, n);
    if (reg_buf_append(&x->req->body, data, n) == REG_OK)
        return n;
    x->too_large = true;
    return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
}

/* Keeps the Retry-After value of the latest response (a new status line forgets it). */
static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    static const char name[] = "retry-after:";
    struct xfer *x = arg;
    size_t n = size * nmemb, len;
    const char *v;

    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        x->retry_after[0] = '\0';
        return n;
    }
    if (n < sizeof(name) || strncasecmp(data, name, sizeof(name) - 1) != 0)
        return n;
    v = data + sizeof(name) - 1;
    while (v < data + n && (*v == ' ' || *v == '\t'))
        v++;
    len = (size_t)(data + n - v);
    while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
        len--;
    if (len < sizeof(x->retry_after)) {
        memcpy(x->retry_after, v, len);
        x->retry_after[len] = '\0';
    }
    return n;
}

/* ---------------------------------------------------------------- one request's life */

static void set_error(struct xfer *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records why the request failed (or is being retried) in its error field. */
static void
set_error(struct xfer *x, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(x->req->error, sizeof(x->req->error), fmt, ap);
    va_end(ap);
}

/* Ends the request with st; the body is kept only for a complete answer worth reading. */
static void
finish(struct fetch *f, struct xfer *x, enum reg_status st)
{
    struct reg_http_request *r = x->req;

    r->result = st;
    r->seconds = (reg_clock_ms() - x->started) / 1000.0;
    if (st == REG_OK)
        r->error[0] = '\0';
    if (!x->answered || st == REG_EINVAL || st == REG_ETOOLARGE)
        reg_buf_cleanup(&r->body);
    x->state = DONE;
    f->active--;
}

/* A header value must be one line of printable text. */
static bool
header_value_ok(const char *v)
{
    if (strlen(v) > REG_HTTP_HEADER_VALUE_MAX)
        return false;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* Validates a request before anything goes out; sets x->url and x->origin. */
static bool
admissible(struct fetch *f, struct xfer *x)
{
    struct reg_http_request *r = x->req;

    if ((r->accept && !header_value_ok(r->accept)) || (r->bearer && !header_value_ok(r->bearer))) {
        set_error(x, "accept or bearer value is too long or contains control characters");
        return false;
    }
    if (r->post && strlen(r->post) > REG_HTTP_POST_MAX) {
        set_error(x, "POST body of %zu bytes exceeds %zu", strlen(r->post), REG_HTTP_POST_MAX);
        return false;
    }
    x->origin = reg_allowlist_match(f->allow, r->url, &x->url);
    if (x->origin < 0) {
        set_error(x, "URL '%.150s' is not under an allowed upstream base",
                  r->url ? r->url : "(null)");
        return false;
    }
    x->base = x->origin;
    return true;
}

static CURL *
new_easy(const struct fetch *f, struct xfer *x)
{
    CURL *h = curl_easy_init(); /* performs curl_global_init if the process did not */

    if (!h)
        reg_oom();
    curl_easy_setopt(h, CURLOPT_PRIVATE, (void *)x);
    if (x->req->post) {
        /* Borrowed, not copied: the request outlives the transfer. */
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(x->req->post));
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, x->req->post);
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    /* A range is of the body as sent: no content coding then. */
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, x->req->range ? NULL : "");
    if (x->req->range)
        curl_easy_setopt(h, CURLOPT_RANGE, x->req->range);
    curl_easy_setopt(h, CURLOPT_USERAGENT, REG_HTTP_USER_AGENT);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, f->cfg.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, (void *)x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, (void *)x);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->curl_error);
    /* Streamed bodies are large: fewer, larger reads and sink calls. */
    if (x->stream)
        curl_easy_setopt(h, CURLOPT_BUFFERSIZE, REG_HTTP_STREAM_BUFFER);
    return h;
}

static void
append_header(struct curl_slist **list, const char *name, const char *value)
{
    size_t len = strlen(name) + strlen(value) + 3;
    char *line = malloc(len);
    struct curl_slist *l;

    if (!line)
        reg_oom();
    snprintf(line, len, "%s: %s", name, value);
    l = curl_slist_append(*list, line);
    free(line);
    if (!l)
        reg_oom();
    *list = l;
}

/* The headers of the current hop: the token only while under the original base. */
static void
build_headers(struct xfer *x)
{
    const struct reg_http_request *r = x->req;

    curl_slist_free_all(x->headers);
    x->headers = NULL;
    if (r->accept)
        append_header(&x->headers, "Accept", r->accept);
    if (r->post) {
        append_header(&x->headers, "Content-Type", "application/json");
        /* No "Expect: 100-continue" wait: that would be one more round trip. */
        x->headers = curl_slist_append(x->headers, "Expect:");
        if (!x->headers)
            reg_oom();
    }
    if (r->bearer && x->base == x->origin) {
        size_t len = strlen(r->bearer) + 8;
        char *v = malloc(len);

        if (!v)
            reg_oom();
        snprintf(v, len, "Bearer %s", r->bearer);
        append_header(&x->headers, "Authorization", v);
        free(v);
    }
}

/* Adds x to the multi handle for one attempt (or hop), within what is left of its time. */
static void
start(struct fetch *f, struct xfer *x, double now)
{
    double left = x->deadline - now;
    long timeout = f->cfg.total_timeout_ms;

    if (left < 1.0) {
        set_error(x, "no time left for '%.150s' (budget %.0f ms)", x->url,
                  request_budget_ms(&f->cfg));
        finish(f, x, REG_EUPSTREAM);
        return;
    }
    if (left < (double)timeout)
        timeout = (long)left;
    build_headers(x);
    reg_buf_reset(&x->req->body);
    x->answered = x->too_large = false;
    x->retry_after[0] = x->curl_error[0] = '\0';
    curl_easy_setopt(x->easy, CURLOPT_URL, x->url);
    curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, timeout);
    if (curl_multi_add_handle(f->multi, x->easy) != CURLM_OK) {
        set_error(x, "cannot start the transfer of '%.150s'", x->url);
        finish(f, x, REG_EUPSTREAM);
        return;
    }
    x->state = RUNNING;
}

/* After a failed attempt (x->req->error says why): schedules the next one, or gives up. */
static void
retry_or_fail(struct fetch *f, struct xfer *x)
{
    struct reg_http_request *r = x->req;
    long delay;
    size_t len = strlen(r->error);

    if (x->stream && x->stream->delivered > 0) {
        snprintf(r->error + len, sizeof(r->error) - len,
                 " (after %lld bytes were streamed: not retried)", (long long)x->stream->delivered);
        finish(f, x, REG_EUPSTREAM);
        return;
    }
    if (r->attempts >= f->cfg.max_attempts) {
        snprintf(r->error + len, sizeof(r->error) - len, " (after %d attempts)", r->attempts);
        finish(f, x, REG_EUPSTREAM);
        return;
    }
    delay = reg_http_retry_delay_ms(&f->cfg, r->status, x->retry_after, r->attempts);
    if (reg_clock_ms() + (double)delay >= x->deadline) {
        snprintf(r->error + len, sizeof(r->error) - len, " (no time left to retry)");
        finish(f, x, REG_EUPSTREAM);
        return;
    }
    r->attempts++;
    x->wake = reg_clock_ms() + (double)delay;
    x->state = PENDING;
}

static bool
is_redirect(long status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* Follows a 3xx to its Location if that lies under an allowed base. */
static void
follow(struct fetch *f, struct xfer *x)
{
    char *location = NULL, *next;
    int base;

    curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_URL, &location);
    if (!location) { /* a 3xx without Location is an answer like any other */
        finish(f, x, REG_OK);
        return;
    }
    if (x->redirects >= REG_HTTP_MAX_REDIRECTS) {
        set_error(x, "more than %d redirects from '%.150s'", REG_HTTP_MAX_REDIRECTS, x->req->url);
        finish(f, x, REG_EUPSTREAM);
        return;
    }
    base = reg_allowlist_match(f->allow, location, &next);
    if (base < 0) {
        set_error(x, "redirect to '%.150s' leaves the allowed upstream bases", location);
        finish(f, x, REG_EINVAL);
        return;
    }
    free(x->url);
    x->url = next;
    x->base = base;
    x->redirects++;
    x->wake = reg_clock_ms();
    x->state = PENDING;
}

/* Transport failures worth another attempt: the network, not our request or the peer's TLS. */
static bool
retryable(CURLcode rc)
{
    return rc != CURLE_URL_MALFORMAT && rc != CURLE_UNSUPPORTED_PROTOCOL &&
           rc != CURLE_PEER_FAILED_VERIFICATION && rc != CURLE_SSL_CACERT_BADFILE &&
           rc != CURLE_SSL_CERTPROBLEM && rc != CURLE_OUT_OF_MEMORY && rc != CURLE_WRITE_ERROR;
}

static enum reg_status
answer_status(long status)
{
    if (status < 400)
        return REG_OK;
    if (status == 404 || status == 410)
        return REG_ENOTFOUND;
    return REG_EUPSTREAM;
}

/* Judges a finished transfer. */
static void
complete(struct fetch *f, struct xfer *x, CURLcode rc)
{
    struct reg_http_request *r = x->req;

    r->status = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r->status);
    x->answered = rc == CURLE_OK && !x->too_large;
    if (x->stream && x->stream->ended) {
        finish(f, x, REG_OK); /* a 200 answer cut at the end of the range asked for */
    } else if (x->stream && x->stream->sink_said != REG_OK) {
        set_error(x, "'%.150s': %s", x->url, reg_error_detail());
        finish(f, x, x->stream->sink_said);
    } else if (x->too_large) {
        set_error(x, "response of '%.150s' exceeds %lld bytes", x->url,
                  x->stream ? (long long)x->stream->max_bytes : (long long)r->body.max);
        finish(f, x, REG_ETOOLARGE);
    } else if (rc != CURLE_OK) {
        set_error(x, "'%.150s': %.80s", x->url,
                  x->curl_error[0] ? x->curl_error : curl_easy_strerror(rc));
        if (retryable(rc))
            retry_or_fail(f, x);
        else
            finish(f, x, REG_EUPSTREAM);
    } else if (is_redirect(r->status) && r->post) {
        set_error(x, "HTTP %ld from '%.150s': a POST is not redirected", r->status, x->url);
        finish(f, x, REG_EUPSTREAM);
    } else if (is_redirect(r->status)) {
        follow(f, x);
    } else if (r->status == 429 || r->status >= 500) {
        set_error(x, "HTTP %ld from '%.150s'", r->status, x->url);
        retry_or_fail(f, x);
    } else {
        if (r->status >= 400)
            set_error(x, "HTTP %ld from '%.150s'", r->status, x->url);
        finish(f, x, answer_status(r->status));
    }
}

/* ---------------------------------------------------------------- the multi loop */

static void
start_due(struct fetch *f)
{
    double now = reg_clock_ms();

    for (int i = 0; i < f->n; i++)
        if (f->x[i].state == PENDING && f->x[i].wake <= now)
            start(f, &f->x[i], now);
}

static void
collect(struct fetch *f)
{
    for (;;) {
        int left;
        CURLMsg *m = curl_multi_info_read(f->multi, &left);
        void *p = NULL;
        CURLcode rc;

        if (!m)
            break;
        if (m->msg != CURLMSG_DONE)
            continue;
        rc = m->data.result;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p);
        curl_multi_remove_handle(f->multi, m->easy_handle); /* m is invalid from here */
        complete(f, p, rc);
    }
}

/* How long the loop may sleep: until the next PENDING transfer is due (at most POLL_MAX_MS). */
static int
poll_timeout(const struct fetch *f)
{
    double now = reg_clock_ms(), wait = POLL_MAX_MS;

    for (int i = 0; i < f->n; i++)
        if (f->x[i].state == PENDING && f->x[i].wake - now < wait)
            wait = f->x[i].wake - now;
    return wait <= 0 ? 0 : (int)wait + 1;
}

static void
run(struct fetch *f)
{
    while (f->active > 0) {
        int running = 0;

        start_due(f);
        curl_multi_perform(f->multi, &running);
        collect(f);
        if (f->active > 0)
            curl_multi_poll(f->multi, NULL, 0, poll_timeout(f), NULL);
    }
}

/* ---------------------------------------------------------------- setup and teardown */

static void
reset_results(struct reg_http_request *r)
{
    r->result = REG_EINTERNAL;
    r->status = 0;
    r->seconds = 0;
    r->attempts = 0;
    r->error[0] = '\0';
    reg_buf_cleanup(&r->body);
    reg_buf_init(&r->body, r->max_bytes ? r->max_bytes : REG_HTTP_DEFAULT_MAX_BYTES);
}

/* Takes request r into x: validated and PENDING, or DONE with REG_EINVAL. */
static void
admit(struct fetch *f, struct xfer *x, struct reg_http_request *r)
{
    x->req = r;
    x->started = x->wake = reg_clock_ms();
    x->deadline = x->started + request_budget_ms(&f->cfg);
    reset_results(r);
    f->active++;
    if (!admissible(f, x)) {
        finish(f, x, REG_EINVAL);
        return;
    }
    r->attempts = 1;
    x->state = PENDING;
    x->easy = new_easy(f, x);
}

static void
fetch_cleanup(struct fetch *f)
{
    for (int i = 0; f->x && i < f->n; i++) {
        struct xfer *x = &f->x[i];

        if (x->state == RUNNING)
            curl_multi_remove_handle(f->multi, x->easy);
        curl_easy_cleanup(x->easy);
        curl_slist_free_all(x->headers);
        free(x->url);
    }
    free(f->x);
    curl_multi_cleanup(f->multi);
    reg_allowlist_free(f->allow);
}

/* Marks every request REG_EINVAL for a configuration that cannot be used. */
static void
refuse_all(struct reg_http_request *reqs, int n)
{
    for (int i = 0; i < n; i++) {
        reset_results(&reqs[i]);
        reqs[i].result = REG_EINVAL;
        snprintf(reqs[i].error, sizeof(reqs[i].error), "%s", reg_error_detail());
    }
}

/* Runs the n requests (the first one streamed into s when s is non-NULL); cfg is usable. */
static enum reg_status
fetch(const struct reg_http_config *cfg, struct reg_http_request *reqs, int n, struct stream *s)
{
    struct fetch f = {0};

    if (reg_allowlist_new(cfg->allowed_bases, cfg->nallowed, &f.allow) != REG_OK) {
        refuse_all(reqs, n);
        return REG_EINVAL;
    }
    f.cfg = with_defaults(cfg);
    f.n = n;
    f.x = calloc((size_t)n + 1, sizeof(*f.x));
    if (!f.x)
        reg_oom();
    if (n > 0)
        f.x[0].stream = s;
    for (int i = 0; i < n; i++)
        admit(&f, &f.x[i], &reqs[i]);
    if (f.active > 0) {
        f.multi = curl_multi_init(); /* after curl_easy_init, which initialised libcurl */
        if (!f.multi)
            reg_oom();
        run(&f);
    }
    fetch_cleanup(&f);
    return REG_OK;
}

static bool
config_usable(const struct reg_http_config *cfg)
{
    return cfg && cfg->nallowed >= 0 && (cfg->nallowed == 0 || cfg->allowed_bases);
}

enum reg_status
reg_http_fetch_all(const struct reg_http_config *cfg, struct reg_http_request *reqs, int n)
{
    if (n < 0 || (n > 0 && !reqs))
        return reg_errorf(REG_EINVAL, "reg_http_fetch_all: %d requests at %p", n, (void *)reqs);
    if (!config_usable(cfg)) {
        reg_errorf(REG_EINVAL, "reg_http_fetch_all: no usable configuration");
        refuse_all(reqs, n);
        return REG_EINVAL;
    }
    return fetch(cfg, reqs, n, NULL);
}

/* The outcome of a streamed request: only a whole 2xx answer is success. */
static enum reg_status
stream_outcome(struct reg_http_request *r, struct reg_http_stream_result *out)
{
    enum reg_status st = r->result;

    if (st == REG_OK && (r->status < 200 || r->status > 299)) {
        snprintf(r->error, sizeof(r->error), "HTTP %ld from '%.150s' is not a body to stream",
                 r->status, r->url);
        st = REG_EUPSTREAM;
    }
    out->status = r->status;
    out->attempts = r->attempts;
    out->seconds = r->seconds;
    snprintf(out->error, sizeof(out->error), "%s", r->error);
    if (st != REG_OK)
        reg_errorf(st, "%s", out->error);
    return st;
}

/* Streams the request r into s (r's range, if any, matches s's). */
static enum reg_status
stream_request(const struct reg_http_config *cfg, struct reg_http_request *r, struct stream *s,
               struct reg_http_stream_result *out)
{
    enum reg_status st;

    if (!out)
        return reg_errorf(REG_EINVAL, "reg_http_stream: no result");
    memset(out, 0, sizeof(*out));
    if (!config_usable(cfg) || !s->sink || s->max_bytes <= 0) {
        st = reg_errorf(REG_EINVAL, "reg_http_stream: no usable configuration, sink or cap");
        snprintf(out->error, sizeof(out->error), "%s", reg_error_detail());
        return st;
    }
    fetch(cfg, r, 1, s); /* its outcome, a refused base included, is in r */
    out->bytes = s->delivered;
    st = stream_outcome(r, out);
    reg_http_request_cleanup(r);
    return st;
}

enum reg_status
reg_http_stream(const struct reg_http_config *cfg, const char *url, const char *accept,
                const char *bearer, int64_t max_bytes, reg_http_sink_fn sink, void *ctx,
                struct reg_http_stream_result *out)
{
    struct stream s = {sink, ctx, max_bytes, 0, REG_OK, 0, -1, false};
    struct reg_http_request r;

    reg_http_request_init(&r, url, 1); /* the body buffer stays unused */
    r.accept = accept;
    r.bearer = bearer;
    return stream_request(cfg, &r, &s, out);
}

enum reg_status
reg_http_stream_range(const struct reg_http_config *cfg, const char *url, const char *accept,
                      const char *bearer, int64_t offset, int64_t len, reg_http_sink_fn sink,
                      void *ctx, struct reg_http_stream_result *out)
{
    struct stream s = {sink, ctx, INT64_MAX, 0, REG_OK, offset, len < 0 ? -1 : len, false};
    struct reg_http_request r;
    char range[64];

    if (offset < 0 || len == 0 || (len > 0 && offset > INT64_MAX - len)) {
        if (out)
            memset(out, 0, sizeof(*out));
        return reg_errorf(REG_EINVAL, "reg_http_stream_range: bad range %lld+%lld",
                          (long long)offset, (long long)len);
    }
    if (len < 0)
        snprintf(range, sizeof(range), "%lld-", (long long)offset);
    else
        snprintf(range, sizeof(range), "%lld-%lld", (long long)offset,
                 (long long)(offset + len - 1));
    reg_http_request_init(&r, url, 1);
    r.accept = accept;
    r.bearer = bearer;
    r.range = range;
    return stream_request(cfg, &r, &s, out);
}

/* ---------------------------------------------------------------- requests */

void
reg_http_request_init(struct reg_http_request *r, const char *url, size_t max_bytes)
{
    memset(r, 0, sizeof(*r));
    r->url = url;
    r->max_bytes = max_bytes;
    r->result = REG_EINTERNAL;
    reg_buf_init(&r->body, max_bytes ? max_bytes : REG_HTTP_DEFAULT_MAX_BYTES);
}

void
reg_http_request_cleanup(struct reg_http_request *r)
{
    if (!r)
        return;
    reg_buf_cleanup(&r->body);
}
