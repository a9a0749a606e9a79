/*
 * PostgreSQL from the event loop without ever blocking it: a pool of
 * asynchronous connections (PQconnectStart/PQconnectPoll) sharing one
 * queue, one statement in flight per connection, LISTEN/NOTIFY, and
 * reconnection on a capped, jittered backoff. Multi-host conninfo works
 * because libpq walks the hosts itself during PQconnectPoll.
 *
 * Statements start in the order they were queued but may finish in any
 * order when the pool has more than one connection: a caller that needs
 * one statement to follow another queues the second from the first's
 * callback.
 */
#ifndef FUPIN_DB_H
#define FUPIN_DB_H

#include <event2/event.h>
#include <libpq-fe.h>

enum db_state { DB_DOWN, DB_CONNECTING, DB_UP };

struct db;

/*
 * Result callback. res is the last PGresult of the statement (owned by the
 * db layer: do not PQclear) or NULL when the connection was lost or the
 * statement could not be sent; errmsg then says why.
 */
typedef void db_result_fn(const PGresult *res, const char *errmsg, void *arg);

struct db_callbacks {
	/* The connection came up (after LISTEN) or went down. */
	void (*state_changed)(enum db_state, void *arg);
	void (*notified)(const char *channel, const char *payload, void *arg);
	void *arg;
};

struct db *db_create(struct event_base *, const char *conninfo,
    const struct db_callbacks *);
void db_free(struct db *);
/* Connections in the pool (1 by default); only before db_start. */
void db_set_size(struct db *, int size);
int db_size(const struct db *);
void db_start(struct db *);
/* Takes effect at the next (re)connection; reconnects now if it changed. */
void db_set_conninfo(struct db *, const char *);
void db_set_limits(struct db *, int reconnect_max, int statement_timeout);
enum db_state db_state(const struct db *);
/* "up", "connecting", "down", or "read-only": not up because the
 * database could be reached but refused writes. */
const char *db_state_name(const struct db *);
int db_read_only(const struct db *);
/* Connections waiting to retry try now (SIGHUP). */
void db_retry_now(struct db *);
/* Statements queued or running. */
int db_busy(const struct db *);
/* Statements running, and waiting for a connection. */
int db_in_flight(const struct db *);
int db_queued(const struct db *);
unsigned long db_reconnects(const struct db *);

/*
 * Queue a parameterised statement. Values are copied. Returns -1 (and the
 * callback is not called) when the database is not up.
 */
int db_query(struct db *, const char *sql, int nparams,
    const char *const *values, db_result_fn *, void *arg);
/* The same with its own statement_timeout (seconds) instead of the
 * pool's: a long statement a person waits for (IMPORT COMMIT). */
int db_query_timeout(struct db *, const char *sql, int nparams,
    const char *const *values, int timeout, db_result_fn *, void *arg);

#endif
