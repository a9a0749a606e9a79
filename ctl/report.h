/*
 * fupinctl report: the data (report.c fills it from the daemon's REPORT
 * answers, built by sql/functions/90-report.sql) and its renderers, which
 * see only this data: report_html.c (the page), report_text.c (CSV,
 * summary).
 */
#ifndef REPORT_H
#define REPORT_H

#include <stddef.h>
#include <stdint.h>

struct rp_item {
	char *id, *kind, *title;
	char *status;	    /* upcoming, open, overdue, closed */
	int64_t opens, due; /* opens INT64_MIN when open from the start */
	int deadline;	    /* some state must be left by it */
};

/* How the instances of one village bound by one deadline left it. */
struct rp_cell {
	long total, on_time, extended, late, overdue, pending;
};

struct rp_village {
	char *id, *name;
	struct rp_cell *cells; /* per item, as report.items */
	struct rp_cell sum;
	long households, exited, escalations, notices, extensions;
	double score; /* higher: further behind */
};

struct rp_overdue {
	char *village, *household; /* household NULL: a village task */
	char *workflow, *state_title, *deadline_title;
	int64_t due;
	int days, extended;
};

struct rp_alert {
	int64_t at;
	char *kind, *village, *text, *recipients;
};

struct report {
	char *campaign;
	char *township;
	int64_t now; /* the daemon's last sweep, else its clock (!has_now) */
	int has_now;
	struct rp_item *items; /* in due order */
	size_t nitems;
	struct rp_village *villages; /* the furthest behind first */
	size_t nvillages;
	long alerts_total, digests;
	struct rp_overdue *overdue; /* the oldest, as many as REPORT gives */
	size_t noverdue;
	long overdue_total;
	struct rp_alert *alerts; /* the newest, as many as REPORT gives */
	size_t nalerts;
};

/* Shared by the renderers. */
/* "2019-10-21 00:00" in Beijing time, into buf; returns buf. */
const char *report_moment(int64_t, char *buf, size_t len);
/* red, amber or green. */
const char *report_village_level(const struct rp_village *);
/* 落后, 需关注, 正常 for a level. */
const char *report_level_word(const char *level);
int report_pct(long part, long whole);

/* Write to path ("-" standard output); -1 and a message on failure. */
int report_html(const struct report *, const char *path);
int report_csv(const struct report *, const char *path);
void report_summary(const struct report *);

#endif
