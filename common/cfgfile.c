/*
 * The configuration reader shared by every libconfig file: see cfgfile.h.
 * It knows types, limits and names, nothing about what a setting means.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgfile.h"

static const char *const want_names[] = { "a string", "true or false",
	"an integer", "a number", "an array of strings", "a group { ... }",
	"a list ( { ... }, ... )" };

int
cfgfile_open(struct cfgfile *cf, const char *path, struct errlist *errs)
{
	memset(cf, 0, sizeof(*cf));
	cf->path = path;
	cf->errs = errs;
	config_init(&cf->cf);
	if (config_read_file(&cf->cf, path) == CONFIG_TRUE)
		return 0;
	if (config_error_type(&cf->cf) == CONFIG_ERR_FILE_IO)
		errlist_add(errs, path, 0, NULL, "cannot read: %s",
		    strerror(errno));
	else
		errlist_add(errs, config_error_file(&cf->cf) != NULL ?
		    config_error_file(&cf->cf) : path,
		    config_error_line(&cf->cf), NULL, "%s",
		    config_error_text(&cf->cf));
	cf->errors++;
	return -1;
}

void
cfgfile_close(struct cfgfile *cf)
{
	config_destroy(&cf->cf);
}

const config_setting_t *
cfgfile_root(const struct cfgfile *cf)
{
	return config_root_setting(&cf->cf);
}

void
cfgfile_error(struct cfgfile *cf, const config_setting_t *at,
    const char *path, const char *key, const char *fmt, ...)
{
	const char *file = at != NULL ? config_setting_source_file(at) : NULL;
	int line = at != NULL ? config_setting_source_line(at) : 0;
	char full[256];
	va_list ap;
	char *msg;

	if (path != NULL && *path != '\0' && key != NULL)
		snprintf(full, sizeof full, "%s.%s", path, key);
	else
		snprintf(full, sizeof full, "%s",
		    key != NULL ? key : path != NULL ? path : "");
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	errlist_add(cf->errs, file != NULL ? file : cf->path, line, full, "%s",
	    msg != NULL ? msg : fmt);
	free(msg);
	cf->errors++;
}

size_t
cfg_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], i, j;

	if (la >= nitems(row) || lb >= nitems(row))
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0], up;

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t best = diag + (a[i - 1] != b[j - 1]);

			up = row[j];
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* Two edits catch a dropped, doubled or swapped letter without suggesting
 * an unrelated short key. */
const char *
cfg_nearest(const char *name, const char *const *candidates)
{
	const char *near = NULL;
	size_t best = 3, d;

	for (size_t i = 0; candidates[i] != NULL; i++)
		if ((d = cfg_distance(candidates[i], name)) < best) {
			best = d;
			near = candidates[i];
		}
	return near;
}

void
cfgfile_check_keys(struct cfgfile *cf, const config_setting_t *grp,
    const char *path, const char *const *allowed)
{
	for (int i = 0; i < config_setting_length(grp); i++) {
		const config_setting_t *s = config_setting_get_elem(grp,
		    (unsigned)i);
		const char *k = config_setting_name(s), *near;
		size_t j;

		if (k == NULL)
			continue;
		for (j = 0; allowed[j] != NULL; j++)
			if (strcmp(allowed[j], k) == 0)
				break;
		if (allowed[j] != NULL)
			continue;
		if ((near = cfg_nearest(k, allowed)) != NULL)
			cfgfile_error(cf, s, path, k,
			    "unknown key (did you mean '%s'?)", near);
		else
			cfgfile_error(cf, s, path, k, "unknown key");
	}
}

int
cfgfile_is(const config_setting_t *s, enum cfg_want want)
{
	int t = config_setting_type(s);

	switch (want) {
	case CFG_STRING:
		return t == CONFIG_TYPE_STRING;
	case CFG_BOOL:
		return t == CONFIG_TYPE_BOOL;
	case CFG_INT:
		return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
	case CFG_NUMBER:
		return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 ||
		    t == CONFIG_TYPE_FLOAT;
	case CFG_STRINGS:
		return t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST;
	case CFG_GROUP:
		return t == CONFIG_TYPE_GROUP;
	case CFG_LIST:
		return t == CONFIG_TYPE_LIST;
	}
	return 0;
}

const config_setting_t *
cfgfile_get(struct cfgfile *cf, const config_setting_t *grp,
    const char *path, const char *key, enum cfg_want want, int required)
{
	const config_setting_t *s = config_setting_get_member(grp, key);
	int bad = 0;

	if (s == NULL) {
		if (required)
			cfgfile_error(cf, grp, path, key, "missing");
		return NULL;
	}
	if (!cfgfile_is(s, want)) {
		cfgfile_error(cf, s, path, key, "expected %s",
		    want_names[want]);
		return NULL;
	}
	if (want == CFG_STRINGS || want == CFG_LIST) {
		int et = want == CFG_STRINGS ? CONFIG_TYPE_STRING :
		    CONFIG_TYPE_GROUP;

		for (int i = 0; i < config_setting_length(s); i++) {
			const config_setting_t *e = config_setting_get_elem(s,
			    (unsigned)i);

			if (config_setting_type(e) != et) {
				cfgfile_error(cf, e, path, key,
				    "element %d: expected %s", i + 1,
				    et == CONFIG_TYPE_STRING ? "a string" :
				    "a group { ... }");
				bad = 1;
			}
		}
	}
	return bad ? NULL : s;
}

int
cfgfile_string(struct cfgfile *cf, const config_setting_t *grp,
    const char *path, const char *key, int required, const char **out)
{
	const config_setting_t *s = cfgfile_get(cf, grp, path, key, CFG_STRING,
	    required);

	*out = NULL;
	if (s == NULL)
		return config_setting_get_member(grp, key) != NULL || required ?
		    -1 : 0;
	*out = config_setting_get_string(s);
	return 1;
}

int
cfgfile_bool(struct cfgfile *cf, const config_setting_t *grp,
    const char *path, const char *key, int required, int *out)
{
	const config_setting_t *s = cfgfile_get(cf, grp, path, key, CFG_BOOL,
	    required);

	if (s == NULL)
		return config_setting_get_member(grp, key) != NULL || required ?
		    -1 : 0;
	*out = config_setting_get_bool(s);
	return 1;
}

static int
check_range(struct cfgfile *cf, const config_setting_t *s, const char *path,
    const char *key, int64_t n, int64_t min, int64_t max)
{
	if (n >= min && n <= max)
		return 0;
	cfgfile_error(cf, s, path, key,
	    "%" PRId64 " is out of range %" PRId64 "..%" PRId64, n, min, max);
	return -1;
}

int
cfgfile_int(struct cfgfile *cf, const config_setting_t *grp,
    const char *path, const char *key, int required, int64_t min,
    int64_t max, int64_t *out)
{
	const config_setting_t *s = cfgfile_get(cf, grp, path, key, CFG_INT,
	    required);
	int64_t n;

	if (s == NULL)
		return config_setting_get_member(grp, key) != NULL || required ?
		    -1 : 0;
	n = config_setting_get_int64(s);
	if (check_range(cf, s, path, key, n, min, max) < 0)
		return -1;
	*out = n;
	return 1;
}

int
cfgfile_number(struct cfgfile *cf, const config_setting_t *grp,
    const char *path, const char *key, int required, double *out)
{
	const config_setting_t *s = cfgfile_get(cf, grp, path, key, CFG_NUMBER,
	    required);

	if (s == NULL)
		return config_setting_get_member(grp, key) != NULL || required ?
		    -1 : 0;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		*out = (double)config_setting_get_int64(s);
		break;
	default:
		*out = config_setting_get_float(s);
		break;
	}
	return 1;
}

int
cfgfile_duration(struct cfgfile *cf, const config_setting_t *grp,
    const char *path, const char *key, int required, int64_t min,
    int64_t max, int64_t *out)
{
	const config_setting_t *s = cfgfile_get(cf, grp, path, key, CFG_STRING,
	    required);
	const char *text;
	int64_t n;

	if (s == NULL)
		return config_setting_get_member(grp, key) != NULL || required ?
		    -1 : 0;
	text = config_setting_get_string(s);
	if ((n = parse_duration(text)) < 0) {
		cfgfile_error(cf, s, path, key,
		    "\"%s\" is not a duration (like 30s, 5m, 2h, 1d)", text);
		return -1;
	}
	if (check_range(cf, s, path, key, n, min, max) < 0)
		return -1;
	*out = n;
	return 1;
}
