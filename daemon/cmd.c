/*
 * The command table (see cmd.h), the dispatcher, and the verbs that need
 * nothing but the daemon's own state: PING, NOW, HELP, QUIT, AUTH, CLOCK,
 * CONFIG, METRICS. Verbs that ask the database are defined with their
 * subsystem and go through engine_call_sql.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "campaign.h"
#include "cmd.h"
#include "deadline.h"
#include "engine.h"
#include "isotime.h"
#include "leader.h"
#include "log.h"
#include "metrics.h"
#include "suggest.h"

extern const struct cmd_entry cmd_ping_entry;
extern const struct cmd_entry cmd_now_entry;
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_quit_entry;
extern const struct cmd_entry cmd_auth_entry;
extern const struct cmd_entry cmd_calendar_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_overdue_entry;
extern const struct cmd_entry cmd_candidates_entry;
extern const struct cmd_entry cmd_household_entry;
extern const struct cmd_entry cmd_advance_entry;
extern const struct cmd_entry cmd_member_entry;
extern const struct cmd_entry cmd_analyze_entry;
extern const struct cmd_entry cmd_problems_entry;
extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_tables_entry;
extern const struct cmd_entry cmd_report_entry;
extern const struct cmd_entry cmd_import_entry;
extern const struct cmd_entry cmd_alerts_entry;
extern const struct cmd_entry cmd_extend_entry;
extern const struct cmd_entry cmd_clock_entry;
extern const struct cmd_entry cmd_config_entry;
extern const struct cmd_entry cmd_metrics_entry;

const struct cmd_entry *const cmd_table[] = {
	&cmd_ping_entry,
	&cmd_now_entry,
	&cmd_help_entry,
	&cmd_quit_entry,
	&cmd_auth_entry,
	&cmd_calendar_entry,
	&cmd_status_entry,
	&cmd_overdue_entry,
	&cmd_candidates_entry,
	&cmd_household_entry,
	&cmd_advance_entry,
	&cmd_member_entry,
	&cmd_analyze_entry,
	&cmd_problems_entry,
	&cmd_list_entry,
	&cmd_tables_entry,
	&cmd_report_entry,
	&cmd_import_entry,
	&cmd_alerts_entry,
	&cmd_extend_entry,
	&cmd_clock_entry,
	&cmd_config_entry,
	&cmd_metrics_entry,
	NULL
};

const struct cmd_entry *
cmd_find(const char *verb)
{
	for (size_t i = 0; cmd_table[i] != NULL; i++)
		if (strcasecmp(cmd_table[i]->name, verb) == 0)
			return cmd_table[i];
	return NULL;
}

void
cmd_list(FILE *f)
{
	for (size_t i = 0; cmd_table[i] != NULL; i++)
		fprintf(f, "%s\t%s\t%s\n", cmd_table[i]->name,
		    role_name(cmd_table[i]->role), cmd_table[i]->usage);
}

#define SUGGEST_MAX 3

void
cmd_reply_unknown(struct client *c, const char *code, const char *what,
    const char *word, const char *const *choices, size_t n, int list_all,
    const char *hint)
{
	size_t close[SUGGEST_MAX], nclose;
	json_t *dym = json_array(), *all = json_array();
	char *msg, *t;

	nclose = suggest_closest(word, choices, n, close, SUGGEST_MAX);
	msg = xasprintf("unknown %s \"%.64s\"", what, word);
	for (size_t i = 0; i < nclose; i++) {
		json_array_append_new(dym, json_string(choices[close[i]]));
		t = xasprintf("%s%s%s", msg, i == 0 ? "; did you mean " :
		    i + 1 == nclose ? " or " : ", ", choices[close[i]]);
		free(msg);
		msg = t;
	}
	if (nclose > 0) {
		t = xasprintf("%s?", msg);
		free(msg);
		msg = t;
	}
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(all, json_string(choices[i]));
		if (!list_all)
			continue;
		t = xasprintf("%s%s%s", msg, i == 0 ? " (one of: " : ", ",
		    choices[i]);
		free(msg);
		msg = t;
	}
	if (list_all && n > 0) {
		t = xasprintf("%s)", msg);
		free(msg);
		msg = t;
	}
	if (hint != NULL) {
		t = xasprintf("%s%s%s", msg,
		    msg[strlen(msg) - 1] == '?' ? " " : "; ", hint);
		free(msg);
		msg = t;
	}
	client_reply(c, json_pack("{s:b, s:s, s:s, s:o, s:o}", "ok", 0, "error",
			    code, "message", msg, "did_you_mean", dym, "choices",
			    all));
	free(msg);
}

static const char **visible_verbs(struct client *c, size_t *n);

/* Refuse an unknown verb, suggesting among those c may use. */
static void
unknown_verb(struct client *c, const char *verb)
{
	size_t n;
	const char **names = visible_verbs(c, &n);

	cmd_reply_unknown(c, "unknown", "verb", verb, names, n, 0,
	    "HELP lists the verbs you may use");
	free(names);
}

/* What a TCP client may do before AUTH. */
static int
before_auth(const struct cmd_entry *cmd)
{
	return (cmd->flags & CMD_BEFORE_AUTH) != 0;
}

void
cmd_dispatch(struct client *c, char *line)
{
	struct cmd_args args;
	const struct cmd_entry *cmd;
	char verb[16];
	size_t skip = strspn(line, " \t"), n = strcspn(line + skip, " \t");
	int rc;

	/* A verb whose last word is the rest of the line (IMPORT ROWS and
	 * its JSON) is split no further. */
	snprintf(verb, sizeof(verb), "%.*s", (int)(n < sizeof(verb) ? n : 0),
	    line + skip);
	cmd = cmd_find(verb);
	if (cmd != NULL && (cmd->flags & CMD_REST_OF_LINE))
		rc = cmd_split_rest(line, &args, cmd->args.upper + 1);
	else
		rc = cmd_split(line, &args);

	if (rc == -1) {
		c->verb = "?";
		client_error(c, "usage", "too many words (at most %d)",
		    CMD_MAX_ARGS);
		goto done;
	}
	if (rc == -2) {
		c->verb = "?";
		client_error(c, "usage", "empty request; try HELP");
		goto done;
	}
	cmd = cmd_find(args.argv[0]);
	if (cmd == NULL) {
		c->verb = "?";
		unknown_verb(c, args.argv[0]);
		goto done;
	}
	c->verb = cmd->name;
	if (c->tcp && c->role == ROLE_NONE && !before_auth(cmd)) {
		client_error(c, "forbidden",
		    "send AUTH TOKEN first (%s needs the %s role)", cmd->name,
		    role_name(cmd->role > ROLE_VILLAGE ? cmd->role :
							 ROLE_VILLAGE));
		goto done;
	}
	if (c->role < cmd->role) {
		client_error(c, "forbidden", "%s needs the %s role; you are %s",
		    cmd->name, role_name(cmd->role), role_name(c->role));
		goto done;
	}
	if (args.argc - 1 < cmd->args.lower ||
	    (cmd->args.upper >= 0 && args.argc - 1 > cmd->args.upper)) {
		char want[48];

		if (cmd->args.upper < 0)
			snprintf(want, sizeof(want), "at least %d",
			    cmd->args.lower);
		else if (cmd->args.lower == cmd->args.upper)
			snprintf(want, sizeof(want), "%d", cmd->args.lower);
		else
			snprintf(want, sizeof(want), "%d to %d",
			    cmd->args.lower, cmd->args.upper);
		client_error(c, "usage", "%s takes %s word%s after the verb, "
		    "not %d; usage: %s; e.g. %s", cmd->name, want,
		    cmd->args.upper == 1 && cmd->args.lower == 1 ? "" : "s",
		    args.argc - 1, cmd->usage, cmd->example);
		goto done;
	}
	log_debug("control: client %llu (%s): %s", (unsigned long long)c->id,
	    c->principal, cmd->name);
	/* Handlers copy what they keep: args dies when we return. */
	cmd->exec(c, &args);
done:
	/* The line may hold a token: leave no copy behind. */
	explicit_bzero(args.copy, strlen(args.copy));
	free(args.copy);
}

/* The daemon's health, as PING and METRICS tell it: database (up,
 * connecting, down, read-only), schema, campaign (stored, failed,
 * pending), healthy and, when not, why. */
static void
add_health(json_t *o)
{
	char why[512];
	int healthy = engine_health(why, sizeof(why));

	json_object_set_new(o, "database",
	    json_string(db_state_name(fupind->db)));
	json_object_set_new(o, "schema", json_boolean(fupind->schema_ok));
	json_object_set_new(o, "campaign",
	    json_string(engine_campaign_state()));
	json_object_set_new(o, "healthy", json_boolean(healthy));
	if (!healthy)
		json_object_set_new(o, "problem", json_string(why));
	/* Several daemons on one database: does this one sweep and deliver? */
	json_object_set_new(o, "background",
	    json_string(leader_state_name()));
}

static void
cmd_ping(struct client *c, struct cmd_args *a)
{
	json_t *o = json_pack("{s:b, s:s}", "ok", 1, "role", role_name(c->role));

	add_health(o);
	client_reply(c, o);
}

const struct cmd_entry cmd_ping_entry = {
	.name = "PING",
	.args = { 0, 0 },
	.role = ROLE_NONE,
	.flags = CMD_BEFORE_AUTH,
	.exec = cmd_ping,
	.example = "PING",
	.usage = "PING",
	.help = "is the daemon alive; also the database state",
};

static void
cmd_now(struct client *c, struct cmd_args *a)
{
	char buf[ISO_BUFSIZE];

	client_reply(c, json_pack("{s:b, s:s, s:s}", "ok", 1, "now",
			    iso_format(clock_now(fupind->clock),
				ISO_SHANGHAI_OFFSET, buf, sizeof(buf)),
			    "clock", clock_mode_name(fupind->clock)));
}

const struct cmd_entry cmd_now_entry = {
	.name = "NOW",
	.args = { 0, 0 },
	.role = ROLE_NONE,
	.exec = cmd_now,
	.example = "NOW",
	.usage = "NOW",
	.help = "the daemon's clock",
};

static int
may_use(struct client *c, const struct cmd_entry *cmd)
{
	return c->role >= cmd->role &&
	    !(c->tcp && c->role == ROLE_NONE && !before_auth(cmd));
}

/* The verbs c may use, in HELP's order; caller frees the array. */
static const char **
visible_verbs(struct client *c, size_t *n)
{
	const char **names = xcalloc(nitems(cmd_table), sizeof(*names));

	*n = 0;
	for (size_t i = 0; cmd_table[i] != NULL; i++)
		if (may_use(c, cmd_table[i]))
			names[(*n)++] = cmd_table[i]->name;
	return names;
}

static void
cmd_help(struct client *c, struct cmd_args *a)
{
	json_t *verbs;

	if (a->argc >= 2) {
		const struct cmd_entry *cmd = cmd_find(a->argv[1]);
		json_t *o;

		if (cmd == NULL) {
			unknown_verb(c, a->argv[1]);
			return;
		}
		if (a->argc == 3 && cmd != &cmd_advance_entry) {
			client_error(c, "usage", "HELP %s takes nothing more; "
			    "only HELP ADVANCE takes a household (HELP ADVANCE "
			    "H0001: the steps it may take now)", cmd->name);
			return;
		}
		if (a->argc == 3) {
			engine_help_advance(c, a->argv[2]);
			return;
		}
		o = json_pack("{s:b, s:s, s:s, s:s, s:s, s:s}", "ok", 1, "verb",
		    cmd->name, "usage", cmd->usage, "help", cmd->help, "role",
		    role_name(cmd->role), "example", cmd->example);
		if (cmd == &cmd_advance_entry)
			json_object_set_new(o, "workflows",
			    engine_workflows_json());
		client_reply(c, o);
		return;
	}
	verbs = json_array();
	for (size_t i = 0; cmd_table[i] != NULL; i++) {
		const struct cmd_entry *cmd = cmd_table[i];

		if (!may_use(c, cmd))
			continue;
		json_array_append_new(verbs,
		    json_pack("{s:s, s:s, s:s, s:s}", "verb", cmd->name, "usage",
			cmd->usage, "help", cmd->help, "example", cmd->example));
	}
	client_reply(c, json_pack("{s:b, s:s, s:o}", "ok", 1, "role",
			    role_name(c->role), "verbs", verbs));
}

const struct cmd_entry cmd_help_entry = {
	.name = "HELP",
	.args = { 0, 2 },
	.role = ROLE_NONE,
	.flags = CMD_BEFORE_AUTH,
	.exec = cmd_help,
	.example = "HELP ADVANCE V01-0080",
	.usage = "HELP [VERB] | HELP ADVANCE [HOUSEHOLD]",
	.help = "the verbs you may use; one verb's usage and an example; "
	    "HELP ADVANCE: every workflow's events, or those a household may "
	    "take now",
};

static void
cmd_quit(struct client *c, struct cmd_args *a)
{
	c->quitting = 1;
	client_reply(c, json_pack("{s:b}", "ok", 1));
}

const struct cmd_entry cmd_quit_entry = {
	.name = "QUIT",
	.args = { 0, 0 },
	.role = ROLE_NONE,
	.flags = CMD_BEFORE_AUTH,
	.exec = cmd_quit,
	.example = "QUIT",
	.usage = "QUIT",
	.help = "close the connection",
};

static void
cmd_clock(struct client *c, struct cmd_args *a)
{
	char buf[ISO_BUFSIZE];
	int64_t t;

	if (clock_mode(fupind->clock) != CLOCK_MANUAL) {
		client_error(c, "clock",
		    "the clock is %s; CLOCK works on a manual clock only",
		    clock_mode_name(fupind->clock));
		return;
	}
	if (strcasecmp(a->argv[1], "ADVANCE") == 0) {
		int64_t d = parse_duration(a->argv[2]);

		if (d < 0) {
			client_error(c, "usage",
			    "\"%.40s\" is not a duration (30m, 6h, 2d)",
			    a->argv[2]);
			return;
		}
		t = clock_now(fupind->clock) + d;
	} else if (strcasecmp(a->argv[1], "SET") == 0) {
		if (iso_parse(a->argv[2], ISO_SHANGHAI_OFFSET, &t) < 0) {
			client_error(c, "usage",
			    "\"%.40s\" is not an ISO 8601 moment", a->argv[2]);
			return;
		}
	} else {
		client_error(c, "usage",
		    "usage: CLOCK ADVANCE DURATION | CLOCK SET ISO");
		return;
	}
	if (clock_set(fupind->clock, t) < 0) {
		client_error(c, "clock", "the clock never goes back (now %s)",
		    iso_format(clock_now(fupind->clock), ISO_SHANGHAI_OFFSET, buf,
			sizeof(buf)));
		return;
	}
	log_info("clock: set to %s by %s",
	    iso_format(t, ISO_SHANGHAI_OFFSET, buf, sizeof(buf)), c->principal);
	/* Answer once the alerts due by the new moment are in the outbox,
	 * so that a script's next request sees them. */
	deadline_reply_after_sweep(c, json_pack("{s:b, s:s}", "ok", 1, "now",
					  buf));
}

const struct cmd_entry cmd_clock_entry = {
	.name = "CLOCK",
	.args = { 2, 2 },
	.role = ROLE_ADMIN,
	.exec = cmd_clock,
	.example = "CLOCK ADVANCE 2d",
	.usage = "CLOCK ADVANCE DURATION | CLOCK SET ISO",
	.help = "move the manual clock forward (30m, 6h, 2d) or to a moment",
};

static void
cmd_config(struct client *c, struct cmd_args *a)
{
	json_t *items = json_array();
	struct config_row row;

	for (size_t i = 0; config_row(fupind->cfg, i, &row); i++)
		json_array_append_new(items,
		    json_pack("{s:s, s:s, s:s, s:s, s:b}", "name", row.name,
			"value", row.value, "default", row.def, "type",
			row.type, "reloadable", row.reloadable));
	client_reply(c, json_pack("{s:b, s:s, s:o}", "ok", 1, "file",
			    fupind->cfg->path, "settings", items));
}

const struct cmd_entry cmd_config_entry = {
	.name = "CONFIG",
	.args = { 0, 0 },
	.role = ROLE_ADMIN,
	.exec = cmd_config,
	.example = "CONFIG",
	.usage = "CONFIG",
	.help = "every setting: value, default, reloadable",
};

static void
metrics_answer(void *arg)
{
	struct client *c = arg;
	json_t *m = metrics_json();

	json_object_set_new(m, "ok", json_true());
	add_health(m);
	client_reply(c, m);
}

/* A village's METRICS: the daemon's counters, and the campaign gauges of
 * its own village only (answer is {"overdue": ..., "alerts": ...}). */
static void
metrics_village_answer(struct client *c, json_t *answer)
{
	json_t *m = metrics_json_without_campaign();
	json_t *gauges = json_object_get(m, "gauges");

	json_object_set(gauges, "overdue_households",
	    json_object_get(answer, "overdue"));
	json_object_set(gauges, "alerts", json_object_get(answer, "alerts"));
	json_decref(answer);
	json_object_set_new(m, "ok", json_true());
	json_object_set_new(m, "village", json_string(c->village));
	add_health(m);
	client_reply(c, m);
}

static void
cmd_metrics(struct client *c, struct cmd_args *a)
{
	if (c->role == ROLE_VILLAGE) {
		char now[ISO_BUFSIZE];
		const char *params[3] = { fupind->campaign->name,
			iso_format(clock_now(fupind->clock),
			    ISO_SHANGHAI_OFFSET, now, sizeof(now)),
			c->village };
		engine_call_sql(c, metrics_village_sql(), 3, params,
		    metrics_village_answer, NULL);
		return;
	}
	/* The database's gauges as of now, then the answer. */
	metrics_refresh(metrics_answer, c);
}

const struct cmd_entry cmd_metrics_entry = {
	.name = "METRICS",
	.args = { 0, 0 },
	.role = ROLE_VILLAGE,
	.exec = cmd_metrics,
	.example = "METRICS",
	.usage = "METRICS",
	.help = "counters and gauges",
};

static void
cmd_auth(struct client *c, struct cmd_args *a)
{
	if (!c->tcp) {
		client_error(c, "usage",
		    "AUTH is for the TCP listener; on this socket your role "
		    "(%s) comes from your user", role_name(c->role));
		return;
	}
	auth_request(c, a->argv[1]);
}

const struct cmd_entry cmd_auth_entry = {
	.name = "AUTH",
	.args = { 1, 1 },
	.role = ROLE_NONE,
	.flags = CMD_BEFORE_AUTH,
	.exec = cmd_auth,
	.example = "AUTH 8Jx3kQ...",
	.usage = "AUTH TOKEN",
	.help = "on the TCP listener: take the role your token belongs to",
};
