/*
 * fupind.conf's settings table and the reading of its single values, for
 * fupind and fupinctl: see settings.h. Meaning beyond type and limits (an
 * absolute socket path, a valid syslog level, the alert ladder) is checked
 * by the daemon's config.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "settings.h"

static const char *const clock_modes[] = { "real", "simulated", "manual",
	NULL };
static const char *const languages[] = { "zh", "en", NULL };
static const char *const no_yes[] = { "no", "yes", NULL };

/* Top-level groups of fupind.conf that are not in the table. */
static const char *const other_groups[] = { "access", NULL };

const struct setting settings_table[SETTINGS_COUNT] = {
	[SET_DATABASE_CONNINFO] = { "database.conninfo", SETTING_STRING,
	    "dbname=fupin", 1, 0, 0, NULL,
	    "libpq connection string; several hosts with "
	    "target_session_attrs=read-write give failover" },
	[SET_DATABASE_SQL_DIR] = { "database.sql_dir", SETTING_STRING,
	    FUPIN_SQLDIR, 0, 0, 0, NULL,
	    "directory of the numbered schema migrations" },
	[SET_DATABASE_RECONNECT_MAX] = { "database.reconnect_max",
	    SETTING_DURATION, "30s", 1, 1, 3600, NULL,
	    "longest wait between reconnection attempts (jittered backoff)" },
	[SET_DATABASE_STATEMENT_TIMEOUT] = { "database.statement_timeout",
	    SETTING_DURATION, "30s", 1, 1, 3600, NULL,
	    "longest a single statement may run" },
	[SET_DATABASE_POOL] = { "database.pool", SETTING_INT, "4", 0, 1, 64,
	    NULL, "connections for requests (plus one for sweeps and "
	    "deliveries); a township needs 4, a prefecture 16" },
	[SET_DATABASE_ADVANCE_GROUPS] = { "database.advance_groups",
	    SETTING_INT, "2", 1, 1, 64, NULL,
	    "ADVANCE groups (one statement and one commit each) running at "
	    "once, at most pool - 1; about the database server's cores" },

	[SET_CONTROL_SOCKET] = { "control.socket", SETTING_STRING,
	    "/run/fupin/fupind.sock", 0, 0, 0, NULL,
	    "Unix socket of the status protocol" },
	[SET_CONTROL_SOCKET_MODE] = { "control.socket_mode", SETTING_MODE,
	    "0660", 0, 0, 0777, NULL, "permissions of the socket file (octal)" },
	[SET_CONTROL_MAX_CLIENTS] = { "control.max_clients", SETTING_INT,
	    "1024", 1, 1, 100000, NULL,
	    "connections served at once on the socket and the TCP listener; "
	    "the excess is answered busy" },
	[SET_CONTROL_IDLE_TIMEOUT] = { "control.idle_timeout", SETTING_DURATION,
	    "5m", 1, 1, 86400, NULL,
	    "a client silent this long is disconnected" },
	[SET_CONTROL_MAX_OUTPUT] = { "control.max_output", SETTING_INT,
	    "1048576", 1, 4096, 1 << 30, NULL,
	    "bytes queued for a client that does not read before it is cut off" },
	[SET_CONTROL_LISTEN] = { "control.listen", SETTING_STRING,
	    "", 0, 0, 0, NULL,
	    "optional TCP listener \"127.0.0.1:7070\" requiring AUTH; empty: off" },
	[SET_CONTROL_HTTP] = { "control.http", SETTING_STRING,
	    "", 0, 0, 0, NULL,
	    "optional HTTP listener for /metrics, /healthz and the web "
	    "pages; empty: off" },
	[SET_CONTROL_LISTEN_REMOTE] = { "control.listen_remote", SETTING_ENUM,
	    "no", 0, 0, 0, no_yes,
	    "\"yes\": listen and http may use a non-loopback address" },
	[SET_CONTROL_MAX_PER_USER] = { "control.max_per_user", SETTING_INT,
	    "32", 1, 1, 100000, NULL,
	    "connections at once of one principal with a role (a Unix user, "
	    "a token)" },
	[SET_CONTROL_MAX_ANONYMOUS] = { "control.max_anonymous", SETTING_INT,
	    "64", 1, 0, 100000, NULL,
	    "connections at once without a role (Unix users not in access, "
	    "TCP clients before AUTH); the rest of max_clients is kept for "
	    "principals with a role" },
	[SET_CONTROL_MAX_ANONYMOUS_PER_PEER] = {
	    "control.max_anonymous_per_peer", SETTING_INT, "8", 1, 0, 100000,
	    NULL, "connections at once without a role from one Unix user or "
	    "one address" },
	[SET_CONTROL_AUTH_TIMEOUT] = { "control.auth_timeout",
	    SETTING_DURATION, "10s", 1, 1, 3600, NULL,
	    "a connection without a role is closed this long after it "
	    "connected, whatever it sends" },
	[SET_CONTROL_REQUEST_TIMEOUT] = { "control.request_timeout",
	    SETTING_DURATION, "25s", 1, 1, 3600, NULL,
	    "a request not answered this long after it arrived is answered "
	    "timeout and its connection closed" },
	[SET_CONTROL_HTTP_MAX_CLIENTS] = { "control.http_max_clients",
	    SETTING_INT, "64", 1, 1, 100000, NULL,
	    "connections to the HTTP listener at once; beyond it new ones "
	    "wait in the kernel's queue" },
	[SET_CONTROL_METRICS_REMOTE] = { "control.metrics_remote",
	    SETTING_ENUM, "no", 1, 0, 0, no_yes,
	    "\"yes\": /metrics shows the campaign's township-wide figures "
	    "to non-loopback peers too" },
	[SET_CONTROL_MAX_UPLOAD] = { "control.max_upload", SETTING_INT,
	    "536870912", 1, 4096, INT64_C(1) << 40, NULL,
	    "bytes of rows one import (fupinctl import, IMPORT on the socket) "
	    "may send; a larger one is refused and nothing of it is written" },
	[SET_CONTROL_MAX_UPLOADS] = { "control.max_uploads", SETTING_INT,
	    "2", 1, 1, 64, NULL,
	    "imports in progress at once; another one is answered busy" },
	[SET_CONTROL_IMPORT_TIMEOUT] = { "control.import_timeout",
	    SETTING_DURATION, "10m", 1, 1, 86400, NULL,
	    "longest IMPORT COMMIT may take (checks and writes of the whole "
	    "file, as one statement); other requests keep request_timeout" },

	[SET_CLOCK_MODE] = { "clock.mode", SETTING_ENUM,
	    "real", 0, 0, 0, clock_modes,
	    "real | simulated (start, then rate x real time) | manual (CLOCK)" },
	[SET_CLOCK_START] = { "clock.start", SETTING_STRING,
	    "2019-10-08T08:00:00+08:00", 0, 0, 0, NULL,
	    "where simulated and manual clocks begin (ISO 8601 with offset)" },
	[SET_CLOCK_RATE] = { "clock.rate", SETTING_FLOAT,
	    "86400.0", 0, 0, 0, NULL,
	    "simulated seconds per real second" },

	[SET_WORKFLOWS_DIR] = { "workflows.dir", SETTING_STRING,
	    FUPIN_SYSCONFDIR "/workflows", 1, 0, 0, NULL,
	    "directory holding one subdirectory per campaign" },
	[SET_WORKFLOWS_CAMPAIGN] = { "workflows.campaign", SETTING_STRING,
	    "2019", 1, 0,
	    0, NULL, "the campaign to run (a subdirectory of workflows.dir)" },

	[SET_NOTIFY_COMMAND] = { "notify.command", SETTING_STRING,
	    "", 1, 0, 0, NULL,
	    "run once per alert with its JSON on stdin; exit 0 = delivered" },
	[SET_NOTIFY_TIMEOUT] = { "notify.timeout", SETTING_DURATION,
	    "30s", 1, 1, 3600,
	    NULL, "a command still running after this is killed and retried" },
	[SET_NOTIFY_RETRY_MAX] = { "notify.retry_max", SETTING_DURATION,
	    "1h", 1, 1,
	    86400, NULL, "longest wait between delivery attempts" },
	[SET_NOTIFY_CONCURRENCY] = { "notify.concurrency", SETTING_INT,
	    "4", 1, 1, 64,
	    NULL, "commands running at once" },
	[SET_NOTIFY_BATCH] = { "notify.batch", SETTING_INT,
	    "32", 1, 1, 1000,
	    NULL, "alerts claimed in one statement (and recorded in one)" },

	[SET_ALERTS_REMINDERS] = { "alerts.reminders", SETTING_STRING,
	    "3d 1d", 1, 0,
	    0, NULL, "reminders before each deadline: durations (3d, 12h) or "
	    "working days (3wd)" },
	[SET_ALERTS_ESCALATIONS] = { "alerts.escalations", SETTING_STRING,
	    "0:township_office 1d:township_leadership 3d:city", 1, 0, 0, NULL,
	    "ladder after a deadline of a village step: delay:recipient ..." },
	[SET_ALERTS_ESCALATIONS_TOWNSHIP] = { "alerts.escalations_township",
	    SETTING_STRING, "1d:township_leadership", 1, 0, 0, NULL,
	    "ladder after a deadline of a township step (review, notice, "
	    "request): delay:recipient ..." },
	[SET_ALERTS_ESCALATIONS_CITY] = { "alerts.escalations_city",
	    SETTING_STRING, "3d:city", 1, 0, 0, NULL,
	    "ladder after a deadline of a city step (confirmation, "
	    "re-check): delay:recipient ..." },
	[SET_ALERTS_DIGEST_AT] = { "alerts.digest_at", SETTING_STRING,
	    "08:00", 1, 0,
	    0, NULL, "daily repeat while anything stays overdue (HH:MM)" },
	[SET_ALERTS_LANGUAGE] = { "alerts.language", SETTING_ENUM,
	    "zh", 1, 0, 0,
	    languages, "language of alert texts: zh | en" },
	[SET_ALERTS_WORKING_HOURS] = { "alerts.working_hours", SETTING_STRING,
	    "", 1, 0,
	    0, NULL, "deliver only inside \"08:00-18:00\" on working days; "
	    "empty: any time" },

	[SET_RULES_NOTICE_MIN_DAYS] = { "rules.notice_min_days", SETTING_INT,
	    "-1", 1, -1, 60, NULL,
	    "shortest notice (days); -1 takes the campaign file's value" },

	[SET_LOG_FACILITY] = { "log.facility", SETTING_STRING,
	    "daemon", 1, 0, 0, NULL,
	    "syslog facility" },
	[SET_LOG_LEVEL] = { "log.level", SETTING_STRING, "info", 1, 0, 0, NULL,
	    "error | warning | notice | info | debug" },
	[SET_LOG_IDENT] = { "log.ident", SETTING_STRING,
	    "fupind", 0, 0, 0, NULL,
	    "syslog identifier" },
};

const struct setting *
setting_find(const char *name)
{
	for (size_t i = 0; i < SETTINGS_COUNT; i++)
		if (strcmp(settings_table[i].name, name) == 0)
			return &settings_table[i];
	return NULL;
}

static int
choice_index(const char *const *choices, const char *v)
{
	for (int i = 0; choices[i] != NULL; i++)
		if (strcasecmp(choices[i], v) == 0)
			return i;
	return -1;
}

const char *
setting_parse(const struct setting *s, const char *text,
    union setting_value *v, char *msg, size_t len)
{
	char *end;
	int64_t n;

	switch (s->type) {
	case SETTING_STRING:
		v->s = xstrdup(text);
		return NULL;
	case SETTING_INT:
		errno = 0;
		n = strtoll(text, &end, 10);
		if (errno || end == text || *end != '\0') {
			snprintf(msg, len, "\"%s\" is not an integer", text);
			return msg;
		}
		goto range;
	case SETTING_MODE:
		errno = 0;
		n = strtoll(text, &end, 8);
		if (errno || end == text || *end != '\0') {
			snprintf(msg, len,
			    "\"%s\" is not an octal mode like \"0660\"", text);
			return msg;
		}
		goto range;
	case SETTING_DURATION:
		n = parse_duration(text);
		if (n < 0) {
			snprintf(msg, len,
			    "\"%s\" is not a duration (like 30s, 5m, 2h, 1d)",
			    text);
			return msg;
		}
		goto range;
	case SETTING_FLOAT: {
		double d;

		errno = 0;
		d = strtod(text, &end);
		if (errno || end == text || *end != '\0' || !(d > 0)) {
			snprintf(msg, len, "\"%s\" is not a positive number",
			    text);
			return msg;
		}
		v->d = d;
		return NULL;
	}
	case SETTING_ENUM: {
		int i = choice_index(s->choices, text);

		if (i < 0) {
			size_t off = (size_t)snprintf(msg, len,
			    "\"%s\" is not one of", text);
			for (int k = 0; s->choices[k] && off < len; k++)
				off += (size_t)snprintf(msg + off, len - off,
				    " %s", s->choices[k]);
			return msg;
		}
		v->e = i;
		return NULL;
	}
	}
	return NULL;
range:
	if (n < s->min || n > s->max) {
		snprintf(msg, len, "%lld is out of range %lld..%lld",
		    (long long)n, (long long)s->min, (long long)s->max);
		return msg;
	}
	v->n = n;
	return NULL;
}

void
setting_format(const struct setting *s, const union setting_value *v,
    char *buf, size_t len)
{
	switch (s->type) {
	case SETTING_STRING:
		snprintf(buf, len, "%s", v->s);
		break;
	case SETTING_MODE:
		snprintf(buf, len, "0%llo", (unsigned long long)v->n);
		break;
	case SETTING_INT:
		snprintf(buf, len, "%lld", (long long)v->n);
		break;
	case SETTING_DURATION:
		snprintf(buf, len, "%llds", (long long)v->n);
		break;
	case SETTING_FLOAT:
		snprintf(buf, len, "%g", v->d);
		break;
	case SETTING_ENUM:
		snprintf(buf, len, "%s", s->choices[v->e]);
		break;
	}
}

const char *
setting_type_name(enum setting_type t)
{
	switch (t) {
	case SETTING_STRING:
		return "string";
	case SETTING_INT:
		return "integer";
	case SETTING_MODE:
		return "octal mode";
	case SETTING_FLOAT:
		return "number";
	case SETTING_DURATION:
		return "duration";
	case SETTING_ENUM:
		return "choice";
	}
	return "?";
}

void
settings_init(struct settings *set)
{
	char msg[256];

	memset(set, 0, sizeof(*set));
	for (size_t i = 0; i < SETTINGS_COUNT; i++)
		if (setting_parse(&settings_table[i], settings_table[i].def,
		    &set->v[i], msg, sizeof(msg)) != NULL) {
			/* A bad table is a build mistake: die loudly. */
			fprintf(stderr, "built-in default of %s: %s\n",
			    settings_table[i].name, msg);
			abort();
		}
}

void
settings_free(struct settings *set)
{
	for (size_t i = 0; i < SETTINGS_COUNT; i++)
		if (settings_table[i].type == SETTING_STRING) {
			free(set->v[i].s);
			set->v[i].s = NULL;
		}
}

/* The value of a libconfig scalar as text, for setting_parse. */
static int
scalar_text(const config_setting_t *cs, char *buf, size_t len)
{
	switch (config_setting_type(cs)) {
	case CONFIG_TYPE_STRING:
		strlcpy_safe(buf, config_setting_get_string(cs), len);
		return 0;
	case CONFIG_TYPE_INT:
		snprintf(buf, len, "%d", config_setting_get_int(cs));
		return 0;
	case CONFIG_TYPE_INT64:
		snprintf(buf, len, "%lld",
		    (long long)config_setting_get_int64(cs));
		return 0;
	case CONFIG_TYPE_FLOAT:
		snprintf(buf, len, "%.17g", config_setting_get_float(cs));
		return 0;
	case CONFIG_TYPE_BOOL:
		strlcpy_safe(buf, config_setting_get_bool(cs) ? "1" : "0", len);
		return 0;
	default:
		return -1;
	}
}

static int
in_list(const char *const *list, const char *name)
{
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

static void
unknown_setting(struct cfgfile *cf, const config_setting_t *c,
    const char *full)
{
	const char *names[SETTINGS_COUNT + 1], *near;

	for (size_t i = 0; i < SETTINGS_COUNT; i++)
		names[i] = settings_table[i].name;
	names[SETTINGS_COUNT] = NULL;
	if ((near = cfg_nearest(full, names)) != NULL)
		cfgfile_error(cf, c, NULL, full,
		    "unknown setting (did you mean '%s'?)", near);
	else
		cfgfile_error(cf, c, NULL, full, "unknown setting");
}

/* Every leaf in the file must be a known setting: a typo is an error, not
 * a silently ignored line. */
static void
check_unknown(struct cfgfile *cf)
{
	const config_setting_t *root = cfgfile_root(cf);

	for (int i = 0; i < config_setting_length(root); i++) {
		const config_setting_t *g = config_setting_get_elem(root,
		    (unsigned)i);
		const char *gname = config_setting_name(g);

		if (in_list(other_groups, gname))
			continue;
		if (!config_setting_is_group(g)) {
			unknown_setting(cf, g, gname);
			continue;
		}
		for (int k = 0; k < config_setting_length(g); k++) {
			const config_setting_t *c = config_setting_get_elem(g,
			    (unsigned)k);
			char full[256];

			snprintf(full, sizeof(full), "%s.%s", gname,
			    config_setting_name(c));
			if (setting_find(full) == NULL)
				unknown_setting(cf, c, full);
		}
	}
}

void
settings_read(struct settings *set, struct cfgfile *cf)
{
	char msg[256], text[1024];

	check_unknown(cf);
	for (size_t i = 0; i < SETTINGS_COUNT; i++) {
		const struct setting *s = &settings_table[i];
		const config_setting_t *cs = config_lookup(&cf->cf, s->name);
		union setting_value v;

		if (cs == NULL)
			continue;
		set->line[i] = config_setting_source_line(cs);
		if (config_setting_is_aggregate(cs) ||
		    scalar_text(cs, text, sizeof(text)) < 0) {
			cfgfile_error(cf, cs, NULL, s->name,
			    "must be a single value");
			continue;
		}
		if ((s->type == SETTING_STRING || s->type == SETTING_MODE) &&
		    config_setting_type(cs) != CONFIG_TYPE_STRING) {
			cfgfile_error(cf, cs, NULL, s->name,
			    "must be a string in double quotes");
			continue;
		}
		if (setting_parse(s, text, &v, msg, sizeof(msg)) != NULL) {
			cfgfile_error(cf, cs, NULL, s->name, "%s", msg);
			continue;
		}
		if (s->type == SETTING_STRING)
			free(set->v[i].s);
		set->v[i] = v;
	}
}

int
settings_load(struct settings *set, const char *path, struct errlist *errs)
{
	struct cfgfile cf;
	int rc;

	settings_init(set);
	if ((rc = cfgfile_open(&cf, path, errs)) == 0)
		settings_read(set, &cf);
	cfgfile_close(&cf);
	return rc;
}
