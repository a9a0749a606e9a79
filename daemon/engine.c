/*
 * The engine (see engine.h): requests and due moments become single SQL
 * statements calling the functions of sql/002_engine.sql.
 *
 * C knows the workflow files; SQL knows the households. For ADVANCE the
 * daemon resolves the workflow and event, computes which roles may send
 * each entry of the event and what the files require (guards, note, lock,
 * minimum days), and sends all of it as one jsonb parameter. The database
 * function then locks the instance, checks the rules against its current
 * data, and writes the transition and its audit row in one transaction.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "calendar.h"
#include "campaign.h"
#include "cmd.h"
#include "deadline.h"
#include "engine.h"
#include "fupind.h"
#include "isotime.h"
#include "log.h"
#include "metrics.h"
#include "suggest.h"
#include "workflow.h"

static struct engine_callbacks callbacks;
static int campaign_synced;
static int in_flight; /* our statements not yet answered */
/* The last synchronisation failed (not for want of a connection): why,
 * and the timer that tries again on a capped backoff. */
static char sync_error[256];
static unsigned long long error_serial;
static struct event *ev_sync_retry;
static int sync_backoff;

#define OVERDUE_MAX_ROWS "1000"

void
engine_init(const struct engine_callbacks *cb)
{
	callbacks = *cb;
}

static char *
moment_text(int64_t t, char *buf)
{
	return iso_format(t, ISO_SHANGHAI_OFFSET, buf, ISO_BUFSIZE);
}

long long
engine_lock_moment(void)
{
	const struct wf_campaign *wc = wf_campaign(fupind->campaign->wf);
	const struct cal_item *it;

	if (wc->data_entry_lock == NULL)
		return INT64_MIN;
	it = cal_find(fupind->campaign->cal, wc->data_entry_lock);
	return it ? it->due : INT64_MIN;
}

static json_t *
labels_json(const struct wf_label *l, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(l[i].name));
	return a;
}

static json_t *
strings_json(const char *const *s, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(s[i]));
	return a;
}

/* {code: title} of the reasons and risks, so that a guard's refusal
 * names a value as people know it: illness (因病 / illness). */
static json_t *
titles_json(const struct wf_campaign *wc)
{
	const struct {
		const struct wf_label *l;
		size_t n;
	} lists[] = { { wc->reasons, wc->nreasons },
		{ wc->relapse_reasons, wc->nrelapse_reasons },
		{ wc->marginal_risks, wc->nmarginal_risks },
		{ wc->monitoring_risks, wc->nmonitoring_risks } };
	json_t *o = json_object();

	for (size_t k = 0; k < nitems(lists); k++) {
		for (size_t i = 0; i < lists[k].n; i++)
			json_object_set_new(o, lists[k].l[i].name,
			    json_string(lists[k].l[i].title));
	}
	return o;
}

/* ---- campaign synchronisation ---- */

static json_t *
campaign_json(void)
{
	const struct wf_campaign *wc = wf_campaign(fupind->campaign->wf);
	struct cal *cal = fupind->campaign->cal;
	json_t *items = json_array(), *states = json_array();
	json_t *tasks = json_array(), *out;
	char buf[ISO_BUFSIZE], lockbuf[ISO_BUFSIZE], nowbuf[ISO_BUFSIZE];
	int64_t lock = engine_lock_moment();

	for (size_t i = 0; i < cal_count(cal); i++) {
		const struct cal_item *it = cal_item_at(cal, i);
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "item_id",
		    it->id, "kind", it->kind, "title_zh", it->title_zh,
		    "title_en", it->title_en ? it->title_en : "", "due",
		    moment_text(it->due, buf));

		json_object_set_new(o, "opens", it->opens == INT64_MIN ?
		    json_null() : json_string(moment_text(it->opens, buf)));
		json_array_append_new(items, o);
	}
	for (size_t i = 0; i < wf_count(fupind->campaign->wf); i++) {
		const struct wf *w = wf_at(fupind->campaign->wf, i);

		/* Opened for every village by sync_campaign. */
		if (w->scope == WF_SCOPE_VILLAGE)
			json_array_append_new(tasks, json_pack("{s:s, s:s}",
			    "workflow", w->name, "initial", w->initial));
		for (size_t k = 0; k < w->nstates; k++) {
			const struct wf_state *st = &w->states[k];
			struct wf_duty duty;
			json_t *owes;
			json_t *o = json_pack("{s:s, s:s, s:s, s:b}",
			    "workflow", w->name, "state", st->name, "title",
			    st->title, "final", st->final);

			json_object_set_new(o, "leave_by", st->leave_by ?
			    json_string(st->leave_by) : json_null());
			json_object_set_new(o, "min_days", st->min_days >= 0 ?
			    json_integer(st->min_days) : json_null());
			wf_state_duty(w, st, &duty);
			owes = json_array();
			for (size_t j = 0; j < duty.nowes; j++)
				json_array_append_new(owes,
				    json_string(duty.owes[j]));
			json_object_set_new(o, "owes", owes);
			json_object_set_new(o, "party", json_string(duty.party));
			json_object_set_new(o, "stops_at_lock",
			    json_boolean(duty.stops_at_lock));
			json_array_append_new(states, o);
		}
	}
	out = json_pack("{s:s, s:i, s:f, s:f, s:s, s:s, s:i, s:s, s:s, s:s, "
		      "s:o, s:o}",
	    "id", wc->id, "year", wc->year, "exit_threshold",
	    wc->exit_threshold, "marginal_threshold", wc->marginal_threshold,
	    "income_from", wc->income_from, "income_to", wc->income_to,
	    "notice_min_days", wc->notice_min_days, "lock_at",
	    lock == INT64_MIN ? "infinity" : moment_text(lock, lockbuf), "now",
	    moment_text(clock_now(fupind->clock), nowbuf), "actor", "fupind",
	    "calendar", items, "states", states);
	json_object_set_new(out, "tasks", tasks);
	return out;
}

static void sync_days(void);
static void sync_campaign(void);

static void
sync_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	if (!campaign_synced && fupind->schema_ok &&
	    db_state(fupind->db) == DB_UP)
		sync_campaign();
}

/* Remember why the campaign could not be stored; try again later. */
static void
sync_failed(const char *what, const PGresult *res)
{
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	struct timeval tv;

	snprintf(sync_error, sizeof(sync_error), "%s: %s", what,
	    msg ? msg : "?");
	log_warnx("engine: cannot store %s of campaign %s in the database: "
		  "%s; trying again",
	    what, fupind->campaign->name, PQresultErrorMessage(res));
	sync_backoff = sync_backoff <= 0 ? 1 : sync_backoff * 2;
	if (sync_backoff > fupind->cfg->database_reconnect_max)
		sync_backoff = (int)fupind->cfg->database_reconnect_max;
	tv.tv_sec = sync_backoff;
	tv.tv_usec = 0;
	if (ev_sync_retry == NULL)
		ev_sync_retry = evtimer_new(fupind->base, sync_retry_cb, NULL);
	if (ev_sync_retry != NULL)
		evtimer_add(ev_sync_retry, &tv);
}

const char *
engine_sync_error(void)
{
	return campaign_synced || sync_error[0] == '\0' ? NULL : sync_error;
}

static void
sync_done(const PGresult *res, const char *err, void *arg)
{
	in_flight--;
	if (res == NULL)
		return; /* connection lost: synced again on reconnection */
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		sync_failed("the campaign", res);
		return;
	}
	log_info("engine: campaign %s synchronised (%s)", fupind->campaign->name,
	    PQgetvalue(res, 0, 0));
	/* The days refer to the campaign row: queued only now, since the
	 * pool may run two queued statements at once. */
	sync_days();
}

int
engine_campaign_ready(void)
{
	return campaign_synced;
}

/* The last statement of a synchronisation, queued by sync_done: now
 * requests may be answered and sweeps may run. */
static void
days_done(const PGresult *res, const char *err, void *arg)
{
	in_flight--;
	if (res == NULL)
		return;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		sync_failed("the holidays", res);
		return;
	}
	sync_error[0] = '\0';
	sync_backoff = 0;
	if (!campaign_synced) {
		campaign_synced = 1;
		if (callbacks.campaign_synced != NULL)
			callbacks.campaign_synced(callbacks.arg);
	}
}

/* The calendar's exceptions to Monday-Friday (holidays, make-up days),
 * for reminders given in working days. */
static json_t *
calendar_days_json(void)
{
	struct cal *cal = fupind->campaign->cal;
	json_t *days = json_array();
	int64_t first = cal_day(cal, cal_start(cal)) - 60, last = first;
	char buf[16];

	for (size_t i = 0; i < cal_count(cal); i++) {
		int64_t d = cal_day(cal, cal_item_at(cal, i)->due);
		if (d > last)
			last = d;
	}
	for (int64_t d = first; d <= last + 30; d++) {
		int working = cal_is_working_day(cal, d);
		int weekday = iso_weekday(d) < 5;
		int y, m, dd;

		if (working == weekday)
			continue;
		iso_civil_from_days(d, &y, &m, &dd);
		snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, dd);
		json_array_append_new(days, json_pack("{s:s, s:b}", "day", buf,
						"working", working));
	}
	return json_pack("{s:s, s:o}", "campaign", fupind->campaign->name, "days",
	    days);
}

static void
sync_campaign(void)
{
	json_t *j = campaign_json();
	char *text = json_dumps(j, JSON_COMPACT);
	const char *params[1] = { text };

	json_decref(j);
	if (db_query(fupind->db, "SELECT fupin.sync_campaign($1::jsonb)::text", 1,
		params, sync_done, NULL) == 0)
		in_flight++;
	free(text);
}

static void
sync_days(void)
{
	json_t *j = calendar_days_json();
	char *text = json_dumps(j, JSON_COMPACT);
	const char *params[1] = { text };

	json_decref(j);
	if (db_query(fupind->db, "SELECT fupin.sync_calendar_days($1::jsonb)", 1,
		params, days_done, NULL) == 0)
		in_flight++;
	free(text);
}

void
engine_db_ready(void)
{
	sync_campaign();
}

void
engine_db_down(void)
{
	campaign_synced = 0;
}

int
engine_health(char *why, size_t len)
{
	const char *err = engine_sync_error();

	if (fupind->db == NULL || db_state(fupind->db) != DB_UP)
		snprintf(why, len, "database %s",
		    fupind->db ? db_state_name(fupind->db) : "down");
	else if (!fupind->schema_ok)
		snprintf(why, len, "database schema not current (run fupind "
				   "--migrate)");
	else if (err != NULL)
		snprintf(why, len, "campaign not stored in the database: %s",
		    err);
	else if (!campaign_synced)
		snprintf(why, len, "campaign being stored in the database");
	else {
		snprintf(why, len, "ok");
		return 1;
	}
	return 0;
}

const char *
engine_campaign_state(void)
{
	return campaign_synced ? "stored" :
	    engine_sync_error() ? "failed" : "pending";
}

void
engine_free(void)
{
	if (ev_sync_retry != NULL)
		event_free(ev_sync_retry);
	ev_sync_retry = NULL;
}

void
engine_reconfigure(void)
{
	if (fupind->schema_ok && db_state(fupind->db) == DB_UP)
		sync_campaign();
}

void
engine_notified(const char *channel, const char *payload)
{
	log_debug("database: notification on %s: %s", channel,
	    payload ? payload : "");
}

int
engine_idle(void)
{
	return in_flight == 0;
}

/* ---- answering from a jsonb statement ---- */

struct call {
	struct client *client;
	engine_answer_fn *filter; /* may veto or trim the answer; NULL: pass */
	char *metric;	       /* transitions label on success, or NULL */
	int pass;	       /* an ok answer goes as the database wrote it */
};

/* A statement the database refused: its own words go to the log only,
 * the client gets the kind of failure and an id to quote. */
static void
answer_sql_error(struct client *c, const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	char *id;

	id = xasprintf("E%llu-%llu", (unsigned long long)c->id,
	    (unsigned long long)++error_serial);
	log_warnx("engine: %s failed [%s] (client %llu, %s): SQLSTATE %s: %s",
	    c->verb, id, (unsigned long long)c->id, c->principal,
	    state ? state : "?", primary ? primary : "?");
	if (state != NULL && strcmp(state, "25006") == 0)
		client_error(c, "unavailable",
		    "the database is read-only; nothing was recorded (error %s)",
		    id);
	else if (state != NULL && strcmp(state, "57014") == 0)
		client_error(c, "timeout",
		    "the database took too long; nothing was recorded (error "
		    "%s)", id);
	else
		client_error(c, "internal",
		    "the database refused the request (error %s; the daemon's "
		    "log has the details)", id);
	free(id);
}

/* A jsonb answer as text: counted, logged, filtered and sent. */
static void
answer_text(struct client *c, const char *text, engine_answer_fn *filter,
    const char *metric)
{
	json_t *answer;
	json_error_t jerr;

	answer = json_loads(text, 0, &jerr);
	if (answer == NULL) {
		client_error(c, "internal", "bad answer from the database");
		return;
	}
	if (metric != NULL && json_is_true(json_object_get(answer, "ok"))) {
		metrics_count("transitions", metric, 1);
		log_info("%s %s: %s -> %s by %s",
		    json_string_value(json_object_get(answer, "target")),
		    metric,
		    json_string_value(json_object_get(answer, "from")) ?
			json_string_value(json_object_get(answer, "from")) : "-",
		    json_string_value(json_object_get(answer, "to")),
		    c->principal);
	}
	if (filter != NULL)
		filter(c, answer);
	else
		client_reply(c, answer);
}

/*
 * An ok answer of a reader whose filter has nothing to change in it: sent
 * as the database wrote it, less jsonb's blanks, instead of parsing and
 * writing it again (HOUSEHOLD: some 80 us of a request's daemon time).
 * jsonb puts "ok" first: its keys go shortest first.
 */
#define OK_TEXT "{\"ok\": true"

static void
answer_ok_text(struct client *c, const char *text, size_t len)
{
	char *line = xmalloc(len + 1);

	client_reply_ok_text(c, line, jsonb_compact(line, text, len));
	free(line);
}

static void
call_done(const PGresult *res, const char *err, void *arg)
{
	struct call *call = arg;
	struct client *c = call->client;

	in_flight--;
	if (res == NULL)
		client_error(c, "unavailable", "%s", err);
	else if (PQresultStatus(res) != PGRES_TUPLES_OK)
		answer_sql_error(c, res);
	else if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0))
		client_error(c, "unknown", "not found");
	else if (call->pass && strncmp(PQgetvalue(res, 0, 0), OK_TEXT,
		     sizeof(OK_TEXT) - 1) == 0)
		answer_ok_text(c, PQgetvalue(res, 0, 0),
		    (size_t)PQgetlength(res, 0, 0));
	else
		answer_text(c, PQgetvalue(res, 0, 0), call->filter,
		    call->metric);
	free(call->metric);
	free(call);
}

/* Not served until the schema is current and the campaign stored. */
static int
engine_serving(struct client *c)
{
	if (fupind->schema_ok && campaign_synced)
		return 1;
	client_error(c, "unavailable", "the database is %s; try again shortly",
	    db_state(fupind->db) == DB_UP ? "being prepared" : "unavailable");
	return 0;
}

static void
call_sql(struct client *c, const char *sql, int n, const char *const *params,
    engine_answer_fn *filter, const char *metric, int pass)
{
	struct call *call;

	if (!engine_serving(c))
		return;
	call = xcalloc(1, sizeof(*call));
	call->client = c;
	call->filter = filter;
	call->metric = metric ? xstrdup(metric) : NULL;
	call->pass = pass;
	if (db_query(fupind->db, sql, n, params, call_done, call) < 0) {
		free(call->metric);
		free(call);
		client_error(c, "unavailable",
		    "the database is unavailable; try again shortly");
		return;
	}
	in_flight++;
}

void
engine_call_sql(struct client *c, const char *sql, int n,
    const char *const *params, engine_answer_fn *filter, const char *metric)
{
	call_sql(c, sql, n, params, filter, metric, 0);
}

/* ---- ADVANCE in groups: one statement and one commit for many ---- */

/*
 * Under load an ADVANCE costs more in its statement and its commit than
 * in its work: 8 calls of fupin.advance in one statement run 2.8 times as
 * many per second as 8 statements of one (8 clients, fsync on). Requests
 * that arrive while every group slot is taken wait, and leave together in
 * the next group: a lone request goes at once, a crowd shares commits.
 * database.advance_groups slots (2 by default), and at most one fewer
 * than the pool's connections, so that readers always find one: fewer
 * groups at once make larger ones, and two keep a database's two cores
 * busy, one group running while the other waits for its commit's flush
 * (8 clients, fsync on, pool 4: 1 slot 2,196 and 2,661 per second, 2
 * slots 2,012 and 2,538, 3 slots 1,764 and 2,194; 32 clients: 4,423,
 * 4,731 and 3,423). A group that the database refuses as a whole (its transaction is
 * rolled back: a deadlock with another group, one request's error) is
 * sent again one request per statement, so that a failure is only its
 * own request's. A group lost with its connection is answered
 * "unavailable" like any statement in flight.
 */
#define GROUP_MAX 32 /* requests per statement */

struct grouped {
	struct client *client;
	char *item;	/* its jsonb, without what the campaign shares */
	char *metric;
	engine_answer_fn *filter;
	int alone;	/* its group failed: it goes alone */
	struct grouped *next;
};

static struct grouped *group_head, **group_tail = &group_head;
static int groups_running, groups_waiting; /* requests in group_head */

struct group {
	struct grouped *items;
	int n;
};

static void group_dispatch(void);

static void
grouped_free(struct grouped *g)
{
	free(g->item);
	free(g->metric);
	free(g);
}

/* What every ADVANCE of the campaign shares, sent once per group. */
static char *
group_common(void)
{
	const struct wf_campaign *wc = wf_campaign(fupind->campaign->wf);
	int64_t lock_at = engine_lock_moment();
	char lock[ISO_BUFSIZE];
	json_t *p;
	char *text;

	p = json_pack("{s:s, s:o, s:o, s:o, s:o}", "campaign",
	    fupind->campaign->name, "relapse_reasons",
	    labels_json(wc->relapse_reasons, wc->nrelapse_reasons),
	    "marginal_risks",
	    labels_json(wc->marginal_risks, wc->nmarginal_risks),
	    "monitoring_risks",
	    labels_json(wc->monitoring_risks, wc->nmonitoring_risks),
	    "reason_titles", titles_json(wc));
	json_object_set_new(p, "lock_at", lock_at == INT64_MIN ? json_null() :
	    json_string(moment_text(lock_at, lock)));
	text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	return text;
}

static void
group_done(const PGresult *res, const char *err, void *arg)
{
	struct group *gr = arg;
	struct grouped *g, *next, *retry = NULL, **rtail = &retry;
	int ok = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
	    PQntuples(res) == gr->n;
	int i = 0;

	groups_running--;
	in_flight -= gr->n;
	if (res != NULL && PQresultStatus(res) != PGRES_TUPLES_OK &&
	    gr->n > 1) {
		/* Refused, so rolled back whole (a statement that returned
		 * its rows has committed them, and is never sent again):
		 * each goes again, alone, first. */
		log_info("engine: a group of %d ADVANCE failed (%s); sending "
			 "them one by one",
		    gr->n, PQresultErrorField(res, PG_DIAG_SQLSTATE) ?
			PQresultErrorField(res, PG_DIAG_SQLSTATE) : "?");
		metrics_count("advance_groups_retried", NULL, 1);
		for (g = gr->items; g != NULL; g = next) {
			next = g->next;
			g->alone = 1;
			g->next = NULL;
			*rtail = g;
			rtail = &g->next;
			in_flight++;
			groups_waiting++;
		}
		*rtail = group_head;
		if (group_head == NULL)
			group_tail = rtail;
		group_head = retry;
		free(gr);
		group_dispatch();
		return;
	}
	for (g = gr->items; g != NULL; g = next, i++) {
		next = g->next;
		if (res == NULL)
			client_error(g->client, "unavailable", "%s", err);
		else if (!ok && PQresultStatus(res) != PGRES_TUPLES_OK)
			answer_sql_error(g->client, res);
		else if (!ok || PQgetisnull(res, i, 0))
			client_error(g->client, "internal",
			    "bad answer from the database");
		else
			answer_text(g->client, PQgetvalue(res, i, 0),
			    g->filter, g->metric);
		grouped_free(g);
	}
	free(gr);
	group_dispatch();
}

/* Send waiting requests while a group slot is free. */
static void
group_dispatch(void)
{
	int slots = db_size(fupind->db) > 1 ? db_size(fupind->db) - 1 : 1;

	if (slots > fupind->cfg->database_advance_groups)
		slots = (int)fupind->cfg->database_advance_groups;

	while (group_head != NULL && groups_running < slots) {
		struct group *gr = xcalloc(1, sizeof(*gr));
		struct grouped *g, **tail = &gr->items;
		size_t len = 2;
		char *items, *common, *p;
		const char *params[2];

		/* Up to GROUP_MAX in arrival order; one that must go alone
		 * goes in a group of its own. */
		while ((g = group_head) != NULL && gr->n < GROUP_MAX &&
		    (gr->n == 0 || (!g->alone && !gr->items->alone))) {
			group_head = g->next;
			g->next = NULL;
			*tail = g;
			tail = &g->next;
			gr->n++;
			groups_waiting--;
			len += strlen(g->item) + 1;
		}
		if (group_head == NULL)
			group_tail = &group_head;
		items = p = xmalloc(len + 1);
		*p++ = '[';
		for (g = gr->items; g != NULL; g = g->next) {
			size_t n = strlen(g->item);

			memcpy(p, g->item, n);
			p += n;
			*p++ = g->next ? ',' : ']';
		}
		*p = '\0';
		common = group_common();
		params[0] = common;
		params[1] = items;
		if (db_query(fupind->db, "SELECT answer FROM fupin.advance_group("
				"$1::jsonb, $2::jsonb)",
			2, params, group_done, gr) < 0) {
			free(items);
			free(common);
			while ((g = gr->items) != NULL) {
				gr->items = g->next;
				in_flight--;
				client_error(g->client, "unavailable",
				    "the database is unavailable; try again "
				    "shortly");
				grouped_free(g);
			}
			free(gr);
			continue;
		}
		free(items);
		free(common);
		groups_running++;
		metrics_count("advance_groups", NULL, 1);
	}
	metrics_gauge_set("advance_waiting", NULL, groups_waiting);
}

/*
 * ADVANCE's way to the database: item is its fupin.advance parameter less
 * what group_common() adds; answered like engine_call_sql.
 */
static void
engine_call_grouped(struct client *c, const char *item,
    engine_answer_fn *filter, const char *metric)
{
	struct grouped *g;

	if (!engine_serving(c))
		return;
	g = xcalloc(1, sizeof(*g));
	g->client = c;
	g->item = xstrdup(item);
	g->metric = metric ? xstrdup(metric) : NULL;
	g->filter = filter;
	*group_tail = g;
	group_tail = &g->next;
	in_flight++;
	groups_waiting++;
	group_dispatch();
}

/* The village a request may look at: a village client sees its own only. */
static int
scope_village(struct client *c, const char *asked, const char **out)
{
	if (c->role != ROLE_VILLAGE) {
		*out = asked;
		return 0;
	}
	if (asked != NULL && strcmp(asked, c->village) != 0) {
		client_error(c, "forbidden",
		    "you may see village %s only, not %.64s", c->village, asked);
		return -1;
	}
	*out = c->village;
	return 0;
}

/*
 * The statement inner (one jsonb expression whose village filter is
 * parameter $N), answered only when the village asked for exists; else the
 * list of villages, for village_filter to suggest from. Caller frees.
 */
static char *
village_checked_sql(const char *inner, int n)
{
	return xasprintf("SELECT CASE WHEN $%d::text IS NULL OR EXISTS (SELECT "
			 "1 FROM fupin.village WHERE village_id = $%d) THEN (%s)"
			 "::text ELSE (SELECT jsonb_build_object('ok', false, "
			 "'missing_village', $%d::text, 'villages', "
			 "coalesce(jsonb_agg(village_id ORDER BY village_id), "
			 "'[]'))::text FROM fupin.village) END",
	    n, n, inner, n);
}

/* An answer about a village that does not exist becomes "unknown" with
 * the villages that do. */
static void
village_filter(struct client *c, json_t *answer)
{
	const char *missing = json_string_value(json_object_get(answer,
	    "missing_village"));
	json_t *list = json_object_get(answer, "villages"), *v;
	const char **names;
	size_t i, n = 0;

	if (missing == NULL || !json_is_array(list)) {
		client_reply(c, answer);
		return;
	}
	names = xcalloc(json_array_size(list) + 1, sizeof(*names));
	json_array_foreach(list, i, v)
		if (json_is_string(v))
			names[n++] = json_string_value(v);
	cmd_reply_unknown(c, "unknown", "village", missing, names, n, n <= 30,
	    n == 0 ? "the register has no villages yet (fupinctl import "
		     "villages FILE)" : NULL);
	free(names);
	json_decref(answer);
}

/* ---- verbs ---- */

static void
cmd_calendar(struct client *c, struct cmd_args *a)
{
	char now[ISO_BUFSIZE];
	const char *params[3] = { fupind->campaign->name,
		moment_text(clock_now(fupind->clock), now), "3 days" };

	engine_call_sql(c, "SELECT fupin.calendar($1, $2::timestamptz, "
		    "$3::interval)::text",
	    3, params, NULL, NULL);
}

const struct cmd_entry cmd_calendar_entry = {
	.name = "CALENDAR",
	.args = { 0, 0 },
	.role = ROLE_NONE,
	.exec = cmd_calendar,
	.example = "CALENDAR",
	.usage = "CALENDAR",
	.help = "every stage, window and task with its status",
};

static void
cmd_status(struct client *c, struct cmd_args *a)
{
	char now[ISO_BUFSIZE], *text, *sql;
	const char *village;
	const char *params[4];
	json_t *alerts;

	if (scope_village(c, a->argc > 1 ? a->argv[1] : NULL, &village) < 0)
		return;
	alerts = deadline_alert_params();
	text = json_dumps(alerts, JSON_COMPACT);
	json_decref(alerts);
	params[0] = fupind->campaign->name;
	params[1] = village;
	params[2] = moment_text(clock_now(fupind->clock), now);
	params[3] = text;
	sql = village_checked_sql("fupin.status($1, $2, $3::timestamptz, "
				  "$4::jsonb)", 2);
	engine_call_sql(c, sql, 4, params, village_filter, NULL);
	free(sql);
	free(text);
}

const struct cmd_entry cmd_status_entry = {
	.name = "STATUS",
	.args = { 0, 1 },
	.role = ROLE_VILLAGE,
	.exec = cmd_status,
	.example = "STATUS V01",
	.usage = "STATUS [VILLAGE]",
	.help = "households per workflow and state, overdue, next deadline",
};

static void
cmd_overdue(struct client *c, struct cmd_args *a)
{
	char now[ISO_BUFSIZE], *sql;
	const char *village;
	const char *params[4];

	if (scope_village(c, a->argc > 1 ? a->argv[1] : NULL, &village) < 0)
		return;
	params[0] = fupind->campaign->name;
	params[1] = village;
	params[2] = moment_text(clock_now(fupind->clock), now);
	params[3] = OVERDUE_MAX_ROWS;
	sql = village_checked_sql("fupin.overdue($1, $2, $3::timestamptz, "
				  "$4::int)", 2);
	engine_call_sql(c, sql, 4, params, village_filter, NULL);
	free(sql);
}

const struct cmd_entry cmd_overdue_entry = {
	.name = "OVERDUE",
	.args = { 0, 1 },
	.role = ROLE_VILLAGE,
	.exec = cmd_overdue,
	.example = "OVERDUE V01",
	.usage = "OVERDUE [VILLAGE]",
	.help = "households that missed a deadline",
};

/* The household, or, when there is none, the ids of the register (of
 * the client's village for a village team) for household_missing. */
/*
 * A household, or for the hints of a missing one the register's ids (at
 * most 10,000, in order).  $4 is a village principal's village: another
 * village's household then comes back as missing, so its data never
 * leaves the database and the answer is the same as for no household.
 */
#define HOUSEHOLD_SQL \
	"SELECT coalesce((SELECT x FROM fupin.household_info($1, $2, " \
	"$3::timestamptz) x WHERE $4::text IS NULL OR " \
	"x->'household'->>'village_id' = $4), " \
	"jsonb_build_object('ok', false, 'missing_household', $2::text, " \
	"'ids', (SELECT coalesce(jsonb_agg(household_id ORDER BY " \
	"household_id), '[]') FROM (SELECT household_id FROM fupin.household " \
	"WHERE $4::text IS NULL OR village_id = $4 ORDER BY household_id " \
	"LIMIT 10000) h)))::text"

/* "V01-0080" -> "A99-9999": the pattern ids of one register share. */
static char *
id_shape(const char *id)
{
	char *s = xstrdup(id);

	for (char *p = s; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9')
			*p = '9';
		else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
			*p = 'A';
	}
	return s;
}

/*
 * No household `id`: say whether the id is malformed (no id of the
 * register has its shape) or absent (well formed, not registered), with
 * the closest ids and the range of its prefix ("V01-").
 */
static void
household_missing(struct client *c, json_t *answer)
{
	const char *id = json_string_value(json_object_get(answer,
	    "missing_household"));
	json_t *ids = json_object_get(answer, "ids"), *v, *dym = json_array();
	const char **names, *first = NULL, *last = NULL, *dash;
	size_t i, n = 0, close[3], nclose;
	char *shape = id_shape(id), *msg, *t, *where;
	int same_shape = 0;
	size_t prefix = (dash = strrchr(id, '-')) ? (size_t)(dash - id) + 1 : 0;

	names = xcalloc(json_array_size(ids) + 1, sizeof(*names));
	json_array_foreach(ids, i, v) {
		const char *h = json_string_value(v);
		char *hs;

		if (h == NULL)
			continue;
		names[n++] = h;
		hs = id_shape(h);
		same_shape |= strcmp(hs, shape) == 0;
		free(hs);
		if (prefix > 0 && strncmp(h, id, prefix) == 0) {
			if (first == NULL)
				first = h;
			last = h;
		}
	}
	where = c->role == ROLE_VILLAGE ?
	    xasprintf("your village %s", c->village) : xstrdup("the register");
	if (n == 0) {
		msg = xasprintf("no household \"%.64s\": %s has no households "
				"yet (fupinctl import households FILE)",
		    id, where);
		client_reply(c, json_pack("{s:b, s:s, s:s, s:s, s:o}", "ok", 0,
				    "error", "unknown", "message", msg, "reason",
				    "absent", "did_you_mean", dym));
		goto done;
	}
	if (!same_shape)
		msg = xasprintf("\"%.64s\" is not a household id: ids in %s "
				"look like %s",
		    id, where, names[0]);
	else if (first != NULL)
		msg = xasprintf("no household %.64s in %s (ids %.*s... run "
				"from %s to %s)",
		    id, where, (int)prefix, id, first, last);
	else
		msg = xasprintf("no household %.64s in %s (%s to %s)", id, where,
		    names[0], names[n - 1]);
	/* A slip of one key is worth suggesting, not more: ids are dense. */
	nclose = suggest_closest(id, names, n, close, nitems(close));
	for (i = 0; i < nclose; i++) {
		if (suggest_distance(id, names[close[i]]) > 1)
			break;
		json_array_append_new(dym, json_string(names[close[i]]));
		t = xasprintf("%s%s%s", msg, i == 0 ? "; did you mean " : " or ",
		    names[close[i]]);
		free(msg);
		msg = t;
	}
	if (json_array_size(dym) > 0) {
		t = xasprintf("%s?", msg);
		free(msg);
		msg = t;
	}
	client_reply(c, json_pack("{s:b, s:s, s:s, s:s, s:s, s:o}", "ok", 0,
			    "error", "unknown", "message", msg, "reason",
			    same_shape ? "absent" : "malformed", "example",
			    names[0], "did_you_mean", dym));
done:
	free(msg);
	free(where);
	free(shape);
	free(names);
}

/* A village team sees its own households only, and learns nothing of
 * others: another village's household and a missing one get the same
 * answer.  0 if answer may go on; else the refusal or the "unknown" has
 * been sent and answer freed. */
static int
household_checked(struct client *c, json_t *answer)
{
	const char *v = json_string_value(json_object_get(
	    json_object_get(answer, "household"), "village_id"));
	const char *missing = json_string_value(json_object_get(answer,
	    "missing_household"));
	const char *hid = json_string_value(json_object_get(
	    json_object_get(answer, "household"), "household_id"));

	if (missing == NULL && !json_is_true(json_object_get(answer, "ok"))) {
		client_reply(c, answer);
		return -1;
	}
	if (c->role == ROLE_VILLAGE && (missing != NULL || v == NULL ||
	    strcmp(v, c->village) != 0)) {
		char *id = xstrdup(missing != NULL ? missing :
		    hid != NULL ? hid : "");

		json_decref(answer);
		client_error(c, "forbidden", "no household %.64s in your "
		    "village %s", id, c->village);
		free(id);
		return -1;
	}
	if (missing != NULL) {
		household_missing(c, answer);
		json_decref(answer);
		return -1;
	}
	return 0;
}

static void
household_filter(struct client *c, json_t *answer)
{
	if (household_checked(c, answer) == 0)
		client_reply(c, answer);
}

static void
ask_household(struct client *c, const char *id, engine_answer_fn *filter)
{
	char now[ISO_BUFSIZE];
	const char *params[4] = { fupind->campaign->name, id,
		moment_text(clock_now(fupind->clock), now),
		c->role == ROLE_VILLAGE ? c->village : NULL };

	/* Found is ok, and HOUSEHOLD_SQL finds a village team's own
	 * households only: an ok answer of HOUSEHOLD needs no filter. */
	call_sql(c, HOUSEHOLD_SQL, 4, params, filter, NULL,
	    filter == household_filter);
}

static void
cmd_household(struct client *c, struct cmd_args *a)
{
	ask_household(c, a->argv[1], household_filter);
}

const struct cmd_entry cmd_household_entry = {
	.name = "HOUSEHOLD",
	.args = { 1, 1 },
	.role = ROLE_VILLAGE,
	.exec = cmd_household,
	.example = "HOUSEHOLD V01-0080",
	.usage = "HOUSEHOLD ID",
	.help = "a household, its procedures and their full history",
};

/* The effects of an event entry on the register, for fupin.advance. */
static json_t *
effects_json(const struct wf_event *ev)
{
	json_t *a = json_array();

	for (size_t i = 0; i < ev->neffects; i++) {
		const struct wf_effect *ef = &ev->effects[i];
		json_t *o = json_pack("{s:o, s:b}", "when",
		    strings_json(ef->when, ef->nwhen), "clears_problem",
		    ef->clears_problem);

		if (ef->category != NULL)
			json_object_set_new(o, "category",
			    json_string(ef->category));
		if (ef->year != NULL)
			json_object_set_new(o, "year", json_string(ef->year));
		json_array_append_new(a, o);
	}
	return a;
}

/* The procedures of the campaign's conflicts that contradict workflow
 * name: [{workflow, except: [states]}]. */
static json_t *
conflicts_json(const char *name)
{
	const struct wf_campaign *wc = wf_campaign(fupind->campaign->wf);
	json_t *a = json_array();

	for (size_t i = 0; i < wc->nconflicts; i++) {
		const struct wf_conflict *k = &wc->conflicts[i];
		const char *other = strcmp(k->a, name) == 0 ? k->b :
		    strcmp(k->b, name) == 0 ? k->a : NULL;

		if (other != NULL)
			json_array_append_new(a, json_pack("{s:s, s:o}",
			    "workflow", other, "except",
			    strings_json(k->except, k->nexcept)));
	}
	return a;
}

json_t *
engine_event_entries(const struct wf *w, const char *name, const char *role)
{
	json_t *entries = json_object();
	char buf[ISO_BUFSIZE], roles[64];

	for (size_t i = 0; i < w->nevents; i++) {
		const struct wf_event *ev = &w->events[i];
		json_t *e;

		if (strcmp(ev->name, name) != 0)
			continue;
		e = json_pack("{s:s, s:o, s:b, s:b, s:b, s:s}", "to", ev->to,
		    "guards", strings_json(ev->guards, ev->nguards), "note",
		    ev->note, "data_entry", ev->data_entry, "allowed",
		    wf_role_allowed(ev, role), "roles",
		    role_mask_text(ev->roles, roles, sizeof(roles)));
		if (ev->neffects > 0)
			json_object_set_new(e, "effects", effects_json(ev));
		if (ev->not_before != NULL) {
			const struct cal_item *it = cal_find(fupind->campaign->cal,
			    ev->not_before);
			if (it != NULL)
				json_object_set_new(e, "opens_at",
				    json_string(moment_text(it->opens !=
					    INT64_MIN ? it->opens : it->due,
					buf)));
		}
		if (ev->nfrom == 0)
			json_object_set(entries, "", e);
		for (size_t k = 0; k < ev->nfrom; k++)
			json_object_set(entries, ev->from[k], e);
		json_decref(e);
	}
	return entries;
}

/* One event entry for people: name, title, from, to, roles, note. */
static json_t *
event_json(const struct wf_event *ev)
{
	char roles[64];

	return json_pack("{s:s, s:s, s:o, s:s, s:s, s:b}", "event", ev->name,
	    "title", ev->title ? ev->title : ev->name, "from",
	    strings_json(ev->from, ev->nfrom), "to", ev->to, "roles",
	    role_mask_text(ev->roles, roles, sizeof(roles)), "note", ev->note);
}

json_t *
engine_workflows_json(void)
{
	json_t *wfs = json_array();

	for (size_t i = 0; i < wf_count(fupind->campaign->wf); i++) {
		const struct wf *w = wf_at(fupind->campaign->wf, i);
		json_t *events = json_array();

		for (size_t k = 0; k < w->nevents; k++)
			json_array_append_new(events, event_json(&w->events[k]));
		json_array_append_new(wfs, json_pack("{s:s, s:s, s:s, s:o}",
					       "workflow", w->name, "title",
					       w->title ? w->title : w->name,
					       "scope", w->scope ==
						   WF_SCOPE_VILLAGE ?
						   "village" : "household",
					       "events", events));
	}
	return wfs;
}

static int
applies_to(const struct wf *w, const char *category)
{
	if (w->napplies_to == 0)
		return 1;
	for (size_t i = 0; category != NULL && i < w->napplies_to; i++)
		if (strcmp(w->applies_to[i], category) == 0)
			return 1;
	return 0;
}

/* The events of w that may be sent in state (NULL: the creating ones) by
 * role, appended to out with the workflow, state and subject. */
static void
allowed_events(json_t *out, const struct wf *w, const char *state,
    const char *subject, const char *role)
{
	for (size_t k = 0; k < w->nevents; k++) {
		const struct wf_event *ev = &w->events[k];
		int from = 0;
		json_t *e;

		if (state == NULL)
			from = ev->nfrom == 0;
		for (size_t f = 0; state != NULL && f < ev->nfrom; f++)
			from |= strcmp(ev->from[f], state) == 0;
		if (!from || !wf_role_allowed(ev, role))
			continue;
		e = event_json(ev);
		json_object_set_new(e, "workflow", json_string(w->name));
		json_object_set_new(e, "state", state ? json_string(state) :
		    json_null());
		json_object_set_new(e, "subject", subject ? json_string(subject) :
		    json_null());
		json_array_append_new(out, e);
	}
}

static void
help_advance_answer(struct client *c, json_t *answer)
{
	json_t *h = json_object_get(answer, "household");
	json_t *wis = json_object_get(answer, "workflows"), *wi;
	const char *category = json_string_value(json_object_get(h, "category"));
	const char *role = role_name(c->role);
	json_t *allowed = json_array();
	size_t i;

	if (household_checked(c, answer) < 0) {
		json_decref(allowed);
		return;
	}
	for (size_t k = 0; k < wf_count(fupind->campaign->wf); k++) {
		const struct wf *w = wf_at(fupind->campaign->wf, k);
		int has = 0;

		if (w->scope != WF_SCOPE_HOUSEHOLD)
			continue;
		json_array_foreach(wis, i, wi) {
			const char *name = json_string_value(json_object_get(wi,
			    "workflow"));

			if (name == NULL || strcmp(name, w->name) != 0)
				continue;
			has = 1;
			allowed_events(allowed, w, json_string_value(
			    json_object_get(wi, "state")), json_string_value(
			    json_object_get(wi, "subject")), role);
		}
		/* Member changes start with MEMBER, problems with ANALYZE. */
		if (!has && applies_to(w, category) &&
		    strcmp(w->name, "member") != 0 &&
		    strcmp(w->name, "rectify") != 0)
			allowed_events(allowed, w, NULL, NULL, role);
	}
	client_reply(c, json_pack("{s:b, s:s, s:O, s:O, s:s, s:o}", "ok", 1,
			    "verb", "ADVANCE", "household",
			    json_object_get(h, "household_id"), "category",
			    json_object_get(h, "category"), "role", role,
			    "allowed", allowed));
	json_decref(answer);
}

void
engine_help_advance(struct client *c, const char *household)
{
	ask_household(c, household, help_advance_answer);
}

/* A workflow by name, in any case. */
static const struct wf *
workflow_nocase(const char *name)
{
	for (size_t i = 0; i < wf_count(fupind->campaign->wf); i++) {
		const struct wf *w = wf_at(fupind->campaign->wf, i);

		if (strcasecmp(w->name, name) == 0)
			return w;
	}
	return NULL;
}

/* The event's own name, found in any case; NULL if w has none. */
static const char *
event_nocase(const struct wf *w, const char *name)
{
	for (size_t i = 0; i < w->nevents; i++)
		if (strcasecmp(w->events[i].name, name) == 0)
			return w->events[i].name;
	return NULL;
}

static void
unknown_workflow(struct client *c, const char *word)
{
	size_t n = wf_count(fupind->campaign->wf);
	const char **names = xcalloc(n + 1, sizeof(*names));

	for (size_t i = 0; i < n; i++)
		names[i] = wf_at(fupind->campaign->wf, i)->name;
	cmd_reply_unknown(c, "unknown", "workflow", word, names, n, 1,
	    "fupinctl help advance lists each workflow's events");
	free(names);
}

static void
unknown_event(struct client *c, const struct wf *w, const char *word)
{
	const char **names = xcalloc(w->nevents + 1, sizeof(*names));
	size_t n = 0;
	char *what = xasprintf("event of workflow %s", w->name);

	for (size_t i = 0; i < w->nevents; i++) {
		size_t k;

		for (k = 0; k < n; k++)
			if (strcmp(names[k], w->events[i].name) == 0)
				break;
		if (k == n)
			names[n++] = w->events[i].name;
	}
	cmd_reply_unknown(c, "unknown", what, word, names, n, 1,
	    "fupinctl help advance HOUSEHOLD lists the steps it may take now");
	free(what);
	free(names);
}

/* A `state` refusal also names the events allowed in that state. */
static void
advance_filter(struct client *c, json_t *answer)
{
	const char *err = json_string_value(json_object_get(answer, "error"));
	const char *state = json_string_value(json_object_get(answer, "state"));
	const char *wname = json_string_value(json_object_get(answer,
	    "workflow"));
	const struct wf *w = wname ? wf_find(fupind->campaign->wf, wname) :
				    NULL;
	json_t *allowed, *e;
	char *msg;
	size_t i;

	if (err == NULL || strcmp(err, "state") != 0 || w == NULL) {
		client_reply(c, answer);
		return;
	}
	allowed = json_array();
	allowed_events(allowed, w, state, NULL, role_name(c->role));
	msg = xasprintf("%s; ", json_string_value(json_object_get(answer,
	    "message")) ?: "not allowed now");
	if (json_array_size(allowed) == 0) {
		char *t = xasprintf("%snothing your role (%s) may send %s", msg,
		    role_name(c->role), state ? "in this state" :
			"to start it");
		free(msg);
		msg = t;
	}
	json_array_foreach(allowed, i, e) {
		char *t = xasprintf("%s%s%s (%s)", msg, i == 0 ?
		    (state ? "allowed now: " : "it starts with: ") : ", ",
		    json_string_value(json_object_get(e, "event")),
		    json_string_value(json_object_get(e, "title")));
		free(msg);
		msg = t;
	}
	json_object_set_new(answer, "message", json_string(msg));
	json_object_set_new(answer, "allowed", allowed);
	free(msg);
	client_reply(c, answer);
}

static void
cmd_advance(struct client *c, struct cmd_args *a)
{
	const struct wf *w = workflow_nocase(a->argv[2]);
	const char *event;
	json_t *p, *min_days, *finals;
	char now[ISO_BUFSIZE], *target, *subject, *text, *metric;

	if (w == NULL) {
		unknown_workflow(c, a->argv[2]);
		return;
	}
	/* Any case, or the title as the plan writes it: ADVANCE H1 exit
	 * 村级公示 is publish. */
	if ((event = event_nocase(w, a->argv[3])) == NULL &&
	    (event = wf_event_by_title(w, a->argv[3])) == NULL) {
		unknown_event(c, w, a->argv[3]);
		return;
	}
	/* HOUSEHOLD/SUBJECT names a member or problem of the household. */
	target = xstrdup(a->argv[1]);
	subject = strchr(target, '/');
	if (subject != NULL)
		*subject++ = '\0';

	min_days = json_object();
	finals = json_array();
	for (size_t i = 0; i < w->nstates; i++) {
		const struct wf_state *st = &w->states[i];
		if (st->min_days >= 0)
			json_object_set_new(min_days, st->name,
			    json_integer(st->min_days));
		if (st->final)
			json_array_append_new(finals, json_string(st->name));
	}
	/* The campaign's shared rules are added per group (group_common). */
	p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:o, "
		      "s:o}",
	    "workflow", w->name, "scope",
	    w->scope == WF_SCOPE_VILLAGE ? "village" : "household", "target",
	    target, "subject", subject ? subject : "", "event", event,
	    "entries", engine_event_entries(w, event, role_name(c->role)), "actor",
	    c->principal, "role", role_name(c->role), "now",
	    moment_text(clock_now(fupind->clock), now), "min_days", min_days,
	    "final", finals);
	json_object_set_new(p, "applies_to", w->napplies_to ?
	    strings_json(w->applies_to, w->napplies_to) : json_null());
	json_object_set_new(p, "village", c->role == ROLE_VILLAGE ?
	    json_string(c->village) : json_null());
	json_object_set_new(p, "note", a->argc > 4 ?
	    json_string(a->rest[4]) : json_null());
	json_object_set_new(p, "conflicts", conflicts_json(w->name));
	text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	free(target);
	metric = xasprintf("%s/%s", w->name, event);
	engine_call_grouped(c, text, advance_filter, metric);
	free(metric);
	free(text);
}

const struct cmd_entry cmd_advance_entry = {
	.name = "ADVANCE",
	.args = { 3, -1 },
	.role = ROLE_VILLAGE,
	.exec = cmd_advance,
	.example = "ADVANCE V01-0080 exit submit",
	.usage = "ADVANCE ID WORKFLOW EVENT [NOTE]",
	.help = "record a step: e.g. ADVANCE H001 exit publish (ID may be "
	    "HOUSEHOLD/PERSON_ID for member changes)",
};

/* ---- data quality ---- */

static void
cmd_analyze(struct client *c, struct cmd_args *a)
{
	const struct cal_item *it = cal_find(fupind->campaign->cal, "analysis");
	int64_t now = clock_now(fupind->clock);
	char nowbuf[ISO_BUFSIZE], opens[ISO_BUFSIZE], *text;
	const char *params[1];
	json_t *p;

	/* The rules run over the data as entered: not before the window in
	 * which the campaign analyses it. */
	if (it != NULL && it->opens != INT64_MIN && now < it->opens) {
		client_error(c, "state", "the analysis window opens %s",
		    moment_text(it->opens, opens));
		return;
	}
	p = json_pack("{s:s, s:s, s:s, s:s}", "campaign", fupind->campaign->name,
	    "now", moment_text(now, nowbuf), "actor", c->principal, "role",
	    role_name(c->role));
	text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	params[0] = text;
	engine_call_sql(c, "SELECT fupin.analyze($1::jsonb)::text", 1, params, NULL,
	    NULL);
	free(text);
}

const struct cmd_entry cmd_analyze_entry = {
	.name = "ANALYZE",
	.args = { 0, 0 },
	.role = ROLE_TOWNSHIP,
	.exec = cmd_analyze,
	.example = "ANALYZE",
	.usage = "ANALYZE",
	.help = "run the data-quality rules (from the analysis window on); each "
	    "new problem starts a rectify procedure",
};

static void
cmd_problems(struct client *c, struct cmd_args *a)
{
	const char *village;
	const char *params[3];
	char *sql;

	if (scope_village(c, a->argc > 1 ? a->argv[1] : NULL, &village) < 0)
		return;
	params[0] = fupind->campaign->name;
	params[1] = village;
	params[2] = OVERDUE_MAX_ROWS;
	sql = village_checked_sql("fupin.problems($1, $2, $3::int)", 2);
	engine_call_sql(c, sql, 3, params, village_filter, NULL);
	free(sql);
}

const struct cmd_entry cmd_problems_entry = {
	.name = "PROBLEMS",
	.args = { 0, 1 },
	.role = ROLE_VILLAGE,
	.exec = cmd_problems,
	.example = "PROBLEMS V01",
	.usage = "PROBLEMS [VILLAGE]",
	.help = "the problem list and where each problem's rectification stands",
};
