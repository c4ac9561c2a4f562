/*
 * status.h - the registry's error codes and their one mapping to HTTP.
 *
 * Every fallible function returns an enum reg_status. Where the error happens it is written
 *     return reg_errorf(REG_ENOTFOUND, "artifact %s", id);
 * which records a human-readable detail (per thread, like git_error_set) and returns the code.
 * Callers propagate the code; only http/response.c turns it into an HTTP status and a JSON
 * body {"error": <name>, "detail": <detail>}.
 */
#ifndef REG_BASE_STATUS_H
#define REG_BASE_STATUS_H

/* X(enum name, HTTP status, machine-readable error name) */
#define REG_STATUS_TABLE(X)                                                                        \
    X(REG_OK, 200, "ok")                                                                           \
    X(REG_EINVAL, 400, "bad_request")                                                              \
    X(REG_EDENIED, 401, "not_permitted")                                                           \
    X(REG_EAUTH, 403, "authentication_failed")                                                     \
    X(REG_EFORBIDDEN, 403, "forbidden")                                                            \
    X(REG_ENOTFOUND, 404, "not_found")                                                             \
    X(REG_ENOROUTE, 404, "no_such_route")                                                          \
    X(REG_EMETHOD, 405, "method_not_allowed")                                                      \
    X(REG_ECONFLICT, 409, "conflict")                                                              \
    X(REG_ETOOLARGE, 413, "too_large")                                                             \
    X(REG_EDISQUALIFIED, 424, "disqualified")                                                      \
    X(REG_ETOOMANY, 429, "too_many_requests")                                                      \
    X(REG_ESTORE, 500, "store_error")                                                              \
    X(REG_ENOMEM, 500, "out_of_memory")                                                            \
    X(REG_EINTERNAL, 500, "internal_error")                                                        \
    X(REG_ENOTIMPL, 501, "not_implemented")                                                        \
    X(REG_EUPSTREAM, 502, "upstream_error")                                                        \
    X(REG_EUNAVAILABLE, 503, "unavailable")                                                        \
    X(REG_ENOSPACE, 507, "insufficient_storage")

enum reg_status {
#define REG_STATUS_ENUM(name, http, text) name,
    REG_STATUS_TABLE(REG_STATUS_ENUM)
#undef REG_STATUS_ENUM
};

/* The HTTP status code for a status value. */
int reg_status_http(enum reg_status st);

/* The machine-readable name of a status ("not_found"); a static string. */
const char *reg_status_name(enum reg_status st);

/* Records a printf-style detail for the current thread and returns st. */
enum reg_status reg_errorf(enum reg_status st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The coverage build's error census (make coverage, -DREG_ERROR_TRACE): every reg_errorf also
 * appends its call site "file:line" to the file named by REG_ERROR_TRACE_FILE, so that
 * scripts/error_messages.py can tell which messages the tests produced. Other builds call
 * reg_errorf directly. */
enum reg_status reg_errorf_at(const char *file, int line, enum reg_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#if defined(REG_ERROR_TRACE) && !defined(__clang_analyzer__)
#define reg_errorf(...) reg_errorf_at(__FILE__, __LINE__, __VA_ARGS__)
#endif

#ifdef __clang_analyzer__
/* For the static analyzer only (clang-tidy, make lint), which does not look into variadic
 * functions: spells out that reg_errorf returns st, so that `return reg_errorf(REG_EINVAL, ...)`
 * is an error path to it and not a possible REG_OK. st is evaluated twice: keep it plain. */
static inline enum reg_status
reg_errorf_returns(enum reg_status st, enum reg_status recorded)
{
    (void)recorded;
    return st;
}
#define reg_errorf(st, ...) reg_errorf_returns(st, reg_errorf(st, __VA_ARGS__))
#endif

/* The detail recorded by the last reg_errorf on this thread ("" if none); borrowed. */
const char *reg_error_detail(void);

/* Records, with the error about to be returned, how many seconds the client should wait
 * before trying again (a Retry-After header on the answer); 0 forgets it. */
void reg_error_retry_after(int seconds);

/* The seconds recorded by reg_error_retry_after on this thread (0 if none). */
int reg_error_retry_after_seconds(void);

/* Records, with the error about to be returned, a longer text that the answer's detail carries
 * after the recorded one (a refused download's monitor output, up to 64 KiB, beyond
 * REG_ERROR_DETAIL_MAX). text is borrowed: it must live until the answer is rendered (the
 * request's arena); NULL forgets it. */
void reg_error_attach(const char *text);

/* The text recorded by reg_error_attach on this thread (NULL if none); borrowed. */
const char *reg_error_attachment(void);

/* Forgets the recorded detail, attachment and Retry-After (at the start of each request). */
void reg_error_clear(void);

#endif
