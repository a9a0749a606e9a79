/*
 * fupind: start-up, signals, the event loop, reload and graceful stop.
 *
 *   fupind [-c FILE] [-f] [-t] [-T] [--migrate] [-V] [-h]
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "campaign.h"
#include "cmd.h"
#include "control.h"
#include "deadline.h"
#include "notify.h"
#include "engine.h"
#include "fupind.h"
#include "import.h"
#include "isotime.h"
#include "log.h"
#include "metrics.h"
#include "leader.h"
#include "migrate.h"
#include "wfdoc.h"
#include "workflow.h"

struct fupind *fupind;

/* A sweep of a large register may take longer than a request. */
#define BG_TIMEOUT_FACTOR 10

static struct event *ev_stop_check, *ev_watchdog, *ev_schema_retry;
static struct event *sig_events[4];

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: fupind [-c FILE] [-f] [-t] [-T] [--migrate] [--describe] [-V] "
	    "[-h]\n"
	    "  -c FILE     configuration (default %s/fupind.conf)\n"
	    "  -f          stay in the foreground; log to stderr too\n"
	    "  -t          check the configuration and workflow files, then "
	    "exit\n"
	    "  -T          print every setting with its default, then exit\n"
	    "  --migrate   apply pending schema migrations, then exit\n"
	    "  --describe  print the workflows as Markdown, then exit\n"
	    "  -V          print the version\n"
	    "  -h          this help\n",
	    FUPIN_SYSCONFDIR);
}

static void
print_errors(const struct errlist *e)
{
	for (size_t i = 0; i < e->count; i++)
		fprintf(stderr, "%s\n", e->items[i]);
}

static void
log_errors(const char *what, const struct errlist *e)
{
	for (size_t i = 0; i < e->count; i++)
		log_warnx("%s: %s", what, e->items[i]);
}

/* Everything -t checks: the configuration, then the campaign files it
 * names. Returns the number of errors. */
static size_t
check_all(const char *path, struct config **cfgp, struct campaign **campp,
    struct errlist *errs)
{
	struct config *cfg = config_load(path, errs);
	struct campaign *camp = NULL;

	if (cfg != NULL)
		camp = campaign_load(cfg->workflows_dir,
		    cfg->workflows_campaign, errs);
	if (camp != NULL && cfg->rules_notice_min_days >= 0)
		wf_set_notice_min_days(camp->wf,
		    (int)cfg->rules_notice_min_days);
	if (errs->count > 0) {
		campaign_free(camp);
		config_free(cfg);
		return errs->count;
	}
	*cfgp = cfg;
	*campp = camp;
	return 0;
}

static void
apply_logging(const struct config *cfg)
{
	log_set_facility(cfg->log_facility);
	log_set_level(cfg->log_level);
}

/*
 * SIGHUP: build a complete new configuration and campaign; swap them in
 * only if both loaded. A bad file is logged with file:line and the running
 * configuration stays.
 */
static void
reload(void)
{
	struct errlist errs, warnings;
	struct config *cfg = NULL;
	struct campaign *camp = NULL;

	sd_notify(0, "RELOADING=1\nSTATUS=reloading configuration");
	errlist_init(&errs);
	errlist_init(&warnings);
	if (check_all(fupind->cfg->path, &cfg, &camp, &errs) > 0) {
		log_errors("reload failed, keeping the running configuration",
		    &errs);
		metrics_count("reloads", "failed", 1);
		goto done;
	}
	config_keep_static(cfg, fupind->cfg, &warnings);
	log_errors("reload", &warnings);
	config_free(fupind->cfg);
	fupind->cfg = cfg;
	campaign_free(fupind->campaign);
	fupind->campaign = camp;
	apply_logging(cfg);
	control_apply_config(fupind->control, cfg);
	db_set_limits(fupind->db, (int)cfg->database_reconnect_max,
	    (int)cfg->database_statement_timeout);
	db_set_limits(fupind->db_bg, (int)cfg->database_reconnect_max,
	    (int)cfg->database_statement_timeout * BG_TIMEOUT_FACTOR);
	db_set_conninfo(fupind->db, cfg->database_conninfo);
	db_set_conninfo(fupind->db_bg, cfg->database_conninfo);
	/* A read-only or unreachable database is tried again now. */
	db_retry_now(fupind->db);
	db_retry_now(fupind->db_bg);
	engine_reconfigure();
	leader_reconfigure();
	deadline_sweep_soon();
	notify_kick();
	metrics_count("reloads", "ok", 1);
	log_notice("configuration reloaded from %s", cfg->path);
done:
	errlist_free(&errs);
	errlist_free(&warnings);
	sd_notify(0, "READY=1\nSTATUS=running");
}

static void
stop_check_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = { 0, 50000 };

	/* Finish what was accepted: answers being computed and statements
	 * already sent. */
	if (control_idle(fupind->control) && !db_busy(fupind->db) &&
	    !db_busy(fupind->db_bg) &&
	    engine_idle() && deadline_idle() && notify_idle()) {
		event_base_loopbreak(fupind->base);
		return;
	}
	evtimer_add(ev_stop_check, &tv);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	switch (sig) {
	case SIGHUP:
		if (!fupind->stopping)
			reload();
		break;
	case SIGTERM:
	case SIGINT:
		if (fupind->stopping) {
			log_notice("second signal: stopping at once");
			exit(1);
		}
		fupind->stopping = 1;
		log_notice("stopping (signal %d); finishing in-flight work",
		    (int)sig);
		sd_notify(0, "STOPPING=1\nSTATUS=stopping");
		control_close_listeners(fupind->control);
		notify_stop();
		stop_check_cb(-1, 0, NULL);
		break;
	}
}

static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	sd_notify(0, "WATCHDOG=1");
}

static void schema_check(void);
static void background_maybe_start(void);

static void
schema_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	schema_check();
}

static void
schema_checked(const PGresult *res, const char *err, void *arg)
{
	struct timeval tv = { 5, 0 };
	int version;

	if (res == NULL)
		return; /* connection lost; rechecked when it returns */
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warnx("database: cannot read the schema version (%s); "
			  "run fupind --migrate",
		    PQresultErrorMessage(res));
		goto retry;
	}
	version = atoi(PQgetvalue(res, 0, 0));
	if (version != fupind->schema_version) {
		log_warnx("database: schema is at version %d, this fupind "
			  "needs %d; run fupind --migrate",
		    version, fupind->schema_version);
		goto retry;
	}
	if (strcmp(PQgetvalue(res, 0, 1), fupind->schema_functions) != 0) {
		log_warnx("database: its functions differ from %s/functions; "
			  "run fupind --migrate", fupind->cfg->database_sql_dir);
		goto retry;
	}
	fupind->schema_ok = 1;
	engine_db_ready(); /* background work starts once it synced */
	if (!fupind->ready) {
		fupind->ready = 1;
		sd_notify(0, "READY=1\nSTATUS=running");
		log_notice("ready: database up, schema version %d", version);
	}
	return;
retry:
	fupind->schema_ok = 0;
	sd_notifyf(0, "STATUS=waiting for schema version %d",
	    fupind->schema_version);
	evtimer_add(ev_schema_retry, &tv);
}

/* A daemon whose login owns the schema keeps the audit trail
 * append-only by triggers alone, which that login may disable: say so at
 * every connection (README, Install: the owner and fupin_daemon). */
static void
login_checked(const PGresult *res, const char *err, void *arg)
{
	int super;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1)
		return; /* no schema yet: schema_checked says what to do */
	super = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
	if (!super && strcmp(PQgetvalue(res, 0, 3), "t") != 0)
		return;
	log_warnx("database: fupind logs in as %s, %s schema fupin "
		  "(owner %s): the append-only audit trail is then protected "
		  "only by triggers this login may disable; run fupind as a "
		  "login in fupin_daemon, not the owner (README, Install)",
	    PQgetvalue(res, 0, 0),
	    super ? "a superuser, who may alter" : "which owns",
	    PQgetvalue(res, 0, 1));
}

static void
schema_check(void)
{
	if (db_state(fupind->db) != DB_UP)
		return;
	db_query(fupind->db, migrate_current_sql, 0, NULL, schema_checked, NULL);
}

/* Background work (sweeps, deliveries) starts once both connections are
 * up, the schema is current and this daemon leads, whichever comes last. */
static void
background_maybe_start(void)
{
	if (fupind->schema_ok && engine_campaign_ready() &&
	    db_state(fupind->db_bg) == DB_UP && leader_is()) {
		deadline_db_ready();
		notify_kick();
	}
}

static void
db_state_changed(enum db_state st, void *arg)
{
	metrics_gauge_set("database_up", NULL, st == DB_UP);
	if (st == DB_UP) {
		metrics_gauge_set("database_reconnects", NULL,
		    (double)(db_reconnects(fupind->db) + db_reconnects(fupind->db_bg)));
		db_query(fupind->db, migrate_login_sql, 0, NULL, login_checked,
		    NULL);
		schema_check();
	} else if (st == DB_DOWN) {
		fupind->schema_ok = 0;
		engine_db_down();
		if (fupind->ready)
			sd_notify(0, "STATUS=database unavailable; retrying");
	}
}

static void
campaign_synced(void *arg)
{
	import_campaign_synced();
	background_maybe_start();
}

static void
db_bg_state_changed(enum db_state st, void *arg)
{
	if (st == DB_UP)
		leader_db_up(); /* background_maybe_start once it leads */
	else if (st == DB_DOWN) {
		leader_db_down();
		deadline_db_down();
		notify_db_down();
	}
}

static void
db_notified(const char *channel, const char *payload, void *arg)
{
	/* Another daemon (or this one) wrote alerts: deliver them. */
	if (strcmp(channel, "fupin_alert") == 0)
		notify_kick();
	engine_notified(channel, payload);
}

static void
clock_changed(void *arg)
{
	deadline_sweep_soon();
}

static int
run_migrate(const struct config *cfg)
{
	struct errlist errs;
	int rc;

	errlist_init(&errs);
	rc = migrate_run(cfg->database_conninfo, cfg->database_sql_dir, &errs);
	print_errors(&errs);
	errlist_free(&errs);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "migrate", no_argument, NULL, 'M' },
		{ "describe", no_argument, NULL, 'D' },
		/* Not in usage(): for the tests that check the manual page
		 * and the shell completion against the command table, and
		 * the SQL's guards against the guard table. */
		{ "list-verbs", no_argument, NULL, 'L' },
		{ "list-guards", no_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = FUPIN_SYSCONFDIR "/fupind.conf";
	int foreground = 0, check = 0, migrate = 0, describe = 0, ch;
	static const int sigs[] = { SIGHUP, SIGTERM, SIGINT };
	struct errlist errs;
	struct config *cfg = NULL;
	struct campaign *camp = NULL;
	uint64_t wd_usec;

	while ((ch = getopt_long(argc, argv, "c:ftTVh", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 't':
			check = 1;
			break;
		case 'T':
			config_write_defaults(stdout);
			return 0;
		case 'M':
			migrate = 1;
			break;
		case 'D':
			describe = 1;
			break;
		case 'L':
			cmd_list(stdout);
			return 0;
		case 'G':
			for (size_t i = 0; wf_guard_name(i) != NULL; i++)
				printf("%s\t%s\n", wf_guard_name(i),
				    wf_guard_describe(wf_guard_name(i)));
			return 0;
		case 'V':
			printf("fupind %s\n", FUPIN_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	log_init("fupind", foreground || check || migrate);
	errlist_init(&errs);
	if (migrate) {
		cfg = config_load(path, &errs);
		if (cfg == NULL) {
			print_errors(&errs);
			return 1;
		}
		ch = run_migrate(cfg);
		config_free(cfg);
		errlist_free(&errs);
		return ch;
	}
	if (check_all(path, &cfg, &camp, &errs) > 0) {
		print_errors(&errs);
		if (!check)
			fprintf(stderr, "fupind: not started: %zu error%s in "
					"the configuration\n",
			    errs.count, errs.count == 1 ? "" : "s");
		errlist_free(&errs);
		return 1;
	}
	errlist_free(&errs);
	if (describe) {
		wfdoc_markdown(camp, stdout);
		campaign_free(camp);
		config_free(cfg);
		return 0;
	}
	if (config_password_exposed(cfg))
		log_warnx("%s holds a password in database.conninfo and "
			  "others may read it: chmod 0640 (root:fupin), or "
			  "use a passfile", cfg->path);
	if (check) {
		printf("configuration OK\n");
		campaign_free(camp);
		config_free(cfg);
		return 0;
	}

#if defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
	/*
	 * An IMPORT ROWS line (up to 1 MiB) is copied by libevent and again
	 * by libpq. With glibc's defaults each such buffer was a fresh mmap,
	 * or heap grown and trimmed again, page-faulted in anew for every
	 * chunk: 70% of the daemon's time while it streams an import (0.55 s
	 * of CPU for 100,000 households, 0.16 s with these). Such buffers
	 * now come from the heap, which keeps up to 32 MiB free.
	 */
	mallopt(M_MMAP_THRESHOLD, 8 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 32 * 1024 * 1024);
#endif
	fupind = xcalloc(1, sizeof(*fupind));
	fupind->cfg = cfg;
	fupind->campaign = camp;
	apply_logging(cfg);
	log_init(cfg->log_ident, foreground);
	fupind->schema_version = migrate_latest(cfg->database_sql_dir);
	if (fupind->schema_version < 0)
		fatalx("cannot read migrations in %s", cfg->database_sql_dir);
	fupind->schema_functions = migrate_functions_digest(cfg->database_sql_dir);
	if (fupind->schema_functions == NULL)
		fatalx("cannot read %s/functions", cfg->database_sql_dir);
	{
		struct timespec ts;
		/* Jitter only: reconnection backoff of several daemons. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		srandom((unsigned)getpid() ^ (unsigned)ts.tv_nsec);
	}

	signal(SIGPIPE, SIG_IGN);
	fupind->base = event_base_new();
	if (fupind->base == NULL)
		fatalx("cannot create the event loop");
	for (size_t i = 0; i < nitems(sigs); i++) {
		sig_events[i] = evsignal_new(fupind->base, sigs[i], signal_cb, NULL);
		evsignal_add(sig_events[i], NULL);
	}
	ev_stop_check = evtimer_new(fupind->base, stop_check_cb, NULL);
	ev_schema_retry = evtimer_new(fupind->base, schema_retry_cb, NULL);

	fupind->clock = clock_create(cfg->clock_mode, cfg->clock_start_at,
	    cfg->clock_rate);
	{
		char buf[ISO_BUFSIZE];
		log_notice("fupind %s starting; clock %s at %s", FUPIN_VERSION,
		    clock_mode_name(fupind->clock),
		    iso_format(clock_now(fupind->clock), ISO_SHANGHAI_OFFSET, buf,
			sizeof(buf)));
	}

	errlist_init(&errs);
	fupind->control = control_create(&errs);
	if (fupind->control == NULL) {
		log_errors("control", &errs);
		fatalx("cannot open the status socket %s", cfg->control_socket);
	}
	errlist_free(&errs);

	/* Requests are answered on a pool of connections (database.pool)
	 * while sweeps and deliveries, which may take seconds on a large
	 * register, run on a connection of their own. */
	{
		struct db_callbacks cb = { db_state_changed, db_notified, NULL };
		struct db_callbacks bg = { db_bg_state_changed, db_notified,
			NULL };
		fupind->db = db_create(fupind->base, cfg->database_conninfo, &cb);
		fupind->db_bg = db_create(fupind->base, cfg->database_conninfo, &bg);
	}
	db_set_limits(fupind->db, (int)cfg->database_reconnect_max,
	    (int)cfg->database_statement_timeout);
	db_set_limits(fupind->db_bg, (int)cfg->database_reconnect_max,
	    (int)cfg->database_statement_timeout * BG_TIMEOUT_FACTOR);
	{
		struct engine_callbacks cb = { campaign_synced, NULL };

		engine_init(&cb);
	}
	deadline_init();
	notify_init();
	leader_init(background_maybe_start);
	clock_on_change(fupind->clock, clock_changed, NULL);
	db_set_size(fupind->db, (int)cfg->database_pool);
	db_start(fupind->db);
	db_start(fupind->db_bg);

	if (sd_watchdog_enabled(0, &wd_usec) > 0) {
		struct timeval tv = { (time_t)(wd_usec / 2000000),
			(suseconds_t)(wd_usec / 2 % 1000000) };
		ev_watchdog = event_new(fupind->base, -1, EV_PERSIST, watchdog_cb,
		    NULL);
		event_add(ev_watchdog, &tv);
	}

	event_base_dispatch(fupind->base);

	log_notice("stopped");
	leader_free();
	notify_free();
	deadline_free();
	engine_free();
	control_free(fupind->control);
	import_free();
	db_free(fupind->db_bg);
	db_free(fupind->db);
	for (size_t i = 0; i < nitems(sigs); i++)
		event_free(sig_events[i]);
	event_free(ev_stop_check);
	event_free(ev_schema_retry);
	if (ev_watchdog)
		event_free(ev_watchdog);
	event_base_free(fupind->base);
	clock_free(fupind->clock);
	campaign_free(fupind->campaign);
	config_free(fupind->cfg);
	metrics_reset();
	free(fupind->schema_functions);
	free(fupind);
	return 0;
}
