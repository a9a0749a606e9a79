/*
 * The in-memory metrics table: a township's per-village series (1,000
 * villages × six problem states) must not crowd out the daemon's own
 * counters, and a counter must find its series again among them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fupind.h"
#include "metrics.h"

/* The daemon's global, defined by main.c, which this test does not link. */
struct fupind *fupind;

static const char *const states[] = { "found", "corrected", "dismissed",
	"left", "rechecked", "verified" };

static void
test_many_series(void **state)
{
	char label[64];
	json_t *m, *problems;
	char *text;

	metrics_reset();
	for (int v = 1; v <= 1000; v++)
		for (size_t s = 0; s < 6; s++) {
			snprintf(label, sizeof(label), "V%04d/%s", v, states[s]);
			metrics_gauge_set("problems", label, v * 10 + (int)s);
		}
	/* Counters created after six thousand gauges are still kept. */
	for (int i = 0; i < 3; i++)
		metrics_count("requests", "HOUSEHOLD", 1);
	metrics_count("advance_groups", NULL, 2);
	assert_true(metrics_get("requests", "HOUSEHOLD") == 3);
	assert_true(metrics_get("advance_groups", NULL) == 2);
	assert_true(metrics_get("advance_groups", "") == 2);
	assert_true(metrics_get("problems", "V0777/left") == 7773);
	assert_true(metrics_get("problems", "V1001/left") == 0);
	assert_true(metrics_get("nothing", NULL) == 0);

	/* A gauge set again replaces its value; zeroing keeps the series. */
	metrics_gauge_set("problems", "V0777/left", 1);
	assert_true(metrics_get("problems", "V0777/left") == 1);
	metrics_gauge_zero("problems");
	assert_true(metrics_get("problems", "V0001/found") == 0);
	assert_true(metrics_get("requests", "HOUSEHOLD") == 3);

	m = metrics_json();
	problems = json_object_get(json_object_get(m, "gauges"), "problems");
	assert_int_equal(json_object_size(problems), 6000);
	assert_true(json_number_value(json_object_get(json_object_get(
	    json_object_get(m, "counters"), "requests"), "HOUSEHOLD")) == 3);
	json_decref(m);

	text = metrics_prometheus(1);
	assert_non_null(strstr(text, "fupin_requests_total{verb=\"HOUSEHOLD\"} 3"));
	assert_non_null(strstr(text, "fupin_problems{village=\"V1000\",figure=\"verified\"} 0"));
	/* One TYPE line per name, however many series it has. */
	assert_non_null(strstr(text, "# TYPE fupin_problems gauge"));
	assert_null(strstr(strstr(text, "# TYPE fupin_problems gauge") + 1,
	    "# TYPE fupin_problems gauge"));
	free(text);
	metrics_reset();
	assert_true(metrics_get("requests", "HOUSEHOLD") == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_series),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
