/*
 * clock.h - the monotonic clock in milliseconds: for durations, timeouts and the shared tables'
 * windows (never for dates; those are time(NULL)).
 */
#ifndef REG_BASE_CLOCK_H
#define REG_BASE_CLOCK_H

#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC, with the fraction. */
double reg_clock_ms(void);

/* Whole milliseconds of CLOCK_MONOTONIC (the shared tables' timestamps). */
int64_t reg_clock_ms_whole(void);

#endif
