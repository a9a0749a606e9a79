/* Logging: syslog always, stderr as well in the foreground (-f). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int log_foreground;
static int log_threshold = LOG_LVL_INFO;
static int log_facility = LOG_DAEMON;
static const char *log_ident = "fupind";

static const struct {
	const char *name;
	int value;
} facilities[] = {
	{ "daemon", LOG_DAEMON }, { "user", LOG_USER }, { "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 },
};

static const char *levels[] = { "error", "warning", "notice", "info",
	"debug" };
static const int syslog_priority[] = { LOG_ERR, LOG_WARNING, LOG_NOTICE,
	LOG_INFO, LOG_DEBUG };

void
log_init(const char *ident, int foreground)
{
	/* openlog keeps the pointer: keep our own copy, never the
	 * configuration's, which a reload frees. */
	static char ident_copy[64];

	snprintf(ident_copy, sizeof(ident_copy), "%s", ident);
	log_ident = ident_copy;
	log_foreground = foreground;
	openlog(log_ident, LOG_PID | LOG_NDELAY, log_facility);
}

int
log_facility_valid(const char *name)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcasecmp(name, facilities[i].name) == 0)
			return 1;
	return 0;
}

int
log_level_valid(const char *name)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcasecmp(name, levels[i]) == 0)
			return 1;
	return 0;
}

int
log_set_facility(const char *name)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]);
	     i++) {
		if (strcasecmp(name, facilities[i].name) == 0) {
			if (facilities[i].value != log_facility) {
				log_facility = facilities[i].value;
				closelog();
				openlog(log_ident, LOG_PID | LOG_NDELAY,
				    log_facility);
			}
			return 0;
		}
	}
	return -1;
}

int
log_set_level(const char *name)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcasecmp(name, levels[i]) == 0) {
			log_threshold = (int)i;
			return 0;
		}
	}
	return -1;
}

static void log_vwrite(int, const char *, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void log_emit(int level, const char *msg, const char *errstr);

/*
 * Repeated warnings: a failing accept or a broken database can say the
 * same thing thousands of times a second. The same warning (or error)
 * within LOG_REPEAT_WINDOW seconds of its first appearance is counted,
 * not written; the count is written as "last message repeated N times"
 * before the next different line, or with the same line once the window
 * has passed. Lower levels are never folded: they carry ids and tests
 * and operators count them.
 */
static struct {
	char msg[2304];
	int level;
	struct timespec first;
	unsigned long repeated;
} last_warning;

static void
repeat_flush(void)
{
	char line[96];

	if (last_warning.repeated == 0)
		return;
	snprintf(line, sizeof(line), "last message repeated %lu times",
	    last_warning.repeated);
	last_warning.repeated = 0;
	log_emit(last_warning.level, line, NULL);
}

/* 1: msg repeats the last warning within the window, counted not written. */
static int
repeat_fold(int level, const char *msg)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (level <= LOG_LVL_WARNING && last_warning.level == level &&
	    strcmp(last_warning.msg, msg) == 0 &&
	    now.tv_sec - last_warning.first.tv_sec < LOG_REPEAT_WINDOW) {
		last_warning.repeated++;
		return 1;
	}
	repeat_flush();
	if (level <= LOG_LVL_WARNING) {
		snprintf(last_warning.msg, sizeof(last_warning.msg), "%s", msg);
		last_warning.level = level;
		last_warning.first = now;
	} else
		last_warning.msg[0] = '\0';
	return 0;
}

unsigned long
log_repeats_pending(void)
{
	return last_warning.repeated;
}

static void
log_vwrite(int level, const char *errstr, const char *fmt, va_list ap)
{
	char msg[2048], key[2304];

	if (level > log_threshold)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(key, sizeof(key), "%.2047s: %.200s", msg,
	    errstr ? errstr : "");
	if (repeat_fold(level, key))
		return;
	log_emit(level, msg, errstr);
}

static void
log_emit(int level, const char *msg, const char *errstr)
{
	if (errstr != NULL)
		syslog(syslog_priority[level], "%s: %s", msg, errstr);
	else
		syslog(syslog_priority[level], "%s", msg);
	if (log_foreground) {
		struct timespec ts;
		struct tm tm;
		char stamp[32];

		/* Wall time for the operator's terminal, not the campaign
		 * clock: this stamps when the line was written. */
		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
		if (errstr != NULL)
			fprintf(stderr, "%s %s %s: %s: %s\n", stamp,
			    levels[level], log_ident, msg, errstr);
		else
			fprintf(stderr, "%s %s %s: %s\n", stamp, levels[level],
			    log_ident, msg);
	}
}

#define LOG_FN(fn, lvl, witherr)                                               \
	void fn(const char *fmt, ...)                                          \
	{                                                                      \
		va_list ap;                                                    \
		int saved = errno;                                             \
		va_start(ap, fmt);                                             \
		log_vwrite(lvl, witherr ? strerror(saved) : NULL, fmt, ap);    \
		va_end(ap);                                                    \
		errno = saved;                                                 \
	}

LOG_FN(log_warn, LOG_LVL_WARNING, 1)
LOG_FN(log_warnx, LOG_LVL_WARNING, 0)
LOG_FN(log_notice, LOG_LVL_NOTICE, 0)
LOG_FN(log_info, LOG_LVL_INFO, 0)
LOG_FN(log_debug, LOG_LVL_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	repeat_flush();
	log_vwrite(LOG_LVL_ERROR, strerror(saved), fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	repeat_flush();
	log_vwrite(LOG_LVL_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
