/*
 * Configuration: fupind.conf read through the shared settings table
 * (common/settings.c) into struct config, validation of what the values
 * mean with file:line for every error, and the access list. A config is built
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
#include <sys/stat.h>

#include <libpq-fe.h>

#include "cfgfile.h"
#include "config.h"
#include "isotime.h"
#include "log.h"
#include "role.h"
#include "settings.h"

/*
 * Where each setting of the shared table (common/settings.c) lives in
 * struct config. The field's C type follows the setting's type: char *
 * for strings, int64_t for integers, modes and durations, double for
 * numbers, int for choices.
 */
#define OFF(f) offsetof(struct config, f)
static const size_t fields[SETTINGS_COUNT] = {
	[SET_DATABASE_CONNINFO] = OFF(database_conninfo),
	[SET_DATABASE_SQL_DIR] = OFF(database_sql_dir),
	[SET_DATABASE_RECONNECT_MAX] = OFF(database_reconnect_max),
	[SET_DATABASE_POOL] = OFF(database_pool),
	[SET_DATABASE_ADVANCE_GROUPS] = OFF(database_advance_groups),
	[SET_DATABASE_STATEMENT_TIMEOUT] = OFF(database_statement_timeout),
	[SET_CONTROL_SOCKET] = OFF(control_socket),
	[SET_CONTROL_MAX_UPLOAD] = OFF(control_max_upload),
	[SET_CONTROL_MAX_UPLOADS] = OFF(control_max_uploads),
	[SET_CONTROL_IMPORT_TIMEOUT] = OFF(control_import_timeout),
	[SET_CONTROL_SOCKET_MODE] = OFF(control_socket_mode),
	[SET_CONTROL_MAX_CLIENTS] = OFF(control_max_clients),
	[SET_CONTROL_IDLE_TIMEOUT] = OFF(control_idle_timeout),
	[SET_CONTROL_MAX_OUTPUT] = OFF(control_max_output),
	[SET_CONTROL_LISTEN] = OFF(control_listen),
	[SET_CONTROL_HTTP] = OFF(control_http),
	[SET_CONTROL_LISTEN_REMOTE] = OFF(control_listen_remote),
	[SET_CONTROL_MAX_PER_USER] = OFF(control_max_per_user),
	[SET_CONTROL_MAX_ANONYMOUS] = OFF(control_max_anonymous),
	[SET_CONTROL_MAX_ANONYMOUS_PER_PEER] = OFF(control_max_anonymous_per_peer),
	[SET_CONTROL_AUTH_TIMEOUT] = OFF(control_auth_timeout),
	[SET_CONTROL_REQUEST_TIMEOUT] = OFF(control_request_timeout),
	[SET_CONTROL_HTTP_MAX_CLIENTS] = OFF(control_http_max_clients),
	[SET_CONTROL_METRICS_REMOTE] = OFF(control_metrics_remote),
	[SET_CLOCK_MODE] = OFF(clock_mode),
	[SET_CLOCK_START] = OFF(clock_start),
	[SET_CLOCK_RATE] = OFF(clock_rate),
	[SET_WORKFLOWS_DIR] = OFF(workflows_dir),
	[SET_WORKFLOWS_CAMPAIGN] = OFF(workflows_campaign),
	[SET_NOTIFY_COMMAND] = OFF(notify_command),
	[SET_NOTIFY_TIMEOUT] = OFF(notify_timeout),
	[SET_NOTIFY_RETRY_MAX] = OFF(notify_retry_max),
	[SET_NOTIFY_CONCURRENCY] = OFF(notify_concurrency),
	[SET_NOTIFY_BATCH] = OFF(notify_batch),
	[SET_ALERTS_REMINDERS] = OFF(alerts_reminders),
	[SET_ALERTS_ESCALATIONS] = OFF(alerts_escalations),
	[SET_ALERTS_ESCALATIONS_TOWNSHIP] = OFF(alerts_escalations_township),
	[SET_ALERTS_ESCALATIONS_CITY] = OFF(alerts_escalations_city),
	[SET_ALERTS_DIGEST_AT] = OFF(alerts_digest_at),
	[SET_ALERTS_LANGUAGE] = OFF(alerts_language),
	[SET_ALERTS_WORKING_HOURS] = OFF(alerts_working_hours),
	[SET_RULES_NOTICE_MIN_DAYS] = OFF(rules_notice_min_days),
	[SET_LOG_FACILITY] = OFF(log_facility),
	[SET_LOG_LEVEL] = OFF(log_level),
	[SET_LOG_IDENT] = OFF(log_ident),
};

#define FIELD(cfg, i, type) ((type *)((char *)(cfg) + fields[i]))

static void
field_get(const struct config *cfg, size_t i, union setting_value *v)
{
	switch (settings_table[i].type) {
	case SETTING_STRING:
		v->s = *FIELD(cfg, i, char *);
		break;
	case SETTING_INT:
	case SETTING_MODE:
	case SETTING_DURATION:
		v->n = *FIELD(cfg, i, int64_t);
		break;
	case SETTING_FLOAT:
		v->d = *FIELD(cfg, i, double);
		break;
	case SETTING_ENUM:
		v->e = *FIELD(cfg, i, int);
		break;
	}
}

/* Store v; a string's ownership passes to cfg. */
static void
field_put(struct config *cfg, size_t i, const union setting_value *v)
{
	switch (settings_table[i].type) {
	case SETTING_STRING:
		free(*FIELD(cfg, i, char *));
		*FIELD(cfg, i, char *) = v->s;
		break;
	case SETTING_INT:
	case SETTING_MODE:
	case SETTING_DURATION:
		*FIELD(cfg, i, int64_t) = v->n;
		break;
	case SETTING_FLOAT:
		*FIELD(cfg, i, double) = v->d;
		break;
	case SETTING_ENUM:
		*FIELD(cfg, i, int) = v->e;
		break;
	}
}

static void
format_value(const struct config *cfg, size_t i, char *buf, size_t len)
{
	union setting_value v;

	field_get(cfg, i, &v);
	setting_format(&settings_table[i], &v, buf, len);
}

static void
resolve_user(struct access_entry *a, const char *name, struct cfgfile *cf,
    const config_setting_t *at)
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
		cfgfile_error(cf, at, NULL, "access.users",
		    "no such user \"%s\"", name);
		return;
	}
	uid = pw->pw_uid;
add:
	a->uids = xrealloc(a->uids, (a->nuids + 1) * sizeof(*a->uids));
	a->uids[a->nuids++] = (uid_t)uid;
}

static void
load_access(struct config *cfg, struct cfgfile *cf,
    const config_setting_t *list)
{
	static const char *const access_keys[] = { "role", "village", "users",
		"token", "name", NULL };
	int n = config_setting_length(list);

	if (!config_setting_is_list(list)) {
		cfgfile_error(cf, list, NULL, "access",
		    "must be a list of ( { role = ...; ... }, ... )");
		return;
	}
	cfg->access = xcalloc((size_t)n, sizeof(*cfg->access));
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(list,
		    (unsigned)i);
		struct access_entry *a = &cfg->access[cfg->naccess++];
		const char *role = NULL, *village = NULL, *token = NULL,
			   *name = NULL;
		const config_setting_t *users;

		if (!config_setting_is_group(e)) {
			cfgfile_error(cf, e, NULL, "access",
			    "entry %d is not a group { ... }", i + 1);
			continue;
		}
		cfgfile_check_keys(cf, e, "access", access_keys);
		/* A role of another type is a wrong role, said once. */
		config_setting_lookup_string(e, "role", &role);
		if (role == NULL || !role_valid(role)) {
			cfgfile_error(cf, e, NULL, "access.role",
			    "role must be admin, township, city or village");
			continue;
		}
		if (cfgfile_string(cf, e, "access", "village", 0,
		    &village) < 0 ||
		    cfgfile_string(cf, e, "access", "token", 0, &token) < 0 ||
		    cfgfile_string(cf, e, "access", "name", 0, &name) < 0)
			continue;
		a->role = xstrdup(role);
		if (strcmp(role, "village") == 0) {
			if (village == NULL || *village == '\0') {
				cfgfile_error(cf, e, NULL, "access.village",
				    "a village entry names its village");
				continue;
			}
			a->village = xstrdup(village);
		} else if (village != NULL)
			cfgfile_error(cf, e, NULL, "access.village",
			    "only a village entry names a village");
		if (token != NULL) {
			if (token[0] != '$') {
				cfgfile_error(cf, e, NULL, "access.token",
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
				cfgfile_error(cf, users, NULL, "access.users",
				    "must be [\"name\", ...]");
				continue;
			}
			for (int k = 0; k < config_setting_length(users); k++) {
				const char *u = config_setting_get_string_elem(
				    users, (unsigned)k);
				if (u == NULL)
					cfgfile_error(cf, users, NULL,
					    "access.users",
					    "user names are strings");
				else
					resolve_user(a, u, cf, users);
			}
		}
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

/* The line a setting was read from, for errors about its meaning. */
#define LINE_OF(key) (set->line[SET_##key])

/* "0:township_office 1d:township_leadership": steps in order of delay. */
static size_t
parse_ladder(const char *text, struct ladder_step *ladder, const char *path,
    int line, const char *key, struct errlist *errs)
{
	char *copy, *tok, *save;
	size_t n = 0;

	copy = xstrdup(text);
	for (tok = strtok_r(copy, " ,", &save); tok != NULL;
	     tok = strtok_r(NULL, " ,", &save)) {
		char *colon = strchr(tok, ':');
		int64_t d;

		if (colon == NULL || colon[1] == '\0' ||
		    n == CONFIG_MAX_STEPS) {
			errlist_add(errs, path, line, key,
			    "\"%s\" is not delay:recipient (like 1d:"
			    "township_leadership), or more than 8 steps", tok);
			break;
		}
		*colon = '\0';
		d = strcmp(tok, "0") == 0 ? 0 : parse_duration(tok);
		if (d < 0 || (n > 0 && d < ladder[n - 1].delay)) {
			errlist_add(errs, path, line, key,
			    "delay \"%s\" is not a duration at or after the "
			    "previous step's", tok);
			break;
		}
		ladder[n].delay = d;
		strlcpy_safe(ladder[n].recipient, colon + 1,
		    sizeof(ladder[0].recipient));
		n++;
	}
	free(copy);
	return n;
}

static void
parse_alerts(struct config *cfg, const char *path,
    const struct settings *set, struct errlist *errs)
{
	char *copy, *tok, *save;

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
			errlist_add(errs, path, LINE_OF(ALERTS_REMINDERS),
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

	cfg->nladder = parse_ladder(cfg->alerts_escalations, cfg->ladder, path,
	    LINE_OF(ALERTS_ESCALATIONS), "alerts.escalations", errs);
	cfg->nladder_township = parse_ladder(cfg->alerts_escalations_township,
	    cfg->ladder_township, path, LINE_OF(ALERTS_ESCALATIONS_TOWNSHIP),
	    "alerts.escalations_township", errs);
	cfg->nladder_city = parse_ladder(cfg->alerts_escalations_city,
	    cfg->ladder_city, path, LINE_OF(ALERTS_ESCALATIONS_CITY),
	    "alerts.escalations_city", errs);

	cfg->digest_minute = parse_hhmm(cfg->alerts_digest_at);
	if (cfg->digest_minute < 0)
		errlist_add(errs, path, LINE_OF(ALERTS_DIGEST_AT),
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
			errlist_add(errs, path, LINE_OF(ALERTS_WORKING_HOURS),
			    "alerts.working_hours",
			    "\"%s\" is not HH:MM-HH:MM (from before to)",
			    cfg->alerts_working_hours);
	}
}

static void
validate(struct config *cfg, const char *path, const struct settings *set,
    struct errlist *errs)
{
	int line;

	if (iso_parse(cfg->clock_start, ISO_SHANGHAI_OFFSET,
		&cfg->clock_start_at) < 0)
		errlist_add(errs, path, LINE_OF(CLOCK_START), "clock.start",
		    "\"%s\" is not an ISO 8601 moment", cfg->clock_start);
	if (!log_facility_valid(cfg->log_facility))
		errlist_add(errs, path, LINE_OF(LOG_FACILITY),
		    "log.facility", "unknown syslog facility \"%s\"",
		    cfg->log_facility);
	if (!log_level_valid(cfg->log_level))
		errlist_add(errs, path, LINE_OF(LOG_LEVEL), "log.level",
		    "unknown level \"%s\"", cfg->log_level);
	if (cfg->control_socket[0] != '/')
		errlist_add(errs, path, LINE_OF(CONTROL_SOCKET),
		    "control.socket", "must be an absolute path");
	line = LINE_OF(CONTROL_SOCKET);
	if (strlen(cfg->control_socket) >= 100)
		errlist_add(errs, path, line, "control.socket",
		    "path longer than a Unix socket allows");
	if (cfg->workflows_campaign[0] == '\0' ||
	    strchr(cfg->workflows_campaign, '/') != NULL)
		errlist_add(errs, path, LINE_OF(WORKFLOWS_CAMPAIGN),
		    "workflows.campaign", "must be a plain directory name");
	if (cfg->database_conninfo[0] == '\0')
		errlist_add(errs, path, LINE_OF(DATABASE_CONNINFO),
		    "database.conninfo", "must not be empty");
	parse_alerts(cfg, path, set, errs);
}

struct config *
config_load(const char *path, struct errlist *errs)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	size_t before = errs->count;
	struct settings set;
	struct cfgfile cf;
	int readable;

	for (size_t i = 0; i < SETTINGS_COUNT; i++)
		if (fields[i] == 0)
			fatalx("setting %s has no field in struct config",
			    settings_table[i].name);
	cfg->path = xstrdup(path);
	settings_init(&set);
	readable = cfgfile_open(&cf, path, errs) == 0;
	if (readable) {
		const config_setting_t *acc;

		settings_read(&set, &cf);
		if ((acc = config_setting_get_member(cfgfile_root(&cf),
		    "access")) != NULL)
			load_access(cfg, &cf, acc);
	}
	/* The values' strings now belong to cfg. */
	for (size_t i = 0; i < SETTINGS_COUNT; i++)
		field_put(cfg, i, &set.v[i]);
	if (readable)
		validate(cfg, path, &set, errs);
	cfgfile_close(&cf);
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
	for (size_t i = 0; i < SETTINGS_COUNT; i++)
		if (settings_table[i].type == SETTING_STRING)
			free(*FIELD(cfg, i, char *));
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

static int
setting_equal(const struct config *a, const struct config *b, size_t i)
{
	char va[1024], vb[1024];

	format_value(a, i, va, sizeof(va));
	format_value(b, i, vb, sizeof(vb));
	return strcmp(va, vb) == 0;
}

void
config_keep_static(struct config *next, const struct config *old,
    struct errlist *warnings)
{
	for (size_t i = 0; i < SETTINGS_COUNT; i++) {
		const struct setting *s = &settings_table[i];
		union setting_value v;

		if (s->reloadable || setting_equal(next, old, i))
			continue;
		errlist_add(warnings, next->path, 0, s->name,
		    "changed, but takes effect only after a restart");
		field_get(old, i, &v);
		if (s->type == SETTING_STRING)
			v.s = xstrdup(v.s);
		field_put(next, i, &v);
	}
	next->clock_start_at = old->clock_start_at;
}

int
config_row(const struct config *cfg, size_t i, struct config_row *row)
{
	const struct setting *s;

	if (i >= SETTINGS_COUNT)
		return 0;
	s = &settings_table[i];
	row->name = s->name;
	row->type = setting_type_name(s->type);
	row->help = s->help;
	row->reloadable = s->reloadable;
	format_value(cfg, i, row->value, sizeof(row->value));
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
	for (size_t i = 0; i < SETTINGS_COUNT; i++) {
		const struct setting *s = &settings_table[i];
		const char *dot = strchr(s->name, '.');
		size_t glen = (size_t)(dot - s->name);
		int quoted = s->type != SETTING_INT && s->type != SETTING_FLOAT;

		if (strncmp(group, s->name, glen) != 0 ||
		    group[glen] != '.') {
			if (*group != '\0')
				fputs("};\n", fp);
			fprintf(fp, "\n%.*s: {\n", (int)glen, s->name);
			group = s->name;
		}
		fprintf(fp, "\t# %s (%s%s)\n", s->help,
		    setting_type_name(s->type),
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

int
config_password_exposed(const struct config *cfg)
{
	PQconninfoOption *opts, *o;
	struct stat st;
	int password = 0;

	if ((opts = PQconninfoParse(cfg->database_conninfo, NULL)) == NULL)
		return 0;
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL &&
		    o->val[0] != '\0')
			password = 1;
	PQconninfoFree(opts);
	if (!password || stat(cfg->path, &st) == -1)
		return 0;
	return (st.st_mode & S_IROTH) != 0;
}
