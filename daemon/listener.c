/* Accept back-off for every listener (see listener.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "fupind.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"

#define GUARDS_MAX 8

struct guard {
	struct evconnlistener *l;
	char name[16];
	struct event *resume;
	int paused;	/* by an accept error, until resume fires */
	int held;	/* by listener_hold */
	time_t logged;	/* last warning, monotonic seconds */
	unsigned long failures; /* since that warning */
};

static struct guard guards[GUARDS_MAX];

static struct guard *
find(const struct evconnlistener *l)
{
	for (size_t i = 0; i < GUARDS_MAX; i++)
		if (guards[i].l == l && l != NULL)
			return &guards[i];
	return NULL;
}

static void
update(struct guard *g)
{
	if (g->paused || g->held)
		evconnlistener_disable(g->l);
	else
		evconnlistener_enable(g->l);
}

static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct guard *g = arg;

	g->paused = 0;
	update(g);
}

static time_t
monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
error_cb(struct evconnlistener *l, void *arg)
{
	int err = EVUTIL_SOCKET_ERROR();
	struct guard *g = find(l);
	struct timeval tv = { 0, LISTENER_PAUSE_MS * 1000 };
	time_t now = monotonic_seconds();

	if (g == NULL)
		return;
	if (err != EMFILE && err != ENFILE && err != ENOBUFS &&
	    err != ENOMEM) {
		/* A connection reset before we took it, and the like: the
		 * next accept is unaffected. Folded by the log if repeated. */
		errno = err;
		log_warn("%s: accept", g->name);
		return;
	}
	metrics_count("accept_paused", g->name, 1);
	g->failures++;
	if (g->logged == 0 || now - g->logged >= LISTENER_LOG_INTERVAL) {
		log_warnx("%s: accept: %s (%lu time%s); not accepting for "
			  "%d ms at a time (raise LimitNOFILE?)",
		    g->name, strerror(err), g->failures,
		    g->failures == 1 ? "" : "s", LISTENER_PAUSE_MS);
		g->logged = now;
		g->failures = 0;
	}
	g->paused = 1;
	update(g);
	evtimer_add(g->resume, &tv);
}

void
listener_guard(struct evconnlistener *l, const char *name)
{
	struct guard *g = find(NULL);

	for (size_t i = 0; g == NULL && i < GUARDS_MAX; i++)
		if (guards[i].l == NULL)
			g = &guards[i];
	if (g == NULL) {
		log_warnx("%s: too many listeners to guard", name);
		return;
	}
	memset(g, 0, sizeof(*g));
	g->l = l;
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->resume = evtimer_new(fupind->base, resume_cb, g);
	evconnlistener_set_error_cb(l, error_cb);
}

void
listener_unguard(struct evconnlistener *l)
{
	struct guard *g = find(l);

	if (g == NULL)
		return;
	if (g->resume)
		event_free(g->resume);
	memset(g, 0, sizeof(*g));
}

void
listener_hold(struct evconnlistener *l, int on)
{
	struct guard *g = find(l);

	if (g == NULL)
		return;
	g->held = on;
	update(g);
}
