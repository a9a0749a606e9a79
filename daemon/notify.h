/*
 * Delivery of the outbox: alerts are claimed in groups (notify.batch per
 * statement, each with a lease, so two daemons never deliver one at once),
 * logged to syslog, given to notify.command with their JSON on stdin
 * (notify.concurrency commands at once), and marked delivered when the
 * command exits 0, the results of a group in one statement.
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
/* The daemon stops: start nothing more, release what waits. */
void notify_stop(void);
int notify_idle(void);

#endif
