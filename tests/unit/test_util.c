/*
 * Unit tests of common/util.c and common/isotime.c: durations, UTF-8
 * validation (the status protocol's only defence against bad bytes), the
 * error list's "file:line: key: message" form, and ISO 8601 moments with
 * their civil-date arithmetic, and jsonb's text made compact (checked
 * against jansson). Expected values are written out by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "isotime.h"
#include "util.h"

/* ---- parse_duration --------------------------------------------------- */

static void
test_duration_good(void **state)
{
	assert_int_equal(parse_duration("0s"), 0);
	assert_int_equal(parse_duration("45s"), 45);
	assert_int_equal(parse_duration("30m"), 1800);
	assert_int_equal(parse_duration("6h"), 21600);
	assert_int_equal(parse_duration("2d"), 172800);
	assert_int_equal(parse_duration("1w"), 604800);
	assert_int_equal(parse_duration("1d12h"), 129600);
	assert_int_equal(parse_duration("1h30m15s"), 5415);
	assert_int_equal(parse_duration("007m"), 420);
	/* Units may repeat; they add up. */
	assert_int_equal(parse_duration("1m1m"), 120);
}

static void
test_duration_bad(void **state)
{
	static const char *const bad[] = { "", "5", "30", "5x", "d", "m5",
		"-1d", "+1d", " 5m", "5m ", "5 m", "1.5h", "5mm", "5M", "5D",
		"1d-2h", "1d 2h", "0x10s", "1y" };

	for (size_t i = 0; i < nitems(bad); i++) {
		if (parse_duration(bad[i]) != -1)
			fail_msg("parse_duration(\"%s\") = %lld, want -1",
			    bad[i], (long long)parse_duration(bad[i]));
	}
}

static void
test_duration_overflow(void **state)
{
	/* INT64_MAX / 86400 = 106751991167300 whole days. */
	assert_int_equal(parse_duration("106751991167300d"),
	    INT64_C(106751991167300) * 86400);
	assert_int_equal(parse_duration("106751991167301d"), -1);
	assert_int_equal(parse_duration("15250284452471w"),
	    INT64_C(15250284452471) * 604800);
	assert_int_equal(parse_duration("15250284452472w"), -1);
	/* The sum overflows though each part fits. */
	assert_int_equal(parse_duration("106751991167300d1d"), -1);
	assert_int_equal(parse_duration("9223372036854775807s"), -1);
	assert_int_equal(parse_duration("99999999999999999999s"), -1);
	assert_int_equal(
	    parse_duration("999999999999999999999999999999999999999d"), -1);
	assert_int_equal(parse_duration("1000000000000000000s"),
	    INT64_C(1000000000000000000));
}

/* ---- utf8_valid -------------------------------------------------------- */

#define VALID(s) utf8_valid(s, sizeof(s) - 1)

static void
test_utf8_good(void **state)
{
	assert_true(utf8_valid("", 0));
	assert_true(VALID("PING"));
	assert_true(VALID("ADVANCE H1 exit publish note\t~"));
	assert_true(VALID("\x7f"));
	assert_true(VALID("caf\xc3\xa9"));		/* é, 2 bytes */
	assert_true(VALID("\xc2\x80"));			/* U+0080, smallest 2 */
	assert_true(VALID("\xdf\xbf"));			/* U+07FF */
	assert_true(VALID("\xe0\xa0\x80"));		/* U+0800, smallest 3 */
	assert_true(VALID("\xe5\x8b\x90\xe6\x88\x9b"));	/* 勐戛 */
	assert_true(VALID("\xed\x9f\xbf"));		/* U+D7FF */
	assert_true(VALID("\xee\x80\x80"));		/* U+E000 */
	assert_true(VALID("\xef\xbf\xbf"));		/* U+FFFF */
	assert_true(VALID("\xf0\x90\x80\x80"));		/* U+10000 */
	assert_true(VALID("\xf0\x9f\x98\x80"));		/* 😀 */
	assert_true(VALID("\xf4\x8f\xbf\xbf"));		/* U+10FFFF */
	assert_true(VALID("a\xf0\x9f\x98\x80z"));
	/* Only the first len bytes count. */
	assert_true(utf8_valid("ok\xff", 2));
}

static void
test_utf8_bad(void **state)
{
	/* Overlong forms. */
	assert_false(VALID("\xc0\x80"));
	assert_false(VALID("\xc0\xaf"));
	assert_false(VALID("\xc1\xbf"));
	assert_false(VALID("\xe0\x80\x80"));
	assert_false(VALID("\xe0\x9f\xbf"));
	assert_false(VALID("\xf0\x80\x80\x80"));
	assert_false(VALID("\xf0\x8f\xbf\xbf"));
	/* UTF-16 surrogates. */
	assert_false(VALID("\xed\xa0\x80"));
	assert_false(VALID("\xed\xbf\xbf"));
	assert_false(VALID("\xed\xa0\xbd\xed\xb8\x80"));
	/* Past U+10FFFF, and lead bytes that never occur. */
	assert_false(VALID("\xf4\x90\x80\x80"));
	assert_false(VALID("\xf5\x80\x80\x80"));
	assert_false(VALID("\xf8\x88\x80\x80\x80"));
	assert_false(VALID("\xfe"));
	assert_false(VALID("\xff"));
	/* Truncated sequences, at the end and in the middle. */
	assert_false(VALID("\xc3"));
	assert_false(VALID("abc\xe5\x8b"));
	assert_false(VALID("\xf0\x9f\x98"));
	assert_false(VALID("\xe5\x8b" "a"));
	assert_false(utf8_valid("caf\xc3\xa9", 4));
	/* A continuation byte with no lead. */
	assert_false(VALID("\x80"));
	assert_false(VALID("a\xbf" "b"));
	/* NUL, anywhere. */
	assert_false(utf8_valid("\0", 1));
	assert_false(utf8_valid("a\0b", 3));
	assert_false(utf8_valid("PING\0", 5));
}

/* ---- errlist ---------------------------------------------------------- */

static void
test_errlist(void **state)
{
	struct errlist e;

	errlist_init(&e);
	for (int i = 0; i < 20; i++)
		errlist_add(&e, "f.conf", i, "a.b", "n=%d", i);
	errlist_add(&e, "f.conf", 3, NULL, "no key");
	errlist_add(&e, NULL, 0, "", "no file");
	assert_int_equal(e.count, 22);
	assert_string_equal(e.items[0], "f.conf:0: a.b: n=0");
	assert_string_equal(e.items[19], "f.conf:19: a.b: n=19");
	assert_string_equal(e.items[20], "f.conf:3: no key");
	assert_string_equal(e.items[21], "-:0: no file");
	errlist_free(&e);
	assert_int_equal(e.count, 0);
	assert_null(e.items);
}

static void
test_strlcpy_safe(void **state)
{
	char buf[4];

	assert_int_equal(strlcpy_safe(buf, "ab", sizeof(buf)), 2);
	assert_string_equal(buf, "ab");
	assert_int_equal(strlcpy_safe(buf, "abcdef", sizeof(buf)), 6);
	assert_string_equal(buf, "abc");
	assert_int_equal(strlcpy_safe(buf, "xyz", 0), 3);
	assert_string_equal(buf, "abc");
}

/* ---- ISO 8601 --------------------------------------------------------- */

static int64_t
parse_ok(const char *s, int default_offset)
{
	int64_t t = -12345;

	if (iso_parse(s, default_offset, &t) != 0)
		fail_msg("iso_parse(\"%s\") failed", s);
	return t;
}

/* 2019-10-21T00:00:00+08:00 = 2019-10-20T16:00:00Z */
#define OCT21 (INT64_C(18190) * 86400 - 8 * 3600)

static void
test_iso_parse_forms(void **state)
{
	assert_int_equal(parse_ok("2019-10-21T00:00:00+08:00", 0), OCT21);
	assert_int_equal(parse_ok("2019-10-21T00:00+08:00", 0), OCT21);
	assert_int_equal(parse_ok("2019-10-21T00:00:00+0800", 0), OCT21);
	assert_int_equal(parse_ok("2019-10-21T00:00:00+08", 0), OCT21);
	assert_int_equal(parse_ok("2019-10-20T16:00:00Z", 480), OCT21);
	assert_int_equal(parse_ok("2019-10-20 16:00:00Z", 480), OCT21);
	assert_int_equal(parse_ok("2019-10-20T10:30:00-05:30", 480), OCT21);
	/* Without an offset: the default one. */
	assert_int_equal(parse_ok("2019-10-21", ISO_SHANGHAI_OFFSET), OCT21);
	assert_int_equal(parse_ok("2019-10-21T00:00", ISO_SHANGHAI_OFFSET),
	    OCT21);
	assert_int_equal(parse_ok("2019-10-20", 0), OCT21 - 16 * 3600);
	assert_int_equal(parse_ok("1970-01-01T00:00:00Z", 480), 0);
	assert_int_equal(parse_ok("1969-12-31T23:59:59Z", 480), -1);
	assert_int_equal(parse_ok("2019-10-21T23:59:59+08:00", 0),
	    OCT21 + 86399);
	assert_int_equal(parse_ok("2019-10-21T00:00:00+14:00", 0),
	    OCT21 - 6 * 3600);
}

static void
test_iso_midnight_24(void **state)
{
	char buf[ISO_BUFSIZE];

	/* 24:00 is the end of a day: the next day's 00:00. */
	assert_int_equal(parse_ok("2019-10-20T24:00+08:00", 0), OCT21);
	assert_int_equal(parse_ok("2019-12-31T24:00:00+08:00", 0),
	    parse_ok("2020-01-01T00:00:00+08:00", 0));
	assert_string_equal(iso_format(parse_ok("2019-02-28T24:00+08:00", 0),
				ISO_SHANGHAI_OFFSET, buf, sizeof(buf)),
	    "2019-03-01T00:00:00+08:00");
	assert_int_equal(iso_parse("2019-10-20T24:01+08:00", 0, &(int64_t){0}),
	    -1);
	assert_int_equal(
	    iso_parse("2019-10-20T24:00:01+08:00", 0, &(int64_t){0}), -1);
	assert_int_equal(iso_parse("2019-10-20T25:00+08:00", 0, &(int64_t){0}),
	    -1);
}

static void
test_iso_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"2019",
		"2019-10",
		"2019-1-01",
		"19-10-21",
		"2019/10/21",
		"2019-02-30",		 /* no such day */
		"2019-02-29",		 /* not a leap year */
		"1900-02-29",		 /* nor a century that is not /400 */
		"2019-04-31",
		"2019-13-01",		 /* month 13 */
		"2019-00-10",
		"2019-10-00",
		"2019-10-32",
		"2019-10-21T",
		"2019-10-21T8:00",
		"2019-10-21T08",
		"2019-10-21T08:60",
		"2019-10-21T08:00:60",
		"2019-10-21T08:00:00+15:00", /* no such offset */
		"2019-10-21T08:00:00+08:60",
		"2019-10-21T08:00:00+8",
		"2019-10-21T08:00:00 +08:00",
		"2019-10-21T08:00:00ZZ",
		"2019-10-21T08:00:00.5Z",
		"2019-10-21x",
		"2019-10-21 ",
		"x2019-10-21",
	};
	int64_t t;

	for (size_t i = 0; i < nitems(bad); i++) {
		t = 777;
		if (iso_parse(bad[i], 480, &t) != -1)
			fail_msg("iso_parse(\"%s\") accepted", bad[i]);
		assert_int_equal(t, 777); /* untouched on failure */
	}
	/* Leap days that exist. */
	assert_int_equal(parse_ok("2020-02-29", 0),
	    iso_days_from_civil(2020, 2, 29) * 86400);
	assert_int_equal(parse_ok("2000-02-29", 0),
	    iso_days_from_civil(2000, 2, 29) * 86400);
}

static void
test_iso_format(void **state)
{
	char buf[ISO_BUFSIZE];

	assert_string_equal(iso_format(OCT21, ISO_SHANGHAI_OFFSET, buf,
				sizeof(buf)),
	    "2019-10-21T00:00:00+08:00");
	assert_string_equal(iso_format(OCT21, 0, buf, sizeof(buf)),
	    "2019-10-20T16:00:00Z");
	assert_string_equal(iso_format(OCT21, -330, buf, sizeof(buf)),
	    "2019-10-20T10:30:00-05:30");
	assert_string_equal(iso_format(0, 0, buf, sizeof(buf)),
	    "1970-01-01T00:00:00Z");
	assert_string_equal(iso_format(-1, 0, buf, sizeof(buf)),
	    "1969-12-31T23:59:59Z");
	assert_string_equal(iso_format(-1, 480, buf, sizeof(buf)),
	    "1970-01-01T07:59:59+08:00");
	assert_string_equal(iso_format(-86400 * 365 - 1, 0, buf, sizeof(buf)),
	    "1968-12-31T23:59:59Z");
	/* The return value is buf. */
	assert_ptr_equal(iso_format(0, 0, buf, sizeof(buf)), buf);
	/* The longest form fits ISO_BUFSIZE. */
	assert_true(strlen(iso_format(OCT21, -14 * 60, buf, sizeof(buf))) <
	    ISO_BUFSIZE);
}

static void
test_iso_round_trip(void **state)
{
	static const int offsets[] = { 0, 480, -330, 345, -600, 840 };
	char buf[ISO_BUFSIZE];

	/* Every 7h13m17s over three years, in several offsets: format then
	 * parse gives the same moment, parse then format the same text. */
	for (int64_t t = parse_ok("2018-06-01", 480);
	     t < parse_ok("2021-06-01", 480); t += 7 * 3600 + 13 * 60 + 17) {
		for (size_t k = 0; k < nitems(offsets); k++) {
			char again[ISO_BUFSIZE];
			int64_t back;

			iso_format(t, offsets[k], buf, sizeof(buf));
			assert_int_equal(iso_parse(buf, 0, &back), 0);
			if (back != t)
				fail_msg("%s parsed to %lld, want %lld", buf,
				    (long long)back, (long long)t);
			iso_format(back, offsets[k], again, sizeof(again));
			assert_string_equal(again, buf);
		}
	}
}

/* ---- civil dates ------------------------------------------------------ */

static void
test_days_from_civil(void **state)
{
	int y, m, d;

	assert_int_equal(iso_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(iso_days_from_civil(1970, 1, 2), 1);
	assert_int_equal(iso_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(iso_days_from_civil(2000, 1, 1), 10957);
	assert_int_equal(iso_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(iso_days_from_civil(2019, 10, 8), 18177);
	assert_int_equal(iso_days_from_civil(2019, 10, 12), 18181);
	assert_int_equal(iso_days_from_civil(2020, 1, 1), 18262);
	assert_int_equal(iso_days_from_civil(1900, 1, 1), -25567);
	assert_int_equal(iso_days_from_civil(2100, 3, 1), 47541);
	assert_int_equal(iso_days_from_civil(0, 3, 1), -719468);

	/* And back, for every day from 1899 to 2101. */
	for (int64_t day = iso_days_from_civil(1899, 1, 1);
	     day <= iso_days_from_civil(2101, 12, 31); day++) {
		iso_civil_from_days(day, &y, &m, &d);
		if (iso_days_from_civil(y, m, d) != day)
			fail_msg("day %lld -> %04d-%02d-%02d -> %lld",
			    (long long)day, y, m, d,
			    (long long)iso_days_from_civil(y, m, d));
		assert_in_range(m, 1, 12);
		assert_in_range(d, 1, 31);
	}
	iso_civil_from_days(18181, &y, &m, &d);
	assert_int_equal(y, 2019);
	assert_int_equal(m, 10);
	assert_int_equal(d, 12);
	iso_civil_from_days(-1, &y, &m, &d);
	assert_int_equal(y, 1969);
	assert_int_equal(m, 12);
	assert_int_equal(d, 31);
	iso_civil_from_days(iso_days_from_civil(2020, 2, 29) + 1, &y, &m, &d);
	assert_int_equal(m, 3);
	assert_int_equal(d, 1);
}

static void
test_weekday(void **state)
{
	/* 0 = Monday ... 6 = Sunday. */
	assert_int_equal(iso_weekday(iso_days_from_civil(2019, 10, 12)), 5);
	assert_int_equal(iso_weekday(iso_days_from_civil(2019, 10, 13)), 6);
	assert_int_equal(iso_weekday(iso_days_from_civil(2019, 10, 14)), 0);
	assert_int_equal(iso_weekday(iso_days_from_civil(2019, 10, 1)), 1);
	assert_int_equal(iso_weekday(iso_days_from_civil(2019, 11, 28)), 3);
	assert_int_equal(iso_weekday(0), 3); /* 1970-01-01, a Thursday */
	assert_int_equal(iso_weekday(-1), 2);
	assert_int_equal(iso_weekday(-7), 3);
	assert_int_equal(iso_weekday(-8), 2);
	assert_int_equal(iso_weekday(iso_days_from_civil(1900, 1, 1)), 0);
	for (int64_t day = -1000; day < 1000; day++)
		assert_int_equal(iso_weekday(day + 1),
		    (iso_weekday(day) + 1) % 7);
}

/* ---- jsonb_compact ---------------------------------------------------- */

static void
compact_is(const char *jsonb_text, const char *want)
{
	size_t len = strlen(jsonb_text);
	char *out = malloc(len + 1);

	out[jsonb_compact(out, jsonb_text, len)] = '\0';
	assert_string_equal(out, want);
	free(out);
}

static void
test_jsonb_compact(void **state)
{
	(void)state;
	/* As PostgreSQL 15 writes jsonb, against what jansson writes of the
	 * same document with JSON_COMPACT (numbers aside, see util.h). */
	static const char *const docs[] = {
		"{\"ok\": true, \"household\": {\"size\": 4, \"head_name\": "
		"\"张 三\"}, \"members\": []}",
		"{\"a\": \"x, y: z\", \"b\": [1, 2, {\"c\": null}]}",
		"{\"q\": \"say \\\"hi, there\\\": ok\", \"r\": \"\\\\\"}",
		"[\"\\n, \\t: \", false, -3, \"\"]",
		"{\"ok\": true, \"note\": \"  spaced  \", \"e\": {}}",
	};

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_error_t err;
		json_t *j = json_loads(docs[i], 0, &err);
		char *want;

		assert_non_null(j);
		want = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
		compact_is(docs[i], want);
		free(want);
		json_decref(j);
	}
	/* Numbers keep their digits. */
	compact_is("{\"income\": 3100.00, \"n\": [1.50, 2]}",
	    "{\"income\":3100.00,\"n\":[1.50,2]}");
	/* A truncated escape at the end is copied, not read past. */
	compact_is("\"a\\", "\"a\\");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_good),
		cmocka_unit_test(test_duration_bad),
		cmocka_unit_test(test_duration_overflow),
		cmocka_unit_test(test_utf8_good),
		cmocka_unit_test(test_utf8_bad),
		cmocka_unit_test(test_errlist),
		cmocka_unit_test(test_strlcpy_safe),
		cmocka_unit_test(test_iso_parse_forms),
		cmocka_unit_test(test_iso_midnight_24),
		cmocka_unit_test(test_iso_bad),
		cmocka_unit_test(test_iso_format),
		cmocka_unit_test(test_iso_round_trip),
		cmocka_unit_test(test_days_from_civil),
		cmocka_unit_test(test_weekday),
		cmocka_unit_test(test_jsonb_compact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
