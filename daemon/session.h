/*
 * Web sessions, kept in the daemon's memory: an id and a CSRF token of
 * 256 random bits each (getrandom), the principal a token proved, and
 * expiry after SESSION_IDLE seconds unused or SESSION_MAX_AGE in all. A
 * restart logs everyone out, which is the safe way round. At most
 * SESSION_MAX sessions: a new one evicts the least recently used.
 */
#ifndef FUPIN_SESSION_H
#define FUPIN_SESSION_H

#include <time.h>

#include "role.h"

#define SESSION_IDLE (2 * 3600)
#define SESSION_MAX_AGE (12 * 3600)
#define SESSION_MAX 1024
#define SESSION_ID_LEN 64 /* hex digits */

struct session {
	char id[SESSION_ID_LEN + 1];
	char csrf[SESSION_ID_LEN + 1];
	enum role role;
	char *village;	 /* ROLE_VILLAGE: its village */
	char *principal; /* for the audit trail */
	char *flash;	 /* shown once by the next page, or NULL */
	time_t created, used; /* CLOCK_MONOTONIC seconds */
	int busy;	 /* a request of it is in progress */
	struct session *next, *prev;
};

/* A new session (strings copied); NULL when no random bytes. */
struct session *session_new(enum role, const char *village,
    const char *principal);
/* The live session with that id (and it counts as used), or NULL. */
struct session *session_find(const char *id);
void session_end(struct session *);
void session_end_all(void);
/* Replace the session's flash message (copied; NULL clears). */
void session_flash(struct session *, const char *text);

/* 2 * n hex digits of fresh random bytes into out (2n + 1 bytes); 0 or
 * -1. */
int session_random_hex(char *out, size_t n);

#endif
