/*
 * The documents each stage ends in: LIST (notice lists, the exit request,
 * inclusion, marginal, monitoring and problem lists) and TABLES (the
 * door-to-door verification tables), and the township's progress report,
 * REPORT. The database builds each document (sql/functions/92-lists.sql,
 * 90-report.sql); fupinctl renders it as CSV, HTML or xlsx.
 *
 * A document can be larger than one answer may be (control.max_output), so
 * it comes in pages: each answer holds the rows that fit in a quarter of
 * max_output (the rest is room for the header) and "next", the row the next page starts at (`LIST KIND
 * [VILLAGE] FROM N`), null on the last page.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "campaign.h"
#include "cmd.h"
#include "engine.h"
#include "fupind.h"
#include "isotime.h"
#include "workflow.h"

/* Kinds of LIST, as fupinctl(1) names them, with their Chinese names. */
static const struct {
	const char *name;
	const char *zh;
} list_kinds[] = {
	{ "village-notice", "村级公示" },
	{ "township-notice", "镇级公示" },
	{ "exit-request", "退出请示" },
	{ "inclusion", "纳入" },
	{ "marginal", "边缘户" },
	{ "monitoring", "监测户" },
	{ "problems", "问题清单" },
};

extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_tables_entry;
extern const struct cmd_entry cmd_report_entry;

/* What REPORT lists at most: the oldest overdue items, the newest alerts. */
#define REPORT_MAX_OVERDUE 300
#define REPORT_MAX_ALERTS 400

static const char *
list_kind(const char *word)
{
	for (size_t i = 0; i < sizeof(list_kinds) / sizeof(list_kinds[0]); i++)
		if (strcasecmp(word, list_kinds[i].name) == 0 ||
		    strcmp(word, list_kinds[i].zh) == 0)
			return list_kinds[i].name;
	return NULL;
}

static void
add_labels(json_t *o, const struct wf_label *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, l[i].name, json_string(l[i].title));
}

/* An answer the socket would not queue for the client is refused whole,
 * rather than cutting the client off mid-document. */
static void
page_filter(struct client *c, json_t *answer)
{
	char *text = json_dumps(answer, JSON_COMPACT);
	size_t len = text ? strlen(text) : 0;

	free(text);
	if (len >= (size_t)fupind->cfg->control_max_output) {
		json_decref(answer);
		client_error(c, "too_large",
		    "one row of this document is %zu bytes, more than "
		    "control.max_output allows; raise it", len);
		return;
	}
	client_reply(c, answer);
}

/*
 * Words after the verb: [VILLAGE] [FROM N]. The village a village client
 * may see is its own; others see what they ask for (NULL: the township).
 * 0, or -1 after answering the error.
 */
static int
parse_scope(struct client *c, const struct cmd_entry *cmd, int argc,
    char **argv, const char **village, long *from)
{
	char *end;

	*village = NULL;
	*from = 0;
	if (argc >= 2 && strcasecmp(argv[argc - 2], "FROM") == 0) {
		*from = strtol(argv[argc - 1], &end, 10);
		if (*end != '\0' || *from < 0 || *from > 100000000) {
			client_error(c, "usage", "FROM wants a row number, not "
			    "\"%.40s\"", argv[argc - 1]);
			return -1;
		}
		argc -= 2;
	}
	if (argc > 1) {
		client_error(c, "usage", "usage: %s", cmd->usage);
		return -1;
	}
	if (argc == 1)
		*village = argv[0];
	if (c->role == ROLE_VILLAGE) {
		if (*village != NULL && strcmp(*village, c->village) != 0) {
			client_error(c, "forbidden",
			    "you may see village %s only, not %.64s", c->village,
			    *village);
			return -1;
		}
		*village = c->village;
	}
	return 0;
}

static void
ask_document(struct client *c, const char *function, const char *kind,
    const char *village, long from)
{
	const struct wf_campaign *wc = wf_campaign(fupind->campaign->wf);
	long long budget = fupind->cfg->control_max_output / 4;
	char now[ISO_BUFSIZE], *sql, *text;
	const char *params[1];
	json_t *p, *labels = json_object();

	add_labels(labels, wc->relapse_reasons, wc->nrelapse_reasons);
	add_labels(labels, wc->marginal_risks, wc->nmarginal_risks);
	add_labels(labels, wc->monitoring_risks, wc->nmonitoring_risks);
	p = json_pack("{s:s, s:s?, s:s?, s:s, s:I, s:I, s:o}", "campaign",
	    fupind->campaign->name, "kind", kind, "village", village, "now",
	    iso_format(clock_now(fupind->clock), ISO_SHANGHAI_OFFSET, now,
		sizeof(now)),
	    "from", (json_int_t)from, "budget",
	    (json_int_t)(budget < 1024 ? 1024 : budget), "labels", labels);
	text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	if (text == NULL) {
		client_error(c, "internal", "cannot encode the request");
		return;
	}
	params[0] = text;
	sql = xasprintf("SELECT fupin.%s($1::jsonb)::text", function);
	engine_call_sql(c, sql, 1, params, page_filter, NULL);
	free(sql);
	free(text);
}

static void
cmd_list_document(struct client *c, struct cmd_args *a)
{
	const char *kind = list_kind(a->argv[1]), *village;
	long from;

	if (kind == NULL) {
		client_error(c, "usage", "no list \"%.40s\"; lists: "
		    "village-notice, township-notice, exit-request, inclusion, "
		    "marginal, monitoring, problems", a->argv[1]);
		return;
	}
	if (parse_scope(c, &cmd_list_entry, a->argc - 2, a->argv + 2, &village,
		&from) < 0)
		return;
	ask_document(c, "list_document", kind, village, from);
}

const struct cmd_entry cmd_list_entry = {
	.name = "LIST",
	.args = { 1, 4 },
	.role = ROLE_VILLAGE,
	.exec = cmd_list_document,
	.usage = "LIST KIND [VILLAGE] [FROM N]",
	.example = "LIST village-notice V01",
	.help = "a document: village-notice, township-notice, exit-request, "
	    "inclusion, marginal, monitoring or problems list; in pages "
	    "(\"next\": the row to ask FROM)",
};

static void
cmd_tables(struct client *c, struct cmd_args *a)
{
	const char *village;
	long from;

	if (parse_scope(c, &cmd_tables_entry, a->argc - 1, a->argv + 1,
		&village, &from) < 0)
		return;
	ask_document(c, "tables_document", NULL, village, from);
}

const struct cmd_entry cmd_tables_entry = {
	.name = "TABLES",
	.args = { 0, 3 },
	.role = ROLE_VILLAGE,
	.exec = cmd_tables,
	.usage = "TABLES [VILLAGE] [FROM N]",
	.example = "TABLES V01",
	.help = "the verification tables (对照表), a household per row; in "
	    "pages (\"next\": the row to ask FROM)",
};

/*
 * REPORT [VILLAGE] [FROM N]: the progress report fupinctl report renders.
 * The township, city and admin see every village (or the one they name);
 * a village sees a report of its own village only: its figures, its
 * overdue work and its alerts, never another village's.
 */
static void
cmd_report(struct client *c, struct cmd_args *a)
{
	long long budget = fupind->cfg->control_max_output / 4;
	const char *village, *params[1];
	char now[ISO_BUFSIZE], *text;
	long from;
	json_t *p;

	if (parse_scope(c, &cmd_report_entry, a->argc - 1, a->argv + 1,
		&village, &from) < 0)
		return;
	p = json_pack("{s:s, s:s?, s:s, s:I, s:I, s:i, s:i}", "campaign",
	    fupind->campaign->name, "village", village, "now",
	    iso_format(clock_now(fupind->clock), ISO_SHANGHAI_OFFSET, now,
		sizeof(now)),
	    "from", (json_int_t)from, "budget",
	    (json_int_t)(budget < 1024 ? 1024 : budget), "max_overdue",
	    REPORT_MAX_OVERDUE, "max_alerts", REPORT_MAX_ALERTS);
	text = p ? json_dumps(p, JSON_COMPACT) : NULL;
	json_decref(p);
	if (text == NULL) {
		client_error(c, "internal", "cannot encode the request");
		return;
	}
	params[0] = text;
	engine_call_sql(c, "SELECT fupin.report_page($1::jsonb)::text", 1,
	    params, page_filter, NULL);
	free(text);
}

const struct cmd_entry cmd_report_entry = {
	.name = "REPORT",
	.args = { 0, 3 },
	.role = ROLE_VILLAGE,
	.exec = cmd_report,
	.usage = "REPORT [VILLAGE] [FROM N]",
	.example = "REPORT",
	.help = "the progress report: the calendar, per village its figures "
	    "per deadline, the oldest overdue work and the newest alerts (a "
	    "village: its own only); in pages (\"next\": the row to ask FROM)",
};
