/*
 * Unit tests of common/suggest.c: the edit distance counts code points
 * (Chinese characters are one edit each), folds ASCII case, counts a swap
 * of neighbours as one; suggestions are the close ones, closest first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "suggest.h"

static void
test_distance(void **state)
{
	assert_int_equal(suggest_distance("", ""), 0);
	assert_int_equal(suggest_distance("exit", "exit"), 0);
	assert_int_equal(suggest_distance("EXIT", "exit"), 0);
	assert_int_equal(suggest_distance("exti", "exit"), 1);   /* swap */
	assert_int_equal(suggest_distance("sumbit", "submit"), 1);
	assert_int_equal(suggest_distance("publsh", "publish"), 1);
	assert_int_equal(suggest_distance("kitten", "sitting"), 3);
	assert_int_equal(suggest_distance("", "abc"), 3);
	assert_int_equal(suggest_distance("abc", ""), 3);
	/* One Chinese character is one edit, not three bytes. */
	assert_int_equal(suggest_distance("勐戛村", "勐嘎村"), 1);
	assert_int_equal(suggest_distance("勐戛村", "勐戛"), 1);
	assert_int_equal(suggest_distance("芒蚌村", "勐戛村"), 2);
	assert_int_equal(suggest_distance("V01-9999", "V01-0999"), 1);
	/* Bad bytes are one code point each, and never crash. */
	assert_int_equal(suggest_distance("a\xff" "b", "ab"), 1);
	assert_int_equal(suggest_distance("\xe5\x8b", "x"), 2);
	/* Symmetric. */
	assert_int_equal(suggest_distance("submit", "sumbit"),
	    suggest_distance("sumbit", "submit"));
}

static void
test_limit(void **state)
{
	assert_int_equal(suggest_limit("ex"), 1);
	assert_int_equal(suggest_limit("exti"), 1);
	assert_int_equal(suggest_limit("sumbit"), 2);
	assert_int_equal(suggest_limit("withdrawal"), 3);
	assert_int_equal(suggest_limit("勐戛村"), 1);
}

static void
test_closest(void **state)
{
	static const char *const events[] = { "propose", "publish", "submit",
		"approve", "reject", "request", "confirm", "object",
		"withdraw" };
	static const char *const wfs[] = { "exit", "inclusion", "marginal",
		"member", "monitoring", "rectify" };
	size_t out[3], n;

	n = suggest_closest("sumbit", events, 9, out, 3);
	assert_int_equal(n, 1);
	assert_string_equal(events[out[0]], "submit");

	n = suggest_closest("exti", wfs, 6, out, 3);
	assert_int_equal(n, 1);
	assert_string_equal(wfs[out[0]], "exit");

	/* An exact match without case comes alone. */
	n = suggest_closest("EXIT", wfs, 6, out, 3);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 0);

	/* A prefix is a suggestion; closest first, then table order. */
	n = suggest_closest("m", wfs, 6, out, 3);
	assert_int_equal(n, 3);
	assert_string_equal(wfs[out[0]], "marginal");
	assert_string_equal(wfs[out[1]], "member");
	assert_string_equal(wfs[out[2]], "monitoring");

	/* "reqest" is one from request, two from reject: request first. */
	n = suggest_closest("reqest", events, 9, out, 3);
	assert_true(n >= 1);
	assert_string_equal(events[out[0]], "request");

	/* Nothing close: nothing. */
	assert_int_equal(suggest_closest("zzzzzz", events, 9, out, 3), 0);
	assert_int_equal(suggest_closest("x", events, 0, out, 3), 0);
	assert_int_equal(suggest_closest("x", events, 9, out, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_closest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
