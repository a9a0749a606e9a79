/*
 * Unit tests of daemon/role.c: names both ways, the order of privilege
 * that verbs rely on, and the text of a role set as workflow files,
 * refusals and the generated documentation show it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "role.h"

static void
test_role_names(void **state)
{
	static const char *const names[] = { "village", "township", "city",
		"admin" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_true(role_valid(names[i]));
		assert_string_equal(role_name(role_from_name(names[i])),
		    names[i]);
	}
	assert_string_equal(role_name(ROLE_NONE), "none");
	assert_int_equal(role_from_name("none"), ROLE_NONE);
	assert_int_equal(role_from_name("county"), ROLE_NONE);
	assert_int_equal(role_from_name("Admin"), ROLE_NONE);
	assert_false(role_valid("county"));
	assert_false(role_valid(""));
}

static void
test_role_order(void **state)
{
	assert_true(ROLE_NONE < ROLE_VILLAGE);
	assert_true(ROLE_VILLAGE < ROLE_CITY);
	assert_true(ROLE_CITY < ROLE_TOWNSHIP);
	assert_true(ROLE_TOWNSHIP < ROLE_ADMIN);
}

static void
test_role_mask_text(void **state)
{
	char buf[64], tiny[8];

	assert_string_equal(role_mask_text(0, buf, sizeof(buf)), "admin");
	assert_string_equal(role_mask_text(ROLE_BIT(ROLE_ADMIN), buf,
				sizeof(buf)), "admin");
	assert_string_equal(role_mask_text(ROLE_BIT(ROLE_CITY) |
				ROLE_BIT(ROLE_VILLAGE) | ROLE_BIT(ROLE_ADMIN),
				buf, sizeof(buf)), "village, city");
	assert_string_equal(role_mask_text(ROLE_BIT(ROLE_CITY) |
				ROLE_BIT(ROLE_TOWNSHIP) | ROLE_BIT(ROLE_VILLAGE),
				buf, sizeof(buf)), "village, township, city");
	/* Cut short, never overflowed. */
	assert_string_equal(role_mask_text(ROLE_BIT(ROLE_VILLAGE) |
				ROLE_BIT(ROLE_TOWNSHIP), tiny, sizeof(tiny)),
	    "village");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_role_names),
		cmocka_unit_test(test_role_order),
		cmocka_unit_test(test_role_mask_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
