/*
 * The engine turns a request or a due moment into one SQL statement: a
 * transition with its audit row and alerts, a status count, a sweep of
 * overdue work. It owns the daemon's view of the campaign in the database
 * (campaign figures, calendar, which state must be left by which
 * deadline), synchronised from the campaign files at every connection and
 * reload.
 */
#ifndef FUPIN_ENGINE_H
#define FUPIN_ENGINE_H

#include <stddef.h>

struct engine_callbacks {
	/* The campaign is stored in the database (after each connection):
	 * requests may be answered and background work may start. */
	void (*campaign_synced)(void *arg);
	void *arg;
};

/* The callbacks are copied. */
void engine_init(const struct engine_callbacks *);
/* The database is up and its schema current / it went away. */
void engine_db_ready(void);
void engine_db_down(void);
/* Configuration or campaign reloaded. */
void engine_reconfigure(void);
void engine_notified(const char *channel, const char *payload);
/* The campaign is stored in the database (requests may be answered). */
int engine_campaign_ready(void);
/* Nothing of ours is running (statements, notify commands). */
int engine_idle(void);
/* Why the campaign is not in the database although it is up (the last
 * synchronisation failed), or NULL. */
const char *engine_sync_error(void);
void engine_free(void);
/* 1 when requests can be served; else 0 with why (database down,
 * read-only, schema, campaign not stored) in why. */
int engine_health(char *why, size_t len);
/* "stored", "failed" or "pending". */
const char *engine_campaign_state(void);

struct client;
struct json_t;
/* Given a verb's answer (it owns it): veto it, trim it or reply later. */
typedef void engine_answer_fn(struct client *, struct json_t *answer);
/*
 * The one way a verb asks the database: send sql, whose one column is a
 * jsonb answer, with params (copied) on the request connection, and reply
 * to c with the answer, through filter if not NULL; a failure becomes the
 * error answer ("unavailable" while the campaign is not in the database,
 * "internal" when the database refused, "unknown" for no row). metric, if
 * not NULL, counts a transition on success.
 */
void engine_call_sql(struct client *c, const char *sql, int n,
    const char *const *params, engine_answer_fn *filter, const char *metric);

struct wf;
/*
 * What the files say about every entry of event `name` of workflow w,
 * keyed by the state it may be sent in ("" for the creating entry), in the
 * shape fupin.advance reads: to, guards, note, data_entry, whether the
 * caller's role (a role_name) may send it, and who may. Caller owns it.
 */
struct json_t *engine_event_entries(const struct wf *w, const char *name,
    const char *role);
/* Every workflow with its events (name, title, from, to, roles, note), in
 * the files' order, for HELP ADVANCE. Caller owns it. */
struct json_t *engine_workflows_json(void);
/* HELP ADVANCE HOUSEHOLD: the events the household may take now in each
 * of its procedures, with their titles; answers c later. */
void engine_help_advance(struct client *c, const char *household);

/* The data-entry lock moment, or INT64_MIN when the campaign has none. */
long long engine_lock_moment(void);

#endif
