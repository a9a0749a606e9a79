/*
 * The daemon's clock: real, simulated (start + rate x elapsed real time) or
 * manual (moved only by CLOCK SET/ADVANCE). Everything time-based in fupind
 * reads this clock; nothing else asks the system for the time of day.
 */
#ifndef FUPIN_CLOCK_H
#define FUPIN_CLOCK_H

#include <stdint.h>

#include "config.h"

struct fp_clock;

struct fp_clock *clock_create(int mode, int64_t start, double rate);
void clock_free(struct fp_clock *);
int clock_mode(const struct fp_clock *);
const char *clock_mode_name(const struct fp_clock *);
int64_t clock_now(const struct fp_clock *);
/* Manual clock only: 0, or -1 (not manual, or t before now). */
int clock_set(struct fp_clock *, int64_t t);
int clock_advance(struct fp_clock *, int64_t seconds);
/* Move a manual or simulated clock forward to t without calling the change
 * hook (start-up resume); -1 on a real clock or if t is not ahead. */
int clock_resume(struct fp_clock *, int64_t t);
/* Real seconds from now until the clock reads t; 0 if already past, and
 * -1 on a manual clock, where only CLOCK moves time. */
double clock_real_delay(const struct fp_clock *, int64_t t);
/* Called after every CLOCK SET/ADVANCE so timers can be re-armed. */
void clock_on_change(struct fp_clock *, void (*)(void *), void *);

#endif
