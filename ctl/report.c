/*
 * fupinctl -c FILE report [--html FILE] [--csv FILE] [--summary]
 *
 * Owns the picture of progress for township leaders. This file is the
 * data layer: it reads the database (conninfo from the configuration,
 * like import) through the fupin.report_* functions of
 * sql/functions/90-report.sql into struct report (report.h), ranks the
 * villages, and hands that to the renderers:
 *   --html  a self-contained page (report_html.c);
 *   --csv   the per-village, per-deadline figures as CSV (report_text.c);
 *   --summary  a table per village on standard output (scripts/demo).
 *
 * "In time" is measured from the audit trail (see report_obligations).
 * "Today" is fupin.daemon_state.last_now, the daemon's clock, not the
 * wall clock. Blocking libpq is fine: this is a command.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "fupinctl.h"
#include "isotime.h"
#include "report.h"
#include "util.h"

/* ---- database ---- */

static char *
report_config(const char *path, char **campaign)
{
	struct settings set;
	char *out;

	if (ctl_settings(path, 0, &set) < 0)
		return NULL;
	out = xstrdup(set.v[SET_DATABASE_CONNINFO].s);
	*campaign = xstrdup(set.v[SET_WORKFLOWS_CAMPAIGN].s);
	settings_free(&set);
	return out;
}

/* Run sql with params; NULL and a message on failure. */
static PGresult *
rp_query(PGconn *conn, const char *sql, int nparams,
    const char *const *params)
{
	PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL,
	    NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "fupinctl: report: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		return NULL;
	}
	return res;
}

static long
col_long(PGresult *res, int row, int col)
{
	return strtol(PQgetvalue(res, row, col), NULL, 10);
}

static int64_t
col_moment(PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static char *
col_text(PGresult *res, int row, int col)
{
	return xstrdup(PQgetvalue(res, row, col));
}

static int
col_true(PGresult *res, int row, int col)
{
	return strcmp(PQgetvalue(res, row, col), "t") == 0;
}

static int
load_basics(PGconn *conn, struct report *r)
{
	const char *params[1] = { r->campaign };
	PGresult *res = rp_query(conn, "SELECT today, township, "
	    "campaign_known FROM fupin.report_basics($1)", 1, params);

	if (res == NULL)
		return -1;
	if (!col_true(res, 0, 2)) {
		fprintf(stderr, "fupinctl: report: campaign %s is not in the "
				"database (has fupind run?)\n",
		    r->campaign);
		PQclear(res);
		return -1;
	}
	r->has_now = !PQgetisnull(res, 0, 0);
	/* Before the daemon's first sweep, the wall clock. */
	r->now = r->has_now ? col_moment(res, 0, 0) : (int64_t)time(NULL);
	r->township = col_text(res, 0, 1);
	PQclear(res);
	return 0;
}

static int
load_calendar(PGconn *conn, struct report *r, const char *const *params)
{
	PGresult *res = rp_query(conn, "SELECT item_id, kind, title, opens, "
	    "due, status, is_deadline "
	    "FROM fupin.report_calendar($1, to_timestamp($2::bigint))", 2,
	    params);

	if (res == NULL)
		return -1;
	r->nitems = (size_t)PQntuples(res);
	r->items = xcalloc(r->nitems + 1, sizeof(*r->items));
	for (size_t i = 0; i < r->nitems; i++) {
		struct rp_item *it = &r->items[i];
		int row = (int)i;

		it->id = col_text(res, row, 0);
		it->kind = col_text(res, row, 1);
		it->title = col_text(res, row, 2);
		it->opens = PQgetisnull(res, row, 3) ? INT64_MIN :
		    col_moment(res, row, 3);
		it->due = col_moment(res, row, 4);
		it->status = col_text(res, row, 5);
		it->deadline = col_true(res, row, 6);
	}
	PQclear(res);
	return 0;
}

static int
item_index(const struct report *r, const char *id)
{
	for (size_t i = 0; i < r->nitems; i++)
		if (strcmp(r->items[i].id, id) == 0)
			return (int)i;
	return -1;
}

static struct rp_village *
village_find(struct report *r, const char *id)
{
	for (size_t i = 0; i < r->nvillages; i++)
		if (strcmp(r->villages[i].id, id) == 0)
			return &r->villages[i];
	return NULL;
}

static int
load_villages(PGconn *conn, struct report *r, const char *const *params)
{
	PGresult *res = rp_query(conn, "SELECT village_id, name, households, "
	    "exited, escalations, notices, extensions "
	    "FROM fupin.report_villages($1)", 1, params);

	if (res == NULL)
		return -1;
	r->nvillages = (size_t)PQntuples(res);
	r->villages = xcalloc(r->nvillages + 1, sizeof(*r->villages));
	for (size_t i = 0; i < r->nvillages; i++) {
		struct rp_village *v = &r->villages[i];
		int row = (int)i;

		v->id = col_text(res, row, 0);
		v->name = col_text(res, row, 1);
		v->households = col_long(res, row, 2);
		v->exited = col_long(res, row, 3);
		v->escalations = col_long(res, row, 4);
		v->notices = col_long(res, row, 5);
		v->extensions = col_long(res, row, 6);
		v->cells = xcalloc(r->nitems + 1, sizeof(*v->cells));
	}
	PQclear(res);
	return 0;
}

static int
load_obligations(PGconn *conn, struct report *r, const char *const *params)
{
	PGresult *res = rp_query(conn, "SELECT village_id, deadline_id, "
	    "instances, on_time, on_time_extended, late, overdue, pending "
	    "FROM fupin.report_obligations($1, to_timestamp($2::bigint))", 2,
	    params);

	if (res == NULL)
		return -1;
	for (int row = 0; row < PQntuples(res); row++) {
		struct rp_village *v = village_find(r,
		    PQgetvalue(res, row, 0));
		int k = item_index(r, PQgetvalue(res, row, 1));
		struct rp_cell *c;

		if (v == NULL || k < 0)
			continue;
		c = &v->cells[k];
		c->total = col_long(res, row, 2);
		c->on_time = col_long(res, row, 3);
		c->extended = col_long(res, row, 4);
		c->late = col_long(res, row, 5);
		c->overdue = col_long(res, row, 6);
		c->pending = col_long(res, row, 7);
		v->sum.total += c->total;
		v->sum.on_time += c->on_time;
		v->sum.extended += c->extended;
		v->sum.late += c->late;
		v->sum.overdue += c->overdue;
		v->sum.pending += c->pending;
	}
	PQclear(res);
	return 0;
}

static int
load_alert_counts(PGconn *conn, struct report *r, const char *const *params)
{
	PGresult *res = rp_query(conn, "SELECT alerts, digests "
	    "FROM fupin.report_alert_counts($1)", 1, params);

	if (res == NULL)
		return -1;
	r->alerts_total = col_long(res, 0, 0);
	r->digests = col_long(res, 0, 1);
	PQclear(res);
	return 0;
}

static int
load_overdue(PGconn *conn, struct report *r, const char *const *params)
{
	char max[16];
	const char *p[3] = { params[0], params[1], max };
	PGresult *res;

	snprintf(max, sizeof(max), "%d", REPORT_MAX_OVERDUE);
	res = rp_query(conn, "SELECT village_name, household_id, workflow, "
	    "state_title, deadline_title, due, days_overdue, extended, total "
	    "FROM fupin.report_overdue($1, to_timestamp($2::bigint), $3)", 3,
	    p);

	if (res == NULL)
		return -1;
	r->noverdue = (size_t)PQntuples(res);
	r->overdue = xcalloc(r->noverdue + 1, sizeof(*r->overdue));
	r->overdue_total = r->noverdue ? col_long(res, 0, 8) : 0;
	for (size_t i = 0; i < r->noverdue; i++) {
		struct rp_overdue *o = &r->overdue[i];
		int row = (int)i;

		o->village = col_text(res, row, 0);
		o->household = PQgetisnull(res, row, 1) ? NULL :
		    col_text(res, row, 1);
		o->workflow = col_text(res, row, 2);
		o->state_title = col_text(res, row, 3);
		o->deadline_title = col_text(res, row, 4);
		o->due = col_moment(res, row, 5);
		o->days = (int)col_long(res, row, 6);
		o->extended = col_true(res, row, 7);
	}
	PQclear(res);
	return 0;
}

static int
load_alerts(PGconn *conn, struct report *r, const char *const *params)
{
	char max[16];
	const char *p[2] = { params[0], max };
	PGresult *res;

	snprintf(max, sizeof(max), "%d", REPORT_MAX_ALERTS);
	res = rp_query(conn, "SELECT fire_at, kind, village_name, text, "
	    "recipients FROM fupin.report_alerts($1, $2)", 2, p);

	if (res == NULL)
		return -1;
	r->nalerts = (size_t)PQntuples(res);
	r->alerts = xcalloc(r->nalerts + 1, sizeof(*r->alerts));
	for (size_t i = 0; i < r->nalerts; i++) {
		struct rp_alert *a = &r->alerts[i];
		int row = (int)i;

		a->at = col_moment(res, row, 0);
		a->kind = col_text(res, row, 1);
		a->village = col_text(res, row, 2);
		a->text = col_text(res, row, 3);
		a->recipients = col_text(res, row, 4);
	}
	PQclear(res);
	return 0;
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

/* Fill r (campaign already set) from the database. */
static int
report_load(PGconn *conn, struct report *r)
{
	char now[32];
	const char *params[2] = { r->campaign, now };

	if (load_basics(conn, r) < 0)
		return -1;
	snprintf(now, sizeof(now), "%lld", (long long)r->now);
	if (load_calendar(conn, r, params) < 0 ||
	    load_villages(conn, r, params) < 0 ||
	    load_obligations(conn, r, params) < 0 ||
	    load_alert_counts(conn, r, params) < 0 ||
	    load_overdue(conn, r, params) < 0 ||
	    load_alerts(conn, r, params) < 0)
		return -1;
	rank_villages(r);
	qsort(r->villages, r->nvillages, sizeof(*r->villages), village_cmp);
	return 0;
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
report_main(const char *config_path, int argc, char **argv)
{
	struct report r;
	const char *html = NULL, *csv = NULL;
	int summary = 0, rc = EXIT_OK;
	char *conninfo;
	PGconn *conn;

	memset(&r, 0, sizeof(r));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--html") == 0 && i + 1 < argc)
			html = argv[++i];
		else if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc)
			csv = argv[++i];
		else if (strcmp(argv[i], "--summary") == 0)
			summary = 1;
		else {
			fprintf(stderr, "usage: fupinctl [-c FILE] report "
					"[--html FILE] [--csv FILE] [--summary]\n");
			return EXIT_CANNOT_ASK;
		}
	}
	if (html == NULL && csv == NULL && !summary)
		summary = 1;
	if ((conninfo = report_config(config_path, &r.campaign)) == NULL)
		return EXIT_CANNOT_ASK;
	conn = PQconnectdb(conninfo);
	free(conninfo);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "fupinctl: report: cannot connect: %s",
		    PQerrorMessage(conn));
		PQfinish(conn);
		report_free(&r);
		return EXIT_CANNOT_ASK;
	}
	PQclear(PQexec(conn, "SET TIME ZONE 'Asia/Shanghai'"));
	if (report_load(conn, &r) < 0) {
		PQfinish(conn);
		report_free(&r);
		return EXIT_ANSWER_ERROR;
	}
	PQfinish(conn);
	if (html != NULL && report_html(&r, html) < 0)
		rc = EXIT_ANSWER_ERROR;
	if (csv != NULL && report_csv(&r, csv) < 0)
		rc = EXIT_ANSWER_ERROR;
	if (summary)
		report_summary(&r);
	report_free(&r);
	return rc;
}
