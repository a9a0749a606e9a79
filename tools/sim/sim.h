/*
 * fupin-sim: village work teams and the township office in simulated time.
 *
 * sim.c owns the run (the register read from the generator's CSV files, the
 * day loop on the daemon's manual clock, what is printed); plan.c owns the
 * behaviour (who does what when, and how they react to an answer or an
 * alert); client.c owns the socket. Everything that varies is drawn from a
 * hash of the seed and the household, never from the order of events, so
 * that the same seed gives the same campaign.
 */
#ifndef FUPIN_SIM_H
#define FUPIN_SIM_H

#include <stdint.h>

#include <jansson.h>

/* How a village team keeps to the calendar. */
enum pace {
	PACE_ON_TIME,	/* keeps every deadline, answers reminders */
	PACE_SLOW,	/* a few days behind; speeds up when overdue */
	PACE_VERY_LATE, /* far behind; moves only once escalated */
};

struct village {
	char *id;
	char *name;
	enum pace pace;
	int delay;	    /* days behind the calendar on its own steps */
	int objections;	    /* percent of village notices objected to */
	int extension;	    /* the township grants it an extension */
	int extended;
};

struct household {
	char *id;
	int village;
	char category[12];
	int identified_year; /* 0: none */
	double income;	     /* < 0: not surveyed */
	int guarantees_ok;
	char *risk;	     /* NULL: none */
	char *relapse_reason;
};

enum workflow {
	W_EXIT,
	W_INCLUSION,
	W_MARGINAL,
	W_MONITORING,
	W_MEMBER,
	W_RECTIFY,
	W_TEAM,
	W_SUMMARY,
	W_COUNT
};

/* Flags of a case: what is going to happen to it. */
#define K_OBJECT_VILLAGE 0x01	/* an objection during the village notice */
#define K_OBJECT_TOWNSHIP 0x02	/* an objection during the township notice */
#define K_REJECT 0x04		/* the township review sends it back */
#define K_DROP 0x08		/* dropped from a survey list */
#define K_DISMISS 0x10		/* the problem turns out not to be one */
#define K_REOPEN 0x20		/* the re-check fails once */
#define K_INCREASE 0x40		/* a member change: birth or marriage in */

/* One procedure the simulator drives: a household's exit, a member change,
 * a village task... */
struct kase {
	enum workflow wf;
	char target[112];	/* HOUSEHOLD, HOUSEHOLD/PERSON_ID or VILLAGE */
	int household;		/* index, or -1 for a village task */
	int village;
	int day;		/* day of the next attempt; DAY_NEVER: done */
	int earliest;		/* never before this day (minimum notice) */
	const char *event;	/* next event */
	const char *note;	/* its note, or NULL */
	int by_village;		/* the village team sends it (else township) */
	unsigned flags;
};

#define DAY_NEVER 1000000

struct sim {
	uint64_t seed;
	int64_t start;		/* day 0, 08:00 */
	int days;		/* the last day index */
	struct village *villages;
	size_t nvillages;
	struct household *households;
	size_t nhouseholds;
	struct kase *cases;
	size_t ncases, capcases;
	/* counters for the closing line */
	long requests, ok, refused_guard, refused_locked, refused_other;
	int quiet;
};

/* client.c */
int client_connect(const char *path);
void client_close(void);
/* One request (printf format, no newline); exits 2 if the daemon is gone.
 * The caller owns the answer. */
json_t *client_ask(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
int answer_ok(const json_t *);
const char *answer_str(const json_t *, const char *key);

/* plan.c */
/* Day index (0 = the start day) of a civil date of 2019/2020. */
int sim_day(const struct sim *, int y, int m, int d);
/* A number in [lo, hi] drawn from the seed, a key and a salt. */
int sim_draw(const struct sim *, const char *key, const char *salt, int lo,
    int hi);
void plan_villages(struct sim *);
void plan_cases(struct sim *);
void plan_member(struct sim *, int household, const char *person_id,
    int increase);
/* After an answer to case k's event on day today: what next. */
void plan_answered(struct sim *, struct kase *, const json_t *answer,
    int today);
/* A village team or the township reacts to a new alert; prints what it
 * does. Returns the number of cases brought forward. */
int plan_react(struct sim *, const json_t *alert, int today);
const char *workflow_name(enum workflow);
const char *workflow_title(enum workflow);

#endif
