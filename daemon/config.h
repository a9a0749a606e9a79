/*
 * fupind's configuration. Every scalar setting is declared once, in the
 * table in common/settings.c (name, type, default, reloadable, limits,
 * help), shared with fupinctl; that table drives parsing, validation,
 * `fupind -T` (the documented default file) and the CONFIG answer on the
 * status socket. config.c maps it onto struct config.
 */
#ifndef FUPIN_CONFIG_H
#define FUPIN_CONFIG_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "util.h"

enum clock_mode { CLOCK_REAL, CLOCK_SIMULATED, CLOCK_MANUAL };
enum alerts_language { ALERTS_ZH, ALERTS_EN };

/* "zh" or "en", as the SQL functions take it. */
#define ALERTS_LANGUAGE_NAME(cfg) ((cfg)->alerts_language == ALERTS_EN ? "en" : "zh")

/* One principal that may use the status socket. */
struct access_entry {
	char *role;	   /* admin, township, city, village */
	char *village;	   /* for role village */
	uid_t *uids;	   /* Unix users mapped to this role */
	size_t nuids;
	char *token_hash;  /* crypt(3) hash for AUTH on TCP, or NULL */
	char *name;	   /* label used in the audit trail */
};

#define CONFIG_MAX_STEPS 8

/* One rung of the escalation ladder: delay after the deadline, who. */
struct ladder_step {
	int64_t delay;
	char recipient[64];
};

struct config {
	char *path;

	char *database_conninfo;
	char *database_sql_dir;
	int64_t database_reconnect_max;	  /* seconds */
	int64_t database_statement_timeout; /* seconds */
	int64_t database_pool;		  /* request connections */
	int64_t database_advance_groups;  /* ADVANCE groups at once */

	char *control_socket;
	int64_t control_socket_mode;
	int64_t control_max_clients;
	int64_t control_idle_timeout;
	int64_t control_max_output;
	char *control_listen;	  /* "host:port" or "" */
	int control_listen_remote; /* 1: listen/http may be non-loopback */
	char *control_http;	  /* "host:port" or "" */
	int64_t control_max_per_user;
	int64_t control_max_anonymous;
	int64_t control_max_anonymous_per_peer;
	int64_t control_auth_timeout;
	int64_t control_request_timeout;
	int64_t control_http_max_clients;
	int control_metrics_remote; /* 1: /metrics totals to any peer */
	int64_t control_max_upload;	/* bytes of one import's rows */
	int64_t control_max_uploads;
	int64_t control_import_timeout; /* seconds */

	int clock_mode;
	char *clock_start;
	int64_t clock_start_at;	  /* parsed clock_start */
	double clock_rate;

	char *workflows_dir;
	char *workflows_campaign;

	char *notify_command;
	int64_t notify_timeout;
	int64_t notify_retry_max;
	int64_t notify_concurrency;
	int64_t notify_batch;

	char *alerts_reminders;	  /* "3d 1d" */
	char *alerts_escalations; /* "0:township_office 1d:township_leadership 3d:city" */
	char *alerts_escalations_township; /* "1d:township_leadership" */
	char *alerts_escalations_city;     /* "3d:city" */
	char *alerts_digest_at;	  /* "08:00" */
	int alerts_language;	  /* index: ALERTS_ZH, ALERTS_EN */
	char *alerts_working_hours; /* "08:00-18:00" or "" */

	int64_t rules_notice_min_days; /* -1: campaign file decides */

	/* Parsed from the alerts.* strings above. */
	struct reminder {
		int64_t seconds;      /* before the deadline, or */
		int working_days;     /* > 0: working days before it */
	} reminders[CONFIG_MAX_STEPS];
	size_t nreminders;
	/* One ladder per party that must act: village steps, township steps
	 * (review, notice, request), city steps (confirmation, re-check). */
	struct ladder_step ladder[CONFIG_MAX_STEPS];
	size_t nladder;
	struct ladder_step ladder_township[CONFIG_MAX_STEPS];
	size_t nladder_township;
	struct ladder_step ladder_city[CONFIG_MAX_STEPS];
	size_t nladder_city;
	int digest_minute;		/* minutes after local midnight */
	int work_from, work_to;		/* minutes; from == to: any time */

	char *log_facility;
	char *log_level;
	char *log_ident;

	struct access_entry *access;
	size_t naccess;
};

/* Load and validate path into a new config; NULL with errs filled. */
struct config *config_load(const char *path, struct errlist *errs);
void config_free(struct config *);
/*
 * For reload: settings that cannot change at run time are copied from old
 * into next; each one that differed is reported in warnings.
 */
void config_keep_static(struct config *next, const struct config *old,
    struct errlist *warnings);
/* Write every setting with its help text and default: etc/fupind.conf. */
void config_write_defaults(FILE *);

/* Iterate the table for CONFIG: returns 0 past the end. */
struct config_row {
	const char *name, *type, *help;
	char value[512], def[256];
	int reloadable;
};
int config_row(const struct config *, size_t i, struct config_row *);

/* 1 when database.conninfo holds a password and the file it came from may
 * be read by others than its owner and group (fupind -t warns). */
int config_password_exposed(const struct config *);

#endif
