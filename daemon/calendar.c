/*
 * The campaign calendar: loading and validating calendar.conf, item
 * status at a moment, working-day arithmetic around holidays and make-up
 * days, and the next moment at which any item opens or falls due (the
 * deadline engine arms one timer on it). Pure: libconfig to read the file,
 * nothing else; every answer is a function of the loaded data and its
 * arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "cfgfile.h"
#include "isotime.h"
#include "util.h"

#define CAL_MAX_HOLIDAY_DAYS 366

struct cal {
	struct cal_item *items;
	size_t nitems;
	int offset;
	int64_t start;
	int64_t *holidays; /* sorted local day numbers */
	size_t nholidays;
	int64_t *makeup;   /* sorted local day numbers */
	size_t nmakeup;
};

/* Per-item facts needed only while validating. */
struct cal_source {
	int line;
	const config_setting_t *due_setting;
	const char *due_key; /* "due" or "by", as written */
};

struct loader {
	struct cfgfile *cf; /* the file and its error list */
	struct cal *cal;
	struct cal_source *sources;
};

static const char *const item_keys[] = { "id", "kind", "title_zh",
	"title_en", "opens", "due", "by", NULL };
static const char *const top_keys[] = { "offset", "timezone", "start",
	"items", "holidays", "makeup", NULL };
static const char *const holiday_keys[] = { "name", "on", "from", "to",
	NULL };
static const char *const makeup_keys[] = { "name", "on", NULL };
static const char *const kinds[] = { "stage", "window", "lock", "task",
	NULL };

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int
setting_line(const config_setting_t *s)
{
	int line = s != NULL ? config_setting_source_line(s) : 0;

	return line > 0 ? line : 1;
}

static int
name_in(const char *name, const char *const *names)
{
	for (size_t i = 0; names[i] != NULL; i++) {
		if (strcmp(name, names[i]) == 0)
			return 1;
	}
	return 0;
}

/* "+08:00" or "-03:30" into minutes east of UTC. */
static int
parse_offset(const char *s, int *out)
{
	int h, m;

	if (strlen(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':')
		return -1;
	for (int i = 1; i < 6; i++) {
		if (i != 3 && (s[i] < '0' || s[i] > '9'))
			return -1;
	}
	h = (s[1] - '0') * 10 + (s[2] - '0');
	m = (s[4] - '0') * 10 + (s[5] - '0');
	if (h > 14 || m > 59)
		return -1;
	*out = (s[0] == '-' ? -1 : 1) * (h * 60 + m);
	return 0;
}

/* A bare civil date "YYYY-MM-DD" into its day number. */
static int
parse_date(const char *s, int64_t *day)
{
	int64_t t;

	if (strlen(s) != 10 || iso_parse(s, 0, &t) != 0)
		return -1;
	*day = floor_div(t, 86400);
	return 0;
}

/* A full moment with a time and an explicit offset (or Z). */
static int
parse_full_moment(const char *s, int64_t *out)
{
	size_t len = strlen(s);

	if (len <= 10 || (s[10] != 'T' && s[10] != ' '))
		return -1;
	if (s[len - 1] != 'Z' && strchr(s + 11, '+') == NULL &&
	    strchr(s + 11, '-') == NULL)
		return -1;
	return iso_parse(s, 0, out);
}

static int64_t
day_start(const struct cal *cal, int64_t day)
{
	return day * 86400 - (int64_t)cal->offset * 60;
}

static int
cmp_day(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int
day_in(const int64_t *days, size_t n, int64_t day)
{
	return n > 0 && bsearch(&day, days, n, sizeof *days, cmp_day) != NULL;
}

static void
push_day(int64_t **days, size_t *n, size_t *cap, int64_t day)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*days = xrealloc(*days, *cap * sizeof **days);
	}
	(*days)[(*n)++] = day;
}

static size_t
sort_unique(int64_t *days, size_t n)
{
	size_t out = 0;

	if (n == 0)
		return 0;
	qsort(days, n, sizeof *days, cmp_day);
	for (size_t i = 0; i < n; i++) {
		if (out == 0 || days[out - 1] != days[i])
			days[out++] = days[i];
	}
	return out;
}

static int
valid_id(const char *id)
{
	size_t len = strlen(id);

	if (len == 0 || len > 64 || id[0] < 'a' || id[0] > 'z')
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_'))
			return 0;
	}
	return 1;
}

/* The n of "stage<n>" (n >= 1, no leading zero), or 0. */
static int
stage_number(const char *id)
{
	long n = 0;

	if (strncmp(id, "stage", 5) != 0 || id[5] < '1' || id[5] > '9')
		return 0;
	for (const char *p = id + 5; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || n > 100000)
			return 0;
		n = n * 10 + (*p - '0');
	}
	return (int)n;
}

static void
load_item(struct loader *ld, const config_setting_t *g, size_t idx)
{
	struct cal *cal = ld->cal;
	struct cal_item *it = &cal->items[idx];
	struct cal_source *src = &ld->sources[idx];
	const config_setting_t *s_opens, *s_due, *s_by;
	const char *id, *kind, *zh, *en, *opens, *due, *by;
	char fallback[32], prefix[80], a[ISO_BUFSIZE], b[ISO_BUFSIZE];
	int r;

	it->opens = INT64_MIN;
	it->due = INT64_MAX;
	src->line = setting_line(g);
	snprintf(fallback, sizeof fallback, "items[%zu]", idx);
	if (!config_setting_is_group(g)) {
		cfgfile_error(ld->cf, g, fallback, NULL, "must be a group { ... }");
		return;
	}

	r = cfgfile_string(ld->cf, g, fallback, "id", 0, &id);
	if (r == 0)
		cfgfile_error(ld->cf, g, fallback, "id", "missing");
	else if (r == 1 && !valid_id(id)) {
		cfgfile_error(ld->cf, config_setting_get_member(g, "id"), fallback,
		    "id", "\"%s\" is not a valid id ([a-z][a-z0-9_]*)", id);
		id = NULL;
	}
	snprintf(prefix, sizeof prefix, "%s", id != NULL ? id : fallback);
	it->id = xstrdup(id != NULL ? id : "");
	cfgfile_check_keys(ld->cf, g, prefix, item_keys);

	for (size_t j = 0; id != NULL && j < idx; j++) {
		if (strcmp(cal->items[j].id, id) == 0) {
			cfgfile_error(ld->cf, config_setting_get_member(g, "id"),
			    prefix, "id", "duplicate id, first at line %d",
			    ld->sources[j].line);
			break;
		}
	}

	r = cfgfile_string(ld->cf, g, prefix, "kind", 0, &kind);
	if (r == 0)
		cfgfile_error(ld->cf, g, prefix, "kind", "missing");
	else if (r == 1 && !name_in(kind, kinds)) {
		cfgfile_error(ld->cf, config_setting_get_member(g, "kind"), prefix,
		    "kind", "unknown kind \"%s\" (stage, window, lock or task)",
		    kind);
		kind = NULL;
	}
	it->kind = xstrdup(kind != NULL ? kind : "");

	if (cfgfile_string(ld->cf, g, prefix, "title_zh", 0, &zh) == 0)
		cfgfile_error(ld->cf, g, prefix, "title_zh", "missing");
	if (cfgfile_string(ld->cf, g, prefix, "title_en", 0, &en) == 0)
		cfgfile_error(ld->cf, g, prefix, "title_en", "missing");
	it->title_zh = xstrdup(zh != NULL ? zh : "");
	it->title_en = xstrdup(en != NULL ? en : "");

	s_opens = config_setting_get_member(g, "opens");
	if (cfgfile_string(ld->cf, g, prefix, "opens", 0, &opens) == 1) {
		int64_t day;

		if (kind != NULL && strcmp(kind, "stage") == 0)
			cfgfile_error(ld->cf, s_opens, prefix, "opens", "a stage opens "
			    "when the one before it is due (stage1 at start); "
			    "remove opens");
		else if (parse_date(opens, &day) == 0)
			it->opens = day_start(cal, day);
		else if (parse_full_moment(opens, &it->opens) != 0)
			cfgfile_error(ld->cf, s_opens, prefix, "opens", "bad moment "
			    "\"%s\": want YYYY-MM-DD or YYYY-MM-DDTHH:MM+HH:MM",
			    opens);
	}

	s_due = config_setting_get_member(g, "due");
	s_by = config_setting_get_member(g, "by");
	r = cfgfile_string(ld->cf, g, prefix, "due", 0, &due);
	if (cfgfile_string(ld->cf, g, prefix, "by", 0, &by) == -1 || r == -1)
		return;
	if (due != NULL && by != NULL) {
		cfgfile_error(ld->cf, s_by, prefix, "by", "give due or by, not both");
		return;
	}
	if (due == NULL && by == NULL) {
		cfgfile_error(ld->cf, g, prefix, "due", "missing (due or by)");
		return;
	}
	if (due != NULL) {
		src->due_key = "due";
		src->due_setting = s_due;
		if (parse_full_moment(due, &it->due) != 0) {
			cfgfile_error(ld->cf, s_due, prefix, "due", "bad moment \"%s\": "
			    "want YYYY-MM-DDTHH:MM+HH:MM (for a whole day, "
			    "by = \"YYYY-MM-DD\")", due);
			it->due = INT64_MAX;
			return;
		}
	} else {
		int64_t day;

		src->due_key = "by";
		src->due_setting = s_by;
		if (parse_date(by, &day) != 0) {
			cfgfile_error(ld->cf, s_by, prefix, "by", "bad date \"%s\": "
			    "want YYYY-MM-DD", by);
			return;
		}
		it->due = day_start(cal, day + 1);
	}
	if (it->opens != INT64_MIN && it->opens >= it->due)
		cfgfile_error(ld->cf, s_opens, prefix, "opens", "opens %s is not "
		    "before due %s", iso_format(it->opens, cal->offset, a,
		    sizeof a), iso_format(it->due, cal->offset, b, sizeof b));
}

/* Stages are stage1..stageN, each due after the one before it; stage n
 * opens at stage n-1's due, stage1 at the campaign start. */
static void
check_stages(struct loader *ld, const config_setting_t *list)
{
	struct cal *cal = ld->cal;
	char a[ISO_BUFSIZE], b[ISO_BUFSIZE];
	size_t *by_number = xcalloc(cal->nitems + 1, sizeof *by_number);
	int maxn = 0;

	/* by_number[n] is 1 + the index of stage n. */
	for (size_t i = 0; i < cal->nitems; i++) {
		struct cal_item *it = &cal->items[i];
		const config_setting_t *g = config_setting_get_elem(list,
		    (unsigned int)i);
		int n;

		if (strcmp(it->kind, "stage") != 0 || *it->id == '\0')
			continue;
		n = stage_number(it->id);
		if (n == 0 || (size_t)n > cal->nitems) {
			cfgfile_error(ld->cf, config_setting_get_member(g, "id"), it->id,
			    "id", "stages are named stage1, stage2, ... in "
			    "sequence");
			continue;
		}
		if (by_number[n] == 0)
			by_number[n] = i + 1;
		if (n > maxn)
			maxn = n;
	}
	for (int n = 1; n <= maxn; n++) {
		struct cal_item *it, *prev;
		struct cal_source *src;

		if (by_number[n] == 0) {
			size_t next = 0;

			for (int k = n + 1; k <= maxn && next == 0; k++)
				next = by_number[k];
			cfgfile_error(ld->cf, config_setting_get_elem(list,
			    (unsigned int)(next - 1)), cal->items[next - 1].id,
			    "id", "stage%d is missing", n);
			continue;
		}
		it = &cal->items[by_number[n] - 1];
		src = &ld->sources[by_number[n] - 1];
		if (it->due == INT64_MAX)
			continue;
		if (n == 1) {
			it->opens = cal->start;
			if (it->due <= cal->start)
				cfgfile_error(ld->cf, src->due_setting, it->id,
				    src->due_key, "due %s is not after the "
				    "campaign start %s", iso_format(it->due,
				    cal->offset, a, sizeof a), iso_format(cal->start,
				    cal->offset, b, sizeof b));
			continue;
		}
		if (by_number[n - 1] == 0)
			continue;
		prev = &cal->items[by_number[n - 1] - 1];
		if (prev->due == INT64_MAX)
			continue;
		it->opens = prev->due;
		if (it->due <= prev->due)
			cfgfile_error(ld->cf, src->due_setting, it->id, src->due_key,
			    "due %s is not after %s's due %s", iso_format(it->due,
			    cal->offset, a, sizeof a), prev->id,
			    iso_format(prev->due, cal->offset, b, sizeof b));
	}
	free(by_number);
}

/* The holiday or make-up entry's day(s); 0 on success. */
static int
load_days(struct loader *ld, const config_setting_t *g, const char *prefix,
    int is_holiday, int64_t *first, int64_t *last)
{
	const char *on, *from, *to;
	int r_on, r_from, r_to;

	r_on = cfgfile_string(ld->cf, g, prefix, "on", 0, &on);
	r_from = r_to = 0;
	from = to = NULL;
	if (is_holiday) {
		r_from = cfgfile_string(ld->cf, g, prefix, "from", 0, &from);
		r_to = cfgfile_string(ld->cf, g, prefix, "to", 0, &to);
	}
	if (r_on == -1 || r_from == -1 || r_to == -1)
		return -1;
	if (on != NULL && (from != NULL || to != NULL)) {
		cfgfile_error(ld->cf, config_setting_get_member(g, "on"), prefix, "on",
		    "give on, or from and to, not both");
		return -1;
	}
	if (on != NULL) {
		if (parse_date(on, first) != 0) {
			cfgfile_error(ld->cf, config_setting_get_member(g, "on"),
			    prefix, "on", "bad date \"%s\": want YYYY-MM-DD",
			    on);
			return -1;
		}
		*last = *first;
		return 0;
	}
	if (from == NULL && to == NULL) {
		cfgfile_error(ld->cf, g, prefix, "on", is_holiday ?
		    "missing (on, or from and to)" : "missing");
		return -1;
	}
	if (from == NULL || to == NULL) {
		cfgfile_error(ld->cf, g, prefix, from == NULL ? "from" : "to",
		    "missing");
		return -1;
	}
	if (parse_date(from, first) != 0) {
		cfgfile_error(ld->cf, config_setting_get_member(g, "from"), prefix,
		    "from", "bad date \"%s\": want YYYY-MM-DD", from);
		return -1;
	}
	if (parse_date(to, last) != 0) {
		cfgfile_error(ld->cf, config_setting_get_member(g, "to"), prefix,
		    "to", "bad date \"%s\": want YYYY-MM-DD", to);
		return -1;
	}
	if (*last < *first) {
		cfgfile_error(ld->cf, config_setting_get_member(g, "to"), prefix, "to",
		    "%s is before from %s", to, from);
		return -1;
	}
	if (*last - *first >= CAL_MAX_HOLIDAY_DAYS) {
		cfgfile_error(ld->cf, config_setting_get_member(g, "to"), prefix, "to",
		    "a holiday longer than %d days", CAL_MAX_HOLIDAY_DAYS);
		return -1;
	}
	return 0;
}

static void
load_holidays(struct loader *ld, const config_setting_t *root)
{
	struct cal *cal = ld->cal;
	const config_setting_t *list;
	size_t cap = 0, mcap = 0;
	int *holiday_index = NULL, n;
	char prefix[32], date[ISO_BUFSIZE];

	list = config_setting_get_member(root, "holidays");
	if (list != NULL && !config_setting_is_list(list) &&
	    !(config_setting_is_array(list) && config_setting_length(list) == 0))
		cfgfile_error(ld->cf, list, "holidays", NULL, "must be a list ( ... )");
	else if (list != NULL) {
		n = config_setting_length(list);
		for (int i = 0; i < n; i++) {
			const config_setting_t *g = config_setting_get_elem(list,
			    (unsigned int)i);
			int64_t first, last;

			snprintf(prefix, sizeof prefix, "holidays[%d]", i);
			if (!config_setting_is_group(g)) {
				cfgfile_error(ld->cf, g, prefix, NULL,
				    "must be a group { ... }");
				continue;
			}
			cfgfile_check_keys(ld->cf, g, prefix, holiday_keys);
			if (load_days(ld, g, prefix, 1, &first, &last) != 0)
				continue;
			for (int64_t d = first; d <= last; d++) {
				push_day(&cal->holidays, &cal->nholidays, &cap,
				    d);
				holiday_index = xrealloc(holiday_index,
				    cal->nholidays * sizeof *holiday_index);
				holiday_index[cal->nholidays - 1] = i;
			}
		}
	}

	list = config_setting_get_member(root, "makeup");
	if (list != NULL && !config_setting_is_list(list) &&
	    !(config_setting_is_array(list) && config_setting_length(list) == 0))
		cfgfile_error(ld->cf, list, "makeup", NULL, "must be a list ( ... )");
	else if (list != NULL) {
		n = config_setting_length(list);
		for (int i = 0; i < n; i++) {
			const config_setting_t *g = config_setting_get_elem(list,
			    (unsigned int)i);
			const config_setting_t *s_on;
			int64_t day, last;
			size_t k;

			snprintf(prefix, sizeof prefix, "makeup[%d]", i);
			if (!config_setting_is_group(g)) {
				cfgfile_error(ld->cf, g, prefix, NULL,
				    "must be a group { ... }");
				continue;
			}
			cfgfile_check_keys(ld->cf, g, prefix, makeup_keys);
			if (load_days(ld, g, prefix, 0, &day, &last) != 0)
				continue;
			s_on = config_setting_get_member(g, "on");
			for (k = 0; k < cal->nholidays; k++) {
				if (cal->holidays[k] == day)
					break;
			}
			iso_format(day * 86400, 0, date, sizeof date);
			date[10] = '\0';
			if (k < cal->nholidays)
				cfgfile_error(ld->cf, s_on, prefix, "on", "%s is also a "
				    "holiday (holidays[%d])", date,
				    holiday_index[k]);
			else if (iso_weekday(day) < 5)
				cfgfile_error(ld->cf, s_on, prefix, "on", "%s is a "
				    "weekday, already a working day", date);
			else
				push_day(&cal->makeup, &cal->nmakeup, &mcap, day);
		}
	}
	free(holiday_index);
	cal->nholidays = sort_unique(cal->holidays, cal->nholidays);
	cal->nmakeup = sort_unique(cal->makeup, cal->nmakeup);
}

static void
load_root(struct loader *ld, const config_setting_t *root)
{
	struct cal *cal = ld->cal;
	const config_setting_t *items;
	const char *s;
	int64_t day;
	int r;

	cfgfile_check_keys(ld->cf, root, NULL, top_keys);

	r = cfgfile_string(ld->cf, root, NULL, "offset", 0, &s);
	if (r == 0)
		cfgfile_error(ld->cf, root, NULL, "offset", "missing");
	else if (r == 1 && parse_offset(s, &cal->offset) != 0)
		cfgfile_error(ld->cf, config_setting_get_member(root, "offset"), NULL,
		    "offset", "bad offset \"%s\": want +HH:MM", s);
	cfgfile_string(ld->cf, root, NULL, "timezone", 0, &s);

	r = cfgfile_string(ld->cf, root, NULL, "start", 0, &s);
	if (r == 0)
		cfgfile_error(ld->cf, root, NULL, "start", "missing");
	else if (r == 1 && parse_date(s, &day) != 0)
		cfgfile_error(ld->cf, config_setting_get_member(root, "start"), NULL,
		    "start", "bad date \"%s\": want YYYY-MM-DD", s);
	else if (r == 1)
		cal->start = day_start(cal, day);

	items = config_setting_get_member(root, "items");
	if (items == NULL) {
		cfgfile_error(ld->cf, root, NULL, "items", "missing");
		return;
	}
	if (!config_setting_is_list(items)) {
		cfgfile_error(ld->cf, items, NULL, "items", "must be a list ( ... )");
		return;
	}
	cal->nitems = (size_t)config_setting_length(items);
	cal->items = xcalloc(cal->nitems, sizeof *cal->items);
	ld->sources = xcalloc(cal->nitems, sizeof *ld->sources);
	for (size_t i = 0; i < cal->nitems; i++)
		load_item(ld, config_setting_get_elem(items, (unsigned int)i), i);
	check_stages(ld, items);
	load_holidays(ld, root);
}

struct cal *
cal_load(const char *path, struct errlist *errs)
{
	struct loader ld;
	struct cfgfile cf;
	struct cal *cal;

	memset(&ld, 0, sizeof ld);
	ld.cf = &cf;
	ld.cal = cal = xcalloc(1, sizeof *cal);

	if (cfgfile_open(&cf, path, errs) == 0)
		load_root(&ld, cfgfile_root(&cf));
	cfgfile_close(&cf);
	free(ld.sources);
	if (cf.errors > 0) {
		cal_free(cal);
		return NULL;
	}
	return cal;
}

void
cal_free(struct cal *cal)
{
	if (cal == NULL)
		return;
	for (size_t i = 0; i < cal->nitems; i++) {
		free((char *)cal->items[i].id);
		free((char *)cal->items[i].kind);
		free((char *)cal->items[i].title_zh);
		free((char *)cal->items[i].title_en);
	}
	free(cal->items);
	free(cal->holidays);
	free(cal->makeup);
	free(cal);
}

size_t
cal_count(const struct cal *cal)
{
	return cal->nitems;
}

const struct cal_item *
cal_item_at(const struct cal *cal, size_t i)
{
	return i < cal->nitems ? &cal->items[i] : NULL;
}

const struct cal_item *
cal_find(const struct cal *cal, const char *id)
{
	for (size_t i = 0; i < cal->nitems; i++) {
		if (strcmp(cal->items[i].id, id) == 0)
			return &cal->items[i];
	}
	return NULL;
}

int
cal_exists(const char *id, void *cal)
{
	return cal_find(cal, id) != NULL;
}

int
cal_offset(const struct cal *cal)
{
	return cal->offset;
}

int64_t
cal_start(const struct cal *cal)
{
	return cal->start;
}

enum cal_status
cal_status(const struct cal_item *it, int64_t now, int64_t due_soon_seconds)
{
	int64_t left;

	if (it->opens != INT64_MIN && now < it->opens)
		return CAL_UPCOMING;
	if (now >= it->due) {
		if (strcmp(it->kind, "stage") == 0 ||
		    strcmp(it->kind, "task") == 0)
			return CAL_OVERDUE;
		return CAL_CLOSED;
	}
	if (due_soon_seconds > 0 &&
	    !__builtin_sub_overflow(it->due, now, &left) &&
	    left <= due_soon_seconds)
		return CAL_DUE_SOON;
	return CAL_OPEN;
}

const char *
cal_status_name(enum cal_status st)
{
	switch (st) {
	case CAL_UPCOMING:
		return "upcoming";
	case CAL_OPEN:
		return "open";
	case CAL_DUE_SOON:
		return "due_soon";
	case CAL_OVERDUE:
		return "overdue";
	case CAL_CLOSED:
		return "closed";
	}
	return "unknown";
}

int64_t
cal_day(const struct cal *cal, int64_t moment)
{
	return floor_div(moment + (int64_t)cal->offset * 60, 86400);
}

int
cal_is_working_day(const struct cal *cal, int64_t day)
{
	if (iso_weekday(day) >= 5)
		return day_in(cal->makeup, cal->nmakeup, day);
	return !day_in(cal->holidays, cal->nholidays, day);
}

int64_t
cal_add_working_days(const struct cal *cal, int64_t moment, int n)
{
	int64_t day = cal_day(cal, moment);
	int64_t time_of_day = moment - day_start(cal, day);
	int64_t left = n < 0 ? -(int64_t)n : n;
	int step = n < 0 ? -1 : 1;

	while (left > 0) {
		day += step;
		if (cal_is_working_day(cal, day))
			left--;
	}
	return day_start(cal, day) + time_of_day;
}

/* Monday to Friday in [0, day), where day 0 (1970-01-01) is a Thursday. */
static int64_t
weekdays_before(int64_t day)
{
	static const int64_t partial[7] = { 0, 1, 2, 2, 2, 3, 4 };
	int64_t weeks = floor_div(day, 7);

	return weeks * 5 + partial[day - weeks * 7];
}

int64_t
cal_working_days_between(const struct cal *cal, int64_t from, int64_t to)
{
	int64_t a = cal_day(cal, from), b = cal_day(cal, to), n;

	if (b < a)
		return -cal_working_days_between(cal, to, from);
	n = weekdays_before(b) - weekdays_before(a);
	for (size_t i = 0; i < cal->nholidays; i++) {
		int64_t d = cal->holidays[i];

		if (d >= a && d < b && iso_weekday(d) < 5)
			n--;
	}
	/* Make-up days are weekend days that are not holidays (cal_load). */
	for (size_t i = 0; i < cal->nmakeup; i++) {
		if (cal->makeup[i] >= a && cal->makeup[i] < b)
			n++;
	}
	return n;
}

int64_t
cal_next_moment_after(const struct cal *cal, int64_t t)
{
	int64_t next = INT64_MAX;

	for (size_t i = 0; i < cal->nitems; i++) {
		const struct cal_item *it = &cal->items[i];

		if (it->opens != INT64_MIN && it->opens > t && it->opens < next)
			next = it->opens;
		if (it->due > t && it->due < next)
			next = it->due;
	}
	return next;
}
