/*
 * http_client.h - the registry's only way out to the network: GET requests (and the POST of a
 * GraphQL query) to the configured upstream APIs (HF_ENDPOINT, GITHUB_API_URL), run
 * concurrently on one curl multi handle so that all the metadata calls of a registration cost
 * about one round trip.
 *
 * What it guarantees:
 *   - Allow-list (no SSRF, upstream/allowlist.h): a URL is fetched only if it lies under one of
 *     the configured allowed bases. The check runs before any network activity, and again for
 *     every redirect hop.
 *   - Redirects (301, 302, 303, 307, 308) are followed here, at most REG_HTTP_MAX_REDIRECTS
 *     hops, only within the allowed bases. The bearer token is sent only while the hop lies
 *     under the same base as the original URL. A POST is never redirected: its redirect is a
 *     failure (REG_EUPSTREAM), since resending a body elsewhere is not what was asked for.
 *   - HTTPS verifies the peer and host name; plain http is possible only when an allowed base
 *     is itself http (the loopback fixture server under test). Protocols: http and https.
 *   - Retries: 429, 5xx and transport failures (timeouts, resets, refused connections) are
 *     retried up to max_attempts, a POST too: post only what is safe to repeat (a query). A 429 or 503 with Retry-After (seconds or an HTTP date)
 *     waits that long; anything else waits a full-jitter exponential backoff from
 *     REG_HTTP_BACKOFF_BASE_MS. Every wait is capped at max_retry_after_ms.
 *   - Time: each attempt (or redirect hop) is bounded by total_timeout_ms, and each request by
 *     max_attempts x total_timeout_ms + (max_attempts - 1) x max_retry_after_ms overall.
 *   - The response body is capped at max_bytes while it streams: the transfer is aborted
 *     at the first byte past the cap, never buffered beyond it. Gzip/deflate are accepted and
 *     the cap applies to the decoded body.
 *   - No signals (CURLOPT_NOSIGNAL), so it is safe in the pre-forked workers.
 *
 * libcurl initialisation: curl_global_init(CURL_GLOBAL_DEFAULT) is the process's concern; call
 * it once at start-up while only one thread runs. If it was never called, the first
 * curl_easy_init made here performs it lazily (libcurl's documented behaviour), which is also
 * correct as long as no other thread is inside libcurl at that moment.
 *
 * Ownership: the caller owns the config, the request array and every string they point to
 * (url, accept, bearer, allowed_bases); all are borrowed for the duration of
 * reg_http_fetch_all (or reg_http_stream) only. Each request owns its body buffer from
 * reg_http_request_init until reg_http_request_cleanup (or until the caller takes the data
 * with reg_buf_take). Nothing is allocated from an arena and nothing outlives the call but the
 * bodies.
 */
#ifndef REG_UPSTREAM_HTTP_CLIENT_H
#define REG_UPSTREAM_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/status.h"

/* Defaults for the config fields left at 0 (or set negative). */
#define REG_HTTP_CONNECT_TIMEOUT_MS 3000L
#define REG_HTTP_TOTAL_TIMEOUT_MS 15000L
#define REG_HTTP_MAX_ATTEMPTS 3
#define REG_HTTP_MAX_RETRY_AFTER_MS 5000L
/* The first backoff is at most this long; each further one doubles the bound. */
#define REG_HTTP_BACKOFF_BASE_MS 100L
/* Redirect hops followed per request. */
#define REG_HTTP_MAX_REDIRECTS 5
/* Longest URL accepted (bytes). */
#define REG_HTTP_URL_MAX 8192
/* Longest Accept or bearer value accepted (bytes). */
#define REG_HTTP_HEADER_VALUE_MAX 4096
/* Longest POST body accepted (bytes): a GraphQL query with its variables. */
#define REG_HTTP_POST_MAX ((size_t)64 * 1024)
/* Receive buffer of a streamed GET (bytes; libcurl's default is 16 KiB). */
#define REG_HTTP_STREAM_BUFFER (512L * 1024)
/* Response body cap used when a request's max_bytes is 0. */
#define REG_HTTP_DEFAULT_MAX_BYTES ((size_t)8 * 1024 * 1024)
/* Sent with every request. */
#define REG_HTTP_USER_AGENT "trustworthy-model-registry/1.0 (+libcurl)"

struct reg_http_config {
    /* Bases a request URL must lie under, e.g. {"https://huggingface.co",
     * "https://api.github.com"}: absolute http(s) URLs without user information, query or
     * fragment; a path is allowed ("https://mirror.example/hf"), a trailing '/' is ignored. */
    const char *const *allowed_bases;
    int nallowed;
    long connect_timeout_ms; /* default REG_HTTP_CONNECT_TIMEOUT_MS */
    long total_timeout_ms;   /* per attempt (and per redirect hop); default 15000 */
    int max_attempts;        /* including the first; default 3 */
    long max_retry_after_ms; /* cap on every wait between attempts; default 5000 */
};

/*
 * One GET, or one POST when post is set. The caller fills url, accept, bearer, post and
 * max_bytes (reg_http_request_init sets url and max_bytes); reg_http_fetch_all fills the
 * results, overwriting those of any earlier call.
 */
struct reg_http_request {
    const char *url;
    const char *accept; /* Accept header, or NULL for curl's default */
    const char *bearer; /* "Authorization: Bearer <bearer>" when non-NULL (HF_TOKEN, ...) */
    const char *post;   /* NULL: a GET. Otherwise a POST of this NUL-terminated JSON text
                         * (Content-Type: application/json), at most REG_HTTP_POST_MAX bytes */
    size_t max_bytes;   /* decoded body cap; 0 means REG_HTTP_DEFAULT_MAX_BYTES */
    const char *range;  /* NULL, or the bytes wanted, "first-last" or "first-" (a Range header,
                         * on every hop; no content coding is asked for then) */

    /* Results. */
    /* REG_OK: an HTTP answer < 400 after redirects.
     * REG_ENOTFOUND: 404 or 410.
     * REG_EUPSTREAM: any other 4xx (401/403 included: look at status), 429 or 5xx once the
     *   attempts are used up, a transport failure or timeout, too many redirects, a redirected
     *   POST.
     * REG_ETOOLARGE: the body exceeded max_bytes.
     * REG_EINVAL: the URL (or a redirect target) lies outside the allowed bases or is not a
     *   valid http(s) URL; or accept/bearer contain control characters or are too long; or
     *   the POST body is longer than REG_HTTP_POST_MAX. */
    enum reg_status result;
    long status;         /* the last HTTP status received (0 if none) */
    struct reg_buf body; /* the last answer's body when result is REG_OK, REG_ENOTFOUND or
                          * REG_EUPSTREAM with a status; empty otherwise. Owned here. */
    double seconds;      /* wall time of this request, retries and redirects included */
    int attempts;        /* attempts made (redirect hops are not counted) */
    char error[256];     /* why, when result != REG_OK; "" otherwise */
};

/* Zeroes r and sets its url and body cap. url is borrowed. */
void reg_http_request_init(struct reg_http_request *r, const char *url, size_t max_bytes);

/* Frees the body. Accepts NULL; r can be initialised again afterwards. */
void reg_http_request_cleanup(struct reg_http_request *r);

/*
 * Runs the n requests concurrently, each with its own retries and redirects, and waits until
 * all are finished. Returns REG_OK when every request was attempted: its outcome is in its
 * result fields. Returns REG_EINVAL (with reg_errorf) only for a misuse: n < 0, a NULL array or
 * config, or an allowed base that is not a valid base URL (every request then gets REG_EINVAL
 * too). Blocks at most about max_attempts x total_timeout_ms plus the capped waits.
 */
enum reg_status reg_http_fetch_all(const struct reg_http_config *cfg, struct reg_http_request *reqs,
                                   int n);

/*
 * Streaming: one GET whose body is handed over chunk by chunk instead of being buffered, for
 * files of any size (bundles). The sink receives, in order, every byte of the final 2xx
 * answer's (decoded) body in chunks of at most REG_HTTP_STREAM_BUFFER bytes, len > 0;
 * bodies of redirects, errors and retried answers never reach it. It returns REG_OK to go on;
 * any other status (with a detail recorded by reg_errorf) stops the transfer, and
 * reg_http_stream returns that status.
 */
typedef enum reg_status (*reg_http_sink_fn)(void *ctx, const void *data, size_t len);

/* What a streamed GET did. */
struct reg_http_stream_result {
    long status;     /* the last HTTP status received (0 if none) */
    int64_t bytes;   /* bytes handed to the sink */
    int attempts;    /* attempts made (redirect hops are not counted) */
    double seconds;  /* wall time, retries and redirects included */
    char error[256]; /* why, when the call failed; "" otherwise */
};

/*
 * GETs url and streams its body into sink(ctx, ...). The rules of reg_http_fetch_all apply:
 * the allow-list (checked before any network activity and for every redirect hop), redirects,
 * the Accept and bearer headers, timeouts (each attempt is bounded by total_timeout_ms, so a
 * caller streaming large files passes a config whose total_timeout_ms covers one whole
 * transfer), and retries of 429, 5xx and transport failures, but only while no byte has been
 * handed to the sink: once one has, a failure ends the call (the sink cannot take bytes back).
 *
 * Returns REG_OK when a 2xx answer was received whole (out->bytes is its length);
 * REG_ETOOLARGE as soon as the body would pass max_bytes (> 0; the bytes past it are never
 * handed over); REG_ENOTFOUND for 404/410; REG_EUPSTREAM for any other answer (a 3xx without
 * Location included), a transport failure or timeout, too many redirects, or a failure after
 * bytes were handed over; REG_EINVAL for a URL or redirect outside the allowed bases, a bad
 * header value or a misuse (no config, sink or out; max_bytes <= 0); or the sink's own status.
 * Every failure records its detail (also in out->error) with reg_errorf. url, accept and
 * bearer are borrowed for the call; nothing outlives it.
 */
enum reg_status reg_http_stream(const struct reg_http_config *cfg, const char *url,
                                const char *accept, const char *bearer, int64_t max_bytes,
                                reg_http_sink_fn sink, void *ctx,
                                struct reg_http_stream_result *out);

/*
 * reg_http_stream for bytes [offset, offset + len) of the body (len -1: to its end), asked for
 * with a Range header: a 206 answer streams those bytes; a 200 answer (a server that ignores
 * Range) is accepted only for offset 0, and then only len bytes reach the sink, as if the
 * sink had stopped there. A sink that has what it needs stops the transfer by returning a
 * status of its own, which the call returns (the caller knows it is not a failure).
 */
enum reg_status reg_http_stream_range(const struct reg_http_config *cfg, const char *url,
                                      const char *accept, const char *bearer, int64_t offset,
                                      int64_t len, reg_http_sink_fn sink, void *ctx,
                                      struct reg_http_stream_result *out);

/* Whether reg_http_fetch_all would fetch url under cfg (no network activity). */
bool reg_http_url_allowed(const struct reg_http_config *cfg, const char *url);

/*
 * How long to wait (ms) before attempt number attempt + 1, after attempt number attempt
 * (1-based) answered status (0 for a transport failure) with the Retry-After header value
 * retry_after (NULL or "" if absent). Retry-After counts only for 429 and 503. The result is
 * in [0, max_retry_after_ms]. Exposed for the unit tests.
 */
long reg_http_retry_delay_ms(const struct reg_http_config *cfg, long status,
                             const char *retry_after, int attempt);

#endif
