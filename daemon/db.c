/*
 * The asynchronous PostgreSQL connection (see db.h).
 *
 * Statements run one at a time on the one connection, in the order they
 * were queued; every request that must be atomic is one statement (a SQL
 * function or a single CTE), so no transaction spans two round trips and
 * a lost connection can never leave one half-applied.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "util.h"

struct db_query {
	char *sql;
	int nparams;
	char **values;
	int simple;	/* multi-statement text, simple protocol */
	db_result_fn *fn;
	void *arg;
	struct db_query *next;
};

struct db {
	struct event_base *base;
	char *conninfo;
	struct db_callbacks cb;
	PGconn *conn;
	enum db_state state;
	int sock;
	struct event *ev_read;
	struct event *ev_write;
	struct event *ev_retry;
	struct event *ev_poll;	/* PQconnectPoll waits on read or write */
	double backoff;
	int reconnect_max;
	int statement_timeout;
	unsigned long reconnects;
	int ever_up;

	struct db_query *head, *tail; /* head is in flight when sent */
	int sent;
	PGresult *last;
};

static void db_connect(struct db *);
static void db_lost(struct db *, const char *why);
static void db_send_next(struct db *);

static void
query_free(struct db_query *q)
{
	for (int i = 0; i < q->nparams; i++)
		free(q->values[i]);
	free(q->values);
	free(q->sql);
	free(q);
}

struct db *
db_create(struct event_base *base, const char *conninfo,
    const struct db_callbacks *cb)
{
	struct db *db = xcalloc(1, sizeof(*db));

	db->base = base;
	db->conninfo = xstrdup(conninfo);
	db->cb = *cb;
	db->sock = -1;
	db->reconnect_max = 30;
	db->statement_timeout = 30;
	return db;
}

static void
db_close_events(struct db *db)
{
	if (db->ev_read) {
		event_free(db->ev_read);
		db->ev_read = NULL;
	}
	if (db->ev_write) {
		event_free(db->ev_write);
		db->ev_write = NULL;
	}
	if (db->ev_poll) {
		event_free(db->ev_poll);
		db->ev_poll = NULL;
	}
}

/* Fail every queued statement; used when the connection goes away. */
static void
db_fail_all(struct db *db, const char *why)
{
	struct db_query *q;

	while ((q = db->head) != NULL) {
		db->head = q->next;
		if (db->head == NULL)
			db->tail = NULL;
		q->fn(NULL, why, q->arg);
		query_free(q);
	}
	db->sent = 0;
	if (db->last) {
		PQclear(db->last);
		db->last = NULL;
	}
}

void
db_free(struct db *db)
{
	if (db == NULL)
		return;
	db_fail_all(db, "shutting down");
	db_close_events(db);
	if (db->ev_retry)
		event_free(db->ev_retry);
	if (db->conn)
		PQfinish(db->conn);
	free(db->conninfo);
	free(db);
}

enum db_state
db_state(const struct db *db)
{
	return db->state;
}

const char *
db_state_name(const struct db *db)
{
	switch (db->state) {
	case DB_UP:
		return "up";
	case DB_CONNECTING:
		return "connecting";
	default:
		return "down";
	}
}

int
db_busy(const struct db *db)
{
	return db->head != NULL;
}

unsigned long
db_reconnects(const struct db *db)
{
	return db->reconnects;
}

void
db_set_limits(struct db *db, int reconnect_max, int statement_timeout)
{
	db->reconnect_max = reconnect_max;
	db->statement_timeout = statement_timeout;
}

static void
set_state(struct db *db, enum db_state st)
{
	if (db->state == st)
		return;
	db->state = st;
	if (db->cb.state_changed)
		db->cb.state_changed(st, db->cb.arg);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	db_connect(arg);
}

/* Capped exponential backoff with +-25% jitter, so that several daemons
 * (or one after each blip) do not hammer a recovering server in step. */
static void
schedule_retry(struct db *db)
{
	struct timeval tv;
	double delay, jitter;

	db->backoff = db->backoff <= 0 ? 0.25 : db->backoff * 2;
	if (db->backoff > db->reconnect_max)
		db->backoff = db->reconnect_max;
	jitter = 0.75 + (random() % 1000) / 2000.0;
	delay = db->backoff * jitter;
	tv.tv_sec = (time_t)delay;
	tv.tv_usec = (suseconds_t)((delay - (double)tv.tv_sec) * 1e6);
	if (db->ev_retry == NULL)
		db->ev_retry = evtimer_new(db->base, retry_cb, db);
	evtimer_add(db->ev_retry, &tv);
	log_debug("database: next connection attempt in %.1fs", delay);
}

static void
db_lost(struct db *db, const char *why)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "database unavailable: %s",
	    why && *why ? why : "connection lost");
	/* libpq messages end in a newline; logs are one line per event. */
	msg[strcspn(msg, "\n")] = '\0';
	if (db->state == DB_UP)
		log_warnx("%s", msg);
	else
		log_debug("%s", msg);
	db_close_events(db);
	if (db->conn) {
		PQfinish(db->conn);
		db->conn = NULL;
	}
	db->sock = -1;
	db_fail_all(db, msg);
	set_state(db, DB_DOWN);
	schedule_retry(db);
}

static void
handle_notifies(struct db *db)
{
	PGnotify *n;

	while ((n = PQnotifies(db->conn)) != NULL) {
		if (db->cb.notified)
			db->cb.notified(n->relname, n->extra, db->cb.arg);
		PQfreemem(n);
	}
}

static void
finish_query(struct db *db)
{
	struct db_query *q = db->head;

	db->head = q->next;
	if (db->head == NULL)
		db->tail = NULL;
	db->sent = 0;
	q->fn(db->last, db->last ? NULL : "no result", q->arg);
	if (db->last) {
		PQclear(db->last);
		db->last = NULL;
	}
	query_free(q);
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db *db = arg;
	PGresult *res;

	if (!PQconsumeInput(db->conn)) {
		db_lost(db, PQerrorMessage(db->conn));
		return;
	}
	handle_notifies(db);
	while (db->sent && !PQisBusy(db->conn)) {
		res = PQgetResult(db->conn);
		if (res == NULL) {
			finish_query(db);
			db_send_next(db);
			/* db_send_next may have lost the connection. */
			if (db->conn == NULL)
				return;
			continue;
		}
		/* Keep the last result of the statement; earlier ones (there
		 * is only one for a single statement) are dropped. */
		if (db->last)
			PQclear(db->last);
		db->last = res;
	}
	if (PQstatus(db->conn) == CONNECTION_BAD)
		db_lost(db, PQerrorMessage(db->conn));
}

static void
write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db *db = arg;
	int r = PQflush(db->conn);

	if (r < 0)
		db_lost(db, PQerrorMessage(db->conn));
	else if (r > 0)
		event_add(db->ev_write, NULL);
}

static void
db_send_next(struct db *db)
{
	struct db_query *q = db->head;
	int r;

	if (q == NULL || db->sent || db->state != DB_UP)
		return;
	if (q->simple ? !PQsendQuery(db->conn, q->sql) :
			!PQsendQueryParams(db->conn, q->sql, q->nparams, NULL,
			    (const char *const *)q->values, NULL, NULL, 0)) {
		db_lost(db, PQerrorMessage(db->conn));
		return;
	}
	db->sent = 1;
	r = PQflush(db->conn);
	if (r < 0)
		db_lost(db, PQerrorMessage(db->conn));
	else if (r > 0)
		event_add(db->ev_write, NULL);
}

int
db_query(struct db *db, const char *sql, int nparams,
    const char *const *values, db_result_fn *fn, void *arg)
{
	struct db_query *q;

	if (db->state != DB_UP)
		return -1;
	q = xcalloc(1, sizeof(*q));
	q->sql = xstrdup(sql);
	q->nparams = nparams;
	q->values = xcalloc((size_t)(nparams ? nparams : 1), sizeof(char *));
	for (int i = 0; i < nparams; i++)
		q->values[i] = values[i] ? xstrdup(values[i]) : NULL;
	q->fn = fn;
	q->arg = arg;
	if (db->tail)
		db->tail->next = q;
	else
		db->head = q;
	db->tail = q;
	db_send_next(db);
	return 0;
}

/* Setup statements of a fresh connection, sent through the queue like
 * any other so the order is kept. */
static void
setup_done(const PGresult *res, const char *err, void *arg)
{
	if (res == NULL || (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK))
		log_warnx("database: connection set-up failed: %s",
		    res ? PQresultErrorMessage(res) : err);
}

static void
queue_front(struct db *db, struct db_query *q)
{
	q->next = db->head;
	db->head = q;
	if (db->tail == NULL)
		db->tail = q;
}

static void
db_connected(struct db *db)
{
	static const char *const listen_sql =
	    "LISTEN fupin_alert; LISTEN fupin_change";
	struct db_query *q;
	char timeout[32];

	db_close_events(db);
	db->sock = PQsocket(db->conn);
	PQsetnonblocking(db->conn, 1);
	db->ev_read = event_new(db->base, db->sock, EV_READ | EV_PERSIST,
	    read_cb, db);
	db->ev_write = event_new(db->base, db->sock, EV_WRITE, write_cb, db);
	event_add(db->ev_read, NULL);
	db->backoff = 0;
	log_info("database: connected to %s:%s as %s", PQhost(db->conn),
	    PQport(db->conn), PQuser(db->conn));
	if (db->ever_up)
		db->reconnects++;
	db->ever_up = 1;

	/* LISTEN again after every reconnection (subscriptions die with the
	 * session), and bound every statement we will send. Both go ahead
	 * of anything already queued. */
	q = xcalloc(1, sizeof(*q));
	q->sql = xstrdup(listen_sql);
	q->simple = 1;
	q->fn = setup_done;
	queue_front(db, q);

	snprintf(timeout, sizeof(timeout), "%ds", db->statement_timeout);
	q = xcalloc(1, sizeof(*q));
	/* JIT compilation costs more than it saves on our short statements
	 * (seen: 150 ms of a 300 ms sweep). */
	q->sql = xstrdup("SELECT set_config('statement_timeout', $1, false), "
			 "set_config('TimeZone', 'Asia/Shanghai', false), "
			 "set_config('jit', 'off', false)");
	q->nparams = 1;
	q->values = xcalloc(1, sizeof(char *));
	q->values[0] = xstrdup(timeout);
	q->fn = setup_done;
	queue_front(db, q);

	db->state = DB_UP;
	db_send_next(db);
	if (db->conn == NULL)
		return;
	db->state = DB_CONNECTING;
	set_state(db, DB_UP);
}

static void poll_cb(evutil_socket_t, short, void *);

static void
poll_wait(struct db *db, short what)
{
	if (db->ev_poll)
		event_free(db->ev_poll);
	/* The socket may change between polls (multi-host, SSL retry). */
	db->sock = PQsocket(db->conn);
	db->ev_poll = event_new(db->base, db->sock, what, poll_cb, db);
	event_add(db->ev_poll, NULL);
}

static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db *db = arg;

	switch (PQconnectPoll(db->conn)) {
	case PGRES_POLLING_READING:
		poll_wait(db, EV_READ);
		break;
	case PGRES_POLLING_WRITING:
		poll_wait(db, EV_WRITE);
		break;
	case PGRES_POLLING_OK:
		db_connected(db);
		break;
	default:
		db_lost(db, PQerrorMessage(db->conn));
		break;
	}
}

static void
db_connect(struct db *db)
{
	if (db->conn)
		return;
	set_state(db, DB_CONNECTING);
	db->conn = PQconnectStart(db->conninfo);
	if (db->conn == NULL) {
		db_lost(db, "out of memory");
		return;
	}
	if (PQstatus(db->conn) == CONNECTION_BAD) {
		db_lost(db, PQerrorMessage(db->conn));
		return;
	}
	/* Before the first poll libpq wants the socket writable. */
	poll_wait(db, EV_WRITE);
}

void
db_start(struct db *db)
{
	db_connect(db);
}

void
db_set_conninfo(struct db *db, const char *conninfo)
{
	if (strcmp(conninfo, db->conninfo) == 0)
		return;
	free(db->conninfo);
	db->conninfo = xstrdup(conninfo);
	log_info("database: connection string changed, reconnecting");
	if (db->conn != NULL) {
		db->state = DB_CONNECTING; /* not a loss worth a warning */
		db_lost(db, "connection string changed");
	}
	if (db->ev_retry)
		event_del(db->ev_retry);
	db->backoff = 0;
	db_connect(db);
}
