/*
 * fupinctl -c FILE report [--html FILE] [--csv FILE] [--summary]
 *
 * Owns the picture of progress for township leaders: it reads the
 * database (conninfo from the configuration, like import) and writes
 *   --html  a self-contained page (inline CSS and SVG, no network, A4):
 *           the calendar as a timeline marking the daemon's today, per
 *           village a bar per deadline (share of households that left the
 *           deadline's states in time), the overdue list, the alert history;
 *           villages sorted so that the one furthest behind comes first;
 *   --csv   the same per-village, per-deadline figures as CSV;
 *   --summary  a table per village on standard output (scripts/demo).
 *
 * "In time" is measured from the audit trail: for every instance and every
 * deadline one of its states was bound by (state_rule.leave_by), the last
 * time it left such a state for one that is not, against the village's
 * due moment (extensions count). "Today" is fupin.daemon_state.last_now,
 * the daemon's clock, not the wall clock. Blocking libpq is fine: this is
 * a command.
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
#include "util.h"

#define REPORT_MAX_OVERDUE 300
#define REPORT_MAX_ALERTS 400

struct rp_item {
	char *id, *kind, *title, *status;
	int64_t opens, due; /* opens INT64_MIN when open from the start */
	int deadline;	    /* some state must be left by it */
};

struct rp_cell {
	long total, on_time, extended, late, overdue, pending;
};

struct rp_village {
	char *id, *name;
	struct rp_cell *cells; /* per item */
	struct rp_cell sum;
	long households, exited, escalations, notices, extensions;
	double score; /* higher: further behind */
};

struct report {
	PGconn *conn;
	char *campaign;
	char *township;
	int64_t now;
	int has_now;
	struct rp_item *items;
	size_t nitems;
	struct rp_village *villages;
	size_t nvillages;
	long alerts_total, digests;
};

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

/* Run sql with the campaign ($1) and today ($2, epoch seconds); NULL and
 * a message on failure. */
static PGresult *
rp_query(struct report *r, const char *sql)
{
	char now[32];
	const char *params[2] = { r->campaign, now };
	PGresult *res;

	snprintf(now, sizeof(now), "%lld", (long long)r->now);
	res = PQexecParams(r->conn, sql, 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "fupinctl: report: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		return NULL;
	}
	return res;
}

#define NOW_SQL "to_timestamp($2::bigint)"

static long
col_long(PGresult *res, int row, int col)
{
	return strtol(PQgetvalue(res, row, col), NULL, 10);
}

static int
load_basics(struct report *r)
{
	const char *params[1] = { r->campaign };
	PGresult *res = PQexecParams(r->conn,
	    "SELECT (SELECT extract(epoch FROM last_now)::bigint "
	    "  FROM fupin.daemon_state WHERE campaign_id = $1), "
	    " (SELECT string_agg(DISTINCT township, '、') FROM fupin.village), "
	    " EXISTS (SELECT 1 FROM fupin.campaign WHERE campaign_id = $1)",
	    1, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "fupinctl: report: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	if (strcmp(PQgetvalue(res, 0, 2), "t") != 0) {
		fprintf(stderr, "fupinctl: report: campaign %s is not in the "
				"database (has fupind run?)\n",
		    r->campaign);
		PQclear(res);
		return -1;
	}
	r->has_now = !PQgetisnull(res, 0, 0);
	/* Before the daemon's first sweep, the wall clock. */
	r->now = r->has_now ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) :
	    (int64_t)time(NULL);
	r->township = xstrdup(PQgetisnull(res, 0, 1) ? "" :
	    PQgetvalue(res, 0, 1));
	PQclear(res);
	return 0;
}

static int
load_calendar(struct report *r)
{
	PGresult *res = rp_query(r,
	    "SELECT ci.item_id, ci.kind, ci.title_zh, "
	    " coalesce(extract(epoch FROM ci.opens)::bigint::text, ''), "
	    " extract(epoch FROM ci.due)::bigint, "
	    " CASE WHEN ci.opens IS NOT NULL AND " NOW_SQL " < ci.opens "
	    "   THEN 'upcoming' "
	    "  WHEN " NOW_SQL " < ci.due THEN 'open' "
	    "  WHEN EXISTS (SELECT 1 FROM fupin.instance_due d "
	    "   WHERE d.campaign_id = $1 AND d.deadline_id = ci.item_id "
	    "   AND d.due <= " NOW_SQL ") THEN 'overdue' ELSE 'closed' END, "
	    " EXISTS (SELECT 1 FROM fupin.state_rule sr "
	    "  WHERE sr.campaign_id = $1 AND sr.leave_by = ci.item_id) "
	    "FROM fupin.calendar_item ci WHERE ci.campaign_id = $1 "
	    "ORDER BY ci.due, ci.item_id");

	if (res == NULL)
		return -1;
	r->nitems = (size_t)PQntuples(res);
	r->items = xcalloc(r->nitems + 1, sizeof(*r->items));
	for (size_t i = 0; i < r->nitems; i++) {
		struct rp_item *it = &r->items[i];
		const char *opens = PQgetvalue(res, (int)i, 3);

		it->id = xstrdup(PQgetvalue(res, (int)i, 0));
		it->kind = xstrdup(PQgetvalue(res, (int)i, 1));
		it->title = xstrdup(PQgetvalue(res, (int)i, 2));
		it->opens = opens[0] ? strtoll(opens, NULL, 10) : INT64_MIN;
		it->due = strtoll(PQgetvalue(res, (int)i, 4), NULL, 10);
		it->status = xstrdup(PQgetvalue(res, (int)i, 5));
		it->deadline = strcmp(PQgetvalue(res, (int)i, 6), "t") == 0;
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

/* Per village and deadline: how the instances bound by it left it. */
static const char obligations_sql[] =
    "WITH bound AS ("
    " SELECT DISTINCT t.instance_id, sr.leave_by AS deadline_id"
    " FROM fupin.transition t"
    " JOIN fupin.state_rule sr ON sr.campaign_id = t.campaign_id"
    "  AND sr.workflow = t.workflow AND sr.state = t.to_state"
    " WHERE t.campaign_id = $1 AND t.instance_id IS NOT NULL"
    "  AND sr.leave_by IS NOT NULL"
    "), ob AS ("
    " SELECT wi.village_id, b.deadline_id, ci.due AS calendar_due,"
    "  fupin.village_due($1, wi.village_id, b.deadline_id) AS due,"
    "  EXISTS (SELECT 1 FROM fupin.state_rule s WHERE s.campaign_id = $1"
    "   AND s.workflow = wi.workflow AND s.state = wi.state"
    "   AND s.leave_by = b.deadline_id) AS still_in,"
    "  (SELECT max(t.at) FROM fupin.transition t"
    "   JOIN fupin.state_rule sf ON sf.campaign_id = t.campaign_id"
    "    AND sf.workflow = t.workflow AND sf.state = t.from_state"
    "    AND sf.leave_by = b.deadline_id"
    "   WHERE t.instance_id = b.instance_id AND NOT EXISTS (SELECT 1"
    "    FROM fupin.state_rule st WHERE st.campaign_id = t.campaign_id"
    "    AND st.workflow = t.workflow AND st.state = t.to_state"
    "    AND st.leave_by = b.deadline_id)) AS left_at"
    " FROM bound b JOIN fupin.workflow_instance wi USING (instance_id)"
    " JOIN fupin.calendar_item ci ON ci.campaign_id = $1"
    "  AND ci.item_id = b.deadline_id"
    ")"
    "SELECT village_id, deadline_id, count(*),"
    " count(*) FILTER (WHERE NOT still_in AND left_at <= due),"
    " count(*) FILTER (WHERE NOT still_in AND left_at <= due"
    "  AND left_at > calendar_due),"
    " count(*) FILTER (WHERE NOT still_in AND left_at > due),"
    " count(*) FILTER (WHERE still_in AND due <= " NOW_SQL "),"
    " count(*) FILTER (WHERE still_in AND due > " NOW_SQL ")"
    "FROM ob GROUP BY 1, 2";

static int
load_villages(struct report *r)
{
	PGresult *res = rp_query(r,
	    "SELECT v.village_id, v.name,"
	    " (SELECT count(*) FROM fupin.household h"
	    "  WHERE h.village_id = v.village_id),"
	    " (SELECT count(*) FROM fupin.workflow_instance wi"
	    "  WHERE wi.campaign_id = $1 AND wi.village_id = v.village_id"
	    "  AND wi.workflow = 'exit' AND wi.state = 'exited'),"
	    " (SELECT count(*) FROM fupin.alert a WHERE a.campaign_id = $1"
	    "  AND a.village_id = v.village_id AND a.kind = 'escalation'),"
	    " (SELECT count(*) FROM fupin.alert a WHERE a.campaign_id = $1"
	    "  AND a.village_id = v.village_id AND a.kind = 'escalation'"
	    "  AND a.level >= 3),"
	    " (SELECT count(*) FROM fupin.extension e WHERE e.campaign_id = $1"
	    "  AND e.village_id = v.village_id),"
	    " $2::text IS NOT NULL "
	    "FROM fupin.village v ORDER BY v.village_id");

	if (res == NULL)
		return -1;
	r->nvillages = (size_t)PQntuples(res);
	r->villages = xcalloc(r->nvillages + 1, sizeof(*r->villages));
	for (size_t i = 0; i < r->nvillages; i++) {
		struct rp_village *v = &r->villages[i];

		v->id = xstrdup(PQgetvalue(res, (int)i, 0));
		v->name = xstrdup(PQgetvalue(res, (int)i, 1));
		v->households = col_long(res, (int)i, 2);
		v->exited = col_long(res, (int)i, 3);
		v->escalations = col_long(res, (int)i, 4);
		v->notices = col_long(res, (int)i, 5);
		v->extensions = col_long(res, (int)i, 6);
		v->cells = xcalloc(r->nitems + 1, sizeof(*v->cells));
	}
	PQclear(res);

	if ((res = rp_query(r, obligations_sql)) == NULL)
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

	if ((res = rp_query(r, "SELECT count(*), count(*) FILTER (WHERE "
			       "kind = 'digest'), $2::text IS NOT NULL "
			       "FROM fupin.alert WHERE campaign_id = $1")) ==
	    NULL)
		return -1;
	r->alerts_total = col_long(res, 0, 0);
	r->digests = col_long(res, 0, 1);
	PQclear(res);

	/* Behind: what is overdue now weighs most, then what was late, then
	 * escalations. */
	for (size_t i = 0; i < r->nvillages; i++) {
		struct rp_village *v = &r->villages[i];
		long done = v->sum.on_time + v->sum.late;

		v->score = (double)v->sum.overdue * 1000.0 +
		    (done ? 100.0 * (double)v->sum.late / (double)done : 0) *
			10.0 +
		    (double)v->escalations;
	}
	return 0;
}

static int
village_cmp(const void *a, const void *b)
{
	const struct rp_village *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return strcmp(x->id, y->id);
}

/* ---- text helpers ---- */

static const char *
moment_text(int64_t t, char *buf, size_t len)
{
	char iso[ISO_BUFSIZE];

	iso_format(t, ISO_SHANGHAI_OFFSET, iso, sizeof(iso));
	/* "2019-10-21 00:00" */
	snprintf(buf, len, "%.10s %.5s", iso, iso + 11);
	return buf;
}

/* The text before the first "：" or "，". */
static char *
short_title(const char *t)
{
	const char *a = strstr(t, "："), *b = strstr(t, "，");
	const char *end = a && (!b || a < b) ? a : b;

	return end ? xasprintf("%.*s", (int)(end - t), t) : xstrdup(t);
}

static void
html_escape(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static void
csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static int
pct_of(long part, long whole)
{
	return whole > 0 ? (int)((part * 100 + whole / 2) / whole) : 0;
}

/* red, amber or green for a village. */
static const char *
village_level(const struct rp_village *v)
{
	long done = v->sum.on_time + v->sum.late;

	if (v->sum.overdue > 0 || v->notices > 0 ||
	    (done > 0 && v->sum.late * 10 > done))
		return "red";
	if (v->sum.late > 0 || v->escalations > 0)
		return "amber";
	return "green";
}

static const char *
level_word(const char *level)
{
	return strcmp(level, "red") == 0 ? "落后" :
	    strcmp(level, "amber") == 0 ? "需关注" : "正常";
}

/* ---- CSV ---- */

static int
write_csv(struct report *r, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	char due[32];

	if (f == NULL) {
		fprintf(stderr, "fupinctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fputs("village_id,village_name,deadline_id,deadline_title,due,"
	      "instances,on_time,on_time_extended,late,overdue,pending,"
	      "on_time_share,escalations,extensions\n",
	    f);
	for (size_t i = 0; i < r->nvillages; i++) {
		const struct rp_village *v = &r->villages[i];

		for (size_t k = 0; k < r->nitems; k++) {
			const struct rp_cell *c = &v->cells[k];
			long done = c->on_time + c->late + c->overdue;

			if (!r->items[k].deadline)
				continue;
			csv_field(f, v->id);
			fputc(',', f);
			csv_field(f, v->name);
			fputc(',', f);
			csv_field(f, r->items[k].id);
			fputc(',', f);
			csv_field(f, r->items[k].title);
			fprintf(f, ",%s,%ld,%ld,%ld,%ld,%ld,%ld,",
			    moment_text(r->items[k].due, due, sizeof(due)),
			    c->total, c->on_time, c->extended, c->late,
			    c->overdue, c->pending);
			if (done > 0)
				fprintf(f, "%.3f", (double)c->on_time /
				    (double)done);
			fprintf(f, ",%ld,%ld\n", v->escalations,
			    v->extensions);
		}
	}
	if (f != stdout && fclose(f) != 0) {
		fprintf(stderr, "fupinctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- summary (stdout) ---- */

static void
pad(const char *s, int width)
{
	int w = output_width(s);

	fputs(s, stdout);
	for (; w < width; w++)
		fputc(' ', stdout);
}

static void
write_summary(struct report *r)
{
	static const char *const heads[] = { "行政村", "户数", "按时完成",
		"其中延期内", "逾期完成", "逾期未完成", "督办/通报", "延期",
		"状态" };
	static const int widths[] = { 12, 6, 10, 12, 10, 12, 11, 6, 6 };
	char buf[64], when[32];

	if (r->has_now)
		printf("各村完成情况（截至 %s）\n",
		    moment_text(r->now, when, sizeof(when)));
	for (size_t i = 0; i < nitems(heads); i++)
		pad(heads[i], widths[i]);
	printf("\n");
	for (size_t i = 0; i < r->nvillages; i++) {
		const struct rp_village *v = &r->villages[i];

		pad(v->name, widths[0]);
		snprintf(buf, sizeof(buf), "%ld", v->households);
		pad(buf, widths[1]);
		snprintf(buf, sizeof(buf), "%ld", v->sum.on_time);
		pad(buf, widths[2]);
		snprintf(buf, sizeof(buf), "%ld", v->sum.extended);
		pad(buf, widths[3]);
		snprintf(buf, sizeof(buf), "%ld", v->sum.late);
		pad(buf, widths[4]);
		snprintf(buf, sizeof(buf), "%ld", v->sum.overdue);
		pad(buf, widths[5]);
		snprintf(buf, sizeof(buf), "%ld/%ld", v->escalations,
		    v->notices);
		pad(buf, widths[6]);
		snprintf(buf, sizeof(buf), "%ld", v->extensions);
		pad(buf, widths[7]);
		printf("%s\n", level_word(village_level(v)));
	}
}

/* ---- HTML ---- */

static const char html_style[] =
    "<style>\n"
    "@page{size:A4 landscape;margin:10mm}\n"
    "*{box-sizing:border-box}\n"
    "body{font-family:'Noto Sans CJK SC','Source Han Sans SC','WenQuanYi "
    "Micro Hei','Microsoft YaHei',sans-serif;color:#1f2937;margin:0;"
    "background:#fff;font-size:13px;-webkit-print-color-adjust:exact;"
    "print-color-adjust:exact}\n"
    "main{max-width:1160px;margin:0 auto;padding:18px 20px}\n"
    "h1{font-size:22px;margin:0 0 4px}\n"
    "h2{font-size:16px;margin:22px 0 8px;border-left:4px solid #b91c1c;"
    "padding-left:8px}\n"
    ".sub{color:#6b7280;margin:0 0 12px}\n"
    ".kpis{display:flex;gap:10px;flex-wrap:wrap;margin:10px 0}\n"
    ".kpi{flex:1;min-width:150px;border:1px solid #e5e7eb;border-radius:6px;"
    "padding:8px 12px}\n"
    ".kpi b{display:block;font-size:22px}\n"
    ".kpi.bad b{color:#b91c1c}.kpi.ok b{color:#15803d}\n"
    ".alertbox{border:2px solid #b91c1c;background:#fef2f2;border-radius:6px;"
    "padding:10px 14px;font-size:15px;margin:10px 0}\n"
    ".alertbox.okbox{border-color:#15803d;background:#f0fdf4}\n"
    "table{border-collapse:collapse;width:100%}\n"
    "th,td{border-bottom:1px solid #e5e7eb;padding:4px 5px;text-align:left;"
    "vertical-align:middle}\n"
    "th{background:#f3f4f6;font-weight:600;font-size:12px}\n"
    "tr{page-break-inside:avoid}\n"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".badge{display:inline-block;border-radius:10px;padding:1px 8px;"
    "font-size:12px;color:#fff}\n"
    ".red .badge{background:#b91c1c}.amber .badge{background:#d97706}"
    ".green .badge{background:#15803d}\n"
    "tr.red td.name{border-left:5px solid #b91c1c}"
    "tr.amber td.name{border-left:5px solid #d97706}"
    "tr.green td.name{border-left:5px solid #15803d}\n"
    "td.name{font-weight:600;white-space:nowrap}\n"
    "td.nw,td.num,.badge{white-space:nowrap}\n"
    "th small{display:block;font-weight:400;color:#6b7280}\n"
    ".bar{display:flex;height:10px;width:100%;min-width:52px;"
    "background:#e5e7eb;border-radius:2px;overflow:hidden}\n"
    ".bar span{display:block;height:100%}\n"
    ".s-on{background:#16a34a}.s-ext{background:#0d9488}"
    ".s-late{background:#f59e0b}.s-over{background:#dc2626}"
    ".s-pend{background:#cbd5e1}\n"
    ".cell small{display:block;font-size:10px;color:#4b5563;"
    "text-align:center}\n"
    ".legend span{display:inline-block;width:10px;height:10px;"
    "margin:0 4px 0 12px;vertical-align:middle}\n"
    ".small{font-size:11px;color:#4b5563}\n"
    ".k-reminder{color:#1d4ed8}.k-overdue{color:#b45309}"
    ".k-escalation{color:#b91c1c;font-weight:600}\n"
    "td.text{font-size:12px}\n"
    "svg text{font-family:inherit}\n"
    "@media print{main{padding:0;max-width:none}h2{break-after:avoid}"
    ".pb{break-before:page}}\n"
    "</style>\n";

static const char *
status_colour(const char *status)
{
	if (strcmp(status, "overdue") == 0)
		return "#dc2626";
	if (strcmp(status, "open") == 0)
		return "#2563eb";
	if (strcmp(status, "closed") == 0)
		return "#86a98f";
	return "#cbd5e1";
}

/* The calendar as a timeline: stages on one row, windows below, the
 * lock and tasks as markers, today as a red line. */
static void
html_timeline(FILE *f, const struct report *r)
{
	const int W = 1120, left = 10, right = 10, top = 30, rowh = 34;
	int64_t t0 = INT64_MAX, t1 = INT64_MIN;
	int rows = 4, H = top + rows * rowh + 24;
	double scale;
	char buf[32];

	for (size_t i = 0; i < r->nitems; i++) {
		const struct rp_item *it = &r->items[i];

		if (it->opens != INT64_MIN && it->opens < t0)
			t0 = it->opens;
		if (it->due < t0 && strcmp(it->kind, "stage") == 0)
			t0 = it->due - 3 * 86400;
		if (it->due > t1)
			t1 = it->due;
	}
	if (t0 == INT64_MAX)
		return;
	t0 -= 86400;
	t1 += 2 * 86400;
	scale = (double)(W - left - right) / (double)(t1 - t0);
#define X(t) (left + (double)((t) - t0) * scale)
	fprintf(f, "<svg viewBox='0 0 %d %d' width='100%%' role='img' "
		   "aria-label='时间轴' xmlns='http://www.w3.org/2000/svg'>\n",
	    W, H);
	/* month and week ticks */
	{
		int64_t d = (t0 + ISO_SHANGHAI_OFFSET * 60) / 86400;

		for (; d * 86400 - ISO_SHANGHAI_OFFSET * 60 <= t1; d++) {
			int y, m, dd;
			int64_t t = d * 86400 - ISO_SHANGHAI_OFFSET * 60;

			iso_civil_from_days(d, &y, &m, &dd);
			if (dd == 1 || t <= t0) {
				fprintf(f, "<line x1='%.1f' x2='%.1f' y1='14' "
					   "y2='%d' stroke='#9ca3af'/>"
					   "<text x='%.1f' y='11' font-size='12' "
					   "fill='#374151'>%d年%d月</text>\n",
				    X(t), X(t), H - 18, X(t) + 3, y, m);
			} else if (iso_weekday(d) == 0) {
				fprintf(f, "<line x1='%.1f' x2='%.1f' y1='20' "
					   "y2='%d' stroke='#eef0f3'/>"
					   "<text x='%.1f' y='%d' font-size='9' "
					   "fill='#9ca3af' text-anchor='middle'>"
					   "%d</text>\n",
				    X(t), X(t), H - 18, X(t), H - 6, dd);
			}
		}
	}
	for (size_t i = 0; i < r->nitems; i++) {
		const struct rp_item *it = &r->items[i];
		int64_t opens = it->opens;
		int row;
		double x0, x1;
		char *st = short_title(it->title);

		if (strcmp(it->kind, "stage") == 0)
			row = 0;
		else if (strcmp(it->kind, "window") == 0)
			row = strcmp(it->id, "survey") == 0 ? 1 : 2;
		else
			row = 3;
		if (opens == INT64_MIN || row == 3) {
			/* the lock and tasks: a marker at the due moment */
			double x = X(it->due);
			int y = top + row * rowh;

			fprintf(f, "<path d='M%.1f %d l7 9 l-7 9 l-7 -9 z' "
				   "fill='%s'/><text x='%.1f' y='%d' "
				   "font-size='11' fill='#374151' "
				   "text-anchor='%s'>",
			    x, y, status_colour(it->status),
			    x + (x > W - 200 ? -10 : 10), y + 14,
			    x > W - 200 ? "end" : "start");
			html_escape(f, st);
			fprintf(f, " %s</text>\n",
			    moment_text(it->due, buf, sizeof(buf)) + 5);
			free(st);
			continue;
		}
		x0 = X(opens);
		x1 = X(it->due);
		fprintf(f, "<rect x='%.1f' y='%d' width='%.1f' height='20' "
			   "rx='3' fill='%s' stroke='#fff'/>",
		    x0, top + row * rowh, x1 - x0 > 1 ? x1 - x0 : 1,
		    status_colour(it->status));
		fprintf(f, "<text x='%.1f' y='%d' font-size='11' fill='%s' "
			   "text-anchor='middle'>",
		    (x0 + x1) / 2, top + row * rowh + 14,
		    strcmp(it->status, "upcoming") == 0 ? "#374151" : "#fff");
		/* only a label that fits (CJK: 11 px a character) */
		if (x1 - x0 > (double)strlen(st) / 3.0 * 11.0 + 6)
			html_escape(f, st);
		else if (x1 - x0 > 50 && strncmp(st, "第", 3) == 0)
			html_escape(f, st + 3);
		fprintf(f, "</text><title>");
		html_escape(f, it->title);
		fprintf(f, "</title>\n");
		free(st);
	}
	if (r->has_now && r->now >= t0 && r->now <= t1) {
		double x = X(r->now);

		fprintf(f, "<line x1='%.1f' x2='%.1f' y1='16' y2='%d' "
			   "stroke='#b91c1c' stroke-width='2.5'/>"
			   "<rect x='%.1f' y='%d' width='100' height='16' "
			   "rx='3' fill='#b91c1c'/><text x='%.1f' y='%d' "
			   "font-size='11' fill='#fff' text-anchor='middle'>"
			   "今天 %s</text>\n",
		    x, x, H - 18, x > W - 110 ? x - 100 : x, H - 18,
		    x > W - 110 ? x - 50 : x + 50, H - 6,
		    moment_text(r->now, buf, sizeof(buf)) + 5);
	}
#undef X
	fprintf(f, "</svg>\n<div class='small legend'>"
		   "<span style='background:#86a98f'></span>已结束"
		   "<span style='background:#2563eb'></span>进行中"
		   "<span style='background:#dc2626'></span>已截止仍有逾期"
		   "<span style='background:#cbd5e1'></span>未开始"
		   "</div>\n");
}

static void
html_cell(FILE *f, const struct rp_cell *c, int64_t now, int has_now)
{
	long all = c->total;
	long on = c->on_time - c->extended;

	if (all == 0) {
		fputs("<td class='cell'><small>—</small></td>", f);
		return;
	}
	fprintf(f, "<td class='cell' title='按时%ld 延期内%ld 逾期完成%ld "
		   "逾期未完成%ld 未到期%ld'><div class='bar'>",
	    on, c->extended, c->late, c->overdue, c->pending);
#define SEG(n, cls)                                                        \
	if ((n) > 0)                                                       \
		fprintf(f, "<span class='%s' style='width:%.2f%%'></span>", \
		    cls, 100.0 * (double)(n) / (double)all);
	SEG(on, "s-on")
	SEG(c->extended, "s-ext")
	SEG(c->late, "s-late")
	SEG(c->overdue, "s-over")
	SEG(c->pending, "s-pend")
#undef SEG
	fprintf(f, "</div><small>%d%%</small></td>",
	    pct_of(c->on_time, all));
	(void)now;
	(void)has_now;
}

static int
html_overdue(FILE *f, struct report *r)
{
	PGresult *res = rp_query(r,
	    "SELECT v.name, coalesce(d.household_id, '（村级任务）'),"
	    " d.workflow, coalesce(sr.title, d.state), ci.title_zh,"
	    " extract(epoch FROM d.due)::bigint,"
	    " floor(extract(epoch FROM " NOW_SQL " - d.due) / 86400)::int,"
	    " d.extended_until IS NOT NULL,"
	    " count(*) OVER () "
	    "FROM fupin.instance_due d"
	    " JOIN fupin.village v USING (village_id)"
	    " JOIN fupin.calendar_item ci ON ci.campaign_id = d.campaign_id"
	    "  AND ci.item_id = d.deadline_id"
	    " LEFT JOIN fupin.state_rule sr ON sr.campaign_id = d.campaign_id"
	    "  AND sr.workflow = d.workflow AND sr.state = d.state "
	    "WHERE d.campaign_id = $1 AND d.due <= " NOW_SQL " "
	    "ORDER BY d.due, d.village_id, d.household_id, d.workflow "
	    "LIMIT 300");
	char buf[32];
	int n;

	if (res == NULL)
		return -1;
	n = PQntuples(res);
	fprintf(f, "<h2>逾期清单（%s项）</h2>\n",
	    n ? PQgetvalue(res, 0, 8) : "0");
	if (n == 0) {
		fputs("<p>当前没有逾期事项。</p>\n", f);
		PQclear(res);
		return 0;
	}
	fputs("<table><tr><th>行政村</th><th>户 / 任务</th><th>业务</th>"
	      "<th>所处环节</th><th>应完成节点</th><th>截止</th>"
	      "<th>已逾期</th></tr>\n",
	    f);
	for (int i = 0; i < n; i++) {
		char *st = short_title(PQgetvalue(res, i, 4));
		char *state = short_title(PQgetvalue(res, i, 3));
		char *slash = strstr(state, " / ");

		if (slash != NULL)
			*slash = '\0';
		fputs("<tr><td class='nw'>", f);
		html_escape(f, PQgetvalue(res, i, 0));
		fputs("</td><td>", f);
		html_escape(f, PQgetvalue(res, i, 1));
		fputs("</td><td>", f);
		html_escape(f, PQgetvalue(res, i, 2));
		fputs("</td><td>", f);
		html_escape(f, state);
		fputs("</td><td>", f);
		html_escape(f, st);
		fprintf(f, "</td><td>%s%s</td><td class='num'>%s天</td></tr>\n",
		    moment_text(strtoll(PQgetvalue(res, i, 5), NULL, 10), buf,
			sizeof(buf)),
		    strcmp(PQgetvalue(res, i, 7), "t") == 0 ? "（已延期）" : "",
		    PQgetvalue(res, i, 6));
		free(st);
		free(state);
	}
	fputs("</table>\n", f);
	PQclear(res);
	return 0;
}

static int
html_alerts(FILE *f, struct report *r)
{
	PGresult *res = rp_query(r,
	    "SELECT extract(epoch FROM a.fire_at)::bigint, a.kind, a.level,"
	    " coalesce(v.name, ''), a.text_zh, array_to_string(a.recipients,"
	    " ','), $2::text IS NOT NULL "
	    "FROM fupin.alert a LEFT JOIN fupin.village v USING (village_id) "
	    "WHERE a.campaign_id = $1 AND a.kind <> 'digest' "
	    "ORDER BY a.fire_at DESC, a.alert_id DESC LIMIT 400");
	char buf[32];
	int n;

	if (res == NULL)
		return -1;
	n = PQntuples(res);
	fprintf(f, "<h2 class='pb'>提醒与督办记录（共%ld条，另有每日汇总%ld条；"
		   "最新在前）</h2>\n",
	    r->alerts_total - r->digests, r->digests);
	if (n == 0) {
		fputs("<p>尚未发出提醒。</p>\n", f);
		PQclear(res);
		return 0;
	}
	fputs("<table><tr><th>时间</th><th>类别</th><th>行政村</th>"
	      "<th>内容</th></tr>\n",
	    f);
	for (int i = 0; i < n; i++) {
		const char *kind = PQgetvalue(res, i, 1);
		const char *word = strcmp(kind, "reminder") == 0 ? "提醒" :
		    strcmp(kind, "overdue") == 0 ? "逾期" :
		    strcmp(kind, "escalation") == 0 ?
		    (strstr(PQgetvalue(res, i, 5), "city") ? "通报" : "督办") :
		    kind;

		fprintf(f, "<tr><td class='small nw'>%s</td><td class='nw "
			   "k-%s'>%s</td><td class='nw'>",
		    moment_text(strtoll(PQgetvalue(res, i, 0), NULL, 10), buf,
			sizeof(buf)),
		    kind, word);
		html_escape(f, PQgetvalue(res, i, 3));
		fputs("</td><td class='text'>", f);
		html_escape(f, PQgetvalue(res, i, 4));
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	PQclear(res);
	return 0;
}

static int
write_html(struct report *r, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	char when[32], due[32];
	long households = 0, exited = 0, overdue = 0, late = 0, on_time = 0;
	size_t nred = 0;
	int rc = 0;

	if (f == NULL) {
		fprintf(stderr, "fupinctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < r->nvillages; i++) {
		households += r->villages[i].households;
		exited += r->villages[i].exited;
		overdue += r->villages[i].sum.overdue;
		late += r->villages[i].sum.late;
		on_time += r->villages[i].sum.on_time;
		if (strcmp(village_level(&r->villages[i]), "red") == 0)
			nred++;
	}
	fputs("<!DOCTYPE html>\n<html lang='zh-CN'><head><meta charset='utf-8'>"
	      "<meta name='viewport' content='width=device-width'>"
	      "<title>",
	    f);
	html_escape(f, r->township);
	fprintf(f, "%s年度扶贫对象动态管理进度</title>\n%s</head><body><main>\n",
	    r->campaign, html_style);
	fputs("<h1>", f);
	html_escape(f, r->township);
	fprintf(f, "%s年度扶贫对象动态管理 · 工作进度</h1>\n", r->campaign);
	fprintf(f, "<p class='sub'>数据截至 %s（系统时钟）· %zu个行政村 · "
		   "%ld户</p>\n",
	    r->has_now ? moment_text(r->now, when, sizeof(when)) : "—",
	    r->nvillages, households);

	/* Who is behind, in one sentence. */
	if (nred > 0) {
		size_t shown = 0;

		fputs("<div class='alertbox'><b>进度落后：</b>", f);
		for (size_t i = 0; i < r->nvillages; i++) {
			const struct rp_village *v = &r->villages[i];

			if (strcmp(village_level(v), "red") != 0)
				continue;
			fputs(shown++ ? "；" : "", f);
			fputs("<b>", f);
			html_escape(f, v->name);
			fprintf(f, "</b>（逾期未完成%ld项，逾期完成%ld项，督办%ld次%s）",
			    v->sum.overdue, v->sum.late, v->escalations,
			    v->notices ? "，已通报" : "");
		}
		fputs("</div>\n", f);
	} else
		fputs("<div class='alertbox okbox'><b>各村均按期推进。</b></div>\n",
		    f);

	fprintf(f, "<div class='kpis'>"
		   "<div class='kpi ok'><b>%ld</b>户已脱贫退出</div>"
		   "<div class='kpi%s'><b>%d%%</b>事项按时完成（%ld/%ld）</div>"
		   "<div class='kpi%s'><b>%ld</b>项逾期完成</div>"
		   "<div class='kpi%s'><b>%ld</b>项当前逾期</div>"
		   "<div class='kpi%s'><b>%zu</b>个村进度落后</div></div>\n",
	    exited, pct_of(on_time, on_time + late + overdue) >= 95 ? " ok" :
	    " bad", pct_of(on_time, on_time + late + overdue), on_time,
	    on_time + late + overdue, late ? " bad" : " ok", late,
	    overdue ? " bad" : " ok", overdue, nred ? " bad" : " ok", nred);

	fputs("<h2>工作日程</h2>\n", f);
	html_timeline(f, r);

	fputs("<h2>各村进度（落后的村排在前面）</h2>\n"
	      "<div class='small legend'>每格为该节点应完成事项中按时完成的比例："
	      "<span class='s-on'></span>按时<span class='s-ext'></span>延期内"
	      "<span class='s-late'></span>逾期完成"
	      "<span class='s-over'></span>逾期未完成"
	      "<span class='s-pend'></span>未到期</div>\n"
	      "<table><tr><th>行政村</th><th>状态</th><th>按时率</th>"
	      "<th>逾期</th><th>督办</th><th>延期</th>",
	    f);
	for (size_t k = 0; k < r->nitems; k++) {
		char *st;

		if (!r->items[k].deadline)
			continue;
		st = short_title(r->items[k].title);
		fputs("<th title='", f);
		html_escape(f, r->items[k].title);
		fputs("'>", f);
		html_escape(f, st);
		fprintf(f, "<small>%.5s截止</small></th>",
		    moment_text(r->items[k].due - 1, due, sizeof(due)) + 5);
		free(st);
	}
	fputs("</tr>\n", f);
	for (size_t i = 0; i < r->nvillages; i++) {
		const struct rp_village *v = &r->villages[i];
		const char *level = village_level(v);

		long done = v->sum.on_time + v->sum.late + v->sum.overdue;

		fprintf(f, "<tr class='%s'><td class='name'>", level);
		html_escape(f, v->name);
		fprintf(f, "</td><td><span class='badge'>%s</span></td>"
			   "<td class='num'>%d%%</td><td class='num'>%ld</td>"
			   "<td class='num'>%ld%s</td><td class='num'>%ld</td>",
		    level_word(level), pct_of(v->sum.on_time, done),
		    v->sum.overdue, v->escalations, v->notices ? "·通报" : "",
		    v->extensions);
		for (size_t k = 0; k < r->nitems; k++)
			if (r->items[k].deadline)
				html_cell(f, &v->cells[k], r->now, r->has_now);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);

	if (html_overdue(f, r) < 0 || html_alerts(f, r) < 0)
		rc = -1;
	fputs("<p class='small'>由 fupinctl report 生成；“按时”以审计记录中离开"
	      "各节点所属环节的时间对照该村的截止时间（含延期）计算。</p>\n"
	      "</main></body></html>\n",
	    f);
	if (f != stdout && fclose(f) != 0) {
		fprintf(stderr, "fupinctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return rc;
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
	free(r->campaign);
	free(r->township);
	if (r->conn != NULL)
		PQfinish(r->conn);
}

int
report_main(const char *config_path, int argc, char **argv)
{
	struct report r;
	const char *html = NULL, *csv = NULL;
	int summary = 0, rc = EXIT_OK;
	char *conninfo;

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
	r.conn = PQconnectdb(conninfo);
	free(conninfo);
	if (PQstatus(r.conn) != CONNECTION_OK) {
		fprintf(stderr, "fupinctl: report: cannot connect: %s",
		    PQerrorMessage(r.conn));
		report_free(&r);
		return EXIT_CANNOT_ASK;
	}
	PQclear(PQexec(r.conn, "SET TIME ZONE 'Asia/Shanghai'"));
	if (load_basics(&r) < 0 || load_calendar(&r) < 0 ||
	    load_villages(&r) < 0) {
		report_free(&r);
		return EXIT_ANSWER_ERROR;
	}
	qsort(r.villages, r.nvillages, sizeof(*r.villages), village_cmp);
	if (html != NULL && write_html(&r, html) < 0)
		rc = EXIT_ANSWER_ERROR;
	if (csv != NULL && write_csv(&r, csv) < 0)
		rc = EXIT_ANSWER_ERROR;
	if (summary)
		write_summary(&r);
	report_free(&r);
	return rc;
}
