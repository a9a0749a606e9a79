/*
 * Unit tests of daemon/calendar.c: the shipped 2019 calendar (every moment
 * written out here by hand from DOMAIN.md), item status around opens and
 * due, working days around National Day and New Year, and one fixture per
 * validation error under tests/unit/data/cal-bad/. FUPIN_SRC is the source
 * root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calendar.h"
#include "isotime.h"
#include "util.h"

static char *
source_path(const char *rel)
{
	const char *src = getenv("FUPIN_SRC");

	return xasprintf("%s/%s", src != NULL ? src : ".", rel);
}

static int64_t
at(const char *iso)
{
	int64_t t;

	if (iso_parse(iso, 480, &t) != 0)
		fail_msg("test bug: bad moment %s", iso);
	return t;
}

static int64_t
day_of(int y, int m, int d)
{
	return iso_days_from_civil(y, m, d);
}

static struct cal *
load_or_fail(const char *rel)
{
	struct errlist errs;
	char *path = source_path(rel);
	struct cal *cal;

	errlist_init(&errs);
	cal = cal_load(path, &errs);
	for (size_t i = 0; i < errs.count; i++)
		print_error("%s\n", errs.items[i]);
	assert_non_null(cal);
	assert_int_equal(errs.count, 0);
	errlist_free(&errs);
	free(path);
	return cal;
}

static int
setup_shipped(void **state)
{
	*state = load_or_fail("workflows/2019/calendar.conf");
	return 0;
}

static int
teardown_cal(void **state)
{
	cal_free(*state);
	return 0;
}

/* The calendar of DOMAIN.md, "by D" written out as D+1 00:00. */
static const struct {
	const char *id, *kind, *opens, *due;
} shipped[] = {
	{ "stage1", "stage", "2019-10-08T00:00+08:00", "2019-10-11T00:00+08:00" },
	{ "stage2", "stage", "2019-10-11T00:00+08:00", "2019-10-21T00:00+08:00" },
	{ "stage3", "stage", "2019-10-21T00:00+08:00", "2019-10-26T00:00+08:00" },
	{ "stage4", "stage", "2019-10-26T00:00+08:00", "2019-10-29T00:00+08:00" },
	{ "stage5", "stage", "2019-10-29T00:00+08:00", "2019-11-03T00:00+08:00" },
	{ "survey", "window", "2019-10-10T00:00+08:00", "2019-11-08T00:00+08:00" },
	{ "city_confirm", "task", "2019-11-03T00:00+08:00",
	    "2019-11-23T00:00+08:00" },
	{ "lock", "lock", NULL, "2019-11-28T00:00+08:00" },
	{ "analysis", "window", "2019-11-27T00:00+08:00",
	    "2019-12-09T00:00+08:00" },
	{ "verification", "window", "2019-12-09T00:00+08:00",
	    "2019-12-19T00:00+08:00" },
	{ "correction", "window", "2019-12-19T00:00+08:00",
	    "2019-12-29T00:00+08:00" },
	{ "recheck", "window", "2019-12-28T00:00+08:00",
	    "2020-01-01T00:00+08:00" },
	{ "summary", "task", NULL, "2020-01-04T00:00+08:00" },
};

static void
test_shipped_items(void **state)
{
	struct cal *cal = *state;

	assert_int_equal(cal_offset(cal), 480);
	assert_int_equal(cal_start(cal), at("2019-10-08T00:00+08:00"));
	assert_int_equal(cal_count(cal), nitems(shipped));
	for (size_t i = 0; i < nitems(shipped); i++) {
		const struct cal_item *it = cal_item_at(cal, i);

		assert_non_null(it);
		assert_string_equal(it->id, shipped[i].id);
		assert_string_equal(it->kind, shipped[i].kind);
		assert_true(strlen(it->title_zh) > 0);
		assert_true(strlen(it->title_en) > 0);
		if (shipped[i].opens == NULL)
			assert_true(it->opens == INT64_MIN);
		else
			assert_int_equal(it->opens, at(shipped[i].opens));
		assert_int_equal(it->due, at(shipped[i].due));
		assert_ptr_equal(cal_find(cal, shipped[i].id), it);
		assert_true(cal_exists(shipped[i].id, cal));
	}
	assert_null(cal_item_at(cal, nitems(shipped)));
	assert_null(cal_find(cal, "stage6"));
	assert_false(cal_exists("stage6", cal));
	assert_false(cal_exists("", cal));
}

static void
test_shipped_key_moments(void **state)
{
	struct cal *cal = *state;
	int64_t t;

	assert_int_equal(iso_parse("2019-10-21T00:00+08:00", 0, &t), 0);
	assert_int_equal(cal_find(cal, "stage2")->due, t);
	/* 2019-10-20T16:00Z is the same moment. */
	assert_int_equal(cal_find(cal, "stage2")->due,
	    at("2019-10-20T16:00:00Z"));
	assert_int_equal(iso_parse("2019-11-28T00:00+08:00", 0, &t), 0);
	assert_int_equal(cal_find(cal, "lock")->due, t);
	assert_int_equal(iso_parse("2020-01-04T00:00+08:00", 0, &t), 0);
	assert_int_equal(cal_find(cal, "summary")->due, t);
}

static void
test_status_stage(void **state)
{
	const struct cal_item *it = cal_find(*state, "stage2");
	int64_t opens = at("2019-10-11T00:00+08:00");
	int64_t due = at("2019-10-21T00:00+08:00");
	int64_t soon = 2 * 86400;

	assert_int_equal(cal_status(it, opens - 1, soon), CAL_UPCOMING);
	assert_int_equal(cal_status(it, opens, soon), CAL_OPEN);
	assert_int_equal(cal_status(it, at("2019-10-18T23:59:59+08:00"), soon),
	    CAL_OPEN);
	assert_int_equal(cal_status(it, at("2019-10-19T00:00+08:00"), soon),
	    CAL_DUE_SOON);
	assert_int_equal(cal_status(it, due - 1, soon), CAL_DUE_SOON);
	assert_int_equal(cal_status(it, due, soon), CAL_OVERDUE);
	assert_int_equal(cal_status(it, at("2020-06-01T00:00+08:00"), soon),
	    CAL_OVERDUE);
	/* No due-soon window: open until due. */
	assert_int_equal(cal_status(it, due - 1, 0), CAL_OPEN);
	/* A due-soon window longer than the item: never "open". */
	assert_int_equal(cal_status(it, opens, 30 * 86400), CAL_DUE_SOON);
	assert_int_equal(cal_status(it, opens - 1, 30 * 86400), CAL_UPCOMING);
	/* A huge window and a moment far in the past do not overflow. */
	assert_int_equal(cal_status(cal_find(*state, "lock"), INT64_MIN + 1,
	    INT64_MAX), CAL_OPEN);
}

static void
test_status_window_lock_task(void **state)
{
	struct cal *cal = *state;
	const struct cal_item *w = cal_find(cal, "verification");
	const struct cal_item *lock = cal_find(cal, "lock");
	const struct cal_item *task = cal_find(cal, "summary");
	int64_t day = 86400;

	assert_int_equal(cal_status(w, at("2019-12-08T23:59:59+08:00"), day),
	    CAL_UPCOMING);
	assert_int_equal(cal_status(w, at("2019-12-09T00:00+08:00"), day),
	    CAL_OPEN);
	assert_int_equal(cal_status(w, at("2019-12-18T00:00+08:00"), day),
	    CAL_DUE_SOON);
	assert_int_equal(cal_status(w, at("2019-12-19T00:00+08:00"), day),
	    CAL_CLOSED);

	/* The lock has no opening: data entry is open from the start. */
	assert_int_equal(cal_status(lock, at("2019-01-01T00:00+08:00"), day),
	    CAL_OPEN);
	assert_int_equal(cal_status(lock, at("2019-11-27T12:00+08:00"), day),
	    CAL_DUE_SOON);
	assert_int_equal(cal_status(lock, at("2019-11-27T23:59:59+08:00"), day),
	    CAL_DUE_SOON);
	assert_int_equal(cal_status(lock, at("2019-11-28T00:00+08:00"), day),
	    CAL_CLOSED);

	assert_int_equal(cal_status(task, at("2019-10-08T08:00+08:00"), day),
	    CAL_OPEN);
	assert_int_equal(cal_status(task, at("2020-01-03T00:00+08:00"), day),
	    CAL_DUE_SOON);
	assert_int_equal(cal_status(task, at("2020-01-04T00:00+08:00"), day),
	    CAL_OVERDUE);

	assert_string_equal(cal_status_name(CAL_UPCOMING), "upcoming");
	assert_string_equal(cal_status_name(CAL_OPEN), "open");
	assert_string_equal(cal_status_name(CAL_DUE_SOON), "due_soon");
	assert_string_equal(cal_status_name(CAL_OVERDUE), "overdue");
	assert_string_equal(cal_status_name(CAL_CLOSED), "closed");
}

static void
test_working_days(void **state)
{
	static const struct {
		int y, m, d, working;
	} days[] = {
		{ 2019, 9, 27, 1 },  /* Friday */
		{ 2019, 9, 28, 0 },  /* Saturday */
		{ 2019, 9, 29, 1 },  /* Sunday, make-up day */
		{ 2019, 9, 30, 1 },  /* Monday */
		{ 2019, 10, 1, 0 },  /* National Day, Tuesday */
		{ 2019, 10, 4, 0 },  /* Friday in the holiday */
		{ 2019, 10, 5, 0 },  /* Saturday in the holiday */
		{ 2019, 10, 7, 0 },  /* Monday, last day of the holiday */
		{ 2019, 10, 8, 1 },  /* Tuesday */
		{ 2019, 10, 11, 1 }, /* Friday */
		{ 2019, 10, 12, 1 }, /* Saturday, make-up day */
		{ 2019, 10, 13, 0 }, /* Sunday */
		{ 2019, 10, 19, 0 }, /* Saturday */
		{ 2019, 12, 31, 1 }, /* Tuesday */
		{ 2020, 1, 1, 0 },   /* New Year's Day, Wednesday */
		{ 2020, 1, 2, 1 },   /* Thursday */
		{ 2020, 1, 4, 0 },   /* Saturday */
	};
	struct cal *cal = *state;

	for (size_t i = 0; i < nitems(days); i++) {
		int64_t d = day_of(days[i].y, days[i].m, days[i].d);

		if (cal_is_working_day(cal, d) != days[i].working)
			fail_msg("%04d-%02d-%02d: expected %s", days[i].y,
			    days[i].m, days[i].d, days[i].working ?
			    "working" : "off");
	}
	/* The local day, not the UTC one: 2019-10-08 00:30 at +08:00 is
	 * still 2019-10-07 in UTC. */
	assert_int_equal(cal_day(cal, at("2019-10-08T00:30+08:00")),
	    day_of(2019, 10, 8));
	assert_int_equal(cal_day(cal, at("2019-10-07T23:59:59+08:00")),
	    day_of(2019, 10, 7));
}

static void
test_add_working_days(void **state)
{
	static const struct {
		const char *from;
		int n;
		const char *to;
	} cases[] = {
		/* Across National Day, both directions, time of day kept. */
		{ "2019-09-30T10:00+08:00", 1, "2019-10-08T10:00+08:00" },
		{ "2019-10-08T10:00+08:00", -1, "2019-09-30T10:00+08:00" },
		{ "2019-10-08T10:00+08:00", -2, "2019-09-29T10:00+08:00" },
		{ "2019-10-08T10:00+08:00", -3, "2019-09-27T10:00+08:00" },
		{ "2019-09-27T09:30+08:00", 2, "2019-09-30T09:30+08:00" },
		{ "2019-09-27T09:30+08:00", 3, "2019-10-08T09:30+08:00" },
		/* From inside the holiday. */
		{ "2019-10-03T15:00+08:00", 1, "2019-10-08T15:00+08:00" },
		{ "2019-10-03T15:00+08:00", -1, "2019-09-30T15:00+08:00" },
		/* The make-up Saturday. */
		{ "2019-10-11T08:00+08:00", 1, "2019-10-12T08:00+08:00" },
		{ "2019-10-12T08:00+08:00", 1, "2019-10-14T08:00+08:00" },
		{ "2019-10-14T08:00+08:00", -1, "2019-10-12T08:00+08:00" },
		/* Three working days before stage 2 is due (Mon 00:00). */
		{ "2019-10-21T00:00+08:00", -3, "2019-10-16T00:00+08:00" },
		/* New Year. */
		{ "2019-12-31T18:00+08:00", 1, "2020-01-02T18:00+08:00" },
		{ "2020-01-02T18:00+08:00", -1, "2019-12-31T18:00+08:00" },
		/* Ten working days from the start of the campaign. */
		{ "2019-10-08T08:00+08:00", 10, "2019-10-21T08:00+08:00" },
		/* n == 0 leaves even a holiday moment alone. */
		{ "2019-10-05T11:11+08:00", 0, "2019-10-05T11:11+08:00" },
	};
	struct cal *cal = *state;

	for (size_t i = 0; i < nitems(cases); i++) {
		int64_t got = cal_add_working_days(cal, at(cases[i].from),
		    cases[i].n);
		char buf[ISO_BUFSIZE];

		if (got != at(cases[i].to))
			fail_msg("%s %+d: got %s, expected %s", cases[i].from,
			    cases[i].n, iso_format(got, 480, buf, sizeof buf),
			    cases[i].to);
	}
}

static void
test_working_days_between(void **state)
{
	struct cal *cal = *state;
	int64_t a = at("2019-09-27T10:00+08:00");
	int64_t b = at("2019-10-14T09:00+08:00");

	/* Sep 27, 29, 30, Oct 8, 9, 10, 11, 12. */
	assert_int_equal(cal_working_days_between(cal, a, b), 8);
	assert_int_equal(cal_working_days_between(cal, b, a), -8);
	assert_int_equal(cal_working_days_between(cal,
	    at("2019-09-30T23:00+08:00"), at("2019-10-08T01:00+08:00")), 1);
	assert_int_equal(cal_working_days_between(cal,
	    at("2019-12-31T00:00+08:00"), at("2020-01-02T00:00+08:00")), 1);
	assert_int_equal(cal_working_days_between(cal,
	    at("2019-10-16T10:00+08:00"), at("2019-10-21T00:00+08:00")), 3);
	assert_int_equal(cal_working_days_between(cal, a, a), 0);

	/* Against a day-by-day count, over the whole campaign. */
	for (int64_t d0 = day_of(2019, 9, 20); d0 < day_of(2020, 1, 10); d0 += 3) {
		for (int64_t d1 = d0; d1 < day_of(2020, 1, 10); d1 += 5) {
			int64_t want = 0;

			for (int64_t d = d0; d < d1; d++)
				want += cal_is_working_day(cal, d);
			assert_int_equal(cal_working_days_between(cal,
			    d0 * 86400, d1 * 86400), want);
		}
	}
	/* Going back n working days leaves exactly n. */
	for (int n = 0; n < 40; n++) {
		int64_t t = at("2019-11-28T00:00+08:00");

		assert_int_equal(cal_working_days_between(cal,
		    cal_add_working_days(cal, t, -n), t), n);
	}
}

static void
test_next_moment_after(void **state)
{
	static const char *moments[] = {
		"2019-10-08T00:00+08:00", /* stage1 opens */
		"2019-10-10T00:00+08:00", /* survey opens */
		"2019-10-11T00:00+08:00", /* stage1 due, stage2 opens */
		"2019-10-21T00:00+08:00",
		"2019-10-26T00:00+08:00",
		"2019-10-29T00:00+08:00",
		"2019-11-03T00:00+08:00", /* stage5 due */
		"2019-11-08T00:00+08:00", /* survey due */
		"2019-11-23T00:00+08:00", /* city_confirm due */
		"2019-11-27T00:00+08:00", /* analysis opens */
		"2019-11-28T00:00+08:00", /* lock */
		"2019-12-09T00:00+08:00",
		"2019-12-19T00:00+08:00",
		"2019-12-28T00:00+08:00", /* recheck opens */
		"2019-12-29T00:00+08:00", /* correction due */
		"2020-01-01T00:00+08:00", /* recheck due */
		"2020-01-04T00:00+08:00", /* summary due */
	};
	struct cal *cal = *state;
	int64_t t = at("2019-01-01T00:00+08:00");

	for (size_t i = 0; i < nitems(moments); i++) {
		int64_t want = at(moments[i]);

		t = cal_next_moment_after(cal, t);
		if (t != want)
			fail_msg("step %zu: expected %s", i, moments[i]);
		assert_int_equal(cal_next_moment_after(cal, want - 1), want);
	}
	assert_true(cal_next_moment_after(cal, t) == INT64_MAX);
	assert_true(cal_next_moment_after(cal, INT64_MAX) == INT64_MAX);
	assert_int_equal(cal_next_moment_after(cal, INT64_MIN),
	    at("2019-10-08T00:00+08:00"));
}

static void
test_good_fixture(void **state)
{
	struct cal *cal = load_or_fail("tests/unit/data/cal-good/minimal.conf");
	const struct cal_item *w = cal_find(cal, "w"), *t = cal_find(cal, "t");

	assert_int_equal(cal_count(cal), 4);
	assert_int_equal(cal_find(cal, "stage2")->opens,
	    at("2019-10-11T00:00+08:00"));
	assert_int_equal(cal_find(cal, "stage2")->due,
	    at("2019-10-20T12:00+08:00"));
	assert_int_equal(w->opens, at("2019-10-09T08:30+08:00"));
	assert_int_equal(w->due, at("2019-10-10T08:00+08:00"));
	assert_int_equal(t->opens, at("2019-10-12T00:00+08:00"));
	assert_int_equal(t->due, at("2019-10-13T00:00+08:00"));
	/* No holidays, no make-up days: plain weeks. */
	assert_false(cal_is_working_day(cal, day_of(2019, 10, 12)));
	assert_true(cal_is_working_day(cal, day_of(2019, 10, 1)));
	cal_free(cal);
	(void)state;
}

static void
test_missing_file(void **state)
{
	struct errlist errs;
	char *path = source_path("tests/unit/data/cal-bad/no-such-file.conf");
	char *want = xasprintf("%s:0: ", path);

	errlist_init(&errs);
	assert_null(cal_load(path, &errs));
	assert_int_equal(errs.count, 1);
	assert_memory_equal(errs.items[0], want, strlen(want));
	errlist_free(&errs);
	free(want);
	free(path);
	(void)state;
}

/* One validation error per fixture: file, line, key, part of the text. */
struct bad_case {
	const char *file;
	int line;
	const char *key; /* NULL: libconfig's own message, no key */
	const char *fragment;
};

static const struct bad_case bad_cases[] = {
	{ "missing-id", 6, "items[1].id", "missing" },
	{ "missing-due", 6, "survey.due", "missing" },
	{ "duplicate-id", 7, "survey.id", "duplicate id, first at line 6" },
	{ "bare-due", 6, "survey.due", "bad moment \"2019-11-07\"" },
	{ "bad-opens", 7, "survey.opens", "bad moment \"2019-10-32\"" },
	{ "bad-due", 6, "survey.due", "bad moment" },
	{ "due-no-offset", 6, "survey.due", "bad moment" },
	{ "opens-after-due", 8, "survey.opens",
	    "opens 2019-11-09T00:00:00+08:00 is not before due "
	    "2019-11-08T00:00:00+08:00" },
	{ "unknown-kind", 6, "survey.kind", "unknown kind \"meeting\"" },
	{ "unknown-item-key", 7, "survey.colour", "unknown key" },
	{ "unknown-top-key", 9, "deadline", "unknown key" },
	{ "holiday-makeup", 13, "makeup[1].on",
	    "2019-10-05 is also a holiday (holidays[0])" },
	{ "makeup-weekday", 9, "makeup[0].on", "2019-10-11 is a weekday" },
	{ "holiday-backwards", 9, "holidays[0].to", "before from" },
	{ "stage-order", 8, "stage3.by",
	    "due 2019-10-19T00:00:00+08:00 is not after stage2's due "
	    "2019-10-21T00:00:00+08:00" },
	{ "stage-gap", 6, "stage3.id", "stage2 is missing" },
	{ "stage-opens", 6, "stage2.opens", "remove opens" },
	{ "due-and-by", 6, "survey.by", "not both" },
	{ "syntax", 6, NULL, "syntax error" },
};

static void
test_bad_fixture(void **state)
{
	const struct bad_case *bc = *state;
	struct errlist errs;
	char *rel = xasprintf("tests/unit/data/cal-bad/%s.conf", bc->file);
	char *path = source_path(rel);
	char *want;

	if (bc->key != NULL)
		want = xasprintf("%s:%d: %s: ", path, bc->line, bc->key);
	else
		want = xasprintf("%s:%d: ", path, bc->line);
	errlist_init(&errs);
	assert_null(cal_load(path, &errs));
	for (size_t i = 0; i < errs.count; i++)
		print_message("%s\n", errs.items[i]);
	assert_int_equal(errs.count, 1);
	if (strncmp(errs.items[0], want, strlen(want)) != 0)
		fail_msg("got \"%s\", expected it to start \"%s\"",
		    errs.items[0], want);
	if (strstr(errs.items[0] + strlen(want), bc->fragment) == NULL)
		fail_msg("got \"%s\", expected it to say \"%s\"",
		    errs.items[0], bc->fragment);
	errlist_free(&errs);
	free(want);
	free(path);
	free(rel);
}

#define BAD(i)                                                         \
	cmocka_unit_test_prestate(test_bad_fixture, (void *)&bad_cases[i])

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shipped_items,
		    setup_shipped, teardown_cal),
		cmocka_unit_test_setup_teardown(test_shipped_key_moments,
		    setup_shipped, teardown_cal),
		cmocka_unit_test_setup_teardown(test_status_stage,
		    setup_shipped, teardown_cal),
		cmocka_unit_test_setup_teardown(test_status_window_lock_task,
		    setup_shipped, teardown_cal),
		cmocka_unit_test_setup_teardown(test_working_days,
		    setup_shipped, teardown_cal),
		cmocka_unit_test_setup_teardown(test_add_working_days,
		    setup_shipped, teardown_cal),
		cmocka_unit_test_setup_teardown(test_working_days_between,
		    setup_shipped, teardown_cal),
		cmocka_unit_test_setup_teardown(test_next_moment_after,
		    setup_shipped, teardown_cal),
		cmocka_unit_test(test_good_fixture),
		cmocka_unit_test(test_missing_file),
		BAD(0), BAD(1), BAD(2), BAD(3), BAD(4), BAD(5), BAD(6),
		BAD(7), BAD(8), BAD(9), BAD(10), BAD(11), BAD(12), BAD(13),
		BAD(14), BAD(15), BAD(16), BAD(17), BAD(18),
	};

	_Static_assert(nitems(bad_cases) == 19, "one BAD() per bad case");
	return cmocka_run_group_tests_name("calendar", tests, NULL, NULL);
}
