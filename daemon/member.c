/*
 * MEMBER: natural member changes of a household (家庭成员自然增加/减少).
 *
 *   MEMBER HOUSEHOLD ADD PERSON_ID NAME RELATION BIRTH_DATE [REASON]
 *   MEMBER HOUSEHOLD REMOVE PERSON_ID DATE REASON
 *
 * One statement, fupin.member_change (sql/002_engine.sql), checks the
 * person id (GB 11643: format, check character, embedded birth date,
 * unique across households), writes the member and the household's size,
 * and moves the household's `member` procedure for that person to
 * reported through report_increase / report_decrease, with its audit row,
 * in one transaction. As for ADVANCE, C sends what the workflow files say
 * (the event's entries and who may send them, the data-entry lock) and
 * the database decides against its current data.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "calendar.h"
#include "campaign.h"
#include "cmd_verbs.h"
#include "engine.h"
#include "fupind.h"
#include "isotime.h"
#include "workflow.h"

#define MEMBER_WORKFLOW "member"

static const char *const member_usage =
    "usage: MEMBER HOUSEHOLD ADD PERSON_ID NAME RELATION BIRTH_DATE "
    "[REASON] | MEMBER HOUSEHOLD REMOVE PERSON_ID DATE REASON";

/* Who may send an entry, for the refusal's message. */
static const char *
member_roles_text(unsigned roles, char *buf, size_t len)
{
	buf[0] = '\0';
	if (roles & WF_ROLE_VILLAGE)
		strlcpy_safe(buf, "village", len);
	if (roles & WF_ROLE_TOWNSHIP) {
		if (buf[0] != '\0')
			strncat(buf, ", ", len - strlen(buf) - 1);
		strncat(buf, "township", len - strlen(buf) - 1);
	}
	if (roles & WF_ROLE_CITY) {
		if (buf[0] != '\0')
			strncat(buf, ", ", len - strlen(buf) - 1);
		strncat(buf, "city", len - strlen(buf) - 1);
	}
	if (buf[0] == '\0')
		strlcpy_safe(buf, "admin", len);
	return buf;
}

/* Every entry of the member workflow's event, keyed by its from state
 * ("" for the creating entry), in the shape fupin.advance reads. */
static json_t *
member_entries(const struct wf *w, const char *event, enum role role)
{
	json_t *entries = json_object();
	char roles[64];

	for (size_t i = 0; i < w->nevents; i++) {
		const struct wf_event *ev = &w->events[i];
		json_t *guards = json_array(), *e;

		if (strcmp(ev->name, event) != 0)
			continue;
		for (size_t k = 0; k < ev->nguards; k++)
			json_array_append_new(guards,
			    json_string(ev->guards[k]));
		e = json_pack("{s:s, s:o, s:b, s:b, s:b, s:s}", "to", ev->to,
		    "guards", guards, "note", ev->note, "data_entry",
		    ev->data_entry, "allowed",
		    wf_role_allowed(ev, role_name(role)), "roles",
		    member_roles_text(ev->roles, roles, sizeof(roles)));
		if (ev->nfrom == 0)
			json_object_set(entries, "", e);
		for (size_t k = 0; k < ev->nfrom; k++)
			json_object_set(entries, ev->from[k], e);
		json_decref(e);
	}
	return entries;
}

/* The data-entry lock as ISO text in buf, or NULL when there is none. */
static const char *
member_lock_at(char *buf)
{
	const struct wf_campaign *wc = wf_campaign(fp->campaign->wf);
	const struct cal_item *it;

	if (wc->data_entry_lock == NULL)
		return NULL;
	it = cal_find(fp->campaign->cal, wc->data_entry_lock);
	if (it == NULL)
		return NULL;
	return iso_format(it->due, ISO_SHANGHAI_OFFSET, buf, ISO_BUFSIZE);
}

void
cmd_member(struct client *c, struct cmd_args *a)
{
	const struct wf *w = wf_find(fp->campaign->wf, MEMBER_WORKFLOW);
	const struct wf_event *creating;
	const char *event, *lock, *params[1];
	char now[ISO_BUFSIZE], lockbuf[ISO_BUFSIZE], *text, *metric;
	json_t *p, *applies_to;
	int add;

	if (strcasecmp(a->argv[2], "ADD") == 0 && a->argc >= 7)
		add = 1;
	else if (strcasecmp(a->argv[2], "REMOVE") == 0 && a->argc >= 6)
		add = 0;
	else {
		client_error(c, "usage", "%s", member_usage);
		return;
	}
	if (w == NULL) {
		client_error(c, "unknown", "campaign %s has no %s workflow",
		    fp->campaign->name, MEMBER_WORKFLOW);
		return;
	}
	event = add ? "report_increase" : "report_decrease";
	creating = wf_event_find(w, event, NULL);
	if (creating == NULL) {
		client_error(c, "unknown", "workflow %s has no event %s",
		    w->name, event);
		return;
	}
	/* Refused before anything is checked against the register. */
	if (!wf_role_allowed(creating, role_name(c->role))) {
		char roles[64];

		client_error(c, "forbidden", "member changes are for %s; you are "
		    "%s", member_roles_text(creating->roles, roles,
			sizeof(roles)), role_name(c->role));
		return;
	}

	applies_to = json_array();
	for (size_t i = 0; i < w->napplies_to; i++)
		json_array_append_new(applies_to,
		    json_string(w->applies_to[i]));
	p = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:{}, s:[]}",
	    "campaign", fp->campaign->name, "change",
	    add ? "increase" : "decrease", "household", a->argv[1],
	    "person_id", a->argv[3], "entries",
	    member_entries(w, event, c->role), "actor", c->principal, "role",
	    role_name(c->role), "now",
	    iso_format(clock_now(fp->clock), ISO_SHANGHAI_OFFSET, now,
		sizeof(now)),
	    "min_days", "final");
	json_object_set_new(p, "applies_to", w->napplies_to ? applies_to :
	    json_null());
	if (!w->napplies_to)
		json_decref(applies_to);
	lock = member_lock_at(lockbuf);
	json_object_set_new(p, "lock_at", lock ? json_string(lock) :
	    json_null());
	json_object_set_new(p, "village", c->role == ROLE_VILLAGE ?
	    json_string(c->village) : json_null());
	if (add) {
		json_object_set_new(p, "name", json_string(a->argv[4]));
		json_object_set_new(p, "relation", json_string(a->argv[5]));
		json_object_set_new(p, "birth_date", json_string(a->argv[6]));
		json_object_set_new(p, "reason", a->argc > 7 ?
		    json_string(a->rest[7]) : json_null());
	} else {
		json_object_set_new(p, "date", json_string(a->argv[4]));
		json_object_set_new(p, "reason", json_string(a->rest[5]));
	}
	text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	if (text == NULL) {
		client_error(c, "internal", "cannot encode the request");
		return;
	}
	params[0] = text;
	metric = xasprintf("%s/%s", w->name, event);
	engine_call_sql(c, "SELECT fupin.member_change($1::jsonb)::text", 1,
	    params, metric);
	free(metric);
	free(text);
}
