/*
 * status.c - the status table and the per-thread error detail.
 */
#include "base/status.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/limits.h"

#undef reg_errorf /* status.h's analyzer and trace macros would rename the definition below */

static _Thread_local char detail[REG_ERROR_DETAIL_MAX];
static _Thread_local int retry_after;
static _Thread_local const char *attachment;

int
reg_status_http(enum reg_status st)
{
    switch (st) {
#define REG_STATUS_HTTP(name, http, text)                                                          \
    case name:                                                                                     \
        return http;
        REG_STATUS_TABLE(REG_STATUS_HTTP)
#undef REG_STATUS_HTTP
    }
    return 500;
}

const char *
reg_status_name(enum reg_status st)
{
    switch (st) {
#define REG_STATUS_TEXT(name, http, text)                                                          \
    case name:                                                                                     \
        return text;
        REG_STATUS_TABLE(REG_STATUS_TEXT)
#undef REG_STATUS_TEXT
    }
    return "internal_error";
}

/* Formatted aside first: a caller may quote the current detail ("user name: %s" with
 * reg_error_detail()), which writing in place would overwrite while it is read. */
static void record(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static void
record(const char *fmt, va_list ap)
{
    char text[sizeof(detail)];

    vsnprintf(text, sizeof(text), fmt, ap);
    memcpy(detail, text, sizeof(detail));
}

enum reg_status
reg_errorf(enum reg_status st, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    record(fmt, ap);
    va_end(ap);
    return st;
}

/* One write(2) per site on an O_APPEND file: lines from concurrent workers do not interleave.
 * errno is kept: a caller may still read it after recording the error. */
static void
trace_site(const char *file, int line)
{
    const char *path = getenv("REG_ERROR_TRACE_FILE");
    char text[512];
    int saved = errno;

    if (path && path[0]) {
        int n = snprintf(text, sizeof(text), "%s:%d\n", file, line);
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

        if (fd >= 0) {
            /* a lost census line is not worth failing the request over */
            ssize_t written = n > 0 && (size_t)n < sizeof(text) ? write(fd, text, (size_t)n) : 0;
            (void)written;
            close(fd);
        }
    }
    errno = saved;
}

enum reg_status
reg_errorf_at(const char *file, int line, enum reg_status st, const char *fmt, ...)
{
    va_list ap;

    trace_site(file, line);
    va_start(ap, fmt);
    record(fmt, ap);
    va_end(ap);
    return st;
}

const char *
reg_error_detail(void)
{
    return detail;
}

void
reg_error_retry_after(int seconds)
{
    retry_after = seconds > 0 ? seconds : 0;
}

int
reg_error_retry_after_seconds(void)
{
    return retry_after;
}

void
reg_error_attach(const char *text)
{
    attachment = text;
}

const char *
reg_error_attachment(void)
{
    return attachment;
}

void
reg_error_clear(void)
{
    detail[0] = '\0';
    retry_after = 0;
    attachment = NULL;
}
