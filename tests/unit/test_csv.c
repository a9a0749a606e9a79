/*
 * Unit tests of common/csv.c: quoting, escaped quotes, CRLF/LF/CR line
 * ends, the byte order mark, editor line numbers across quoted line
 * breaks, and the errors (unclosed quote, junk after a quote, NUL, limits).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csv.h"
#include "util.h"

/* Read the next record of c and check its fields and first line. */
static void
expect_record(struct csv *c, int line, size_t n, ...)
{
	va_list ap;

	assert_int_equal(csv_read(c), CSV_RECORD);
	assert_int_equal(c->line, line);
	assert_int_equal(c->nfields, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(c->fields[i], va_arg(ap, const char *));
	va_end(ap);
}

static void
test_plain(void **state)
{
	const char in[] = "a,b,c\n1,,3\n";
	struct csv c;

	csv_init(&c, in, strlen(in));
	expect_record(&c, 1, 3, "a", "b", "c");
	expect_record(&c, 2, 3, "1", "", "3");
	assert_int_equal(csv_read(&c), CSV_EOF);
	/* EOF stays EOF. */
	assert_int_equal(csv_read(&c), CSV_EOF);
	csv_free(&c);
}

static void
test_no_final_newline_and_trailing_comma(void **state)
{
	const char in[] = "a,b,\nx,y";
	struct csv c;

	csv_init(&c, in, strlen(in));
	expect_record(&c, 1, 3, "a", "b", "");
	expect_record(&c, 2, 2, "x", "y");
	assert_int_equal(csv_read(&c), CSV_EOF);
	csv_free(&c);
}

static void
test_quotes(void **state)
{
	const char in[] = "\"a,b\",\"say \"\"hi\"\"\",\"\"\n"
			  "\"\",x\"y,\"z\"\n";
	struct csv c;

	csv_init(&c, in, strlen(in));
	expect_record(&c, 1, 3, "a,b", "say \"hi\"", "");
	/* A quote inside a bare field is data, as spreadsheets write it. */
	expect_record(&c, 2, 3, "", "x\"y", "z");
	assert_int_equal(csv_read(&c), CSV_EOF);
	csv_free(&c);
}

static void
test_crlf_and_cr(void **state)
{
	const char in[] = "a,b\r\nc,d\re,f\r\n";
	struct csv c;

	csv_init(&c, in, strlen(in));
	expect_record(&c, 1, 2, "a", "b");
	expect_record(&c, 2, 2, "c", "d");
	expect_record(&c, 3, 2, "e", "f");
	assert_int_equal(csv_read(&c), CSV_EOF);
	csv_free(&c);
}

static void
test_bom(void **state)
{
	const char in[] = "\xef\xbb\xbfid,name\n1,x\n";
	const char mid[] = "id\n\xef\xbb\xbfx\n";
	struct csv c;

	csv_init(&c, in, strlen(in));
	expect_record(&c, 1, 2, "id", "name");
	expect_record(&c, 2, 2, "1", "x");
	csv_free(&c);

	/* Only a leading BOM is one; elsewhere it is data. */
	csv_init(&c, mid, strlen(mid));
	expect_record(&c, 1, 1, "id");
	expect_record(&c, 2, 1, "\xef\xbb\xbfx");
	csv_free(&c);
}

static void
test_line_numbers_across_quoted_breaks(void **state)
{
	const char in[] = "h1,h2\n"
			  "1,\"two\nlines\"\n"
			  "2,\"three\r\nline\r\nfield\"\r\n"
			  "\n"
			  "3,after\n";
	struct csv c;

	csv_init(&c, in, strlen(in));
	expect_record(&c, 1, 2, "h1", "h2");
	expect_record(&c, 2, 2, "1", "two\nlines");
	assert_int_equal(c.end_line, 3);
	expect_record(&c, 4, 2, "2", "three\r\nline\r\nfield");
	assert_int_equal(c.end_line, 6);
	/* The empty line 7 is skipped but counted. */
	expect_record(&c, 8, 2, "3", "after");
	assert_int_equal(csv_read(&c), CSV_EOF);
	csv_free(&c);
}

static void
test_unterminated_quote(void **state)
{
	const char in[] = "a,b\nc,\"open\nstill open\n";
	struct csv c;

	csv_init(&c, in, strlen(in));
	expect_record(&c, 1, 2, "a", "b");
	assert_int_equal(csv_read(&c), CSV_ERROR);
	assert_non_null(c.error);
	assert_non_null(strstr(c.error, "not closed"));
	/* The line where the quote opened, not where the file ended. */
	assert_int_equal(c.error_line, 2);
	/* Errors are sticky. */
	assert_int_equal(csv_read(&c), CSV_ERROR);
	csv_free(&c);
}

static void
test_junk_after_quote(void **state)
{
	const char in[] = "a\n\"x\ny\"z,1\n";
	struct csv c;

	csv_init(&c, in, strlen(in));
	expect_record(&c, 1, 1, "a");
	assert_int_equal(csv_read(&c), CSV_ERROR);
	assert_non_null(strstr(c.error, "closing quote"));
	assert_int_equal(c.error_line, 3);
	csv_free(&c);
}

static void
test_nul_byte(void **state)
{
	const char in[] = "a,b\nc,d\0e\n";
	struct csv c;

	csv_init(&c, in, sizeof(in) - 1);
	expect_record(&c, 1, 2, "a", "b");
	assert_int_equal(csv_read(&c), CSV_ERROR);
	assert_non_null(strstr(c.error, "NUL"));
	assert_int_equal(c.error_line, 2);
	csv_free(&c);
}

static void
test_limits(void **state)
{
	size_t n = CSV_MAX_FIELDS + 1, len = n * 2;
	char *many = xmalloc(len + 1), *big;
	struct csv c;

	/* CSV_MAX_FIELDS fields are fine, one more is not. */
	for (size_t i = 0; i < n; i++) {
		many[2 * i] = 'x';
		many[2 * i + 1] = ',';
	}
	many[len - 3] = '\n';
	csv_init(&c, many, len - 2);
	assert_int_equal(csv_read(&c), CSV_RECORD);
	assert_int_equal(c.nfields, CSV_MAX_FIELDS);
	csv_free(&c);
	many[len - 3] = ',';
	many[len - 1] = '\n';
	csv_init(&c, many, len);
	assert_int_equal(csv_read(&c), CSV_ERROR);
	assert_non_null(strstr(c.error, "fields"));
	csv_free(&c);
	free(many);

	big = xmalloc(CSV_MAX_RECORD + 2);
	memset(big, 'y', CSV_MAX_RECORD + 1);
	big[CSV_MAX_RECORD + 1] = '\n';
	csv_init(&c, big, CSV_MAX_RECORD + 2);
	assert_int_equal(csv_read(&c), CSV_ERROR);
	assert_non_null(strstr(c.error, "longer"));
	csv_free(&c);
	free(big);
}

static void
test_line_at(void **state)
{
	const char in[] = "a\nb\r\nc\rd";

	assert_int_equal(csv_line_at(in, strlen(in), 0), 1);
	assert_int_equal(csv_line_at(in, strlen(in), 2), 2);
	/* The LF of a CRLF is still line 2. */
	assert_int_equal(csv_line_at(in, strlen(in), 4), 2);
	assert_int_equal(csv_line_at(in, strlen(in), 5), 3);
	assert_int_equal(csv_line_at(in, strlen(in), 7), 4);
}

static void
test_empty(void **state)
{
	struct csv c;

	csv_init(&c, "", 0);
	assert_int_equal(csv_read(&c), CSV_EOF);
	csv_free(&c);
	csv_init(&c, "\xef\xbb\xbf\r\n\n", 5);
	assert_int_equal(csv_read(&c), CSV_EOF);
	csv_free(&c);
}

/* Formulas are written as text; quoting still applies. */
static void
test_write_formula(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "=HYPERLINK(\"http://x\",\"y\")",
		    "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"" },
		{ "=1+1", "'=1+1" },
		{ "+86 123", "'+86 123" },
		{ "-2", "'-2" },
		{ "@SUM(A1)", "'@SUM(A1)" },
		{ "\tx", "'\tx" },
		{ "\rx", "\"'\rx\"" },
		{ "勐戛村", "勐戛村" },
		{ "a=b", "a=b" },
		{ "a,b", "\"a,b\"" },
		{ "", "" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		csv_write_field(f, cases[i].in);
		fclose(f);
		assert_string_equal(buf, cases[i].out);
		free(buf);
	}
	assert_true(csv_is_formula("=x"));
	assert_false(csv_is_formula("x="));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_no_final_newline_and_trailing_comma),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_crlf_and_cr),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_line_numbers_across_quoted_breaks),
		cmocka_unit_test(test_unterminated_quote),
		cmocka_unit_test(test_junk_after_quote),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_line_at),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_write_formula),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
