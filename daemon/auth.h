/*
 * AUTH on the TCP listener: a token is checked against the crypt(3)
 * hashes of the access list in a worker thread (yescrypt costs ~0.1 s a
 * hash, which the event loop must not pay), and a wrong token is answered
 * only after a delay that grows with the client's failures and with the
 * failures of everyone lately. After AUTH_MAX_FAILURES the client is cut
 * off.
 */
#ifndef FUPIN_AUTH_H
#define FUPIN_AUTH_H

#include "control.h"

#define AUTH_MAX_FAILURES 5

/* Check token for c (busy) and answer it, now or later. */
void auth_request(struct client *c, const char *token);
/* The delay before a failure is answered, in milliseconds: the client's
 * nth failure (1-based) while the recent failures of all clients weigh
 * global. Pure, for the unit test. */
long auth_penalty_ms(int nth, double global);
/* Compare two NUL-terminated strings in time that depends only on their
 * lengths. */
int auth_equal(const char *a, const char *b);
/* Stop the worker; pending checks are dropped without answering. */
void auth_shutdown(void);

#endif
