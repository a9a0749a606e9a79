/*
 * AUTH tokens (see auth.h). One worker thread hashes; the loop hands it a
 * job (the token and a snapshot of the hashed entries, so that a reload
 * meanwhile changes nothing under it) and learns of the result through an
 * eventfd. One worker also means at most one hash at a time, whatever the
 * number of clients guessing: brute force is slowed globally by
 * construction, and further by the penalty delays.
 */
#include <sys/eventfd.h>

#include <crypt.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "auth.h"
#include "log.h"
#include "metrics.h"

#define PENALTY_BASE_MS 200
#define PENALTY_CLIENT_MAX_MS 4000
#define PENALTY_GLOBAL_STEP_MS 100
#define PENALTY_GLOBAL_MAX_MS 5000
#define GLOBAL_HALF_LIFE 60.0 /* seconds */

struct auth_entry {
	char *hash, *role, *village, *name;
};

struct auth_job {
	struct client *client;
	char *token;
	struct auth_entry *entries;
	size_t nentries;
	int match;		/* index into entries, or -1 */
	struct event *timer;	/* answers a failure after its penalty */
	struct auth_job *next, *prev;
};

static struct {
	int started;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;
	struct auth_job *todo, *done; /* under lock */
	struct auth_job *delayed;     /* loop only */
	int efd;
	struct event *ev;
	double global;		     /* failures, decayed */
	struct timespec global_at;
} A = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER,
	.efd = -1 };

int
auth_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	/* Hash lengths are public; their contents are not. */
	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

long
auth_penalty_ms(int nth, double global)
{
	long client = PENALTY_BASE_MS, g;

	for (int i = 1; i < nth && client < PENALTY_CLIENT_MAX_MS; i++)
		client *= 2;
	if (client > PENALTY_CLIENT_MAX_MS)
		client = PENALTY_CLIENT_MAX_MS;
	g = global > 0 ? (long)(global * PENALTY_GLOBAL_STEP_MS) : 0;
	if (g > PENALTY_GLOBAL_MAX_MS)
		g = PENALTY_GLOBAL_MAX_MS;
	return client + g;
}

static void
job_free(struct auth_job *j)
{
	if (j == NULL)
		return;
	for (size_t i = 0; i < j->nentries; i++) {
		free(j->entries[i].hash);
		free(j->entries[i].role);
		free(j->entries[i].village);
		free(j->entries[i].name);
	}
	free(j->entries);
	if (j->token != NULL) {
		explicit_bzero(j->token, strlen(j->token));
		free(j->token);
	}
	if (j->timer != NULL)
		event_free(j->timer);
	free(j);
}

static void *
worker(void *arg)
{
	struct crypt_data *cd = xcalloc(1, sizeof(*cd));

	pthread_mutex_lock(&A.lock);
	for (;;) {
		struct auth_job *j;
		uint64_t one = 1;
		ssize_t n;

		while (!A.stop && A.todo == NULL)
			pthread_cond_wait(&A.wake, &A.lock);
		if (A.stop)
			break;
		j = A.todo;
		A.todo = j->next;
		pthread_mutex_unlock(&A.lock);

		j->match = -1;
		for (size_t i = 0; i < j->nentries && j->match < 0; i++) {
			const char *h = crypt_rn(j->token, j->entries[i].hash,
			    cd, (int)sizeof(*cd));

			if (h != NULL && auth_equal(h, j->entries[i].hash))
				j->match = (int)i;
		}
		explicit_bzero(cd, sizeof(*cd));

		pthread_mutex_lock(&A.lock);
		j->next = A.done;
		A.done = j;
		n = write(A.efd, &one, sizeof(one));
		(void)n; /* a full counter still wakes the loop */
	}
	pthread_mutex_unlock(&A.lock);
	free(cd);
	return NULL;
}

static double
elapsed(const struct timespec *from, const struct timespec *to)
{
	return (double)(to->tv_sec - from->tv_sec) +
	    (double)(to->tv_nsec - from->tv_nsec) / 1e9;
}

/* One more failure for everyone; the weight halves every minute. */
static double
global_failure(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (A.global > 0)
		A.global *= exp2(-elapsed(&A.global_at, &now) /
		    GLOBAL_HALF_LIFE);
	A.global_at = now;
	A.global += 1;
	return A.global;
}

static void
delayed_unlink(struct auth_job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		A.delayed = j->next;
	if (j->next)
		j->next->prev = j->prev;
}

static void
answer_failure_cb(evutil_socket_t fd, short what, void *arg)
{
	struct auth_job *j = arg;
	struct client *c = j->client;

	delayed_unlink(j);
	job_free(j);
	if (c->auth_failures >= AUTH_MAX_FAILURES) {
		log_notice("control: client %llu (%s): %d bad tokens; "
			   "disconnecting",
		    (unsigned long long)c->id, c->principal, c->auth_failures);
		metrics_count("auth", "cut_off", 1);
		c->quitting = 1;
		client_error(c, "forbidden",
		    "bad token; too many attempts, disconnecting");
		return;
	}
	client_error(c, "forbidden", "bad token");
}

static void
job_finished(struct auth_job *j)
{
	struct client *c = j->client;

	if (c->dead) {
		/* Gone while we hashed: client_reply frees it. */
		job_free(j);
		client_reply(c, json_object());
		return;
	}
	if (j->match >= 0) {
		const struct auth_entry *e = &j->entries[j->match];

		free(c->village);
		free(c->principal);
		c->role = role_from_name(e->role);
		c->village = e->village ? xstrdup(e->village) : NULL;
		c->principal = xasprintf("%s(token from %s)", e->name, c->peer);
		free(c->principal_key);
		c->principal_key = xasprintf("token %s", e->name);
		c->auth_failures = 0;
		metrics_count("auth", "ok", 1);
		log_info("control: client %llu authenticated as %s, role %s",
		    (unsigned long long)c->id, c->principal, e->role);
		job_free(j);
		if (control_role_changed(c) < 0) {
			log_info("control: client %llu (%s): too many "
				 "connections of this principal; disconnecting",
			    (unsigned long long)c->id, c->principal);
			c->quitting = 1;
			client_error(c, "busy", "too many connections of "
			    "yours; try again shortly");
			return;
		}
		client_reply(c, json_pack("{s:b, s:s, s:o, s:s}", "ok", 1,
				    "role", role_name(c->role), "village",
				    c->village ? json_string(c->village) :
						 json_null(),
				    "principal", c->principal));
		return;
	}
	{
		double g = global_failure();
		long ms = auth_penalty_ms(++c->auth_failures, g);

		/* A failed AUTH leaves the connection with no role, whatever
		 * it had: a shared terminal must not keep the last token's. */
		if (c->role != ROLE_NONE) {
			free(c->village);
			free(c->principal);
			c->village = NULL;
			c->role = ROLE_NONE;
			c->principal = xasprintf("tcp %s", c->peer);
			control_role_changed(c);
		}
		struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

		metrics_count("auth", "failed", 1);
		log_notice("control: client %llu (%s): bad token (%d); "
			   "answering in %ld ms",
		    (unsigned long long)c->id, c->principal, c->auth_failures,
		    ms);
		j->timer = evtimer_new(fupind->base, answer_failure_cb, j);
		if (j->timer == NULL) {
			job_free(j);
			client_error(c, "forbidden", "bad token");
			return;
		}
		j->prev = NULL;
		j->next = A.delayed;
		if (A.delayed)
			A.delayed->prev = j;
		A.delayed = j;
		evtimer_add(j->timer, &tv);
	}
}

static void
efd_cb(evutil_socket_t fd, short what, void *arg)
{
	uint64_t n;
	struct auth_job *done, *next;
	ssize_t r = read(A.efd, &n, sizeof(n));

	(void)r;
	pthread_mutex_lock(&A.lock);
	done = A.done;
	A.done = NULL;
	pthread_mutex_unlock(&A.lock);
	for (; done != NULL; done = next) {
		next = done->next;
		done->next = NULL;
		job_finished(done);
	}
}

static int
auth_start(void)
{
	if (A.started)
		return 0;
	A.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (A.efd < 0) {
		log_warn("auth: eventfd");
		return -1;
	}
	A.ev = event_new(fupind->base, A.efd, EV_READ | EV_PERSIST, efd_cb, NULL);
	if (A.ev == NULL || event_add(A.ev, NULL) < 0)
		goto fail;
	A.stop = 0;
	if (pthread_create(&A.thread, NULL, worker, NULL) != 0)
		goto fail;
	A.started = 1;
	return 0;
fail:
	log_warnx("auth: cannot start the token checker");
	if (A.ev)
		event_free(A.ev);
	A.ev = NULL;
	close(A.efd);
	A.efd = -1;
	return -1;
}

void
auth_request(struct client *c, const char *token)
{
	const struct config *cfg = fupind->cfg;
	struct auth_job *j;

	if (auth_start() < 0) {
		client_error(c, "internal", "cannot check tokens now");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->client = c;
	j->token = xstrdup(token);
	j->entries = xcalloc(cfg->naccess + 1, sizeof(*j->entries));
	for (size_t i = 0; i < cfg->naccess; i++) {
		const struct access_entry *a = &cfg->access[i];
		struct auth_entry *e;

		if (a->token_hash == NULL)
			continue;
		e = &j->entries[j->nentries++];
		e->hash = xstrdup(a->token_hash);
		e->role = xstrdup(a->role);
		e->village = a->village ? xstrdup(a->village) : NULL;
		e->name = xstrdup(a->name);
	}
	pthread_mutex_lock(&A.lock);
	{
		struct auth_job **tail = &A.todo;

		while (*tail != NULL)
			tail = &(*tail)->next;
		*tail = j;
	}
	pthread_cond_signal(&A.wake);
	pthread_mutex_unlock(&A.lock);
}

void
auth_shutdown(void)
{
	struct auth_job *j, *next;

	if (!A.started)
		return;
	pthread_mutex_lock(&A.lock);
	A.stop = 1;
	pthread_cond_signal(&A.wake);
	pthread_mutex_unlock(&A.lock);
	pthread_join(A.thread, NULL);
	for (j = A.todo; j; j = next) {
		next = j->next;
		job_free(j);
	}
	for (j = A.done; j; j = next) {
		next = j->next;
		job_free(j);
	}
	for (j = A.delayed; j; j = next) {
		next = j->next;
		job_free(j);
	}
	A.todo = A.done = A.delayed = NULL;
	event_free(A.ev);
	A.ev = NULL;
	close(A.efd);
	A.efd = -1;
	A.started = 0;
}
