/*
 * fupinctl [-s SOCKET | -a ADDR:PORT | -c FILE] report [VILLAGE]
 *     [--html FILE] [--csv FILE] [--summary]
 *
 * Owns the picture of progress for township leaders. This file is the
 * data layer: it asks fupind for the report (REPORT, page by page on one
 * connection, answered from sql/functions/90-report.sql) into struct
 * report (report.h), ranks the villages, and hands that to the renderers:
 *   --html  a self-contained page (report_html.c);
 *   --csv   the per-village, per-deadline figures as CSV (report_text.c);
 *   --summary  a table per village on standard output (scripts/demo).
 *
 * Going through the daemon, the report needs no database login and shows
 * what the caller's role may see: a village team gets its own village's.
 * "In time" is measured from the audit trail (see report_obligations).
 * "Today" is the daemon's last sweep, not the wall clock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "fupinctl.h"
#include "isotime.h"
#include "report.h"
#include "util.h"

#define REPORT_MAX_PAGES 100000
#define REPORT_TRIES 3

/* ---- the daemon's answer ---- */

static char *
js_text(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return xstrdup(s ? s : "");
}

static long
js_long(json_t *o, const char *key)
{
	return (long)json_integer_value(json_object_get(o, key));
}

/* An ISO moment of the answer; dflt when null or malformed. */
static int64_t
js_moment(json_t *o, const char *key, int64_t dflt)
{
	const char *s = json_string_value(json_object_get(o, key));
	int64_t t;

	if (s == NULL || iso_parse(s, ISO_SHANGHAI_OFFSET, &t) < 0)
		return dflt;
	return t;
}

/*
 * Every page of the report into *first (the first answer, whose header
 * holds for all) and rows; 0, 1 (the daemon refused: said why), 2 (could
 * not ask) or 3 (it changed between pages: its row count or today
 * differs; ask again).
 */
static int
fetch_once(int fd, FILE *in, const char *village, json_t **first,
    json_t *rows)
{
	json_int_t from = 0, count = -1, next;

	for (int page = 0; page < REPORT_MAX_PAGES; page++) {
		char *req = xasprintf("REPORT%s%s FROM %lld\n",
		    village ? " " : "", village ? village : "",
		    (long long)from);
		json_t *a = ctl_ask_page(fd, in, req);

		free(req);
		if (a == NULL)
			return 2;
		if (!json_is_true(json_object_get(a, "ok"))) {
			const char *code = json_string_value(
			    json_object_get(a, "error"));
			const char *msg = json_string_value(
			    json_object_get(a, "message"));

			fprintf(stderr, "fupinctl: report: %s: %s\n",
			    code ? code : "error", msg ? msg : "");
			json_decref(a);
			return 1;
		}
		if (*first != NULL &&
		    (json_integer_value(json_object_get(a, "count")) != count ||
			!json_equal(json_object_get(a, "now"),
			    json_object_get(*first, "now")))) {
			json_decref(a);
			return 3;
		}
		count = json_integer_value(json_object_get(a, "count"));
		json_array_extend(rows, json_object_get(a, "rows"));
		next = json_is_integer(json_object_get(a, "next")) ?
		    json_integer_value(json_object_get(a, "next")) : -1;
		if (*first == NULL)
			*first = a;
		else
			json_decref(a);
		if (next < 0)
			break;
		if (next <= from) {
			fprintf(stderr, "fupinctl: the daemon's pages do not "
					"advance\n");
			return 2;
		}
		from = next;
	}
	return (json_int_t)json_array_size(rows) == count ? 0 : 3;
}

static int
fetch(int fd, const char *village, json_t **first, json_t **rows)
{
	int dupfd = dup(fd), rc = 3;
	FILE *in = dupfd >= 0 ? fdopen(dupfd, "r") : NULL;

	if (in == NULL) {
		if (dupfd >= 0)
			close(dupfd);
		fprintf(stderr, "fupinctl: %s\n", strerror(errno));
		return 2;
	}
	for (int i = 0; i < REPORT_TRIES && rc == 3; i++) {
		json_decref(*first);
		json_decref(*rows);
		*first = NULL;
		*rows = json_array();
		rc = fetch_once(fd, in, village, first, *rows);
	}
	fclose(in);
	if (rc == 3) {
		fprintf(stderr, "fupinctl: the report kept changing while it "
				"was read; try again\n");
		return 1;
	}
	return rc;
}

static int
item_index(const struct report *r, const char *id)
{
	for (size_t i = 0; i < r->nitems; i++)
		if (strcmp(r->items[i].id, id) == 0)
			return (int)i;
	return -1;
}

static void
load_calendar(struct report *r, json_t *calendar)
{
	size_t i;
	json_t *o;

	r->nitems = json_array_size(calendar);
	r->items = xcalloc(r->nitems + 1, sizeof(*r->items));
	json_array_foreach(calendar, i, o) {
		struct rp_item *it = &r->items[i];

		it->id = js_text(o, "id");
		it->kind = js_text(o, "kind");
		it->title = js_text(o, "title");
		it->opens = js_moment(o, "opens", INT64_MIN);
		it->due = js_moment(o, "due", 0);
		it->status = js_text(o, "status");
		it->deadline = json_is_true(json_object_get(o, "deadline"));
	}
}

/* A village row: its figures, and per deadline how its instances left
 * it. */
static void
load_village(struct report *r, struct rp_village *v, json_t *o)
{
	const char *deadline;
	json_t *cell;

	v->id = js_text(o, "id");
	v->name = js_text(o, "name");
	v->households = js_long(o, "households");
	v->exited = js_long(o, "exited");
	v->escalations = js_long(o, "escalations");
	v->notices = js_long(o, "notices");
	v->extensions = js_long(o, "extensions");
	v->cells = xcalloc(r->nitems + 1, sizeof(*v->cells));
	json_object_foreach(json_object_get(o, "deadlines"), deadline, cell) {
		int k = item_index(r, deadline);
		struct rp_cell *c;

		if (k < 0)
			continue;
		c = &v->cells[k];
		c->total = js_long(cell, "instances");
		c->on_time = js_long(cell, "on_time");
		c->extended = js_long(cell, "on_time_extended");
		c->late = js_long(cell, "late");
		c->overdue = js_long(cell, "overdue");
		c->pending = js_long(cell, "pending");
		v->sum.total += c->total;
		v->sum.on_time += c->on_time;
		v->sum.extended += c->extended;
		v->sum.late += c->late;
		v->sum.overdue += c->overdue;
		v->sum.pending += c->pending;
	}
}

static void
load_overdue(struct rp_overdue *d, json_t *o)
{
	const char *household = json_string_value(json_object_get(o,
	    "household"));

	d->village = js_text(o, "village");
	d->household = household ? xstrdup(household) : NULL;
	d->workflow = js_text(o, "workflow");
	d->state_title = js_text(o, "state");
	d->deadline_title = js_text(o, "deadline");
	d->due = js_moment(o, "due", 0);
	d->days = (int)js_long(o, "days");
	d->extended = json_is_true(json_object_get(o, "extended"));
}

static void
load_alert(struct rp_alert *a, json_t *o)
{
	size_t i, len = 0;
	json_t *who, *list = json_object_get(o, "recipients");

	a->at = js_moment(o, "at", 0);
	a->kind = js_text(o, "kind");
	a->village = js_text(o, "village");
	a->text = js_text(o, "text");
	/* "village_team,township_office", as the renderers print them */
	json_array_foreach(list, i, who)
		if (json_is_string(who))
			len += strlen(json_string_value(who)) + 1;
	a->recipients = xcalloc(len + 1, 1);
	json_array_foreach(list, i, who) {
		if (!json_is_string(who))
			continue;
		if (a->recipients[0] != '\0')
			strcat(a->recipients, ",");
		strcat(a->recipients, json_string_value(who));
	}
}

/* Fill r from the first answer's header and every page's rows. */
static void
report_fill(struct report *r, json_t *first, json_t *rows)
{
	size_t i, nv = 0, no = 0, na = 0;
	json_t *o;

	r->campaign = js_text(first, "campaign");
	r->township = js_text(first, "township");
	r->now = js_moment(first, "now", 0);
	r->has_now = json_is_true(json_object_get(first, "now_known"));
	r->alerts_total = js_long(first, "alerts");
	r->digests = js_long(first, "digests");
	r->overdue_total = js_long(first, "overdue_total");
	load_calendar(r, json_object_get(first, "calendar"));
	json_array_foreach(rows, i, o) {
		const char *kind = json_string_value(json_object_get(o, "row"));

		if (kind == NULL)
			continue;
		nv += strcmp(kind, "village") == 0;
		no += strcmp(kind, "overdue") == 0;
		na += strcmp(kind, "alert") == 0;
	}
	r->villages = xcalloc(nv + 1, sizeof(*r->villages));
	r->overdue = xcalloc(no + 1, sizeof(*r->overdue));
	r->alerts = xcalloc(na + 1, sizeof(*r->alerts));
	json_array_foreach(rows, i, o) {
		const char *kind = json_string_value(json_object_get(o, "row"));

		if (kind == NULL)
			continue;
		if (strcmp(kind, "village") == 0)
			load_village(r, &r->villages[r->nvillages++], o);
		else if (strcmp(kind, "overdue") == 0)
			load_overdue(&r->overdue[r->noverdue++], o);
		else if (strcmp(kind, "alert") == 0)
			load_alert(&r->alerts[r->nalerts++], o);
	}
}

/* Behind: what is overdue now weighs most, then what was late, then
 * escalations. */
static void
rank_villages(struct report *r)
{
	for (size_t i = 0; i < r->nvillages; i++) {
		struct rp_village *v = &r->villages[i];
		long done = v->sum.on_time + v->sum.late;

		v->score = (double)v->sum.overdue * 1000.0 +
		    (done ? 100.0 * (double)v->sum.late / (double)done : 0) *
			10.0 +
		    (double)v->escalations;
	}
}

static int
village_cmp(const void *a, const void *b)
{
	const struct rp_village *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return strcmp(x->id, y->id);
}

/* Ask the daemon on fd and fill r; an exit status. */
static int
report_load(int fd, const char *village, struct report *r)
{
	json_t *first = NULL, *rows = NULL;
	int rc = fetch(fd, village, &first, &rows);

	if (rc == 0) {
		report_fill(r, first, rows);
		rank_villages(r);
		qsort(r->villages, r->nvillages, sizeof(*r->villages),
		    village_cmp);
	}
	json_decref(first);
	json_decref(rows);
	return rc == 0 ? EXIT_OK : rc == 1 ? EXIT_ANSWER_ERROR :
						 EXIT_CANNOT_ASK;
}

/* ---- shared by the renderers ---- */

const char *
report_moment(int64_t t, char *buf, size_t len)
{
	char iso[ISO_BUFSIZE];

	iso_format(t, ISO_SHANGHAI_OFFSET, iso, sizeof(iso));
	/* "2019-10-21 00:00" */
	snprintf(buf, len, "%.10s %.5s", iso, iso + 11);
	return buf;
}

int
report_pct(long part, long whole)
{
	return whole > 0 ? (int)((part * 100 + whole / 2) / whole) : 0;
}

const char *
report_village_level(const struct rp_village *v)
{
	long done = v->sum.on_time + v->sum.late;

	if (v->sum.overdue > 0 || v->notices > 0 ||
	    (done > 0 && v->sum.late * 10 > done))
		return "red";
	if (v->sum.late > 0 || v->escalations > 0)
		return "amber";
	return "green";
}

const char *
report_level_word(const char *level)
{
	return strcmp(level, "red") == 0 ? "落后" :
	    strcmp(level, "amber") == 0 ? "需关注" : "正常";
}

/* ---- main ---- */

static void
report_free(struct report *r)
{
	for (size_t i = 0; i < r->nitems; i++) {
		free(r->items[i].id);
		free(r->items[i].kind);
		free(r->items[i].title);
		free(r->items[i].status);
	}
	free(r->items);
	for (size_t i = 0; i < r->nvillages; i++) {
		free(r->villages[i].id);
		free(r->villages[i].name);
		free(r->villages[i].cells);
	}
	free(r->villages);
	for (size_t i = 0; i < r->noverdue; i++) {
		free(r->overdue[i].village);
		free(r->overdue[i].household);
		free(r->overdue[i].workflow);
		free(r->overdue[i].state_title);
		free(r->overdue[i].deadline_title);
	}
	free(r->overdue);
	for (size_t i = 0; i < r->nalerts; i++) {
		free(r->alerts[i].kind);
		free(r->alerts[i].village);
		free(r->alerts[i].text);
		free(r->alerts[i].recipients);
	}
	free(r->alerts);
	free(r->campaign);
	free(r->township);
}

int
report_main(int fd, int argc, char **argv)
{
	struct report r;
	const char *html = NULL, *csv = NULL, *village = NULL;
	int summary = 0, rc;

	memset(&r, 0, sizeof(r));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--html") == 0 && i + 1 < argc)
			html = argv[++i];
		else if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc)
			csv = argv[++i];
		else if (strcmp(argv[i], "--summary") == 0)
			summary = 1;
		else if (argv[i][0] != '-' && village == NULL &&
		    strpbrk(argv[i], " \t\r\n") == NULL)
			village = argv[i];
		else {
			fprintf(stderr, "usage: fupinctl [-s SOCKET | -c FILE] "
					"report [VILLAGE] [--html FILE] "
					"[--csv FILE] [--summary]\n");
			return EXIT_CANNOT_ASK;
		}
	}
	if (html == NULL && csv == NULL && !summary)
		summary = 1;
	if ((rc = report_load(fd, village, &r)) != EXIT_OK) {
		report_free(&r);
		return rc;
	}
	if (html != NULL && report_html(&r, html) < 0)
		rc = EXIT_ANSWER_ERROR;
	if (csv != NULL && report_csv(&r, csv) < 0)
		rc = EXIT_ANSWER_ERROR;
	if (summary)
		report_summary(&r);
	report_free(&r);
	return rc;
}
