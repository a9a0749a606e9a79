/*
 * Leadership by advisory lock (see leader.h).
 *
 * The lock is pg_try_advisory_lock(hashtext('fupin.leader'),
 * hashtext(campaign)) on the background connection, the one that sweeps
 * and delivers, so that holding the lock and being able to do the work
 * are the same thing: if that connection drops, the session's lock is
 * released by the server and this daemon stops leading until it has the
 * lock again.  Two daemons can never both hold it; a sweep or a delivery
 * that a dying leader had under way is either committed or rolled back,
 * and its leased alerts are delivered by the next leader once the lease
 * runs out (at least once, never lost).
 */
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "db.h"
#include "fupind.h"
#include "leader.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

enum leader_state { LEADER_UNKNOWN, LEADER_ASKING, LEADER_STANDBY,
	LEADER_LEADING };

static enum leader_state state;
static struct event *ev_retry;
static void (*on_leading)(void);
static char *lock_campaign;	/* the campaign the lock is (asked) for */
static int standby_logged;

static void leader_ask(void);

static void
set_state(enum leader_state st)
{
	state = st;
	metrics_gauge_set("leader", NULL, st == LEADER_LEADING);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	leader_ask();
}

static void
schedule_retry(void)
{
	/* A little jitter, so that standbys do not ask in step. */
	struct timeval tv = { LEADER_RETRY - 1,
		(suseconds_t)(500000 + random() % 500000) };

	evtimer_add(ev_retry, &tv);
}

static void
asked(const PGresult *res, const char *err, void *arg)
{
	if (state != LEADER_ASKING)
		return; /* the connection went, or the campaign changed */
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warnx("leader: cannot ask for the lead: %s",
		    res ? PQresultErrorMessage(res) : err);
		set_state(LEADER_STANDBY);
		schedule_retry();
		return;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		if (!standby_logged)
			log_notice("leader: another fupind leads campaign %s; "
				   "standing by (answering requests, asking "
				   "again every %ds)", lock_campaign,
			    LEADER_RETRY);
		standby_logged = 1;
		set_state(LEADER_STANDBY);
		schedule_retry();
		return;
	}
	standby_logged = 0;
	set_state(LEADER_LEADING);
	metrics_count("leader_takeovers", NULL, 1);
	log_notice("leader: leading campaign %s: sweeping deadlines and "
		   "delivering alerts", lock_campaign);
	if (on_leading)
		on_leading();
}

static void
leader_ask(void)
{
	const char *params[1];

	if (state == LEADER_LEADING || state == LEADER_ASKING ||
	    db_state(fupind->db_bg) != DB_UP)
		return;
	free(lock_campaign);
	lock_campaign = xstrdup(fupind->campaign->name);
	params[0] = lock_campaign;
	if (db_query(fupind->db_bg, "SELECT pg_try_advisory_lock("
	    "hashtext('fupin.leader'), hashtext($1))", 1, params, asked,
	    NULL) == 0)
		set_state(LEADER_ASKING);
}

void
leader_init(void (*became_leader)(void))
{
	on_leading = became_leader;
	ev_retry = evtimer_new(fupind->base, retry_cb, NULL);
	set_state(LEADER_UNKNOWN);
}

void
leader_free(void)
{
	if (ev_retry)
		event_free(ev_retry);
	ev_retry = NULL;
	free(lock_campaign);
	lock_campaign = NULL;
}

void
leader_db_up(void)
{
	evtimer_del(ev_retry);
	set_state(LEADER_UNKNOWN);
	leader_ask();
}

void
leader_db_down(void)
{
	if (state == LEADER_LEADING)
		log_warnx("leader: lost the background connection, and with "
			  "it the lead of campaign %s", lock_campaign);
	evtimer_del(ev_retry);
	set_state(LEADER_UNKNOWN);
}

static void
unlocked(const PGresult *res, const char *err, void *arg)
{
	leader_ask();
}

void
leader_reconfigure(void)
{
	const char *params[1];

	if (lock_campaign == NULL ||
	    strcmp(lock_campaign, fupind->campaign->name) == 0)
		return;
	log_notice("leader: campaign changed from %s to %s; asking for its "
		   "lead", lock_campaign, fupind->campaign->name);
	evtimer_del(ev_retry);
	params[0] = lock_campaign;
	set_state(LEADER_UNKNOWN);
	if (db_query(fupind->db_bg, "SELECT pg_advisory_unlock("
	    "hashtext('fupin.leader'), hashtext($1))", 1, params, unlocked,
	    NULL) < 0)
		return; /* asked again when the connection is back */
}

int
leader_is(void)
{
	return state == LEADER_LEADING;
}

int
leader_standby(void)
{
	return state == LEADER_STANDBY;
}

const char *
leader_state_name(void)
{
	switch (state) {
	case LEADER_LEADING:
		return "leader";
	case LEADER_STANDBY:
		return "standby";
	default:
		return "unknown";
	}
}
