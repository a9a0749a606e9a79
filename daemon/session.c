/* Web sessions (see session.h): a list, most recently used first. */
#include <sys/random.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "log.h"
#include "session.h"
#include "util.h"

static struct session *sessions;
static size_t nsessions;

static time_t
monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

int
session_random_hex(char *out, size_t n)
{
	unsigned char raw[64];
	size_t got = 0;

	if (n > sizeof(raw))
		return -1;
	while (got < n) {
		ssize_t r = getrandom(raw + got, n - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			log_warn("session: getrandom");
			return -1;
		}
		got += (size_t)r;
	}
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = "0123456789abcdef"[raw[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[raw[i] & 15];
	}
	out[2 * n] = '\0';
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

static void
unlink_session(struct session *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

static void
push_front(struct session *s)
{
	s->prev = NULL;
	s->next = sessions;
	if (sessions)
		sessions->prev = s;
	sessions = s;
}

void
session_end(struct session *s)
{
	if (s == NULL)
		return;
	unlink_session(s);
	nsessions--;
	explicit_bzero(s->id, sizeof(s->id));
	explicit_bzero(s->csrf, sizeof(s->csrf));
	free(s->village);
	free(s->principal);
	free(s->flash);
	free(s);
}

void
session_end_all(void)
{
	while (sessions != NULL)
		session_end(sessions);
}

static int
expired(const struct session *s, time_t now)
{
	return now - s->used > SESSION_IDLE || now - s->created >
	    SESSION_MAX_AGE;
}

struct session *
session_new(enum role role, const char *village, const char *principal)
{
	struct session *s = xcalloc(1, sizeof(*s));

	if (session_random_hex(s->id, SESSION_ID_LEN / 2) < 0 ||
	    session_random_hex(s->csrf, SESSION_ID_LEN / 2) < 0) {
		free(s);
		return NULL;
	}
	s->role = role;
	s->village = village ? xstrdup(village) : NULL;
	s->principal = xstrdup(principal);
	s->created = s->used = monotonic_now();
	/* Full: the least recently used one goes (it is at the tail). */
	if (nsessions >= SESSION_MAX) {
		struct session *last = sessions;

		while (last->next != NULL)
			last = last->next;
		session_end(last);
	}
	push_front(s);
	nsessions++;
	return s;
}

struct session *
session_find(const char *id)
{
	time_t now = monotonic_now();
	struct session *s, *next, *hit = NULL;

	if (strlen(id) != SESSION_ID_LEN)
		return NULL;
	for (s = sessions; s != NULL; s = next) {
		next = s->next;
		if (expired(s, now) && !s->busy) {
			session_end(s);
			continue;
		}
		/* Compare every id in full: no early exit on the secret. */
		if (auth_equal(s->id, id) && hit == NULL)
			hit = s;
	}
	if (hit == NULL || expired(hit, now))
		return NULL;
	hit->used = now;
	unlink_session(hit);
	push_front(hit);
	return hit;
}

void
session_flash(struct session *s, const char *text)
{
	free(s->flash);
	s->flash = text ? xstrdup(text) : NULL;
}
