/*
 * The campaign calendar: stages, windows, the data-entry lock and tasks,
 * each with an optional opening and a due moment, plus the holidays and
 * make-up days that define working days. Pure: it reads one libconfig file
 * (workflows/<campaign>/calendar.conf, whose syntax is documented at its
 * top) and answers questions about moments; no clock, no I/O afterwards.
 */
#ifndef FUPIN_CALENDAR_H
#define FUPIN_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

struct errlist;
struct cal;

/* Every string is owned by the calendar and lives until cal_free. */
struct cal_item {
	const char *id;
	const char *kind; /* "stage", "window", "lock" or "task" */
	const char *title_zh;
	const char *title_en;
	int64_t opens; /* INT64_MIN if none: open from the start of time */
	int64_t due;   /* work must be finished before this moment */
};

/*
 * What the calendar alone knows about an item at a moment:
 *   UPCOMING  now < opens
 *   OPEN      opens <= now < due - due_soon
 *   DUE_SOON  due - due_soon <= now < due (and now >= opens)
 *   OVERDUE   now >= due, for a stage or a task: work may still be
 *             outstanding; only the engine knows which village is late and
 *             may report CLOSED once every village has finished
 *   CLOSED    now >= due, for a window or the lock: time is simply up
 */
enum cal_status {
	CAL_UPCOMING,
	CAL_OPEN,
	CAL_DUE_SOON,
	CAL_OVERDUE,
	CAL_CLOSED
};

/* Load and validate; NULL with every problem added to errs ("file:line:
 * key: message"). The caller owns the result. */
struct cal *cal_load(const char *path, struct errlist *errs);
void cal_free(struct cal *);

size_t cal_count(const struct cal *);
/* Items in file order; NULL past the end. */
const struct cal_item *cal_item_at(const struct cal *, size_t);
const struct cal_item *cal_find(const struct cal *, const char *id);
/* 1 if id names an item: the shape of the workflow loader's callback. */
int cal_exists(const char *id, void *cal);

/* Minutes east of UTC; campaign start (00:00 of the start date). */
int cal_offset(const struct cal *);
int64_t cal_start(const struct cal *);

enum cal_status cal_status(const struct cal_item *, int64_t now,
    int64_t due_soon_seconds);
/* "upcoming", "open", "due_soon", "overdue", "closed". */
const char *cal_status_name(enum cal_status);

/* Local civil day number (days since 1970-01-01) of a moment. */
int64_t cal_day(const struct cal *, int64_t moment);
/* Monday to Friday unless a holiday; Saturday or Sunday if a make-up day. */
int cal_is_working_day(const struct cal *, int64_t day);
/*
 * The same time of day on the n-th working day after (n > 0) or before
 * (n < 0) the moment's own day, which is not counted; n == 0 returns the
 * moment. "3 working days before a due at Mon 00:00" is the Wednesday
 * before, 00:00: three whole working days are left.
 */
int64_t cal_add_working_days(const struct cal *, int64_t moment, int n);
/*
 * Working days from the day of `from` up to but not including the day of
 * `to` (the working days left before a due at midnight); negative when
 * to < from, so that f(a, b) == -f(b, a). For n >= 0,
 * cal_working_days_between(cal, cal_add_working_days(cal, t, -n), t) == n.
 */
int64_t cal_working_days_between(const struct cal *, int64_t from,
    int64_t to);

/* The first opens or due moment strictly after t; INT64_MAX if none. */
int64_t cal_next_moment_after(const struct cal *, int64_t t);

#endif
