/*
 * buf.h - bounded growable byte buffer (after curl's dynbuf).
 *
 * Ownership: the buffer owns data until reg_buf_cleanup(), or until reg_buf_take() hands it to
 * the caller (who then frees it with free()). Appending past max returns REG_ETOOLARGE and
 * leaves the content as it was. data is always NUL-terminated once anything was appended.
 */
#ifndef REG_BASE_BUF_H
#define REG_BASE_BUF_H

#include <stddef.h>

#include "base/status.h"

struct reg_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
};

void reg_buf_init(struct reg_buf *b, size_t max);
void reg_buf_cleanup(struct reg_buf *b);
void reg_buf_reset(struct reg_buf *b);
enum reg_status reg_buf_append(struct reg_buf *b, const void *data, size_t len);
enum reg_status reg_buf_puts(struct reg_buf *b, const char *s);
enum reg_status reg_buf_printf(struct reg_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hands the data to the caller (may be NULL if empty) and empties the buffer. */
char *reg_buf_take(struct reg_buf *b);

#endif
