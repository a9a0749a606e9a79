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
#include "workflow.h"

static struct engine_callbacks callbacks;
static int campaign_synced;
static int in_flight; /* our statements not yet answered */

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
	return json_pack("{s:s, s:i, s:f, s:f, s:s, s:s, s:i, s:s, s:s, s:s, "
			 "s:o, s:o}",
	    "id", wc->id, "year", wc->year, "exit_threshold",
	    wc->exit_threshold, "marginal_threshold", wc->marginal_threshold,
	    "income_from", wc->income_from, "income_to", wc->income_to,
	    "notice_min_days", wc->notice_min_days, "lock_at",
	    lock == INT64_MIN ? "infinity" : moment_text(lock, lockbuf), "now",
	    moment_text(clock_now(fupind->clock), nowbuf), "actor", "fupind",
	    "calendar", items, "states", states);
}

static void sync_days(void);

static void
sync_done(const PGresult *res, const char *err, void *arg)
{
	in_flight--;
	if (res == NULL)
		return; /* connection lost: synced again on reconnection */
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warnx("engine: cannot store campaign %s in the database: %s",
		    fupind->campaign->name, PQresultErrorMessage(res));
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
		log_warnx("engine: cannot store the holidays of campaign %s: %s",
		    fupind->campaign->name, PQresultErrorMessage(res));
		return;
	}
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
};

static void
call_done(const PGresult *res, const char *err, void *arg)
{
	struct call *call = arg;
	struct client *c = call->client;
	json_t *answer;
	json_error_t jerr;

	in_flight--;
	if (res == NULL) {
		client_error(c, "unavailable", "%s", err);
		goto done;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warnx("engine: %s failed: %s", c->verb,
		    PQresultErrorMessage(res));
		client_error(c, "internal", "the database refused: %s",
		    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) ?
			PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : "?");
		goto done;
	}
	if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0)) {
		client_error(c, "unknown", "not found");
		goto done;
	}
	answer = json_loads(PQgetvalue(res, 0, 0), 0, &jerr);
	if (answer == NULL) {
		client_error(c, "internal", "bad answer from the database");
		goto done;
	}
	if (call->metric != NULL &&
	    json_is_true(json_object_get(answer, "ok"))) {
		metrics_count("transitions", call->metric, 1);
		log_info("%s %s: %s -> %s by %s",
		    json_string_value(json_object_get(answer, "target")),
		    call->metric,
		    json_string_value(json_object_get(answer, "from")) ?
			json_string_value(json_object_get(answer, "from")) : "-",
		    json_string_value(json_object_get(answer, "to")),
		    c->principal);
	}
	if (call->filter != NULL)
		call->filter(c, answer);
	else
		client_reply(c, answer);
done:
	free(call->metric);
	free(call);
}

void
engine_call_sql(struct client *c, const char *sql, int n,
    const char *const *params, engine_answer_fn *filter, const char *metric)
{
	struct call *call;

	if (!fupind->schema_ok || !campaign_synced) {
		client_error(c, "unavailable",
		    "the database is %s; try again shortly",
		    db_state(fupind->db) == DB_UP ? "being prepared" :
						"unavailable");
		return;
	}
	call = xcalloc(1, sizeof(*call));
	call->client = c;
	call->filter = filter;
	call->metric = metric ? xstrdup(metric) : NULL;
	if (db_query(fupind->db, sql, n, params, call_done, call) < 0) {
		free(call->metric);
		free(call);
		client_error(c, "unavailable",
		    "the database is unavailable; try again shortly");
		return;
	}
	in_flight++;
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
	.usage = "CALENDAR",
	.help = "every stage, window and task with its status",
};

static void
cmd_status(struct client *c, struct cmd_args *a)
{
	char now[ISO_BUFSIZE], *text;
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
	engine_call_sql(c, "SELECT fupin.status($1, $2, $3::timestamptz, $4::jsonb)"
		    "::text",
	    4, params, NULL, NULL);
	free(text);
}

const struct cmd_entry cmd_status_entry = {
	.name = "STATUS",
	.args = { 0, 1 },
	.role = ROLE_VILLAGE,
	.exec = cmd_status,
	.usage = "STATUS [VILLAGE]",
	.help = "households per workflow and state, overdue, next deadline",
};

static void
cmd_overdue(struct client *c, struct cmd_args *a)
{
	char now[ISO_BUFSIZE];
	const char *village;
	const char *params[4];

	if (scope_village(c, a->argc > 1 ? a->argv[1] : NULL, &village) < 0)
		return;
	params[0] = fupind->campaign->name;
	params[1] = village;
	params[2] = moment_text(clock_now(fupind->clock), now);
	params[3] = OVERDUE_MAX_ROWS;
	engine_call_sql(c, "SELECT fupin.overdue($1, $2, $3::timestamptz, $4::int)"
		    "::text",
	    4, params, NULL, NULL);
}

const struct cmd_entry cmd_overdue_entry = {
	.name = "OVERDUE",
	.args = { 0, 1 },
	.role = ROLE_VILLAGE,
	.exec = cmd_overdue,
	.usage = "OVERDUE [VILLAGE]",
	.help = "households that missed a deadline",
};

static void
household_filter(struct client *c, json_t *answer)
{
	const char *v = json_string_value(json_object_get(
	    json_object_get(answer, "household"), "village_id"));

	if (c->role == ROLE_VILLAGE && (v == NULL ||
	    strcmp(v, c->village) != 0)) {
		json_decref(answer);
		client_error(c, "forbidden",
		    "that household is not in your village %s", c->village);
		return;
	}
	client_reply(c, answer);
}

static void
cmd_household(struct client *c, struct cmd_args *a)
{
	char now[ISO_BUFSIZE];
	const char *params[3] = { fupind->campaign->name, a->argv[1],
		moment_text(clock_now(fupind->clock), now) };

	engine_call_sql(c, "SELECT fupin.household_info($1, $2, $3::timestamptz)"
		    "::text",
	    3, params, household_filter, NULL);
}

const struct cmd_entry cmd_household_entry = {
	.name = "HOUSEHOLD",
	.args = { 1, 1 },
	.role = ROLE_VILLAGE,
	.exec = cmd_household,
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

static void
cmd_advance(struct client *c, struct cmd_args *a)
{
	const struct wf *w = wf_find(fupind->campaign->wf, a->argv[2]);
	const struct wf_campaign *wc = wf_campaign(fupind->campaign->wf);
	json_t *p, *min_days, *finals;
	char now[ISO_BUFSIZE], lock[ISO_BUFSIZE], *target, *subject, *text,
	    *metric;
	int64_t lock_at = engine_lock_moment();
	const char *params[1], *event = a->argv[3];

	if (w == NULL) {
		client_error(c, "unknown", "no workflow \"%.40s\"; workflows "
		    "are listed by HELP ADVANCE", a->argv[2]);
		return;
	}
	/* An event may be named by its title as the plan writes it:
	 * ADVANCE H1 exit 村级公示 is publish. */
	if (!wf_event_exists(w, event) &&
	    (event = wf_event_by_title(w, a->argv[3])) == NULL) {
		client_error(c, "unknown", "workflow %s has no event \"%.40s\"",
		    w->name, a->argv[3]);
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
	p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, "
		      "s:o, s:o, s:o, s:o, s:o}",
	    "campaign", fupind->campaign->name, "workflow", w->name, "scope",
	    w->scope == WF_SCOPE_VILLAGE ? "village" : "household", "target",
	    target, "subject", subject ? subject : "", "event", event,
	    "entries", engine_event_entries(w, event, role_name(c->role)), "actor",
	    c->principal, "role", role_name(c->role), "now",
	    moment_text(clock_now(fupind->clock), now), "min_days", min_days,
	    "final", finals, "relapse_reasons",
	    labels_json(wc->relapse_reasons, wc->nrelapse_reasons),
	    "marginal_risks",
	    labels_json(wc->marginal_risks, wc->nmarginal_risks),
	    "monitoring_risks",
	    labels_json(wc->monitoring_risks, wc->nmonitoring_risks));
	json_object_set_new(p, "lock_at", lock_at == INT64_MIN ? json_null() :
	    json_string(moment_text(lock_at, lock)));
	json_object_set_new(p, "applies_to", w->napplies_to ?
	    strings_json(w->applies_to, w->napplies_to) : json_null());
	json_object_set_new(p, "village", c->role == ROLE_VILLAGE ?
	    json_string(c->village) : json_null());
	json_object_set_new(p, "note", a->argc > 4 ?
	    json_string(a->rest[4]) : json_null());
	json_object_set_new(p, "conflicts", conflicts_json(w->name));
	json_object_set_new(p, "reason_titles", titles_json(wc));
	text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	free(target);
	params[0] = text;
	metric = xasprintf("%s/%s", w->name, event);
	engine_call_sql(c, "SELECT fupin.advance($1::jsonb)::text", 1, params, NULL,
	    metric);
	free(metric);
	free(text);
}

const struct cmd_entry cmd_advance_entry = {
	.name = "ADVANCE",
	.args = { 3, -1 },
	.role = ROLE_VILLAGE,
	.exec = cmd_advance,
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
	.usage = "ANALYZE",
	.help = "run the data-quality rules (from the analysis window on); each "
	    "new problem starts a rectify procedure",
};

static void
cmd_problems(struct client *c, struct cmd_args *a)
{
	const char *village;
	const char *params[3];

	if (scope_village(c, a->argc > 1 ? a->argv[1] : NULL, &village) < 0)
		return;
	params[0] = fupind->campaign->name;
	params[1] = village;
	params[2] = OVERDUE_MAX_ROWS;
	engine_call_sql(c, "SELECT fupin.problems($1, $2, $3::int)::text", 3, params,
	    NULL, NULL);
}

const struct cmd_entry cmd_problems_entry = {
	.name = "PROBLEMS",
	.args = { 0, 1 },
	.role = ROLE_VILLAGE,
	.exec = cmd_problems,
	.usage = "PROBLEMS [VILLAGE]",
	.help = "the problem list and where each problem's rectification stands",
};
