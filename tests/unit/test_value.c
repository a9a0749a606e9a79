/*
 * Unit tests of ctl/value.c, the cell parsers of fupinctl import: what
 * each accepts, the normal form it writes back, and the reason it gives
 * (the reasons are what a village clerk reads, so they are pinned here).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "value.h"

/* The result of one parser call: why it is bad, or the normal form
 * ("(null)" for NULL). */
static char result[256];
static char cell[128];
static char scratch[VALUE_SCRATCH];
static char why[256];

static const char *
outcome(const char *bad, char *const *val)
{
	/* val is read here, after the parser ran. */
	snprintf(result, sizeof(result), "%s", bad != NULL ? bad :
	    *val != NULL ? *val : "(null)");
	return result;
}

#define PARSE(call, input)                                                \
	(snprintf(cell, sizeof(cell), "%s", input), val = cell,           \
	    outcome(call, &val))

static void
test_id(void **state)
{
	char *val;

	assert_string_equal(PARSE(value_id(val), "H0001"), "H0001");
	assert_string_equal(PARSE(value_id(val), ""), "required");
	assert_string_equal(PARSE(value_id(val), "H 1"),
	    "must not contain white space");
	assert_string_equal(PARSE(value_id(val), "H\t1"),
	    "must not contain white space");
	assert_string_equal(PARSE(value_id(val), "村01"), "村01");
	assert_string_equal(PARSE(value_id(val), "1234567890123456789012345"
					      "678901234567890123456789012345678901234"),
	    "1234567890123456789012345678901234567890123456789012345678901234");
	assert_string_equal(PARSE(value_id(val), "1234567890123456789012345"
					      "6789012345678901234567890123456789012345"),
	    "longer than 64 bytes");
}

static void
test_text(void **state)
{
	char *val;

	assert_string_equal(PARSE(value_text(&val, VALUE_REQUIRED), "岩温"),
	    "岩温");
	assert_string_equal(PARSE(value_text(&val, VALUE_REQUIRED), ""),
	    "required");
	assert_string_equal(PARSE(value_text(&val, VALUE_EMPTY_NULL), ""),
	    "(null)");
	assert_string_equal(PARSE(value_text(&val, VALUE_EMPTY_KEEP), ""), "");
	assert_string_equal(PARSE(value_text(&val, VALUE_EMPTY_NULL), "x"),
	    "x");
}

static const struct value_range size = { 1, 50, VALUE_REQUIRED, NULL };
static const struct value_range year = { 1980, 2100, VALUE_EMPTY_NULL,
	"a year" };

static void
test_integer(void **state)
{
	char *val;

#define SIZE(in) PARSE(value_integer(&val, &size, scratch, why, sizeof(why)), in)
#define YEAR(in) PARSE(value_integer(&val, &year, scratch, why, sizeof(why)), in)
	assert_string_equal(SIZE("4"), "4");
	assert_string_equal(SIZE("1"), "1");
	assert_string_equal(SIZE("50"), "50");
	assert_string_equal(SIZE("007"), "7");
	assert_string_equal(SIZE(""), "required");
	assert_string_equal(SIZE("0"), "must be between 1 and 50");
	assert_string_equal(SIZE("51"), "must be between 1 and 50");
	assert_string_equal(SIZE("-3"), "'-3' is not a whole number");
	assert_string_equal(SIZE("4.0"), "'4.0' is not a whole number");
	assert_string_equal(SIZE("四"), "'四' is not a whole number");
	assert_string_equal(SIZE("1234567890"),
	    "'1234567890' is not a whole number");
	assert_string_equal(SIZE("000000004"), "4");
	assert_string_equal(YEAR("2016"), "2016");
	assert_string_equal(YEAR(""), "(null)");
	assert_string_equal(YEAR("1979"), "'1979' is not a year (1980-2100)");
	assert_string_equal(YEAR("2101"), "'2101' is not a year (1980-2100)");
	assert_string_equal(YEAR("二〇一六"),
	    "'二〇一六' is not a year (1980-2100)");
#undef SIZE
#undef YEAR
}

static void
test_money(void **state)
{
	char *val;

#define MONEY(in) PARSE(value_money(&val, why, sizeof(why)), in)
	assert_string_equal(MONEY("3650"), "3650");
	assert_string_equal(MONEY("3650.5"), "3650.5");
	assert_string_equal(MONEY("0.25"), "0.25");
	assert_string_equal(MONEY("9999999999.99"), "9999999999.99");
	assert_string_equal(MONEY(""), "(null)");
	assert_string_equal(MONEY("-1"), "must not be negative");
	assert_string_equal(MONEY("1.234"), "more than 2 decimals");
	assert_string_equal(MONEY("1."), "'1.' is not an amount in yuan");
	assert_string_equal(MONEY(".5"), "'.5' is not an amount in yuan");
	assert_string_equal(MONEY("1,000"), "'1,000' is not an amount in yuan");
	assert_string_equal(MONEY("1.2.3"), "'1.2.3' is not an amount in yuan");
	assert_string_equal(MONEY("3650元"), "'3650元' is not an amount in yuan");
	assert_string_equal(MONEY("12345678901"),
	    "'12345678901' is not an amount in yuan");
#undef MONEY
}

static void
test_date(void **state)
{
	char *val;

#define DATE(in) PARSE(value_date(&val, why, sizeof(why)), in)
	assert_string_equal(DATE("2019-10-08"), "2019-10-08");
	assert_string_equal(DATE("2000-02-29"), "2000-02-29");
	assert_string_equal(DATE(""), "(null)");
	assert_string_equal(DATE("1900-02-29"),
	    "'1900-02-29' is not a date YYYY-MM-DD");
	assert_string_equal(DATE("2019-02-29"),
	    "'2019-02-29' is not a date YYYY-MM-DD");
	assert_string_equal(DATE("2019-13-01"),
	    "'2019-13-01' is not a date YYYY-MM-DD");
	assert_string_equal(DATE("2019-1-8"),
	    "'2019-1-8' is not a date YYYY-MM-DD");
	assert_string_equal(DATE("2019/10/08"),
	    "'2019/10/08' is not a date YYYY-MM-DD");
	assert_string_equal(DATE("2019-1a-08"),
	    "'2019-1a-08' is not a date YYYY-MM-DD");
	assert_string_equal(DATE("1899-12-31"),
	    "'1899-12-31' is not a date YYYY-MM-DD");
#undef DATE
	assert_true(value_date_ok(2024, 2, 29));
	assert_false(value_date_ok(2100, 2, 29));
	assert_false(value_date_ok(2101, 1, 1));
	assert_false(value_date_ok(2019, 4, 31));
	assert_false(value_date_ok(-1, 1, 1));
}

static void
test_codes(void **state)
{
	char *val;

#define CODE(set, in) PARSE(value_code(&val, &set, why, sizeof(why)), in)
	assert_string_equal(CODE(value_flags, "1"), "t");
	assert_string_equal(CODE(value_flags, "0"), "f");
	assert_string_equal(CODE(value_flags, "是"), "t");
	assert_string_equal(CODE(value_flags, "否"), "f");
	assert_string_equal(CODE(value_flags, "YES"), "t");
	assert_string_equal(CODE(value_flags, "N"), "f");
	assert_string_equal(CODE(value_flags, ""), "required (1 or 0)");
	assert_string_equal(CODE(value_flags, "2"), "'2' is not 1 or 0");
	assert_string_equal(CODE(value_categories, "贫困户"), "poor");
	assert_string_equal(CODE(value_categories, "Lifted"), "lifted");
	assert_string_equal(CODE(value_categories, "边缘易致贫户"), "marginal");
	assert_string_equal(CODE(value_categories, "一般户"), "ordinary");
	assert_string_equal(CODE(value_categories, ""), "required");
	assert_string_equal(CODE(value_categories, "富户"),
	    "unknown category '富户' (poor, lifted, relapsed, marginal, "
	    "monitoring, ordinary)");
	assert_string_equal(CODE(value_changes, "自然减少"), "decrease");
	assert_string_equal(CODE(value_changes, "Increase"), "increase");
	assert_string_equal(CODE(value_changes, ""), "");
	assert_string_equal(CODE(value_changes, "迁出"),
	    "'迁出' is not increase or decrease (自然增加/自然减少)");
#undef CODE
}

static void
test_person_id(void **state)
{
	char *val;

#define PID(in) PARSE(value_person_id(&val, why, sizeof(why)), in)
	assert_string_equal(PID("11010519491231002X"), "11010519491231002X");
	/* a lower-case x is written back upper-case */
	assert_string_equal(PID("11010519491231002x"), "11010519491231002X");
	assert_string_equal(PID("530926198002291239"), "530926198002291239");
	assert_string_equal(PID(""), "required");
	assert_string_equal(PID("11010519491231002"),
	    "'11010519491231002' is not 17 digits and a check character");
	assert_string_equal(PID("1101051949123100X2"),
	    "'1101051949123100X2' is not 17 digits and a check character");
	assert_string_equal(PID("110105194912310029"),
	    "check character of 110105194912310029 should be X");
	/* the check character is right, the day is not */
	assert_string_equal(PID("530926198102291236"),
	    "530926198102291236 holds no valid birth date");
#undef PID
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_integer),
		cmocka_unit_test(test_money),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_person_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
