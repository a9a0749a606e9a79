/*
 * Delivery of the outbox: each alert is claimed (a lease, so two daemons
 * never deliver one at once), logged to syslog, given to notify.command
 * with its JSON on stdin, and marked delivered when the command exits 0.
 * Failures and hangs (killed at notify.timeout) are retried with capped,
 * jittered backoff; deliveries wait for working hours when configured.
 */
#ifndef FUPIN_NOTIFY_H
#define FUPIN_NOTIFY_H

void notify_init(void);
void notify_free(void);
/* Look for alerts to deliver (after a sweep, a NOTIFY, a reconnection). */
void notify_kick(void);
void notify_db_down(void);
int notify_idle(void);

#endif
