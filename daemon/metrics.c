/*
 * In-memory counters and gauges (see metrics.h), their Prometheus text,
 * and the refresher of the gauges read from the database.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "campaign.h"
#include "fupind.h"
#include "isotime.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

/* Series at most: labels come from bounded sets (verbs, error codes,
 * workflow events, villages × a few states), so this is a guard against a
 * bug, not a limit a township reaches. */
#define METRICS_MAX 65536

struct metric {
	char *name;
	char *label;
	int gauge;
	double value;
};

/* The series in creation order (the order they are printed in), and an
 * open-addressing index on (name, label) into them: a counter is bumped
 * on every request, with thousands of per-village series about. */
static struct metric *table;
static size_t nmetrics, table_cap;
static uint32_t *slots; /* index + 1; 0: empty */
static size_t nslots;	/* a power of two, at least twice nmetrics */

static uint32_t
series_hash(const char *name, const char *label)
{
	uint32_t h = 2166136261u;

	for (const char *p = name; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ 0xff) * 16777619u; /* between name and label */
	for (const char *p = label; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

/* The slot of (name, label): its series, or the empty slot it would take. */
static uint32_t *
series_slot(const char *name, const char *label)
{
	size_t i = series_hash(name, label) & (nslots - 1);

	for (;; i = (i + 1) & (nslots - 1)) {
		struct metric *m;

		if (slots[i] == 0)
			return &slots[i];
		m = &table[slots[i] - 1];
		if (strcmp(m->name, name) == 0 && strcmp(m->label, label) == 0)
			return &slots[i];
	}
}

static void
series_rehash(void)
{
	free(slots);
	nslots = nslots ? nslots * 2 : 256;
	slots = xcalloc(nslots, sizeof(*slots));
	for (size_t i = 0; i < nmetrics; i++)
		*series_slot(table[i].name, table[i].label) = (uint32_t)i + 1;
}

static struct metric *
lookup(const char *name, const char *label, int gauge)
{
	uint32_t *slot;

	if (label == NULL)
		label = "";
	if (nslots == 0)
		series_rehash();
	slot = series_slot(name, label);
	if (*slot != 0)
		return &table[*slot - 1];
	if (nmetrics == METRICS_MAX)
		return NULL; /* a full table drops new series, never crashes */
	if (nmetrics == table_cap) {
		table_cap = table_cap ? table_cap * 2 : 64;
		table = xrealloc(table, table_cap * sizeof(*table));
	}
	table[nmetrics].name = xstrdup(name);
	table[nmetrics].label = xstrdup(label);
	table[nmetrics].gauge = gauge;
	table[nmetrics].value = 0;
	*slot = (uint32_t)++nmetrics;
	if (nmetrics * 2 > nslots)
		series_rehash();
	return &table[nmetrics - 1];
}

void
metrics_count(const char *name, const char *label, double n)
{
	struct metric *m = lookup(name, label, 0);

	if (m != NULL)
		m->value += n;
}

void
metrics_gauge_set(const char *name, const char *label, double v)
{
	struct metric *m = lookup(name, label, 1);

	if (m != NULL)
		m->value = v;
}

double
metrics_get(const char *name, const char *label)
{
	uint32_t *slot;

	if (nslots == 0)
		return 0;
	slot = series_slot(name, label ? label : "");
	return *slot ? table[*slot - 1].value : 0;
}

json_t *
metrics_json(void)
{
	json_t *counters = json_object(), *gauges = json_object();

	for (size_t i = 0; i < nmetrics; i++) {
		json_t *group = table[i].gauge ? gauges : counters;
		json_t *m = json_object_get(group, table[i].name);

		if (table[i].label[0] == '\0') {
			json_object_set_new(group, table[i].name,
			    json_real(table[i].value));
			continue;
		}
		if (m == NULL || !json_is_object(m)) {
			m = json_object();
			json_object_set_new(group, table[i].name, m);
		}
		json_object_set_new(m, table[i].label,
		    json_real(table[i].value));
	}
	return json_pack("{s:o, s:o}", "counters", counters, "gauges", gauges);
}

/* The Prometheus label names of a series: one word, or two joined by '/'
 * ("exit/publish" is workflow="exit",event="publish"). */
static const struct {
	const char *metric, *first, *second;
} label_names[] = {
	{ "requests", "verb", NULL },
	{ "request_errors", "error", NULL },
	{ "requests_rejected", "reason", NULL },
	{ "transitions", "workflow", "event" },
	{ "alerts_sent", "kind", NULL },
	{ "alerts", "kind", "state" },
	{ "overdue_households", "deadline", NULL },
	{ "problems", "village", "figure" },
	{ "auth", "result", NULL },
	{ "http_requests", "path", NULL },
	{ "sweeps", "result", NULL },
	{ "reloads", "result", NULL },
};

/* A label value in the text format: \, " and newline escaped. */
static void
put_label_value(FILE *out, const char *v, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (v[i] == '\\' || v[i] == '"')
			fprintf(out, "\\%c", v[i]);
		else if (v[i] == '\n')
			fputs("\\n", out);
		else
			fputc(v[i], out);
	}
}

static void
put_labels(FILE *out, const char *metric, const char *label)
{
	const char *first = "label", *second = NULL, *slash;

	for (size_t i = 0; i < nitems(label_names); i++)
		if (strcmp(label_names[i].metric, metric) == 0) {
			first = label_names[i].first;
			second = label_names[i].second;
		}
	/* the last slash: a village id may hold one */
	slash = second ? strrchr(label, '/') : NULL;
	fprintf(out, "{%s=\"", first);
	put_label_value(out, label, slash ? (size_t)(slash - label) :
					   strlen(label));
	if (slash) {
		fprintf(out, "\",%s=\"", second);
		put_label_value(out, slash + 1, strlen(slash + 1));
	}
	fputs("\"}", out);
}

static int
is_campaign_gauge(const char *name)
{
	for (size_t i = 0; metrics_campaign_gauges[i] != NULL; i++)
		if (strcmp(metrics_campaign_gauges[i], name) == 0)
			return 1;
	return 0;
}

char *
metrics_prometheus(int campaign)
{
	char *buf = NULL;
	size_t len = 0, nnames = 0;
	const char **names = NULL;
	FILE *out = open_memstream(&buf, &len);

	if (out == NULL)
		return xstrdup("");
	/* Group each name's series under one TYPE line, in first-seen
	 * order; counters get the conventional _total. */
	for (size_t i = 0; i < nmetrics; i++) {
		const struct metric *first = &table[i];
		int seen = 0;

		/* The first series of its name only. Names are a few
		 * dozen, series thousands (per village): compare with the
		 * names already printed, not with every earlier series. */
		for (size_t k = 0; k < nnames && !seen; k++)
			seen = strcmp(names[k], first->name) == 0;
		if (seen)
			continue;
		names = xrealloc(names, (nnames + 1) * sizeof(*names));
		names[nnames++] = first->name;
		if (!campaign && is_campaign_gauge(first->name))
			continue;
		fprintf(out, "# TYPE fupin_%s%s %s\n", first->name,
		    first->gauge ? "" : "_total",
		    first->gauge ? "gauge" : "counter");
		for (size_t k = i; k < nmetrics; k++) {
			const struct metric *m = &table[k];

			if (strcmp(m->name, first->name) != 0)
				continue;
			fprintf(out, "fupin_%s%s", m->name,
			    first->gauge ? "" : "_total");
			if (m->label[0] != '\0')
				put_labels(out, m->name, m->label);
			fprintf(out, " %.17g\n", m->value);
		}
	}
	fclose(out);
	free(names);
	return buf;
}

void
metrics_gauge_zero(const char *name)
{
	for (size_t i = 0; i < nmetrics; i++)
		if (table[i].gauge && strcmp(table[i].name, name) == 0)
			table[i].value = 0;
}

/* ---- the refresher ---- */

struct waiter {
	void (*done)(void *);
	void *arg;
	struct waiter *next;
};

static struct {
	struct event *timer;
	int in_flight;
	int again; /* asked while in flight: the answer may be stale */
	unsigned generation; /* a stop orphans the statement in flight */
	struct waiter *waiters;
} R;

/* $3: one village's figures, or NULL for the township's. */
static const char refresh_sql[] =
    "SELECT json_build_object("
    "'overdue', coalesce((SELECT json_object_agg(deadline_id, n) FROM "
    "  (SELECT deadline_id, count(DISTINCT coalesce(household_id, "
    "     village_id)) AS n FROM fupin.instance_due "
    "   WHERE campaign_id = $1 AND due <= $2::timestamptz "
    "     AND ($3::text IS NULL OR village_id = $3) "
    "   GROUP BY deadline_id) o), '{}'), "
    "'alerts', coalesce((SELECT json_object_agg(k, n) FROM "
    "  (SELECT kind || '/' || CASE WHEN delivered_at IS NOT NULL "
    "     THEN 'delivered' WHEN attempts > 0 THEN 'retrying' "
    "     ELSE 'pending' END AS k, count(*) AS n FROM fupin.alert "
    "   WHERE campaign_id = $1 AND ($3::text IS NULL OR village_id = $3) "
    "   GROUP BY 1) a), '{}'), "
    "'problems', coalesce((SELECT json_object_agg(f.village_id || '/' || "
    "  x.k, x.n) FROM fupin.problem_figures($1) f CROSS JOIN LATERAL "
    "  (VALUES ('found', f.found), ('verified', f.verified), "
    "   ('corrected', f.corrected), ('rechecked', f.rechecked), "
    "   ('dismissed', f.dismissed), ('left', f.remaining)) x(k, n) "
    "   WHERE f.village_id IS NOT NULL AND "
    "     ($3::text IS NULL OR f.village_id = $3)), '{}'))::text";

const char *const metrics_campaign_gauges[] = { "overdue_households",
	"alerts", "problems", NULL };

const char *
metrics_village_sql(void)
{
	return refresh_sql;
}

json_t *
metrics_json_without_campaign(void)
{
	json_t *m = metrics_json(), *gauges = json_object_get(m, "gauges");

	for (size_t i = 0; metrics_campaign_gauges[i] != NULL; i++)
		json_object_del(gauges, metrics_campaign_gauges[i]);
	return m;
}

static void refresh_now(void);

static void
answer_waiters(void)
{
	struct waiter *w = R.waiters, *next;

	R.waiters = NULL;
	for (; w != NULL; w = next) {
		next = w->next;
		w->done(w->arg);
		free(w);
	}
}

static void
apply_group(json_t *root, const char *key, const char *gauge)
{
	json_t *group = json_object_get(root, key), *v;
	const char *label;

	metrics_gauge_zero(gauge);
	json_object_foreach(group, label, v) {
		if (json_is_number(v))
			metrics_gauge_set(gauge, label, json_number_value(v));
	}
}

static void
refresh_done(const PGresult *res, const char *err, void *arg)
{
	json_t *root;

	if ((unsigned)(uintptr_t)arg != R.generation)
		return;
	R.in_flight = 0;
	if (R.again) {
		R.again = 0;
		refresh_now();
		return;
	}
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
	    PQntuples(res) == 1 &&
	    (root = json_loads(PQgetvalue(res, 0, 0), 0, NULL)) != NULL) {
		apply_group(root, "overdue", "overdue_households");
		apply_group(root, "alerts", "alerts");
		/* The rectification's figures (fupin.problem_figures). */
		apply_group(root, "problems", "problems");
		json_decref(root);
	} else if (res != NULL)
		log_warnx("metrics: refresh failed: %s",
		    PQresultErrorMessage(res));
	answer_waiters();
}

static void
refresh_now(void)
{
	char now[ISO_BUFSIZE];
	const char *params[3];

	if (R.in_flight) {
		R.again = R.waiters != NULL;
		return;
	}
	/* Not started, or stopped: answer from what we have. */
	if (R.timer == NULL || fupind == NULL || fupind->db == NULL ||
	    !fupind->schema_ok || fupind->campaign == NULL) {
		answer_waiters();
		return;
	}
	params[0] = fupind->campaign->name;
	params[1] = iso_format(clock_now(fupind->clock), ISO_SHANGHAI_OFFSET,
	    now, sizeof(now));
	params[2] = NULL;
	if (db_query(fupind->db, refresh_sql, 3, params, refresh_done,
		(void *)(uintptr_t)R.generation) < 0) {
		answer_waiters();
		return;
	}
	R.in_flight = 1;
}

static void
refresh_cb(evutil_socket_t fd, short what, void *arg)
{
	refresh_now();
}

void
metrics_refresh_start(void)
{
	struct timeval tv = { METRICS_REFRESH_SECONDS, 0 };

	if (R.timer != NULL)
		return;
	R.timer = event_new(fupind->base, -1, EV_PERSIST, refresh_cb, NULL);
	if (R.timer == NULL || event_add(R.timer, &tv) < 0)
		log_warnx("metrics: cannot arm the refresh timer");
}

void
metrics_refresh_stop(void)
{
	struct waiter *w, *next;

	if (R.timer != NULL)
		event_free(R.timer);
	R.timer = NULL;
	for (w = R.waiters; w != NULL; w = next) {
		next = w->next;
		free(w);
	}
	R.waiters = NULL;
	R.generation++;
	R.in_flight = 0;
}

void
metrics_refresh(void (*done)(void *), void *arg)
{
	struct waiter *w = xcalloc(1, sizeof(*w));

	w->done = done;
	w->arg = arg;
	w->next = R.waiters;
	R.waiters = w;
	refresh_now();
}

void
metrics_reset(void)
{
	for (size_t i = 0; i < nmetrics; i++) {
		free(table[i].name);
		free(table[i].label);
	}
	free(table);
	free(slots);
	table = NULL;
	slots = NULL;
	nmetrics = table_cap = nslots = 0;
}
