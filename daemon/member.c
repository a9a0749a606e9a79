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
#include "cmd.h"
#include "codemap.h"
#include "engine.h"
#include "fupind.h"
#include "isotime.h"
#include "workflow.h"

#define MEMBER_WORKFLOW "member"

extern const struct cmd_entry cmd_member_entry;

/* {form: code} of a campaign code list (common/codemap.h), as fupinctl
 * import builds it, so that MEMBER and an import store the same codes. */
static json_t *
codes_json(const struct wf_label *l, size_t n)
{
	json_t *map = json_object();

	for (size_t i = 0; i < n; i++) {
		codemap_add_titled(map, l[i].name, l[i].title);
		for (size_t k = 0; k < l[i].naliases; k++)
			codemap_add(map, l[i].aliases[k], l[i].name);
	}
	return map;
}

static void
cmd_member(struct client *c, struct cmd_args *a)
{
	const struct wf_campaign *wc = wf_campaign(fupind->campaign->wf);
	json_t *codes;
	const struct wf *w = wf_find(fupind->campaign->wf, MEMBER_WORKFLOW);
	const struct wf_event *creating;
	const char *event, *params[1];
	char now[ISO_BUFSIZE], lockbuf[ISO_BUFSIZE], *text, *metric;
	long long lock_at = engine_lock_moment();
	json_t *p, *applies_to;
	int add;

	if (strcasecmp(a->argv[2], "ADD") == 0 && a->argc >= 7)
		add = 1;
	else if (strcasecmp(a->argv[2], "REMOVE") == 0 && a->argc >= 6)
		add = 0;
	else {
		client_error(c, "usage", "usage: %s", cmd_member_entry.usage);
		return;
	}
	if (w == NULL) {
		client_error(c, "unknown", "campaign %s has no %s workflow",
		    fupind->campaign->name, MEMBER_WORKFLOW);
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
		    "%s", role_mask_text(creating->roles, roles,
			sizeof(roles)), role_name(c->role));
		return;
	}

	applies_to = json_array();
	for (size_t i = 0; i < w->napplies_to; i++)
		json_array_append_new(applies_to,
		    json_string(w->applies_to[i]));
	p = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:{}, s:[]}",
	    "campaign", fupind->campaign->name, "change",
	    add ? "increase" : "decrease", "household", a->argv[1],
	    "person_id", a->argv[3], "entries",
	    engine_event_entries(w, event, role_name(c->role)), "actor",
	    c->principal, "role",
	    role_name(c->role), "now",
	    iso_format(clock_now(fupind->clock), ISO_SHANGHAI_OFFSET, now,
		sizeof(now)),
	    "min_days", "final");
	json_object_set_new(p, "applies_to", w->napplies_to ? applies_to :
	    json_null());
	if (!w->napplies_to)
		json_decref(applies_to);
	json_object_set_new(p, "lock_at", lock_at == INT64_MIN ? json_null() :
	    json_string(iso_format(lock_at, ISO_SHANGHAI_OFFSET, lockbuf,
		sizeof(lockbuf))));
	json_object_set_new(p, "village", c->role == ROLE_VILLAGE ?
	    json_string(c->village) : json_null());
	/* A list that is absent leaves its field free text. */
	codes = json_object();
	if (wc->nrelations > 0)
		json_object_set_new(codes, "relation",
		    codes_json(wc->relations, wc->nrelations));
	if (wc->nchange_reasons > 0)
		json_object_set_new(codes, "change_reason",
		    codes_json(wc->change_reasons, wc->nchange_reasons));
	json_object_set_new(p, "codes", codes);
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
	    params, NULL, metric);
	free(metric);
	free(text);
}

const struct cmd_entry cmd_member_entry = {
	.name = "MEMBER",
	.args = { 4, -1 },
	.role = ROLE_VILLAGE,
	.exec = cmd_member,
	.example = "MEMBER V01-0080 ADD 533103201910150019 岩温 子女 2019-10-15 出生",
	.usage = "MEMBER HOUSEHOLD ADD PERSON_ID NAME RELATION BIRTH_DATE [REASON] "
	    "| MEMBER HOUSEHOLD REMOVE PERSON_ID DATE REASON",
	.help = "record a natural member change (birth, marriage, death); it is "
	    "then reported: ADVANCE HOUSEHOLD/PERSON_ID member enter",
};
