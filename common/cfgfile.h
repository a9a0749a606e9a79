/*
 * The one reader of libconfig files (fupind.conf, calendar.conf,
 * campaign.conf, *.wf), for fupind and fupinctl alike: open a file,
 * typed getters that check type and limits, an unknown-key check that
 * suggests the nearest known key, and every error as "file:line: key:
 * message" in the caller's errlist, so that `fupind -t` shows them all.
 *
 * Keys are named by a path and a key: path "survey" and key "due" give
 * "survey.due"; an empty path gives the key alone.
 */
#ifndef FUPIN_CFGFILE_H
#define FUPIN_CFGFILE_H

#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#include "util.h"

struct cfgfile {
	config_t cf;
	const char *path;     /* borrowed from the caller */
	struct errlist *errs; /* borrowed: errors go here */
	size_t errors;	      /* added through this reader */
};

/*
 * Read path; 0, or -1 with "path:0: cannot read: ..." or libconfig's
 * "file:line: syntax error" in errs. Either way cfgfile_close frees it.
 */
int cfgfile_open(struct cfgfile *, const char *path, struct errlist *errs);
void cfgfile_close(struct cfgfile *);
const config_setting_t *cfgfile_root(const struct cfgfile *);

/* "file:line: path.key: message" at the line of at (NULL: line 0). */
void cfgfile_error(struct cfgfile *, const config_setting_t *at,
    const char *path, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Levenshtein distance; SIZE_MAX for names of 64 bytes or more. */
size_t cfg_distance(const char *, const char *);
/* The candidate (NULL-terminated list) within 2 edits of name, or NULL. */
const char *cfg_nearest(const char *name, const char *const *candidates);

/*
 * Every member of grp must be in allowed (NULL-terminated); each other one
 * is reported as "unknown key", with "(did you mean 'x'?)" when a known
 * key is near.
 */
void cfgfile_check_keys(struct cfgfile *, const config_setting_t *grp,
    const char *path, const char *const *allowed);

enum cfg_want {
	CFG_STRING,
	CFG_BOOL,
	CFG_INT,
	CFG_NUMBER,
	CFG_STRINGS, /* [ "a", "b" ] or ( "a", "b" ) */
	CFG_GROUP,
	CFG_LIST     /* ( { ... }, ... ) */
};

/* Is s of the wanted type (elements not checked)? */
int cfgfile_is(const config_setting_t *s, enum cfg_want);

/*
 * The member key of grp, or NULL: absent ("missing" reported if required)
 * or of the wrong type ("expected a string" etc.). The elements of
 * CFG_STRINGS and CFG_LIST are checked too.
 */
const config_setting_t *cfgfile_get(struct cfgfile *,
    const config_setting_t *grp, const char *path, const char *key,
    enum cfg_want, int required);

/*
 * Typed getters: 1 with *out set when present and good, 0 when absent
 * (*out untouched: the caller's default stays), -1 after an error.
 * cfgfile_string sets *out to NULL unless it returns 1; strings point
 * into the file: copy them before cfgfile_close.
 */
int cfgfile_string(struct cfgfile *, const config_setting_t *grp,
    const char *path, const char *key, int required, const char **out);
int cfgfile_bool(struct cfgfile *, const config_setting_t *grp,
    const char *path, const char *key, int required, int *out);
/* An integer in min..max. */
int cfgfile_int(struct cfgfile *, const config_setting_t *grp,
    const char *path, const char *key, int required, int64_t min,
    int64_t max, int64_t *out);
/* An integer or a decimal number. */
int cfgfile_number(struct cfgfile *, const config_setting_t *grp,
    const char *path, const char *key, int required, double *out);
/* A duration string ("30s", "5m", "1d12h") in min..max seconds. */
int cfgfile_duration(struct cfgfile *, const config_setting_t *grp,
    const char *path, const char *key, int required, int64_t min,
    int64_t max, int64_t *out);

#endif
