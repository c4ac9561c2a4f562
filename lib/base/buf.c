/*
 * buf.c - growth by doubling, never past the buffer's max.
 */
#include "base/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"

void
reg_buf_init(struct reg_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

void
reg_buf_cleanup(struct reg_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void
reg_buf_reset(struct reg_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static enum reg_status
reserve(struct reg_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    size_t cap = b->cap ? b->cap : 256;
    char *p;

    if (extra > b->max || b->len + extra > b->max)
        return reg_errorf(REG_ETOOLARGE, "content exceeds %zu bytes", b->max);
    if (need <= b->cap)
        return REG_OK;
    while (cap < need)
        cap *= 2;
    p = realloc(b->data, cap);
    if (!p)
        reg_oom();
    b->data = p;
    b->cap = cap;
    return REG_OK;
}

enum reg_status
reg_buf_append(struct reg_buf *b, const void *data, size_t len)
{
    enum reg_status st = reserve(b, len);

    if (st != REG_OK)
        return st;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return REG_OK;
}

enum reg_status
reg_buf_puts(struct reg_buf *b, const char *s)
{
    return reg_buf_append(b, s, strlen(s));
}

enum reg_status
reg_buf_printf(struct reg_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    enum reg_status st;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return reg_errorf(REG_EINTERNAL, "bad format");
    st = reserve(b, (size_t)n);
    if (st != REG_OK)
        return st;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return REG_OK;
}

char *
reg_buf_take(struct reg_buf *b)
{
    char *p = b->data;

    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
