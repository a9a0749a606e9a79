/*
 * The command table and the verbs that need nothing but the daemon's own
 * state (PING, NOW, HELP, QUIT, CLOCK, CONFIG, METRICS). Verbs that ask
 * the database live with their subsystem (engine, calendar, alert) and
 * are listed here.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "cmd.h"
#include "cmd_verbs.h"
#include "deadline.h"
#include "isotime.h"
#include "log.h"
#include "metrics.h"

static void cmd_ping(struct client *, struct cmd_args *);
static void cmd_now(struct client *, struct cmd_args *);
static void cmd_help(struct client *, struct cmd_args *);
static void cmd_quit(struct client *, struct cmd_args *);
static void cmd_clock(struct client *, struct cmd_args *);
static void cmd_config(struct client *, struct cmd_args *);
static void cmd_metrics(struct client *, struct cmd_args *);
static void cmd_auth(struct client *, struct cmd_args *);

static const struct cmd commands[] = {
	{ "PING", ROLE_NONE, 0, 0, cmd_ping, "PING",
	    "is the daemon alive; also the database state" },
	{ "NOW", ROLE_NONE, 0, 0, cmd_now, "NOW", "the daemon's clock" },
	{ "HELP", ROLE_NONE, 0, 1, cmd_help, "HELP [VERB]",
	    "the verbs you may use, or one verb's usage" },
	{ "QUIT", ROLE_NONE, 0, 0, cmd_quit, "QUIT", "close the connection" },
	{ "AUTH", ROLE_NONE, 1, 1, cmd_auth, "AUTH TOKEN",
	    "on the TCP listener: take the role your token belongs to" },
	CMD_VERBS_ENGINE
	{ "ALERTS", ROLE_VILLAGE, 0, 1, cmd_alerts, "ALERTS [N]",
	    "the last N alerts (20 by default)" },
	{ "EXTEND", ROLE_TOWNSHIP, 4, -1, cmd_extend,
	    "EXTEND VILLAGE DEADLINE UNTIL REASON",
	    "grant a village more time on a deadline, with the reason" },
	{ "CLOCK", ROLE_ADMIN, 2, 2, cmd_clock,
	    "CLOCK ADVANCE DURATION | CLOCK SET ISO",
	    "move the manual clock forward (30m, 6h, 2d) or to a moment" },
	{ "CONFIG", ROLE_ADMIN, 0, 0, cmd_config, "CONFIG",
	    "every setting: value, default, reloadable" },
	{ "METRICS", ROLE_VILLAGE, 0, 0, cmd_metrics, "METRICS",
	    "counters and gauges" },
};

const struct cmd *
cmd_table(size_t *n)
{
	*n = nitems(commands);
	return commands;
}

const struct cmd *
cmd_find(const char *verb)
{
	for (size_t i = 0; i < nitems(commands); i++)
		if (strcasecmp(commands[i].verb, verb) == 0)
			return &commands[i];
	return NULL;
}

/* What a TCP client may do before AUTH. */
static int
before_auth(const struct cmd *cmd)
{
	return cmd->handler == cmd_ping || cmd->handler == cmd_help ||
	    cmd->handler == cmd_quit || cmd->handler == cmd_auth;
}

void
cmd_dispatch(struct client *c, char *line)
{
	struct cmd_args args;
	const struct cmd *cmd;
	int rc = cmd_split(line, &args);

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
		client_error(c, "unknown", "unknown verb \"%.40s\"; try HELP",
		    args.argv[0]);
		goto done;
	}
	c->verb = cmd->verb;
	if (c->tcp && c->role == ROLE_NONE && !before_auth(cmd)) {
		client_error(c, "forbidden",
		    "send AUTH TOKEN first (%s needs the %s role)", cmd->verb,
		    role_name(cmd->min_role > ROLE_VILLAGE ? cmd->min_role :
							     ROLE_VILLAGE));
		goto done;
	}
	if (c->role < cmd->min_role) {
		client_error(c, "forbidden", "%s needs the %s role; you are %s",
		    cmd->verb, role_name(cmd->min_role), role_name(c->role));
		goto done;
	}
	if (args.argc - 1 < cmd->min_args ||
	    (cmd->max_args >= 0 && args.argc - 1 > cmd->max_args)) {
		client_error(c, "usage", "usage: %s", cmd->usage);
		goto done;
	}
	log_debug("control: client %llu (%s): %s", (unsigned long long)c->id,
	    c->principal, cmd->verb);
	/* Handlers copy what they keep: args dies when we return. */
	cmd->handler(c, &args);
done:
	/* The line may hold a token: leave no copy behind. */
	explicit_bzero(args.copy, strlen(args.copy));
	free(args.copy);
}

static void
cmd_ping(struct client *c, struct cmd_args *a)
{
	client_reply(c, json_pack("{s:b, s:s, s:b, s:s}", "ok", 1, "database",
			    db_state_name(fp->db), "schema", fp->schema_ok,
			    "role", role_name(c->role)));
}

static void
cmd_now(struct client *c, struct cmd_args *a)
{
	char buf[ISO_BUFSIZE];

	client_reply(c, json_pack("{s:b, s:s, s:s}", "ok", 1, "now",
			    iso_format(clock_now(fp->clock),
				ISO_SHANGHAI_OFFSET, buf, sizeof(buf)),
			    "clock", clock_mode_name(fp->clock)));
}

static void
cmd_help(struct client *c, struct cmd_args *a)
{
	json_t *verbs = json_array();

	if (a->argc == 2) {
		const struct cmd *cmd = cmd_find(a->argv[1]);

		json_decref(verbs);
		if (cmd == NULL) {
			client_error(c, "unknown", "unknown verb \"%.40s\"",
			    a->argv[1]);
			return;
		}
		client_reply(c, json_pack("{s:b, s:s, s:s, s:s, s:s}", "ok", 1,
				    "verb", cmd->verb, "usage", cmd->usage,
				    "help", cmd->help, "role",
				    role_name(cmd->min_role)));
		return;
	}
	for (size_t i = 0; i < nitems(commands); i++) {
		if (c->role < commands[i].min_role ||
		    (c->tcp && c->role == ROLE_NONE &&
			!before_auth(&commands[i])))
			continue;
		json_array_append_new(verbs,
		    json_pack("{s:s, s:s, s:s}", "verb", commands[i].verb,
			"usage", commands[i].usage, "help", commands[i].help));
	}
	client_reply(c, json_pack("{s:b, s:s, s:o}", "ok", 1, "role",
			    role_name(c->role), "verbs", verbs));
}

static void
cmd_quit(struct client *c, struct cmd_args *a)
{
	c->quitting = 1;
	client_reply(c, json_pack("{s:b}", "ok", 1));
}

static void
cmd_clock(struct client *c, struct cmd_args *a)
{
	char buf[ISO_BUFSIZE];
	int64_t t;

	if (clock_mode(fp->clock) != CLOCK_MANUAL) {
		client_error(c, "clock",
		    "the clock is %s; CLOCK works on a manual clock only",
		    clock_mode_name(fp->clock));
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
		t = clock_now(fp->clock) + d;
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
	if (clock_set(fp->clock, t) < 0) {
		client_error(c, "clock", "the clock never goes back (now %s)",
		    iso_format(clock_now(fp->clock), ISO_SHANGHAI_OFFSET, buf,
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

static void
cmd_config(struct client *c, struct cmd_args *a)
{
	json_t *items = json_array();
	struct config_row row;

	for (size_t i = 0; config_row(fp->cfg, i, &row); i++)
		json_array_append_new(items,
		    json_pack("{s:s, s:s, s:s, s:s, s:b}", "name", row.name,
			"value", row.value, "default", row.def, "type",
			row.type, "reloadable", row.reloadable));
	client_reply(c, json_pack("{s:b, s:s, s:o}", "ok", 1, "file",
			    fp->cfg->path, "settings", items));
}

static void
metrics_answer(void *arg)
{
	struct client *c = arg;
	json_t *m = metrics_json();

	json_object_set_new(m, "ok", json_true());
	json_object_set_new(m, "database", json_string(db_state_name(fp->db)));
	client_reply(c, m);
}

static void
cmd_metrics(struct client *c, struct cmd_args *a)
{
	/* The database's gauges as of now, then the answer. */
	metrics_refresh(metrics_answer, c);
}

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
