/*
 * Accepting without spinning: every listener (status socket, TCP, HTTP)
 * is guarded so that when accept fails for want of descriptors or memory
 * (EMFILE, ENFILE, ENOBUFS, ENOMEM) it stops accepting for a moment,
 * as PgBouncer and nginx do, instead of being woken again at once by the
 * connection still waiting in the queue; the failure is logged once per
 * LISTENER_LOG_INTERVAL. A listener may also be held (a connection cap):
 * it accepts again only when neither holds it.
 */
#ifndef FUPIN_LISTENER_H
#define FUPIN_LISTENER_H

struct evconnlistener;

#define LISTENER_PAUSE_MS 500
#define LISTENER_LOG_INTERVAL 10

/* Set l's error callback; name is for the log ("control", "http"). */
void listener_guard(struct evconnlistener *l, const char *name);
/* Before freeing l. */
void listener_unguard(struct evconnlistener *l);
/* Hold (on) or release (off) l for a reason other than errors. */
void listener_hold(struct evconnlistener *l, int on);

#endif
