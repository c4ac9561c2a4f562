/*
 * status.c - the status table and the per-thread error detail.
 */
#include "base/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/limits.h"

#undef reg_errorf /* status.h's analyzer-only macro would rename the definition below */

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

enum reg_status
reg_errorf(enum reg_status st, const char *fmt, ...)
{
    /* Formatted aside first: a caller may quote the current detail ("user name: %s" with
     * reg_error_detail()), which writing in place would overwrite while it is read. */
    char text[sizeof(detail)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    memcpy(detail, text, sizeof(detail));
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
