/*
 * log.h - leveled log lines on stderr (the launcher sends stderr to the data directory's log).
 *
 * A line is "2026-11-26T05:02:28Z pid=123 LEVEL message".
 */
#ifndef REG_BASE_LOG_H
#define REG_BASE_LOG_H

enum reg_log_level { REG_LOG_DEBUG, REG_LOG_INFO, REG_LOG_WARN, REG_LOG_ERROR };

void reg_log(enum reg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
