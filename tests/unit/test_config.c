/*
 * Unit tests of daemon/config.c: a good file loads; every error the loader
 * can report carries the file:line and the key a person must fix; an empty
 * file gives the table's defaults; reload keeps the settings that need a
 * restart; CONFIG's rows cover the whole table; and `fupind -T` writes a
 * file that loads cleanly and is byte for byte etc/fupind.conf.
 *
 * Each fixture is written by the test into a private temporary directory,
 * one string literal per line, so the line an error must name can be read
 * off the test source. FUPIN_SRC is the source root.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfgfile.h"
#include "config.h"
#include "isotime.h"
#include "settings.h"
#include "util.h"

static char tmpdir[] = "/tmp/fupin-test-config-XXXXXX";
static int nfiles;

static int
group_setup(void **state)
{
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char *p;

		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", tmpdir, de->d_name);
		unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(tmpdir);
	return 0;
}

/* A new file in tmpdir holding text; the caller frees the path. */
static char *
write_file(const char *text)
{
	char *path = xasprintf("%s/fupind-%d.conf", tmpdir, ++nfiles);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void
print_errors(const struct errlist *errs)
{
	for (size_t i = 0; i < errs->count; i++)
		print_error("  got: %s\n", errs->items[i]);
}

static struct config *
load_good(const char *text)
{
	struct errlist errs;
	char *path = write_file(text);
	struct config *cfg;

	errlist_init(&errs);
	cfg = config_load(path, &errs);
	print_errors(&errs);
	assert_int_equal(errs.count, 0);
	assert_non_null(cfg);
	assert_string_equal(cfg->path, path);
	errlist_free(&errs);
	free(path);
	return cfg;
}

/* Does errs hold "PATH:LINE: KEY: ...FRAGMENT..."? key NULL: no key. */
static int
has_error(const struct errlist *errs, const char *path, int line,
    const char *key, const char *fragment)
{
	char *prefix = key != NULL ? xasprintf("%s:%d: %s: ", path, line, key) :
				     xasprintf("%s:%d: ", path, line);
	int found = 0;

	for (size_t i = 0; i < errs->count && !found; i++)
		found = strncmp(errs->items[i], prefix, strlen(prefix)) == 0 &&
		    strstr(errs->items[i] + strlen(prefix), fragment) != NULL;
	free(prefix);
	return found;
}

/*
 * text must fail to load with exactly the errors given as (line, key,
 * fragment) triples, ended by line -1: one mistake, one message.
 */
static void
expect_errors(const char *text, ...)
{
	struct errlist errs;
	char *path = write_file(text);
	struct config *cfg;
	size_t want = 0;
	va_list ap;
	int line;

	errlist_init(&errs);
	cfg = config_load(path, &errs);
	assert_null(cfg);
	va_start(ap, text);
	while ((line = va_arg(ap, int)) >= 0) {
		const char *key = va_arg(ap, const char *);
		const char *fragment = va_arg(ap, const char *);

		want++;
		if (!has_error(&errs, path, line, key, fragment)) {
			print_error("want %s:%d: %s: ...%s...\n", path, line,
			    key ? key : "(no key)", fragment);
			print_errors(&errs);
			fail();
		}
	}
	va_end(ap);
	if (errs.count != want) {
		print_errors(&errs);
		fail_msg("%zu errors, want %zu", errs.count, want);
	}
	errlist_free(&errs);
	free(path);
}

#define expect_error(text, line, key, fragment)                                \
	expect_errors(text, line, key, fragment, -1)

static char *
source_path(const char *rel)
{
	const char *src = getenv("FUPIN_SRC");

	return xasprintf("%s/%s", src != NULL ? src : ".", rel);
}

static char *
read_all(FILE *f, size_t *len)
{
	size_t cap = 4096;
	char *buf = xmalloc(cap);

	*len = 0;
	for (;;) {
		size_t n = fread(buf + *len, 1, cap - *len - 1, f);

		*len += n;
		if (n == 0)
			break;
		if (*len + 1 >= cap)
			buf = xrealloc(buf, cap *= 2);
	}
	buf[*len] = '\0';
	return buf;
}

/* What `fupind -T` prints. */
static char *
defaults_text(size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	config_write_defaults(f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static const char *
row_value(const struct config *cfg, const char *name)
{
	static struct config_row row;

	for (size_t i = 0; config_row(cfg, i, &row); i++)
		if (strcmp(row.name, name) == 0)
			return row.value;
	fail_msg("no row %s", name);
	return NULL;
}

/* ---- good files ---------------------------------------------------- */

static void
test_good_file(void **state)
{
	struct config *cfg = load_good(
	    "# a site's configuration\n"
	    "database: { conninfo = \"host=db1,db2 dbname=fupin "
	    "target_session_attrs=read-write\";\n"
	    "            reconnect_max = \"1m\"; statement_timeout = \"10s\"; };\n"
	    "control:  { socket = \"/run/fupin/x.sock\"; socket_mode = \"0600\";\n"
	    "            max_clients = 10; idle_timeout = \"1h\";\n"
	    "            max_output = 65536; listen = \"127.0.0.1:7070\"; };\n"
	    "clock:    { mode = \"MANUAL\"; start = \"2019-10-21T00:00+08:00\";\n"
	    "            rate = 3600; };\n"
	    "workflows: { dir = \"/srv/wf\"; campaign = \"2020\"; };\n"
	    "notify:   { command = \"/usr/local/bin/send-alert\"; timeout = \"5s\";\n"
	    "            retry_max = \"2h\"; concurrency = 8; };\n"
	    "alerts:   { language = \"en\"; working_hours = \"08:00-18:00\"; };\n"
	    "rules:    { notice_min_days = 5; };\n"
	    "log:      { facility = \"local3\"; level = \"debug\"; "
	    "ident = \"fupin-test\"; };\n");
	int64_t start;

	assert_string_equal(cfg->database_conninfo,
	    "host=db1,db2 dbname=fupin target_session_attrs=read-write");
	assert_int_equal(cfg->database_reconnect_max, 60);
	assert_int_equal(cfg->database_statement_timeout, 10);
	assert_string_equal(cfg->control_socket, "/run/fupin/x.sock");
	assert_int_equal(cfg->control_socket_mode, 0600);
	assert_int_equal(cfg->control_max_clients, 10);
	assert_int_equal(cfg->control_idle_timeout, 3600);
	assert_int_equal(cfg->control_max_output, 65536);
	assert_string_equal(cfg->control_listen, "127.0.0.1:7070");
	assert_int_equal(cfg->clock_mode, CLOCK_MANUAL);
	assert_int_equal(iso_parse("2019-10-20T16:00:00Z", 0, &start), 0);
	assert_int_equal(cfg->clock_start_at, start);
	assert_true(cfg->clock_rate == 3600.0);
	assert_string_equal(cfg->workflows_dir, "/srv/wf");
	assert_string_equal(cfg->workflows_campaign, "2020");
	assert_string_equal(cfg->notify_command, "/usr/local/bin/send-alert");
	assert_int_equal(cfg->notify_timeout, 5);
	assert_int_equal(cfg->notify_retry_max, 7200);
	assert_int_equal(cfg->notify_concurrency, 8);
	assert_string_equal(cfg->alerts_working_hours, "08:00-18:00");
	assert_string_equal(row_value(cfg, "alerts.language"), "en");
	assert_string_equal(row_value(cfg, "clock.mode"), "manual");
	assert_string_equal(row_value(cfg, "control.socket_mode"), "0600");
	assert_string_equal(row_value(cfg, "control.idle_timeout"), "3600s");
	assert_int_equal(cfg->rules_notice_min_days, 5);
	assert_string_equal(cfg->log_facility, "local3");
	assert_string_equal(cfg->log_level, "debug");
	assert_string_equal(cfg->log_ident, "fupin-test");
	assert_int_equal(cfg->naccess, 0);
	config_free(cfg);
}

static void
test_empty_file_gives_defaults(void **state)
{
	struct config *cfg = load_good("");
	int64_t start;

	assert_string_equal(cfg->database_conninfo, "dbname=fupin");
	assert_string_equal(cfg->database_sql_dir, FUPIN_SQLDIR);
	assert_int_equal(cfg->database_reconnect_max, 30);
	assert_int_equal(cfg->database_statement_timeout, 30);
	assert_string_equal(cfg->control_socket, "/run/fupin/fupind.sock");
	assert_int_equal(cfg->control_socket_mode, 0660);
	assert_int_equal(cfg->control_max_clients, 1024);
	assert_int_equal(cfg->control_max_per_user, 32);
	assert_int_equal(cfg->control_max_anonymous, 64);
	assert_int_equal(cfg->control_max_anonymous_per_peer, 8);
	assert_int_equal(cfg->control_auth_timeout, 10);
	assert_int_equal(cfg->control_request_timeout, 25);
	assert_int_equal(cfg->control_http_max_clients, 64);
	assert_int_equal(cfg->control_metrics_remote, 0);
	assert_int_equal(cfg->control_idle_timeout, 300);
	assert_int_equal(cfg->control_max_output, 1048576);
	assert_string_equal(cfg->control_listen, "");
	assert_string_equal(cfg->control_http, "");
	assert_int_equal(cfg->clock_mode, CLOCK_REAL);
	assert_string_equal(cfg->clock_start, "2019-10-08T08:00:00+08:00");
	assert_int_equal(iso_parse("2019-10-08T00:00:00Z", 0, &start), 0);
	assert_int_equal(cfg->clock_start_at, start);
	assert_true(cfg->clock_rate == 86400.0);
	assert_string_equal(cfg->workflows_dir, FUPIN_SYSCONFDIR "/workflows");
	assert_string_equal(cfg->workflows_campaign, "2019");
	assert_string_equal(cfg->notify_command, "");
	assert_int_equal(cfg->notify_timeout, 30);
	assert_int_equal(cfg->notify_retry_max, 3600);
	assert_int_equal(cfg->notify_concurrency, 4);
	assert_string_equal(cfg->alerts_reminders, "3d 1d");
	assert_string_equal(cfg->alerts_escalations,
	    "0:township_office 1d:township_leadership 3d:city");
	assert_string_equal(cfg->alerts_digest_at, "08:00");
	assert_string_equal(row_value(cfg, "alerts.language"), "zh");
	assert_string_equal(cfg->alerts_working_hours, "");
	assert_int_equal(cfg->rules_notice_min_days, -1);
	assert_string_equal(cfg->log_facility, "daemon");
	assert_string_equal(cfg->log_level, "info");
	assert_string_equal(cfg->log_ident, "fupind");
	assert_int_equal(cfg->naccess, 0);
	assert_null(cfg->access);
	config_free(cfg);

	/* Comments only is as empty as empty. */
	cfg = load_good("# nothing here\n\n// nor here\n");
	assert_int_equal(cfg->control_max_clients, 1024);
	config_free(cfg);
}

static void
test_access_good(void **state)
{
	struct config *cfg = load_good(
	    "access = (\n"
	    "  { role = \"admin\"; users = [\"root\", \"4242\"]; },\n"
	    "  { role = \"township\"; name = \"office\"; },\n"
	    "  { role = \"village\"; village = \"V01\"; name = \"工作队\";\n"
	    "    users = [\"0\"]; token = \"$y$j9T$abc$def\"; },\n"
	    "  { role = \"village\"; village = \"V02\"; }\n"
	    ");\n");

	assert_int_equal(cfg->naccess, 4);
	assert_string_equal(cfg->access[0].role, "admin");
	assert_null(cfg->access[0].village);
	assert_int_equal(cfg->access[0].nuids, 2);
	assert_int_equal(cfg->access[0].uids[0], 0);
	assert_int_equal(cfg->access[0].uids[1], 4242);
	assert_null(cfg->access[0].token_hash);
	assert_string_equal(cfg->access[0].name, "admin");
	assert_string_equal(cfg->access[1].role, "township");
	assert_string_equal(cfg->access[1].name, "office");
	assert_int_equal(cfg->access[1].nuids, 0);
	assert_string_equal(cfg->access[2].role, "village");
	assert_string_equal(cfg->access[2].village, "V01");
	assert_string_equal(cfg->access[2].name, "工作队");
	assert_string_equal(cfg->access[2].token_hash, "$y$j9T$abc$def");
	assert_int_equal(cfg->access[2].nuids, 1);
	/* Without a name, a village entry is labelled by its village. */
	assert_string_equal(cfg->access[3].name, "V02");
	config_free(cfg);

	cfg = load_good("access = ();\n");
	assert_int_equal(cfg->naccess, 0);
	config_free(cfg);
}

/* ---- one test per error the loader reports --------------------------- */

static void
test_unreadable_file(void **state)
{
	struct errlist errs;
	char *path = xasprintf("%s/no-such-file.conf", tmpdir);

	errlist_init(&errs);
	assert_null(config_load(path, &errs));
	assert_int_equal(errs.count, 1);
	assert_true(has_error(&errs, path, 0, NULL, "cannot read"));
	errlist_free(&errs);
	free(path);
}

static void
test_syntax_error(void **state)
{
	/* libconfig's own line for the parse error. */
	expect_error("database: { conninfo = \"dbname=x\"; };\n" /* 1 */
		     "control: {\n"				 /* 2 */
		     "  max_clients = ;\n"			 /* 3 */
		     "};\n",					 /* 4 */
	    3, NULL, "syntax error");
	expect_error("log: { level = \"info\" }\n" /* 1: no ';' needed */
		     "clock: { mode = \"manual\"; }\n"		 /* 2 */
		     "rules: { notice_min_days = 3 \n"		 /* 3 */
		     "         x };\n",				 /* 4 */
	    4, NULL, "syntax error");
	/* Two settings with one name: libconfig refuses the file. */
	expect_error("log: {\n"					 /* 1 */
		     "  level = \"info\";\n"			 /* 2 */
		     "  level = \"debug\";\n"			 /* 3 */
		     "};\n",					 /* 4 */
	    3, NULL, "duplicate");
}

static void
test_unknown_setting(void **state)
{
	expect_error("database: { conninfo = \"dbname=x\"; };\n" /* 1 */
		     "databse: {\n"				 /* 2 */
		     "  conninfo = \"dbname=y\";\n"		 /* 3 */
		     "};\n",					 /* 4 */
	    3, "databse.conninfo", "unknown setting");
	expect_error("control: {\n"				 /* 1 */
		     "  max_clients = 5;\n"			 /* 2 */
		     "  sockt = \"/run/x.sock\";\n"		 /* 3 */
		     "};\n",					 /* 4 */
	    3, "control.sockt", "unknown setting");
	/* A scalar at the top level is not a setting either. */
	expect_error("\n"					 /* 1 */
		     "conninfo = \"dbname=x\";\n",		 /* 2 */
	    2, "conninfo", "unknown setting");
	/* Nor is a group inside a group. */
	expect_error("log: {\n"					 /* 1 */
		     "  syslog: { facility = \"user\"; };\n"	 /* 2 */
		     "};\n",					 /* 3 */
	    2, "log.syslog", "unknown setting");
	/* Every typo is reported, not only the first. */
	expect_errors("log: { levle = \"debug\"; };\n"		 /* 1 */
		      "clock: { mdoe = \"manual\"; };\n",	 /* 2 */
	    1, "log.levle", "unknown setting",
	    2, "clock.mdoe", "unknown setting", -1);
}

static void
test_wrong_type(void **state)
{
	/* An integer where a string belongs. */
	expect_error("database: {\n"				 /* 1 */
		     "  conninfo = 5;\n"			 /* 2 */
		     "};\n",					 /* 3 */
	    2, "database.conninfo", "must be a string");
	/* libconfig reads 0660 as decimal 660: the mode must be quoted. */
	expect_error("control: {\n"				 /* 1 */
		     "  socket_mode = 0660;\n"			 /* 2 */
		     "};\n",					 /* 3 */
	    2, "control.socket_mode", "must be a string");
	expect_error("log: { level = true; };\n",		 /* 1 */
	    1, "log.level", "must be a string");
	/* A group or a list where one value belongs. */
	expect_error("control: {\n"				 /* 1 */
		     "  max_clients = [1, 2];\n"		 /* 2 */
		     "};\n",					 /* 3 */
	    2, "control.max_clients", "must be a single value");
	expect_error("\n"					 /* 1 */
		     "workflows: { campaign = { year = 2019; }; };\n", /* 2 */
	    2, "workflows.campaign", "must be a single value");
}

static void
test_not_an_integer(void **state)
{
	expect_error("control: {\n"				 /* 1 */
		     "  max_clients = \"many\";\n"		 /* 2 */
		     "};\n",					 /* 3 */
	    2, "control.max_clients", "\"many\" is not an integer");
	expect_error("notify: { concurrency = 2.5; };\n",	 /* 1 */
	    1, "notify.concurrency", "is not an integer");
	expect_error("control: { socket_mode = \"0999\"; };\n",	 /* 1 */
	    1, "control.socket_mode", "is not an octal mode");
	expect_error("clock: { rate = \"fast\"; };\n",		 /* 1 */
	    1, "clock.rate", "is not a positive number");
	expect_error("\n"					 /* 1 */
		     "clock: { rate = 0.0; };\n",		 /* 2 */
	    2, "clock.rate", "is not a positive number");
}

static void
test_out_of_range(void **state)
{
	expect_error("control: {\n"				 /* 1 */
		     "  max_clients = 0;\n"			 /* 2 */
		     "};\n",					 /* 3 */
	    2, "control.max_clients", "0 is out of range 1..100000");
	expect_error("rules: { notice_min_days = -2; };\n",	 /* 1 */
	    1, "rules.notice_min_days", "out of range -1..60");
	expect_error("control: { max_output = 100; };\n",	 /* 1 */
	    1, "control.max_output", "out of range 4096..");
	expect_error("control: { socket_mode = \"01777\"; };\n", /* 1 */
	    1, "control.socket_mode", "out of range");
	/* Durations have limits too (seconds). */
	expect_error("database: { reconnect_max = \"2h\"; };\n", /* 1 */
	    1, "database.reconnect_max", "7200 is out of range 1..3600");
	expect_error("notify: { timeout = \"0s\"; };\n",	 /* 1 */
	    1, "notify.timeout", "0 is out of range");
}

static void
test_bad_duration(void **state)
{
	expect_error("control: {\n"				 /* 1 */
		     "  idle_timeout = \"5x\";\n"		 /* 2 */
		     "};\n",					 /* 3 */
	    2, "control.idle_timeout", "\"5x\" is not a duration");
	/* A bare number has no unit. */
	expect_error("database: { statement_timeout = 30; };\n", /* 1 */
	    1, "database.statement_timeout", "\"30\" is not a duration");
}

static void
test_bad_enum(void **state)
{
	expect_error("clock: {\n"				 /* 1 */
		     "  mode = \"fast\";\n"			 /* 2 */
		     "};\n",					 /* 3 */
	    2, "clock.mode", "\"fast\" is not one of real simulated manual");
	expect_error("alerts: { language = \"fr\"; };\n",	 /* 1 */
	    1, "alerts.language", "\"fr\" is not one of zh en");
}

static void
test_bad_clock_start(void **state)
{
	expect_error("clock: {\n"				 /* 1 */
		     "  mode = \"manual\";\n"			 /* 2 */
		     "  start = \"2019-02-30T08:00:00+08:00\";\n" /* 3 */
		     "};\n",					 /* 4 */
	    3, "clock.start", "is not an ISO 8601 moment");
	expect_error("clock: { start = \"yesterday\"; };\n",	 /* 1 */
	    1, "clock.start", "\"yesterday\" is not an ISO 8601 moment");
}

static void
test_bad_log(void **state)
{
	expect_error("log: {\n"					 /* 1 */
		     "  facility = \"local9\";\n"		 /* 2 */
		     "};\n",					 /* 3 */
	    2, "log.facility", "unknown syslog facility \"local9\"");
	expect_error("log: {\n"					 /* 1 */
		     "  facility = \"local0\";\n"		 /* 2 */
		     "  level = \"loud\";\n"			 /* 3 */
		     "};\n",					 /* 4 */
	    3, "log.level", "unknown level \"loud\"");
}

static void
test_bad_socket(void **state)
{
	expect_error("control: {\n"				 /* 1 */
		     "  socket = \"fupind.sock\";\n"		 /* 2 */
		     "};\n",					 /* 3 */
	    2, "control.socket", "must be an absolute path");
	expect_error(
	    "control: { socket = \"/run/fupin/"			 /* 1 */
	    "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789"
	    "0123456789.sock\"; };\n",
	    1, "control.socket", "longer than a Unix socket allows");
}

static void
test_bad_campaign(void **state)
{
	expect_error("workflows: {\n"				 /* 1 */
		     "  dir = \"/srv/wf\";\n"			 /* 2 */
		     "  campaign = \"../2019\";\n"		 /* 3 */
		     "};\n",					 /* 4 */
	    3, "workflows.campaign", "must be a plain directory name");
	expect_error("workflows: { campaign = \"\"; };\n",	 /* 1 */
	    1, "workflows.campaign", "must be a plain directory name");
}

static void
test_empty_conninfo(void **state)
{
	expect_error("\n"					 /* 1 */
		     "database: { conninfo = \"\"; };\n",	 /* 2 */
	    2, "database.conninfo", "must not be empty");
}

static void
test_bad_alerts(void **state)
{
	expect_error("alerts: {\n"				 /* 1 */
		     "  reminders = \"3d 1x\";\n"		 /* 2 */
		     "};\n",					 /* 3 */
	    2, "alerts.reminders", "\"1x\"");
	expect_error("alerts: { reminders = \"9d 8d 7d 6d 5d 4d 3d 2d 1d\"; };\n",
	    1, "alerts.reminders", "at most 8");
	expect_error("alerts: {\n"				 /* 1 */
		     "  language = \"en\";\n"		 /* 2 */
		     "  escalations = \"0:township_office 1d\";\n" /* 3 */
		     "};\n",					 /* 4 */
	    3, "alerts.escalations", "\"1d\"");
	/* The ladder only climbs: a later step cannot come earlier. */
	expect_error("alerts: { escalations = \"1d:a 0:b\"; };\n", /* 1 */
	    1, "alerts.escalations", "\"0\"");
	expect_error("\n"					 /* 1 */
		     "alerts: { digest_at = \"8am\"; };\n",	 /* 2 */
	    2, "alerts.digest_at", "\"8am\" is not HH:MM");
	expect_error("alerts: { digest_at = \"24:00\"; };\n",	 /* 1 */
	    1, "alerts.digest_at", "is not HH:MM");
	expect_error("alerts: {\n"				 /* 1 */
		     "  working_hours = \"18:00-08:00\";\n"	 /* 2 */
		     "};\n",					 /* 3 */
	    2, "alerts.working_hours", "\"18:00-08:00\"");
	expect_error("alerts: { working_hours = \"8-18\"; };\n", /* 1 */
	    1, "alerts.working_hours", "\"8-18\"");
}

static void
test_alerts_parsed(void **state)
{
	struct config *cfg = load_good("");

	/* The defaults, as the alert scheduler reads them. */
	assert_int_equal(cfg->nreminders, 2);
	assert_int_equal(cfg->reminders[0].seconds, 3 * 86400);
	assert_int_equal(cfg->reminders[1].seconds, 86400);
	assert_int_equal(cfg->nladder, 3);
	assert_int_equal(cfg->ladder[0].delay, 0);
	assert_string_equal(cfg->ladder[0].recipient, "township_office");
	assert_int_equal(cfg->ladder[1].delay, 86400);
	assert_string_equal(cfg->ladder[1].recipient, "township_leadership");
	assert_int_equal(cfg->ladder[2].delay, 3 * 86400);
	assert_string_equal(cfg->ladder[2].recipient, "city");
	assert_int_equal(cfg->digest_minute, 8 * 60);
	assert_int_equal(cfg->work_from, cfg->work_to);
	config_free(cfg);

	cfg = load_good("alerts: { reminders = \"2d12h\"; "
			"escalations = \"6h:township_office\";\n"
			"          digest_at = \"07:30\"; "
			"working_hours = \"08:30-17:45\"; };\n");
	assert_int_equal(cfg->nreminders, 1);
	assert_int_equal(cfg->reminders[0].seconds, 60 * 3600);
	assert_int_equal(cfg->nladder, 1);
	assert_int_equal(cfg->ladder[0].delay, 6 * 3600);
	assert_int_equal(cfg->digest_minute, 7 * 60 + 30);
	assert_int_equal(cfg->work_from, 8 * 60 + 30);
	assert_int_equal(cfg->work_to, 17 * 60 + 45);
	config_free(cfg);

	/* Working days: "3wd" skips holidays and weekends. */
	cfg = load_good("alerts: { reminders = \"3wd 1d\"; };\n");
	assert_int_equal(cfg->nreminders, 2);
	assert_int_equal(cfg->reminders[0].working_days, 3);
	assert_int_equal(cfg->reminders[0].seconds, 0);
	assert_int_equal(cfg->reminders[1].working_days, 0);
	assert_int_equal(cfg->reminders[1].seconds, 86400);
	config_free(cfg);
}

static void
test_access_errors(void **state)
{
	expect_error("access = (\n"				 /* 1 */
		     "  { role = \"admin\"; users = [\"root\"]; },\n" /* 2 */
		     "  { role = \"mayor\"; users = [\"root\"]; }\n" /* 3 */
		     ");\n",					 /* 4 */
	    3, "access.role", "role must be admin, township, city or village");
	expect_error("access = (\n"				 /* 1 */
		     "  { users = [\"root\"]; }\n"		 /* 2 */
		     ");\n",					 /* 3 */
	    2, "access.role", "role must be");
	expect_error("access = (\n"				 /* 1 */
		     "  { role = \"village\";\n"		 /* 2 */
		     "    users = [\"root\"]; }\n"		 /* 3 */
		     ");\n",					 /* 4 */
	    2, "access.village", "a village entry names its village");
	expect_error("access = (\n"				 /* 1 */
		     "  { role = \"township\"; village = \"V01\"; }\n" /* 2 */
		     ");\n",					 /* 3 */
	    2, "access.village", "only a village entry names a village");
	expect_error("access = (\n"				 /* 1 */
		     "  { role = \"village\"; village = \"V01\";\n" /* 2 */
		     "    users = [\"root\",\n"			 /* 3 */
		     "             \"no-such-user-fupin\"]; }\n" /* 4 */
		     ");\n",					 /* 5 */
	    3, "access.users", "no such user \"no-such-user-fupin\"");
	expect_error("access = (\n"				 /* 1 */
		     "  { role = \"admin\"; users = [0]; }\n"	 /* 2 */
		     ");\n",					 /* 3 */
	    2, "access.users", "user names are strings");
	expect_error("access = (\n"				 /* 1 */
		     "  { role = \"admin\"; users = \"root\"; }\n" /* 2 */
		     ");\n",					 /* 3 */
	    2, "access.users", "must be [");
	expect_error("access = (\n"				 /* 1 */
		     "  { role = \"city\";\n"			 /* 2 */
		     "    token = \"s3cret\"; }\n"		 /* 3 */
		     ");\n",					 /* 4 */
	    2, "access.token", "must be a crypt(3) hash");
	expect_error("access = (\n"				 /* 1 */
		     "  { role = \"admin\";\n"			 /* 2 */
		     "    user = [\"root\"]; }\n"		 /* 3 */
		     ");\n",					 /* 4 */
	    3, "access.user", "unknown key (did you mean 'users'?)");
	/* libconfig dates a scalar list element by the token after it, so
	 * keep the whole list on one line. */
	expect_error("\n"					 /* 1 */
		     "access = ( \"root\" );\n",		 /* 2 */
	    2, "access", "entry 1 is not a group");
	expect_error("\n"					 /* 1 */
		     "access = { role = \"admin\"; };\n",	 /* 2 */
	    2, "access", "must be a list");
}

static void
test_every_error_reported(void **state)
{
	/* Several mistakes in one file: all of them, each on its line. */
	expect_errors("database: { conninfo = \"\"; };\n"	 /* 1 */
		      "control: { max_clients = 0;\n"		 /* 2 */
		      "           socket = \"rel.sock\"; };\n"	 /* 3 */
		      "clock: { mode = \"fast\"; };\n"		 /* 4 */
		      "log: { level = \"loud\"; };\n",		 /* 5 */
	    1, "database.conninfo", "must not be empty",
	    2, "control.max_clients", "out of range",
	    3, "control.socket", "absolute",
	    4, "clock.mode", "not one of",
	    5, "log.level", "unknown level", -1);
}

/* ---- reload, CONFIG rows, the shipped default file ------------------ */

static void
test_keep_static(void **state)
{
	struct config *old = load_good("control: { max_clients = 5; };\n");
	struct config *next = load_good(
	    "database: { sql_dir = \"/srv/sql\"; conninfo = \"dbname=other\"; };\n"
	    "control: { socket = \"/tmp/other.sock\"; socket_mode = \"0600\";\n"
	    "           listen = \"127.0.0.1:7070\"; http = \"127.0.0.1:9090\";\n"
	    "           max_clients = 7; };\n"
	    "clock: { mode = \"manual\"; start = \"2019-11-01\"; rate = 10.0; };\n"
	    "log: { ident = \"other\"; level = \"debug\"; };\n");
	static const char *const restart_only[] = { "database.sql_dir",
		"control.socket", "control.socket_mode", "control.listen",
		"control.http", "clock.mode", "clock.start", "clock.rate",
		"log.ident" };
	struct errlist warnings;
	struct config_row ro, rn;

	errlist_init(&warnings);
	config_keep_static(next, old, &warnings);
	if (warnings.count != nitems(restart_only))
		print_errors(&warnings);
	assert_int_equal(warnings.count, nitems(restart_only));
	for (size_t i = 0; i < nitems(restart_only); i++)
		assert_true(has_error(&warnings, next->path, 0,
		    restart_only[i], "only after a restart"));
	errlist_free(&warnings);

	/* Every restart-only setting now has the old value; the reloadable
	 * ones have the new. */
	for (size_t i = 0; config_row(next, i, &rn); i++) {
		assert_int_equal(config_row(old, i, &ro), 1);
		if (!rn.reloadable)
			assert_string_equal(rn.value, ro.value);
	}
	assert_string_equal(next->control_socket, "/run/fupin/fupind.sock");
	assert_int_equal(next->control_socket_mode, 0660);
	assert_int_equal(next->clock_mode, CLOCK_REAL);
	assert_int_equal(next->clock_start_at, old->clock_start_at);
	assert_true(next->clock_rate == 86400.0);
	assert_string_equal(next->log_ident, "fupind");
	assert_int_equal(next->control_max_clients, 7);
	assert_string_equal(next->database_conninfo, "dbname=other");
	assert_string_equal(next->log_level, "debug");

	/* Nothing changed: nothing to say. */
	errlist_init(&warnings);
	config_keep_static(next, old, &warnings);
	assert_int_equal(warnings.count, 0);
	errlist_free(&warnings);
	config_free(next);
	config_free(old);
}

static void
test_config_rows(void **state)
{
	struct config *cfg = load_good("control: { max_clients = 9; };\n"
				       "clock: { mode = \"simulated\"; };\n");
	size_t deflen, n = 0;
	char *defaults = defaults_text(&deflen);
	struct config_row row;

	for (size_t i = 0; config_row(cfg, i, &row); i++, n++) {
		const char *dot = strchr(row.name, '.');
		char *assign;

		assert_non_null(dot);
		assert_non_null(row.type);
		assert_true(row.help != NULL && row.help[0] != '\0');
		assert_true(row.reloadable == 0 || row.reloadable == 1);
		/* Names are unique. */
		for (size_t k = 0; k < i; k++) {
			struct config_row other;

			assert_int_equal(config_row(cfg, k, &other), 1);
			assert_string_not_equal(other.name, row.name);
		}
		/* Each row is one line of the default file, under its help
		 * text saying whether SIGHUP reloads it. */
		assign = xasprintf("\t%s = ", dot + 1);
		assert_non_null(strstr(defaults, assign));
		free(assign);
	}
	assert_int_equal(config_row(cfg, n, &row), 0);
	assert_int_equal(config_row(cfg, n + 100, &row), 0);
	/* As many rows as settings in the default file. */
	{
		size_t assignments = 0;

		for (const char *p = defaults; (p = strstr(p, "\n\t")) != NULL;
		     p++)
			assignments += p[2] != '#';
		assert_int_equal(n, assignments);
		assert_true(n >= 29);
	}

	assert_int_equal(config_row(cfg, 0, &row), 1);
	assert_string_equal(row.name, "database.conninfo");
	for (size_t i = 0; config_row(cfg, i, &row); i++) {
		if (strcmp(row.name, "control.max_clients") == 0) {
			assert_string_equal(row.value, "9");
			assert_string_equal(row.def, "1024");
			assert_string_equal(row.type, "integer");
			assert_int_equal(row.reloadable, 1);
		} else if (strcmp(row.name, "control.socket") == 0) {
			assert_string_equal(row.value,
			    "/run/fupin/fupind.sock");
			assert_string_equal(row.type, "string");
			assert_int_equal(row.reloadable, 0);
		} else if (strcmp(row.name, "clock.mode") == 0) {
			assert_string_equal(row.value, "simulated");
			assert_string_equal(row.def, "real");
			assert_string_equal(row.type, "choice");
		} else if (strcmp(row.name, "database.reconnect_max") == 0) {
			assert_string_equal(row.value, "30s");
			assert_string_equal(row.def, "30s");
			assert_string_equal(row.type, "duration");
		}
	}
	free(defaults);
	config_free(cfg);
}

static void
test_defaults_file(void **state)
{
	size_t len, shipped_len;
	char *text = defaults_text(&len);
	char *shipped_path = source_path("etc/fupind.conf");
	struct config *from_file, *from_nothing;
	struct config_row a, b;
	FILE *f;
	char *shipped;

	/* It loads with zero errors and means exactly the defaults. */
	from_file = load_good(text);
	from_nothing = load_good("");
	for (size_t i = 0; config_row(from_nothing, i, &a); i++) {
		assert_int_equal(config_row(from_file, i, &b), 1);
		assert_string_equal(a.name, b.name);
		assert_string_equal(a.value, b.value);
	}
	config_free(from_file);
	config_free(from_nothing);

	/* The commented access example, uncommented, is a valid list once
	 * its user names exist here (uid strings stand in for them). */
	{
		char *ex = xstrdup(strstr(text, "# access = ("));
		char *out = xmalloc(strlen(ex) + 1), *o = out;
		struct config *cfg;

		for (char *line = strtok(ex, "\n"); line != NULL;
		     line = strtok(NULL, "\n"))
			o += sprintf(o, "%s\n", line + 2); /* drop "# " */
		for (char *u = out; (u = strstr(u, "users = [\"")) != NULL;) {
			char *q = u + strlen("users = [\"");
			char *end = strchr(q, '"');

			assert_non_null(end);
			memset(q, ' ', (size_t)(end - q));
			q[0] = '0';
			memmove(q + 1, end, strlen(end) + 1);
			u = q;
		}
		cfg = load_good(out);
		assert_int_equal(cfg->naccess, 3);
		assert_string_equal(cfg->access[2].village, "V01");
		assert_non_null(cfg->access[2].token_hash);
		config_free(cfg);
		free(out);
		free(ex);
	}

	/* etc/fupind.conf is `fupind -T` of a default build, so that the
	 * shipped example never drifts from the table. */
	if (strcmp(FUPIN_SYSCONFDIR, "/etc/fupin") != 0 ||
	    strcmp(FUPIN_SQLDIR, "/usr/share/fupin/sql") != 0) {
		print_message("skipping the etc/fupind.conf comparison: built "
			      "with prefix paths %s, %s\n",
		    FUPIN_SYSCONFDIR, FUPIN_SQLDIR);
		goto done;
	}
	f = fopen(shipped_path, "r");
	if (f == NULL)
		fail_msg("cannot open %s (is FUPIN_SRC set?)", shipped_path);
	shipped = read_all(f, &shipped_len);
	fclose(f);
	if (shipped_len != len || memcmp(shipped, text, len) != 0) {
		size_t i = 0;
		int line = 1;

		while (i < len && i < shipped_len && text[i] == shipped[i])
			line += text[i++] == '\n';
		fail_msg("etc/fupind.conf differs from `fupind -T` at line %d; "
			 "regenerate it with build/bin/fupind -T "
			 ">etc/fupind.conf",
		    line);
	}
	free(shipped);
done:
	free(shipped_path);
	free(text);
}

/* ---- the shared reader, common/cfgfile.c ----------------------------- */

static void
test_reader_getters(void **state)
{
	char *path = write_file("g: {\n"			 /* 1 */
				"  s = \"text\";\n"		 /* 2 */
				"  b = true;\n"			 /* 3 */
				"  i = 42;\n"			 /* 4 */
				"  f = 2.5;\n"			 /* 5 */
				"  d = \"1d12h\";\n"		 /* 6 */
				"  a = [\"x\", \"y\"];\n"	 /* 7 */
				"  l = ( { n = 1; } );\n"	 /* 8 */
				"};\n");			 /* 9 */
	struct errlist errs;
	struct cfgfile cf;
	const config_setting_t *g;
	const char *str;
	int64_t n = -7;
	double d;
	int b;

	errlist_init(&errs);
	assert_int_equal(cfgfile_open(&cf, path, &errs), 0);
	g = cfgfile_get(&cf, cfgfile_root(&cf), NULL, "g", CFG_GROUP, 1);
	assert_non_null(g);
	assert_int_equal(cfgfile_string(&cf, g, "g", "s", 1, &str), 1);
	assert_string_equal(str, "text");
	assert_int_equal(cfgfile_bool(&cf, g, "g", "b", 1, &b), 1);
	assert_int_equal(b, 1);
	assert_int_equal(cfgfile_int(&cf, g, "g", "i", 1, 0, 100, &n), 1);
	assert_int_equal(n, 42);
	assert_int_equal(cfgfile_number(&cf, g, "g", "f", 1, &d), 1);
	assert_true(d == 2.5);
	assert_int_equal(cfgfile_number(&cf, g, "g", "i", 1, &d), 1);
	assert_true(d == 42.0);
	assert_int_equal(cfgfile_duration(&cf, g, "g", "d", 1, 0, 86400 * 2,
	    &n), 1);
	assert_int_equal(n, 36 * 3600);
	assert_non_null(cfgfile_get(&cf, g, "g", "a", CFG_STRINGS, 1));
	assert_non_null(cfgfile_get(&cf, g, "g", "l", CFG_LIST, 1));
	/* Absent and optional: 0, the caller's default stays. */
	n = -7;
	assert_int_equal(cfgfile_int(&cf, g, "g", "none", 0, 0, 1, &n), 0);
	assert_int_equal(n, -7);
	assert_int_equal(cfgfile_string(&cf, g, "g", "none", 0, &str), 0);
	assert_null(str);
	assert_int_equal(errs.count, 0);
	assert_int_equal(cf.errors, 0);

	/* Wrong types, limits, missing: each with file:line and the key. */
	assert_int_equal(cfgfile_string(&cf, g, "g", "i", 1, &str), -1);
	assert_true(has_error(&errs, path, 4, "g.i", "expected a string"));
	assert_int_equal(cfgfile_int(&cf, g, "g", "i", 1, 0, 10, &n), -1);
	assert_true(has_error(&errs, path, 4, "g.i",
	    "42 is out of range 0..10"));
	assert_int_equal(cfgfile_int(&cf, g, "g", "f", 1, 0, 10, &n), -1);
	assert_true(has_error(&errs, path, 5, "g.f", "expected an integer"));
	assert_int_equal(cfgfile_bool(&cf, g, "g", "s", 1, &b), -1);
	assert_true(has_error(&errs, path, 2, "g.s", "true or false"));
	assert_int_equal(cfgfile_duration(&cf, g, "g", "s", 1, 0, 10, &n), -1);
	assert_true(has_error(&errs, path, 2, "g.s", "not a duration"));
	assert_int_equal(cfgfile_duration(&cf, g, "g", "d", 1, 0, 60, &n), -1);
	assert_true(has_error(&errs, path, 6, "g.d", "out of range 0..60"));
	assert_null(cfgfile_get(&cf, g, "g", "a", CFG_LIST, 1));
	assert_true(has_error(&errs, path, 7, "g.a", "expected a list"));
	assert_null(cfgfile_get(&cf, g, "g", "l", CFG_STRINGS, 1));
	assert_true(has_error(&errs, path, 8, "g.l",
	    "element 1: expected a string"));
	assert_int_equal(cfgfile_number(&cf, g, "g", "gone", 1, &d), -1);
	assert_true(has_error(&errs, path, 1, "g.gone", "missing"));
	assert_int_equal(cf.errors, errs.count);
	assert_int_equal(errs.count, 9);
	cfgfile_close(&cf);
	errlist_free(&errs);
	free(path);
}

static void
test_reader_did_you_mean(void **state)
{
	static const char *const keys[] = { "guards", "roles", "from", "to",
		NULL };
	char *path = write_file("e: {\n"			 /* 1 */
				"  gaurds = [];\n"		 /* 2 */
				"  rolse = [];\n"		 /* 3 */
				"  colour = \"red\";\n"		 /* 4 */
				"  to = \"b\";\n"		 /* 5 */
				"};\n");			 /* 6 */
	struct errlist errs;
	struct cfgfile cf;

	assert_int_equal(cfg_distance("guards", "gaurds"), 2);
	assert_int_equal(cfg_distance("", "abc"), 3);
	assert_int_equal(cfg_distance("same", "same"), 0);
	assert_string_equal(cfg_nearest("from_", keys), "from");
	assert_null(cfg_nearest("colour", keys));

	errlist_init(&errs);
	assert_int_equal(cfgfile_open(&cf, path, &errs), 0);
	cfgfile_check_keys(&cf, config_setting_get_member(cfgfile_root(&cf),
	    "e"), "e", keys);
	assert_int_equal(errs.count, 3);
	assert_true(has_error(&errs, path, 2, "e.gaurds",
	    "unknown key (did you mean 'guards'?)"));
	assert_true(has_error(&errs, path, 3, "e.rolse",
	    "unknown key (did you mean 'roles'?)"));
	assert_true(has_error(&errs, path, 4, "e.colour", "unknown key"));
	assert_null(strstr(errs.items[2], "did you mean"));
	cfgfile_close(&cf);
	errlist_free(&errs);
	free(path);

	/* fupind.conf: the nearest setting of the table. */
	expect_errors("control: { sockt = \"/run/x.sock\"; };\n"	 /* 1 */
		      "databse: { conninfo = \"dbname=y\"; };\n",	 /* 2 */
	    1, "control.sockt", "(did you mean 'control.socket'?)",
	    2, "databse.conninfo", "(did you mean 'database.conninfo'?)", -1);
}

static void
test_reader_open_errors(void **state)
{
	char *missing = xasprintf("%s/absent.conf", tmpdir);
	char *bad = write_file("a = 1;\n" /* 1 */
			       "b = ;\n"); /* 2 */
	struct errlist errs;
	struct cfgfile cf;

	errlist_init(&errs);
	assert_int_equal(cfgfile_open(&cf, missing, &errs), -1);
	cfgfile_close(&cf);
	assert_true(has_error(&errs, missing, 0, NULL,
	    "cannot read: No such file"));
	assert_int_equal(cfgfile_open(&cf, bad, &errs), -1);
	assert_int_equal(cf.errors, 1);
	cfgfile_close(&cf);
	assert_true(has_error(&errs, bad, 2, NULL, "syntax error"));
	assert_int_equal(errs.count, 2);
	errlist_free(&errs);
	free(missing);
	free(bad);
}

/* fupinctl's view: the table's defaults, the file's values, its lines. */
static void
test_settings_load(void **state)
{
	char *path = write_file("\n"					 /* 1 */
				"control: { socket = \"/tmp/f.sock\"; };\n" /* 2 */
				"access = ( { role = \"admin\"; } );\n");  /* 3 */
	char *missing = xasprintf("%s/absent.conf", tmpdir);
	struct settings set;
	struct errlist errs;

	errlist_init(&errs);
	assert_int_equal(settings_load(&set, path, &errs), 0);
	assert_int_equal(errs.count, 0);
	assert_string_equal(set.v[SET_CONTROL_SOCKET].s, "/tmp/f.sock");
	assert_int_equal(set.line[SET_CONTROL_SOCKET], 2);
	assert_string_equal(set.v[SET_DATABASE_CONNINFO].s, "dbname=fupin");
	assert_string_equal(set.v[SET_WORKFLOWS_CAMPAIGN].s, "2019");
	assert_int_equal(set.line[SET_DATABASE_CONNINFO], 0);
	assert_int_equal(set.v[SET_CONTROL_IDLE_TIMEOUT].n, 300);
	settings_free(&set);

	assert_int_equal(settings_load(&set, missing, &errs), -1);
	assert_int_equal(errs.count, 1);
	assert_string_equal(set.v[SET_CONTROL_SOCKET].s,
	    settings_table[SET_CONTROL_SOCKET].def);
	settings_free(&set);
	assert_non_null(setting_find("log.level"));
	assert_null(setting_find("log.levle"));
	errlist_free(&errs);
	free(missing);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_empty_file_gives_defaults),
		cmocka_unit_test(test_access_good),
		cmocka_unit_test(test_unreadable_file),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_unknown_setting),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_not_an_integer),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_bad_duration),
		cmocka_unit_test(test_bad_enum),
		cmocka_unit_test(test_bad_clock_start),
		cmocka_unit_test(test_bad_log),
		cmocka_unit_test(test_bad_socket),
		cmocka_unit_test(test_bad_campaign),
		cmocka_unit_test(test_empty_conninfo),
		cmocka_unit_test(test_bad_alerts),
		cmocka_unit_test(test_alerts_parsed),
		cmocka_unit_test(test_access_errors),
		cmocka_unit_test(test_every_error_reported),
		cmocka_unit_test(test_keep_static),
		cmocka_unit_test(test_config_rows),
		cmocka_unit_test(test_defaults_file),
		cmocka_unit_test(test_reader_getters),
		cmocka_unit_test(test_reader_did_you_mean),
		cmocka_unit_test(test_reader_open_errors),
		cmocka_unit_test(test_settings_load),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
