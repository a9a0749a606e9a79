/*
 * Unit tests of daemon/workflow.c: the shipped 2019 workflows load cleanly
 * and have exactly the states and events CONTRACT.md names; each validation
 * error has a fixture under tests/unit/data/wf-bad-NAME/2019/ and must be
 * reported with its file:line and key (and nothing else, so that one
 * mistake gives one message); the dot output names every state.
 * FUPIN_SRC is the source root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calendar.h"
#include "util.h"
#include "workflow.h"

/* The calendar ids of workflows/2019/calendar.conf. */
static const char *const calendar_ids[] = { "stage1", "stage2", "stage3",
	"stage4", "stage5", "survey", "lock", "analysis", "verification",
	"correction", "recheck", "summary", "city_confirm" };

static int
deadline_exists(const char *id, void *arg)
{
	int *calls = arg;

	(*calls)++;
	for (size_t i = 0; i < nitems(calendar_ids); i++) {
		if (strcmp(calendar_ids[i], id) == 0)
			return 1;
	}
	return 0;
}

static char *
source_path(const char *rel)
{
	const char *src = getenv("FUPIN_SRC");

	return xasprintf("%s/%s", src != NULL ? src : ".", rel);
}

static struct wf_set *
load(const char *rel, struct errlist *errs)
{
	char *dir = source_path(rel);
	struct wf_set *set;
	int calls = 0;

	set = wf_load(dir, "2019", deadline_exists, &calls, errs);
	free(dir);
	return set;
}

static int
shipped_setup(void **state)
{
	struct errlist errs;
	struct wf_set *set;

	errlist_init(&errs);
	set = load("workflows", &errs);
	for (size_t i = 0; i < errs.count; i++)
		print_error("%s\n", errs.items[i]);
	errlist_free(&errs);
	*state = set;
	return set != NULL ? 0 : -1;
}

static int
shipped_teardown(void **state)
{
	wf_free(*state);
	return 0;
}

static void
test_shipped_loads(void **state)
{
	struct errlist errs;
	struct wf_set *set;
	int calls = 0;
	char *dir = source_path("workflows");

	errlist_init(&errs);
	set = wf_load(dir, "2019", deadline_exists, &calls, &errs);
	assert_non_null(set);
	assert_int_equal(errs.count, 0);
	/* Every leave_by, not_before and the lock went through the callback. */
	assert_true(calls > 10);
	wf_free(set);
	errlist_free(&errs);
	free(dir);
}

/* The ids the workflows name are the shipped calendar's own. */
static void
test_shipped_with_calendar(void **state)
{
	char *calpath = source_path("workflows/2019/calendar.conf");
	char *dir = source_path("workflows");
	struct errlist errs;
	struct wf_set *set;
	struct cal *cal;

	errlist_init(&errs);
	cal = cal_load(calpath, &errs);
	assert_non_null(cal);
	set = wf_load(dir, "2019", cal_exists, cal, &errs);
	for (size_t i = 0; i < errs.count; i++)
		print_error("%s\n", errs.items[i]);
	assert_non_null(set);
	assert_int_equal(errs.count, 0);
	wf_free(set);
	cal_free(cal);
	errlist_free(&errs);
	free(dir);
	free(calpath);
}

static void
test_shipped_campaign(void **state)
{
	const struct wf_campaign *c = wf_campaign(*state);

	assert_string_equal(c->id, "2019");
	assert_int_equal(c->year, 2019);
	assert_true(c->exit_threshold == 3750.0);
	assert_true(c->marginal_threshold == 5000.0);
	assert_string_equal(c->income_from, "2018-10-01");
	assert_string_equal(c->income_to, "2019-09-30");
	assert_int_equal(c->notice_min_days, 5);
	assert_string_equal(c->data_entry_lock, "lock");
	assert_int_equal(c->nrelapse_reasons, 3);
	assert_true(wf_label_has(c->relapse_reasons, c->nrelapse_reasons,
	    "illness"));
	assert_true(wf_label_has(c->relapse_reasons, c->nrelapse_reasons,
	    "disaster"));
	assert_true(wf_label_has(c->relapse_reasons, c->nrelapse_reasons,
	    "accident"));
	assert_false(wf_label_has(c->relapse_reasons, c->nrelapse_reasons,
	    "poor_assistance"));
	assert_true(c->nmarginal_risks > 0);
	assert_true(c->nmonitoring_risks > 0);
}

static void
test_shipped_names(void **state)
{
	static const char *const names[] = { "exit", "inclusion", "marginal",
		"member", "monitoring", "rectify", "village_summary",
		"village_team" };
	const struct wf_set *set = *state;

	assert_int_equal(wf_count(set), nitems(names));
	for (size_t i = 0; i < nitems(names); i++) {
		assert_non_null(wf_find(set, names[i]));
		/* Sorted by name. */
		assert_string_equal(wf_at(set, i)->name, names[i]);
	}
	assert_null(wf_at(set, nitems(names)));
	assert_null(wf_find(set, "nonesuch"));
	assert_int_equal(wf_find(set, "village_team")->scope,
	    WF_SCOPE_VILLAGE);
	assert_int_equal(wf_find(set, "exit")->scope, WF_SCOPE_HOUSEHOLD);
}

struct edge {
	const char *event;
	const char *from; /* NULL: creates */
	const char *to;
};

/* The workflow has exactly these states and these (event, from, to). */
static void
check_exact(const struct wf *w, const char *initial,
    const char *const *states, size_t nstates, const char *const *finals,
    size_t nfinals, const struct edge *edges, size_t nedges)
{
	size_t pairs = 0;

	assert_non_null(w);
	assert_string_equal(w->initial, initial);
	assert_int_equal(w->nstates, nstates);
	for (size_t i = 0; i < nstates; i++)
		assert_non_null(wf_state_find(w, states[i]));
	for (size_t i = 0; i < w->nstates; i++) {
		int final = 0;

		for (size_t k = 0; k < nfinals; k++)
			final |= strcmp(finals[k], w->states[i].name) == 0;
		assert_int_equal(w->states[i].final, final);
	}
	for (size_t i = 0; i < nedges; i++) {
		const struct wf_event *e = wf_event_find(w, edges[i].event,
		    edges[i].from);

		if (e == NULL)
			fail_msg("%s: no event %s from %s", w->name,
			    edges[i].event, edges[i].from ? edges[i].from :
			    "(create)");
		assert_string_equal(e->to, edges[i].to);
	}
	for (size_t i = 0; i < w->nevents; i++)
		pairs += w->events[i].nfrom ? w->events[i].nfrom : 1;
	assert_int_equal(pairs, nedges);
}

static const char *const ladder_open[] = { "draft", "village_notice",
	"township_review", "township_notice", "city_request" };

static void
check_ladder(const struct wf *w, const char *end)
{
	const char *const states[] = { "draft", "village_notice",
		"township_review", "township_notice", "city_request", end,
		"withdrawn" };
	const char *const finals[] = { end, "withdrawn" };
	const struct edge edges[] = {
		{ "propose", NULL, "draft" },
		{ "publish", "draft", "village_notice" },
		{ "submit", "village_notice", "township_review" },
		{ "approve", "township_review", "township_notice" },
		{ "reject", "township_review", "draft" },
		{ "request", "township_notice", "city_request" },
		{ "confirm", "city_request", end },
		{ "object", "village_notice", "draft" },
		{ "object", "township_notice", "township_review" },
		{ "withdraw", "draft", "withdrawn" },
		{ "withdraw", "village_notice", "withdrawn" },
		{ "withdraw", "township_review", "withdrawn" },
		{ "withdraw", "township_notice", "withdrawn" },
		{ "withdraw", "city_request", "withdrawn" },
	};
	static const char *const deadlines[][2] = { { "draft", "stage2" },
		{ "village_notice", "stage3" }, { "township_review", "stage4" },
		{ "township_notice", "stage5" } };
	static const char *const noted[] = { "object", "reject", "withdraw" };

	check_exact(w, "draft", states, nitems(states), finals,
	    nitems(finals), edges, nitems(edges));
	assert_true(w->data_entry);
	for (size_t i = 0; i < nitems(deadlines); i++) {
		const struct wf_state *st = wf_state_find(w, deadlines[i][0]);

		assert_non_null(st->leave_by);
		assert_string_equal(st->leave_by, deadlines[i][1]);
	}
	/* The city answers before the lock (issue 10). */
	assert_string_equal(wf_state_find(w, "city_request")->leave_by,
	    "city_confirm");
	/* The lock stops data entry only: reviews, the city's answer and
	 * withdrawals follow their own deadlines. */
	assert_false(wf_event_find(w, "approve", "township_review")->data_entry);
	assert_false(wf_event_find(w, "reject", "township_review")->data_entry);
	assert_false(wf_event_find(w, "confirm", "city_request")->data_entry);
	assert_false(wf_event_find(w, "withdraw", "draft")->data_entry);
	assert_true(wf_event_find(w, "publish", "draft")->data_entry);
	/* Notices last notice_min_days; leaving them forward checks it. */
	assert_int_equal(wf_state_find(w, "village_notice")->min_days, 5);
	assert_int_equal(wf_state_find(w, "township_notice")->min_days, 5);
	assert_int_equal(wf_state_find(w, "draft")->min_days, -1);
	for (size_t i = 0; i < w->nevents; i++) {
		const struct wf_event *e = &w->events[i];
		int needs = 0;

		for (size_t k = 0; k < nitems(noted); k++)
			needs |= strcmp(noted[k], e->name) == 0;
		assert_int_equal(e->note, needs);
	}
	for (size_t i = 0; i < nitems(ladder_open); i++)
		assert_false(wf_state_find(w, ladder_open[i])->final);
}

static int
has_guard(const struct wf_event *e, const char *g)
{
	for (size_t i = 0; i < e->nguards; i++) {
		if (strcmp(e->guards[i], g) == 0)
			return 1;
	}
	return 0;
}

static void
test_exit_exact(void **state)
{
	const struct wf *w = wf_find(*state, "exit");
	static const struct edge forward[] = {
		{ "publish", "draft", NULL },
		{ "submit", "village_notice", NULL },
		{ "approve", "township_review", NULL },
		{ "request", "township_notice", NULL },
		{ "confirm", "city_request", NULL },
	};

	check_ladder(w, "exited");
	assert_int_equal(w->napplies_to, 2);
	assert_string_equal(w->applies_to[0], "poor");
	assert_string_equal(w->applies_to[1], "relapsed");
	/* Events by their titles as the plan writes them. */
	assert_string_equal(wf_event_by_title(w, "村级公示"), "publish");
	assert_string_equal(wf_event_by_title(w, "withdraw"), "withdraw");
	assert_null(wf_event_by_title(w, "村级"));
	/* The register follows a confirmed exit. */
	{
		const struct wf_event *c = wf_event_find(w, "confirm",
		    "city_request");

		assert_int_equal(c->neffects, 1);
		assert_string_equal(c->effects[0].category, "lifted");
		assert_string_equal(c->effects[0].year, "lifted_year");
	}
	/* Guards on publish and later. */
	for (size_t i = 0; i < nitems(forward); i++) {
		const struct wf_event *e = wf_event_find(w, forward[i].event,
		    forward[i].from);

		assert_true(has_guard(e, "income_exit"));
		assert_true(has_guard(e, "guarantees"));
		assert_true(has_guard(e, "not_new_this_year"));
	}
	assert_int_equal(wf_event_find(w, "propose", NULL)->nguards, 0);
	assert_true(has_guard(wf_event_find(w, "submit", "village_notice"),
	    "notice_min_days"));
	assert_true(has_guard(wf_event_find(w, "request", "township_notice"),
	    "notice_min_days"));
	assert_false(has_guard(wf_event_find(w, "publish", "draft"),
	    "notice_min_days"));
}

static void
test_inclusion_exact(void **state)
{
	const struct wf *w = wf_find(*state, "inclusion");

	check_ladder(w, "included");
	assert_true(has_guard(wf_event_find(w, "propose", ""),
	    "relapse_reason"));
	assert_true(has_guard(wf_event_find(w, "submit", "village_notice"),
	    "notice_min_days"));
	assert_false(has_guard(wf_event_find(w, "confirm", "city_request"),
	    "not_new_this_year"));
}

static void
test_other_workflows(void **state)
{
	const struct wf_set *set = *state;
	static const struct {
		const char *wf;
		const char *initial;
		const char *states[8];
		const char *finals[3];
		struct edge edges[12];
	} want[] = {
		{ "marginal", "surveyed",
		  { "surveyed", "village_list", "township_collected",
		    "city_reviewed", "prefecture_analysed", "dropped" },
		  { "prefecture_analysed", "dropped" },
		  { { "survey", NULL, "surveyed" },
		    { "list", "surveyed", "village_list" },
		    { "collect", "village_list", "township_collected" },
		    { "review", "township_collected", "city_reviewed" },
		    { "analyse", "city_reviewed", "prefecture_analysed" },
		    { "drop", "surveyed", "dropped" },
		    { "drop", "village_list", "dropped" },
		    { "drop", "township_collected", "dropped" },
		    { "drop", "city_reviewed", "dropped" } } },
		{ "monitoring", "assessed",
		  { "assessed", "marked", "village_list", "township_collected",
		    "city_reviewed", "prefecture_analysed", "dropped" },
		  { "prefecture_analysed", "dropped" },
		  { { "assess", NULL, "assessed" },
		    { "mark", "assessed", "marked" },
		    { "list", "marked", "village_list" },
		    { "collect", "village_list", "township_collected" },
		    { "review", "township_collected", "city_reviewed" },
		    { "analyse", "city_reviewed", "prefecture_analysed" },
		    { "drop", "assessed", "dropped" },
		    { "drop", "marked", "dropped" },
		    { "drop", "village_list", "dropped" },
		    { "drop", "township_collected", "dropped" },
		    { "drop", "city_reviewed", "dropped" } } },
		{ "member", "reported",
		  { "reported", "entered", "rejected" },
		  { NULL },
		  { { "report_increase", NULL, "reported" },
		    { "report_increase", "entered", "reported" },
		    { "report_increase", "rejected", "reported" },
		    { "report_decrease", NULL, "reported" },
		    { "report_decrease", "entered", "reported" },
		    { "report_decrease", "rejected", "reported" },
		    { "enter", "reported", "entered" },
		    { "reject", "reported", "rejected" } } },
		{ "rectify", "found",
		  { "found", "verified", "corrected", "rechecked",
		    "dismissed" },
		  { "rechecked", "dismissed" },
		  { { "find", NULL, "found" },
		    { "verify", "found", "verified" },
		    { "dismiss", "found", "dismissed" },
		    { "correct", "verified", "corrected" },
		    { "recheck", "corrected", "rechecked" },
		    { "reopen", "corrected", "verified" } } },
		{ "village_team", "pending", { "pending", "set_up" },
		  { "set_up" },
		  { { "open", NULL, "pending" },
		    { "set_up", "pending", "set_up" } } },
		{ "village_summary", "pending", { "pending", "sent" },
		  { "sent" },
		  { { "open", NULL, "pending" },
		    { "send", "pending", "sent" } } },
	};

	for (size_t i = 0; i < nitems(want); i++) {
		size_t ns = 0, nf = 0, ne = 0;

		while (ns < nitems(want[i].states) && want[i].states[ns])
			ns++;
		while (nf < nitems(want[i].finals) && want[i].finals[nf])
			nf++;
		while (ne < nitems(want[i].edges) && want[i].edges[ne].event)
			ne++;
		check_exact(wf_find(set, want[i].wf), want[i].initial,
		    want[i].states, ns, want[i].finals, nf, want[i].edges, ne);
	}

	/* Deadlines and guards the brief names. */
	assert_string_equal(wf_state_find(wf_find(set, "marginal"),
	    "surveyed")->leave_by, "survey");
	assert_true(has_guard(wf_event_find(wf_find(set, "marginal"),
	    "survey", NULL), "income_below_marginal"));
	assert_true(has_guard(wf_event_find(wf_find(set, "marginal"),
	    "survey", NULL), "risk_named"));
	assert_true(has_guard(wf_event_find(wf_find(set, "marginal"),
	    "survey", NULL), "not_registered"));
	assert_true(has_guard(wf_event_find(wf_find(set, "monitoring"),
	    "assess", NULL), "is_lifted"));
	assert_string_equal(wf_state_find(wf_find(set, "village_team"),
	    "pending")->leave_by, "stage1");
	assert_string_equal(wf_state_find(wf_find(set, "village_summary"),
	    "pending")->leave_by, "summary");
	assert_string_equal(wf_state_find(wf_find(set, "rectify"),
	    "found")->leave_by, "verification");
	assert_string_equal(wf_event_find(wf_find(set, "rectify"), "correct",
	    "verified")->not_before, "correction");
	assert_false(wf_find(set, "rectify")->data_entry);
	assert_false(wf_event_find(wf_find(set, "marginal"), "analyse",
	    "city_reviewed")->data_entry);
	assert_true(wf_event_find(wf_find(set, "marginal"), "list",
	    "surveyed")->data_entry);
}

/* What each state owes, who must act, whether the lock stops it: derived
 * from the graph, never listed in code. */
static void
check_duty(const struct wf *w, const char *state, const char *owes,
    const char *party, int stops)
{
	struct wf_duty d;
	char got[256] = "";

	wf_state_duty(w, wf_state_find(w, state), &d);
	for (size_t i = 0; i < d.nowes; i++) {
		if (i > 0)
			strcat(got, " ");
		strcat(got, d.owes[i]);
	}
	if (strcmp(got, owes) != 0 || strcmp(d.party, party) != 0 ||
	    d.stops_at_lock != stops)
		fail_msg("%s.%s: owes '%s' party %s stops %d; want '%s' %s %d",
		    w->name, state, got, d.party, d.stops_at_lock, owes, party,
		    stops);
}

static void
test_duties(void **state)
{
	const struct wf_set *set = *state;
	const struct wf *x = wf_find(set, "exit");

	check_duty(x, "draft", "stage2 stage3 stage4 stage5 city_confirm",
	    "village", 1);
	check_duty(x, "village_notice", "stage3 stage4 stage5 city_confirm",
	    "village", 1);
	check_duty(x, "township_review", "stage4 stage5 city_confirm",
	    "township", 0);
	check_duty(x, "township_notice", "stage5 city_confirm", "township", 1);
	check_duty(x, "city_request", "city_confirm", "city", 0);
	check_duty(x, "exited", "", "village", 0);
	check_duty(wf_find(set, "rectify"), "found",
	    "verification correction recheck", "village", 0);
	check_duty(wf_find(set, "rectify"), "corrected", "recheck", "city", 0);
	check_duty(wf_find(set, "member"), "reported", "lock", "village", 1);
	check_duty(wf_find(set, "member"), "entered", "", "village", 0);
	check_duty(wf_find(set, "marginal"), "village_list", "survey",
	    "township", 1);
	check_duty(wf_find(set, "marginal"), "township_collected", "survey",
	    "city", 0);
}

static void
test_lookups(void **state)
{
	const struct wf *w = wf_find(*state, "exit");
	const struct wf_event *e;

	/* object goes back one step from either notice. */
	assert_string_equal(wf_event_find(w, "object", "village_notice")->to,
	    "draft");
	assert_string_equal(wf_event_find(w, "object", "township_notice")->to,
	    "township_review");
	assert_null(wf_event_find(w, "object", "draft"));
	assert_null(wf_event_find(w, "publish", NULL));
	assert_null(wf_event_find(w, "nonesuch", "draft"));
	assert_non_null(wf_event_find(w, "propose", ""));
	assert_true(wf_event_exists(w, "object"));
	assert_false(wf_event_exists(w, "nonesuch"));
	assert_null(wf_state_find(w, "nonesuch"));

	e = wf_event_find(w, "approve", "township_review");
	assert_true(wf_role_allowed(e, "township"));
	assert_true(wf_role_allowed(e, "admin"));
	assert_false(wf_role_allowed(e, "village"));
	assert_false(wf_role_allowed(e, "city"));
	assert_false(wf_role_allowed(e, "nonesuch"));
	assert_true(wf_role_valid("city"));
	assert_false(wf_role_valid("county"));
}

static void
test_guards(void **state)
{
	const struct wf_set *set = *state;
	size_t n;

	assert_non_null(wf_guard_describe("income_exit"));
	assert_non_null(strstr(wf_guard_params("income_exit"),
	    "exit_threshold"));
	assert_non_null(strstr(wf_guard_params("income_below_marginal"),
	    "marginal_threshold"));
	assert_string_equal(wf_guard_params("guarantees"), "");
	assert_null(wf_guard_describe("nonesuch"));
	assert_null(wf_guard_params("nonesuch"));
	for (n = 0; wf_guard_name(n) != NULL; n++)
		assert_non_null(wf_guard_describe(wf_guard_name(n)));
	assert_true(n >= 10);

	/* Every guard a shipped workflow names reads only campaign keys. */
	for (size_t i = 0; i < wf_count(set); i++) {
		const struct wf *w = wf_at(set, i);

		for (size_t k = 0; k < w->nevents; k++) {
			for (size_t g = 0; g < w->events[k].nguards; g++)
				assert_non_null(wf_guard_params(
				    w->events[k].guards[g]));
		}
	}
}

static void
test_notice_override(void **state)
{
	struct wf_set *set = *state;
	const struct wf *w = wf_find(set, "exit");

	wf_set_notice_min_days(set, 7);
	assert_int_equal(wf_campaign(set)->notice_min_days, 7);
	assert_int_equal(wf_state_find(w, "village_notice")->min_days, 7);
	assert_int_equal(wf_state_find(w, "draft")->min_days, -1);
	wf_set_notice_min_days(set, 5);
	assert_int_equal(wf_state_find(w, "township_notice")->min_days, 5);
}

static void
test_dot(void **state)
{
	const struct wf_set *set = *state;

	for (size_t i = 0; i < wf_count(set); i++) {
		const struct wf *w = wf_at(set, i);
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		assert_non_null(f);
		wf_dot(w, f);
		fclose(f);
		assert_non_null(strstr(buf, "digraph"));
		for (size_t k = 0; k < w->nstates; k++) {
			char *node = xasprintf("\t\"%s\" [",
			    w->states[k].name);

			if (strstr(buf, node) == NULL)
				fail_msg("%s: state %s missing from dot:\n%s",
				    w->name, w->states[k].name, buf);
			free(node);
		}
		for (size_t k = 0; k < w->nevents; k++)
			assert_non_null(strstr(buf, w->events[k].name));
		free(buf);
	}
}

static void
test_dot_details(void **state)
{
	const struct wf *w = wf_find(*state, "exit");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	wf_dot(w, f);
	fclose(f);
	assert_non_null(strstr(buf, "\"exited\" [label=\"exited\", "
	    "peripheries=2]"));
	assert_non_null(strstr(buf, "\"draft\" [label=\"draft\\nleave by "
	    "stage2\"]"));
	assert_non_null(strstr(buf, "\"village_notice\" [label=\""
	    "village_notice\\nleave by stage3\\nat least 5 days\"]"));
	assert_non_null(strstr(buf, "\"draft\" -> \"village_notice\" "
	    "[label=\"publish\\nroles: village\\nif income_exit, "
	    "guarantees, not_new_this_year\\ndata entry\"]"));
	assert_non_null(strstr(buf, "\"(create)\" -> \"draft\""));
	free(buf);
}

/*
 * One fixture per error class: the directory under tests/unit/data, the
 * errors expected (substrings holding file:line: key), and how many.
 */
struct bad {
	const char *dir;
	size_t count;
	const char *want[3];
};

static const struct bad bad_cases[] = {
	{ "wf-bad-unknown-state", 3,
	  { "/2019/x.wf:5: initial: unknown state 'nowhere'",
	    "/2019/x.wf:12: events.finish.to: unknown state 'c'",
	    "/2019/x.wf:13: events.skip.from: unknown state 'z'" } },
	{ "wf-bad-unreachable", 1,
	  { "/2019/x.wf:9: states.island: unreachable" } },
	{ "wf-bad-dead-end", 1,
	  { "/2019/x.wf:8: states.b: not final, yet no event leaves it" } },
	{ "wf-bad-final-from", 1,
	  { "/2019/x.wf:13: events.undo.from: 'b' is a final state" } },
	{ "wf-bad-duplicate-event", 1,
	  { "/2019/x.wf:14: events.finish.from: duplicate event: 'finish' "
	    "from 'a' already at line 13" } },
	{ "wf-bad-duplicate-state", 1,
	  { "/2019/x.wf:9: states.a: duplicate state (first at line 7)" } },
	{ "wf-bad-unknown-guard", 1,
	  { "/2019/x.wf:13: events.finish.guards: unknown guard "
	    "'income_exti'" } },
	{ "wf-bad-unknown-role", 1,
	  { "/2019/x.wf:12: events.finish.roles: unknown role 'county'" } },
	{ "wf-bad-deadline", 1,
	  { "/2019/x.wf:7: states.a.leave_by: no calendar item 'stage9'" } },
	{ "wf-bad-missing-key", 1,
	  { "/2019/x.wf:12: events.finish.to: missing" } },
	{ "wf-bad-wrong-type", 2,
	  { "/2019/x.wf:8: states.b.final: expected true or false",
	    "/2019/x.wf:12: events.finish.roles: expected an array of "
	    "strings" } },
	{ "wf-bad-unknown-key", 1,
	  { "/2019/x.wf:13: events.finish.gaurds: unknown key (did you "
	    "mean 'guards'?)" } },
	{ "wf-bad-syntax", 1,
	  { "/2019/x.wf:5: syntax error" } },
	{ "wf-bad-notice", 1,
	  { "/2019/x.wf:13: events.finish.guards: notice_min_days: state "
	    "'a' has no min_days" } },
	{ "wf-bad-campaign", 2,
	  { "/2019/campaign.conf:2: exit_threshold: missing",
	    "/2019/campaign.conf:9: notice_min_day: unknown key" } },
};

static void
test_bad(void **state)
{
	for (size_t i = 0; i < nitems(bad_cases); i++) {
		const struct bad *b = &bad_cases[i];
		char *rel = xasprintf("tests/unit/data/%s", b->dir);
		struct errlist errs;
		struct wf_set *set;

		errlist_init(&errs);
		set = load(rel, &errs);
		if (set != NULL)
			fail_msg("%s: loaded", b->dir);
		for (size_t k = 0; k < nitems(b->want) && b->want[k]; k++) {
			int found = 0;

			for (size_t j = 0; j < errs.count; j++)
				found |= strstr(errs.items[j], b->want[k]) !=
				    NULL;
			if (!found) {
				for (size_t j = 0; j < errs.count; j++)
					print_error("  %s\n", errs.items[j]);
				fail_msg("%s: no error \"%s\"", b->dir,
				    b->want[k]);
			}
		}
		if (errs.count != b->count) {
			for (size_t j = 0; j < errs.count; j++)
				print_error("  %s\n", errs.items[j]);
			fail_msg("%s: %zu errors, want %zu", b->dir,
			    errs.count, b->count);
		}
		errlist_free(&errs);
		free(rel);
	}
}

static void
test_missing_dir(void **state)
{
	struct errlist errs;

	errlist_init(&errs);
	assert_null(load("tests/unit/data/wf-nonesuch", &errs));
	assert_int_equal(errs.count, 2);
	assert_non_null(strstr(errs.items[0], "campaign.conf:0: "));
	assert_non_null(strstr(errs.items[1], "no workflow files"));
	errlist_free(&errs);
}

/* Loading the shipped set and freeing it again leaks nothing (under ASan)
 * and a NULL callback skips only the calendar check. */
static void
test_no_callback(void **state)
{
	struct errlist errs;
	char *dir = source_path("tests/unit/data/wf-bad-deadline");
	struct wf_set *set;

	errlist_init(&errs);
	set = wf_load(dir, "2019", NULL, NULL, &errs);
	assert_non_null(set);
	assert_int_equal(errs.count, 0);
	wf_free(set);
	wf_free(NULL);
	errlist_free(&errs);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest shipped[] = {
		cmocka_unit_test(test_shipped_campaign),
		cmocka_unit_test(test_shipped_names),
		cmocka_unit_test(test_exit_exact),
		cmocka_unit_test(test_inclusion_exact),
		cmocka_unit_test(test_other_workflows),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_duties),
		cmocka_unit_test(test_guards),
		cmocka_unit_test(test_notice_override),
		cmocka_unit_test(test_dot),
		cmocka_unit_test(test_dot_details),
	};
	const struct CMUnitTest files[] = {
		cmocka_unit_test(test_shipped_loads),
		cmocka_unit_test(test_shipped_with_calendar),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_missing_dir),
		cmocka_unit_test(test_no_callback),
	};
	int failed;

	failed = cmocka_run_group_tests_name("workflow files", files, NULL,
	    NULL);
	failed += cmocka_run_group_tests_name("shipped 2019 workflows", shipped,
	    shipped_setup, shipped_teardown);
	return failed != 0;
}
