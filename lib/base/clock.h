/*
 * clock.h - the monotonic clock in milliseconds: for durations, timeouts and the shared tables'
 * windows (never for dates; those are time(NULL)).
 */
#ifndef REG_BASE_CLOCK_H
#define REG_BASE_CLOCK_H

/* Milliseconds of CLOCK_MONOTONIC, with the fraction. */
double reg_clock_ms(void);

#endif
