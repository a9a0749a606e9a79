/*
 * Logging to syslog and, in the foreground, to stderr. One line per event.
 * log_warn/fatal append strerror(errno); the x variants do not.
 */
#ifndef FUPIN_LOG_H
#define FUPIN_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARNING, LOG_LVL_NOTICE, LOG_LVL_INFO,
    LOG_LVL_DEBUG };

/* The same warning within this many seconds is counted, not written. */
#define LOG_REPEAT_WINDOW 10

void log_init(const char *ident, int foreground);
/* Warnings folded since the last one written (for tests and METRICS). */
unsigned long log_repeats_pending(void);
/* Apply facility and level names from configuration; 0 or -1 if unknown. */
int log_set_facility(const char *);
int log_set_level(const char *);
int log_facility_valid(const char *);
int log_level_valid(const char *);

void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
