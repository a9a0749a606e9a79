/*
 * The deadline engine (see deadline.h).
 *
 * Never one timer per household and never a scan in C: fupin.sweep finds,
 * in one statement, every (deadline, village) with open work and inserts
 * the reminders, overdue notices, escalations and digests due by now under
 * their unique keys, then reports the next moment anything can fall due.
 * A sweep is idempotent, so running one too many (a restart, a second
 * daemon, a clock change) costs a query and sends nothing twice.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "calendar.h"
#include "campaign.h"
#include "deadline.h"
#include "engine.h"
#include "fupind.h"
#include "isotime.h"
#include "leader.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"

/* Even with nothing due for days, look again at least this often (real
 * seconds): cheap insurance against a wall clock that jumped. */
#define SWEEP_MAX_SLEEP 3600

struct waiter {
	struct client *client;
	json_t *answer;
	struct waiter *next;
};

static struct event *ev_timer, *ev_soon;
static int sweeping, sweep_again, resumed, sweep_failures;
static int64_t caught_up_at = INT64_MIN;
static struct waiter *waiting, *answering;

static void sweep_start(void);

static char *
moment(int64_t t, char *buf)
{
	return iso_format(t, ISO_SHANGHAI_OFFSET, buf, ISO_BUFSIZE);
}

/* Answer those waiting on a sweep; swept says whether it ran, so that a
 * script knows the alerts due by the new moment are (not yet) written. */
static void
answer_waiters(struct waiter **list, int swept)
{
	struct waiter *w;

	while ((w = *list) != NULL) {
		*list = w->next;
		json_object_set_new(w->answer, "swept", json_boolean(swept));
		client_reply(w->client, w->answer);
		free(w);
	}
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	sweep_start();
}

void
deadline_init(void)
{
	ev_timer = evtimer_new(fupind->base, timer_cb, NULL);
	ev_soon = evtimer_new(fupind->base, timer_cb, NULL);
}

void
deadline_free(void)
{
	answer_waiters(&answering, 0);
	answer_waiters(&waiting, 0);
	if (ev_timer)
		event_free(ev_timer);
	if (ev_soon)
		event_free(ev_soon);
}

int
deadline_idle(void)
{
	return !sweeping;
}

void
deadline_sweep_soon(void)
{
	struct timeval tv = { 0, 0 };

	evtimer_add(ev_soon, &tv);
}

void
deadline_reply_after_sweep(struct client *c, json_t *answer)
{
	struct waiter *w;

	if (!fupind->schema_ok || !engine_campaign_ready() ||
	    fupind->stopping || leader_standby()) {
		/* No sweep can run now; it will when the database is back,
		 * or on the daemon that leads. */
		json_object_set_new(answer, "swept", json_false());
		client_reply(c, answer);
		return;
	}
	w = xcalloc(1, sizeof(*w));
	w->client = c;
	w->answer = answer;
	w->next = waiting;
	waiting = w;
	deadline_sweep_soon();
}

static void
arm_timer(int64_t next_at)
{
	struct timeval tv;
	double delay;

	evtimer_del(ev_timer);
	if (next_at == INT64_MAX)
		delay = SWEEP_MAX_SLEEP;
	else {
		delay = clock_real_delay(fupind->clock, next_at);
		if (delay < 0)
			return; /* manual clock: CLOCK moves time and sweeps */
		if (delay > SWEEP_MAX_SLEEP)
			delay = SWEEP_MAX_SLEEP;
	}
	if (clock_mode(fupind->clock) == CLOCK_MANUAL)
		return;
	tv.tv_sec = (time_t)delay;
	tv.tv_usec = (suseconds_t)((delay - (double)tv.tv_sec) * 1e6);
	evtimer_add(ev_timer, &tv);
}

static json_t *
ladder_json(const struct ladder_step *ladder, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:i, s:I, s:[s]}", "level",
		    (int)i + 1, "delay", (json_int_t)ladder[i].delay,
		    "recipients", ladder[i].recipient));
	return a;
}

/*
 * Who hears of a state's work, by the party that must act to leave it
 * (state_rule.party, from the workflow files): reminders and overdue
 * notices go to that party with the village team in copy, then the
 * party's own escalation ladder (alerts.escalations*).
 */
json_t *
deadline_alert_params(void)
{
	const struct config *cfg = fupind->cfg;
	json_t *reminders = json_array(), *parties;
	char now[ISO_BUFSIZE], caught[ISO_BUFSIZE], digest[32];

	for (size_t i = 0; i < cfg->nreminders; i++)
		json_array_append_new(reminders,
		    cfg->reminders[i].working_days > 0 ?
			json_pack("{s:i}", "wd", cfg->reminders[i].working_days) :
			json_pack("{s:I}", "secs",
			    (json_int_t)cfg->reminders[i].seconds));
	parties = json_pack("{s:{s:[s], s:[s], s:o}, s:{s:[s,s], s:[s,s], s:o},"
			    " s:{s:[s,s,s], s:[s,s,s], s:o}}",
	    "village", "reminder", "village_team", "overdue", "village_team",
	    "ladder", ladder_json(cfg->ladder, cfg->nladder),
	    "township", "reminder", "township_office", "village_team",
	    "overdue", "township_office", "village_team", "ladder",
	    ladder_json(cfg->ladder_township, cfg->nladder_township),
	    "city", "reminder", "city", "township_office", "village_team",
	    "overdue", "city", "township_office", "village_team", "ladder",
	    ladder_json(cfg->ladder_city, cfg->nladder_city));
	snprintf(digest, sizeof(digest), "%02d:%02d", cfg->digest_minute / 60,
	    cfg->digest_minute % 60);
	/* Never swept yet (a standby): null, which the sweep reads as
	 * -infinity; INT64_MIN has no date to format. */
	return json_pack("{s:s, s:s, s:s?, s:o, s:s, s:o, s:[s]}",
	    "campaign", fupind->campaign->name, "now",
	    moment(clock_now(fupind->clock), now), "caught_up_at",
	    caught_up_at == INT64_MIN ? NULL : moment(caught_up_at, caught),
	    "reminders", reminders,
	    "digest_at", digest, "parties", parties, "exception",
	    "township_office");
}

static void
sweep_done(const PGresult *res, const char *err, void *arg)
{
	json_t *r;
	json_error_t jerr;
	int64_t next_at = INT64_MAX;
	const char *next;
	int swept;

	sweeping = 0;
	swept = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!swept) {
		log_warnx("deadline: sweep failed: %s",
		    res ? PQresultErrorMessage(res) : err);
		metrics_count("sweeps", "failed", 1);
		/* Lost connection: swept again on reconnection. Otherwise
		 * (the campaign not stored yet by the other connection, a
		 * statement timeout) try again soon, 1s, 2s ... 64s: a
		 * manual clock has no timer that would. */
		arm_timer(INT64_MAX);
		if (res != NULL) {
			struct timeval tv = { (time_t)1 << sweep_failures, 0 };

			if (sweep_failures < 6)
				sweep_failures++;
			evtimer_add(ev_soon, &tv);
		}
		goto answer;
	}
	sweep_failures = 0;
	r = json_loads(PQgetvalue(res, 0, 0), 0, &jerr);
	if (r != NULL) {
		json_int_t created = json_integer_value(
		    json_object_get(r, "created"));

		next = json_string_value(json_object_get(r, "next_at"));
		if (next == NULL || iso_parse(next, 0, &next_at) < 0)
			next_at = INT64_MAX;
		metrics_count("sweeps", "ok", 1);
		if (created > 0) {
			log_info("deadline: %lld new alert%s",
			    (long long)created, created == 1 ? "" : "s");
			metrics_count("alerts_created", NULL, (double)created);
		}
		json_decref(r);
	}
	arm_timer(next_at);
	notify_kick();
answer:
	answer_waiters(&answering, swept);
	if (sweep_again || waiting != NULL) {
		sweep_again = 0;
		sweep_start();
	}
}

static void
sweep_start(void)
{
	json_t *p;
	char *text;
	const char *params[1];

	if (!fupind->schema_ok || fupind->stopping ||
	    db_state(fupind->db_bg) != DB_UP || !resumed || !leader_is())
		return;
	if (sweeping) {
		sweep_again = 1;
		return;
	}
	p = deadline_alert_params();
	text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	params[0] = text;
	if (db_query(fupind->db_bg, "SELECT fupin.sweep($1::jsonb)::text", 1, params,
		sweep_done, NULL) == 0) {
		sweeping = 1;
		/* Those waiting now are answered when this sweep is done. */
		answering = waiting;
		waiting = NULL;
	}
	free(text);
}

/* A manual or simulated clock resumes where the last run left it, so a
 * restart never moves campaign time backwards. */
static void
resume_done(const PGresult *res, const char *err, void *arg)
{
	int64_t last;
	char buf[ISO_BUFSIZE];

	if (res == NULL)
		return;
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    !PQgetisnull(res, 0, 0) &&
	    iso_parse(PQgetvalue(res, 0, 0), 0, &last) == 0 &&
	    last > clock_now(fupind->clock) && clock_resume(fupind->clock, last) == 0)
		log_notice("clock: resumed at %s, where the last run left it",
		    moment(last, buf));
	resumed = 1;
	/* What fell due before this moment, while we or the database were
	 * down, fires now marked late. */
	caught_up_at = clock_now(fupind->clock);
	sweep_start();
}

void
deadline_db_ready(void)
{
	const char *params[1] = { fupind->campaign->name };

	resumed = 0;
	if (clock_mode(fupind->clock) == CLOCK_REAL) {
		resumed = 1;
		caught_up_at = clock_now(fupind->clock);
		sweep_start();
		return;
	}
	db_query(fupind->db_bg,
	    "SELECT to_char(last_now AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM fupin.daemon_state "
	    "WHERE campaign_id = $1",
	    1, params, resume_done, NULL);
}

void
deadline_db_down(void)
{
	resumed = 0;
	sweeping = 0;
	answer_waiters(&answering, 0);
}

/* ---- verbs ---- */

#define EXTEND_MAX_AFTER_END (366 * 86400LL)

/* An extension moves deadlines: answer once the sweep at the new
 * deadlines has run, so that a script's next request sees its alerts. */
static void
extend_answer(struct client *c, json_t *answer)
{
	if (!json_is_true(json_object_get(answer, "ok"))) {
		client_reply(c, answer);
		return;
	}
	log_notice("deadline: %s extended for %s until %s by %s",
	    json_string_value(json_object_get(answer, "deadline")),
	    json_string_value(json_object_get(answer, "village")),
	    json_string_value(json_object_get(answer, "until")), c->principal);
	deadline_reply_after_sweep(c, answer);
}

static void
cmd_alerts(struct client *c, struct cmd_args *a)
{
	const char *params[3];
	char nbuf[16];
	long n = 20;

	if (a->argc > 1) {
		char *end;

		n = strtol(a->argv[1], &end, 10);
		if (*end != '\0' || n < 1 || n > 1000) {
			client_error(c, "usage", "N must be 1..1000");
			return;
		}
	}
	snprintf(nbuf, sizeof(nbuf), "%ld", n);
	params[0] = c->role == ROLE_VILLAGE ? c->village : NULL;
	params[1] = nbuf;
	params[2] = ALERTS_LANGUAGE_NAME(fupind->cfg);
	engine_call_sql(c, "SELECT fupin.alerts($1, $2::int, $3)::text", 3,
	    params, NULL, NULL);
}

const struct cmd_entry cmd_alerts_entry = {
	.name = "ALERTS",
	.args = { 0, 1 },
	.role = ROLE_VILLAGE,
	.exec = cmd_alerts,
	.example = "ALERTS 20",
	.usage = "ALERTS [N]",
	.help = "the last N alerts (20 by default)",
};

/* The latest end an extension may have: a year after the campaign's
 * last calendar moment. Beyond it an extension is a typo (9999-12-31)
 * that would silence a village's alerts for good. */
static int64_t
extend_latest(void)
{
	const struct cal *cal = fupind->campaign->cal;
	int64_t last = clock_now(fupind->clock);

	for (size_t i = 0; i < cal_count(cal); i++)
		if (cal_item_at(cal, i)->due > last)
			last = cal_item_at(cal, i)->due;
	return last + EXTEND_MAX_AFTER_END;
}

static void
cmd_extend(struct client *c, struct cmd_args *a)
{
	json_t *p;
	char now[ISO_BUFSIZE], until[ISO_BUFSIZE], *text;
	const char *params[1];
	int64_t t;

	if (iso_parse(a->argv[3], ISO_SHANGHAI_OFFSET, &t) < 0) {
		client_error(c, "usage",
		    "\"%.40s\" is not a moment (2019-10-23 or "
		    "2019-10-23T18:00+08:00)", a->argv[3]);
		return;
	}
	/* A bare date means the end of that day, as "by" in calendar.conf:
	 * EXTEND V03 stage2 2019-10-25 runs until 2019-10-26 00:00. */
	if (strlen(a->argv[3]) == 10)
		t += 86400;
	if (t > extend_latest()) {
		char latest[ISO_BUFSIZE];

		client_error(c, "usage",
		    "an extension must end by %s (a year after the "
		    "campaign's last deadline)",
		    moment(extend_latest(), latest));
		return;
	}
	p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "campaign",
	    fupind->campaign->name, "village", a->argv[1], "deadline", a->argv[2],
	    "until", moment(t, until), "reason", a->rest[4], "actor",
	    c->principal, "role", role_name(c->role), "now",
	    moment(clock_now(fupind->clock), now));
	text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	params[0] = text;
	engine_call_sql(c, "SELECT fupin.extend($1::jsonb)::text", 1, params,
	    extend_answer, NULL);
	free(text);
}

const struct cmd_entry cmd_extend_entry = {
	.name = "EXTEND",
	.args = { 4, -1 },
	.role = ROLE_TOWNSHIP,
	.exec = cmd_extend,
	.example = "EXTEND V03 stage3 2019-10-27T18:00 road closed",
	.usage = "EXTEND VILLAGE DEADLINE UNTIL REASON",
	.help = "grant a village more time on a deadline, with the reason",
};
