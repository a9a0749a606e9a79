/*
 * Unit tests of common/codemap.c: every form of a code list entry maps to
 * its code, keys are ASCII lower-cased, the first mapping of a form wins.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "codemap.h"

static const char *
code_of(json_t *map, const char *form)
{
	return json_string_value(json_object_get(map, form));
}

static void
test_titled(void **state)
{
	json_t *m = json_object();

	codemap_add_titled(m, "illness", "因病 / Illness");
	assert_string_equal(code_of(m, "illness"), "illness");
	assert_string_equal(code_of(m, "因病 / illness"), "illness");
	assert_string_equal(code_of(m, "因病"), "illness");
	assert_string_equal(code_of(m, "illness"), "illness");
	assert_null(code_of(m, "Illness")); /* keys are lower-cased */
	codemap_add_titled(m, "head", NULL);
	assert_string_equal(code_of(m, "head"), "head");
	assert_int_equal(json_object_size(m), 4);
	json_decref(m);
}

static void
test_alias_first_wins(void **state)
{
	json_t *m = json_object();

	codemap_add_titled(m, "accident", "突发事件 / accident");
	codemap_add(m, "因意外", "accident");
	codemap_add(m, "突发事件", "disaster"); /* taken already */
	codemap_add(m, "", "disaster");         /* no empty form */
	assert_string_equal(code_of(m, "因意外"), "accident");
	assert_string_equal(code_of(m, "突发事件"), "accident");
	assert_null(code_of(m, ""));
	json_decref(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_titled),
		cmocka_unit_test(test_alias_first_wins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
