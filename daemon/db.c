/*
 * The asynchronous PostgreSQL connections (see db.h).
 *
 * A struct db is a small pool: `size` connections sharing one queue of
 * statements.  A statement goes to the first connection that is up and
 * idle, in the order statements were queued, so a long statement holds
 * up one connection and never the others.  Every request that must be
 * atomic is one statement (a SQL function or a single CTE): no
 * transaction spans two round trips, and a lost connection can never
 * leave one half-applied.  Statements that must run in order are chained
 * by their callers (the next one is queued from the first one's callback).
 *
 * Each connection comes up on its own (asynchronous connect, capped and
 * jittered backoff) and runs its set-up statements before it takes any of
 * the queue.  Connection 0 also LISTENs.  The pool is up while one
 * connection is up; only when the last one goes are the queued statements
 * failed.
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
	int timeout;	/* seconds, 0: the pool's statement_timeout */
	db_result_fn *fn;
	void *arg;
	struct db_query *next;
};

/* A FIFO of statements. */
struct db_queue {
	struct db_query *head, *tail;
};

struct db_conn {
	struct db *db;
	int index;
	PGconn *conn;
	enum db_state state;
	int sock;
	struct event *ev_read;
	struct event *ev_write;
	struct event *ev_retry;
	struct event *ev_poll;	/* PQconnectPoll waits on read or write */
	double backoff;
	int ever_up;
	int setting_up;	/* connected, running its set-up: not yet UP */

	struct db_queue setup;	/* this connection's own, ahead of the pool's */
	struct db_query *cur;	/* in flight */
	PGresult *last;

	/* The pool's statements prepared on this session, by text: sent
	 * again, a statement is neither parsed nor planned again. */
	char **prepared;	/* texts; the name of prepared[i] is "fupin_i" */
	int nprepared;
	int preparing;		/* cur is being prepared; executed next */
	int cur_prepared;	/* cur runs as prepared statement this index */
};

/* Statement texts prepared per session at most: the daemon's are a few
 * dozen fixed texts; past this, statements are sent unprepared. */
#define DB_MAX_PREPARED 256

struct db {
	struct event_base *base;
	char *conninfo;
	struct db_callbacks cb;
	enum db_state state;	/* the best of the connections' states */
	int reconnect_max;
	int statement_timeout;
	unsigned long reconnects;

	struct db_conn *conns;
	int size;
	int started;
	int reconnecting;	/* a new conninfo: losses are expected */
	int read_only;		/* the last connection found it read-only */
	struct db_queue queue;	/* not yet sent */
};

static void conn_connect(struct db_conn *);
static void conn_lost(struct db_conn *, const char *why);
static void conn_dispatch(struct db_conn *);
static void conn_read_only(struct db_conn *, const char *why);
static void prepared_forget(struct db_conn *);
static void setup_push(struct db_conn *, const char *sql, int simple,
    const char *param);

static void
query_free(struct db_query *q)
{
	for (int i = 0; i < q->nparams; i++)
		free(q->values[i]);
	free(q->values);
	free(q->sql);
	free(q);
}

static void
queue_push(struct db_queue *qu, struct db_query *q)
{
	q->next = NULL;
	if (qu->tail)
		qu->tail->next = q;
	else
		qu->head = q;
	qu->tail = q;
}

static struct db_query *
queue_pop(struct db_queue *qu)
{
	struct db_query *q = qu->head;

	if (q != NULL) {
		qu->head = q->next;
		if (qu->head == NULL)
			qu->tail = NULL;
		q->next = NULL;
	}
	return q;
}

/* Answer every statement of qu with why; the callbacks may queue more. */
static void
queue_fail(struct db_queue *qu, const char *why)
{
	struct db_query *q;

	while ((q = queue_pop(qu)) != NULL) {
		q->fn(NULL, why, q->arg);
		query_free(q);
	}
}

static void
conns_init(struct db *db, int size)
{
	db->size = size;
	db->conns = xcalloc((size_t)size, sizeof(*db->conns));
	for (int i = 0; i < size; i++) {
		db->conns[i].db = db;
		db->conns[i].index = i;
		db->conns[i].sock = -1;
	}
}

struct db *
db_create(struct event_base *base, const char *conninfo,
    const struct db_callbacks *cb)
{
	struct db *db = xcalloc(1, sizeof(*db));

	db->base = base;
	db->conninfo = xstrdup(conninfo);
	db->cb = *cb;
	db->reconnect_max = 30;
	db->statement_timeout = 30;
	conns_init(db, 1);
	return db;
}

void
db_set_size(struct db *db, int size)
{
	if (db->started || size < 1 || size == db->size)
		return;
	free(db->conns);
	conns_init(db, size);
}

int
db_size(const struct db *db)
{
	return db->size;
}

static void
conn_close_events(struct db_conn *c)
{
	if (c->ev_read) {
		event_free(c->ev_read);
		c->ev_read = NULL;
	}
	if (c->ev_write) {
		event_free(c->ev_write);
		c->ev_write = NULL;
	}
	if (c->ev_poll) {
		event_free(c->ev_poll);
		c->ev_poll = NULL;
	}
}

/* Answer what this connection had taken: its set-up and the one in flight. */
static void
conn_fail(struct db_conn *c, const char *why)
{
	struct db_query *q = c->cur;

	c->cur = NULL;
	if (c->last) {
		PQclear(c->last);
		c->last = NULL;
	}
	if (q != NULL) {
		q->fn(NULL, why, q->arg);
		query_free(q);
	}
	queue_fail(&c->setup, why);
}

void
db_free(struct db *db)
{
	if (db == NULL)
		return;
	for (int i = 0; i < db->size; i++) {
		struct db_conn *c = &db->conns[i];

		conn_fail(c, "shutting down");
		conn_close_events(c);
		prepared_forget(c);
		if (c->ev_retry)
			event_free(c->ev_retry);
		if (c->conn)
			PQfinish(c->conn);
	}
	queue_fail(&db->queue, "shutting down");
	free(db->conns);
	free(db->conninfo);
	free(db);
}

enum db_state
db_state(const struct db *db)
{
	return db->state;
}

int
db_read_only(const struct db *db)
{
	return db->state != DB_UP && db->read_only;
}

const char *
db_state_name(const struct db *db)
{
	if (db_read_only(db))
		return "read-only";
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
	if (db->queue.head != NULL)
		return 1;
	for (int i = 0; i < db->size; i++)
		if (db->conns[i].cur != NULL || db->conns[i].setup.head != NULL)
			return 1;
	return 0;
}

int
db_in_flight(const struct db *db)
{
	int n = 0;

	for (int i = 0; i < db->size; i++)
		n += db->conns[i].cur != NULL;
	return n;
}

int
db_queued(const struct db *db)
{
	int n = 0;

	for (const struct db_query *q = db->queue.head; q != NULL; q = q->next)
		n++;
	return n;
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

/*
 * The pool's state is the best of its connections'.  Going down fails
 * the queue: no connection is left to run it.
 */
static void
pool_update(struct db *db)
{
	enum db_state st = DB_DOWN;

	for (int i = 0; i < db->size; i++) {
		if (db->conns[i].state == DB_UP)
			st = DB_UP;
		else if (db->conns[i].state == DB_CONNECTING && st == DB_DOWN)
			st = DB_CONNECTING;
	}
	if (st == db->state)
		return;
	db->state = st;
	if (st != DB_UP)
		queue_fail(&db->queue, "database unavailable");
	if (db->cb.state_changed)
		db->cb.state_changed(st, db->cb.arg);
}

/* Hand queued statements to every idle connection. */
static void
pool_dispatch(struct db *db)
{
	for (int i = 0; i < db->size && db->queue.head != NULL; i++)
		conn_dispatch(&db->conns[i]);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	conn_connect(arg);
}

/* Capped exponential backoff with +-25% jitter, so that several daemons
 * (or one after each blip) do not hammer a recovering server in step. */
static void
schedule_retry(struct db_conn *c)
{
	struct db *db = c->db;
	struct timeval tv;
	double delay, jitter;

	c->backoff = c->backoff <= 0 ? 0.25 : c->backoff * 2;
	if (c->backoff > db->reconnect_max)
		c->backoff = db->reconnect_max;
	jitter = 0.75 + (random() % 1000) / 2000.0;
	delay = c->backoff * jitter;
	tv.tv_sec = (time_t)delay;
	tv.tv_usec = (suseconds_t)((delay - (double)tv.tv_sec) * 1e6);
	if (c->ev_retry == NULL)
		c->ev_retry = evtimer_new(db->base, retry_cb, c);
	evtimer_add(c->ev_retry, &tv);
	log_debug("database: next connection attempt in %.1fs", delay);
}

static void
conn_lost(struct db_conn *c, const char *why)
{
	char msg[512];

	struct db *db = c->db;
	int was_up = c->state == DB_UP, pool_was_up = db->state == DB_UP;

	snprintf(msg, sizeof(msg), "database unavailable: %s",
	    why && *why ? why : "connection lost");
	/* libpq messages end in a newline; logs are one line per event. */
	msg[strcspn(msg, "\n")] = '\0';
	conn_close_events(c);
	if (c->conn) {
		PQfinish(c->conn);
		c->conn = NULL;
	}
	c->sock = -1;
	c->state = DB_DOWN;
	c->setting_up = 0;
	prepared_forget(c);
	conn_fail(c, msg);
	pool_update(db);
	/* One warning per outage, not one per connection of the pool. */
	if (pool_was_up && db->state != DB_UP && !db->reconnecting)
		log_warnx("%s", msg);
	else if (was_up && !db->reconnecting)
		log_info("database: pool connection %d lost: %s", c->index,
		    msg);
	else
		log_debug("%s", msg);
	schedule_retry(c);
}

/* The session is gone: so are its prepared statements. */
static void
prepared_forget(struct db_conn *c)
{
	for (int i = 0; i < c->nprepared; i++)
		free(c->prepared[i]);
	free(c->prepared);
	c->prepared = NULL;
	c->nprepared = 0;
	c->preparing = 0;
}

/* The index of the statement prepared with text sql, or -1. */
static int
prepared_find(const struct db_conn *c, const char *sql)
{
	for (int i = 0; i < c->nprepared; i++)
		if (c->prepared[i] != NULL && strcmp(c->prepared[i], sql) == 0)
			return i;
	return -1;
}

/* Send cur, prepared as statement i. */
static int
send_prepared(struct db_conn *c, int i)
{
	char name[32];

	snprintf(name, sizeof(name), "fupin_%d", i);
	c->cur_prepared = i;
	return PQsendQueryPrepared(c->conn, name, c->cur->nparams,
	    (const char *const *)c->cur->values, NULL, NULL, 0);
}

static void
flush_or_wait(struct db_conn *c)
{
	int r = PQflush(c->conn);

	if (r < 0)
		conn_lost(c, PQerrorMessage(c->conn));
	else if (r > 0)
		event_add(c->ev_write, NULL);
}

/*
 * The statement being prepared is: run it (0), or hand its failure to
 * its caller (-1). A text that could not be prepared is sent unprepared
 * next time, so that the failure is the statement's own.
 */
static int
prepared_done(struct db_conn *c)
{
	int i = c->nprepared - 1;

	c->preparing = 0;
	if (c->last == NULL || PQresultStatus(c->last) != PGRES_COMMAND_OK) {
		free(c->prepared[i]);
		c->prepared[i] = NULL;
		return -1;
	}
	PQclear(c->last);
	c->last = NULL;
	if (!send_prepared(c, i)) {
		conn_lost(c, PQerrorMessage(c->conn));
		return 0;
	}
	flush_or_wait(c);
	return 0;
}

static void
handle_notifies(struct db_conn *c)
{
	struct db *db = c->db;
	PGnotify *n;

	while ((n = PQnotifies(c->conn)) != NULL) {
		if (db->cb.notified)
			db->cb.notified(n->relname, n->extra, db->cb.arg);
		PQfreemem(n);
	}
}

static void
finish_query(struct db_conn *c)
{
	struct db_query *q = c->cur;
	PGresult *res = c->last;

	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) :
				  NULL;
	int read_only = state != NULL && strcmp(state, "25006") == 0;

	/* "cached plan must not change result type" (the schema changed
	 * under a prepared statement): prepare the text again next time. */
	if (state != NULL && strcmp(state, "0A000") == 0 &&
	    c->cur_prepared >= 0 && c->cur_prepared < c->nprepared) {
		free(c->prepared[c->cur_prepared]);
		c->prepared[c->cur_prepared] = NULL;
	}
	c->cur_prepared = -1;
	c->cur = NULL;
	c->last = NULL;
	q->fn(res, res ? NULL : "no result", q->arg);
	if (res)
		PQclear(res);
	query_free(q);
	/* A write refused because the server turned read-only (a standby
	 * after a bad failover, default_transaction_read_only): this
	 * session will not recover by itself, so connect again (libpq with
	 * target_session_attrs=read-write then finds the primary). */
	if (read_only && c->conn != NULL)
		conn_read_only(c, "the database became read-only");
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db_conn *c = arg;
	PGresult *res;

	if (!PQconsumeInput(c->conn)) {
		conn_lost(c, PQerrorMessage(c->conn));
		return;
	}
	handle_notifies(c);
	while (c->cur && !PQisBusy(c->conn)) {
		res = PQgetResult(c->conn);
		if (res == NULL && c->preparing && prepared_done(c) == 0) {
			if (c->conn == NULL)
				return;
			continue;
		}
		if (res == NULL) {
			finish_query(c);
			/* The callback may have queued more, or the pool
			 * may have been torn down under it. */
			if (c->conn == NULL)
				return;
			conn_dispatch(c);
			if (c->conn == NULL)
				return;
			continue;
		}
		/* Keep the last result of the statement; earlier ones (there
		 * is only one for a single statement) are dropped. */
		if (c->last)
			PQclear(c->last);
		c->last = res;
	}
	if (PQstatus(c->conn) == CONNECTION_BAD)
		conn_lost(c, PQerrorMessage(c->conn));
}

static void
write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db_conn *c = arg;
	int r = PQflush(c->conn);

	if (r < 0)
		conn_lost(c, PQerrorMessage(c->conn));
	else if (r > 0)
		event_add(c->ev_write, NULL);
}

/* Send this connection's next statement: its own set-up first, then the
 * pool's queue. */
static void
conn_dispatch(struct db_conn *c)
{
	struct db_query *q;
	int ok, i;

	if (c->cur != NULL || c->conn == NULL ||
	    (c->state != DB_UP && !c->setting_up))
		return;
	if ((q = queue_pop(&c->setup)) == NULL &&
	    (c->state != DB_UP || (q = queue_pop(&c->db->queue)) == NULL))
		return;
	if (q->timeout > 0) {
		/* Its own statement_timeout around it, on this connection:
		 * set, the statement, set back. */
		char t[32];

		snprintf(t, sizeof(t), "%ds", q->timeout);
		q->timeout = 0;
		setup_push(c, "SELECT set_config('statement_timeout', $1, "
			      "false)", 0, t);
		queue_push(&c->setup, q);
		snprintf(t, sizeof(t), "%ds", c->db->statement_timeout);
		setup_push(c, "SELECT set_config('statement_timeout', $1, "
			      "false)", 0, t);
		q = queue_pop(&c->setup);
	}
	c->cur = q;
	c->cur_prepared = -1;
	if (q->simple)
		ok = PQsendQuery(c->conn, q->sql);
	else if (c->state != DB_UP) /* its own set-up: run once */
		ok = PQsendQueryParams(c->conn, q->sql, q->nparams, NULL,
		    (const char *const *)q->values, NULL, NULL, 0);
	else if ((i = prepared_find(c, q->sql)) >= 0)
		ok = send_prepared(c, i);
	else if (c->nprepared < DB_MAX_PREPARED) {
		char name[32];

		i = c->nprepared++;
		c->prepared = xrealloc(c->prepared, (size_t)c->nprepared *
		    sizeof(*c->prepared));
		c->prepared[i] = xstrdup(q->sql);
		snprintf(name, sizeof(name), "fupin_%d", i);
		c->preparing = 1;
		ok = PQsendPrepare(c->conn, name, q->sql, q->nparams, NULL);
	} else
		ok = PQsendQueryParams(c->conn, q->sql, q->nparams, NULL,
		    (const char *const *)q->values, NULL, NULL, 0);
	if (!ok) {
		conn_lost(c, PQerrorMessage(c->conn));
		return;
	}
	flush_or_wait(c);
}

int
db_query(struct db *db, const char *sql, int nparams,
    const char *const *values, db_result_fn *fn, void *arg)
{
	return db_query_timeout(db, sql, nparams, values, 0, fn, arg);
}

int
db_query_timeout(struct db *db, const char *sql, int nparams,
    const char *const *values, int timeout, db_result_fn *fn, void *arg)
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
	q->timeout = timeout;
	queue_push(&db->queue, q);
	pool_dispatch(db);
	return 0;
}

static void
setup_done(const PGresult *res, const char *err, void *arg)
{
	if (res == NULL || (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK))
		log_warnx("database: connection set-up failed: %s",
		    res ? PQresultErrorMessage(res) : err);
}

static void
setup_push(struct db_conn *c, const char *sql, int simple, const char *param)
{
	struct db_query *q = xcalloc(1, sizeof(*q));

	q->sql = xstrdup(sql);
	q->simple = simple;
	q->values = xcalloc(1, sizeof(char *));
	if (param != NULL) {
		q->nparams = 1;
		q->values[0] = xstrdup(param);
	}
	q->fn = setup_done;
	queue_push(&c->setup, q);
}

static void
conn_read_only(struct db_conn *c, const char *why)
{
	struct db *db = c->db;

	if (!db->read_only)
		log_warnx("database: %s:%s is read-only (a standby, or "
			  "default_transaction_read_only); nothing can be "
			  "recorded; connecting again until it is writable",
		    PQhost(c->conn), PQport(c->conn));
	db->read_only = 1;
	conn_lost(c, why);
}

/*
 * The first set-up statement also asks whether the session can write: a
 * read-only one is closed and tried again later, as if unreachable, since
 * fupind can record nothing there. Only then is the connection up.
 */
static void
setup_checked(const PGresult *res, const char *err, void *arg)
{
	struct db_conn *c = arg;
	struct db *db = c->db;

	if (res == NULL)
		return; /* lost: already handled */
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		char *why = xasprintf("connection set-up failed: %s",
		    PQresultErrorMessage(res));

		conn_lost(c, why);
		free(why);
		return;
	}
	if (strcmp(PQgetvalue(res, 0, 3), "t") == 0) {
		conn_read_only(c, "the database is read-only");
		return;
	}
	if (db->read_only)
		log_notice("database: writable again");
	db->read_only = 0;
	c->setting_up = 0;
	c->state = DB_UP;
	pool_update(db);
	pool_dispatch(db);
}

static void
conn_connected(struct db_conn *c)
{
	struct db *db = c->db;
	char timeout[32];

	conn_close_events(c);
	c->sock = PQsocket(c->conn);
	PQsetnonblocking(c->conn, 1);
	c->ev_read = event_new(db->base, c->sock, EV_READ | EV_PERSIST,
	    read_cb, c);
	c->ev_write = event_new(db->base, c->sock, EV_WRITE, write_cb, c);
	event_add(c->ev_read, NULL);
	c->backoff = 0;
	if (c->index == 0)
		log_info("database: connected to %s:%s as %s%s",
		    PQhost(c->conn), PQport(c->conn), PQuser(c->conn),
		    db->size > 1 ? " (first of the pool)" : "");
	else
		log_debug("database: pool connection %d connected", c->index);
	if (c->ever_up)
		db->reconnects++;
	c->ever_up = 1;

	/* Bound every statement we will send; JIT compilation costs more
	 * than it saves on our short statements (seen: 150 ms of a 300 ms
	 * sweep).  LISTEN again after every reconnection (subscriptions die
	 * with the session), on one connection of the pool. */
	snprintf(timeout, sizeof(timeout), "%ds", db->statement_timeout);
	setup_push(c, "SELECT set_config('statement_timeout', $1, false), "
		      "set_config('TimeZone', 'Asia/Shanghai', false), "
		      "set_config('jit', 'off', false), "
		      "pg_is_in_recovery() OR "
		      "current_setting('transaction_read_only')::boolean", 0,
	    timeout);
	c->setup.tail->fn = setup_checked;
	c->setup.tail->arg = c;
	if (c->index == 0)
		setup_push(c, "LISTEN fupin_alert; LISTEN fupin_change", 1,
		    NULL);

	c->setting_up = 1;
	conn_dispatch(c);
}

static void poll_cb(evutil_socket_t, short, void *);

static void
poll_wait(struct db_conn *c, short what)
{
	if (c->ev_poll)
		event_free(c->ev_poll);
	/* The socket may change between polls (multi-host, SSL retry). */
	c->sock = PQsocket(c->conn);
	c->ev_poll = event_new(c->db->base, c->sock, what, poll_cb, c);
	event_add(c->ev_poll, NULL);
}

static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db_conn *c = arg;

	switch (PQconnectPoll(c->conn)) {
	case PGRES_POLLING_READING:
		poll_wait(c, EV_READ);
		break;
	case PGRES_POLLING_WRITING:
		poll_wait(c, EV_WRITE);
		break;
	case PGRES_POLLING_OK:
		conn_connected(c);
		break;
	default:
		conn_lost(c, PQerrorMessage(c->conn));
		break;
	}
}

static void
conn_connect(struct db_conn *c)
{
	if (c->conn)
		return;
	c->state = DB_CONNECTING;
	pool_update(c->db);
	c->conn = PQconnectStart(c->db->conninfo);
	if (c->conn == NULL) {
		conn_lost(c, "out of memory");
		return;
	}
	if (PQstatus(c->conn) == CONNECTION_BAD) {
		conn_lost(c, PQerrorMessage(c->conn));
		return;
	}
	/* Before the first poll libpq wants the socket writable. */
	poll_wait(c, EV_WRITE);
}

void
db_start(struct db *db)
{
	db->started = 1;
	for (int i = 0; i < db->size; i++)
		conn_connect(&db->conns[i]);
}

void
db_retry_now(struct db *db)
{
	for (int i = 0; i < db->size; i++) {
		struct db_conn *c = &db->conns[i];

		if (c->conn == NULL && c->ev_retry != NULL &&
		    evtimer_pending(c->ev_retry, NULL)) {
			event_del(c->ev_retry);
			c->backoff = 0;
			conn_connect(c);
		}
	}
}

void
db_set_conninfo(struct db *db, const char *conninfo)
{
	if (strcmp(conninfo, db->conninfo) == 0)
		return;
	free(db->conninfo);
	db->conninfo = xstrdup(conninfo);
	log_info("database: connection string changed, reconnecting");
	db->reconnecting = 1;
	for (int i = 0; i < db->size; i++) {
		struct db_conn *c = &db->conns[i];

		if (c->conn != NULL)
			conn_lost(c, "connection string changed");
		if (c->ev_retry)
			event_del(c->ev_retry);
		c->backoff = 0;
		conn_connect(c);
	}
	db->reconnecting = 0;
}
