/* The campaign clock (see clock.h). */
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "util.h"

struct fp_clock {
	int mode;
	int64_t start;		/* campaign moment at base */
	double base;		/* CLOCK_MONOTONIC seconds at creation */
	double rate;
	int64_t manual;
	void (*on_change)(void *);
	void *arg;
};

static double
monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct fp_clock *
clock_create(int mode, int64_t start, double rate)
{
	struct fp_clock *c = xcalloc(1, sizeof(*c));

	c->mode = mode;
	c->start = start;
	c->rate = rate > 0 ? rate : 1.0;
	c->base = monotonic_seconds();
	c->manual = start;
	return c;
}

void
clock_free(struct fp_clock *c)
{
	free(c);
}

int
clock_mode(const struct fp_clock *c)
{
	return c->mode;
}

const char *
clock_mode_name(const struct fp_clock *c)
{
	switch (c->mode) {
	case CLOCK_SIMULATED:
		return "simulated";
	case CLOCK_MANUAL:
		return "manual";
	default:
		return "real";
	}
}

int64_t
clock_now(const struct fp_clock *c)
{
	struct timespec ts;

	switch (c->mode) {
	case CLOCK_MANUAL:
		return c->manual;
	case CLOCK_SIMULATED:
		return c->start +
		    (int64_t)floor((monotonic_seconds() - c->base) * c->rate);
	default:
		clock_gettime(CLOCK_REALTIME, &ts);
		return (int64_t)ts.tv_sec;
	}
}

int
clock_set(struct fp_clock *c, int64_t t)
{
	if (c->mode != CLOCK_MANUAL || t < c->manual)
		return -1;
	c->manual = t;
	if (c->on_change != NULL)
		c->on_change(c->arg);
	return 0;
}

int
clock_advance(struct fp_clock *c, int64_t seconds)
{
	if (seconds < 0)
		return -1;
	return clock_set(c, c->manual + seconds);
}

double
clock_real_delay(const struct fp_clock *c, int64_t t)
{
	int64_t now = clock_now(c);

	if (c->mode == CLOCK_MANUAL)
		return t <= now ? 0 : -1;
	if (t <= now)
		return 0;
	if (c->mode == CLOCK_SIMULATED)
		return (double)(t - now) / c->rate;
	return (double)(t - now);
}

void
clock_on_change(struct fp_clock *c, void (*fn)(void *), void *arg)
{
	c->on_change = fn;
	c->arg = arg;
}

int
clock_resume(struct fp_clock *c, int64_t t)
{
	int64_t now = clock_now(c);

	if (c->mode == CLOCK_REAL || t <= now)
		return -1;
	if (c->mode == CLOCK_MANUAL)
		c->manual = t;
	else
		c->start += t - now;
	return 0;
}
