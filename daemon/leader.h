/*
 * Leadership of the background work among several fupind on one database.
 *
 * Every daemon answers requests; only the leader of a campaign sweeps
 * deadlines and delivers alerts.  The leader holds a PostgreSQL session
 * advisory lock, keyed on the campaign, on its background connection: the
 * lock goes when the leader dies or loses that connection, and a standby,
 * which asks for it every LEADER_RETRY seconds, takes over.
 */
#ifndef FUPIN_LEADER_H
#define FUPIN_LEADER_H

/* Seconds between a standby's attempts to take the lead. */
#define LEADER_RETRY	2

/* became_leader: called (from the loop) when this daemon takes the lead. */
void leader_init(void (*became_leader)(void));
void leader_free(void);
/* The background connection came up: ask for the lock. */
void leader_db_up(void);
/* It went down: the lock went with its session. */
void leader_db_down(void);
/* The campaign may have changed on reload: give up a lock on the old one. */
void leader_reconfigure(void);
/* 1 when this daemon holds the lock. */
int leader_is(void);
/* 1 when another daemon is known to hold it. */
int leader_standby(void);
/* "leader", "standby" or "unknown" (no background connection). */
const char *leader_state_name(void);

#endif
