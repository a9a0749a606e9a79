/*
 * Workflow definitions: the campaign's figures (campaign.conf) and one state
 * machine per procedure (*.wf), loaded from <dir>/<campaign>/ and validated
 * as a whole. Pure: it reads files with libconfig and nothing else; guards
 * are only named and described here, because they are evaluated in SQL
 * against the database's current truth. The file syntax is documented at
 * the top of workflows/2019/exit.wf and campaign.conf.
 *
 * Everything a wf_set holds is owned by it and lives until wf_free; callers
 * get const pointers and must not keep them across a reload.
 */
#ifndef FUPIN_WORKFLOW_H
#define FUPIN_WORKFLOW_H

#include <stddef.h>
#include <stdio.h>

#include "role.h"

struct errlist;
struct wf_set;

enum wf_scope {
	WF_SCOPE_HOUSEHOLD,
	WF_SCOPE_VILLAGE
};

/* A code the register holds, with a title for people and the other forms
 * the national system's export writes for it (因病, 因病返贫, ...). */
struct wf_label {
	const char *name;
	const char *title;
	const char *const *aliases;
	size_t naliases;
};

/* Two procedures a household may not be in at once (conflicts in
 * campaign.conf). An instance of either stops counting once it is in one
 * of the except states (withdrawn, dropped). */
struct wf_conflict {
	const char *a;
	const char *b;
	const char *const *except;
	size_t nexcept;
	int line;
};

/* What an event does to the household's register entry when it succeeds:
 * the first effect whose `when` holds the household's category applies
 * (empty when: any). category NULL keeps it; year names the column that
 * gets the campaign year (identified_year, lifted_year, relapse_year). */
struct wf_effect {
	const char *const *when;
	size_t nwhen;
	const char *category;
	const char *year;
	int clears_problem; /* closes the problem the instance carries */
};

struct wf_campaign {
	const char *id;
	int year;
	const char *title;
	double exit_threshold;     /* yuan per person: exit needs >= */
	double marginal_threshold; /* yuan per person: marginal is < */
	const char *income_from;   /* "YYYY-MM-DD", inclusive */
	const char *income_to;
	int notice_min_days;
	const char *data_entry_lock; /* calendar id */
	const struct wf_label *relapse_reasons;
	size_t nrelapse_reasons;
	const struct wf_label *marginal_risks;
	size_t nmarginal_risks;
	const struct wf_label *monitoring_risks;
	size_t nmonitoring_risks;
	/* Code lists of the national system (optional): 致贫/返贫原因,
	 * 与户主关系, 成员变更原因. */
	const struct wf_label *reasons;
	size_t nreasons;
	const struct wf_label *relations;
	size_t nrelations;
	const struct wf_label *change_reasons;
	size_t nchange_reasons;
	const struct wf_conflict *conflicts;
	size_t nconflicts;
};

struct wf_state {
	const char *name;
	const char *title;    /* the name if the file gives none */
	const char *leave_by; /* calendar id or NULL */
	int min_days;         /* -1 if none */
	int min_days_notice;  /* 1 if min_days follows notice_min_days */
	int final;
	int line;
};

struct wf_event {
	const char *name;
	const char *title;
	const char *const *from; /* nfrom == 0: creates the instance */
	size_t nfrom;
	const char *to;
	unsigned roles;          /* ROLE_BIT()s of role.h */
	enum role first_role;    /* the first listed: who is expected to send it */
	const char *const *guards;
	size_t nguards;
	int note;                /* a note is required */
	int data_entry;          /* refused after the data-entry lock */
	const char *not_before;  /* calendar id or NULL */
	const struct wf_effect *effects;
	size_t neffects;
	int line;
};

struct wf {
	const char *name;
	const char *title;
	const char *file;
	enum wf_scope scope;
	const char *const *applies_to; /* categories; napplies_to == 0: any */
	size_t napplies_to;
	const char *initial;
	int data_entry;
	const struct wf_state *states;
	size_t nstates;
	const struct wf_event *events;
	size_t nevents;
};

/*
 * Load <dir>/<campaign>/campaign.conf and every <dir>/<campaign>/NAME.wf.
 * deadline_exists(id, arg) answers whether a calendar id exists (calendar.h's
 * cal_exists has this shape); NULL skips that check. Returns NULL if
 * anything is wrong, with every problem appended to errs as
 * "file:line: key: message". The caller owns the result.
 */
struct wf_set *wf_load(const char *dir, const char *campaign,
    int (*deadline_exists)(const char *id, void *arg), void *arg,
    struct errlist *errs);
void wf_free(struct wf_set *);

const struct wf_campaign *wf_campaign(const struct wf_set *);
/* Configuration may override the campaign's notice length after loading. */
void wf_set_notice_min_days(struct wf_set *, int days);

/* Workflows sorted by name; NULL past the end. */
size_t wf_count(const struct wf_set *);
const struct wf *wf_at(const struct wf_set *, size_t);
const struct wf *wf_find(const struct wf_set *, const char *name);

const struct wf_state *wf_state_find(const struct wf *, const char *name);
/* The entry of event `name` that may be sent in state `from`; from NULL or
 * "" finds the creating entry. NULL if there is none. */
const struct wf_event *wf_event_find(const struct wf *, const char *name,
    const char *from);
/* 1 if some entry of the workflow is called `name`. */
int wf_event_exists(const struct wf *, const char *name);
/* The name of the event whose title is `title`, or its Chinese or English
 * half ("村级公示" for "村级公示 / publish the village notice"); NULL if
 * none. */
const char *wf_event_by_title(const struct wf *, const char *title);

/*
 * What a state owes, derived from the workflow's graph (see wf_state_duty
 * in workflow.c): the calendar ids it must be past by (its own leave_by and
 * that of every state ahead of it on the main path), the party that must
 * act to leave it, and whether the data-entry lock stops that work.
 */
#define WF_MAX_OWES 16
struct wf_duty {
	const char *owes[WF_MAX_OWES]; /* calendar ids, borrowed from the wf */
	size_t nowes;
	const char *party;  /* "village", "township" or "city" */
	int stops_at_lock;  /* the work expected in it is data entry */
};
void wf_state_duty(const struct wf *, const struct wf_state *,
    struct wf_duty *);

/* Role names: village, township, city, admin. Admin may send any event. */
int wf_role_allowed(const struct wf_event *, const char *role);
int wf_role_valid(const char *role);
/* 1 if the label list holds name (relapse reasons, risks). */
int wf_label_has(const struct wf_label *, size_t, const char *name);

/* One line for people, and the campaign keys a guard reads (space
 * separated, "" for none); NULL for an unknown guard. */
const char *wf_guard_describe(const char *name);
const char *wf_guard_params(const char *name);
/* Every guard the loader accepts; NULL past the end. */
const char *wf_guard_name(size_t);

/* Graphviz dot text: states as nodes (final ones doubled; the leave_by
 * deadline and min_days in the label), events as edges labelled with the
 * event, its roles (admin left implicit), guards, not_before, whether a
 * note is required and whether it is data entry. */
void wf_dot(const struct wf *, FILE *);

#endif
