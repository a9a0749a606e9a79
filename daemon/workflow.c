/*
 * Workflow loader: reads a campaign directory (campaign.conf and one *.wf
 * per procedure), checks every key, type, name and reference, then checks
 * each state machine as a graph (reachable, no way out of a final state, no
 * dead end). Everything it finds goes into one error list with file:line,
 * so that `fupind -t` shows all of it at once. Also owns the table of guard
 * names and the Graphviz output. No I/O beyond reading the files.
 */
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgfile.h"
#include "isotime.h"
#include "role.h"
#include "util.h"
#include "workflow.h"

struct wf_set {
	struct wf_campaign campaign;
	struct wf **wfs;
	size_t nwfs;
};

/*
 * Guards are evaluated in SQL by the engine; this table is the list of
 * names a file may use. params are the campaign keys the guard reads.
 */
static const struct {
	const char *name;
	const char *params;
	const char *description;
} guards[] = {
	{ "income_exit", "exit_threshold income_from income_to",
	  "per-capita net income over the income period is at least the exit "
	  "threshold" },
	{ "guarantees", "",
	  "food, clothing, compulsory education, basic medical care and safe "
	  "housing are all resolved (两不愁三保障)" },
	{ "not_new_this_year", "year",
	  "the household was neither newly identified nor relapsed in the "
	  "campaign year" },
	{ "below_standard", "exit_threshold income_from income_to",
	  "income is below the exit threshold or a guarantee is unresolved "
	  "(应纳尽纳)" },
	{ "relapse_reason", "relapse_reasons",
	  "a lifted household records a relapse reason from the campaign's "
	  "list; a new identification passes" },
	{ "notice_min_days", "notice_min_days",
	  "the state being left has lasted at least its min_days" },
	{ "income_below_marginal", "marginal_threshold income_from income_to",
	  "per-capita net income over the income period is below the "
	  "marginal threshold" },
	{ "risk_named", "marginal_risks",
	  "the household's risk is one of the campaign's marginal risks" },
	{ "not_registered", "",
	  "the household is not registered: ordinary or marginal, not poor, "
	  "lifted, relapsed or monitoring" },
	{ "is_lifted", "",
	  "the household is lifted (lifted or monitoring)" },
	{ "monitoring_risk_named", "monitoring_risks",
	  "the household's risk is one of the campaign's monitoring risks" },
	{ "household_registered", "",
	  "the household is registered: poor, lifted, relapsed or monitoring" },
	{ "person_id_valid", "",
	  "the member's identity number has 18 characters and a valid check "
	  "digit, and is registered once (an increase adds a new one, a "
	  "decrease names an existing one)" },
	{ "member_change_recorded", "",
	  "the change, its reason and a date not in the future are recorded" },
	{ "member_list_agrees", "",
	  "the member list agrees with the change: a person reported as "
	  "added is in the household, one reported as leaving is recorded "
	  "as gone from it" },
	{ "problem_cleared", "",
	  "the data-quality rule that found the problem, run again for this "
	  "household (and person), no longer finds it" },
};

static const char *const categories[] = { "poor", "lifted", "relapsed",
	"marginal", "monitoring", "ordinary" };

/* Allowed keys per group: anything else is a typo. */
static const char *const campaign_keys[] = { "id", "year", "title",
	"exit_threshold", "marginal_threshold", "income_from", "income_to",
	"notice_min_days", "data_entry_lock", "relapse_reasons",
	"marginal_risks", "monitoring_risks", "reasons", "relations",
	"change_reasons", "conflicts", NULL };
static const char *const label_keys[] = { "name", "title", "aliases", NULL };
static const char *const conflict_keys[] = { "procedures", "except", NULL };
static const char *const effect_keys[] = { "when", "category", "year",
	"clears_problem", NULL };
/* The register columns an effect may date with the campaign year. */
static const char *const year_columns[] = { "identified_year",
	"lifted_year", "relapse_year" };
static const char *const workflow_keys[] = { "name", "title", "scope",
	"applies_to", "initial", "data_entry", "states", "events", NULL };
static const char *const state_keys[] = { "name", "title", "leave_by",
	"min_days", "final", NULL };
static const char *const event_keys[] = { "name", "title", "from", "to",
	"roles", "guards", "note", "data_entry", "not_before", "effects",
	NULL };

/* What one file's loading needs to report errors and check calendar ids. */
struct ld {
	struct cfgfile *cf; /* the file being read; cf->errors: its errors */
	struct errlist *errs;
	const char *file;
	int (*deadline_exists)(const char *, void *);
	void *arg;
};

/* The shared reader reports (file:line, key) and counts every error. */
#define ld_error(ld, ...) cfgfile_error((ld)->cf, __VA_ARGS__)
#define ld_get(ld, ...) cfgfile_get((ld)->cf, __VA_ARGS__)

static int
name_valid(const char *s)
{
	size_t n = 0;

	if (*s < 'a' || *s > 'z')
		return 0;
	for (; *s != '\0'; s++, n++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '_'))
			return 0;
	}
	return n <= 63;
}

static int
in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i], s) == 0)
			return 1;
	}
	return 0;
}

static char *
ld_string(struct ld *ld, const config_setting_t *grp, const char *path,
    const char *key, int required)
{
	const config_setting_t *s = ld_get(ld, grp, path, key, CFG_STRING,
	    required);

	return s != NULL ? xstrdup(config_setting_get_string(s)) : NULL;
}

/* A boolean with a default when absent. */
static int
ld_bool(struct ld *ld, const config_setting_t *grp, const char *path,
    const char *key, int dflt)
{
	const config_setting_t *s = ld_get(ld, grp, path, key, CFG_BOOL, 0);

	return s != NULL ? config_setting_get_bool(s) : dflt;
}

/* A calendar id, checked with the caller's callback. */
static char *
ld_deadline(struct ld *ld, const config_setting_t *grp, const char *path,
    const char *key, int required)
{
	const config_setting_t *s = ld_get(ld, grp, path, key, CFG_STRING,
	    required);
	const char *id;

	if (s == NULL)
		return NULL;
	id = config_setting_get_string(s);
	if (ld->deadline_exists != NULL && !ld->deadline_exists(id, ld->arg)) {
		ld_error(ld, s, path, key, "no calendar item '%s'", id);
		return NULL;
	}
	return xstrdup(id);
}

static void
free_strings(const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((void *)v[i]);
	free((void *)v);
}

static void
free_labels(const struct wf_label *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((void *)l[i].name);
		free((void *)l[i].title);
		free_strings(l[i].aliases, l[i].naliases);
	}
	free((void *)l);
}

static void
free_effects(const struct wf_effect *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free_strings(e[i].when, e[i].nwhen);
		free((void *)e[i].category);
		free((void *)e[i].year);
	}
	free((void *)e);
}

static void
wf_destroy(struct wf *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->nstates; i++) {
		const struct wf_state *s = &w->states[i];

		free((void *)s->name);
		free((void *)s->title);
		free((void *)s->leave_by);
	}
	free((void *)w->states);
	for (size_t i = 0; i < w->nevents; i++) {
		const struct wf_event *e = &w->events[i];

		free((void *)e->name);
		free((void *)e->title);
		free_strings(e->from, e->nfrom);
		free((void *)e->to);
		free_strings(e->guards, e->nguards);
		free((void *)e->not_before);
		free_effects(e->effects, e->neffects);
	}
	free((void *)w->events);
	free_strings(w->applies_to, w->napplies_to);
	free((void *)w->name);
	free((void *)w->title);
	free((void *)w->file);
	free((void *)w->initial);
	free(w);
}

static void
campaign_clear(struct wf_campaign *c)
{
	free((void *)c->id);
	free((void *)c->title);
	free((void *)c->income_from);
	free((void *)c->income_to);
	free((void *)c->data_entry_lock);
	free_labels(c->relapse_reasons, c->nrelapse_reasons);
	free_labels(c->marginal_risks, c->nmarginal_risks);
	free_labels(c->monitoring_risks, c->nmonitoring_risks);
	free_labels(c->reasons, c->nreasons);
	free_labels(c->relations, c->nrelations);
	free_labels(c->change_reasons, c->nchange_reasons);
	for (size_t i = 0; i < c->nconflicts; i++) {
		free((void *)c->conflicts[i].a);
		free((void *)c->conflicts[i].b);
		free_strings(c->conflicts[i].except, c->conflicts[i].nexcept);
	}
	free((void *)c->conflicts);
	memset(c, 0, sizeof(*c));
}

static char **strings_copy(const config_setting_t *, size_t *);
static void parse_effects(struct ld *, struct wf_event *,
    const config_setting_t *, const char *);

/* conflicts = ( { procedures = [ "exit", "inclusion" ];
 *                 except = [ "withdrawn" ]; }, ... ); the names are
 * checked against the workflows once they are loaded (check_conflicts). */
static void
ld_conflicts(struct ld *ld, const config_setting_t *grp,
    struct wf_campaign *c)
{
	const config_setting_t *list = ld_get(ld, grp, "", "conflicts",
	    CFG_LIST, 0);
	struct wf_conflict *v;

	if (list == NULL)
		return;
	v = xcalloc(config_setting_length(list), sizeof(*v));
	c->conflicts = v;
	for (int i = 0; i < config_setting_length(list); i++) {
		config_setting_t *g = config_setting_get_elem(list, i);
		const config_setting_t *s;
		char path[128];
		char **names;
		size_t n;

		snprintf(path, sizeof path, "conflicts[%d]", i + 1);
		cfgfile_check_keys(ld->cf, g, path, conflict_keys);
		s = ld_get(ld, g, path, "procedures", CFG_STRINGS, 1);
		if (s == NULL)
			continue;
		names = strings_copy(s, &n);
		if (n != 2 || strcmp(names[0], names[1]) == 0) {
			ld_error(ld, s, path, "procedures", "expected two "
			    "different workflows");
			free_strings((const char *const *)names, n);
			continue;
		}
		v[c->nconflicts].a = names[0];
		v[c->nconflicts].b = names[1];
		free(names);
		v[c->nconflicts].except = (const char *const *)strings_copy(
		    ld_get(ld, g, path, "except", CFG_STRINGS, 0),
		    &v[c->nconflicts].nexcept);
		v[c->nconflicts].line = config_setting_source_line(g);
		c->nconflicts++;
	}
}

/* relapse_reasons = ( { name = "illness"; title = "因病"; }, ... ); */
static struct wf_label *
ld_labels(struct ld *ld, const config_setting_t *grp, const char *key,
    int required, size_t *np)
{
	const config_setting_t *list = ld_get(ld, grp, "", key, CFG_LIST,
	    required);
	struct wf_label *l;
	size_t n = 0;

	*np = 0;
	if (list == NULL)
		return NULL;
	l = xcalloc(config_setting_length(list), sizeof(*l));
	for (int i = 0; i < config_setting_length(list); i++) {
		config_setting_t *g = config_setting_get_elem(list, i);
		char path[128];
		char *name;

		snprintf(path, sizeof path, "%s[%d]", key, i + 1);
		cfgfile_check_keys(ld->cf, g, path, label_keys);
		if ((name = ld_string(ld, g, path, "name", 1)) == NULL)
			continue;
		if (!name_valid(name) || wf_label_has(l, n, name)) {
			ld_error(ld, g, path, "name", "%s '%s'",
			    name_valid(name) ? "duplicate" : "invalid name",
			    name);
			free(name);
			continue;
		}
		l[n].name = name;
		l[n].title = ld_string(ld, g, path, "title", 1);
		if (l[n].title == NULL)
			l[n].title = xstrdup(name);
		l[n].aliases = (const char *const *)strings_copy(ld_get(ld, g,
		    path, "aliases", CFG_STRINGS, 0), &l[n].naliases);
		n++;
	}
	if (n == 0)
		ld_error(ld, list, "", key, "empty list");
	*np = n;
	return l;
}

static void
campaign_parse(struct ld *ld, const config_setting_t *root,
    const char *campaign, struct wf_campaign *c)
{
	const config_setting_t *g, *s;
	int64_t from = 0, to = 0, n;

	cfgfile_check_keys(ld->cf, root, "",
	    (const char *const[]){ "campaign", NULL });
	if ((g = ld_get(ld, root, "", "campaign", CFG_GROUP, 1)) == NULL)
		return;
	cfgfile_check_keys(ld->cf, g, "", campaign_keys);

	if ((c->id = ld_string(ld, g, "", "id", 1)) != NULL &&
	    strcmp(c->id, campaign) != 0)
		ld_error(ld, config_setting_get_member(g, "id"), "", "id",
		    "'%s' does not match the campaign '%s'", c->id, campaign);
	if (cfgfile_int(ld->cf, g, "", "year", 1, 2000, 2100, &n) == 1)
		c->year = (int)n;
	if ((c->title = ld_string(ld, g, "", "title", 1)) == NULL)
		c->title = xstrdup("");

	if (cfgfile_number(ld->cf, g, "", "exit_threshold", 1,
	    &c->exit_threshold) == 1 && c->exit_threshold <= 0)
		ld_error(ld, config_setting_get_member(g, "exit_threshold"), "",
		    "exit_threshold", "must be positive");
	/* Marginal households sit between exit and marginal. */
	if (cfgfile_number(ld->cf, g, "", "marginal_threshold", 1,
	    &c->marginal_threshold) == 1 &&
	    c->marginal_threshold < c->exit_threshold)
		ld_error(ld, config_setting_get_member(g, "marginal_threshold"),
		    "", "marginal_threshold", "below exit_threshold");

	if ((c->income_from = ld_string(ld, g, "", "income_from", 1)) != NULL &&
	    iso_parse(c->income_from, ISO_SHANGHAI_OFFSET, &from) != 0)
		ld_error(ld, config_setting_get_member(g, "income_from"), "",
		    "income_from", "not a date YYYY-MM-DD");
	if ((c->income_to = ld_string(ld, g, "", "income_to", 1)) != NULL) {
		s = config_setting_get_member(g, "income_to");
		if (iso_parse(c->income_to, ISO_SHANGHAI_OFFSET, &to) != 0)
			ld_error(ld, s, "", "income_to", "not a date "
			    "YYYY-MM-DD");
		else if (c->income_from != NULL && to < from)
			ld_error(ld, s, "", "income_to", "before income_from");
	}

	if (cfgfile_int(ld->cf, g, "", "notice_min_days", 1, 0, 366, &n) == 1)
		c->notice_min_days = (int)n;
	c->data_entry_lock = ld_deadline(ld, g, "", "data_entry_lock", 1);

	c->relapse_reasons = ld_labels(ld, g, "relapse_reasons", 1,
	    &c->nrelapse_reasons);
	c->marginal_risks = ld_labels(ld, g, "marginal_risks", 1,
	    &c->nmarginal_risks);
	c->monitoring_risks = ld_labels(ld, g, "monitoring_risks", 1,
	    &c->nmonitoring_risks);
	c->reasons = ld_labels(ld, g, "reasons", 0, &c->nreasons);
	c->relations = ld_labels(ld, g, "relations", 0, &c->nrelations);
	c->change_reasons = ld_labels(ld, g, "change_reasons", 0,
	    &c->nchange_reasons);
	/* A relapse reason is one of the national reasons when they are
	 * listed: the import stores those codes. */
	for (size_t i = 0; c->nreasons > 0 && i < c->nrelapse_reasons; i++) {
		if (!wf_label_has(c->reasons, c->nreasons,
		    c->relapse_reasons[i].name))
			ld_error(ld, config_setting_get_member(g,
			    "relapse_reasons"), "", "relapse_reasons",
			    "'%s' is not one of the reasons",
			    c->relapse_reasons[i].name);
	}
	ld_conflicts(ld, g, c);
}

static struct wf_state *
find_state(struct wf_state *states, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(states[i].name, name) == 0)
			return &states[i];
	}
	return NULL;
}

static void
parse_states(struct ld *ld, struct wf *w, const config_setting_t *list,
    const struct wf_campaign *c)
{
	struct wf_state *states, *st, *dup;
	size_t n = 0;

	states = xcalloc(config_setting_length(list), sizeof(*states));
	w->states = states;
	for (int i = 0; i < config_setting_length(list); i++) {
		const config_setting_t *g = config_setting_get_elem(list, i);
		const config_setting_t *s;
		char path[128];
		char *name;

		snprintf(path, sizeof path, "states[%d]", i + 1);
		if ((name = ld_string(ld, g, path, "name", 1)) == NULL) {
			cfgfile_check_keys(ld->cf, g, path, state_keys);
			continue;
		}
		if (name_valid(name))
			snprintf(path, sizeof path, "states.%s", name);
		cfgfile_check_keys(ld->cf, g, path, state_keys);
		if (!name_valid(name)) {
			ld_error(ld, g, path, "name", "invalid name '%s'",
			    name);
			free(name);
			continue;
		}
		if ((dup = find_state(states, n, name)) != NULL) {
			ld_error(ld, g, path, NULL, "duplicate state (first "
			    "at line %d)", dup->line);
			free(name);
			continue;
		}
		st = &states[n++];
		w->nstates = n;
		st->name = name;
		st->line = config_setting_source_line(g);
		st->title = ld_string(ld, g, path, "title", 0);
		if (st->title == NULL)
			st->title = xstrdup(name);
		st->final = ld_bool(ld, g, path, "final", 0);
		st->leave_by = ld_deadline(ld, g, path, "leave_by", 0);
		if (st->final && st->leave_by != NULL)
			ld_error(ld, config_setting_get_member(g, "leave_by"),
			    path, "leave_by", "a final state is never left");

		st->min_days = -1;
		s = config_setting_get_member(g, "min_days");
		if (s == NULL)
			continue;
		if (config_setting_type(s) == CONFIG_TYPE_STRING &&
		    strcmp(config_setting_get_string(s), "notice") == 0) {
			st->min_days = c->notice_min_days;
			st->min_days_notice = 1;
		} else if (cfgfile_is(s, CFG_INT) &&
		    config_setting_get_int(s) >= 0) {
			st->min_days = config_setting_get_int(s);
		} else
			ld_error(ld, s, path, "min_days", "expected days >= 0 "
			    "or \"notice\"");
	}
}

/* A string array as an owned vector; unknown entries are reported by
 * the caller. */
static char **
strings_copy(const config_setting_t *s, size_t *np)
{
	size_t n = s != NULL ? (size_t)config_setting_length(s) : 0;
	char **v = xcalloc(n, sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = xstrdup(config_setting_get_string_elem(s, i));
	*np = n;
	return v;
}

static const struct wf_event *
find_event_entry(const struct wf *w, size_t before, const char *name,
    const char *from)
{
	for (size_t i = 0; i < before; i++) {
		const struct wf_event *e = &w->events[i];

		if (strcmp(e->name, name) != 0)
			continue;
		if (from == NULL && e->nfrom == 0)
			return e;
		if (from != NULL && in_list(e->from, e->nfrom, from))
			return e;
	}
	return NULL;
}

static void
parse_event(struct ld *ld, struct wf *w, const config_setting_t *g, int idx,
    struct wf_event *events)
{
	struct wf_event *e = &events[w->nevents];
	const config_setting_t *fromset, *roleset, *guardset, *s;
	const struct wf_event *dup;
	const struct wf_state *st;
	char path[128];
	char **v;
	size_t n;

	snprintf(path, sizeof path, "events[%d]", idx + 1);
	if ((e->name = ld_string(ld, g, path, "name", 1)) == NULL) {
		cfgfile_check_keys(ld->cf, g, path, event_keys);
		return;
	}
	if (!name_valid(e->name)) {
		cfgfile_check_keys(ld->cf, g, path, event_keys);
		ld_error(ld, g, path, "name", "invalid name '%s'", e->name);
		free((void *)e->name);
		e->name = NULL;
		return;
	}
	snprintf(path, sizeof path, "events.%s", e->name);
	cfgfile_check_keys(ld->cf, g, path, event_keys);
	/* Counted now so that wf_destroy frees whatever is filled in. */
	w->nevents++;
	e->line = config_setting_source_line(g);
	e->title = ld_string(ld, g, path, "title", 0);
	if (e->title == NULL)
		e->title = xstrdup(e->name);
	e->note = ld_bool(ld, g, path, "note", 0);
	e->data_entry = ld_bool(ld, g, path, "data_entry", w->data_entry);
	e->not_before = ld_deadline(ld, g, path, "not_before", 0);

	fromset = ld_get(ld, g, path, "from", CFG_STRINGS, 1);
	v = strings_copy(fromset, &n);
	e->from = (const char *const *)v;
	e->nfrom = n;
	if (fromset != NULL && n == 0 && (dup = find_event_entry(w,
	    w->nevents - 1, e->name, NULL)) != NULL)
		ld_error(ld, fromset, path, "from", "duplicate event: '%s' "
		    "already creates the instance at line %d", e->name,
		    dup->line);
	for (size_t i = 0; i < n; i++) {
		s = config_setting_get_elem(fromset, i);
		if ((st = wf_state_find(w, v[i])) == NULL)
			ld_error(ld, s, path, "from", "unknown state '%s'",
			    v[i]);
		else if (st->final)
			ld_error(ld, s, path, "from", "'%s' is a final state: "
			    "no event leaves it", v[i]);
		if (in_list(e->from, i, v[i]))
			ld_error(ld, s, path, "from", "'%s' listed twice",
			    v[i]);
		else if ((dup = find_event_entry(w, w->nevents - 1, e->name,
		    v[i])) != NULL)
			ld_error(ld, s, path, "from", "duplicate event: '%s' "
			    "from '%s' already at line %d", e->name, v[i],
			    dup->line);
	}

	e->to = ld_string(ld, g, path, "to", 1);
	if (e->to != NULL && wf_state_find(w, e->to) == NULL)
		ld_error(ld, config_setting_get_member(g, "to"), path, "to",
		    "unknown state '%s'", e->to);
	else if (e->to != NULL && fromset != NULL && e->nfrom == 0 &&
	    w->initial != NULL &&
	    wf_state_find(w, w->initial) != NULL &&
	    strcmp(e->to, w->initial) != 0)
		ld_error(ld, config_setting_get_member(g, "to"), path, "to",
		    "an event that creates the instance must lead to the "
		    "initial state '%s'", w->initial);

	if ((roleset = ld_get(ld, g, path, "roles", CFG_STRINGS, 1)) != NULL) {
		if (config_setting_length(roleset) == 0)
			ld_error(ld, roleset, path, "roles", "empty");
		for (int i = 0; i < config_setting_length(roleset); i++) {
			const char *r = config_setting_get_string_elem(roleset,
			    i);
			enum role role = role_from_name(r);

			s = config_setting_get_elem(roleset, i);
			if (role == ROLE_NONE)
				ld_error(ld, s, path, "roles", "unknown role "
				    "'%s'", r);
			else {
				e->roles |= ROLE_BIT(role);
				if (e->first_role == ROLE_NONE)
					e->first_role = role;
			}
		}
	}
	e->roles |= ROLE_BIT(ROLE_ADMIN);

	guardset = ld_get(ld, g, path, "guards", CFG_STRINGS, 0);
	v = strings_copy(guardset, &n);
	e->guards = (const char *const *)v;
	e->nguards = n;
	for (size_t i = 0; i < n; i++) {
		s = config_setting_get_elem(guardset, i);
		if (wf_guard_describe(v[i]) == NULL) {
			ld_error(ld, s, path, "guards", "unknown guard '%s'",
			    v[i]);
			continue;
		}
		if (strcmp(v[i], "notice_min_days") != 0)
			continue;
		/* The guard reads the from-state's min_days. */
		for (size_t k = 0; k < e->nfrom; k++) {
			st = wf_state_find(w, e->from[k]);
			if (st != NULL && st->min_days < 0)
				ld_error(ld, s, path, "guards",
				    "notice_min_days: state '%s' has no "
				    "min_days", st->name);
		}
		if (e->nfrom == 0)
			ld_error(ld, s, path, "guards", "notice_min_days on an "
			    "event that creates the instance");
	}
	parse_effects(ld, e, g, path);
}

/* effects = ( { when = [ "poor" ]; category = "lifted";
 *               year = "lifted_year"; }, ... ); */
static void
parse_effects(struct ld *ld, struct wf_event *e, const config_setting_t *g,
    const char *evpath)
{
	const config_setting_t *list = ld_get(ld, g, evpath, "effects",
	    CFG_LIST, 0);
	struct wf_effect *v;

	if (list == NULL)
		return;
	v = xcalloc(config_setting_length(list), sizeof(*v));
	e->effects = v;
	for (int i = 0; i < config_setting_length(list); i++) {
		const config_setting_t *eg = config_setting_get_elem(list, i);
		const config_setting_t *s;
		struct wf_effect *ef = &v[e->neffects++];
		char path[160];

		snprintf(path, sizeof path, "%s.effects[%d]", evpath, i + 1);
		cfgfile_check_keys(ld->cf, eg, path, effect_keys);
		s = ld_get(ld, eg, path, "when", CFG_STRINGS, 0);
		ef->when = (const char *const *)strings_copy(s, &ef->nwhen);
		for (size_t k = 0; k < ef->nwhen; k++) {
			if (!in_list(categories, nitems(categories),
			    ef->when[k]))
				ld_error(ld, config_setting_get_elem(s, k),
				    path, "when", "unknown category '%s'",
				    ef->when[k]);
		}
		ef->category = ld_string(ld, eg, path, "category", 0);
		if (ef->category != NULL && !in_list(categories,
		    nitems(categories), ef->category))
			ld_error(ld, config_setting_get_member(eg, "category"),
			    path, "category", "unknown category '%s'",
			    ef->category);
		ef->year = ld_string(ld, eg, path, "year", 0);
		if (ef->year != NULL && !in_list(year_columns,
		    nitems(year_columns), ef->year))
			ld_error(ld, config_setting_get_member(eg, "year"),
			    path, "year", "expected identified_year, "
			    "lifted_year or relapse_year, not '%s'", ef->year);
		ef->clears_problem = ld_bool(ld, eg, path, "clears_problem",
		    0);
		if (ef->category == NULL && ef->year == NULL &&
		    !ef->clears_problem)
			ld_error(ld, eg, path, NULL, "an effect without "
			    "category, year or clears_problem does nothing");
	}
}

/* Graph checks, once every reference is known to be good. */
static void
check_graph(struct ld *ld, struct wf *w, const config_setting_t *wg)
{
	const struct wf_state *init;
	char *reach, *leaves;
	int changed, creates = 0;

	if ((init = wf_state_find(w, w->initial)) == NULL)
		return;
	reach = xcalloc(w->nstates, 1);
	leaves = xcalloc(w->nstates, 1);
	reach[init - w->states] = 1;
	for (size_t i = 0; i < w->nevents; i++) {
		const struct wf_event *e = &w->events[i];

		if (e->nfrom == 0)
			creates = 1;
		for (size_t k = 0; k < e->nfrom; k++)
			leaves[wf_state_find(w, e->from[k]) - w->states] = 1;
	}
	if (!creates)
		ld_error(ld, config_setting_get_member(wg, "events"), "",
		    "events", "no event creates an instance (from = [])");
	do {
		changed = 0;
		for (size_t i = 0; i < w->nevents; i++) {
			const struct wf_event *e = &w->events[i];
			size_t to = wf_state_find(w, e->to) - w->states;

			for (size_t k = 0; k < e->nfrom && !reach[to]; k++) {
				if (reach[wf_state_find(w, e->from[k]) -
				    w->states])
					reach[to] = changed = 1;
			}
		}
	} while (changed);
	for (size_t i = 0; i < w->nstates; i++) {
		const struct wf_state *st = &w->states[i];
		char path[128];

		snprintf(path, sizeof path, "states.%s", st->name);
		if (!reach[i]) {
			errlist_add(ld->errs, ld->file, st->line, path,
			    "unreachable from the initial state '%s'",
			    w->initial);
			ld->cf->errors++;
		}
		if (!st->final && !leaves[i]) {
			errlist_add(ld->errs, ld->file, st->line, path,
			    "not final, yet no event leaves it");
			ld->cf->errors++;
		}
	}
	free(leaves);
	free(reach);
}

static struct wf *
wf_parse(struct ld *ld, const config_setting_t *root, const char *stem,
    const struct wf_campaign *c)
{
	const config_setting_t *wg, *s, *list;
	struct wf_event *events;
	struct wf *w;
	char **v;
	size_t n;

	w = xcalloc(1, sizeof(*w));
	w->file = xstrdup(ld->file);
	cfgfile_check_keys(ld->cf, root, "",
	    (const char *const[]){ "workflow", NULL });
	if ((wg = ld_get(ld, root, "", "workflow", CFG_GROUP, 1)) == NULL)
		return w;
	cfgfile_check_keys(ld->cf, wg, "", workflow_keys);

	if ((w->name = ld_string(ld, wg, "", "name", 1)) != NULL &&
	    strcmp(w->name, stem) != 0)
		ld_error(ld, config_setting_get_member(wg, "name"), "", "name",
		    "'%s' must be the file's name '%s'", w->name, stem);
	if ((w->title = ld_string(ld, wg, "", "title", 1)) == NULL)
		w->title = xstrdup(stem);
	if ((s = ld_get(ld, wg, "", "scope", CFG_STRING, 1)) != NULL) {
		const char *sc = config_setting_get_string(s);

		if (strcmp(sc, "household") == 0)
			w->scope = WF_SCOPE_HOUSEHOLD;
		else if (strcmp(sc, "village") == 0)
			w->scope = WF_SCOPE_VILLAGE;
		else
			ld_error(ld, s, "", "scope", "expected \"household\" "
			    "or \"village\", not '%s'", sc);
	}
	s = ld_get(ld, wg, "", "applies_to", CFG_STRINGS, 0);
	v = strings_copy(s, &n);
	w->applies_to = (const char *const *)v;
	w->napplies_to = n;
	if (s != NULL && w->scope == WF_SCOPE_VILLAGE)
		ld_error(ld, s, "", "applies_to", "a village workflow has no "
		    "household categories");
	for (size_t i = 0; i < n; i++) {
		if (!in_list(categories, nitems(categories), v[i]))
			ld_error(ld, config_setting_get_elem(s, i), "",
			    "applies_to", "unknown category '%s'", v[i]);
	}
	w->data_entry = ld_bool(ld, wg, "", "data_entry", 0);
	w->initial = ld_string(ld, wg, "", "initial", 1);

	if ((list = ld_get(ld, wg, "", "states", CFG_LIST, 1)) == NULL)
		return w;
	parse_states(ld, w, list, c);
	if (w->nstates == 0)
		ld_error(ld, list, "", "states", "no states");
	if (w->initial != NULL && wf_state_find(w, w->initial) == NULL)
		ld_error(ld, config_setting_get_member(wg, "initial"), "",
		    "initial", "unknown state '%s'", w->initial);

	if ((list = ld_get(ld, wg, "", "events", CFG_LIST, 1)) == NULL)
		return w;
	events = xcalloc(config_setting_length(list), sizeof(*events));
	w->events = events;
	for (int i = 0; i < config_setting_length(list); i++)
		parse_event(ld, w, config_setting_get_elem(list, i), i, events);

	/* Graph errors would only echo the errors above. */
	if (ld->cf->errors == 0)
		check_graph(ld, w, wg);
	return w;
}

static const struct wf *
set_find(const struct wf_set *set, const char *name)
{
	for (size_t i = 0; i < set->nwfs; i++) {
		if (set->wfs[i]->name != NULL &&
		    strcmp(set->wfs[i]->name, name) == 0)
			return set->wfs[i];
	}
	return NULL;
}

/* The conflicts of campaign.conf name workflows and states of the set. */
static void
check_conflicts(struct wf_set *set, const char *base, struct errlist *errs)
{
	const struct wf_campaign *c = &set->campaign;
	char *file = xasprintf("%s/campaign.conf", base);

	for (size_t i = 0; i < c->nconflicts; i++) {
		const struct wf_conflict *k = &c->conflicts[i];
		const struct wf *a = set_find(set, k->a), *b = set_find(set,
		    k->b);

		if (a == NULL || b == NULL) {
			errlist_add(errs, file, k->line, "conflicts",
			    "no workflow '%s'", a == NULL ? k->a : k->b);
			continue;
		}
		for (size_t s = 0; s < k->nexcept; s++) {
			if (wf_state_find(a, k->except[s]) == NULL &&
			    wf_state_find(b, k->except[s]) == NULL)
				errlist_add(errs, file, k->line, "conflicts",
				    "except: '%s' is a state of neither %s nor "
				    "%s", k->except[s], k->a, k->b);
		}
	}
	free(file);
}

static int
wf_cmp(const void *a, const void *b)
{
	const struct wf *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

struct wf_set *
wf_load(const char *dir, const char *campaign,
    int (*deadline_exists)(const char *, void *), void *arg,
    struct errlist *errs)
{
	struct wf_set *set;
	struct ld ld;
	struct cfgfile cf;
	glob_t gl;
	char *base, *path, *pattern;
	size_t before = errs->count;
	int rc;

	set = xcalloc(1, sizeof(*set));
	base = xasprintf("%s/%s", dir, campaign);
	memset(&ld, 0, sizeof ld);
	ld.errs = errs;
	ld.deadline_exists = deadline_exists;
	ld.arg = arg;

	path = xasprintf("%s/campaign.conf", base);
	ld.file = path;
	ld.cf = &cf;
	if (cfgfile_open(&cf, path, errs) == 0)
		campaign_parse(&ld, cfgfile_root(&cf), campaign,
		    &set->campaign);
	cfgfile_close(&cf);
	free(path);

	pattern = xasprintf("%s/*.wf", base);
	rc = glob(pattern, 0, NULL, &gl);
	if (rc == GLOB_NOMATCH)
		errlist_add(errs, base, 0, NULL, "no workflow files (*.wf)");
	else if (rc != 0)
		errlist_add(errs, base, 0, NULL, "cannot list *.wf files");
	for (size_t i = 0; rc == 0 && i < gl.gl_pathc; i++) {
		const char *file = gl.gl_pathv[i];
		const char *slash = strrchr(file, '/');
		char *stem = xstrdup(slash != NULL ? slash + 1 : file);
		struct wf *w = NULL;

		stem[strlen(stem) - 3] = '\0';
		ld.file = file;
		if (cfgfile_open(&cf, file, errs) == 0)
			w = wf_parse(&ld, cfgfile_root(&cf), stem,
			    &set->campaign);
		cfgfile_close(&cf);
		free(stem);
		if (w == NULL)
			continue;
		set->wfs = xrealloc(set->wfs, (set->nwfs + 1) *
		    sizeof(*set->wfs));
		set->wfs[set->nwfs++] = w;
	}
	if (rc == 0)
		globfree(&gl);
	free(pattern);

	if (errs->count == before)
		check_conflicts(set, base, errs);
	free(base);

	if (errs->count != before) {
		wf_free(set);
		return NULL;
	}
	qsort(set->wfs, set->nwfs, sizeof(*set->wfs), wf_cmp);
	return set;
}

void
wf_free(struct wf_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->nwfs; i++)
		wf_destroy(set->wfs[i]);
	free(set->wfs);
	campaign_clear(&set->campaign);
	free(set);
}

const struct wf_campaign *
wf_campaign(const struct wf_set *set)
{
	return &set->campaign;
}

void
wf_set_notice_min_days(struct wf_set *set, int days)
{
	set->campaign.notice_min_days = days;
	for (size_t i = 0; i < set->nwfs; i++) {
		struct wf *w = set->wfs[i];
		/* The set owns its states; only the public view is const. */
		struct wf_state *states = (struct wf_state *)w->states;

		for (size_t k = 0; k < w->nstates; k++) {
			if (states[k].min_days_notice)
				states[k].min_days = days;
		}
	}
}

size_t
wf_count(const struct wf_set *set)
{
	return set->nwfs;
}

const struct wf *
wf_at(const struct wf_set *set, size_t i)
{
	return i < set->nwfs ? set->wfs[i] : NULL;
}

const struct wf *
wf_find(const struct wf_set *set, const char *name)
{
	for (size_t i = 0; i < set->nwfs; i++) {
		if (strcmp(set->wfs[i]->name, name) == 0)
			return set->wfs[i];
	}
	return NULL;
}

const struct wf_state *
wf_state_find(const struct wf *w, const char *name)
{
	for (size_t i = 0; i < w->nstates; i++) {
		if (strcmp(w->states[i].name, name) == 0)
			return &w->states[i];
	}
	return NULL;
}

const struct wf_event *
wf_event_find(const struct wf *w, const char *name, const char *from)
{
	if (from != NULL && *from == '\0')
		from = NULL;
	return find_event_entry(w, w->nevents, name, from);
}

int
wf_event_exists(const struct wf *w, const char *name)
{
	for (size_t i = 0; i < w->nevents; i++) {
		if (strcmp(w->events[i].name, name) == 0)
			return 1;
	}
	return 0;
}

/* "村级公示 / publish the village notice": the title, or either half. */
static int
title_matches(const char *title, const char *want)
{
	const char *sep = strstr(title, " / ");
	size_t n = strlen(want);

	if (n == 0)
		return 0;
	if (strcmp(title, want) == 0)
		return 1;
	if (sep == NULL)
		return 0;
	return ((size_t)(sep - title) == n && strncmp(title, want, n) == 0) ||
	    strcmp(sep + 3, want) == 0;
}

const char *
wf_event_by_title(const struct wf *w, const char *title)
{
	for (size_t i = 0; i < w->nevents; i++) {
		if (title_matches(w->events[i].title, title))
			return w->events[i].name;
	}
	return NULL;
}

/*
 * A state's rank is its distance from the initial state (-1: unreachable);
 * an event is forward when it leads to a higher rank. Objections and
 * rejections lead back, so the forward events from each state make the
 * main path, with its side exits (a withdrawal) that owe nothing.
 */
static void
main_path_ranks(const struct wf *w, int *rank)
{
	const struct wf_state *init = wf_state_find(w, w->initial);
	int changed;

	for (size_t i = 0; i < w->nstates; i++)
		rank[i] = -1;
	if (init == NULL)
		return;
	rank[init - w->states] = 0;
	/* Bellman-Ford on unit edges: shortest distances, at most n rounds. */
	do {
		changed = 0;
		for (size_t i = 0; i < w->nevents; i++) {
			const struct wf_event *e = &w->events[i];
			const struct wf_state *to = wf_state_find(w, e->to);

			if (to == NULL)
				continue;
			for (size_t k = 0; k < e->nfrom; k++) {
				const struct wf_state *f = wf_state_find(w,
				    e->from[k]);
				int rf = f ? rank[f - w->states] : -1;
				int *rt = &rank[to - w->states];

				if (rf >= 0 && (*rt < 0 || *rt > rf + 1)) {
					*rt = rf + 1;
					changed = 1;
				}
			}
		}
	} while (changed);
}

static int
forward_from(const struct wf *w, const int *rank, const struct wf_event *e,
    size_t from)
{
	const struct wf_state *to = wf_state_find(w, e->to);

	if (to == NULL || rank[from] < 0)
		return 0;
	for (size_t k = 0; k < e->nfrom; k++)
		if (wf_state_find(w, e->from[k]) == &w->states[from])
			return rank[to - w->states] > rank[from];
	return 0;
}

/* The party a role acts for; admin acts for no one in particular. */
static const char *
role_word(enum role r)
{
	return r == ROLE_NONE || r == ROLE_ADMIN ? "village" : role_name(r);
}

/*
 * "Must be past state T by deadline D" means every state before T on the
 * main path owes D too: a household still in draft on Oct 29 is late for
 * stages 2, 3 and 4, not only for the one of the state it sits in. So a
 * state owes its own leave_by and that of every state it reaches by forward
 * events. The work expected in a state is its first forward event in file
 * order (publish in draft, not withdraw): who must act to leave the state
 * is that event's first role, and the data-entry lock stops the work when
 * that event is data entry.
 */
void
wf_state_duty(const struct wf *w, const struct wf_state *st,
    struct wf_duty *d)
{
	int *rank = xcalloc(w->nstates ? w->nstates : 1, sizeof(int));
	char *ahead = xcalloc(w->nstates ? w->nstates : 1, 1);
	size_t self = (size_t)(st - w->states);
	int changed, nforward = 0;

	memset(d, 0, sizeof(*d));
	d->party = NULL;
	main_path_ranks(w, rank);
	ahead[self] = 1;
	do {
		changed = 0;
		for (size_t s = 0; s < w->nstates; s++) {
			if (!ahead[s])
				continue;
			for (size_t i = 0; i < w->nevents; i++) {
				const struct wf_event *e = &w->events[i];
				const struct wf_state *to;

				if (!forward_from(w, rank, e, s))
					continue;
				to = wf_state_find(w, e->to);
				if (!ahead[to - w->states])
					ahead[to - w->states] = changed = 1;
			}
		}
	} while (changed);
	/* In rank order, so that the list reads along the main path. */
	for (int r = -1; r <= (int)w->nstates; r++) {
		for (size_t s = 0; s < w->nstates; s++) {
			const char *id = w->states[s].leave_by;
			size_t k;

			if (!ahead[s] || rank[s] != r || id == NULL)
				continue;
			for (k = 0; k < d->nowes; k++)
				if (strcmp(d->owes[k], id) == 0)
					break;
			if (k == d->nowes && d->nowes < WF_MAX_OWES)
				d->owes[d->nowes++] = id;
		}
	}
	for (size_t i = 0; i < w->nevents; i++) {
		const struct wf_event *e = &w->events[i];

		if (!forward_from(w, rank, e, self))
			continue;
		if (nforward++ == 0) {
			d->party = role_word(e->first_role);
			d->stops_at_lock = e->data_entry != 0;
		}
	}
	if (d->party == NULL) {
		/* Off the main path: whoever the first event leaving it names. */
		for (size_t i = 0; i < w->nevents && d->party == NULL; i++)
			for (size_t k = 0; k < w->events[i].nfrom; k++)
				if (strcmp(w->events[i].from[k], st->name) == 0) {
					d->party = role_word(
					    w->events[i].first_role);
					break;
				}
	}
	if (d->party == NULL)
		d->party = "village";
	free(ahead);
	free(rank);
}

int
wf_role_allowed(const struct wf_event *e, const char *role)
{
	enum role r = role_from_name(role);

	return r != ROLE_NONE && (e->roles & ROLE_BIT(r)) != 0;
}

int
wf_role_valid(const char *role)
{
	return role_valid(role);
}

int
wf_label_has(const struct wf_label *l, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(l[i].name, name) == 0)
			return 1;
	}
	return 0;
}

const char *
wf_guard_describe(const char *name)
{
	for (size_t i = 0; i < nitems(guards); i++) {
		if (strcmp(guards[i].name, name) == 0)
			return guards[i].description;
	}
	return NULL;
}

const char *
wf_guard_params(const char *name)
{
	for (size_t i = 0; i < nitems(guards); i++) {
		if (strcmp(guards[i].name, name) == 0)
			return guards[i].params;
	}
	return NULL;
}

const char *
wf_guard_name(size_t i)
{
	return i < nitems(guards) ? guards[i].name : NULL;
}

/* A quoted dot string; a newline becomes dot's \n. */
static void
dot_quote(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			fputs("\\n", f);
		else {
			if (*s == '"' || *s == '\\')
				fputc('\\', f);
			fputc(*s, f);
		}
	}
	fputc('"', f);
}

static void
dot_list(FILE *f, const char *prefix, const char *const *v, size_t n)
{
	if (n == 0)
		return;
	fprintf(f, "\n%s", prefix);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? ", " : "", v[i]);
}

/* The edge label as text, newlines between parts. */
static char *
dot_edge_label(const struct wf_event *e)
{
	char roles[64];
	size_t len;
	char *buf;
	FILE *f;

	/* Admin may send everything; naming it on every edge is noise. */
	role_mask_text(e->roles, roles, sizeof(roles));
	if ((f = open_memstream(&buf, &len)) == NULL)
		return xstrdup(e->name);
	fputs(e->name, f);
	fprintf(f, "\nroles: %s", roles);
	dot_list(f, "if ", e->guards, e->nguards);
	if (e->not_before != NULL)
		fprintf(f, "\nnot before %s", e->not_before);
	if (e->note)
		fputs("\nnote required", f);
	if (e->data_entry)
		fputs("\ndata entry", f);
	fclose(f);
	return buf;
}

void
wf_dot(const struct wf *w, FILE *f)
{
	fputs("digraph ", f);
	dot_quote(f, w->name);
	fputs(" {\n\trankdir=LR;\n\tlabel=", f);
	dot_quote(f, w->title);
	fputs(";\n\tlabelloc=t;\n\tnode [shape=box, style=rounded];\n", f);
	fputs("\t\"(create)\" [shape=point];\n", f);
	for (size_t i = 0; i < w->nstates; i++) {
		const struct wf_state *st = &w->states[i];
		char *label;

		if (st->leave_by != NULL && st->min_days >= 0)
			label = xasprintf("%s\nleave by %s\nat least %d days",
			    st->name, st->leave_by, st->min_days);
		else if (st->leave_by != NULL)
			label = xasprintf("%s\nleave by %s", st->name,
			    st->leave_by);
		else if (st->min_days >= 0)
			label = xasprintf("%s\nat least %d days", st->name,
			    st->min_days);
		else
			label = xstrdup(st->name);
		fputc('\t', f);
		dot_quote(f, st->name);
		fputs(" [label=", f);
		dot_quote(f, label);
		if (st->final)
			fputs(", peripheries=2", f);
		fputs("];\n", f);
		free(label);
	}
	for (size_t i = 0; i < w->nevents; i++) {
		const struct wf_event *e = &w->events[i];
		size_t k = 0;

		do {
			char *label = dot_edge_label(e);

			fputc('\t', f);
			dot_quote(f, e->nfrom ? e->from[k] : "(create)");
			fputs(" -> ", f);
			dot_quote(f, e->to);
			fputs(" [label=", f);
			dot_quote(f, label);
			fputs("];\n", f);
			free(label);
		} while (++k < e->nfrom);
	}
	fputs("}\n", f);
}
