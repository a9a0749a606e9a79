/*
 * Configuration: the settings table, parsing with libconfig, validation
 * with file:line for every error, and the access list. A config is built
 * whole and either returned complete or not at all, so a reload can swap
 * it in only when it is good.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libconfig.h>

#include "config.h"
#include "isotime.h"
#include "log.h"
#include "role.h"

enum cfg_type { T_STRING, T_INT, T_MODE, T_FLOAT, T_DURATION, T_ENUM };

struct cfg_setting {
	const char *name;
	enum cfg_type type;
	const char *def;
	int reloadable;
	size_t offset;
	int64_t min, max;
	const char *const *choices; /* T_ENUM: index stored as int */
	const char *help;
};

static const char *const clock_modes[] = { "real", "simulated", "manual",
	NULL };
static const char *const languages[] = { "zh", "en", NULL };
static const char *const no_yes[] = { "no", "yes", NULL };

#define OFF(f) offsetof(struct config, f)
#define MAXI INT64_MAX

static const struct cfg_setting settings[] = {
	{ "database.conninfo", T_STRING, "dbname=fupin", 1,
	    OFF(database_conninfo), 0, 0, NULL,
	    "libpq connection string; several hosts with "
	    "target_session_attrs=read-write give failover" },
	{ "database.sql_dir", T_STRING, FUPIN_SQLDIR, 0, OFF(database_sql_dir),
	    0, 0, NULL, "directory of the numbered schema migrations" },
	{ "database.reconnect_max", T_DURATION, "30s", 1,
	    OFF(database_reconnect_max), 1, 3600, NULL,
	    "longest wait between reconnection attempts (jittered backoff)" },
	{ "database.statement_timeout", T_DURATION, "30s", 1,
	    OFF(database_statement_timeout), 1, 3600, NULL,
	    "longest a single statement may run" },

	{ "control.socket", T_STRING, "/run/fupin/fupind.sock", 0,
	    OFF(control_socket), 0, 0, NULL,
	    "Unix socket of the status protocol" },
	{ "control.socket_mode", T_MODE, "0660", 0, OFF(control_socket_mode), 0,
	    0777, NULL, "permissions of the socket file (octal)" },
	{ "control.max_clients", T_INT, "64", 1, OFF(control_max_clients), 1,
	    100000, NULL, "connections served at once; the excess is refused" },
	{ "control.idle_timeout", T_DURATION, "5m", 1,
	    OFF(control_idle_timeout), 1, 86400, NULL,
	    "a client silent this long is disconnected" },
	{ "control.max_output", T_INT, "1048576", 1, OFF(control_max_output),
	    4096, 1 << 30, NULL,
	    "bytes queued for a client that does not read before it is cut off" },
	{ "control.listen", T_STRING, "", 0, OFF(control_listen), 0, 0, NULL,
	    "optional TCP listener \"127.0.0.1:7070\" requiring AUTH; empty: off" },
	{ "control.http", T_STRING, "", 0, OFF(control_http), 0, 0, NULL,
	    "optional HTTP listener for /metrics and /healthz; empty: off" },
	{ "control.listen_remote", T_ENUM, "no", 0, OFF(control_listen_remote),
	    0, 0, no_yes,
	    "\"yes\": listen and http may use a non-loopback address" },

	{ "clock.mode", T_ENUM, "real", 0, OFF(clock_mode), 0, 0, clock_modes,
	    "real | simulated (start, then rate x real time) | manual (CLOCK)" },
	{ "clock.start", T_STRING, "2019-10-08T08:00:00+08:00", 0,
	    OFF(clock_start), 0, 0, NULL,
	    "where simulated and manual clocks begin (ISO 8601 with offset)" },
	{ "clock.rate", T_FLOAT, "86400.0", 0, OFF(clock_rate), 0, 0, NULL,
	    "simulated seconds per real second" },

	{ "workflows.dir", T_STRING, FUPIN_SYSCONFDIR "/workflows", 1,
	    OFF(workflows_dir), 0, 0, NULL,
	    "directory holding one subdirectory per campaign" },
	{ "workflows.campaign", T_STRING, "2019", 1, OFF(workflows_campaign), 0,
	    0, NULL, "the campaign to run (a subdirectory of workflows.dir)" },

	{ "notify.command", T_STRING, "", 1, OFF(notify_command), 0, 0, NULL,
	    "run once per alert with its JSON on stdin; exit 0 = delivered" },
	{ "notify.timeout", T_DURATION, "30s", 1, OFF(notify_timeout), 1, 3600,
	    NULL, "a command still running after this is killed and retried" },
	{ "notify.retry_max", T_DURATION, "1h", 1, OFF(notify_retry_max), 1,
	    86400, NULL, "longest wait between delivery attempts" },
	{ "notify.concurrency", T_INT, "4", 1, OFF(notify_concurrency), 1, 64,
	    NULL, "commands running at once" },

	{ "alerts.reminders", T_STRING, "3d 1d", 1, OFF(alerts_reminders), 0,
	    0, NULL, "reminders before each deadline: durations (3d, 12h) or "
	    "working days (3wd)" },
	{ "alerts.escalations", T_STRING,
	    "0:township_office 1d:township_leadership 3d:city", 1,
	    OFF(alerts_escalations), 0, 0, NULL,
	    "ladder after a deadline: delay:recipient ..." },
	{ "alerts.digest_at", T_STRING, "08:00", 1, OFF(alerts_digest_at), 0,
	    0, NULL, "daily repeat while anything stays overdue (HH:MM)" },
	{ "alerts.language", T_ENUM, "zh", 1, OFF(alerts_language), 0, 0,
	    languages, "language of alert texts: zh | en" },
	{ "alerts.working_hours", T_STRING, "", 1, OFF(alerts_working_hours), 0,
	    0, NULL, "deliver only inside \"08:00-18:00\" on working days; "
	    "empty: any time" },

	{ "rules.notice_min_days", T_INT, "-1", 1, OFF(rules_notice_min_days),
	    -1, 60, NULL,
	    "shortest notice (days); -1 takes the campaign file's value" },

	{ "log.facility", T_STRING, "daemon", 1, OFF(log_facility), 0, 0, NULL,
	    "syslog facility" },
	{ "log.level", T_STRING, "info", 1, OFF(log_level), 0, 0, NULL,
	    "error | warning | notice | info | debug" },
	{ "log.ident", T_STRING, "fupind", 0, OFF(log_ident), 0, 0, NULL,
	    "syslog identifier" },
};


#define FIELD(cfg, s, type) ((type *)((char *)(cfg) + (s)->offset))

static const struct cfg_setting *
setting_find(const char *name)
{
	for (size_t i = 0; i < nitems(settings); i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

static int
enum_index(const char *const *choices, const char *v)
{
	for (int i = 0; choices[i] != NULL; i++)
		if (strcasecmp(choices[i], v) == 0)
			return i;
	return -1;
}

/* Store text (default or file value) into the field; NULL if good, else a
 * message for the caller to place. */
static const char *
setting_store(struct config *cfg, const struct cfg_setting *s,
    const char *text, char *msg, size_t len)
{
	char *end;
	int64_t n;

	switch (s->type) {
	case T_STRING:
		free(*FIELD(cfg, s, char *));
		*FIELD(cfg, s, char *) = xstrdup(text);
		return NULL;
	case T_INT:
		errno = 0;
		n = strtoll(text, &end, 10);
		if (errno || end == text || *end != '\0') {
			snprintf(msg, len, "\"%s\" is not an integer", text);
			return msg;
		}
		goto range;
	case T_MODE:
		/* A string, because libconfig reads 0660 as decimal. */
		errno = 0;
		n = strtoll(text, &end, 8);
		if (errno || end == text || *end != '\0') {
			snprintf(msg, len,
			    "\"%s\" is not an octal mode like \"0660\"", text);
			return msg;
		}
		goto range;
	case T_DURATION:
		n = parse_duration(text);
		if (n < 0) {
			snprintf(msg, len,
			    "\"%s\" is not a duration (like 30s, 5m, 2h, 1d)",
			    text);
			return msg;
		}
		goto range;
	case T_FLOAT: {
		double d;

		errno = 0;
		d = strtod(text, &end);
		if (errno || end == text || *end != '\0' || !(d > 0)) {
			snprintf(msg, len, "\"%s\" is not a positive number",
			    text);
			return msg;
		}
		*FIELD(cfg, s, double) = d;
		return NULL;
	}
	case T_ENUM: {
		int i = enum_index(s->choices, text);

		if (i < 0) {
			size_t off = (size_t)snprintf(msg, len,
			    "\"%s\" is not one of", text);
			for (int k = 0; s->choices[k] && off < len; k++)
				off += (size_t)snprintf(msg + off, len - off,
				    " %s", s->choices[k]);
			return msg;
		}
		*FIELD(cfg, s, int) = i;
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
	*FIELD(cfg, s, int64_t) = n;
	return NULL;
}

/* The value of a libconfig scalar as text, for setting_store. */
static int
setting_text(const config_setting_t *cs, char *buf, size_t len)
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

static const char *
source_file(const config_setting_t *cs, const char *path)
{
	const char *f = config_setting_source_file(cs);

	return f ? f : path;
}

static void
resolve_user(struct access_entry *a, const char *name, struct errlist *errs,
    const char *file, int line)
{
	struct passwd *pw;
	char *end;
	long uid;

	errno = 0;
	uid = strtol(name, &end, 10);
	if (*name != '\0' && *end == '\0' && errno == 0 && uid >= 0)
		goto add;
	pw = getpwnam(name);
	if (pw == NULL) {
		errlist_add(errs, file, line, "access.users",
		    "no such user \"%s\"", name);
		return;
	}
	uid = pw->pw_uid;
add:
	a->uids = xrealloc(a->uids, (a->nuids + 1) * sizeof(*a->uids));
	a->uids[a->nuids++] = (uid_t)uid;
}

static void
load_access(struct config *cfg, config_setting_t *list, const char *path,
    struct errlist *errs)
{
	int n = config_setting_length(list);

	if (!config_setting_is_list(list)) {
		errlist_add(errs, source_file(list, path),
		    config_setting_source_line(list), "access",
		    "must be a list of ( { role = ...; ... }, ... )");
		return;
	}
	cfg->access = xcalloc((size_t)n, sizeof(*cfg->access));
	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
		const char *file = source_file(e, path);
		int line = config_setting_source_line(e);
		struct access_entry *a = &cfg->access[cfg->naccess++];
		const char *role = NULL, *village = NULL, *token = NULL,
			   *name = NULL;
		config_setting_t *users;

		if (!config_setting_is_group(e)) {
			errlist_add(errs, file, line, "access",
			    "entry %d is not a group { ... }", i + 1);
			continue;
		}
		for (int k = 0; k < config_setting_length(e); k++) {
			config_setting_t *c = config_setting_get_elem(e,
			    (unsigned)k);
			const char *cn = config_setting_name(c);

			if (strcmp(cn, "role") && strcmp(cn, "village") &&
			    strcmp(cn, "users") && strcmp(cn, "token") &&
			    strcmp(cn, "name"))
				errlist_add(errs, file,
				    config_setting_source_line(c),
				    "access", "unknown key \"%s\"", cn);
		}
		config_setting_lookup_string(e, "role", &role);
		config_setting_lookup_string(e, "village", &village);
		config_setting_lookup_string(e, "token", &token);
		config_setting_lookup_string(e, "name", &name);
		if (role == NULL || !role_valid(role)) {
			errlist_add(errs, file, line, "access.role",
			    "role must be admin, township, city or village");
			continue;
		}
		a->role = xstrdup(role);
		if (strcmp(role, "village") == 0) {
			if (village == NULL || *village == '\0') {
				errlist_add(errs, file, line, "access.village",
				    "a village entry names its village");
				continue;
			}
			a->village = xstrdup(village);
		} else if (village != NULL)
			errlist_add(errs, file, line, "access.village",
			    "only a village entry names a village");
		if (token != NULL) {
			if (token[0] != '$') {
				errlist_add(errs, file, line, "access.token",
				    "token must be a crypt(3) hash (mkpasswd "
				    "-m yescrypt), never the token itself");
				continue;
			}
			a->token_hash = xstrdup(token);
		}
		a->name = xstrdup(name ? name :
		    a->village ? a->village : role);
		users = config_setting_get_member(e, "users");
		if (users != NULL) {
			if (!config_setting_is_array(users)) {
				errlist_add(errs, file,
				    config_setting_source_line(users),
				    "access.users", "must be [\"name\", ...]");
				continue;
			}
			for (int k = 0; k < config_setting_length(users); k++) {
				const char *u = config_setting_get_string_elem(
				    users, (unsigned)k);
				if (u == NULL)
					errlist_add(errs, file,
					    config_setting_source_line(users),
					    "access.users",
					    "user names are strings");
				else
					resolve_user(a, u, errs, file,
					    config_setting_source_line(users));
			}
		}
	}
}

/* Every leaf in the file must be a known setting: a typo is an error, not
 * a silently ignored line. */
static void
check_unknown(config_setting_t *group, const char *path, struct errlist *errs)
{
	for (int i = 0; i < config_setting_length(group); i++) {
		config_setting_t *c = config_setting_get_elem(group,
		    (unsigned)i);
		const char *name = config_setting_name(c);
		char full[256];

		if (config_setting_parent(group) == NULL) {
			if (strcmp(name, "access") == 0)
				continue;
			if (!config_setting_is_group(c)) {
				errlist_add(errs, source_file(c, path),
				    config_setting_source_line(c), name,
				    "unknown setting");
				continue;
			}
			check_unknown(c, path, errs);
			continue;
		}
		snprintf(full, sizeof(full), "%s.%s",
		    config_setting_name(group), name);
		if (setting_find(full) == NULL)
			errlist_add(errs, source_file(c, path),
			    config_setting_source_line(c), full,
			    "unknown setting");
	}
}

/* "08:00" -> 480; -1 if malformed. */
static int
parse_hhmm(const char *s)
{
	int h, m;
	char tail;

	if (strlen(s) != 5 || s[0] < '0' || s[0] > '9' || s[3] < '0' ||
	    s[3] > '9' || sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 ||
	    h > 23 ||
	    m < 0 || m > 59 || strlen(s) != 5)
		return -1;
	return h * 60 + m;
}

static void
parse_alerts(struct config *cfg, const char *path, config_t *cf,
    struct errlist *errs)
{
	config_setting_t *cs;
	char *copy, *tok, *save;

#define LINE_OF(key)                                                           \
	((cs = config_lookup(cf, key)) ? config_setting_source_line(cs) : 0)

	copy = xstrdup(cfg->alerts_reminders);
	for (tok = strtok_r(copy, " ,", &save); tok != NULL;
	     tok = strtok_r(NULL, " ,", &save)) {
		size_t len = strlen(tok);
		int64_t d = -1;
		int wd = 0;

		/* "3wd": three working days, skipping holidays. */
		if (len > 2 && strcmp(tok + len - 2, "wd") == 0) {
			char *end;
			long n = strtol(tok, &end, 10);

			if (end == tok + len - 2 && n > 0 && n <= 60)
				wd = (int)n;
		} else
			d = parse_duration(tok);
		if ((d <= 0 && wd == 0) || cfg->nreminders == CONFIG_MAX_STEPS) {
			errlist_add(errs, path, LINE_OF("alerts.reminders"),
			    "alerts.reminders", (d <= 0 && wd == 0) ?
			    "\"%s\" is not a duration (3d, 12h) or working "
			    "days (3wd) before the deadline" :
			    "at most 8 reminders (\"%s\")", tok);
			break;
		}
		cfg->reminders[cfg->nreminders].seconds = wd ? 0 : d;
		cfg->reminders[cfg->nreminders].working_days = wd;
		cfg->nreminders++;
	}
	free(copy);

	copy = xstrdup(cfg->alerts_escalations);
	for (tok = strtok_r(copy, " ,", &save); tok != NULL;
	     tok = strtok_r(NULL, " ,", &save)) {
		char *colon = strchr(tok, ':');
		int64_t d;

		if (colon == NULL || colon[1] == '\0' ||
		    cfg->nladder == CONFIG_MAX_STEPS) {
			errlist_add(errs, path, LINE_OF("alerts.escalations"),
			    "alerts.escalations",
			    "\"%s\" is not delay:recipient (like 1d:"
			    "township_leadership), or more than 8 steps", tok);
			break;
		}
		*colon = '\0';
		d = strcmp(tok, "0") == 0 ? 0 : parse_duration(tok);
		if (d < 0 || (cfg->nladder > 0 &&
		    d < cfg->ladder[cfg->nladder - 1].delay)) {
			errlist_add(errs, path, LINE_OF("alerts.escalations"),
			    "alerts.escalations",
			    "delay \"%s\" is not a duration at or after the "
			    "previous step's", tok);
			break;
		}
		cfg->ladder[cfg->nladder].delay = d;
		strlcpy_safe(cfg->ladder[cfg->nladder].recipient, colon + 1,
		    sizeof(cfg->ladder[0].recipient));
		cfg->nladder++;
	}
	free(copy);

	cfg->digest_minute = parse_hhmm(cfg->alerts_digest_at);
	if (cfg->digest_minute < 0)
		errlist_add(errs, path, LINE_OF("alerts.digest_at"),
		    "alerts.digest_at", "\"%s\" is not HH:MM",
		    cfg->alerts_digest_at);
	cfg->work_from = cfg->work_to = 0;
	if (cfg->alerts_working_hours[0] != '\0') {
		char from[8], to[8];

		if (strlen(cfg->alerts_working_hours) != 11 ||
		    cfg->alerts_working_hours[5] != '-' ||
		    (memcpy(from, cfg->alerts_working_hours, 5), from[5] = 0,
			memcpy(to, cfg->alerts_working_hours + 6, 5), to[5] = 0,
			(cfg->work_from = parse_hhmm(from)) < 0) ||
		    (cfg->work_to = parse_hhmm(to)) < 0 ||
		    cfg->work_to <= cfg->work_from)
			errlist_add(errs, path, LINE_OF("alerts.working_hours"),
			    "alerts.working_hours",
			    "\"%s\" is not HH:MM-HH:MM (from before to)",
			    cfg->alerts_working_hours);
	}
#undef LINE_OF
}

static void
validate(struct config *cfg, const char *path, config_t *cf,
    struct errlist *errs)
{
	config_setting_t *cs;
	int line;

#define LINE_OF(key)                                                           \
	((cs = config_lookup(cf, key)) ? config_setting_source_line(cs) : 0)

	if (iso_parse(cfg->clock_start, ISO_SHANGHAI_OFFSET,
		&cfg->clock_start_at) < 0)
		errlist_add(errs, path, LINE_OF("clock.start"), "clock.start",
		    "\"%s\" is not an ISO 8601 moment", cfg->clock_start);
	if (!log_facility_valid(cfg->log_facility))
		errlist_add(errs, path, LINE_OF("log.facility"),
		    "log.facility", "unknown syslog facility \"%s\"",
		    cfg->log_facility);
	if (!log_level_valid(cfg->log_level))
		errlist_add(errs, path, LINE_OF("log.level"), "log.level",
		    "unknown level \"%s\"", cfg->log_level);
	if (cfg->control_socket[0] != '/')
		errlist_add(errs, path, LINE_OF("control.socket"),
		    "control.socket", "must be an absolute path");
	line = LINE_OF("control.socket");
	if (strlen(cfg->control_socket) >= 100)
		errlist_add(errs, path, line, "control.socket",
		    "path longer than a Unix socket allows");
	if (cfg->workflows_campaign[0] == '\0' ||
	    strchr(cfg->workflows_campaign, '/') != NULL)
		errlist_add(errs, path, LINE_OF("workflows.campaign"),
		    "workflows.campaign", "must be a plain directory name");
	if (cfg->database_conninfo[0] == '\0')
		errlist_add(errs, path, LINE_OF("database.conninfo"),
		    "database.conninfo", "must not be empty");
#undef LINE_OF
	parse_alerts(cfg, path, cf, errs);
}

struct config *
config_load(const char *path, struct errlist *errs)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	size_t before = errs->count;
	config_t cf;
	char msg[256], text[1024];

	cfg->path = xstrdup(path);
	for (size_t i = 0; i < nitems(settings); i++)
		if (setting_store(cfg, &settings[i], settings[i].def, msg,
			sizeof(msg)) != NULL)
			fatalx("built-in default of %s: %s", settings[i].name,
			    msg);

	config_init(&cf);
	if (config_read_file(&cf, path) != CONFIG_TRUE) {
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
			errlist_add(errs, path, 0, NULL, "cannot read: %s",
			    strerror(errno));
		else
			errlist_add(errs,
			    config_error_file(&cf) ? config_error_file(&cf) :
						     path,
			    config_error_line(&cf), NULL, "%s",
			    config_error_text(&cf));
		goto done;
	}

	check_unknown(config_root_setting(&cf), path, errs);
	for (size_t i = 0; i < nitems(settings); i++) {
		const struct cfg_setting *s = &settings[i];
		config_setting_t *cs = config_lookup(&cf, s->name);
		const char *err;

		if (cs == NULL)
			continue;
		if (config_setting_is_aggregate(cs) ||
		    setting_text(cs, text, sizeof(text)) < 0) {
			errlist_add(errs, source_file(cs, path),
			    config_setting_source_line(cs), s->name,
			    "must be a single value");
			continue;
		}
		if ((s->type == T_STRING || s->type == T_MODE) &&
		    config_setting_type(cs) != CONFIG_TYPE_STRING) {
			errlist_add(errs, source_file(cs, path),
			    config_setting_source_line(cs), s->name,
			    "must be a string in double quotes");
			continue;
		}
		err = setting_store(cfg, s, text, msg, sizeof(msg));
		if (err != NULL)
			errlist_add(errs, source_file(cs, path),
			    config_setting_source_line(cs), s->name, "%s", err);
	}
	{
		config_setting_t *acc = config_lookup(&cf, "access");
		if (acc != NULL)
			load_access(cfg, acc, path, errs);
	}
	validate(cfg, path, &cf, errs);
done:
	config_destroy(&cf);
	if (errs->count > before) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < nitems(settings); i++)
		if (settings[i].type == T_STRING)
			free(*FIELD(cfg, &settings[i], char *));
	for (size_t i = 0; i < cfg->naccess; i++) {
		free(cfg->access[i].role);
		free(cfg->access[i].village);
		free(cfg->access[i].uids);
		free(cfg->access[i].token_hash);
		free(cfg->access[i].name);
	}
	free(cfg->access);
	free(cfg->path);
	free(cfg);
}

static void
format_value(const struct config *cfg, const struct cfg_setting *s,
    char *buf, size_t len)
{
	switch (s->type) {
	case T_STRING:
		snprintf(buf, len, "%s", *FIELD(cfg, s, char *));
		break;
	case T_MODE:
		snprintf(buf, len, "0%llo",
		    (unsigned long long)*FIELD(cfg, s, int64_t));
		break;
	case T_INT:
		snprintf(buf, len, "%lld", (long long)*FIELD(cfg, s, int64_t));
		break;
	case T_DURATION:
		snprintf(buf, len, "%llds",
		    (long long)*FIELD(cfg, s, int64_t));
		break;
	case T_FLOAT:
		snprintf(buf, len, "%g", *FIELD(cfg, s, double));
		break;
	case T_ENUM:
		snprintf(buf, len, "%s", s->choices[*FIELD(cfg, s, int)]);
		break;
	}
}

static int
setting_equal(const struct config *a, const struct config *b,
    const struct cfg_setting *s)
{
	char va[1024], vb[1024];

	format_value(a, s, va, sizeof(va));
	format_value(b, s, vb, sizeof(vb));
	return strcmp(va, vb) == 0;
}

void
config_keep_static(struct config *next, const struct config *old,
    struct errlist *warnings)
{
	for (size_t i = 0; i < nitems(settings); i++) {
		const struct cfg_setting *s = &settings[i];

		if (s->reloadable || setting_equal(next, old, s))
			continue;
		errlist_add(warnings, next->path, 0, s->name,
		    "changed, but takes effect only after a restart");
		switch (s->type) {
		case T_STRING:
			free(*FIELD(next, s, char *));
			*FIELD(next, s, char *) =
			    xstrdup(*FIELD(old, s, char *));
			break;
		case T_INT:
		case T_MODE:
		case T_DURATION:
			*FIELD(next, s, int64_t) = *FIELD(old, s, int64_t);
			break;
		case T_FLOAT:
			*FIELD(next, s, double) = *FIELD(old, s, double);
			break;
		case T_ENUM:
			*FIELD(next, s, int) = *FIELD(old, s, int);
			break;
		}
	}
	next->clock_start_at = old->clock_start_at;
}

static const char *
type_name(enum cfg_type t)
{
	switch (t) {
	case T_STRING:
		return "string";
	case T_INT:
		return "integer";
	case T_MODE:
		return "octal mode";
	case T_FLOAT:
		return "number";
	case T_DURATION:
		return "duration";
	case T_ENUM:
		return "choice";
	}
	return "?";
}

int
config_row(const struct config *cfg, size_t i, struct config_row *row)
{
	const struct cfg_setting *s;

	if (i >= nitems(settings))
		return 0;
	s = &settings[i];
	row->name = s->name;
	row->type = type_name(s->type);
	row->help = s->help;
	row->reloadable = s->reloadable;
	format_value(cfg, s, row->value, sizeof(row->value));
	strlcpy_safe(row->def, s->def, sizeof(row->def));
	return 1;
}

void
config_write_defaults(FILE *fp)
{
	const char *group = "";

	fputs("# fupind.conf — configuration of fupind(8); see fupind.conf(5).\n"
	      "# Generated by `fupind -T` from the settings table: every setting,\n"
	      "# its default, and whether SIGHUP reloads it.\n",
	    fp);
	for (size_t i = 0; i < nitems(settings); i++) {
		const struct cfg_setting *s = &settings[i];
		const char *dot = strchr(s->name, '.');
		size_t glen = (size_t)(dot - s->name);
		int quoted = s->type != T_INT && s->type != T_FLOAT;

		if (strncmp(group, s->name, glen) != 0 ||
		    group[glen] != '.') {
			if (*group != '\0')
				fputs("};\n", fp);
			fprintf(fp, "\n%.*s: {\n", (int)glen, s->name);
			group = s->name;
		}
		fprintf(fp, "\t# %s (%s%s)\n", s->help, type_name(s->type),
		    s->reloadable ? ", reloadable" : ", restart to change");
		fprintf(fp, "\t%s = %s%s%s;\n", dot + 1, quoted ? "\"" : "",
		    s->def, quoted ? "\"" : "");
	}
	fputs("};\n\n"
	      "# Who may use the status socket. Unix users are recognised by\n"
	      "# their uid (SO_PEERCRED); TCP clients send AUTH with a token whose\n"
	      "# crypt(3) hash is stored here. Without this list, root and the\n"
	      "# daemon's own user are admin and everybody else may only PING.\n"
	      "# access = (\n"
	      "#   { role = \"admin\"; users = [\"root\"]; },\n"
	      "#   { role = \"township\"; users = [\"fupin-office\"]; },\n"
	      "#   { role = \"village\"; village = \"V01\"; name = \"勐戛村工作队\";\n"
	      "#     users = [\"v01\"]; token = \"$y$j9T$...\"; }\n"
	      "# );\n",
	    fp);
}
