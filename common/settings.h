/*
 * fupind.conf's settings, declared once (name, type, default, reloadable,
 * limits, help) for fupind and fupinctl: fupinctl finds the socket, the
 * database and the campaign with the daemon's own defaults. The table
 * drives reading, validation of single values, `fupind -T` and CONFIG;
 * what a value means (and the access list) is the daemon's business.
 */
#ifndef FUPIN_SETTINGS_H
#define FUPIN_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "cfgfile.h"

enum setting_type {
	SETTING_STRING,
	SETTING_INT,
	SETTING_MODE,	  /* octal, as a string: libconfig reads 0660 as 660 */
	SETTING_FLOAT,	  /* positive */
	SETTING_DURATION, /* seconds, written "30s", "5m", "1d" */
	SETTING_ENUM	  /* index into choices */
};

/* In the order of the table, of `fupind -T` and of CONFIG. */
enum setting_id {
	SET_DATABASE_CONNINFO,
	SET_DATABASE_SQL_DIR,
	SET_DATABASE_RECONNECT_MAX,
	SET_DATABASE_STATEMENT_TIMEOUT,
	SET_DATABASE_POOL,
	SET_DATABASE_ADVANCE_GROUPS,
	SET_CONTROL_SOCKET,
	SET_CONTROL_SOCKET_MODE,
	SET_CONTROL_MAX_CLIENTS,
	SET_CONTROL_IDLE_TIMEOUT,
	SET_CONTROL_MAX_OUTPUT,
	SET_CONTROL_LISTEN,
	SET_CONTROL_HTTP,
	SET_CONTROL_LISTEN_REMOTE,
	SET_CONTROL_MAX_PER_USER,
	SET_CONTROL_MAX_ANONYMOUS,
	SET_CONTROL_MAX_ANONYMOUS_PER_PEER,
	SET_CONTROL_AUTH_TIMEOUT,
	SET_CONTROL_REQUEST_TIMEOUT,
	SET_CONTROL_HTTP_MAX_CLIENTS,
	SET_CONTROL_METRICS_REMOTE,
	SET_CONTROL_MAX_UPLOAD,
	SET_CONTROL_MAX_UPLOADS,
	SET_CONTROL_IMPORT_TIMEOUT,
	SET_CLOCK_MODE,
	SET_CLOCK_START,
	SET_CLOCK_RATE,
	SET_WORKFLOWS_DIR,
	SET_WORKFLOWS_CAMPAIGN,
	SET_NOTIFY_COMMAND,
	SET_NOTIFY_TIMEOUT,
	SET_NOTIFY_RETRY_MAX,
	SET_NOTIFY_CONCURRENCY,
	SET_NOTIFY_BATCH,
	SET_ALERTS_REMINDERS,
	SET_ALERTS_ESCALATIONS,
	SET_ALERTS_ESCALATIONS_TOWNSHIP,
	SET_ALERTS_ESCALATIONS_CITY,
	SET_ALERTS_DIGEST_AT,
	SET_ALERTS_LANGUAGE,
	SET_ALERTS_WORKING_HOURS,
	SET_RULES_NOTICE_MIN_DAYS,
	SET_LOG_FACILITY,
	SET_LOG_LEVEL,
	SET_LOG_IDENT,
	SETTINGS_COUNT
};

struct setting {
	const char *name; /* "group.key" */
	enum setting_type type;
	const char *def;  /* as it would be written in the file */
	int reloadable;
	int64_t min, max; /* SETTING_INT, _MODE, _DURATION */
	const char *const *choices; /* SETTING_ENUM, NULL-terminated */
	const char *help;
};

extern const struct setting settings_table[SETTINGS_COUNT];

union setting_value {
	char *s;   /* SETTING_STRING, owned */
	int64_t n; /* SETTING_INT, _MODE, _DURATION */
	double d;  /* SETTING_FLOAT */
	int e;	   /* SETTING_ENUM */
};

/* Every setting's value and the line it was read from (0: default). */
struct settings {
	union setting_value v[SETTINGS_COUNT];
	int line[SETTINGS_COUNT];
};

/* Every value to its default. */
void settings_init(struct settings *);
void settings_free(struct settings *);
/*
 * Read the table's settings from an open file over the current values:
 * unknown settings ("did you mean"), wrong types and values out of limits
 * go to the file's errlist and leave the value as it was.
 */
void settings_read(struct settings *, struct cfgfile *);
/*
 * settings_init and settings_read of path, for fupinctl: -1 when the file
 * cannot be read or parsed (defaults kept), else 0; errors go to errs.
 */
int settings_load(struct settings *, const char *path, struct errlist *errs);

/* Parse text as s's type into v: NULL, or a message written to msg. */
const char *setting_parse(const struct setting *s, const char *text,
    union setting_value *v, char *msg, size_t len);
/* v as CONFIG and reload comparisons show it ("30s", "0660", "zh"). */
void setting_format(const struct setting *s, const union setting_value *v,
    char *buf, size_t len);
/* "string", "integer", "duration" ... for `fupind -T` and CONFIG. */
const char *setting_type_name(enum setting_type);
/* The setting called name, or NULL. */
const struct setting *setting_find(const char *name);

#endif
