/*
 * Unit tests of daemon/html.c: every %s escaped (hostile names shown as
 * text), the other formats, form bodies (+, %XX, UTF-8, NUL, fields given
 * twice) and cookies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "html.h"

static char *
text_of(struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);
	char *s = malloc(n + 1);

	evbuffer_remove(b, s, n);
	s[n] = '\0';
	return s;
}

static void
test_html_printf(void **state)
{
	struct evbuffer *b = evbuffer_new();
	char *s;

	html_printf(b, "<td title=\"%s\">%s</td>%d %ld %lld %u 100%%",
	    "\" onmouseover=\"x", "<script>alert('1')</script> & co", -1,
	    2L, 3LL, 4u);
	s = text_of(b);
	assert_string_equal(s, "<td title=\"&quot; onmouseover=&quot;x\">"
	    "&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt; &amp; co</td>"
	    "-1 2 3 4 100%");
	free(s);
	html_printf(b, "[%s]", (const char *)NULL);
	s = text_of(b);
	assert_string_equal(s, "[]");
	free(s);
	html_escape(b, "a<b", 2);
	s = text_of(b);
	assert_string_equal(s, "a&lt;");
	free(s);
	evbuffer_free(b);
}

static void
test_html_form(void **state)
{
	const char *body = "csrf=ab&note=%E6%9D%91%E6%B0%91+%E5%A4%A7%E4%BC%9A"
	    "&empty=&flag&household=H001";
	char *v;

	assert_int_equal(html_form_value(body, strlen(body), "note", &v), 0);
	assert_string_equal(v, "村民 大会");
	free(v);
	assert_int_equal(html_form_value(body, strlen(body), "empty", &v), 0);
	assert_string_equal(v, "");
	free(v);
	assert_int_equal(html_form_value(body, strlen(body), "flag", &v), 0);
	assert_string_equal(v, "");
	free(v);
	assert_int_equal(html_form_value(body, strlen(body), "event", &v), 1);
	assert_null(v);
	assert_int_equal(html_form_value("a=1&a=2", 7, "a", &v), -1);
	assert_int_equal(html_form_value("a=%G1", 5, "a", &v), -1);
	assert_int_equal(html_form_value("a=%4", 4, "a", &v), -1);
	assert_int_equal(html_form_value("a=%FF", 5, "a", &v), -1);
	assert_int_equal(html_form_value("a=x%00y", 7, "a", &v), -1);
}

static void
test_html_form_check(void **state)
{
	const char *why = NULL;

	assert_int_equal(html_form_check("a=1&b=%E4%B8%AD", 15, &why), 0);
	assert_int_equal(html_form_check("", 0, &why), 0);
	assert_int_equal(html_form_check("a=%C3", 5, &why), -1);
	assert_non_null(why);
	assert_int_equal(html_form_check("a\0=1", 4, &why), -1);
	assert_int_equal(html_form_check("%zz=1", 5, &why), -1);
}

static void
test_html_cookie(void **state)
{
	char buf[16];

	assert_int_equal(html_cookie("a=1; fupin_session=abc; b=2",
	    "fupin_session", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "abc");
	assert_int_equal(html_cookie("xfupin_session=abc", "fupin_session",
	    buf, sizeof(buf)), -1);
	assert_int_equal(html_cookie("fupin_session=0123456789abcdef",
	    "fupin_session", buf, sizeof(buf)), -1);
	assert_int_equal(html_cookie(NULL, "fupin_session", buf,
	    sizeof(buf)), -1);
	assert_int_equal(html_cookie("fupin_session=", "fupin_session", buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_printf),
		cmocka_unit_test(test_html_form),
		cmocka_unit_test(test_html_form_check),
		cmocka_unit_test(test_html_cookie),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
